// Kanto-CM's internal container JSON (snake_case, as in its state files, SoftwareUpdatable
// descriptors and Leda's manifests) into the gRPC Container, with Go's decode error texts.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "container_json.hpp"

namespace json = boost::json;

namespace {

std::string decode(const std::string& text, kcm::types::Container& c) {
    return kanto::container_from_json(json::parse(text).as_object(), c);
}

}  // namespace

TEST_CASE("every section of a Leda-style manifest reaches the Container") {
    kcm::types::Container c;
    REQUIRE(decode(R"({
        "container_id": "databroker", "container_name": "databroker", "domain_name": "d", "host_name": "h",
        "image": {"name": "ghcr.io/eclipse/kuksa.val/databroker:0.3.0",
                  "decrypt_config": {"keys": ["k"], "recipients": ["r"]}},
        "mount_points": [{"source": "/data", "destination": "/d", "propagation_mode": "rprivate"}],
        "config": {"env": ["RUST_LOG=info"], "cmd": ["--port", "55555"]},
        "io_config": {"tty": true, "open_stdin": true},
        "host_config": {
            "network_mode": "bridge", "privileged": true, "runtime": "io.containerd.runc.v2",
            "extra_hosts": ["mosquitto:host_ip"], "extra_capabilities": ["CAP_NET_ADMIN"],
            "devices": [{"path_on_host": "/dev/can0", "path_in_container": "/dev/can0", "cgroup_permissions": "rwm"}],
            "port_mappings": [{"proto": "tcp", "container_port": 55555, "host_ip": "localhost", "host_port": 30555, "host_port_end": 30556}],
            "restart_policy": {"type": "unless-stopped", "maximum_retry_count": 3, "retry_timeout": 10000000000},
            "resources": {"memory": "100M", "memory_reservation": "50M", "memory_swap": "-1"},
            "log_config": {"driver_config": {"type": "json-file", "max_files": 2, "max_size": "1M", "root_dir": ""},
                           "mode_config": {"mode": "blocking", "max_buffer_size": ""}}
        }})",
                   c) == "");
    CHECK(c.id() == "databroker");
    CHECK(c.domain_name() == "d");
    CHECK(c.image().decrypt_config().keys(0) == "k");
    CHECK(c.mounts(0).propagation_mode() == "rprivate");
    CHECK(c.config().cmd(1) == "55555");
    CHECK(c.io_config().tty());
    CHECK(c.io_config().open_stdin());
    CHECK_FALSE(c.io_config().attach_stdin());
    const auto& h = c.host_config();
    CHECK(h.privileged());
    CHECK(h.extra_capabilities(0) == "CAP_NET_ADMIN");
    CHECK(h.devices(0).cgroup_permissions() == "rwm");
    CHECK(h.port_mappings(0).protocol() == "tcp");
    CHECK(h.port_mappings(0).host_port_end() == 30556);
    CHECK(h.restart_policy().retry_timeout() == 10);  // nanoseconds -> seconds
    CHECK(h.restart_policy().maximum_retry_count() == 3);
    CHECK(h.resources().memory_swap() == "-1");
    CHECK(h.log_config().driver_config().max_files() == 2);
    CHECK(h.log_config().mode_config().mode() == "blocking");
}

TEST_CASE("type mismatches fail with Go's text naming the field") {
    kcm::types::Container c;
    CHECK(decode(R"({"config":{"cmd":"ls"}})", c) ==
          "json: cannot unmarshal string into Go struct field ContainerConfiguration.config.cmd of type "
          "[]string");
    CHECK(decode(R"({"host_config":{"port_mappings":[{"host_port":70000}]}})", c) ==
          "json: cannot unmarshal number 70000 into Go struct field "
          "PortMapping.host_config.port_mappings.host_port "
          "of type uint16");
    CHECK(
        decode(R"({"mount_points":["x"]})", c) ==
        "json: cannot unmarshal string into Go struct field Container.mount_points of type types.MountPoint");
    CHECK(decode(R"({"image":[]})", c) ==
          "json: cannot unmarshal array into Go struct field Container.image of type types.Image");
}
