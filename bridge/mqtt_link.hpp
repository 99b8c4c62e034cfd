// MQTT adapter over Paho C's async client. Paho's threads only post into the io_context. Every
// publish goes through our own bounded queue and at most `max_inflight` QoS 1 messages are handed to
// Paho at once (anchors.md §5.2: letting Paho buffer a large burst drains it at tens of messages per
// second). Order is preserved. A message is kept until the broker acknowledges it: on a lost
// connection the unacknowledged ones go back to the front of the queue and everything is sent after
// reconnecting. While the link is down, a message with a `supersedes` key replaces queued ones for
// the same key or a key below it ("/features/X" replaces "/features/X/properties/..."), so the
// queue holds the latest value of each twin path rather than its history.
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
    void publish(std::string topic, std::string payload, int qos, bool retain = false,
                 std::string supersedes = {});
    void subscribe(const std::string& filter, int qos);
    void unsubscribe(const std::string& filter);
    // Sends what is queued for at most `budget` (publishing still works meanwhile), then calls
    // `done` on the loop. Done at once when not connected.
    void flush(std::chrono::milliseconds budget, std::function<void()> done);
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
        std::string supersedes;
        int attempts = 0;  // handed to Paho this many times
    };
    static constexpr int max_send_attempts = 5;
    struct send_context;
    struct subscribe_context;

    void connect();
    void on_connected();
    void on_connection_lost(const std::string& cause);
    void on_connect_failed(const std::string& reason);
    void schedule_connect(const std::string& reason);
    void on_sent(std::uint64_t generation, std::uint64_t seq, bool ok, int code);
    void pump();
    void requeue_unacknowledged();
    std::size_t drop_superseded(const std::string& topic, const std::string& key);
    void check_flushed();
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
    std::size_t peak_queued_ = 0;  // since the queue was last empty
    static constexpr std::size_t trim_after = 256;
    // A burst runs from a publish on an idle link to the last acknowledgement; bursts of at least
    // `report_burst` messages are logged at DEBUG with their duration (the benchmarks read it).
    std::chrono::steady_clock::time_point burst_start_;
    std::size_t burst_messages_ = 0;
    static constexpr std::size_t report_burst = 64;
    std::map<std::uint64_t, outbound> unacked_;  // handed to Paho, not yet acknowledged; by sequence
    std::uint64_t next_seq_ = 0;
    int in_flight_ = 0;
    boost::asio::steady_timer flush_timer_;
    std::function<void()> flushed_;  // set while flush() waits
    bool overflowed_ = false;
    std::size_t dropped_ = 0;
    std::map<std::string, int> wanted_;  // subscriptions of this connection: filter -> QoS
    std::set<std::string> failed_;       // refused ones, retried by resubscribe_timer_
    boost::asio::steady_timer resubscribe_timer_;
    std::chrono::milliseconds resubscribe_delay_{1000};
};

}  // namespace bridge
