// Go's time.ParseDuration grammar ("20s", "250ms", "1m30s", "1.5h", "-2s", "0"), used by Kanto's
// config file and by Metrics requests.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kanto {

std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

}  // namespace kanto

namespace kanto {

// Go's Duration.String() of whole seconds: "0s", "30s", "1m30s", "3m0s", "1h0m0s".
std::string format_go_seconds(std::int64_t seconds);

}  // namespace kanto
