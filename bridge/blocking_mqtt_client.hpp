// A blocking MQTT client over Paho C's async API for tools and tests: connect, subscribe, publish and wait
// for messages with timeouts. Messages arrive on Paho's thread and are queued for the test thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <MQTTAsync.h>

namespace bridge {

struct mqtt_message {
    std::string topic;
    std::string payload;
    int qos = 0;
    bool retained = false;
};

class blocking_mqtt_client {
  public:
    // Connects (clean session) or throws with Paho's reason.
    // TLS (for ssl://, tls://, mqtts:// ... URLs: the server verified against root_ca, TLS 1.2+) and
    // credentials, as the daemon's connection block has them.
    struct security {
        std::string root_ca, client_cert, client_key;
        std::string username, password;
    };

    // `reconnect`: after a lost connection, reconnect by itself (1-5 s apart), subscribe again to
    // what was subscribed, and report both as events (for long-running tools such as watch).
    explicit blocking_mqtt_client(const std::string& url, const std::string& client_id = {},
                                  bool reconnect = false, const security& sec = {});
    ~blocking_mqtt_client();
    blocking_mqtt_client(const blocking_mqtt_client&) = delete;
    blocking_mqtt_client& operator=(const blocking_mqtt_client&) = delete;

    void subscribe(const std::string& filter, int qos = 1);
    void publish(const std::string& topic, const std::string& payload, int qos = 1, bool retain = false);

    // The next message, or nullopt after `timeout`.
    std::optional<mqtt_message> next(std::chrono::milliseconds timeout);
    // Up to `n` messages; fewer when `timeout` passes first.
    std::vector<mqtt_message> take(std::size_t n, std::chrono::milliseconds timeout);
    // Every message until none arrived for `quiet`.
    std::vector<mqtt_message> drain(std::chrono::milliseconds quiet);
    // Connection events since the last call ("lost ...", "reconnected ..."), for the user.
    std::vector<std::string> take_events();

  private:
    struct pending;
    static int on_message(void* ctx, char* topic, int topic_len, MQTTAsync_message* m);
    void wait(pending& p, const char* what);

    MQTTAsync client_ = nullptr;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<mqtt_message> inbox_;
    std::vector<std::string> events_;
    std::vector<std::pair<std::string, int>> subscriptions_;  // subscribed again after a reconnect
    std::string url_;
    int broker_port_;  // for TCP_NODELAY after every connect
};

}  // namespace bridge
