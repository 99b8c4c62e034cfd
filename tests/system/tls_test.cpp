// TLS to the broker: mosquitto with a TLS listener that requires client certificates (made with
// openssl in the test), beside its plain loopback listener for the test's own clients. The daemon
// connects with the right CA and its certificate; a wrong CA or no client certificate never
// connects (no plaintext fallback), says why and keeps retrying.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <fstream>

#include <boost/json.hpp>

#include "harness.hpp"
#include "mqtt_client.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A CA, a server certificate for 127.0.0.1 and a client certificate, plus an unrelated CA.
struct certificates {
    harness::temp_dir dir;
    fs::path path(const char* name) const { return dir.path() / name; }

    certificates() {
        const std::string script = R"(set -e
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca
openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.crt -days 2 -subj /CN=other-ca
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1
printf 'subjectAltName=IP:127.0.0.1\n' > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext
openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=kanto-twin-bridge
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2
chmod 644 *.key
)";
        std::ofstream(dir.path() / "make.sh") << "cd '" << dir.path().string() << "'\n" << script;
        harness::child_process p({"/bin/bash", (dir.path() / "make.sh").string()}, dir.path() / "make.log");
        REQUIRE(harness::eventually([&] { return !p.alive(); }, 60000ms));
        const int st = p.stop();
        const bool made = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        REQUIRE_MESSAGE(made, harness::read_file(dir.path() / "make.log"));
    }
};

// Failed connection attempts in the daemon's log (one line each: warnings and debug lines).
std::size_t attempts(harness::bridge_process& bridge) {
    const auto log = bridge.log();
    std::size_t n = 0;
    for (auto at = log.find("cannot connect to the MQTT broker"); at != std::string::npos;
         at = log.find("cannot connect to the MQTT broker", at + 1))
        ++n;
    return n;
}

std::string tls_listener(const certificates& certs, int port) {
    return "listener " + std::to_string(port) + " 127.0.0.1\n" + "cafile " + certs.path("ca.crt").string() +
           "\n" + "certfile " + certs.path("server.crt").string() + "\n" + "keyfile " +
           certs.path("server.key").string() + "\n" + "require_certificate true\n" + "tls_version tlsv1.2\n";
}

}  // namespace

TEST_CASE(
    "TLS with client certificates: connects with the right CA, never with a wrong one or without a "
    "certificate") {
    certificates certs;
    const int tls_port = harness::free_tcp_port();
    harness::mosquitto broker(tls_listener(certs, tls_port));
    const std::string url = "ssl://127.0.0.1:" + std::to_string(tls_port);
    harness::simulator sim;
    harness::mqtt_client observer(broker.url());
    observer.subscribe("containersupdate/currentstate", 1);

    SUBCASE("the right CA and a client certificate: connected, the update agent's state arrives") {
        harness::bridge_process bridge(
            broker, sim,
            {"--conn-broker-url", url, "--conn-root-ca", certs.path("ca.crt").string(), "--conn-client-cert",
             certs.path("client.crt").string(), "--conn-client-key", certs.path("client.key").string(),
             "--things-enable=false", "--ua-enable"});
        auto m = observer.next(20s);
        REQUIRE_MESSAGE(m.has_value(), bridge.log());
        CHECK(std::string(boost::json::parse(m->payload).at("activityId").as_string())
                  .rfind("initial-current-state-", 0) == 0);
        CHECK(bridge.log().find("connected to the MQTT broker " + url) != std::string::npos);

        // The inspector takes the same options.
        observer.subscribe("edge/thing/response", 1);
        harness::temp_dir dir;
        harness::child_process twin(
            {harness::find_program("KANTO_TWIN", "kanto-twin"), "identify", "--broker", url, "--root-ca",
             certs.path("ca.crt").string(), "--client-cert", certs.path("client.crt").string(),
             "--client-key", certs.path("client.key").string(), "--device-id", "org.acme:gw-1:dev-7",
             "--tenant-id", "t1"},
            dir.path() / "twin.log");
        REQUIRE(harness::eventually([&] { return !twin.alive(); }, 30000ms));
        const int st = twin.stop();
        const bool sent = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        CHECK_MESSAGE(sent, harness::read_file(dir.path() / "twin.log"));
        bool seen = false;
        while (auto next = observer.next(10s)) {
            if (next->topic == "edge/thing/response") {
                seen = true;
                break;
            }
        }
        CHECK(seen);
    }
    SUBCASE("a CA that did not sign the server: no connection, a reason, retries") {
        harness::bridge_process bridge(
            broker, sim,
            {"--conn-broker-url", url, "--conn-root-ca", certs.path("other-ca.crt").string(),
             "--conn-client-cert", certs.path("client.crt").string(), "--conn-client-key",
             certs.path("client.key").string(), "--things-enable=false", "--ua-enable", "--log-level",
             "DEBUG"});
        REQUIRE(harness::eventually([&] { return attempts(bridge) >= 2; }, 20000ms));
        CHECK(bridge.log().find("certificate verify failed") != std::string::npos);  // OpenSSL's reason
        CHECK(bridge.log().find("connected to the MQTT broker") == std::string::npos);
        CHECK_FALSE(observer.next(200ms).has_value());
        CHECK(bridge.alive());
    }
    SUBCASE("no client certificate where the broker requires one: no connection") {
        harness::bridge_process bridge(
            broker, sim,
            {"--conn-broker-url", url, "--conn-root-ca", certs.path("ca.crt").string(),
             "--things-enable=false", "--ua-enable", "--log-level", "DEBUG"});
        REQUIRE(harness::eventually([&] { return attempts(bridge) >= 2; }, 20000ms));
        CHECK(bridge.log().find("connected to the MQTT broker") == std::string::npos);
        CHECK(bridge.alive());
    }
}
