#include "plain_publisher.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>

#include <MQTTAsync.h>

#include "tcp_nodelay.hpp"

namespace bench {
namespace {

using clock_type = std::chrono::steady_clock;

struct run {
    MQTTAsync client = nullptr;
    const std::vector<harness::mqtt_message>* messages = nullptr;
    std::atomic<std::size_t> next{0};
    std::size_t acked = 0;
    bool failed = false;
    bool connected = false;
    clock_type::time_point done_at;
    std::mutex mu;
    std::condition_variable cv;

    void send_next();
};

void on_acked(void* ctx, MQTTAsync_successData*) {
    auto* r = static_cast<run*>(ctx);
    bool all = false;
    {
        std::lock_guard lock(r->mu);
        all = ++r->acked == r->messages->size();
        if (all) r->done_at = clock_type::now();
    }
    if (all) r->cv.notify_all();
    r->send_next();
}

void on_failed(void* ctx, MQTTAsync_failureData*) {
    auto* r = static_cast<run*>(ctx);
    {
        std::lock_guard lock(r->mu);
        r->failed = true;
    }
    r->cv.notify_all();
}

void run::send_next() {
    const auto i = next.fetch_add(1);
    if (i >= messages->size()) return;
    const auto& m = (*messages)[i];
    MQTTAsync_message msg = MQTTAsync_message_initializer;
    msg.payload = const_cast<char*>(m.payload.data());
    msg.payloadlen = static_cast<int>(m.payload.size());
    msg.qos = 1;
    MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
    opts.context = this;
    opts.onSuccess = on_acked;
    opts.onFailure = on_failed;
    if (MQTTAsync_sendMessage(client, m.topic.c_str(), &msg, &opts) != MQTTASYNC_SUCCESS)
        on_failed(this, nullptr);
}

}  // namespace

plain_result plain_publish(const std::string& url, const std::vector<harness::mqtt_message>& messages,
                           int window) {
    plain_result out;
    if (messages.empty()) return out;
    run r;
    r.messages = &messages;
    if (MQTTAsync_create(&r.client, url.c_str(), "bench-plain-publisher", MQTTCLIENT_PERSISTENCE_NONE,
                         nullptr) != MQTTASYNC_SUCCESS)
        return out;
    MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
    opts.cleansession = 1;
    opts.maxInflight = window;
    opts.context = &r;
    opts.onSuccess = [](void* ctx, MQTTAsync_successData*) {
        auto* r = static_cast<run*>(ctx);
        {
            std::lock_guard lock(r->mu);
            r->connected = true;
        }
        r->cv.notify_all();
    };
    opts.onFailure = on_failed;
    if (MQTTAsync_connect(r.client, &opts) == MQTTASYNC_SUCCESS) {
        std::unique_lock lock(r.mu);
        r.cv.wait_for(lock, std::chrono::seconds(10), [&] { return r.connected || r.failed; });
    }
    if (r.connected) {
        bridge::disable_nagle_towards(bridge::mqtt_url_port(url, false));
        out.started = clock_type::now();
        for (int i = 0; i < window; ++i) r.send_next();
        std::unique_lock lock(r.mu);
        r.cv.wait_for(lock, std::chrono::seconds(60), [&] { return r.acked == messages.size() || r.failed; });
        if (r.acked == messages.size()) {
            out.ok = true;
            out.acked = r.done_at;
        }
    }
    MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
    d.timeout = 1000;
    MQTTAsync_disconnect(r.client, &d);
    MQTTAsync_destroy(&r.client);
    return out;
}

}  // namespace bench
