#include "identity.hpp"

#include <boost/json.hpp>

namespace twin {

std::variant<identity, std::string> parse_identity(std::string_view payload) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(payload, ec);
    if (ec) return "not JSON: " + ec.message();
    if (!v.is_object()) return std::string("not a JSON object");
    identity id;
    // Like Go's decoder into string fields: absent or null leaves "", another type is an error.
    for (auto [key, out] : {std::pair<const char*, std::string*>{"deviceId", &id.device_id},
                            {"tenantId", &id.tenant_id},
                            {"policyId", &id.policy_id}}) {
        const auto* f = v.as_object().if_contains(key);
        if (f == nullptr || f->is_null()) continue;
        if (!f->is_string()) return std::string(key) + " is not a string";
        *out = std::string(f->as_string());
    }
    // The device id names the thing and the tenant the event topic: without the one, or with MQTT
    // wildcards or separators in either, there is no thing to register.
    if (id.device_id.empty()) return std::string("no deviceId");
    for (auto [key, value] : {std::pair<const char*, const std::string*>{"deviceId", &id.device_id},
                              {"tenantId", &id.tenant_id}}) {
        for (char c : *value) {
            if (c == '/' || c == '+' || c == '#' || static_cast<unsigned char>(c) < 0x20) {
                return std::string(key) + " contains a character that cannot be used in an MQTT topic";
            }
        }
    }
    return id;
}

identity_change classify(const identity* current, const identity& next) {
    if (current == nullptr) return identity_change::first;
    if (current->device_id != next.device_id || current->tenant_id != next.tenant_id) {
        return identity_change::thing_changed;
    }
    return current->policy_id == next.policy_id ? identity_change::same : identity_change::policy_changed;
}

}  // namespace twin
