// Container manifests (Leda's kanto-auto-deployer formats): the 13 manifests Leda ships, detection,
// conversion of Kanto's container config onto the auto-deployer's template, and the failures.
// Expectations come from the manifests' documented contents, not from the parser's output.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "manifest.hpp"

namespace {

std::string read(const std::string& name) {
    std::ifstream in(std::string(TEST_DATA_DIR) + "/kad-manifests/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

deploy::manifest parsed(const std::string& name) {
    auto r = deploy::parse_manifest(read(name));
    if (auto* e = std::get_if<deploy::manifest_error>(&r)) FAIL(name << ": " << e->reason);
    return std::get<deploy::manifest>(r);
}

std::string error_of(const std::string& text) {
    auto r = deploy::parse_manifest(text);
    REQUIRE(std::holds_alternative<deploy::manifest_error>(r));
    return std::get<deploy::manifest_error>(r).reason;
}

struct expected {
    const char* file;
    bool internal_format;
    const char* name;
    const char* image;
    std::vector<std::pair<int, int>> ports;  // host -> container
    std::vector<std::string> mount_destinations;
    std::vector<std::string> extra_hosts;
    std::size_t env;
    std::size_t cmd;
};

}  // namespace

TEST_CASE("every Leda manifest parses with the contents it documents") {
    const std::vector<expected> all{
        {"databroker.json",
         false,
         "databroker",
         "ghcr.io/eclipse/kuksa.val/databroker:0.4.1",
         {{30555, 55555}},
         {},
         {},
         2,
         0},
        {"sua.json",
         false,
         "sua",
         "ghcr.io/eclipse-leda/leda-contrib-self-update-agent/self-update-agent:build-177",
         {{30052, 50052}},
         {"/var/run/dbus/system_bus_socket", "/data/selfupdates", "/etc/os-release"},
         {"mosquitto:host_ip"},
         0,
         0},
        {"cloudconnector.json.disabled",
         false,
         "cloudconnector",
         "ghcr.io/eclipse-leda/leda-contrib-cloud-connector/"
         "cloudconnector:main-47c01227a620a3dbd85b66e177205c06c0f7a52e",
         {},
         {"/device.crt", "/device.key"},
         {"mosquitto:host_ip"},
         8,
         0},
        {"feedercan.json",
         false,
         "feedercan",
         "ghcr.io/eclipse/kuksa.val.feeders/dbc2val:v0.1.1",
         {},
         {},
         {"databroker:container_databroker-host"},
         7,
         0},
        {"feedergps.json",
         false,
         "feedergps",
         "ghcr.io/eclipse/kuksa.val.feeders/gps:main",
         {},
         {},
         {"databroker:container_databroker-host", "host:host_ip"},
         1,
         4},
        {"hvac.json",
         false,
         "hvacservice-example",
         "ghcr.io/eclipse/kuksa.val.services/hvac_service:v0.1.0",
         {},
         {},
         {"databroker:container_databroker-host"},
         2,
         0},
        {"node-red.json",
         false,
         "node-red-example",
         "ghcr.io/eclipse-leda/leda-example-applications/leda-example-node-red:main",
         {{1880, 1880}},
         {},
         {"mosquitto:host_ip", "databroker:container_databroker-host"},
         4,
         0},
        {"seatservice.json",
         false,
         "seatservice-example",
         "ghcr.io/boschglobal/kuksa.val.services/seat_service:v0.3.0",
         {{30051, 50051}},
         {},
         {"databroker:container_databroker-host"},
         3,
         0},
        {"seatadjuster-app.json.disabled",
         false,
         "seatadjuster-app",
         "ghcr.io/eclipse-leda/leda-example-applications/seatadjuster-app:latest",
         {{50151, 30151}},
         {},
         {"mosquitto:host_ip", "databroker:container_databroker-host",
          "seatservice-example:container_seatservice-example-host"},
         6,
         0},
        {"ota-client.json.disabled",
         true,
         "ota-client",
         "ghcr.io/softwaredefinedvehicle/sdv-ota-client/ota-client:v0.0.2",
         {},
         {"/app/config", "/app/config/certs", "/app/config/ca-certs/", "/tmp"},
         {"mosquitto:host_ip"},
         0,
         0},
        {"otelcol-sdv-agent.json.disabled",
         false,
         "otelcol-sdv-agent",
         "ghcr.io/softwaredefinedvehicle/sdv-edge-otel/otelcol-sdv-ext:v0.0.1",
         {{4317, 9411}},
         {"/hostfs", "/var/lib/docker/containers", "/run/log/journal"},
         {"mosquitto:host_ip"},
         7,
         1},
        {"otelcol-sdv-exporter.json.disabled",
         false,
         "otelcol-sdv-exporter",
         "ghcr.io/softwaredefinedvehicle/sdv-edge-otel/otelcol-sdv-exporter:v0.0.1",
         {{9411, 4317}},
         {},
         {"mosquitto:host_ip"},
         2,
         0},
        {"zipkin.json.disabled",
         false,
         "zipkin",
         "ghcr.io/openzipkin/zipkin:master",
         {{9411, 9411}},
         {},
         {},
         0,
         0},
    };
    for (const auto& e : all) {
        const std::string file = e.file;
        CAPTURE(file);
        const auto m = parsed(e.file);
        const auto& c = m.container;
        CHECK((m.format == deploy::manifest_format::internal) == e.internal_format);
        CHECK(c.name() == e.name);
        CHECK(c.id() == e.name);  // every Leda manifest pins the id to the name
        CHECK(c.image().name() == e.image);
        const auto& h = c.host_config();
        REQUIRE(h.port_mappings_size() == static_cast<int>(e.ports.size()));
        for (int i = 0; i < h.port_mappings_size(); ++i) {
            CHECK(h.port_mappings(i).host_port() == e.ports[static_cast<std::size_t>(i)].first);
            CHECK(h.port_mappings(i).container_port() == e.ports[static_cast<std::size_t>(i)].second);
            CHECK(h.port_mappings(i).host_port_end() == h.port_mappings(i).host_port());
            CHECK(h.port_mappings(i).protocol() == "tcp");
            CHECK(h.port_mappings(i).host_ip() == "localhost");
        }
        std::vector<std::string> mounts;
        for (const auto& mp : c.mounts()) mounts.push_back(mp.destination());
        CHECK(mounts == e.mount_destinations);
        CHECK(std::vector<std::string>(h.extra_hosts().begin(), h.extra_hosts().end()) == e.extra_hosts);
        CHECK(static_cast<std::size_t>(c.config().env_size()) == e.env);
        CHECK(static_cast<std::size_t>(c.config().cmd_size()) == e.cmd);
        // Common to all of them.
        CHECK(h.network_mode() == "bridge");
        CHECK_FALSE(h.privileged());
        CHECK(h.devices_size() == 0);
        CHECK(h.restart_policy().type() == "unless-stopped");
        CHECK(h.restart_policy().maximum_retry_count() == 0);
        CHECK(h.runtime() == "io.containerd.runc.v2");
        CHECK(h.log_config().driver_config().type() == "json-file");
        CHECK(h.log_config().driver_config().max_files() == 2);
        CHECK(h.log_config().driver_config().max_size() == "1M");
    }
    // Details the table of contents calls out.
    auto sua = parsed("sua.json").container;
    CHECK(sua.mounts(0).propagation_mode() == "shared");
    CHECK(sua.mounts(1).propagation_mode() == "rprivate");
    CHECK(parsed("zipkin.json.disabled").container.host_name() == "zipkin");
    CHECK(parsed("databroker.json").container.config().env(0) == "RUST_LOG=info");
    CHECK_FALSE(parsed("databroker.json").container.host_config().has_resources());
    CHECK(parsed("feedergps.json").container.config().cmd(1) == "--ip databroker");
    CHECK(
        parsed("otelcol-sdv-agent.json.disabled").container.host_config().log_config().mode_config().mode() ==
        "blocking");  // only driver_config given: the template's mode stays
}

TEST_CASE("a container config gets the template's values, and what the auto-deployer drops is dropped") {
    auto r = deploy::parse_manifest(R"({"container_name":"app","image":{"name":"img:1"},
        "io_config":{"tty":true},"hooks":[{"path":"/x"}],"host_config":{"restart_policy":{"type":"always"}}})");
    REQUIRE(std::holds_alternative<deploy::manifest>(r));
    const auto& m = std::get<deploy::manifest>(r);
    CHECK(m.format == deploy::manifest_format::container_config);
    const auto& c = m.container;
    CHECK(c.id().empty());
    CHECK_FALSE(c.io_config().tty());  // io_config comes from the template
    CHECK(c.hooks_size() == 0);        // so do hooks
    CHECK(c.host_config().restart_policy().type() == "always");
    CHECK(c.host_config().restart_policy().retry_timeout() == 0);  // merged with the template
    CHECK(c.host_config().log_config().driver_config().max_size() == "1M");
    CHECK(c.state().pid() == -1);
}

TEST_CASE("what fails, with the reason") {
    CHECK(error_of("{\n  \"container_name\": \"x\",\n  \"image\": {\"name\": \"i\"}\n  \"config\": {}\n}") ==
          "line 4, column 3: syntax error");
    CHECK(error_of("[1,2]") == "the manifest is an array, not a JSON object");
    CHECK(error_of(R"({"image":{"name":"i"}})").find("missing key \"container_name\"") != std::string::npos);
    CHECK(error_of(R"({"container_name":"x","image":null})").find("missing key \"image\"") !=
          std::string::npos);
    CHECK(error_of(R"({"container_name":"x","image":{"name":"i"},
                       "host_config":{"port_mappings":[{"protocol":"tcp","container_port":80,"host_port":8080,"host_port_end":8080}]}})") ==
          "as a container config: missing key \"host_config.port_mappings[].host_ip\"");
    CHECK(
        error_of(
            R"({"container_name":"x","image":{"name":"i"},"mount_points":[{"source":"/a","destination":"/b"}]})") ==
        "as a container config: missing key \"mounts[].propagation_mode\"");
    CHECK(
        error_of(
            R"({"container_name":"x","image":{"name":"i"},"host_config":{"resources":{"memory":"100M"}}})") ==
        "as a container config: missing key \"host_config.resources.memory_reservation\"");
    CHECK(error_of(R"({"container_name":"x","image":{"name":"i"},"config":{"cmd":"ls"}})") ==
          "as a container config: invalid type at \"config.cmd\": a string, expected an array");
    CHECK(error_of(R"({"container_name":"x"})") == "no image name (\"image\": {\"name\": ...})");
}

TEST_CASE("Kanto's own 'proto' key for a port mapping is accepted (the auto-deployer requires 'protocol')") {
    auto r = deploy::parse_manifest(R"({"container_name":"x","image":{"name":"i"},
        "host_config":{"port_mappings":[{"proto":"udp","container_port":53,"host_ip":"0.0.0.0","host_port":53,"host_port_end":53}]}})");
    REQUIRE(std::holds_alternative<deploy::manifest>(r));
    CHECK(std::get<deploy::manifest>(r).container.host_config().port_mappings(0).protocol() == "udp");
}

TEST_CASE("manifest file names: *.json only, case-sensitive") {
    CHECK(deploy::is_manifest_name("databroker.json"));
    CHECK(deploy::is_manifest_name(".hidden.json"));
    CHECK_FALSE(deploy::is_manifest_name("x.json.disabled"));
    CHECK_FALSE(deploy::is_manifest_name("x.JSON"));
    CHECK_FALSE(deploy::is_manifest_name("x.json~"));
    CHECK_FALSE(deploy::is_manifest_name(".json"));
}
