#include "update_agent_service.hpp"

#include <chrono>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "log_line_writer.hpp"

namespace bridge {
namespace asio = boost::asio;
namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

update_agent::agent_config update_agent_config(const config& cfg) {
    update_agent::agent_config c;
    c.domain = cfg.update_agent_domain;
    c.system_containers = cfg.update_agent_system_containers;
    c.verbose_inventory = cfg.update_agent_verbose_inventory;
    c.max_payload = cfg.max_payload;
    c.auto_apply = cfg.update_agent_auto_apply;
    return c;
}

update_agent_service::update_agent_service(adapters& shared)
    : a_(shared), core_(update_agent_config(shared.cfg)) {}

template <class F>
void update_agent_service::feed(F&& input) {
    asio::post(a_.io, [this, input = std::forward<F>(input)]() mutable {
        if (!stopped_) execute(input());
    });
}

void update_agent_service::start() {
    const auto& t = core_.topics();
    spdlog::info("update agent for domain {}: desired states on {}, feedback on {}, current state on {}",
                 a_.cfg.update_agent_domain, t.desired_state, t.feedback, t.current_state);
}

void update_agent_service::on_connected() {
    for (const auto& filter : core_.inbound_topics()) a_.mqtt.subscribe(filter, 1);
    feed([this] { return core_.on_connected(now_ms()); });
}

void update_agent_service::on_message(std::string topic, std::string payload) {
    feed([this, t = std::move(topic), p = std::move(payload)] { return core_.on_message(t, p, now_ms()); });
}

void update_agent_service::on_subscribe_failed(const std::string& filter, const std::string& reason) {
    spdlog::error("update agent: the broker refused the subscription to {} ({}): retrying", filter, reason);
}

void update_agent_service::list(std::uint64_t tag) {
    a_.kanto.list([this, tag](const grpc::Status& st, std::vector<kcm::types::Container> containers) {
        if (stopped_) return;
        execute(core_.on_listed(tag, st.ok(), st.ok() ? std::string() : describe(st), containers, now_ms()));
    });
}

void update_agent_service::on_stopping() {
    if (stopped_) return;
    execute(core_.on_stopping(now_ms()));
    stop();
}

void update_agent_service::execute(update_agent::actions actions) {
    for (auto& a : actions) {
        if (stopped_) return;
        if (auto* l = std::get_if<update_agent::log>(&a)) {
            write_log_line(*l);
        } else if (auto* p = std::get_if<update_agent::publish>(&a)) {
            // A newer current state replaces an older one still waiting for the link.
            auto key = p->retain ? p->topic : std::string();
            a_.mqtt.publish(std::move(p->topic), std::move(p->payload), 1, p->retain, std::move(key));
        } else if (auto* l = std::get_if<update_agent::list_containers>(&a)) {
            if (version_known_) {
                list(l->tag);
                continue;
            }
            a_.kanto.project_version([this, tag = l->tag](const grpc::Status& st, std::string version) {
                if (stopped_) return;
                if (st.ok() && !version.empty()) {
                    version_known_ = true;
                    core_.set_agent_version(std::move(version));
                }
                list(tag);
            });
        } else if (auto* c = std::get_if<update_agent::call_kanto>(&a)) {
            a_.kanto.call(c->request, [this, id = c->call](kanto::result r) {
                if (!stopped_) execute(core_.on_kanto_done(id, r, now_ms()));
            });
        }
    }
}

}  // namespace bridge
