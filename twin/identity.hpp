// The cloud connector's identity on edge/thing/response (things.md §2.2, §2.4).
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace twin {

struct identity {
    std::string device_id;
    std::string tenant_id;
    std::string policy_id;
    bool operator==(const identity&) const = default;
};

// The identity, or the reason the payload is not one (a text for the log): not JSON, a field not a
// string, no deviceId, or an id with '/', '+', '#' or a control character (unusable in a topic).
std::variant<identity, std::string> parse_identity(std::string_view payload);

enum class identity_change {
    first,           // no identity before: register
    same,            // nothing to do
    policy_changed,  // same device and tenant: re-register, keep the command subscription
    thing_changed,   // other device or tenant: unsubscribe the old thing, register the new one
};

identity_change classify(const identity* current, const identity& next);

}  // namespace twin
