#include "log_line_writer.hpp"

#include <spdlog/spdlog.h>

namespace bridge {

void write_log_line(const kanto::log_line& line) {
    switch (line.level) {
        case kanto::log_level::debug:
            spdlog::debug("{}", line.text);
            break;
        case kanto::log_level::info:
            spdlog::info("{}", line.text);
            break;
        case kanto::log_level::warn:
            spdlog::warn("{}", line.text);
            break;
        case kanto::log_level::error:
            spdlog::error("{}", line.text);
            break;
    }
}

}  // namespace bridge
