// Kanto-CM's comparison of an existing container with a desired one (containers_compare.go,
// DetermineUpdateAction), shared by the deployment service's update mode and the update agent.
// Rules, first match wins: no current container -> create; the image name, mounts (as a set),
// config (cmd in order, env as a set), io_config (open_stdin, tty) or host_config (privileged,
// network mode, the sets of devices, extra hosts, extra capabilities and port mappings, the log
// config) differ -> recreate; resources or restart policy differ -> update in place; else check.
// Message presence counts as Go's nil: exactly one side absent differs.
#pragma once

#include "kanto_cm_types.hpp"

namespace kanto {

enum class update_action { check, create, recreate, update };

update_action determine_update_action(const kcm::types::Container* current,
                                      const kcm::types::Container& desired);

// Kanto's identification texts for each action (GetActionMessage).
const char* action_message(update_action a);

}  // namespace kanto
