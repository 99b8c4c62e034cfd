// The update agent's MQTT topics. The prefix comes from the domain: every '-' removed, then
// "update" appended unless it already ends so ("containers" -> "containersupdate", "my-apps" ->
// "myappsupdate", "self-update" -> "selfupdate").
#pragma once

#include <string>

namespace update_agent {

struct topics {
    std::string desired_state;      // in
    std::string command;            // in: desiredstate/command
    std::string current_state_get;  // in
    std::string feedback;           // out, not retained
    std::string current_state;      // out, retained
};

std::string topic_prefix(const std::string& domain);
topics topics_for(const std::string& domain);

}  // namespace update_agent
