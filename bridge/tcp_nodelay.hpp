// Paho C leaves Nagle's algorithm on and exposes no socket, so small QoS 1 publishes can wait for
// the peer's delayed ACK (about 40 ms each). Every MQTT client of the project turns it off after
// connecting, on its connections to the broker's port.
#pragma once

#include <string>

namespace bridge {

// The port of an MQTT URL (scheme://host[:port][/...]); 1883, or 8883 with TLS, when absent.
int mqtt_url_port(const std::string& url, bool tls);

// Sets TCP_NODELAY on this process's TCP connections whose peer port is `port`.
void disable_nagle_towards(int port);

}  // namespace bridge
