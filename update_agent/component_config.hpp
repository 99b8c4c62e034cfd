// A desired-state component as the Kanto-CM container it stands for (Kanto's toContainer, then
// Kanto-CM's defaults and validation). Every value is a string: "true"/"1" for booleans, "5" for
// integers, "200M" for sizes. device, port, host, mount, env and cmd may repeat (each adds one);
// for any other key the last one wins; unknown keys are ignored. A malformed device, port or mount
// is dropped and a malformed boolean or integer is taken as false or 0, each with a warning, as
// Kanto does.
#pragma once

#include <string>
#include <vector>

#include "desired_state.hpp"
#include "kanto_cm_types.hpp"

namespace update_agent {

struct conversion {
    kcm::types::Container container;  // no id: Kanto-CM gives the new container one at Create
    std::string error;                // non-empty: Kanto's validation text
    std::vector<std::string> warnings;
};

conversion to_container(const component& c);

}  // namespace update_agent
