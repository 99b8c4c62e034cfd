// Paho's TLS options as every MQTT client of the project sets them: the server always verified
// against the CA (and its host name checked), TLS 1.2 or newer, a client certificate when given.
#pragma once

#include <string>

#include <MQTTAsync.h>

namespace bridge {

// ssl://, tls://, mqtts://, mqtt+ssl://, tcps:// and wss:// URLs use TLS.
inline bool is_tls_url(const std::string& url) {
    const auto scheme = url.substr(0, url.find("://"));
    return scheme == "ssl" || scheme == "tls" || scheme == "mqtts" || scheme == "mqtt+ssl" ||
           scheme == "tcps" || scheme == "wss";
}

// The strings must outlive the connect call (Paho reads them then).
inline void set_verified_tls(MQTTAsync_SSLOptions& ssl, const std::string& root_ca,
                             const std::string& client_cert, const std::string& client_key) {
    ssl.trustStore = root_ca.c_str();
    if (!client_cert.empty()) {
        ssl.keyStore = client_cert.c_str();
        ssl.privateKey = client_key.c_str();
    }
    ssl.enableServerCertAuth = 1;
    ssl.verify = 1;
    ssl.sslVersion = MQTT_SSL_VERSION_TLS_1_2;
}

}  // namespace bridge
