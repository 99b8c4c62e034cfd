// libFuzzer target: the small parsers of outside text: Go durations (config files, Metrics
// requests), Kanto's size strings, the update agent's image version and Kanto's container JSON.
#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/json.hpp>

#include "container_json.hpp"
#include "go_duration.hpp"
#include "image_version.hpp"
#include "sizes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    (void)kanto::parse_go_duration(text);
    if (auto n = kanto::parse_size(text); n && *n < 0) __builtin_trap();  // sizes are never negative
    (void)kanto::double_size(text);
    if (update_agent::image_version(text).empty()) __builtin_trap();
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (!ec && v.is_object()) {
        kcm::types::Container c;
        (void)kanto::container_from_json(v.as_object(), c);
    }
    return 0;
}
