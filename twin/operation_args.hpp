// Inputs of the cloud operations (things.md §7.1, §7.2) decoded like Kanto's Go handlers, and the
// twin config -> Kanto-CM container mapping of §7.1.1 (reverse enum tables A-E).
#pragma once

#include <optional>
#include <string>
#include <variant>

#include <boost/json/value.hpp>

#include "go_json.hpp"
#include "kanto_cm_types.hpp"

namespace twin {
namespace go_json = kanto::go_json;

// Reverse enum tables (twin value -> Kanto-CM value); unknown values pass through, except
// propagation modes, which become "rprivate" (bug B4, kept for compatibility).
std::string restart_policy_from_twin(const std::string& v);
std::string network_mode_from_twin(const std::string& v);
std::string log_type_from_twin(const std::string& v);
std::string log_mode_from_twin(const std::string& v);
std::string propagation_from_twin(const std::string& v);

struct create_args {
    std::string image_ref;
    bool start = false;
    kcm::types::Container container;  // name, image and the mapped config
};

// value: the request's value or nullptr when absent. Each returns the args or a 400 error text.
std::variant<create_args, std::string> decode_create(const boost::json::value* value);
std::variant<create_args, std::string> decode_create_with_config(const boost::json::value* value);
std::variant<kcm::types::StopOptions, std::string> decode_stop_options(const boost::json::value* value);
std::variant<std::string, std::string> decode_name(const boost::json::value* value);  // index 0: name
std::variant<bool, std::string> decode_force(const boost::json::value* value);
std::variant<kcm::types::UpdateOptions, std::string> decode_update(const boost::json::value* value);

// The config object of createWithConfig into `c`; `at` names where it sits, for Go's error texts.
std::string apply_twin_config(const boost::json::object& config, kcm::types::Container& c,
                              const go_json::target& at = {"", "", "things.configuration"});

}  // namespace twin
