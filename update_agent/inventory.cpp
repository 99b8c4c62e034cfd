#include "inventory.hpp"

#include <boost/json.hpp>

#include "go_duration.hpp"
#include "image_version.hpp"

namespace update_agent {
namespace json = boost::json;
namespace {

class params {
  public:
    void add(const char* key, const std::string& value) {
        json::object kv;
        kv.emplace("key", key);
        if (!value.empty()) kv.emplace("value", value);  // Go's omitempty
        out_.emplace_back(std::move(kv));
    }
    void add_if(bool cond, const char* key, const std::string& value) {
        if (cond) add(key, value);
    }
    json::array take() { return std::move(out_); }

  private:
    json::array out_;
};

const char* text(bool b) {
    return b ? "true" : "false";
}

std::string device_text(const kcm::types::DeviceMapping& d) {
    std::string out;
    for (const auto* part : {&d.path_on_host(), &d.path_in_container(), &d.cgroup_permissions()}) {
        if (part->empty()) continue;
        if (!out.empty()) out += ':';
        out += *part;
    }
    return out;
}

std::string port_text(const kcm::types::PortMapping& p) {
    std::string out;
    if (!p.host_ip().empty() && p.host_ip() != "0.0.0.0") out += p.host_ip() + ":";
    out += std::to_string(p.host_port());
    if (p.host_port_end() != 0 && p.host_port_end() != p.host_port())
        out += "-" + std::to_string(p.host_port_end());
    if (p.container_port() != 0) out += ":" + std::to_string(p.container_port());
    if (!p.protocol().empty()) out += "/" + p.protocol();
    return out;
}

// Started at least once: Kanto-CM keeps the first start time (Go's zero time before it).
bool started_before(const kcm::types::State& s) {
    return !s.started_at().empty() && s.started_at().rfind("0001-01-01", 0) != 0;
}

void host_parameters(const kcm::types::HostConfig& hc, bool verbose, params& p) {
    p.add_if(verbose || hc.privileged(), "privileged", text(hc.privileged()));
    if (hc.has_restart_policy()) {
        const auto& rp = hc.restart_policy();
        p.add_if(verbose || rp.type() != "unless-stopped", "restartPolicy", rp.type());
        p.add_if(verbose || rp.maximum_retry_count() != 0, "restartMaxRetries",
                 std::to_string(rp.maximum_retry_count()));
        p.add_if(verbose || rp.retry_timeout() != 0, "restartTimeout",
                 kanto::format_go_seconds(rp.retry_timeout()));
    }
    for (const auto& d : hc.devices()) p.add("device", device_text(d));
    for (const auto& port : hc.port_mappings()) p.add("port", port_text(port));
    const auto& net = hc.network_mode();
    p.add_if(!net.empty() && (verbose || net != "bridge"), "network", net);
    for (const auto& h : hc.extra_hosts()) p.add("host", h);
}

void log_parameters(const kcm::types::LogConfiguration& lc, bool verbose, params& p) {
    if (lc.has_driver_config()) {
        const auto& d = lc.driver_config();
        const bool json_file = d.type() == "json-file";
        p.add_if(verbose || (!d.type().empty() && !json_file), "logDriver", d.type());
        if (json_file) {
            p.add_if(verbose || d.max_files() != 2, "logMaxFiles", std::to_string(d.max_files()));
            p.add_if(verbose || (!d.max_size().empty() && d.max_size() != "100M"), "logMaxSize",
                     d.max_size());
            p.add_if(!d.root_dir().empty(), "logPath", d.root_dir());
        }
    }
    if (lc.has_mode_config()) {
        const auto& m = lc.mode_config();
        p.add_if(verbose || (!m.mode().empty() && m.mode() != "blocking"), "logMode", m.mode());
        if (m.mode() == "non-blocking") {
            p.add_if(verbose || (!m.max_buffer_size().empty() && m.max_buffer_size() != "1M"),
                     "logMaxBufferSize", m.max_buffer_size());
        }
    }
}

void state_parameters(const kcm::types::Container& c, bool verbose, params& p) {
    const auto& s = c.state();
    const bool running = s.status() == "Running";
    if (c.has_state()) p.add("status", s.status());
    p.add_if(verbose || (!s.finished_at().empty() && !running), "finishedAt", s.finished_at());
    p.add_if(verbose || (s.exit_code() != 0 && !running), "exitCode", std::to_string(s.exit_code()));
    p.add("created", c.created());
    p.add_if(verbose || c.restart_count() != 0, "restartCount", std::to_string(c.restart_count()));
    p.add_if(verbose || (c.manually_stopped() && !running), "manuallyStopped", text(c.manually_stopped()));
    const bool started = started_before(s);
    p.add_if(verbose || (started && !running), "startedSuccessfullyBefore", text(started));
}

}  // namespace

json::array container_parameters(const kcm::types::Container& c, bool verbose) {
    params p;
    p.add_if(verbose || !c.image().name().empty(), "image", c.image().name());
    p.add_if(verbose || c.domain_name() != c.name() + "-domain", "domainName", c.domain_name());
    p.add_if(verbose || c.host_name() != c.name() + "-host", "hostName", c.host_name());
    if (c.has_io_config()) {
        p.add_if(verbose || c.io_config().tty(), "terminal", text(c.io_config().tty()));
        p.add_if(verbose || c.io_config().open_stdin(), "interactive", text(c.io_config().open_stdin()));
    }
    if (c.has_host_config()) {
        const auto& hc = c.host_config();
        host_parameters(hc, verbose, p);
        if (hc.has_log_config()) log_parameters(hc.log_config(), verbose, p);
        const auto& r = hc.resources();
        p.add_if(!r.memory().empty(), "memory", r.memory());
        p.add_if(!r.memory_reservation().empty(), "memoryReservation", r.memory_reservation());
        p.add_if(!r.memory_swap().empty(), "memorySwap", r.memory_swap());
    }
    for (const auto& m : c.mounts()) {
        p.add("mount", m.source() + ":" + m.destination() + ":" + m.propagation_mode());
    }
    for (const auto& e : c.config().env()) p.add("env", e);
    for (const auto& a : c.config().cmd()) p.add("cmd", a);
    state_parameters(c, verbose, p);
    return p.take();
}

json::object inventory(const std::vector<kcm::types::Container>& containers, const inventory_config& cfg) {
    const std::string agent_id = cfg.domain + "-update-agent";
    json::array nodes;
    nodes.reserve(containers.size() + 1);
    json::object agent;
    agent.emplace("id", agent_id);
    agent.emplace("version", cfg.agent_version);
    agent.emplace("name", "Eclipse Kanto Containers Update Agent");
    agent.emplace("parameters", json::array{json::object{{"key", "domain"}, {"value", cfg.domain}}});
    agent.emplace("type", "APPLICATION");
    nodes.emplace_back(std::move(agent));
    json::array associations;
    for (const auto& c : containers) {
        const std::string id = cfg.domain + ":" + c.name();
        json::object node;
        node.emplace("id", id);
        node.emplace("version", image_version(c.image().name()));
        auto parameters = container_parameters(c, cfg.verbose);
        if (!parameters.empty()) node.emplace("parameters", std::move(parameters));
        node.emplace("type", "CONTAINER");
        nodes.emplace_back(std::move(node));
        associations.emplace_back(json::object{{"sourceId", agent_id}, {"targetId", id}});
    }
    json::object payload;
    payload.emplace("softwareNodes", std::move(nodes));
    if (!associations.empty()) payload.emplace("associations", std::move(associations));
    return payload;
}

}  // namespace update_agent
