#include "envelope.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace twin {
namespace json = boost::json;
namespace {

json::object twin_command(const thing_id& thing, const char* action, const std::string& path) {
    return json::object{{"topic", thing.topic_prefix() + "/things/twin/commands/" + action},
                        {"headers", json::object{{"response-required", false}}},
                        {"path", path}};
}

}  // namespace

std::string event_topic(const std::string& tenant, const thing_id& thing) {
    return "e/" + tenant + "/" + thing.str();
}

std::string twin_modify(const thing_id& thing, const std::string& path, const json::value& value) {
    auto env = twin_command(thing, "modify", path);
    env["value"] = value;
    return json::serialize(env);
}

std::string twin_delete(const thing_id& thing, const std::string& path) {
    return json::serialize(twin_command(thing, "delete", path));
}

}  // namespace twin
