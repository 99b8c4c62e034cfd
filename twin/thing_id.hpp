// Thing ids as Kanto derives them (things.md §2.3): deviceId + ":edge:containers", split at the first
// ':' into namespace and name, with no validation ("dev7" -> "dev7::edge:containers").
#pragma once

#include <string>
#include <string_view>

namespace twin {

struct thing_id {
    std::string ns;    // text before the first ':'
    std::string name;  // everything after it

    std::string str() const { return ns + ":" + name; }
    // "<ns>/<name>" as used at the start of Ditto topics
    std::string topic_prefix() const { return ns + "/" + name; }
    bool operator==(const thing_id&) const = default;
};

// Kanto's NewNamespacedIDFromString: namespace = first segment, name = the rest re-joined.
thing_id parse_namespaced_id(std::string_view text);

// The containers thing of a device: parse(parse(deviceId).str() + ":edge:containers").
thing_id containers_thing(std::string_view device_id);

}  // namespace twin
