#include "container_compare.hpp"

#include <algorithm>

#include <google/protobuf/util/message_differencer.h>

namespace kanto {
namespace {

using google::protobuf::util::MessageDifferencer;

// Go's set comparison: same length, and each element of one side appears in the other (so
// duplicates are not counted exactly).
template <class List, class Eq>
bool same_set(const List& a, const List& b, Eq eq) {
    if (a.size() != b.size()) return false;
    auto in = [&](const auto& x, const List& l) {
        return std::any_of(l.begin(), l.end(), [&](const auto& y) { return eq(x, y); });
    };
    return std::all_of(a.begin(), a.end(), [&](const auto& x) { return in(x, b); }) &&
           std::all_of(b.begin(), b.end(), [&](const auto& x) { return in(x, a); });
}

template <class List>
bool same_set(const List& a, const List& b) {
    return same_set(a, b, [](const auto& x, const auto& y) { return x == y; });
}

template <class Msg>
bool same_messages(const google::protobuf::RepeatedPtrField<Msg>& a,
                   const google::protobuf::RepeatedPtrField<Msg>& b) {
    return same_set(a, b, [](const Msg& x, const Msg& y) { return MessageDifferencer::Equals(x, y); });
}

bool config_differs(const kcm::types::Container& c, const kcm::types::Container& d) {
    if (c.has_config() != d.has_config()) return true;
    if (!c.has_config()) return false;
    const auto& a = c.config();
    const auto& b = d.config();
    const bool cmd_equal =
        a.cmd_size() == b.cmd_size() && std::equal(a.cmd().begin(), a.cmd().end(), b.cmd().begin());
    return !cmd_equal || !same_set(a.env(), b.env());
}

bool io_differs(const kcm::types::Container& c, const kcm::types::Container& d) {
    if (c.has_io_config() != d.has_io_config()) return true;
    if (!c.has_io_config()) return false;
    return c.io_config().open_stdin() != d.io_config().open_stdin() ||
           c.io_config().tty() != d.io_config().tty();
}

bool log_differs(const kcm::types::HostConfig& a, const kcm::types::HostConfig& b) {
    if (a.has_log_config() != b.has_log_config()) return true;
    if (!a.has_log_config()) return false;
    const auto& x = a.log_config();
    const auto& y = b.log_config();
    if (x.has_driver_config() != y.has_driver_config()) return true;
    if (!x.has_driver_config()) return false;  // Kanto's quirk: mode configs are then not compared
    if (!MessageDifferencer::Equals(x.driver_config(), y.driver_config())) return true;
    if (x.has_mode_config() != y.has_mode_config()) return true;
    return x.has_mode_config() && !MessageDifferencer::Equals(x.mode_config(), y.mode_config());
}

bool host_differs(const kcm::types::Container& c, const kcm::types::Container& d) {
    if (c.has_host_config() != d.has_host_config()) return true;
    if (!c.has_host_config()) return false;
    const auto& a = c.host_config();
    const auto& b = d.host_config();
    return a.privileged() != b.privileged() || a.network_mode() != b.network_mode() ||
           !same_messages(a.devices(), b.devices()) || !same_set(a.extra_hosts(), b.extra_hosts()) ||
           !same_set(a.extra_capabilities(), b.extra_capabilities()) ||
           !same_messages(a.port_mappings(), b.port_mappings()) || log_differs(a, b);
}

bool updatable_differs(const kcm::types::Container& c, const kcm::types::Container& d) {
    const bool c_host = c.has_host_config(), d_host = d.has_host_config();
    const auto& a = c.host_config();
    const auto& b = d.host_config();
    const bool ar = c_host && a.has_resources(), br = d_host && b.has_resources();
    if (ar != br || (ar && !MessageDifferencer::Equals(a.resources(), b.resources()))) return true;
    const bool ap = c_host && a.has_restart_policy(), bp = d_host && b.has_restart_policy();
    return ap != bp || (ap && !MessageDifferencer::Equals(a.restart_policy(), b.restart_policy()));
}

}  // namespace

update_action determine_update_action(const kcm::types::Container* current,
                                      const kcm::types::Container& desired) {
    if (current == nullptr) return update_action::create;
    const auto& c = *current;
    if (c.image().name() != desired.image().name()) return update_action::recreate;
    if (!same_messages(c.mounts(), desired.mounts())) return update_action::recreate;
    if (config_differs(c, desired) || io_differs(c, desired) || host_differs(c, desired)) {
        return update_action::recreate;
    }
    if (updatable_differs(c, desired)) return update_action::update;
    return update_action::check;
}

const char* action_message(update_action a) {
    switch (a) {
        case update_action::check:
            return "No changes detected, existing container will be check only if it is running.";
        case update_action::create:
            return "New container will be created and started.";
        case update_action::recreate:
            return "Existing container will be destroyed and replaced by a new one.";
        case update_action::update:
            return "Existing container will be updated with new configuration.";
    }
    return "";
}

}  // namespace kanto
