// What the twin shows: the thing, the containers as last observed and the ids in the persistence
// file; and the twin commands that bring the cloud's copy to it (things.md §6.4, §11). Whether
// anything is published is the registration's decision, passed in.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "actions.hpp"
#include "core_config.hpp"
#include "kanto_cm_types.hpp"
#include "thing_id.hpp"

namespace twin {

enum class container_change { none, created, removed, updated, started };

class thing_model {
  public:
    explicit thing_model(const core_config& config) : config_(config) {}

    bool enabled(std::string_view feature) const;

    void set_thing(const thing_id& thing, const std::string& tenant);
    const std::optional<thing_id>& thing() const { return thing_; }
    const std::string& event_topic() const { return event_topic_; }  // e/<tenant>/<thing>
    std::string persistence_path() const;
    std::string legacy_persistence_path() const;

    // Records an observation of container `id` (null: gone); when `publish`, sends the difference.
    container_change observe(const std::string& id, const kcm::types::Container* now, bool publishing,
                             actions& out);

    // The registration burst (things.md §6.2): every feature, stale Container features deleted.
    // Returns the number of stale features.
    std::size_t publish_all(const std::set<std::string>& persisted, actions& out);
    // A poll tick: once a burst has been out for a whole poll interval while publishing (no
    // reconnect since), its deletes count as delivered and their ids leave the file.
    void poll_tick(bool publishing, actions& out);

    void publish_modify(const std::string& path, const boost::json::value& value, actions& out) const;
    void publish_event(std::string payload, actions& out) const;  // a message on the event topic

    const std::map<std::string, kcm::types::Container>& containers() const { return known_; }
    std::vector<const kcm::types::Container*> sorted_containers() const;

  private:
    void publish_dependencies(actions& out) const;
    void write_persisted(bool null_when_empty, actions& out) const;

    const core_config& config_;
    std::optional<thing_id> thing_;
    std::string event_topic_;
    std::map<std::string, kcm::types::Container> known_;  // the last observation, sorted by id
    // Ids in the persistence file: every container whose feature may exist in the cloud. A removed
    // container's id stays until a registration burst deleted its feature and the session then
    // lasted a whole poll interval (Kanto drops it at once), so a delete lost with the connection,
    // the broker or the process (SIGKILL before it was sent) is sent again, also by the next daemon.
    std::set<std::string> persisted_;
    // Stale features the last burst deleted, still in the file; poll_tick drops them.
    std::set<std::string> unconfirmed_deletes_;
    int ticks_since_burst_ = 0;
    // Reused buffers for comparing an observation with the last one (no allocation per poll).
    std::string scratch_before_, scratch_now_;
};

std::string feature_path(std::string_view feature);

}  // namespace twin
