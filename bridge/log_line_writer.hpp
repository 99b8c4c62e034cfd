// Writes a core's log line with spdlog at its level.
#pragma once

#include "log_line.hpp"

namespace bridge {

void write_log_line(const kanto::log_line& line);

}  // namespace bridge
