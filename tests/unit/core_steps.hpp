// A step builder for the twin core, in the manner of Boost.MySQL's algo_test: feed an input, expect
// the actions it returns, feed the completions back. `kanto_world` is a tiny in-memory Kanto-CM and
// web server that answers the core's I/O actions, and `run_with_failure` reruns a flow failing each
// I/O completion in turn (like check_network_errors).
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <boost/json.hpp>

#include "core.hpp"
#include "memory_kanto.hpp"

namespace steps {

constexpr const char* identity_json = R"({"deviceId":"org.acme:gw-1:dev-7","tenantId":"t1"})";
constexpr const char* thing = "org.acme:gw-1:dev-7:edge:containers";
constexpr const char* event_topic = "e/t1/org.acme:gw-1:dev-7:edge:containers";

inline kcm::types::Container container(const std::string& id, const std::string& status,
                                       std::int64_t pid = -1) {
    kcm::types::Container c;
    c.set_id(id);
    c.set_name("n-" + id);
    c.mutable_image()->set_name("docker.io/library/app:1");
    c.set_created("2024-01-01T00:00:00Z");
    c.mutable_host_config()->set_network_mode("bridge");
    c.mutable_state()->set_status(status);
    c.mutable_state()->set_pid(pid);
    return c;
}

template <class T>
std::vector<T> only(const twin::actions& a) {
    std::vector<T> out;
    for (const auto& x : a) {
        if (auto* p = std::get_if<T>(&x)) out.push_back(*p);
    }
    return out;
}

// One line per publish: "modify <path>" for twin commands, "<status> <path>" for command answers,
// "data <path>" for live messages.
inline std::vector<std::string> summary(const twin::actions& a) {
    std::vector<std::string> out;
    for (const auto& p : only<twin::publish>(a)) {
        const auto env = boost::json::parse(p.payload).as_object();
        const std::string path(env.at("path").as_string());
        if (p.topic.rfind("command//", 0) == 0) {
            out.push_back(p.topic.substr(p.topic.rfind('/') + 1) + " " + path);
        } else {
            const std::string t(env.at("topic").as_string());
            out.push_back(t.substr(t.rfind('/') + 1) + " " + path);
        }
    }
    return out;
}

// A Ditto command message for one of our features, as the cloud sends it.
inline std::string command_payload(const std::string& feature, const std::string& operation,
                                   const std::optional<std::string>& value_json,
                                   const std::string& correlation = "c-1") {
    boost::json::object headers{{"correlation-id", correlation}, {"response-required", true}};
    boost::json::object env{
        {"topic", "org.acme/gw-1:dev-7:edge:containers/things/live/messages/" + operation},
        {"headers", headers},
        {"path", "/features/" + feature + "/inbox/messages/" + operation}};
    if (value_json) {
        env["headers"].as_object()["content-type"] = "application/json";
        env["value"] = boost::json::parse(*value_json);
    }
    return boost::json::serialize(env);
}
inline std::string command_topic(const std::string& req_id, const std::string& operation) {
    return std::string("command//") + thing + "/req/" + req_id + "/" + operation;
}

// The status and value of every command answer among the actions.
struct answer {
    int status;
    std::string path;
    boost::json::value value;
};
inline std::vector<answer> answers(const twin::actions& a) {
    std::vector<answer> out;
    for (const auto& p : only<twin::publish>(a)) {
        if (p.topic.rfind("command//", 0) != 0) continue;
        const auto env = boost::json::parse(p.payload).as_object();
        out.push_back({static_cast<int>(env.at("status").as_int64()), std::string(env.at("path").as_string()),
                       env.contains("value") ? env.at("value") : boost::json::value()});
    }
    return out;
}

// SoftwareUpdatable status updates: "STARTED", ..., "failed:FINISHED_ERROR" for lastFailedOperation.
inline std::vector<std::string> su_statuses(const twin::actions& a, std::string* last_message = nullptr) {
    std::vector<std::string> out;
    for (const auto& p : only<twin::publish>(a)) {
        const auto env = boost::json::parse(p.payload).as_object();
        const std::string path(env.at("path").as_string());
        const std::string prefix = "/features/SoftwareUpdatable/properties/status/last";
        if (path.rfind(prefix, 0) != 0) continue;
        const auto& v = env.at("value").as_object();
        out.push_back((path.find("lastFailedOperation") != std::string::npos ? "failed:" : "") +
                      std::string(v.at("status").as_string()));
        if (last_message != nullptr && v.contains("message"))
            *last_message = v.at("message").as_string().c_str();
    }
    return out;
}

inline std::string hex_digest(const std::string& data, const EVP_MD* md) {
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), buf, &len, md, nullptr);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) out += {digits[buf[i] >> 4], digits[buf[i] & 15]};
    return out;
}

// A tiny Kanto-CM and web server: answers the core's I/O actions from memory. When `fail_at` is set,
// the I/O completion with that number fails instead (a Kanto-CM error, a failed read, a failed
// download or an unreadable file).
class kanto_world : public memory_kanto {
  public:
    std::map<std::string, std::string> web;  // url -> body
    std::optional<int> fail_at;
    int completions = 0;  // I/O completions so far
    std::string failure_text = "injected failure";

    // Executes I/O actions (and those they lead to) until none is left; returns every action seen.
    twin::actions settle(twin::core& core, twin::actions pending) {
        twin::actions seen;
        for (std::size_t i = 0; i < pending.size(); ++i) {
            auto a = pending[i];
            seen.push_back(a);
            auto more = complete(core, a);
            pending.insert(pending.end(), more.begin(), more.end());
        }
        return seen;
    }

  private:
    bool failing() {
        const int n = completions++;
        return fail_at && n == *fail_at;
    }
    twin::actions complete(twin::core& core, const twin::action& a) {
        if (std::holds_alternative<twin::list_containers>(a)) {
            if (failing()) return core.on_kanto_failed(failure_text);
            std::vector<kcm::types::Container> list;
            for (const auto& [id, c] : containers) list.push_back(c);
            return core.on_containers_listed(list);
        }
        if (const auto* g = std::get_if<twin::get_container>(&a)) {
            if (failing()) return core.on_kanto_failed(failure_text);
            auto it = containers.find(g->id);
            return core.on_container_read(g->id,
                                          it == containers.end() ? std::nullopt : std::optional(it->second));
        }
        if (const auto* c = std::get_if<twin::call_kanto>(&a)) {
            if (failing()) return core.on_kanto_done(c->op, kanto::result{false, failure_text, std::nullopt});
            return core.on_kanto_done(c->op, call(c->request));
        }
        if (const auto* h = std::get_if<twin::http_get>(&a)) {
            twin::http_result r;
            auto it = web.find(h->url);
            if (failing()) {
                r.error = failure_text;
            } else if (it == web.end()) {
                r.error = "HTTP status 404 Not Found";
            } else {
                r.ok = true;
                r.body = it->second;
                r.md5 = hex_digest(r.body, EVP_md5());
                r.sha1 = hex_digest(r.body, EVP_sha1());
                r.sha256 = hex_digest(r.body, EVP_sha256());
            }
            return core.on_http_done(h->id, r);
        }
        if (const auto* f = std::get_if<twin::read_file>(&a)) {
            if (failing()) return core.on_file_read(f->path, std::nullopt, failure_text);
            return core.on_file_read(f->path, std::nullopt);
        }
        return {};
    }
};

// A connected, registered core over a world holding `initial`.
struct registered {
    kanto_world world;
    twin::core core;
    twin::actions burst;

    explicit registered(std::vector<kcm::types::Container> initial = {}, twin::core_config cfg = {},
                        std::map<std::string, std::string> web = {})
        : core(std::move(cfg)) {
        for (auto& c : initial) world.containers[c.id()] = c;
        world.web = std::move(web);
        world.settle(core, core.on_start());
        world.settle(core, core.on_connected());
        burst = world.settle(core, core.on_message("edge/thing/response", identity_json));
        REQUIRE(core.registered());
    }

    // Sends a command and runs it to the end; returns every action on the way.
    twin::actions command(const std::string& feature, const std::string& operation,
                          const std::optional<std::string>& value = std::nullopt,
                          const std::string& req_id = "r-1") {
        return world.settle(core, core.on_message(command_topic(req_id, operation),
                                                  command_payload(feature, operation, value)));
    }
    // Nothing left half-done: no operation, no SoftwareUpdatable job, reads idle.
    bool quiescent() const {
        return core.operations().pending() == 0 &&
               core.software_updates().current() == twin::software_update_job::phase::idle &&
               core.reads().current() == twin::read_scheduler::phase::idle;
    }
};

// The step builder: one input, then expectations on its actions, then the completions by hand.
class step {
  public:
    explicit step(twin::core& core) : core_(core) {}

    step& input(const std::function<twin::actions(twin::core&)>& f) {
        last_ = f(core_);
        return *this;
    }
    step& command(const std::string& feature, const std::string& operation,
                  const std::optional<std::string>& value = std::nullopt, const std::string& req_id = "r-1") {
        last_ =
            core_.on_message(command_topic(req_id, operation), command_payload(feature, operation, value));
        return *this;
    }
    // Expects exactly one Kanto-CM call of type Request among the last actions and remembers it.
    template <class Request>
    step& expect_call(const std::function<void(const Request&)>& check = {}) {
        const auto calls = only<twin::call_kanto>(last_);
        REQUIRE(calls.size() == 1);
        const auto* r = std::get_if<Request>(&calls[0].request);
        REQUIRE(r != nullptr);
        if (check) check(*r);
        call_ = calls[0].op;
        return *this;
    }
    step& expect_no_call() {
        CHECK(only<twin::call_kanto>(last_).empty());
        return *this;
    }
    step& expect_get(const std::string& id) {
        const auto gets = only<twin::get_container>(last_);
        REQUIRE(gets.size() == 1);
        CHECK(gets[0].id == id);
        return *this;
    }
    step& expect_publishes(const std::vector<std::string>& lines) {
        CHECK(summary(last_) == lines);
        return *this;
    }
    step& complete_call(kanto::result r) {
        last_ = core_.on_kanto_done(call_, r);
        return *this;
    }
    step& complete_get(const std::string& id, const std::optional<kcm::types::Container>& c) {
        last_ = core_.on_container_read(id, c);
        return *this;
    }
    const twin::actions& actions() const { return last_; }

  private:
    twin::core& core_;
    twin::actions last_;
    std::uint64_t call_ = 0;
};

inline kanto::result ok() {
    return {};
}
inline kanto::result ok(const kcm::types::Container& c) {
    return {true, {}, c};
}
inline kanto::result failed(const std::string& text) {
    return {false, text, std::nullopt};
}

// Runs `flow` once to count its I/O completions, then once more failing each of them in turn; calls
// `check(failed_at, actions, fixture)` for every run (failed_at: -1 for the clean run).
inline void run_with_failure(const std::function<registered()>& make,
                             const std::function<twin::actions(registered&)>& flow,
                             const std::function<void(int, const twin::actions&, registered&)>& check) {
    auto clean = make();
    const auto before = clean.world.completions;
    check(-1, flow(clean), clean);
    const int n = clean.world.completions - before;
    REQUIRE(n > 0);
    for (int k = 0; k < n; ++k) {
        CAPTURE(k);
        auto f = make();
        f.world.fail_at = f.world.completions + k;
        check(k, flow(f), f);
    }
}

}  // namespace steps
