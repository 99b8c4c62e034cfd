// A tiny in-memory Kanto-CM for core unit tests: executes a kanto::request the way Kanto-CM
// answers it (Create gives an id and Kanto-CM's defaults, Start of a running container fails,
// Update applies its options, an unknown id fails except for Get, which answers none).
#pragma once

#include <map>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "calls.hpp"
#include "container_rules.hpp"

namespace steps {

class memory_kanto {
  public:
    std::map<std::string, kcm::types::Container> containers;
    bool apply_defaults = false;  // Kanto-CM's Create defaults (the update agent compares against them)

    std::vector<kcm::types::Container> list() const {
        std::vector<kcm::types::Container> out;
        for (const auto& [id, c] : containers) out.push_back(c);
        return out;
    }

    kanto::result call(const kanto::request& request) {
        kanto::result r;
        std::visit([&](const auto& q) { r = execute(q); }, request);
        return r;
    }

  private:
    static kanto::result failure(std::string text) { return {false, std::move(text), std::nullopt}; }

    kanto::result execute(const kcm::svc::CreateContainerRequest& q) {
        auto c = q.container();
        const auto id = "new-" + std::to_string(++created_);
        if (apply_defaults) kanto::apply_create_defaults(c, id);
        c.set_id(id);
        c.mutable_state()->set_status("Created");
        c.mutable_state()->set_pid(-1);
        containers[c.id()] = c;
        return {true, {}, c};
    }

    template <class Q>
    kanto::result execute(const Q& q) {
        auto it = containers.find(q.id());
        if (it == containers.end()) {
            if constexpr (std::is_same_v<Q, kcm::svc::GetContainerRequest>) return {};  // unknown: OK, none
            return failure("container with ID = " + q.id() + " does not exist");
        }
        auto& c = it->second;
        auto& st = *c.mutable_state();
        if constexpr (std::is_same_v<Q, kcm::svc::GetContainerRequest>) {
            return {true, {}, c};
        } else if constexpr (std::is_same_v<Q, kcm::svc::StartContainerRequest>) {
            if (st.status() == "Running")
                return failure("the container with id = " + q.id() + " is already running");
            st.set_status("Running");
            st.set_pid(100 + created_);
        } else if constexpr (std::is_same_v<Q, kcm::svc::UnpauseContainerRequest>) {
            st.set_status("Running");
        } else if constexpr (std::is_same_v<Q, kcm::svc::StopContainerRequest>) {
            st.set_status("Stopped");
            st.set_pid(-1);
        } else if constexpr (std::is_same_v<Q, kcm::svc::PauseContainerRequest>) {
            st.set_status("Paused");
        } else if constexpr (std::is_same_v<Q, kcm::svc::RenameContainerRequest>) {
            c.set_name(q.name());
        } else if constexpr (std::is_same_v<Q, kcm::svc::UpdateContainerRequest>) {
            const auto& o = q.updateoptions();
            auto* hc = c.mutable_host_config();
            if (o.has_restart_policy()) *hc->mutable_restart_policy() = o.restart_policy();
            if (o.has_resources()) {
                const auto& res = o.resources();
                if (res.memory().empty() && res.memory_reservation().empty() && res.memory_swap().empty()) {
                    hc->clear_resources();  // Kanto-CM's "remove every limit"
                } else {
                    *hc->mutable_resources() = res;
                }
            }
        } else if constexpr (std::is_same_v<Q, kcm::svc::RemoveContainerRequest>) {
            containers.erase(it);
        }
        return {};
    }

    int created_ = 0;
};

}  // namespace steps
