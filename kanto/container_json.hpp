// Kanto-CM's internal container JSON: the gRPC Container with Kanto's snake_case field names, as in
// its state files and in SoftwareUpdatable descriptors (and the auto-deployer's internal-state
// manifests). Decoded the way Go's encoding/json decodes it into Kanto's types: keys match
// case-insensitively, unknown keys are ignored, a type mismatch fails with Go's text.
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "kanto_cm_types.hpp"

namespace kanto {

// Fills `c` from `o`; "" or the Go error text (e.g. "json: cannot unmarshal string into Go struct
// field Container.config.cmd of type []string").
std::string container_from_json(const boost::json::object& o, kcm::types::Container& c);

}  // namespace kanto
