// Expected feedback of Kanto's update agent conformance vector 5 (the five-container fixture:
// c1 paused and unchanged, c2 with a new image, c3 with restart policy "no", c4 new, c5 stopped
// and not desired), shared by the core test and the end-to-end test.
#pragma once

#include <string>
#include <vector>

namespace vectors {

inline const std::vector<std::string> fixture_identified{
    "containers:c1 IDENTIFIED No changes detected, existing container will be check only if it is running.",
    "containers:c2 IDENTIFIED Existing container will be destroyed and replaced by a new one.",
    "containers:c3 IDENTIFIED Existing container will be updated with new configuration.",
    "containers:c4 IDENTIFIED New container will be created and started.",
    "containers:c5 IDENTIFIED Existing container will be destroyed, no longer needed."};

inline const std::vector<std::string> fixture_activated{
    "containers:c1 ACTIVATION_SUCCESS Existing container instance is running.",
    "containers:c2 ACTIVATION_SUCCESS New container instance is started.",
    "containers:c3 ACTIVATION_SUCCESS Container instance is updated with new configuration.",
    "containers:c4 ACTIVATION_SUCCESS New container instance is started.",
    "containers:c5 UPDATE_SUCCESS Old container instance is stopped."};

}  // namespace vectors
