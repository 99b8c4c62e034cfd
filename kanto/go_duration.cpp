#include "go_duration.hpp"

#include <cctype>
#include <cmath>

namespace kanto {

std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view s) {
    if (s.empty()) return std::nullopt;
    bool negative = false;
    if (s.front() == '-' || s.front() == '+') {
        negative = s.front() == '-';
        s.remove_prefix(1);
    }
    if (s == "0") return std::chrono::nanoseconds{0};
    if (s.empty()) return std::nullopt;
    long double total = 0;
    while (!s.empty()) {
        // number: digits [. digits]; at least one digit on one side
        std::size_t i = 0;
        long double value = 0;
        bool digits = false;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
            value = value * 10 + (s[i] - '0');
            ++i;
            digits = true;
        }
        if (i < s.size() && s[i] == '.') {
            ++i;
            long double scale = 0.1L;
            while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
                value += (s[i] - '0') * scale;
                scale /= 10;
                ++i;
                digits = true;
            }
        }
        if (!digits) return std::nullopt;
        std::size_t u = i;
        while (u < s.size() && !std::isdigit(static_cast<unsigned char>(s[u])) && s[u] != '.') ++u;
        const std::string_view unit = s.substr(i, u - i);
        long double ns = 0;
        if (unit == "ns")
            ns = 1;
        else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
            ns = 1e3L;
        else if (unit == "ms")
            ns = 1e6L;
        else if (unit == "s")
            ns = 1e9L;
        else if (unit == "m")
            ns = 60e9L;
        else if (unit == "h")
            ns = 3600e9L;
        else
            return std::nullopt;  // missing or unknown unit
        total += value * ns;
        s.remove_prefix(u);
    }
    if (total > 9.2e18L) return std::nullopt;  // overflows int64 nanoseconds, as in Go
    const auto ns = static_cast<long long>(std::llround(total));
    return std::chrono::nanoseconds(negative ? -ns : ns);
}

}  // namespace kanto

namespace kanto {

std::string format_go_seconds(std::int64_t seconds) {
    if (seconds == 0) return "0s";
    std::string sign = seconds < 0 ? "-" : "";
    const std::uint64_t s =
        seconds < 0 ? 0 - static_cast<std::uint64_t>(seconds) : static_cast<std::uint64_t>(seconds);
    const auto h = s / 3600, m = s % 3600 / 60, rest = s % 60;
    if (h > 0) return sign + std::to_string(h) + "h" + std::to_string(m) + "m" + std::to_string(rest) + "s";
    if (m > 0) return sign + std::to_string(m) + "m" + std::to_string(rest) + "s";
    return sign + std::to_string(rest) + "s";
}

}  // namespace kanto
