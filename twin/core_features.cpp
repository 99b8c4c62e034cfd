// SoftwareUpdatable and Metrics operations of the core (things.md §7.3, §7.4, §8, §9).
#include <boost/json.hpp>

#include "core.hpp"
#include "features.hpp"

namespace twin {

void core::handle_software_updatable(const command_request& req, actions& out) {
    const auto path = "/features/" + req.feature + "/outbox/messages/" + req.operation;
    reply_error(req, subject_not_found("unsupported operation called [operationId = " + req.operation + "]"), path, out);
}

void core::handle_metrics(const command_request& req, actions& out) {
    const auto path = "/features/" + req.feature + "/outbox/messages/" + req.operation;
    reply_error(req, subject_not_found("unsupported operation " + req.operation), path, out);
}

}  // namespace twin
