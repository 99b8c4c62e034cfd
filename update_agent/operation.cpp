#include "operation.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "component_config.hpp"
#include "container_compare.hpp"
#include "image_version.hpp"

namespace update_agent {
namespace {

constexpr const char* destroy_message = "Existing container will be destroyed, no longer needed.";

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n\v\f");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n\v\f") - b + 1);
}

std::vector<std::string> system_containers_of(const domain& d, const std::vector<std::string>& configured) {
    const key_value* last = nullptr;
    for (const auto& kv : d.config) {
        if (kv.key == "systemContainers") last = &kv;
    }
    if (last == nullptr) return configured;
    std::vector<std::string> out;
    std::string item;
    for (char ch : last->value + ",") {
        if (ch == ',') {
            out.push_back(trim(item));
            item.clear();
        } else {
            item += ch;
        }
    }
    return out;
}

// Each declared baseline's containers are taken from the pool of desired ones.
std::string claim_baselines(const desired_state& ds, const std::string& domain, prepared_state& out) {
    std::vector<bool> claimed(out.desired.size(), false);
    const std::string prefix = domain + ":";
    for (const auto& b : ds.baselines) {
        std::vector<std::size_t> members;
        for (const auto& ref : b.components) {
            if (ref.rfind(prefix, 0) != 0) continue;
            const auto name = ref.substr(prefix.size());
            std::size_t i = 0;
            while (i < out.desired.size() && (claimed[i] || out.desired[i].name != name)) ++i;
            if (i == out.desired.size()) {
                return fmt::format(
                    "cannot process desired state baselines with containers: problem with baseline {}: "
                    "cannot "
                    "find container component {}",
                    b.title, ref);
            }
            claimed[i] = true;
            members.push_back(i);
        }
        auto same = std::find_if(out.declared.begin(), out.declared.end(),
                                 [&](const auto& d) { return d.first == b.title; });
        if (same != out.declared.end()) {
            same->second = std::move(members);  // the last baseline of a title wins
        } else {
            out.declared.emplace_back(b.title, std::move(members));
        }
    }
    for (std::size_t i = 0; i < out.desired.size(); ++i) {
        if (claimed[i]) continue;
        const auto title = prefix + out.desired[i].name;
        auto same = std::find_if(out.declared.begin(), out.declared.end(),
                                 [&](const auto& d) { return d.first == title; });
        if (same != out.declared.end()) {
            same->second = {i};
        } else {
            out.declared.emplace_back(title, std::vector<std::size_t>{i});
        }
    }
    return {};
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

baseline_state* operation::find_baseline(const std::string& title) {
    for (auto& b : baselines) {
        if (b.title == title) return &b;
    }
    return nullptr;
}

std::string prepare(const desired_state& ds, const std::string& domain,
                    const std::vector<std::string>& configured_system_containers, prepared_state& out) {
    if (ds.domains.size() != 1) {
        return fmt::format("one domain expected in desired state specification, but got {}",
                           ds.domains.size());
    }
    const auto& d = ds.domains.front();
    if (d.id != domain) return fmt::format("domain id mismatch - expecting {}, received {}", domain, d.id);
    out.system_containers = system_containers_of(d, configured_system_containers);
    for (const auto& comp : d.components) {
        auto conv = to_container(comp);
        for (auto& w : conv.warnings) out.warnings.push_back(fmt::format("component {}: {}", comp.id, w));
        if (!conv.error.empty()) {
            return fmt::format(
                "cannot convert desired state components to container configurations: invalid configuration "
                "for container {}: {}",
                comp.id, conv.error);
        }
        out.desired.push_back({comp.id, comp.version, std::move(conv.container)});
    }
    return claim_baselines(ds, domain, out);
}

operation identify(const prepared_state& p, const std::string& domain, std::string activity_id,
                   const std::vector<kcm::types::Container>& current, std::vector<std::string>& warnings) {
    operation op;
    op.activity_id = std::move(activity_id);
    // By name; of several with one name the last listed is the one seen, as in Kanto.
    std::map<std::string, const kcm::types::Container*> by_name;
    for (const auto& c : current) {
        auto [it, fresh] = by_name.try_emplace(c.name(), &c);
        if (!fresh) {
            warnings.push_back(
                fmt::format("several containers are named {}: only {} is considered", c.name(), c.id()));
            it->second = &c;
        }
    }
    std::vector<std::optional<std::size_t>> action_of(p.desired.size());
    for (std::size_t i = 0; i < p.desired.size(); ++i) {
        const auto& d = p.desired[i];
        if (contains(p.system_containers, d.name)) {
            warnings.push_back(fmt::format("{} is a system container: left as it is", d.name));
            continue;
        }
        component_action a;
        if (auto it = by_name.find(d.name); it != by_name.end()) {
            a.current = *it->second;
            by_name.erase(it);
        }
        const auto type = kanto::determine_update_action(a.current ? &*a.current : nullptr, d.container);
        a.type = type == kanto::update_action::create     ? action_type::create
                 : type == kanto::update_action::recreate ? action_type::recreate
                 : type == kanto::update_action::update   ? action_type::update
                                                          : action_type::check;
        a.component_id = domain + ":" + d.name;
        a.version = d.version;
        a.message = kanto::action_message(type);
        a.desired = d.container;
        action_of[i] = op.actions.size();
        op.actions.push_back(std::move(a));
    }
    baseline_state removal{domain + ":remove-components", {}, "IDENTIFIED"};
    for (const auto& [name, c] : by_name) {  // by name: a deterministic order
        if (contains(p.system_containers, name)) continue;
        component_action a;
        a.type = action_type::destroy;
        a.component_id = domain + ":" + name;
        a.version = image_version(c->image().name());
        a.message = destroy_message;
        a.current = *c;
        removal.actions.push_back(op.actions.size());
        op.actions.push_back(std::move(a));
    }
    for (const auto& [title, members] : p.declared) {
        baseline_state b{title, {}, "IDENTIFIED"};
        for (auto i : members) {
            if (action_of[i]) b.actions.push_back(*action_of[i]);
        }
        op.baselines.push_back(std::move(b));
    }
    op.baselines.push_back(std::move(removal));
    for (std::size_t i = 0; i < op.actions.size(); ++i) op.all.actions.push_back(i);
    return op;
}

}  // namespace update_agent
