// Kanto-CM's comparison of an existing container with a desired one, rule by rule.
#include <doctest/doctest.h>

#include "container_compare.hpp"

using kanto::update_action;

namespace {

kcm::types::Container base() {
    kcm::types::Container c;
    c.set_name("app");
    c.mutable_image()->set_name("img:1");
    auto* m = c.add_mounts();
    m->set_source("/a");
    m->set_destination("/b");
    m->set_propagation_mode("rprivate");
    c.mutable_config()->add_env("A=1");
    c.mutable_config()->add_env("B=2");
    c.mutable_config()->add_cmd("run");
    c.mutable_config()->add_cmd("--fast");
    auto* h = c.mutable_host_config();
    h->set_network_mode("bridge");
    h->add_extra_hosts("x:host_ip");
    h->add_extra_hosts("y:host_ip");
    auto* p = h->add_port_mappings();
    p->set_protocol("tcp");
    p->set_container_port(80);
    p->set_host_port(8080);
    p->set_host_port_end(8080);
    p->set_host_ip("0.0.0.0");
    h->mutable_log_config()->mutable_driver_config()->set_type("json-file");
    h->mutable_log_config()->mutable_driver_config()->set_max_size("100M");
    h->mutable_restart_policy()->set_type("unless-stopped");
    return c;
}

}  // namespace

TEST_CASE("determine_update_action: Kanto's rules, first match wins") {
    const auto current = base();
    CHECK(kanto::determine_update_action(nullptr, current) == update_action::create);
    CHECK(kanto::determine_update_action(&current, current) == update_action::check);

    auto d = base();  // sets ignore order
    d.mutable_config()->mutable_env()->SwapElements(0, 1);
    d.mutable_host_config()->mutable_extra_hosts()->SwapElements(0, 1);
    CHECK(kanto::determine_update_action(&current, d) == update_action::check);

    d = base();  // cmd is ordered
    d.mutable_config()->mutable_cmd()->SwapElements(0, 1);
    CHECK(kanto::determine_update_action(&current, d) == update_action::recreate);

    d = base();
    d.mutable_image()->set_name("img:2");
    CHECK(kanto::determine_update_action(&current, d) == update_action::recreate);

    d = base();
    d.mutable_mounts(0)->set_propagation_mode("shared");
    CHECK(kanto::determine_update_action(&current, d) == update_action::recreate);

    d = base();
    d.clear_config();  // exactly one side absent
    CHECK(kanto::determine_update_action(&current, d) == update_action::recreate);

    d = base();
    d.mutable_io_config()->set_tty(true);
    CHECK(kanto::determine_update_action(&current, d) == update_action::recreate);

    d = base();
    d.mutable_host_config()->mutable_port_mappings(0)->set_host_port(9090);
    CHECK(kanto::determine_update_action(&current, d) == update_action::recreate);

    d = base();
    d.mutable_host_config()->add_extra_capabilities("CAP_NET_ADMIN");
    CHECK(kanto::determine_update_action(&current, d) == update_action::recreate);

    d = base();
    d.mutable_host_config()->mutable_log_config()->mutable_driver_config()->set_max_size("1M");
    CHECK(kanto::determine_update_action(&current, d) == update_action::recreate);

    d = base();
    d.mutable_host_config()->mutable_resources()->set_memory("100M");
    CHECK(kanto::determine_update_action(&current, d) == update_action::update);

    d = base();
    d.mutable_host_config()->mutable_restart_policy()->set_type("always");
    CHECK(kanto::determine_update_action(&current, d) == update_action::update);

    d = base();  // Kanto's quirk: without driver configs the mode configs are not compared
    auto c2 = base();
    c2.mutable_host_config()->mutable_log_config()->clear_driver_config();
    c2.mutable_host_config()->mutable_log_config()->mutable_mode_config()->set_mode("blocking");
    d.mutable_host_config()->mutable_log_config()->clear_driver_config();
    d.mutable_host_config()->mutable_log_config()->mutable_mode_config()->set_mode("non-blocking");
    CHECK(kanto::determine_update_action(&c2, d) == update_action::check);

    CHECK(std::string(kanto::action_message(update_action::update)) ==
          "Existing container will be updated with new configuration.");
}
