#include "desired_state.hpp"

#include <boost/json.hpp>

#include "go_json.hpp"

namespace update_agent {
namespace json = boost::json;
namespace gj = kanto::go_json;
namespace {

const json::value* field(const json::object& o, std::string_view key) {
    return gj::member(o, key);
}

// Each element of an array of objects; a null element decodes as an empty one.
template <class T, class F>
std::string each(const json::value* v, const gj::target& t, std::vector<T>& out, F&& decode_one) {
    const json::array* a = nullptr;
    GO_JSON_TRY(gj::get_array(v, t, a));
    if (a == nullptr) return {};
    out.reserve(a->size());
    for (const auto& e : *a) {
        const json::object* o = nullptr;
        GO_JSON_TRY(gj::get_object(&e, t, o));
        auto& item = out.emplace_back();
        if (o != nullptr) GO_JSON_TRY(decode_one(*o, item));
    }
    return {};
}

std::string key_values(const json::value* v, const gj::target& t, std::vector<key_value>& out) {
    return each(v, t, out, [&](const json::object& o, key_value& kv) -> std::string {
        GO_JSON_TRY(gj::get(field(o, "key"), t.member("KeyValuePair", "key", "string"), kv.key));
        return gj::get(field(o, "value"), t.member("KeyValuePair", "value", "string"), kv.value);
    });
}

std::string decode_component(const json::object& o, component& c) {
    const gj::target t{"ComponentWithConfig", "", ""};
    GO_JSON_TRY(gj::get(field(o, "id"), t.member("ComponentWithConfig", "id", "string"), c.id));
    GO_JSON_TRY(
        gj::get(field(o, "version"), t.member("ComponentWithConfig", "version", "string"), c.version));
    return key_values(field(o, "config"), t.member("ComponentWithConfig", "config", "[]*types.KeyValuePair"),
                      c.config);
}

std::string decode_domain(const json::object& o, domain& d) {
    const gj::target t{"DomainUpdate", "", ""};
    GO_JSON_TRY(gj::get(field(o, "id"), t.member("DomainUpdate", "id", "string"), d.id));
    GO_JSON_TRY(key_values(field(o, "config"), t.member("DomainUpdate", "config", "[]*types.KeyValuePair"),
                           d.config));
    return each(field(o, "components"),
                t.member("DomainUpdate", "components", "[]*types.ComponentWithConfig"), d.components,
                decode_component);
}

std::string decode_baseline(const json::object& o, baseline& b) {
    const gj::target t{"Baseline", "", ""};
    GO_JSON_TRY(gj::get(field(o, "title"), t.member("Baseline", "title", "string"), b.title));
    std::string ignored;
    GO_JSON_TRY(gj::get(field(o, "description"), t.member("Baseline", "description", "string"), ignored));
    GO_JSON_TRY(gj::get(field(o, "preconditions"), t.member("Baseline", "preconditions", "string"), ignored));
    return gj::get(field(o, "components"), t.member("Baseline", "components", "[]string"), b.components);
}

}  // namespace

std::string decode_desired_state(const json::value& payload, desired_state& out) {
    const gj::target root{"", "", "types.DesiredState"};
    const json::object* o = nullptr;
    GO_JSON_TRY(gj::get_object(&payload, root, o));
    if (o == nullptr) return {};
    GO_JSON_TRY(each(field(*o, "baselines"), root.member("DesiredState", "baselines", "[]*types.Baseline"),
                     out.baselines, decode_baseline));
    return each(field(*o, "domains"), root.member("DesiredState", "domains", "[]*types.DomainUpdate"),
                out.domains, decode_domain);
}

std::string decode_command(const json::value& payload, command& out) {
    const gj::target root{"", "", "types.DesiredStateCommand"};
    const json::object* o = nullptr;
    GO_JSON_TRY(gj::get_object(&payload, root, o));
    if (o == nullptr) return {};
    GO_JSON_TRY(gj::get(field(*o, "command"),
                        root.member("DesiredStateCommand", "command", "types.CommandType"), out.name));
    return gj::get(field(*o, "baseline"), root.member("DesiredStateCommand", "baseline", "string"),
                   out.baseline);
}

}  // namespace update_agent
