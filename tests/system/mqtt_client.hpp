// The system tests use the project's blocking MQTT client (bridge/blocking_mqtt_client.hpp).
#pragma once

#include "blocking_mqtt_client.hpp"

namespace harness {
using mqtt_client = bridge::blocking_mqtt_client;
using mqtt_message = bridge::mqtt_message;
}  // namespace harness
