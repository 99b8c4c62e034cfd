// The update agent's current state: the agent's own software node, then one CONTAINER node per
// container (system containers included) with its configuration as key/value parameters, and
// one association from the agent to each. Non-verbose reports leave out values at their
// defaults; verbose reports write them.
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "kanto_cm_types.hpp"

namespace update_agent {

struct inventory_config {
    std::string domain = "containers";
    bool verbose = false;
    std::string agent_version = "n/a";  // Kanto-CM's project version
};

boost::json::object inventory(const std::vector<kcm::types::Container>& containers,
                              const inventory_config& cfg);

// The parameters of one container node, in Kanto's order.
boost::json::array container_parameters(const kcm::types::Container& c, bool verbose);

}  // namespace update_agent
