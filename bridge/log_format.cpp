#include "log_format.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include <spdlog/details/log_msg.h>

namespace bridge {

std::string escape_control(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    static constexpr char hex[] = "0123456789abcdef";
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c != 0x7f) {
            out += ch;
        } else if (ch == '\n') {
            out += "\\n";
        } else if (ch == '\r') {
            out += "\\r";
        } else if (ch == '\t') {
            out += "\\t";
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    return out;
}

void escaping_formatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    bool clean = true;
    for (char ch : payload) clean = clean && static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f;
    if (clean) return inner_->format(msg, dest);
    const auto escaped = escape_control(payload);
    auto copy = msg;
    copy.payload = spdlog::string_view_t(escaped.data(), escaped.size());
    inner_->format(copy, dest);
}

std::unique_ptr<spdlog::formatter> escaping_formatter::clone() const {
    return std::make_unique<escaping_formatter>(inner_->clone());
}

bool stderr_is_journal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr) return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    return ::fstat(2, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

void journal_priority::format(const spdlog::details::log_msg& msg, const std::tm&,
                              spdlog::memory_buf_t& dest) {
    char p = '6';
    switch (msg.level) {
        case spdlog::level::critical:
            p = '2';
            break;
        case spdlog::level::err:
            p = '3';
            break;
        case spdlog::level::warn:
            p = '4';
            break;
        case spdlog::level::debug:
        case spdlog::level::trace:
            p = '7';
            break;
        default:
            break;
    }
    const char text[] = {'<', p, '>'};
    dest.append(text, text + 3);
}

std::unique_ptr<spdlog::custom_flag_formatter> journal_priority::clone() const {
    return std::make_unique<journal_priority>();
}

void kanto_level::format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) {
    static constexpr const char* names[] = {"TRACE", "DEBUG", "INFO ", "WARN ", "ERROR", "ERROR", "OFF  "};
    const std::string_view name = names[static_cast<int>(msg.level)];
    dest.append(name.data(), name.data() + name.size());
}

std::unique_ptr<spdlog::custom_flag_formatter> kanto_level::clone() const {
    return std::make_unique<kanto_level>();
}

std::unique_ptr<spdlog::formatter> program_formatter(bool journal, const std::string& pattern,
                                                     const std::string& journal_pattern,
                                                     spdlog::pattern_time_type time) {
    auto inner = std::make_unique<spdlog::pattern_formatter>(time);
    inner->add_flag<journal_priority>('&').add_flag<kanto_level>('*');
    inner->set_pattern(journal ? "%&" + journal_pattern : pattern);
    return std::make_unique<escaping_formatter>(std::move(inner));
}

}  // namespace bridge
