// libFuzzer target: a desired-state message from the broker (anyone who may publish on
// containersupdate/desiredstate) through the update agent's decoding, conversion and checks, and
// through the agent itself. Nothing may crash, hang or grow without bound; a message is dropped,
// refused with IDENTIFICATION_FAILED, or identified.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent.hpp"
#include "envelope.hpp"
#include "operation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    update_agent::inbound_envelope env;
    if (update_agent::decode_envelope(text, env).empty()) {
        update_agent::desired_state ds;
        if (update_agent::decode_desired_state(env.payload, ds).empty()) {
            update_agent::prepared_state p;
            if (update_agent::prepare(ds, "containers", {"sua"}, p).empty()) {
                std::vector<std::string> warnings;
                auto op = update_agent::identify(p, "containers", env.activity_id, {}, warnings);
                if (op.actions.size() > p.desired.size()) __builtin_trap();  // nothing to destroy here
            }
        }
    }
    update_agent::agent agent({});
    auto out = agent.on_message("containersupdate/desiredstate", text, 1);
    for (const auto& a : out) {
        if (const auto* l = std::get_if<update_agent::list_containers>(&a))
            (void)agent.on_listed(l->tag, true, {}, {}, 2);
    }
    (void)agent.on_message("containersupdate/desiredstate/command", text, 3);
    return 0;
}
