#include "command_request.hpp"

namespace twin {

void reply(const command_request& req, int status, const std::optional<boost::json::value>& value,
           actions& out) {
    if (req.one_way) return;  // executed, only not answered (Q1)
    out.push_back(publish{response_topic(req.reply_thing, req.req_id, status),
                          response_envelope(req.ditto_topic, req.correlation_id, req.path, value, status)});
}

void reply_error(const command_request& req, const error_info& e, const std::string& path, actions& out) {
    out.push_back(log{log_level::info, "command " + req.path + " (" + req.req_id +
                                           "): " + std::to_string(e.status) + " " + e.message});
    command_request r = req;
    r.path = path;
    reply(r, e.status, error_value(e), out);
}

void reply_outbox(const command_request& req, int status, const std::optional<boost::json::value>& value,
                  actions& out) {
    command_request r = req;
    r.path = outbox_path(req.feature, req.operation);
    reply(r, status, value, out);
}

void reply_outbox_error(const command_request& req, const error_info& e, actions& out) {
    reply_error(req, e, outbox_path(req.feature, req.operation), out);
}

}  // namespace twin
