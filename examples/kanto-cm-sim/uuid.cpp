#include "uuid.hpp"

#include <array>
#include <mutex>
#include <random>

#include <fmt/format.h>

namespace sim {

std::string new_uuid() {
    static std::mutex mu;
    static std::mt19937_64 gen{std::random_device{}()};
    std::array<std::uint8_t, 16> b{};
    {
        std::lock_guard lock(mu);
        for (std::size_t i = 0; i < b.size(); i += 8) {
            auto v = gen();
            for (std::size_t j = 0; j < 8; ++j) b[i + j] = static_cast<std::uint8_t>(v >> (8 * j));
        }
    }
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
    return fmt::format(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
        "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

}  // namespace sim
