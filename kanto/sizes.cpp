#include "sizes.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace kanto {
namespace {

struct split_size {
    double number;
    char unit;
};

std::optional<split_size> split(std::string_view text) {
    if (text.empty()) return std::nullopt;
    const char unit = text.back();
    std::string_view number = text.substr(0, text.size() - 1);
    if (!number.empty() && number.back() == ' ') number.remove_suffix(1);
    // \d+(\.\d+)* : digits, then groups of '.' + digits
    if (number.empty() || !std::isdigit(static_cast<unsigned char>(number.front()))) return std::nullopt;
    bool after_dot = false;
    int dots = 0;
    for (char c : number) {
        if (c == '.') {
            if (after_dot) return std::nullopt;
            after_dot = true;
            ++dots;
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
            after_dot = false;
        } else {
            return std::nullopt;
        }
    }
    if (after_dot || dots > 1) return std::nullopt;  // "1.2.3" matches the regex but is no number
    switch (unit) {
        case 'k':
        case 'K':
        case 'm':
        case 'M':
        case 'g':
        case 'G':
            break;
        default:
            return std::nullopt;
    }
    double value = 0;
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc{} || ptr != number.data() + number.size()) return std::nullopt;
    return split_size{value, unit};
}

}  // namespace

std::optional<std::int64_t> parse_size(std::string_view text) {
    auto s = split(text);
    if (!s) return std::nullopt;
    double factor = 1024.0;
    switch (s->unit) {
        case 'm':
        case 'M':
            factor = 1024.0 * 1024;
            break;
        case 'g':
        case 'G':
            factor = 1024.0 * 1024 * 1024;
            break;
        default:
            break;
    }
    const double bytes = s->number * factor;
    if (!(bytes < 9.2e18)) return std::nullopt;  // beyond int64 (llround would give garbage)
    return static_cast<std::int64_t>(std::llround(bytes));
}

std::string double_size(std::string_view text) {
    auto s = split(text);
    if (!s) return std::string(text);
    return fmt::format("{}{}", s->number * 2, s->unit);
}

}  // namespace kanto
