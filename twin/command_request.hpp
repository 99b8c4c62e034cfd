// A cloud command that passed the validation pipeline, and the ways to answer it (things.md §4.6,
// §4.7): one-way commands are executed but not answered.
#pragma once

#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "actions.hpp"
#include "command.hpp"

namespace twin {

struct command_request {
    std::string reply_thing;  // <id> of command//<id>/res/...
    std::string req_id;
    std::string ditto_topic;
    std::string path;
    std::optional<std::string> correlation_id;
    bool one_way = true;
    std::string feature;
    std::string operation;
    std::optional<boost::json::value> value;
};

void reply(const command_request& req, int status, const std::optional<boost::json::value>& value,
           actions& out);
// An error answer at `path`, logged at info with the request id.
void reply_error(const command_request& req, const error_info& e, const std::string& path, actions& out);
// An answer at the operation's outbox path.
void reply_outbox(const command_request& req, int status, const std::optional<boost::json::value>& value,
                  actions& out);
void reply_outbox_error(const command_request& req, const error_info& e, actions& out);

}  // namespace twin
