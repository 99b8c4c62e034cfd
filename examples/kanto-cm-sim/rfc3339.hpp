// Go's time.RFC3339Nano in UTC: "2024-06-28T07:35:21.123456789Z", fraction's trailing zeros trimmed.
#pragma once

#include <chrono>
#include <string>

namespace sim {

std::string rfc3339_nano(std::chrono::system_clock::time_point t);

}  // namespace sim
