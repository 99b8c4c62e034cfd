#include "ditto_thing.hpp"

#include <boost/json.hpp>

namespace twin {
namespace json = boost::json;

std::vector<std::string> json_pointer(std::string_view path) {
    std::vector<std::string> out;
    if (path.empty() || path == "/") return out;
    if (path.front() == '/') path.remove_prefix(1);
    std::string token;
    for (std::size_t i = 0; i <= path.size(); ++i) {
        if (i == path.size() || path[i] == '/') {
            out.push_back(std::move(token));
            token.clear();
        } else if (path[i] == '~' && i + 1 < path.size() && (path[i + 1] == '0' || path[i + 1] == '1')) {
            token += path[++i] == '0' ? '~' : '/';
        } else {
            token += path[i];
        }
    }
    return out;
}

std::optional<std::string> thing_of_topic(std::string_view topic) {
    const auto a = topic.find('/');
    if (a == std::string_view::npos) return std::nullopt;
    const auto b = topic.find('/', a + 1);
    if (b == std::string_view::npos) return std::nullopt;
    return std::string(topic.substr(0, a)) + ":" + std::string(topic.substr(a + 1, b - a - 1));
}

const json::value* at_pointer(const json::value& root, const std::vector<std::string>& tokens) {
    const json::value* v = &root;
    for (const auto& t : tokens) {
        const auto* o = v->if_object();
        if (o == nullptr) return nullptr;
        v = o->if_contains(t);
        if (v == nullptr) return nullptr;
    }
    return v;
}

ditto_thing::ditto_thing(std::string id) : id_(std::move(id)), value_(json::object{{"thingId", id_}}) {}

std::string ditto_thing::apply(const json::object& env) {
    const auto* topic = env.if_contains("topic");
    const auto* path = env.if_contains("path");
    if (topic == nullptr || !topic->is_string() || path == nullptr || !path->is_string())
        return "not a Ditto envelope";
    if (env.contains("status")) return "a response";
    const std::string t(topic->as_string());
    const auto last = t.rfind('/');
    const auto action = t.substr(last + 1);
    if (t.find("/things/twin/commands/") == std::string::npos &&
        t.find("/things/twin/events/") == std::string::npos) {
        return "not a twin command or event";
    }
    const auto tokens = json_pointer(std::string(path->as_string()));

    const json::value* value = env.if_contains("value");
    const bool merge = action == "merge" || action == "merged";
    if (action == "delete" || action == "deleted" ||
        (merge && value != nullptr && value->is_null() && !tokens.empty())) {
        if (tokens.empty()) {
            value_ = json::object{{"thingId", id_}};
            return {};
        }
        json::value* parent = &value_;
        for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
            auto* o = parent->if_object();
            if (o == nullptr || !o->contains(tokens[i])) return {};  // already gone
            parent = &(*o)[tokens[i]];
        }
        if (auto* o = parent->if_object()) o->erase(tokens.back());
        return {};
    }
    if (value == nullptr) return "no value";
    json::value* target = &value_;
    for (const auto& token : tokens) {  // create-or-replace: missing objects on the way are created
        if (!target->is_object()) *target = json::object{};
        target = &target->as_object()[token];
    }
    if (merge) {
        merge_patch(*target, *value);
    } else if (action == "modify" || action == "modified" || action == "create" || action == "created") {
        *target = *value;
    } else {
        return "unknown action " + action;
    }
    if (tokens.empty() && value_.is_object()) value_.as_object()["thingId"] = id_;
    return {};
}

}  // namespace twin
