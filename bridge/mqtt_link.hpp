// MQTT adapter over Paho C's async client. Paho's threads only post into the io_context. Every
// publish goes through our own bounded queue and at most `max_inflight` QoS 1 messages are handed to
// Paho at once (anchors.md §5.2: letting Paho buffer a large burst drains it at tens of messages per
// second). Order is preserved. On a lost connection the queue is dropped: the core publishes the whole
// twin again after the next identity.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>

#include <MQTTAsync.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config.hpp"

namespace bridge {

class mqtt_link {
  public:
    struct handlers {
        std::function<void()> connected;
        std::function<void(const std::string& cause)> disconnected;
        std::function<void(std::string topic, std::string payload)> message;
        std::function<void()> resync_needed;  // messages were dropped on overflow; the queue is empty again
        // The broker refused a subscription (or it could not be sent); it is retried with back-off
        // while the filter is wanted and the connection lasts.
        std::function<void(const std::string& filter, const std::string& reason)> subscribe_failed;
    };

    mqtt_link(boost::asio::io_context& io, const config& cfg, handlers h);
    ~mqtt_link();
    mqtt_link(const mqtt_link&) = delete;
    mqtt_link& operator=(const mqtt_link&) = delete;

    void start();
    void publish(std::string topic, std::string payload, int qos, bool retain = false);
    void subscribe(const std::string& filter, int qos);
    void unsubscribe(const std::string& filter);
    // Disconnects (waiting up to the disconnect timeout) and stops reconnecting.
    void stop();

    bool connected() const { return connected_; }
    std::size_t queued() const { return queue_.size(); }
    int in_flight() const { return in_flight_; }

  private:
    struct outbound {
        std::string topic;
        std::string payload;
        int qos;
        bool retain;
    };
    struct send_context;
    struct subscribe_context;

    void connect();
    void on_connected();
    void on_connection_lost(const std::string& cause);
    void on_connect_failed(const std::string& reason);
    void on_sent(std::uint64_t generation, bool ok, int code);
    void pump();
    void disable_nagle();
    void send_subscribe(const std::string& filter, int qos);
    void on_subscribe_failed(std::uint64_t generation, const std::string& filter, const std::string& reason);
    void retry_subscriptions();

    boost::asio::io_context& io_;
    const config& cfg_;
    handlers handlers_;
    std::string url_;
    int broker_port_ = 0;
    MQTTAsync client_ = nullptr;
    boost::asio::steady_timer retry_timer_;
    std::chrono::milliseconds retry_delay_{
        0};  // the first connect's back-off, doubled up to max_retry_interval
    std::size_t failed_attempts_ = 0;
    std::string last_failure_;
    std::minstd_rand random_{std::random_device{}()};
    // The last OpenSSL error Paho reported for a connect, shared with Paho's thread.
    struct tls_error_log {
        std::mutex mutex;
        std::string last;
    };
    std::unique_ptr<tls_error_log> tls_errors_ = std::make_unique<tls_error_log>();
    bool connected_ = false;
    bool stopping_ = false;
    bool ever_connected_ = false;
    std::uint64_t generation_ = 0;  // changes on every (re)connect: late callbacks of older ones are ignored
    std::deque<outbound> queue_;
    int in_flight_ = 0;
    bool overflowed_ = false;
    std::size_t dropped_ = 0;
    std::map<std::string, int> wanted_;  // subscriptions of this connection: filter -> QoS
    std::set<std::string> failed_;       // refused ones, retried by resubscribe_timer_
    boost::asio::steady_timer resubscribe_timer_;
    std::chrono::milliseconds resubscribe_delay_{1000};
};

}  // namespace bridge
