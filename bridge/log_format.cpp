#include "log_format.hpp"

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

}  // namespace bridge
