// The validation pipeline for cloud commands (things.md §5) in Kanto's exact order and texts: a raw
// message on command//<thing>/req/... in, either a validated request for a feature's handler or an
// error answer out. Twin events on the same subscription (§5.1) are read here too. Stateless.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "actions.hpp"
#include "command.hpp"
#include "command_request.hpp"
#include "thing_id.hpp"

namespace twin {

struct pipeline_view {
    const thing_id* thing = nullptr;  // null before the first identity
    bool accepting = false;           // registered, and the thing not deleted by the cloud
    std::function<bool(const std::string& feature)> has_feature;
    std::size_t max_payload = 0;
};

// The request to dispatch, or nullopt when it was answered (or dropped) here.
std::optional<command_request> validate_command(const hono_command_topic& t, const std::string& payload,
                                                const pipeline_view& view, actions& out);

enum class twin_event { none, thing_deleted, thing_created };
// What a twin event means for our thing; feature events change nothing (the original strips the
// feature's operations, B6).
twin_event read_twin_event(const hono_command_topic& t, const std::string& payload, const thing_id* thing,
                           actions& out);

}  // namespace twin
