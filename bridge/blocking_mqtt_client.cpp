#include "blocking_mqtt_client.hpp"

#include <unistd.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <utility>

#include "mqtt_tls.hpp"
#include "tcp_nodelay.hpp"

namespace bridge {

struct blocking_mqtt_client::pending {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    bool ok = false;
    std::string error;

    void finish(bool success, const char* message) {
        std::lock_guard lock(mu);
        done = true;
        ok = success;
        if (message != nullptr) error = message;
        cv.notify_all();
    }

    // Paho's context: a heap-held share of the pending state, so a caller that stopped waiting
    // (timeout) leaves Paho a live object; deleted by the callback, or by the caller when Paho
    // refused the request.
    static void* context(const std::shared_ptr<pending>& p) { return new std::shared_ptr<pending>(p); }
    static void release(void* ctx) { delete static_cast<std::shared_ptr<pending>*>(ctx); }
    static void on_success(void* ctx, MQTTAsync_successData*) {
        (*static_cast<std::shared_ptr<pending>*>(ctx))->finish(true, nullptr);
        release(ctx);
    }
    static void on_failure(void* ctx, MQTTAsync_failureData* d) {
        (*static_cast<std::shared_ptr<pending>*>(ctx))
            ->finish(false, d != nullptr && d->message != nullptr ? d->message : "failed");
        release(ctx);
    }
};

namespace {
std::string unique_id() {
    static std::atomic<int> n{0};
    return "kanto-twin-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}
}  // namespace

blocking_mqtt_client::blocking_mqtt_client(const std::string& url, const std::string& client_id,
                                           bool reconnect, const security& sec)
    : url_(url), broker_port_(mqtt_url_port(url, is_tls_url(url))) {
    const auto id = client_id.empty() ? unique_id() : client_id;
    if (MQTTAsync_create(&client_, url.c_str(), id.c_str(), MQTTCLIENT_PERSISTENCE_NONE, nullptr) !=
        MQTTASYNC_SUCCESS) {
        throw std::runtime_error("MQTTAsync_create failed for " + url);
    }
    MQTTAsync_connectionLost* lost = nullptr;
    if (reconnect) {
        lost = [](void* ctx, char* cause) {
            auto* self = static_cast<blocking_mqtt_client*>(ctx);
            std::lock_guard lock(self->mu_);
            self->events_.push_back("lost the connection to " + self->url_ + " (" +
                                    (cause != nullptr ? std::string(cause) : std::string("connection lost")) +
                                    "): reconnecting");
        };
        // Called on Paho's thread after every successful automatic reconnect: subscribe again (the
        // session is clean), without waiting.
        MQTTAsync_setConnected(client_, this, [](void* ctx, char* cause) {
            auto* self = static_cast<blocking_mqtt_client*>(ctx);
            if (cause == nullptr || std::string(cause) != "automatic reconnect") return;
            std::vector<std::pair<std::string, int>> filters;
            {
                std::lock_guard lock(self->mu_);
                filters = self->subscriptions_;
                self->events_.push_back("reconnected to " + self->url_);
            }
            disable_nagle_towards(self->broker_port_);
            for (const auto& [filter, qos] : filters) {
                MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
                MQTTAsync_subscribe(self->client_, filter.c_str(), qos, &opts);
            }
        });
    }
    MQTTAsync_setCallbacks(client_, this, lost, &blocking_mqtt_client::on_message, nullptr);
    auto p = std::make_shared<pending>();
    MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
    if (reconnect) {
        opts.automaticReconnect = 1;
        opts.minRetryInterval = 1;
        opts.maxRetryInterval = 5;
    }
    opts.keepAliveInterval = 20;
    opts.cleansession = 1;
    opts.maxInflight = 1000;
    if (!sec.username.empty()) {
        opts.username = sec.username.c_str();
        opts.password = sec.password.c_str();
    }
    MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
    if (is_tls_url(url)) {
        if (sec.root_ca.empty()) {
            MQTTAsync_destroy(&client_);
            throw std::runtime_error("a CA file is needed for " + url + " (the server is always verified)");
        }
        set_verified_tls(ssl, sec.root_ca, sec.client_cert, sec.client_key);
        opts.ssl = &ssl;
    }
    opts.onSuccess = &pending::on_success;
    opts.onFailure = &pending::on_failure;
    opts.context = pending::context(p);
    if (MQTTAsync_connect(client_, &opts) != MQTTASYNC_SUCCESS) {
        pending::release(opts.context);
        MQTTAsync_destroy(&client_);
        throw std::runtime_error("MQTTAsync_connect failed");
    }
    try {
        wait(*p, "connect");
    } catch (...) {
        MQTTAsync_destroy(&client_);
        throw;
    }
    disable_nagle_towards(broker_port_);
}

blocking_mqtt_client::~blocking_mqtt_client() {
    if (MQTTAsync_isConnected(client_)) {
        auto p = std::make_shared<pending>();
        MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer;
        opts.timeout = 1000;
        opts.onSuccess = &pending::on_success;
        opts.onFailure = &pending::on_failure;
        opts.context = pending::context(p);
        if (MQTTAsync_disconnect(client_, &opts) == MQTTASYNC_SUCCESS) {
            std::unique_lock lock(p->mu);
            p->cv.wait_for(lock, std::chrono::seconds(2), [&] { return p->done; });
        } else {
            pending::release(opts.context);
        }
    }
    MQTTAsync_destroy(&client_);
}

void blocking_mqtt_client::wait(pending& p, const char* what) {
    std::unique_lock lock(p.mu);
    if (!p.cv.wait_for(lock, std::chrono::seconds(10), [&] { return p.done; })) {
        throw std::runtime_error(std::string("MQTT ") + what + " timed out");
    }
    if (!p.ok) throw std::runtime_error(std::string("MQTT ") + what + " failed: " + p.error);
}

void blocking_mqtt_client::subscribe(const std::string& filter, int qos) {
    auto p = std::make_shared<pending>();
    MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
    opts.onSuccess = &pending::on_success;
    opts.onFailure = &pending::on_failure;
    opts.context = pending::context(p);
    if (MQTTAsync_subscribe(client_, filter.c_str(), qos, &opts) != MQTTASYNC_SUCCESS) {
        pending::release(opts.context);
        throw std::runtime_error("MQTTAsync_subscribe failed for " + filter);
    }
    wait(*p, "subscribe");
    std::lock_guard lock(mu_);
    subscriptions_.emplace_back(filter, qos);
}

void blocking_mqtt_client::publish(const std::string& topic, const std::string& payload, int qos,
                                   bool retain) {
    auto p = std::make_shared<pending>();
    MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
    opts.onSuccess = &pending::on_success;
    opts.onFailure = &pending::on_failure;
    opts.context = pending::context(p);
    if (MQTTAsync_send(client_, topic.c_str(), static_cast<int>(payload.size()), payload.data(), qos,
                       retain ? 1 : 0, &opts) != MQTTASYNC_SUCCESS) {
        pending::release(opts.context);
        throw std::runtime_error("MQTTAsync_send failed for " + topic);
    }
    wait(*p, "publish");
}

int blocking_mqtt_client::on_message(void* ctx, char* topic, int topic_len, MQTTAsync_message* m) {
    auto* self = static_cast<blocking_mqtt_client*>(ctx);
    mqtt_message msg;
    msg.topic = topic_len > 0 ? std::string(topic, static_cast<std::size_t>(topic_len)) : std::string(topic);
    msg.payload.assign(static_cast<const char*>(m->payload), static_cast<std::size_t>(m->payloadlen));
    msg.qos = m->qos;
    msg.retained = m->retained != 0;
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    {
        std::lock_guard lock(self->mu_);
        self->inbox_.push_back(std::move(msg));
    }
    self->cv_.notify_all();
    return 1;
}

std::optional<mqtt_message> blocking_mqtt_client::next(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !inbox_.empty(); })) return std::nullopt;
    auto m = std::move(inbox_.front());
    inbox_.pop_front();
    return m;
}

std::vector<mqtt_message> blocking_mqtt_client::take(std::size_t n, std::chrono::milliseconds timeout) {
    std::vector<mqtt_message> out;
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (out.size() < n) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
        auto m = next(std::max(left, std::chrono::milliseconds(0)));
        if (!m) break;
        out.push_back(std::move(*m));
    }
    return out;
}

std::vector<std::string> blocking_mqtt_client::take_events() {
    std::lock_guard lock(mu_);
    return std::exchange(events_, {});
}

std::vector<mqtt_message> blocking_mqtt_client::drain(std::chrono::milliseconds quiet) {
    std::vector<mqtt_message> out;
    while (auto m = next(quiet)) out.push_back(std::move(*m));
    return out;
}

}  // namespace bridge
