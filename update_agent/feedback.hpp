// The desired-state feedback payload: {"baseline", "status", "message", "actions"}, empty values
// left out as Go's omitempty does. Every feedback of an operation carries all of its actions.
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "operation.hpp"

namespace update_agent {

boost::json::object feedback_payload(const std::string& status, const std::string& baseline = {},
                                     const std::string& message = {},
                                     const std::vector<component_action>* actions = nullptr);

}  // namespace update_agent
