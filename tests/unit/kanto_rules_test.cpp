// Kanto-CM's container rules (twin/kanto_*) and the simulator's pure helpers: sizes, defaults, validation
// texts, signals, timestamps, restart policy (kanto-cm-grpc.md §1.4, §3.3, §4, §5, §7).
#include <doctest/doctest.h>

#include "container_rules.hpp"
#include "restart_policy.hpp"
#include "rfc3339.hpp"
#include "signals.hpp"
#include "sizes.hpp"
#include "uuid.hpp"

#include <regex>

using namespace std::chrono_literals;

namespace {

kcm::types::Container valid_container() {
    kcm::types::Container c;
    c.mutable_image()->set_name("docker.io/library/nginx:1.25");
    kanto::apply_create_defaults(c, "11111111-2222-4333-8444-555555555555");
    return c;
}

}  // namespace

TEST_CASE("size strings follow Kanto's grammar in powers of 1024") {
    CHECK(kanto::parse_size("100M") == 100 * 1024 * 1024);
    CHECK(kanto::parse_size("5k") == 5 * 1024);
    CHECK(kanto::parse_size("1.5g") == 1536LL * 1024 * 1024);
    CHECK_FALSE(
        kanto::parse_size("2522520120111012011111151155m").has_value());  // beyond int64 (found by fuzzing)
    CHECK(kanto::parse_size("8000000000g") == 8000000000LL * 1024 * 1024 * 1024);
    CHECK(kanto::parse_size("3 M") == 3 * 1024 * 1024);
    CHECK_FALSE(kanto::parse_size("100"));
    CHECK_FALSE(kanto::parse_size("100MB"));
    CHECK_FALSE(kanto::parse_size("-1M"));
    CHECK_FALSE(kanto::parse_size("M"));
    CHECK_FALSE(kanto::parse_size("1.2.3M"));
    CHECK_FALSE(kanto::parse_size(""));
    CHECK(kanto::double_size("200m") == "400m");
    CHECK(kanto::double_size("100M") == "200M");
    CHECK(kanto::double_size("1.5G") == "3G");
}

TEST_CASE("Create defaults") {
    kcm::types::Container c;
    c.mutable_image()->set_name("img");
    auto* pm = c.mutable_host_config()->add_port_mappings();
    pm->set_host_port(8080);
    pm->set_container_port(80);
    auto* dev = c.mutable_host_config()->add_devices();
    dev->set_path_on_host("/dev/null");
    c.add_mounts()->set_source("/a");
    c.mutable_host_config()->mutable_resources()->set_memory("200m");
    kanto::apply_create_defaults(c, "the-id");

    CHECK(c.id() == "the-id");
    CHECK(c.name() == "the-id");
    CHECK(c.domain_name() == "the-id-domain");
    CHECK(c.host_name() == "the-id-host");
    const auto& hc = c.host_config();
    CHECK(hc.network_mode() == "bridge");
    CHECK(hc.runtime() == "io.containerd.runc.v2");
    CHECK(hc.restart_policy().type() == "unless-stopped");
    CHECK(hc.log_config().driver_config().type() == "json-file");
    CHECK(hc.log_config().driver_config().max_files() == 2);
    CHECK(hc.log_config().driver_config().max_size() == "100M");
    CHECK(hc.log_config().mode_config().mode() == "blocking");
    CHECK(hc.port_mappings(0).protocol() == "tcp");
    CHECK(hc.port_mappings(0).host_ip() == "0.0.0.0");
    CHECK(hc.port_mappings(0).host_port_end() == 8080);
    CHECK(hc.devices(0).path_in_container() == "/dev/null");
    CHECK(hc.devices(0).cgroup_permissions() == "rwm");
    CHECK(c.mounts(0).propagation_mode() == "rprivate");
    CHECK(hc.resources().memory_swap() == "400m");
    CHECK(c.has_io_config());

    SUBCASE("a named container derives host and domain from the name; -1 swap means unlimited") {
        kcm::types::Container n;
        n.set_name("web");
        n.mutable_image()->set_name("img");
        n.mutable_host_config()->mutable_resources()->set_memory("100M");
        n.mutable_host_config()->mutable_resources()->set_memory_swap("-1");
        n.mutable_host_config()->mutable_log_config()->mutable_mode_config()->set_mode("non-blocking");
        kanto::apply_create_defaults(n, "x");
        CHECK(n.host_name() == "web-host");
        CHECK(n.domain_name() == "web-domain");
        CHECK(n.host_config().resources().memory_swap().empty());
        CHECK(n.host_config().log_config().mode_config().max_buffer_size() == "1M");
    }
    SUBCASE("a present restart policy is kept even with an empty type") {
        kcm::types::Container p;
        p.mutable_image()->set_name("img");
        p.mutable_host_config()->mutable_restart_policy();
        kanto::apply_create_defaults(p, "x");
        CHECK(p.host_config().restart_policy().type().empty());
        CHECK(kanto::validate_container(p) == "unsupported restart policy type ");
    }
}

TEST_CASE("Create validation: each rule's exact text") {
    CHECK(kanto::validate_container(valid_container()).empty());
    auto with = [](auto change) {
        auto c = valid_container();
        change(c);
        return kanto::validate_container(c);
    };
    using C = kcm::types::Container;
    CHECK(with([](C& c) { c.mutable_image()->clear_name(); }) ==
          "the containers image configuration is invalid");
    CHECK(with([](C& c) { c.set_name("-bad"); }) == "invalid container name format : -bad");
    CHECK(with([](C& c) { c.add_mounts()->set_source("/x"); }) ==
          "source and destination must be set for a mount point");
    CHECK(with([](C& c) {
              auto* m = c.add_mounts();
              m->set_source("/x");
              m->set_destination("/y");
              m->set_propagation_mode("RSHARED");
          }) == "propagation mode must be set to one of the supported modes");
    CHECK(with([](C& c) { c.clear_host_config(); }) ==
          "the containers host config is mandatory and is missing");
    CHECK(
        with([](C& c) {
            c.mutable_host_config()->set_privileged(true);
            c.mutable_host_config()->add_extra_capabilities("CAP_NET_ADMIN");
        }) ==
        "cannot create the container as privileged and with extra capabilities at the same time - choose one "
        "of the options");
    CHECK(with([](C& c) { c.mutable_host_config()->set_network_mode(""); }) == "network mode is not set");
    CHECK(with([](C& c) { c.mutable_host_config()->set_network_mode("none"); }) ==
          "unsupported network mode none");
    CHECK(with([](C& c) {
              c.mutable_host_config()->set_network_mode("host");
              c.mutable_host_config()->add_extra_hosts("ctrl:host_ip");
          }) == "cannot use the host_ip reserved key or any of its modifications when in host network mode");
    CHECK(with([](C& c) {
              auto* d = c.mutable_host_config()->add_devices();
              d->set_path_on_host("/dev/a");
              d->set_path_in_container("/dev/b");
          }) == "the cgroup permissions for device mapping /dev/a:/dev/b are not provided");
    CHECK(with([](C& c) {
              c.mutable_host_config()->mutable_log_config()->mutable_driver_config()->set_type("syslog");
          }) == "unsupported log driver configuration");
    CHECK(with([](C& c) {
              c.mutable_host_config()->mutable_log_config()->mutable_driver_config()->set_max_size("lots");
          }) == "invalid format of max logs size - lots");
    CHECK(with([](C& c) {
              auto* p = c.mutable_host_config()->mutable_restart_policy();
              p->set_type("always");
              p->set_maximum_retry_count(3);
          }) == "cannot use max retry count when the restart policy is always");
    CHECK(with([](C& c) { c.mutable_host_config()->mutable_resources()->set_memory("2M"); }) ==
          "minimum memory allowed is 3M");
    CHECK(with([](C& c) {
              auto* r = c.mutable_host_config()->mutable_resources();
              r->set_memory("100M");
              r->set_memory_swap("50M");
          }) == "swap memory - 50M is less than memory - 100M");
    CHECK(with([](C& c) {
              auto* r = c.mutable_host_config()->mutable_resources();
              r->set_memory("100M");
              r->set_memory_reservation("200M");
          }) == "reservation memory - 200M must be lower than memory - 100M");
    CHECK(with([](C& c) { c.mutable_host_config()->mutable_resources()->set_memory_swap("1G"); }) ==
          "swap memory - 1G, memory must be set as well");
    CHECK(with([](C& c) { c.mutable_config()->add_env("1BAD=x"); }) ==
          "invalid environmental variable declaration provided : 1BAD=x");
    CHECK(with([](C& c) {
              c.mutable_config()->add_env("GOOD=x");
              c.mutable_config()->add_env("EMPTY=");
              c.mutable_config()->add_env("BARE");
          }).empty());
    CHECK(with([](C& c) { c.clear_io_config(); }) == "the container's IO config is missing");
}

TEST_CASE("restart policy and resources validation for Update") {
    kcm::types::RestartPolicy p;
    p.set_type("on-failure");
    p.set_maximum_retry_count(-1);
    CHECK(kanto::validate_restart_policy(p) == "restart policy max retry count cannot be negative");
    p.set_maximum_retry_count(2);
    p.set_retry_timeout(-5);
    CHECK(kanto::validate_restart_policy(p) == "restart policy retry timeout cannot be negative");
    p.set_type("Always");
    CHECK(kanto::validate_restart_policy(p) == "unsupported restart policy type Always");
    kcm::types::Resources r;
    r.set_memory("lots");
    CHECK(kanto::validate_resources(r) == "invalid format of memory - lots");
    r.set_memory("100M");
    r.set_memory_swap("-1");
    CHECK(kanto::validate_resources(r).empty());
}

TEST_CASE("stop options: defaults and checks") {
    auto plan = kanto::resolve_stop_options(nullptr, 30, false);
    CHECK(plan.error.empty());
    CHECK(plan.timeout_seconds == 30);
    CHECK(plan.signal_name == "SIGTERM");
    CHECK(plan.signal == 15);
    kcm::types::StopOptions o;
    o.set_signal("SIGKILL");
    o.set_force(true);
    plan = kanto::resolve_stop_options(&o, 30, false);
    CHECK(plan.signal == 9);
    CHECK(plan.force);
    o.set_signal("KILL");
    CHECK(kanto::resolve_stop_options(&o, 30, false).error == "invalid signal = KILL");
    o.set_signal("300");
    CHECK(kanto::resolve_stop_options(&o, 30, false).error == "invalid signal = 300");
    o.set_signal("2");
    o.set_timeout(-1);
    CHECK(kanto::resolve_stop_options(&o, 30, false).error == "the timeout = -1 shouldn't be negative");
    CHECK(kanto::parse_signal("SIGINT") == 2);
    CHECK(kanto::parse_signal("SIGFOO") == 0);
}

TEST_CASE("RFC3339Nano trims trailing zeros and drops an empty fraction") {
    using namespace std::chrono;
    const system_clock::time_point base{seconds{1719560121}};  // 2024-06-28T07:35:21Z
    CHECK(sim::rfc3339_nano(base) == "2024-06-28T07:35:21Z");
    CHECK(sim::rfc3339_nano(base + nanoseconds(123456789)) == "2024-06-28T07:35:21.123456789Z");
    CHECK(sim::rfc3339_nano(base + milliseconds(500)) == "2024-06-28T07:35:21.5Z");
}

TEST_CASE("generated ids are lowercase UUIDv4") {
    static const std::regex v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    for (int i = 0; i < 50; ++i) CHECK(std::regex_match(sim::new_uuid(), v4));
    CHECK(sim::new_uuid() != sim::new_uuid());
}

TEST_CASE("restart policy decisions and back-off") {
    kcm::types::RestartPolicy p;
    p.set_type("no");
    CHECK_FALSE(sim::should_restart(p, 1, false, 0));
    p.set_type("always");
    CHECK(sim::should_restart(p, 0, true, 5));
    p.set_type("unless-stopped");
    CHECK(sim::should_restart(p, 0, false, 0));
    CHECK_FALSE(sim::should_restart(p, 143, true, 0));
    p.set_type("on-failure");
    p.set_maximum_retry_count(2);
    CHECK_FALSE(sim::should_restart(p, 0, false, 0));
    CHECK(sim::should_restart(p, 3, false, 1));
    CHECK_FALSE(sim::should_restart(p, 3, false, 2));
    CHECK(sim::should_restart(p, 143, true, 0));
    p.set_maximum_retry_count(0);
    CHECK(sim::should_restart(p, 3, false, 1000));

    CHECK(sim::next_backoff(0ms, 0ms, 0) == 100ms);
    CHECK(sim::next_backoff(100ms, 1s, 0) == 200ms);
    CHECK(sim::next_backoff(40s, 1s, 0) == 60s);
    CHECK(sim::next_backoff(800ms, 1s, 1) == 1s);
    CHECK(sim::next_backoff(800ms, 10s, 1) == 100ms);  // ran long enough: start over
}
