// Kanto-CM size strings ("100M", "1.5g", "5 k"): grammar ^(\d+(\.\d+)*) ?([kKmMgG])$, powers of 1024.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kanto {

// Bytes of a size string, or nullopt when it does not follow the grammar or exceeds int64.
std::optional<std::int64_t> parse_size(std::string_view text);

// Twice the size, keeping the unit as written ("200m" -> "400m"); Create's memory_swap default.
std::string double_size(std::string_view text);

}  // namespace kanto
