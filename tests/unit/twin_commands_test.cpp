// Pure parts of the command features: Go-style decoding, the config mapping of things.md §7.1.1,
// metrics filters and maths (§9), SoftwareUpdatable inputs, descriptors and checksums (§7.3, §8).
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "command.hpp"
#include "metrics.hpp"
#include "operation_args.hpp"
#include "software_update.hpp"

namespace json = boost::json;
using namespace std::chrono_literals;

TEST_CASE("Hono command topics (things.md §3.3)") {
    auto t = twin::parse_command_topic("command//org.acme:gw-1:dev-7:edge:containers/req/r-1/start");
    REQUIRE(t.has_value());
    CHECK(t->device == "org.acme:gw-1:dev-7:edge:containers");
    CHECK(t->req_id == "r-1");
    CHECK(t->subject == "start");
    CHECK(twin::parse_command_topic("command//dev/req//start")->req_id.empty());
    CHECK_FALSE(twin::parse_command_topic("command//dev/req/r/a/b"));
    CHECK_FALSE(twin::parse_command_topic("command///req/r/x"));
    CHECK_FALSE(twin::parse_command_topic("command//dev/res/r/200"));
    CHECK(twin::is_twin_event_route(*twin::parse_command_topic("command//d/req//modified")));
    CHECK_FALSE(twin::is_twin_event_route(*twin::parse_command_topic("command//d/req/r/modified")));
    CHECK(
        twin::response_envelope("t/x/things/live/messages/op", std::string("c"), "/p", std::nullopt, 204) ==
        R"({"topic":"t/x/things/live/messages/op","headers":{"correlation-id":"c"},"path":"/p","status":204})");
    CHECK(
        twin::response_envelope("t", std::nullopt, "/", json::value("id"), 200) ==
        R"({"topic":"t","headers":{"content-type":"application/json"},"path":"/","value":"id","status":200})");
}

TEST_CASE("operation inputs decode like Kanto's Go handlers") {
    auto v = [](const char* text) { return json::parse(text); };
    auto value = v(R"({"ImageRef":"img","START":true,"cmd":["x"]})");
    auto ok = twin::decode_create(&value);
    REQUIRE(std::holds_alternative<twin::create_args>(ok));
    CHECK(std::get<twin::create_args>(ok).image_ref == "img");  // keys case-insensitive, unknown ignored
    CHECK(std::get<twin::create_args>(ok).start);
    auto bad = v(R"("not-an-object")");
    CHECK(std::get<std::string>(twin::decode_create(&bad)) ==
          "json: cannot unmarshal string into Go value of type things.createArgs");
    auto number = v("42");
    CHECK(std::get<1>(twin::decode_name(&number)) ==
          "json: cannot unmarshal number into Go value of type string");
    CHECK(std::get<bool>(twin::decode_force(nullptr)) == false);
    auto stop = v(R"({"force":true,"timeout":50,"signal":"SIGKILL"})");
    auto so = std::get<kcm::types::StopOptions>(twin::decode_stop_options(&stop));
    CHECK(so.force());
    CHECK(so.timeout() == 50);
    CHECK(so.signal() == "SIGKILL");
    auto frac = v(R"({"timeout":1.5})");
    CHECK(std::get<std::string>(twin::decode_stop_options(&frac)) ==
          "json: cannot unmarshal number 1.5 into Go struct field stopOptions.timeout of type int64");
    auto update = v(
        R"({"restartPolicy":{"type":"ON_FAILURE","maxRetryCount":3,"retryTimeout":10.9},"resources":{"memory":"90M"}})");
    auto uo = std::get<kcm::types::UpdateOptions>(twin::decode_update(&update));
    CHECK(uo.restart_policy().type() == "on-failure");
    CHECK(uo.restart_policy().maximum_retry_count() == 3);
    CHECK(uo.restart_policy().retry_timeout() == 10);  // decimals dropped (Q9)
    CHECK(uo.resources().memory() == "90M");
    CHECK_FALSE(std::get<kcm::types::UpdateOptions>(twin::decode_update(nullptr)).has_restart_policy());
}

TEST_CASE("createWithConfig config -> container (things.md §7.1.1)") {
    auto value = json::parse(R"({"imageRef":"img:1","name":"n","start":false,"config":{
        "domainName":"d","hostName":"h","openStdin":true,"privileged":false,"extraCapabilities":["CAP_X"],
        "restartPolicy":{"type":"UNLESS_STOPPED"},"networkMode":"HOST","env":["A=1"],
        "mountPoints":[{"source":"/s","destination":"/d","propagationMode":"shared"},{"source":"/s2","destination":"/d2","propagationMode":"RSLAVE"}],
        "portMappings":[{"proto":"udp","hostPort":1,"hostPortEnd":2,"containerPort":3,"hostIP":"127.0.0.1"}],
        "devices":[{"pathOnHost":"/dev/a","pathInContainer":"/dev/b","cgroupPermissions":"r"}],
        "log":{"type":"NONE","mode":"NON_BLOCKING","maxBufferSize":"2M"},"resources":{"memory":"64M"},
        "decryption":{"keys":["k"]}}})");
    auto args = std::get<twin::create_args>(twin::decode_create_with_config(&value));
    const auto& c = args.container;
    CHECK(c.name() == "n");
    CHECK(c.image().name() == "img:1");
    CHECK(c.domain_name() == "d");
    CHECK(c.host_name() == "h");
    CHECK(c.io_config().open_stdin());
    CHECK(c.host_config().extra_capabilities(0) == "CAP_X");
    CHECK(c.host_config().restart_policy().type() == "unless-stopped");
    CHECK(c.host_config().network_mode() == "host");
    CHECK(c.config().env(0) == "A=1");
    CHECK(c.mounts(0).propagation_mode() == "rprivate");  // lowercase input becomes rprivate (B4, kept)
    CHECK(c.mounts(1).propagation_mode() == "rslave");
    CHECK(c.host_config().port_mappings(0).protocol() == "udp");
    CHECK(c.host_config().port_mappings(0).host_ip() == "127.0.0.1");
    CHECK(c.host_config().devices(0).cgroup_permissions() == "r");
    CHECK(c.host_config().log_config().driver_config().type() == "none");
    CHECK(c.host_config().log_config().mode_config().mode() == "non-blocking");
    CHECK(c.host_config().resources().memory() == "64M");
    CHECK(c.image().decrypt_config().keys(0) == "k");
    auto no_config = json::parse(R"({"imageRef":"img"})");
    const auto plain = std::get<twin::create_args>(twin::decode_create_with_config(&no_config)).container;
    CHECK_FALSE(plain.has_host_config());  // only name and image
    CHECK(plain.image().name() == "img");
}

TEST_CASE("metrics requests, filters and measurements (things.md §7.4, §9)") {
    auto req = [](const char* text) {
        auto v = json::parse(text);
        return twin::decode_metrics_request(&v);
    };
    CHECK(std::get<twin::metrics_request>(req(R"({"frequency":2.9})")).period == 2000ms);
    CHECK(std::get<twin::metrics_request>(req(R"({"frequency":"500ms"})")).period ==
          1000ms);  // clamped to 1 s
    CHECK(std::get<twin::metrics_request>(req(R"({"frequency":"1m30s"})")).period == 90000ms);
    CHECK(std::get<twin::metrics_request>(req(R"({"frequency":0})")).period == 0ms);
    CHECK(std::get<twin::metrics_request>(req(R"({"frequency":-3})")).period == 0ms);
    CHECK(std::get<std::string>(req(R"({"frequency":"invalid frequency"})")) ==
          "time: invalid duration \"invalid frequency\"");

    const std::vector<twin::metrics_filter> f{{{"cpu.*", "memory.u"}, "Container:a"}};
    CHECK(twin::originator_selected(f, "Container:a"));
    CHECK_FALSE(twin::originator_selected(f, "Container:b"));
    CHECK(twin::measurement_selected(f, "Container:a", "cpu.utilization"));
    CHECK(twin::measurement_selected(f, "Container:a", "memory.used"));
    CHECK_FALSE(twin::measurement_selected(f, "Container:a", "memory.total"));
    CHECK_FALSE(twin::measurement_selected(f, "Container:b", "cpu.utilization"));
    CHECK(twin::measurement_selected({{{"*"}, ""}}, "Container:x", "io.readBytes"));
    CHECK(twin::measurement_selected({{{}, ""}}, "Container:x", "pids"));
    CHECK_FALSE(twin::originator_selected({{{}, "SYSTEM"}}, "Container:x"));
    CHECK_FALSE(twin::measurement_selected({{{"cpu.unknown"}, ""}}, "Container:x", "cpu.utilization"));

    // Kanto's unit test numbers: baseline 10000/100000, then 15000/150000 -> 10 %, then 25000/200000 -> 20 %.
    twin::metrics_sample a, b, c;
    a.cpu_ns = 10000, a.system_cpu_ns = 100000;
    b.cpu_ns = 15000, b.system_cpu_ns = 150000;
    c.cpu_ns = 25000, c.system_cpu_ns = 200000;
    CHECK(twin::measurements(b, &a).at(0).value == doctest::Approx(10));
    CHECK(twin::measurements(c, &b).at(0).value == doctest::Approx(20));
    CHECK(twin::measurements(b, nullptr).empty());
    twin::metrics_sample m;
    m.memory_usage = 300, m.memory_inactive_file = 100, m.memory_limit = 1000, m.machine_memory = 800,
    m.pids = 2;
    auto ms = twin::measurements(m, nullptr);
    REQUIRE(ms.size() == 4);
    CHECK(ms[0].id == "memory.total");
    CHECK(ms[0].value == 800);  // capped at the machine's memory
    CHECK(ms[1].value == 200);
    CHECK(ms[2].value == doctest::Approx(25));
    CHECK(ms[3].id == "pids");
    const auto msg =
        json::parse(twin::metrics_message(twin::containers_thing("o:g"), {{"Container:a", ms}}, 1717000000));
    CHECK(msg.at("path") == "/features/Metrics/outbox/messages/data");
    CHECK(msg.at("value").at("timestamp") == 1717000000);
    CHECK(msg.at("value").at("snapshot").at(0).at("measurements").at(0) ==
          json::parse(R"({"id":"memory.total","value":800})"));
}

TEST_CASE("SoftwareUpdatable inputs, descriptors and checksums") {
    auto parse = [](const char* text) { return json::parse(text); };
    auto none = parse(R"({"correlationId":"x","softwareModules":[]})");
    CHECK(std::get<std::string>(twin::decode_update_action(&none)) ==
          "there are no SoftwareModules to be installed");
    auto no_artifacts =
        parse(R"({"softwareModules":[{"softwareModule":{"name":"n","version":"v"},"artifacts":[]}]})");
    CHECK(std::get<std::string>(twin::decode_update_action(&no_artifacts)) ==
          "there are no SoftwareArtifacts referenced for SoftwareModule [Name.version] = [n.v]");
    auto no_software = parse(R"({"correlationId":"x","software":[]})");
    CHECK(std::get<std::string>(twin::decode_remove_action(&no_software)) ==
          "there are no DependencyDescriptions to be removed");
    auto removal = parse(R"({"software":[{"version":"1","name":"id","group":"g"}],"forced":true})");
    auto r = std::get<twin::remove_action>(twin::decode_remove_action(&removal));
    CHECK(r.forced);
    CHECK(json::serialize(r.software.at(0)) == R"({"group":"g","name":"id","version":"1"})");

    auto d = twin::parse_descriptor(R"({"container_name":"db","image":{"name":"img:1"},"host_config":{
        "port_mappings":[{"protocol":"tcp","container_port":55555,"host_ip":"localhost","host_port":30555,"host_port_end":30555}],
        "restart_policy":{"type":"on-failure","maximum_retry_count":2,"retry_timeout":5000000000},"resources":null},
        "config":{"env":["A=1"],"cmd":[]}})");
    REQUIRE(std::holds_alternative<kcm::types::Container>(d));
    const auto& c = std::get<kcm::types::Container>(d);
    CHECK(c.name() == "db");
    CHECK(c.host_config().port_mappings(0).protocol().empty());  // Kanto's key is "proto"; "protocol" is
                                                                 // ignored
    CHECK(c.host_config().port_mappings(0).container_port() == 55555);
    CHECK(c.host_config().restart_policy().retry_timeout() == 5);  // a Go Duration in nanoseconds
    CHECK_FALSE(c.host_config().has_resources());
    auto invalid = twin::parse_descriptor(
        R"({"container_name":"x","image":{"name":"i"},"host_config":{"network_mode":"none"}})");
    CHECK(std::get<twin::descriptor_error>(invalid).rejected);
    CHECK(std::get<twin::descriptor_error>(invalid).message == "unsupported network mode none");
    auto broken = twin::parse_descriptor("<html>404</html>");
    CHECK_FALSE(std::get<twin::descriptor_error>(broken).rejected);

    twin::su_artifact a;
    const twin::digests actual{"0123456789abcdef0123456789abcdef", std::string(40, 'a'),
                               std::string(64, 'b')};
    CHECK(twin::check_checksum(a, actual).empty());  // no checksum given
    a.sha256 = std::string(64, 'B');
    CHECK(twin::check_checksum(a, actual).empty());  // case-insensitive
    a.sha1 = std::string(40, 'c');
    CHECK(twin::check_checksum(a, actual) == "sha1 checksum does not match");  // SHA1 wins over SHA256
    a.md5 = "0123456789ABCDEF0123456789ABCDEF";
    CHECK(twin::check_checksum(a, actual).empty());  // MD5 wins over both
    a.md5 = "0123456789abcdef0123456789abcdef00";
    CHECK(twin::check_checksum(a, actual) ==
          "the provided input hash is either invalid, not a hex string or the length exceeds 16 bytes");
    a.md5 = "xyz";
    CHECK(twin::check_checksum(a, actual) ==
          "the provided input hash is either invalid, not a hex string or the length exceeds 16 bytes");

    twin::operation_status st{
        "c", "REMOVING", std::nullopt, {json::object{{"name", "x"}, {"version", "1"}}}, ""};
    CHECK(json::serialize(st.to_json()) ==
          R"({"correlationId":"c","status":"REMOVING","software":[{"name":"x","version":"1"}]})");
}
