// kanto-twin: see and drive a device's twin without a Ditto server. Speaks the documented wire format
// on the local broker (anchors.md §1, things.md §3-§4), so it works with kanto-twin-bridge and with
// Kanto-CM's own things service alike.
//   show   apply the Ditto twin commands seen on e/# to in-memory things and print them as JSON
//   watch  the same, printing one line per change
//   call   send a live message to a feature operation and print the answer
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include <fmt/format.h>
#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include "blocking_mqtt_client.hpp"
#include "config.hpp"
#include "ditto_thing.hpp"
#include "go_duration.hpp"
#include "thing_id.hpp"

namespace json = boost::json;
namespace po = boost::program_options;
using namespace std::chrono_literals;

namespace {

void pretty(std::ostream& os, const json::value& v, int indent = 0) {
    const std::string pad(static_cast<std::size_t>(indent), ' ');
    if (v.is_object() && !v.as_object().empty()) {
        os << "{\n";
        std::size_t i = 0;
        for (const auto& [k, e] : v.as_object()) {
            os << pad << "  " << json::serialize(json::value(k)) << ": ";
            pretty(os, e, indent + 2);
            os << (++i < v.as_object().size() ? ",\n" : "\n");
        }
        os << pad << "}";
    } else if (v.is_array() && !v.as_array().empty()) {
        os << "[\n";
        std::size_t i = 0;
        for (const auto& e : v.as_array()) {
            os << pad << "  ";
            pretty(os, e, indent + 2);
            os << (++i < v.as_array().size() ? ",\n" : "\n");
        }
        os << pad << "]";
    } else {
        os << json::serialize(v);
    }
}

std::string random_id() {
    std::random_device rd;
    return fmt::format("{:08x}{:08x}", rd(), rd());
}

std::chrono::milliseconds duration_arg(const std::string& text, const char* what) {
    auto d = kanto::parse_go_duration(text);
    if (!d || d->count() < 0)
        throw std::runtime_error(std::string(what) + ": invalid duration \"" + text + "\" (e.g. 3s, 500ms)");
    return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

// Every leaf of a value as pointer -> value (objects flattened, arrays kept whole).
void leaves(const json::value& v, const std::string& at, std::map<std::string, json::value>& out) {
    if (v.is_object() && !v.as_object().empty()) {
        for (const auto& [k, e] : v.as_object()) leaves(e, at + "/" + std::string(k), out);
    } else {
        out[at.empty() ? "/" : at] = v;
    }
}

struct colors {
    bool on;
    std::string feature(const std::string& s) const { return on ? "\x1b[36m" + s + "\x1b[0m" : s; }
    std::string old_value(const std::string& s) const { return on ? "\x1b[31m" + s + "\x1b[0m" : s; }
    std::string new_value(const std::string& s) const { return on ? "\x1b[32m" + s + "\x1b[0m" : s; }
};

// "<feature> <property path>: old -> new" for every leaf that changed.
void print_changes(const std::string& thing, const json::value& before, const json::value& after,
                   const colors& c) {
    // A feature that appears or goes is one line, not one per leaf.
    auto features_of = [](const json::value& thing_value) {
        const json::object* f = nullptr;
        if (const auto* o = thing_value.if_object()) {
            if (const auto* v = o->if_contains("features")) f = v->if_object();
        }
        return f;
    };
    const auto* fa = features_of(before);
    const auto* fb = features_of(after);
    std::set<std::string> whole;
    if (fa != nullptr) {
        for (const auto& [name, v] : *fa) {
            if (fb != nullptr && fb->contains(name)) continue;
            whole.insert("/features/" + std::string(name));
            std::cout << c.feature(std::string(name)) << ": " << c.new_value("deleted") << "\n";
        }
    }
    if (fb != nullptr) {
        for (const auto& [name, v] : *fb) {
            if (fa != nullptr && fa->contains(name)) continue;
            whole.insert("/features/" + std::string(name));
            std::string summary = "added";
            if (const auto* st = v.is_object() ? v.as_object().if_contains("properties") : nullptr) {
                boost::system::error_code ec;
                if (const auto* s = st->find_pointer("/status/state/status", ec))
                    summary += " (" + json::serialize(*s) + ")";
            }
            std::cout << c.feature(std::string(name)) << ": " << c.new_value(summary) << "\n";
        }
    }
    auto in_whole = [&](const std::string& pointer) {
        for (const auto& w : whole) {
            if (pointer == w || pointer.rfind(w + "/", 0) == 0) return true;
        }
        return false;
    };
    std::map<std::string, json::value> a, b;
    leaves(before, "", a);
    leaves(after, "", b);
    std::erase_if(a, [&](const auto& kv) { return in_whole(kv.first); });
    std::erase_if(b, [&](const auto& kv) { return in_whole(kv.first); });
    auto describe = [&](const std::string& pointer) {
        const auto tokens = twin::json_pointer(pointer);
        if (tokens.size() >= 2 && tokens[0] == "features") {
            std::string rest;
            for (std::size_t i = 2; i < tokens.size(); ++i) rest += (i == 2 ? "" : "/") + tokens[i];
            if (rest.rfind("properties/", 0) == 0) rest = rest.substr(11);
            return c.feature(tokens[1]) + (rest.empty() ? "" : " " + rest);
        }
        return c.feature(thing) + " " + pointer;
    };
    for (const auto& [k, v] : b) {
        auto it = a.find(k);
        if (it != a.end() && it->second == v) continue;
        std::cout << describe(k) << ": " << c.old_value(it == a.end() ? "-" : json::serialize(it->second))
                  << " -> " << c.new_value(json::serialize(v)) << "\n";
    }
    for (const auto& [k, v] : a) {
        if (b.count(k) == 0)
            std::cout << describe(k) << ": " << c.old_value(json::serialize(v)) << " -> " << c.new_value("-")
                      << "\n";
    }
    std::cout.flush();
}

}  // namespace

int main(int argc, char** argv) {
    std::string broker = "tcp://localhost:1883", thing, device_id, tenant_id, policy_id, wait = "3s",
                timeout = "30s";
    std::string command, feature, operation, value;
    bool no_color = false, identify = false;
    bridge::blocking_mqtt_client::security sec;
    po::options_description desc(
        "kanto-twin: see and drive a device's twin on the local broker, without a Ditto server\n\n"
        "  kanto-twin show  [--thing ID | --device-id ID] [--identify --tenant-id T] [--wait 3s]\n"
        "  kanto-twin watch [--thing ID | --device-id ID] [--identify --tenant-id T]\n"
        "  kanto-twin call FEATURE OPERATION [JSON] --thing ID (or --device-id) [--timeout 30s]\n"
        "  kanto-twin identify --device-id ID --tenant-id T [--policy-id P]\n\n"
        "show/watch apply the Ditto twin commands published on e/# to in-memory things; they change\n"
        "nothing on the device. With --identify they first send the identity --device-id/--tenant-id\n"
        "on edge/thing/response, as the cloud connector does (with a fresh policyId unless --policy-id\n"
        "is given), which makes the bridge publish every feature again: only do that with the\n"
        "connector's own ids, the twin moves to the tenant given. identify only sends it.\n"
        "call sends a live message and exits 0 only when the answer's status is 2xx.\n\n"
        "exit status: 0 done; 1 failed (call: a non-2xx answer; show: nothing published for the\n"
        "thing; the broker unreachable); 2 invalid command line or configuration; 3 call: no answer\n"
        "within --timeout\n\noptions");
    std::string cfg_file;
    desc.add_options()("help,h", "show this help")("version,V", "print the version")(
        "cfg-file", po::value(&cfg_file),
        "the device's config.json: broker URL, credentials and TLS files from its connection section "
        "(flags given here win)")("broker", po::value(&broker),
                                  "MQTT broker URL (default tcp://localhost:1883)")(
        "thing", po::value(&thing), "thing id, e.g. org.acme:gw-1:dev-7:edge:containers")(
        "device-id", po::value(&device_id),
        "deviceId for the identity (the thing is <deviceId>:edge:containers)")(
        "tenant-id", po::value(&tenant_id), "tenantId for the identity")("policy-id", po::value(&policy_id),
                                                                         "policyId for the identity")(
        "wait", po::value(&wait), "show: how long to collect messages (default 3s)")(
        "timeout", po::value(&timeout), "call: how long to wait for the answer (default 30s)")(
        "no-color", po::bool_switch(&no_color), "watch: plain text even on a terminal")(
        "root-ca", po::value(&sec.root_ca), "TLS: PEM CA file (needed for ssl://, mqtts://, ... URLs)")(
        "client-cert", po::value(&sec.client_cert), "TLS: PEM client certificate")(
        "client-key", po::value(&sec.client_key), "TLS: PEM unencrypted client key")(
        "username", po::value(&sec.username), "MQTT user name")("password", po::value(&sec.password),
                                                                "MQTT password")(
        "identify", po::bool_switch(&identify),
        "show/watch: send the identity first (needs --device-id and --tenant-id)");
    // The words of the command line: parsed as options, not shown as such in --help.
    po::options_description words;
    words.add_options()("command", po::value(&command))("feature", po::value(&feature))(
        "operation", po::value(&operation))("value", po::value(&value));
    po::options_description all;
    all.add(desc).add(words);
    po::positional_options_description pos;
    pos.add("command", 1).add("feature", 1).add("operation", 1).add("value", 1);
    po::variables_map vm;
    std::chrono::milliseconds wait_ms{}, timeout_ms{};
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
        po::notify(vm);
        wait_ms = duration_arg(wait, "--wait");
        timeout_ms = duration_arg(timeout, "--timeout");
    } catch (const std::exception& e) {
        std::cerr << "kanto-twin: " << e.what() << "\n";
        return 2;
    }
    if (vm.count("version") != 0) {
        std::cout << "kanto-twin " << KTB_VERSION << "\n";
        return 0;
    }
    if (vm.count("help") != 0 || command.empty()) {
        std::cout << desc << "\n";
        return vm.count("help") != 0 ? 0 : 2;
    }
    if (!cfg_file.empty()) {
        // The daemon's own reader: the same keys, the same checks and messages.
        try {
            const char* args[] = {"kanto-twin", "--cfg-file", cfg_file.c_str()};
            const auto device = bridge::load_config(3, args);
            if (vm.count("broker") == 0) broker = device.broker_url;
            if (vm.count("username") == 0) sec.username = device.username;
            if (vm.count("password") == 0) sec.password = device.password;
            if (vm.count("root-ca") == 0) sec.root_ca = device.root_ca;
            if (vm.count("client-cert") == 0) sec.client_cert = device.client_cert;
            if (vm.count("client-key") == 0) sec.client_key = device.client_key;
        } catch (const bridge::config_error& e) {
            std::cerr << "kanto-twin: " << e.what() << "\n";
            return 2;
        }
    }
    if (thing.empty() && !device_id.empty()) thing = twin::containers_thing(device_id).str();
    if (command != "show" && command != "watch" && command != "call" && command != "identify") {
        std::cerr << "kanto-twin: unknown command '" << command << "' (show, watch, call or identify)\n";
        return 2;
    }
    if (command == "identify") identify = true;
    if (identify && (device_id.empty() || tenant_id.empty())) {
        std::cerr << "kanto-twin: sending an identity needs --device-id and --tenant-id\n";
        return 2;
    }
    if (command == "call" && (thing.empty() || feature.empty() || operation.empty())) {
        std::cerr << "kanto-twin: call needs FEATURE OPERATION and --thing (or --device-id)\n";
        return 2;
    }
    json::value parsed_value;
    if (!value.empty()) {
        boost::system::error_code ec;
        parsed_value = json::parse(value, ec);
        if (ec) {
            std::cerr << "kanto-twin: the value is not JSON: " << ec.message() << "\n";
            return 2;
        }
    }

    try {
        bridge::blocking_mqtt_client client(broker, "kanto-twin-" + random_id(), command == "watch", sec);
        if (command == "call") {
            const auto req_id = "kt-" + random_id();
            const auto correlation = "kanto-twin-" + random_id();
            client.subscribe("command//" + thing + "/res/" + req_id + "/#", 1);
            const auto ns_name = twin::parse_namespaced_id(thing);
            json::object env{
                {"topic", ns_name.topic_prefix() + "/things/live/messages/" + operation},
                {"headers", json::object{{"correlation-id", correlation}, {"response-required", true}}},
                {"path", "/features/" + feature + "/inbox/messages/" + operation}};
            if (!value.empty()) {
                env["headers"].as_object()["content-type"] = "application/json";
                env["value"] = parsed_value;
            }
            client.publish("command//" + thing + "/req/" + req_id + "/" + operation, json::serialize(env), 1);
            const auto end = std::chrono::steady_clock::now() + timeout_ms;
            while (std::chrono::steady_clock::now() < end) {
                auto m = client.next(100ms);
                if (!m) continue;
                const auto tail = m->topic.substr(m->topic.rfind('/') + 1);
                int status = 0;
                if (std::from_chars(tail.data(), tail.data() + tail.size(), status).ec != std::errc{})
                    continue;
                boost::system::error_code ec;
                const auto answer = json::parse(m->payload, ec);
                std::cout << status << "\n";
                if (!ec && answer.is_object() && answer.as_object().contains("value")) {
                    pretty(std::cout, answer.at("value"));
                    std::cout << "\n";
                }
                return status >= 200 && status < 300 ? 0 : 1;
            }
            std::cerr << "kanto-twin: no answer within " << timeout
                      << " (is the bridge connected and registered?)\n";
            return 3;
        }

        if (command != "identify") client.subscribe("e/#", 1);
        if (identify) {
            json::object identity{{"deviceId", device_id},
                                  {"tenantId", tenant_id},
                                  {"policyId", policy_id.empty() ? "kanto-twin-" + random_id() : policy_id}};
            client.publish("edge/thing/response", json::serialize(identity), 0);
            if (command == "identify") return 0;
        }
        std::map<std::string, twin::ditto_thing> things;
        const colors c{!no_color && ::isatty(1) != 0};
        const auto end = std::chrono::steady_clock::now() + wait_ms;
        for (;;) {
            if (command == "show" && std::chrono::steady_clock::now() >= end) break;
            for (const auto& e : client.take_events()) std::cerr << "kanto-twin: " << e << std::endl;
            auto m = client.next(100ms);
            if (!m) continue;
            boost::system::error_code ec;
            const auto env = json::parse(m->payload, ec);
            if (ec || !env.is_object() || !env.as_object().contains("topic") || !env.at("topic").is_string())
                continue;
            const auto id = twin::thing_of_topic(env.at("topic").as_string());
            if (!id || (!thing.empty() && *id != thing)) continue;
            auto it = things.try_emplace(*id, *id).first;
            const auto before = it->second.value();
            if (!it->second.apply(env.as_object()).empty()) continue;
            if (command == "watch") print_changes(*id, before, it->second.value(), c);
        }
        if (!thing.empty()) {
            auto it = things.find(thing);
            if (it == things.end()) {
                std::cerr << "kanto-twin: nothing was published for " << thing << " within " << wait
                          << ". The bridge publishes the twin when the cloud connector sends the identity on "
                             "edge/thing/response (and again on every change): add --identify --device-id ID "
                             "--tenant-id T to send it, or watch to wait for changes\n";
                return 1;
            }
            pretty(std::cout, it->second.value());
        } else {
            json::object all;
            for (const auto& [id, t] : things) all[id] = t.value();
            pretty(std::cout, all);
        }
        std::cout << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "kanto-twin: " << e.what() << "\n";
        return 1;
    }
}
