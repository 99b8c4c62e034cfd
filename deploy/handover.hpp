// The auto-deployer's hand-over to the container update agent: a feedback message on
// containersupdate/desiredstatefeedback whose payload.status is "IDENTIFIED" means an OTA desired
// state is being applied, so the auto-deployer disables itself (renames its lock file) and exits.
#pragma once

#include <cstddef>
#include <string>

namespace deploy {

// A feedback message larger than this is not read (a real one lists one action per container).
inline constexpr std::size_t max_feedback_bytes = 4 * 1024 * 1024;

// Whether a feedback message hands over: a JSON object with payload.status exactly "IDENTIFIED".
// Anything else (not JSON, other statuses, larger than max_feedback_bytes) does not.
bool is_identified_feedback(const std::string& message);

// The lock file's disabled name: its extension replaced by "disabled" (KAD.enabled -> KAD.disabled).
std::string disabled_lock_path(const std::string& lock_path);

}  // namespace deploy
