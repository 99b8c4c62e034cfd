// The desired state of the update agent's domain, as the update manager sends it: exactly one
// domain whose components are containers, each given by key/value strings, and optional
// baselines grouping "<domain>:<name>" components for per-baseline commands.
#pragma once

#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace update_agent {

struct key_value {
    std::string key;
    std::string value;
};

struct component {
    std::string id;  // the container name
    std::string version;
    std::vector<key_value> config;
};

struct domain {
    std::string id;
    std::vector<key_value> config;
    std::vector<component> components;
};

struct baseline {
    std::string title;
    std::vector<std::string> components;  // "<domain>:<name>"
};

struct desired_state {
    std::vector<baseline> baselines;
    std::vector<domain> domains;
};

// Decodes a desired-state payload (null or absent: an empty desired state). "" or Go's decoding
// error, for which the message is dropped as Kanto does.
std::string decode_desired_state(const boost::json::value& payload, desired_state& out);

// The command payload {"command", "baseline"}.
struct command {
    std::string name;      // DOWNLOAD, UPDATE, ACTIVATE, ROLLBACK, CLEANUP
    std::string baseline;  // "" or "*": every action
};
std::string decode_command(const boost::json::value& payload, command& out);

}  // namespace update_agent
