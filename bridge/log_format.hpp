// Log formatting for every program: text from outside (topics, payload fields, file names) may hold
// control characters; they are escaped so that a message cannot forge or break log lines.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/formatter.h>

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

}  // namespace bridge
