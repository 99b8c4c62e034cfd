#include "service_host.hpp"

#include <spdlog/spdlog.h>

#include "topic_filter.hpp"

namespace bridge {
namespace asio = boost::asio;

service_host::service_host(asio::io_context& io, const config& cfg)
    : io_(io),
      cfg_(cfg),
      kanto_(io, cfg),
      http_(io, cfg.download_timeout, cfg.download_max_bytes),
      mqtt_(io, cfg,
            mqtt_link::handlers{[this] {
                                    notify_.mqtt_connected();
                                    each([](service& s) { s.on_connected(); });
                                },
                                [this](const std::string&) { each([](service& s) { s.on_disconnected(); }); },
                                [this](std::string topic, std::string payload) {
                                    if (auto* s = owner_of(topic)) {
                                        s->on_message(std::move(topic), std::move(payload));
                                    } else {
                                        spdlog::debug("no service owns a message on {}", topic);
                                    }
                                },
                                [this] { each([](service& s) { s.on_resync_needed(); }); },
                                [this](const std::string& filter, const std::string& reason) {
                                    if (auto* s = owner_of(filter)) s->on_subscribe_failed(filter, reason);
                                }}),
      adapters_{io, cfg, mqtt_, kanto_, http_, cgroups_},
      notify_(io),
      probe_timer_(io) {}

service_host::~service_host() {
    stop();
}

void service_host::add(std::unique_ptr<service> s) {
    services_.push_back(std::move(s));
}

service* service_host::owner_of(const std::string& topic) const {
    for (const auto& s : services_) {
        for (const auto& filter : s->topic_filters()) {
            if (topic_matches(filter, topic) || filter == topic) return s.get();
        }
    }
    return nullptr;
}

void service_host::start() {
    for (auto& s : services_) {
        spdlog::info("starting the {} service", s->name());
        s->start();
    }
    mqtt_.start();
    notify_.start();
    probe_kanto();
}

void service_host::probe_kanto() {
    kanto_.project_version([this](const grpc::Status& st, std::string version) {
        if (stopped_) return;
        if (st.ok()) return notify_.kanto_answered(version);
        probe_timer_.expires_after(std::chrono::seconds(1));
        probe_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec && !stopped_) probe_kanto();
        });
    });
}

void service_host::shutdown(std::chrono::milliseconds flush_budget, std::function<void()> done) {
    if (stopped_) return done();
    notify_.stopping();
    each([](service& s) { s.on_stopping(); });
    kanto_.stop();
    mqtt_.flush(flush_budget, [this, done = std::move(done)] {
        stop();
        done();
    });
}

void service_host::stop() {
    if (stopped_) return;
    stopped_ = true;
    probe_timer_.cancel();
    notify_.stop();
    each([](service& s) { s.stop(); });
    kanto_.stop();
    mqtt_.stop();
}

}  // namespace bridge
