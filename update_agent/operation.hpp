// One update operation: the actions identified for a desired state and the baselines that group
// them, each with its own status. Identification compares every desired container with the
// same-named current one (Kanto's rules, kanto/container_compare) and destroys the current
// containers nobody asked for, except system containers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "desired_state.hpp"
#include "kanto_cm_types.hpp"

namespace update_agent {

enum class action_type { check, create, recreate, update, destroy };

struct component_action {
    action_type type = action_type::check;
    std::string component_id;  // "<domain>:<name>"
    std::string version;
    std::string status = "IDENTIFIED";
    std::string message;
    std::optional<kcm::types::Container> current;  // the existing container (all but create)
    kcm::types::Container desired;                 // all but destroy
    std::string created_id;                        // the new container, once created
};

struct baseline_state {
    std::string title;
    std::vector<std::size_t> actions;  // indexes into operation::actions, in order
    std::string status = "IDENTIFIED";
};

struct operation {
    std::string activity_id;
    std::vector<component_action> actions;
    std::vector<baseline_state> baselines;  // declared, one per unclaimed container, remove-components
    baseline_state all;                     // "" or "*" in a command

    baseline_state* find_baseline(const std::string& title);
};

// A desired state converted and checked, before Kanto-CM is asked for its containers.
struct prepared_state {
    struct desired_container {
        std::string name;
        std::string version;
        kcm::types::Container container;
    };
    std::vector<desired_container> desired;
    std::vector<std::pair<std::string, std::vector<std::size_t>>> declared;  // title -> desired indexes
    std::vector<std::string> system_containers;
    std::vector<std::string> warnings;
};

// Converts and validates (one domain, the right domain id, every component, the baselines).
// "" or the IDENTIFICATION_FAILED message.
std::string prepare(const desired_state& ds, const std::string& domain,
                    const std::vector<std::string>& configured_system_containers, prepared_state& out);

// The actions against the current containers: desired ones in order (system containers skipped),
// then DESTROY for every other non-system container, by name.
operation identify(const prepared_state& p, const std::string& domain, std::string activity_id,
                   const std::vector<kcm::types::Container>& current, std::vector<std::string>& warnings);

}  // namespace update_agent
