#include "mqtt_link.hpp"

#include <malloc.h>

#include <future>
#include <random>
#include <utility>

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include "mqtt_tls.hpp"
#include "tcp_nodelay.hpp"

namespace bridge {
namespace asio = boost::asio;

struct mqtt_link::send_context {
    mqtt_link* self;
    std::uint64_t generation;
    std::uint64_t seq;
};

struct mqtt_link::subscribe_context {
    mqtt_link* self;
    std::uint64_t generation;
    std::string filter;
};

namespace {

// Paho C understands tcp://, ssl://, mqtt://, mqtts://, ws:// and wss://; Kanto also accepts these.
std::string paho_url(const std::string& url) {
    const auto sep = url.find("://");
    const auto scheme = url.substr(0, sep);
    if (scheme == "tls" || scheme == "tcps" || scheme == "mqtt+ssl") return "ssl" + url.substr(sep);
    return url;
}

// Completes a disconnect whose context is a heap-held shared promise (see stop()).
void settle(void* ctx) {
    auto* holder = static_cast<std::shared_ptr<std::promise<void>>*>(ctx);
    (*holder)->set_value();
    delete holder;
}

std::string random_client_id() {
    std::random_device rd;
    return "kanto-twin-bridge-" + std::to_string(rd()) + std::to_string(rd());
}

}  // namespace

mqtt_link::mqtt_link(asio::io_context& io, const config& cfg, handlers h)
    : io_(io),
      cfg_(cfg),
      handlers_(std::move(h)),
      url_(paho_url(cfg.broker_url)),
      broker_port_(mqtt_url_port(cfg.broker_url, cfg.tls())),
      retry_timer_(io),
      flush_timer_(io),
      resubscribe_timer_(io) {
    MQTTAsync_createOptions create = MQTTAsync_createOptions_initializer;
    create.sendWhileDisconnected = 0;
    const int rc = MQTTAsync_createWithOptions(
        &client_, url_.c_str(),
        (cfg.mqtt_client_id.empty() ? random_client_id() : cfg.mqtt_client_id).c_str(),
        MQTTCLIENT_PERSISTENCE_NONE, nullptr, &create);
    if (rc != MQTTASYNC_SUCCESS) {
        throw config_error("connection.broker_url: Paho cannot use \"" + cfg.broker_url + "\" (" +
                           MQTTAsync_strerror(rc) + ")");
    }
    MQTTAsync_setCallbacks(
        client_, this,
        [](void* ctx, char* cause) {
            auto* self = static_cast<mqtt_link*>(ctx);
            std::string why = cause != nullptr ? cause : "connection lost";
            asio::post(self->io_, [self, why] { self->on_connection_lost(why); });
        },
        [](void* ctx, char* topic, int topic_len, MQTTAsync_message* m) -> int {
            auto* self = static_cast<mqtt_link*>(ctx);
            std::string t =
                topic_len > 0 ? std::string(topic, static_cast<std::size_t>(topic_len)) : std::string(topic);
            std::string payload(static_cast<const char*>(m->payload),
                                static_cast<std::size_t>(m->payloadlen));
            MQTTAsync_freeMessage(&m);
            MQTTAsync_free(topic);
            asio::post(self->io_, [self, t = std::move(t), payload = std::move(payload)]() mutable {
                spdlog::trace("message on {}: {} bytes", t, payload.size());
                if (self->handlers_.message) self->handlers_.message(std::move(t), std::move(payload));
            });
            return 1;
        },
        nullptr);
    MQTTAsync_setConnected(client_, this, [](void* ctx, char*) {
        auto* self = static_cast<mqtt_link*>(ctx);
        asio::post(self->io_, [self] { self->on_connected(); });
    });
}

mqtt_link::~mqtt_link() {
    if (client_ != nullptr) MQTTAsync_destroy(&client_);
}

void mqtt_link::start() {
    connect();
}

void mqtt_link::connect() {
    if (stopping_) return;
    MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
    MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
    opts.keepAliveInterval =
        static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(cfg_.keep_alive).count());
    opts.cleansession = 1;
    opts.maxInflight = cfg_.mqtt_max_inflight;
    opts.connectTimeout = std::max(
        1, static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(cfg_.connect_timeout).count()));
    opts.automaticReconnect = 0;  // we reconnect ourselves: Paho's back-off has no jitter
    if (!cfg_.username.empty()) {
        opts.username = cfg_.username.c_str();
        opts.password = cfg_.password.c_str();
    }
    if (cfg_.tls()) {
        set_verified_tls(ssl, cfg_.root_ca, cfg_.client_cert, cfg_.client_key);
        // OpenSSL's own reason (a certificate that does not verify, a refused handshake) for the
        // log: Paho itself only says "socket error". Called on Paho's thread.
        ssl.ssl_error_context = tls_errors_.get();
        ssl.ssl_error_cb = [](const char* str, std::size_t len, void* ctx) -> int {
            auto* errors = static_cast<tls_error_log*>(ctx);
            std::lock_guard lock(errors->mutex);
            errors->last.assign(str, len);
            while (!errors->last.empty() && (errors->last.back() == '\n' || errors->last.back() == '\r'))
                errors->last.pop_back();
            return 0;
        };
        opts.ssl = &ssl;
    }
    opts.context = this;
    opts.onSuccess = nullptr;  // MQTTAsync_setConnected reports every successful connect
    opts.onFailure = [](void* ctx, MQTTAsync_failureData* d) {
        auto* self = static_cast<mqtt_link*>(ctx);
        std::string why = d != nullptr && d->message != nullptr ? d->message
                          : d != nullptr                        ? MQTTAsync_strerror(d->code)
                                                                : "connect failed";
        asio::post(self->io_, [self, why] { self->on_connect_failed(why); });
    };
    const int rc = MQTTAsync_connect(client_, &opts);
    if (rc != MQTTASYNC_SUCCESS) on_connect_failed(MQTTAsync_strerror(rc));
}

void mqtt_link::on_connect_failed(const std::string& paho_reason) {
    if (stopping_) return;
    std::string reason = paho_reason;
    {
        std::lock_guard lock(tls_errors_->mutex);
        if (!tls_errors_->last.empty()) reason += " (TLS: " + tls_errors_->last + ")";
        tls_errors_->last.clear();
    }
    // Retried forever, at start and after a lost connection, with a capped and jittered
    // exponential back-off (Kanto does not retry the first connect). Logged when the reason
    // changes, not on every attempt.
    ++failed_attempts_;
    schedule_connect(reason);
}

void mqtt_link::schedule_connect(const std::string& reason) {
    const auto cap = std::max(std::chrono::milliseconds(1000), cfg_.max_retry_interval);
    retry_delay_ =
        std::min(cap, retry_delay_.count() == 0 ? std::chrono::milliseconds(500) : retry_delay_ * 2);
    std::uniform_int_distribution<long long> jitter(retry_delay_.count() * 8 / 10, retry_delay_.count());
    const std::chrono::milliseconds wait{jitter(random_)};
    // After a lost connection (no failed attempt yet) the first try comes within half a second.
    if (failed_attempts_ > 0 && reason != last_failure_) {
        spdlog::warn("cannot {} to the MQTT broker {}: {}; retrying (back-off up to {} s)",
                     ever_connected_ ? "reconnect" : "connect", cfg_.broker_url, reason,
                     std::chrono::duration_cast<std::chrono::seconds>(cap).count());
        last_failure_ = reason;
    } else if (failed_attempts_ > 0) {
        spdlog::debug("cannot connect to the MQTT broker {} (attempt {}): {}; next in {} ms", cfg_.broker_url,
                      failed_attempts_, reason, wait.count());
    }
    retry_timer_.expires_after(wait);
    retry_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) connect();
    });
}

void mqtt_link::on_connected() {
    if (stopping_) return;
    ++generation_;
    connected_ = true;
    requeue_unacknowledged();  // normally done when the loss was reported
    wanted_.clear();           // a clean session: the services subscribe again
    failed_.clear();
    resubscribe_timer_.cancel();
    resubscribe_delay_ = std::chrono::milliseconds(1000);
    disable_nagle_towards(broker_port_);  // see tcp_nodelay.hpp
    spdlog::info(
        "connected to the MQTT broker {}{}{}", cfg_.broker_url, ever_connected_ ? " again" : "",
        failed_attempts_ > 0 ? fmt::format(" after {} failed attempt(s)", failed_attempts_) : std::string());
    failed_attempts_ = 0;
    retry_delay_ = std::chrono::milliseconds(0);
    last_failure_.clear();
    ever_connected_ = true;
    if (!queue_.empty()) spdlog::info("sending {} message(s) kept while disconnected", queue_.size());
    if (handlers_.connected) handlers_.connected();
    pump();
}

void mqtt_link::on_connection_lost(const std::string& cause) {
    if (!connected_ || stopping_) return;  // a disconnect we asked for is no loss
    ++generation_;
    connected_ = false;
    requeue_unacknowledged();
    spdlog::warn("lost the MQTT connection to {}: {}; reconnecting{}", cfg_.broker_url, cause,
                 queue_.empty()
                     ? std::string()
                     : fmt::format(" ({} unacknowledged or queued message(s) kept)", queue_.size()));
    if (handlers_.disconnected) handlers_.disconnected(cause);
    check_flushed();  // a flush cannot go on without a connection
    schedule_connect(cause);
}

void mqtt_link::requeue_unacknowledged() {
    // In their original order, ahead of everything queued after them. A message that was in flight
    // at several losses in a row may be what breaks the connection (too large for the broker, say):
    // it is dropped and the services publish everything again.
    for (auto it = unacked_.rbegin(); it != unacked_.rend(); ++it) {
        if (it->second.attempts >= max_send_attempts) {
            spdlog::error("dropping a message to {}: the connection was lost {} times while it was in flight",
                          it->second.topic, it->second.attempts);
            overflowed_ = true;
            ++dropped_;
            continue;
        }
        queue_.push_front(std::move(it->second));
    }
    unacked_.clear();
    in_flight_ = 0;
}

std::size_t mqtt_link::drop_superseded(const std::string& topic, const std::string& key) {
    return std::erase_if(queue_, [&](const outbound& m) {
        if (m.topic != topic || !m.supersedes.starts_with(key)) return false;
        return m.supersedes.size() == key.size() || m.supersedes[key.size()] == '/';
    });
}

void mqtt_link::publish(std::string topic, std::string payload, int qos, bool retain,
                        std::string supersedes) {
    if (stopping_) return;
    spdlog::trace("publish to {}: {} bytes, QoS {}{}", topic, payload.size(), qos,
                  retain ? ", retained" : "");
    if (!connected_ && !supersedes.empty()) {
        if (auto n = drop_superseded(topic, supersedes); n > 0)
            spdlog::debug("offline: {} queued message(s) for {} replaced by a newer one", n, supersedes);
    }
    if (queue_.size() >= cfg_.queue_limit) {
        if (!overflowed_)
            spdlog::error("outbound queue full ({} messages): dropping messages until it drains",
                          queue_.size());
        overflowed_ = true;
        ++dropped_;
        return;
    }
    if (burst_messages_++ == 0) burst_start_ = std::chrono::steady_clock::now();
    queue_.push_back({std::move(topic), std::move(payload), qos, retain, std::move(supersedes)});
    pump();
}

void mqtt_link::pump() {
    while (connected_ && !queue_.empty() && in_flight_ < cfg_.mqtt_max_inflight) {
        auto& m = queue_.front();
        MQTTAsync_message msg = MQTTAsync_message_initializer;
        msg.payload = m.payload.data();
        msg.payloadlen = static_cast<int>(m.payload.size());
        msg.qos = m.qos;
        msg.retained = m.retain ? 1 : 0;
        MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
        const auto seq = next_seq_++;
        opts.context = new send_context{this, generation_, seq};
        opts.onSuccess = [](void* ctx, MQTTAsync_successData*) {
            auto* sc = static_cast<send_context*>(ctx);
            asio::post(sc->self->io_, [self = sc->self, gen = sc->generation, seq = sc->seq] {
                self->on_sent(gen, seq, true, 0);
            });
            delete sc;
        };
        opts.onFailure = [](void* ctx, MQTTAsync_failureData* d) {
            auto* sc = static_cast<send_context*>(ctx);
            const int code = d != nullptr ? d->code : -1;
            asio::post(sc->self->io_, [self = sc->self, gen = sc->generation, seq = sc->seq, code] {
                self->on_sent(gen, seq, false, code);
            });
            delete sc;
        };
        const int rc =
            MQTTAsync_sendMessage(client_, m.topic.c_str(), &msg, &opts);  // Paho copies topic and payload
        if (rc != MQTTASYNC_SUCCESS) {
            delete static_cast<send_context*>(opts.context);
            spdlog::warn("publish to {} refused by Paho: {}", m.topic, MQTTAsync_strerror(rc));
            if (rc == MQTTASYNC_DISCONNECTED) return;  // the connection-lost callback follows
            queue_.pop_front();
            continue;
        }
        if (m.qos > 0) {  // kept until acknowledged: sent again after a lost connection
            ++in_flight_;
            ++m.attempts;
            unacked_.emplace(seq, std::move(m));
        }
        queue_.pop_front();
    }
    peak_queued_ = std::max(peak_queued_, queue_.size());
    if (queue_.empty() && in_flight_ == 0) {  // a burst has drained
        if (burst_messages_ >= report_burst) {
            const std::chrono::duration<double, std::milli> took =
                std::chrono::steady_clock::now() - burst_start_;
            spdlog::debug(
                "published a burst of {} messages: the last acknowledged {:.1f} ms after the "
                "first was queued",
                burst_messages_, took.count());
        }
        burst_messages_ = 0;
        if (peak_queued_ >= trim_after) {
            // A large one (a registration of many containers): hand its freed heap back to the
            // system, or the daemon keeps the burst's peak as its resident size for good.
            peak_queued_ = 0;
            ::malloc_trim(0);
        }
    }
    if (overflowed_ && queue_.empty() && in_flight_ == 0) {
        spdlog::warn("outbound queue drained after dropping {} message(s): publishing the twin again",
                     dropped_);
        overflowed_ = false;
        dropped_ = 0;
        if (handlers_.resync_needed) handlers_.resync_needed();
    }
    check_flushed();
}

void mqtt_link::on_sent(std::uint64_t generation, std::uint64_t seq, bool ok, int code) {
    if (generation != generation_) return;  // belongs to a connection that is gone: already re-queued
    auto it = unacked_.find(seq);
    if (it == unacked_.end()) return;
    if (in_flight_ > 0) --in_flight_;
    if (!ok && (code == MQTTASYNC_DISCONNECTED || code == MQTTASYNC_OPERATION_INCOMPLETE ||
                !MQTTAsync_isConnected(client_))) {
        // Paho failed it because the connection is going: the loss, reported next, re-queues it.
        spdlog::debug("a publish to {} failed with the connection: {}", it->second.topic,
                      MQTTAsync_strerror(code));
        return;
    }
    if (!ok) {
        // Refused for another reason while connected: dropped, and the services publish
        // everything again once the queue drains.
        spdlog::warn("a publish to {} was not acknowledged: {}", it->second.topic, MQTTAsync_strerror(code));
        overflowed_ = true;
        ++dropped_;
    }
    unacked_.erase(it);
    pump();
}

void mqtt_link::flush(std::chrono::milliseconds budget, std::function<void()> done) {
    flushed_ = std::move(done);
    flush_timer_.expires_after(budget);
    flush_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || !flushed_) return;
        spdlog::warn("stopping: {} message(s) still unsent after the flush time",
                     queue_.size() + unacked_.size());
        std::exchange(flushed_, nullptr)();
    });
    check_flushed();
}

void mqtt_link::check_flushed() {
    if (!flushed_) return;
    if (connected_ && (!queue_.empty() || in_flight_ > 0)) return;
    flush_timer_.cancel();
    // Called from inside pump() or a callback: `done` runs as a handler of its own.
    asio::post(io_, std::exchange(flushed_, nullptr));
}

void mqtt_link::subscribe(const std::string& filter, int qos) {
    if (!connected_ || stopping_) return;
    wanted_[filter] = qos;
    failed_.erase(filter);
    send_subscribe(filter, qos);
}

void mqtt_link::send_subscribe(const std::string& filter, int qos) {
    MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
    // Owned by Paho's callbacks from here on; deleted by whichever runs.
    auto* sc = new subscribe_context{this, generation_, filter};
    opts.context = sc;
    opts.onSuccess = [](void* ctx, MQTTAsync_successData*) { delete static_cast<subscribe_context*>(ctx); };
    opts.onFailure = [](void* ctx, MQTTAsync_failureData* d) {
        auto* sc = static_cast<subscribe_context*>(ctx);
        std::string why = d == nullptr                    ? "unknown"
                          : d->code == MQTT_BAD_SUBSCRIBE ? "refused by the broker"
                                                          : MQTTAsync_strerror(d->code);
        asio::post(sc->self->io_, [self = sc->self, gen = sc->generation, filter = sc->filter, why] {
            self->on_subscribe_failed(gen, filter, why);
        });
        delete sc;
    };
    if (int rc = MQTTAsync_subscribe(client_, filter.c_str(), qos, &opts); rc != MQTTASYNC_SUCCESS) {
        delete sc;
        on_subscribe_failed(generation_, filter, MQTTAsync_strerror(rc));
    }
}

void mqtt_link::on_subscribe_failed(std::uint64_t generation, const std::string& filter,
                                    const std::string& reason) {
    if (generation != generation_ || stopping_ || wanted_.count(filter) == 0) return;
    spdlog::error("MQTT subscription to {} failed: {}; retrying in {} ms", filter, reason,
                  resubscribe_delay_.count());
    if (handlers_.subscribe_failed) handlers_.subscribe_failed(filter, reason);
    if (!failed_.insert(filter).second || failed_.size() > 1) return;  // the timer is already armed
    resubscribe_timer_.expires_after(resubscribe_delay_);
    resubscribe_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) retry_subscriptions();
    });
}

void mqtt_link::retry_subscriptions() {
    if (!connected_ || stopping_) return;
    resubscribe_delay_ = std::min(resubscribe_delay_ * 2, std::chrono::milliseconds(30000));
    auto failed = std::move(failed_);
    failed_.clear();
    for (const auto& filter : failed) {
        auto it = wanted_.find(filter);
        if (it != wanted_.end()) send_subscribe(filter, it->second);
    }
}

void mqtt_link::unsubscribe(const std::string& filter) {
    if (!connected_) return;
    wanted_.erase(filter);
    failed_.erase(filter);
    MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
    if (int rc = MQTTAsync_unsubscribe(client_, filter.c_str(), &opts); rc != MQTTASYNC_SUCCESS) {
        spdlog::warn("cannot unsubscribe {}: {}", filter, MQTTAsync_strerror(rc));
    }
}

void mqtt_link::stop() {
    if (stopping_) return;
    stopping_ = true;
    retry_timer_.cancel();
    resubscribe_timer_.cancel();
    flush_timer_.cancel();
    flushed_ = nullptr;
    if (!MQTTAsync_isConnected(client_)) {
        if (!queue_.empty() || !unacked_.empty())
            spdlog::warn("stopping while disconnected: {} message(s) not sent",
                         queue_.size() + unacked_.size());
        return;
    }
    // What Paho holds (the in-flight window) is flushed within the disconnect timeout; what is
    // still in our queue (flush() had its time) is not sent.
    if (!queue_.empty()) spdlog::warn("stopping: {} queued message(s) not sent", queue_.size());
    // The promise lives on the heap, owned jointly with Paho's callback: waiting may end first.
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer;
    opts.timeout = static_cast<int>(cfg_.disconnect_timeout.count());
    opts.context = new std::shared_ptr<std::promise<void>>(done);
    opts.onSuccess = [](void* ctx, MQTTAsync_successData*) { settle(ctx); };
    opts.onFailure = [](void* ctx, MQTTAsync_failureData*) { settle(ctx); };
    if (MQTTAsync_disconnect(client_, &opts) == MQTTASYNC_SUCCESS) {
        finished.wait_for(cfg_.disconnect_timeout + std::chrono::seconds(2));
    } else {
        delete static_cast<std::shared_ptr<std::promise<void>>*>(opts.context);
    }
    connected_ = false;
}

}  // namespace bridge
