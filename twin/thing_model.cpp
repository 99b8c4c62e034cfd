#include "thing_model.hpp"

// GCC 12 reports a false -Wmaybe-uninitialized when a std::vector of variants holding std::strings
// relocates (GCC bug 107138); the code is fine under clang and newer GCC.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "container_mapping.hpp"
#include "dependencies.hpp"
#include "envelope.hpp"
#include "features.hpp"
#include "persistence.hpp"

namespace twin {
namespace json = boost::json;
namespace {

json::object definition_only(std::string_view definition) {
    return json::object{{"definition", json::array{definition}}};
}

}  // namespace

std::string feature_path(std::string_view feature) {
    return "/features/" + std::string(feature);
}

bool thing_model::enabled(std::string_view feature) const {
    return std::find(config_.features.begin(), config_.features.end(), feature) != config_.features.end();
}

void thing_model::set_thing(const thing_id& thing, const std::string& tenant) {
    if (thing_ && *thing_ != thing) unconfirmed_deletes_.clear();  // another thing's
    thing_ = thing;
    event_topic_ = twin::event_topic(tenant, thing);
}

std::string thing_model::persistence_path() const {
    return twin::persistence_path(config_.home_dir, *thing_);
}
std::string thing_model::legacy_persistence_path() const {
    return twin::legacy_persistence_path(config_.home_dir, *thing_);
}

std::vector<const kcm::types::Container*> thing_model::sorted_containers() const {
    std::vector<const kcm::types::Container*> out;
    out.reserve(known_.size());
    for (const auto& [id, c] : known_) out.push_back(&c);
    return out;
}

void thing_model::publish_modify(const std::string& path, const json::value& value, actions& out) const {
    out.push_back(publish{event_topic_, twin_modify(*thing_, path, value), 1, path});
}

void thing_model::publish_event(std::string payload, actions& out) const {
    out.push_back(publish{event_topic_, std::move(payload)});
}

void thing_model::publish_dependencies(actions& out) const {
    publish_modify(feature_path(features::software_updatable) + "/properties/status/installedDependencies",
                   installed_dependencies(sorted_containers()), out);
}

void thing_model::write_persisted(bool null_when_empty, actions& out) const {
    out.push_back(write_file{persistence_path(), serialize_persisted(persisted_, null_when_empty)});
}

container_change thing_model::observe(const std::string& id, const kcm::types::Container* now,
                                      bool publishing, actions& out) {
    auto it = known_.find(id);
    if (it == known_.end() && now == nullptr) return container_change::none;
    // Most observations come from the safety-net poll and change nothing: their serialised bytes
    // are compared (about 20 times cheaper than MessageDifferencer's reflection, and no JSON is
    // built). Equal messages may serialise differently (map order): that only costs the JSON
    // comparison below.
    if (it != known_.end() && now != nullptr) {
        it->second.SerializeToString(&scratch_before_);
        now->SerializeToString(&scratch_now_);
        if (scratch_before_ == scratch_now_) return container_change::updated;
    }
    if (!publishing) {  // nothing is published without an identity; registration sends everything
        if (now == nullptr) {
            known_.erase(it);
            return container_change::removed;
        }
        known_[id] = *now;
        return it == known_.end() ? container_change::created : container_change::updated;
    }
    const bool factory = enabled(features::container_factory);
    const auto path = feature_path(features::container_feature_id(id));
    const auto state_path = path + "/properties/status/state";

    if (it == known_.end()) {
        known_[id] = *now;
        if (factory) {
            // Write-ahead: the id is on disk before its feature can reach the cloud, so a daemon
            // killed in between still deletes the feature once the container is gone.
            persisted_.insert(id);
            write_persisted(false, out);
            publish_modify(path, container_feature_json(*now), out);
            publish_modify(state_path, container_state_json(now->state()), out);
        }
        if (enabled(features::software_updatable)) publish_dependencies(out);
        return container_change::created;
    }
    if (now == nullptr) {  // DEAD first (keeping the last known fields), then the delete
        const auto last = std::move(it->second);
        known_.erase(it);
        if (factory) {
            if (last.state().status() != "Dead") {
                auto dead = container_state_json(last.state());
                dead["status"] = "DEAD";
                publish_modify(state_path, dead, out);
            }
            out.push_back(publish{event_topic_, twin_delete(*thing_, path), 1, path});
            // The id stays in the persistence file until the next burst (see persisted_).
        }
        if (enabled(features::software_updatable)) publish_dependencies(out);
        return container_change::removed;
    }
    auto& before = it->second;
    if (factory) {
        if (before.name() != now->name()) {
            publish_modify(path + "/properties/status/name", json::value(now->name()), out);
        }
        auto config = container_config_json(*now);
        if (config != container_config_json(before))
            publish_modify(path + "/properties/status/config", config, out);
        auto state = container_state_json(now->state());
        if (state != container_state_json(before.state())) publish_modify(state_path, state, out);
    }
    const bool started =
        now->state().status() == "Running" && before.state().status() != "Running" && now->state().pid() > 0;
    before = *now;
    return started ? container_change::started : container_change::updated;
}

void thing_model::poll_tick(bool publishing, actions& out) {
    // Two ticks: at least one whole poll interval in the same session since the burst.
    if (!publishing || unconfirmed_deletes_.empty() || ++ticks_since_burst_ < 2) return;
    for (const auto& id : unconfirmed_deletes_) {
        if (known_.count(id) == 0) persisted_.erase(id);
    }
    unconfirmed_deletes_.clear();
    write_persisted(true, out);
}

std::size_t thing_model::publish_all(const std::set<std::string>& persisted, actions& out) {
    std::size_t stale = 0;
    if (enabled(features::container_factory)) {
        std::set<std::string> gone;
        for (const auto& id : persisted) {
            if (known_.count(id) == 0) gone.insert(id);
        }
        for (const auto& id : unconfirmed_deletes_) {
            if (known_.count(id) == 0) gone.insert(id);
        }
        unconfirmed_deletes_ = gone;
        ticks_since_burst_ = 0;
        // Write-ahead, as for a single container: every id whose feature may exist in the cloud is
        // on disk before the burst goes out. A stale id stays in the file until the burst has
        // lasted (poll_tick): its delete may still be lost (SIGKILL before it is sent, a broker that
        // restarts before delivering it), and then the next burst, or the next daemon, sends it again.
        persisted_.clear();
        for (const auto& [id, c] : known_) persisted_.insert(id);
        persisted_.insert(gone.begin(), gone.end());
        write_persisted(true, out);
        for (const auto& [id, c] : known_) {
            publish_modify(feature_path(features::container_feature_id(id)), container_feature_json(c), out);
        }
        for (const auto& id : gone) {
            const auto path = feature_path(features::container_feature_id(id));
            out.push_back(publish{event_topic_, twin_delete(*thing_, path), 1, path});
            ++stale;
        }
        publish_modify(feature_path(features::container_factory),
                       definition_only(features::container_factory_definition), out);
    }
    if (enabled(features::software_updatable)) {
        json::object status{{"softwareModuleType", features::software_module_type}};
        if (!known_.empty()) status["installedDependencies"] = installed_dependencies(sorted_containers());
        publish_modify(feature_path(features::software_updatable),
                       json::object{{"definition", json::array{features::software_updatable_definition}},
                                    {"properties", json::object{{"status", std::move(status)}}}},
                       out);
    }
    if (enabled(features::metrics)) {
        publish_modify(feature_path(features::metrics), definition_only(features::metrics_definition), out);
    }
    return stale;
}

}  // namespace twin
