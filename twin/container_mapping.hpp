// gRPC Container -> Container:<id> feature JSON, exactly as Kanto's things service maps it
// (things.md §6.3: key order, omit rules, enum tables A-F).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "kanto_cm_types.hpp"

namespace twin {

// Enum tables (twin value from Kanto/gRPC value); unknown values pass through, except
// propagation modes (-> RPRIVATE) and statuses (-> UNKNOWN).
std::string restart_policy_to_twin(const std::string& v);  // A
std::string network_mode_to_twin(const std::string& v);    // B
std::string log_type_to_twin(const std::string& v);        // C
std::string log_mode_to_twin(const std::string& v);        // D
std::string propagation_to_twin(const std::string& v);     // E
std::string status_to_twin(const std::string& v);          // F

boost::json::object container_config_json(const kcm::types::Container& c);   // status.config
boost::json::object container_state_json(const kcm::types::State& s);        // status.state
boost::json::object container_status_json(const kcm::types::Container& c);   // properties.status
boost::json::object container_feature_json(const kcm::types::Container& c);  // definition + properties

}  // namespace twin
