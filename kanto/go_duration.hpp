// Go's time.ParseDuration grammar ("20s", "250ms", "1m30s", "1.5h", "-2s", "0"), used by Kanto's
// config file and by Metrics requests.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace kanto {

std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

}  // namespace kanto
