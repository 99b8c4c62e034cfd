// Kanto's enum tables A-F (things.md §6.3.3): gRPC value <-> twin value, one table per enum, used in
// both directions. Values not in a table pass through unchanged (the callers decide otherwise).
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>

namespace twin::enum_tables {

using entry = std::pair<std::string_view, std::string_view>;  // Kanto-CM value, twin value

inline constexpr std::array<entry, 4> restart_policy{{{"always", "ALWAYS"},
                                                      {"on-failure", "ON_FAILURE"},
                                                      {"unless-stopped", "UNLESS_STOPPED"},
                                                      {"no", "NO"}}};                            // A
inline constexpr std::array<entry, 2> network_mode{{{"bridge", "BRIDGE"}, {"host", "HOST"}}};    // B
inline constexpr std::array<entry, 2> log_type{{{"json-file", "JSON_FILE"}, {"none", "NONE"}}};  // C
inline constexpr std::array<entry, 2> log_mode{
    {{"blocking", "BLOCKING"}, {"non-blocking", "NON_BLOCKING"}}};  // D
inline constexpr std::array<entry, 6> propagation{{{"rprivate", "RPRIVATE"},
                                                   {"private", "PRIVATE"},
                                                   {"rshared", "RSHARED"},
                                                   {"shared", "SHARED"},
                                                   {"rslave", "RSLAVE"},
                                                   {"slave", "SLAVE"}}};  // E
inline constexpr std::array<entry, 7> status{{{"Creating", "CREATING"},
                                              {"Created", "CREATED"},
                                              {"Running", "RUNNING"},
                                              {"Stopped", "STOPPED"},
                                              {"Paused", "PAUSED"},
                                              {"Exited", "EXITED"},
                                              {"Dead", "DEAD"}}};  // F

template <std::size_t N>
std::string to_twin(const std::array<entry, N>& table, const std::string& v) {
    for (const auto& [kanto, twin] : table) {
        if (kanto == v) return std::string(twin);
    }
    return v;
}

template <std::size_t N>
std::string from_twin(const std::array<entry, N>& table, const std::string& v) {
    for (const auto& [kanto, twin] : table) {
        if (twin == v) return std::string(kanto);
    }
    return v;
}

}  // namespace twin::enum_tables
