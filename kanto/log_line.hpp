// A log line as every service core asks for it (cores do not print): a level and the text. The
// host writes it (bridge/log_line_writer).
#pragma once

#include <string>

namespace kanto {

enum class log_level { debug, info, warn, error };

struct log_line {
    log_level level;
    std::string text;
};

}  // namespace kanto
