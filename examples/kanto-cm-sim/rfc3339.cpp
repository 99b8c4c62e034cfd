#include "rfc3339.hpp"

#include <ctime>

#include <fmt/format.h>

namespace sim {

std::string rfc3339_nano(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto ns = duration_cast<nanoseconds>(t.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
    long frac = static_cast<long>(ns % 1'000'000'000);
    if (frac < 0) {
        frac += 1'000'000'000;
        --secs;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1,
                                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (frac != 0) {
        std::string f = fmt::format("{:09}", frac);
        f.erase(f.find_last_not_of('0') + 1);
        out += '.';
        out += f;
    }
    out += 'Z';
    return out;
}

}  // namespace sim
