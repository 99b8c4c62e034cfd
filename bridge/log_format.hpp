// Log formatting for every program: text from outside (topics, payload fields, file names) may hold
// control characters; they are escaped so that a message cannot forge or break log lines.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>

namespace bridge {

// "\n" -> "\\n", "\r" -> "\\r", "\t" -> "\\t", other control characters and DEL -> "\\xHH".
std::string escape_control(std::string_view text);

// Wraps a formatter: the message is escaped, then formatted by `inner`.
class escaping_formatter final : public spdlog::formatter {
  public:
    explicit escaping_formatter(std::unique_ptr<spdlog::formatter> inner) : inner_(std::move(inner)) {}
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
    std::unique_ptr<spdlog::formatter> clone() const override;

  private:
    std::unique_ptr<spdlog::formatter> inner_;
};

// Whether stderr is connected to the systemd journal (JOURNAL_STREAM names its device and inode).
bool stderr_is_journal();

// The "<N>" syslog priority of a level, which journald reads from the start of a line
// (`journalctl -p warning` then filters): critical 2, error 3, warning 4, info 6, debug and trace 7.
class journal_priority final : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override;
    std::unique_ptr<custom_flag_formatter> clone() const override;
};

// Kanto's level names, padded to one width so that messages line up: ERROR, WARN, INFO, DEBUG,
// TRACE (a critical message is an ERROR too).
class kanto_level final : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override;
    std::unique_ptr<custom_flag_formatter> clone() const override;
};

// A program's formatter, messages escaped: `pattern` may use %* (kanto_level); with the journal,
// `journal_pattern` is used, prefixed with the "<N>" priority (journald adds the time itself).
std::unique_ptr<spdlog::formatter> program_formatter(
    bool journal, const std::string& pattern, const std::string& journal_pattern,
    spdlog::pattern_time_type time = spdlog::pattern_time_type::local);

}  // namespace bridge
