#include "twin_service.hpp"

#include <malloc.h>

#include <filesystem>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "command.hpp"
#include "file_store.hpp"
#include "log_line_writer.hpp"

namespace bridge {
namespace asio = boost::asio;
namespace {

constexpr std::size_t large_list = 256;

template <class... F>
struct overload : F... {
    using F::operator()...;
};
template <class... F>
overload(F...) -> overload<F...>;

}  // namespace

twin::core_config twin_core_config(const config& cfg) {
    twin::core_config c;
    c.features = cfg.things_features;
    c.home_dir = cfg.things_home_dir;
    c.poll_interval = cfg.list_period();
    c.max_backoff = cfg.max_retry_interval;
    c.max_payload = cfg.max_payload;
    c.watch_other_publishers = cfg.watch_other_publishers;
    return c;
}

twin_service::twin_service(adapters& shared)
    : a_(shared), core_(twin_core_config(shared.cfg)), poll_timer_(shared.io), metrics_timer_(shared.io) {}

template <class F>
void twin_service::feed(F&& input) {
    asio::post(a_.io, [this, input = std::forward<F>(input)]() mutable {
        if (!stopped_) execute(input());
    });
}

void twin_service::start() {
    const auto& cfg = a_.cfg;
    std::error_code ec;
    std::filesystem::create_directories(cfg.things_home_dir, ec);  // Kanto creates it at start too
    if (ec) spdlog::warn("cannot create things.home_dir {}: {}", cfg.things_home_dir, ec.message());
    spdlog::info("Kanto-CM at {}; features: {}", kanto_client::target(cfg),
                 cfg.things_features.empty() ? std::string("(none)")
                                             : fmt::format("{}", fmt::join(cfg.things_features, ", ")));
    if (cfg.watch_state_files) {
        watch_ = std::make_unique<state_watch>(
            a_.io, std::filesystem::path(cfg.manager_home_dir) / "containers",
            [this](const std::string& id) { feed([this, id] { return core_.on_container_hint(id); }); },
            [this] { feed([this] { return core_.on_poll_due(); }); });
        watch_->start();
    }
    feed([this] { return core_.on_start(); });
}

void twin_service::stop() {
    if (stopped_) return;
    stopped_ = true;
    poll_timer_.cancel();
    metrics_timer_.cancel();
    if (watch_) watch_->stop();
}

void twin_service::on_stopping() {
    if (stopped_) return;
    execute(core_.on_stopping());
    stop();
}

void twin_service::on_connected() {
    feed([this] { return core_.on_connected(); });
}
void twin_service::on_disconnected() {
    feed([this] { return core_.on_disconnected(); });
}
namespace {

// The request id of an answer's topic, command//<thing>/res/<reqId>/<status> (what
// twin::response_topic builds), or "".
std::string answered_request(const std::string& topic) {
    if (!topic.starts_with("command//")) return {};
    const auto at = topic.rfind("/res/");
    if (at == std::string::npos) return {};
    const auto begin = at + 5;
    return topic.substr(begin, topic.find('/', begin) - begin);
}

}  // namespace

void twin_service::on_message(std::string topic, std::string payload) {
    // The core's own parser: only what the pipeline takes for a command is timed.
    if (auto t = twin::parse_command_topic(topic); t && !t->req_id.empty()) {
        if (commands_.size() >= 1000) commands_.erase(commands_.begin());
        commands_[t->req_id] = std::chrono::steady_clock::now();
    }
    feed([this, t = std::move(topic), p = std::move(payload)] { return core_.on_message(t, p); });
}
void twin_service::on_resync_needed() {
    feed([this] { return core_.on_resync_needed(); });
}
void twin_service::on_subscribe_failed(const std::string& filter, const std::string& reason) {
    feed([this, filter, reason] { return core_.on_subscribe_failed(filter, reason); });
}

void twin_service::execute(twin::actions actions) {
    for (auto& a : actions) {
        if (stopped_) return;
        execute_one(a);
    }
}

void twin_service::execute_one(twin::action& action) {
    std::visit(
        overload{
            [this](twin::publish& p) {
                if (auto id = answered_request(p.topic); !id.empty()) {
                    if (auto it = commands_.find(id); it != commands_.end()) {
                        const std::chrono::duration<double, std::milli> took =
                            std::chrono::steady_clock::now() - it->second;
                        spdlog::debug("command {} answered {} after {:.1f} ms", id,
                                      p.topic.substr(p.topic.rfind('/') + 1), took.count());
                        commands_.erase(it);
                    }
                }
                a_.mqtt.publish(std::move(p.topic), std::move(p.payload), p.qos, false,
                                std::move(p.supersedes));
            },
            [this](twin::subscribe& s) { a_.mqtt.subscribe(s.filter, s.qos); },
            [this](twin::unsubscribe& u) { a_.mqtt.unsubscribe(u.filter); },
            [this](twin::list_containers&) {
                a_.kanto.list([this](const grpc::Status& st, std::vector<kcm::types::Container> list) {
                    if (stopped_) return;
                    execute(st.ok() ? core_.on_containers_listed(list) : core_.on_kanto_failed(describe(st)));
                    // A large List's buffers are freed after this handler: give them back to the
                    // system then, or every poll keeps its peak resident.
                    if (list.size() >= large_list) asio::post(a_.io, [] { ::malloc_trim(0); });
                });
            },
            [this](twin::get_container& g) {
                a_.kanto.get(g.id, [this, id = g.id](const grpc::Status& st,
                                                     std::optional<kcm::types::Container> c) {
                    if (stopped_) return;
                    execute(st.ok() ? core_.on_container_read(id, c) : core_.on_kanto_failed(describe(st)));
                });
            },
            [this](twin::call_kanto& c) {
                a_.kanto.call(c.request, [this, op = c.op](kanto::result r) {
                    if (!stopped_) execute(core_.on_kanto_done(op, r));
                });
            },
            [this](twin::read_file& r) {
                auto result = read_file_with_legacy(r.path, r.legacy_path);
                feed([this, path = r.path, result] {
                    return core_.on_file_read(path, result.content, result.error);
                });
            },
            [](twin::write_file& w) {
                if (auto err = write_file_atomically(w.path, w.content); !err.empty())
                    spdlog::error("{}", err);
            },
            [this](twin::schedule_poll& s) {
                poll_timer_.expires_after(s.after);
                poll_timer_.async_wait([this](const boost::system::error_code& ec) {
                    if (!ec && !stopped_) execute(core_.on_poll_due());
                });
            },
            [this](twin::read_metrics& r) {
                std::vector<twin::metrics_sample> samples;
                samples.reserve(r.targets.size());
                for (const auto& t : r.targets)
                    samples.push_back(a_.cgroups.read(t.container_id, static_cast<long>(t.pid)));
                const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
                feed([this, gen = r.generation, baseline = r.baseline, samples = std::move(samples), now] {
                    return core_.on_metrics_read(gen, baseline, samples, now);
                });
            },
            [this](twin::schedule_metrics& m) {
                metrics_timer_.cancel();
                if (m.after.count() == 0) return;
                metrics_timer_.expires_after(m.after);
                metrics_timer_.async_wait([this, gen = m.generation](const boost::system::error_code& ec) {
                    if (!ec && !stopped_) execute(core_.on_metrics_due(gen));
                });
            },
            [this](twin::http_get& h) {
                a_.http.get(h.url, [this, id = h.id](twin::http_result r) {
                    if (!stopped_) execute(core_.on_http_done(id, r));
                });
            },
            [](twin::log& l) { write_log_line(l); },
        },
        action);
}

}  // namespace bridge
