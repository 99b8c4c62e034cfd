// What the concerns of the twin core share, handed to each by the router (like the connection state
// Boost.MySQL's sans-I/O algorithms resume with): the twin model, the reader of Kanto-CM, whether
// the twin is published, and the numbering of Kanto-CM calls and downloads.
#pragma once

#include <cstdint>

#include "read_scheduler.hpp"
#include "registration.hpp"
#include "thing_model.hpp"

namespace twin {

struct core_context {
    const core_config& config;
    thing_model& model;
    read_scheduler& reads;
    const registration& reg;
    std::uint64_t next_call = 1;

    std::uint64_t new_call() { return next_call++; }
    container_change observe(const std::string& id, const kcm::types::Container* now, actions& out) {
        return model.observe(id, now, reg.publishing(), out);
    }
};

}  // namespace twin
