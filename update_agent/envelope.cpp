#include "envelope.hpp"

#include <boost/json.hpp>

#include "go_json.hpp"

namespace update_agent {
namespace json = boost::json;
namespace gj = kanto::go_json;

std::string decode_envelope(std::string_view text, inbound_envelope& out) {
    boost::system::error_code ec;
    auto doc = json::parse(text, ec);
    if (ec) return "not JSON: " + ec.message();
    if (doc.is_null()) return {};  // Go decodes null into the zero envelope
    const gj::target root{"", "", "types.Envelope"};
    const json::object* o = nullptr;
    GO_JSON_TRY(gj::get_object(&doc, root, o));
    GO_JSON_TRY(gj::get(gj::member(*o, "activityId"), root.member("Envelope", "activityId", "string"),
                        out.activity_id));
    GO_JSON_TRY(
        gj::get(gj::member(*o, "timestamp"), root.member("Envelope", "timestamp", "int64"), out.timestamp));
    if (const auto* p = gj::member(*o, "payload")) out.payload = *p;
    return {};
}

std::string encode_envelope(const std::string& activity_id, std::int64_t timestamp_ms, json::object payload) {
    json::object env;
    env.reserve(3);
    env.emplace("activityId", activity_id);
    env.emplace("timestamp", timestamp_ms);
    env.emplace("payload", std::move(payload));
    return json::serialize(env);
}

}  // namespace update_agent
