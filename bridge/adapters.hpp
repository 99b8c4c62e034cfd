// The adapters the service host shares with every service: one MQTT link (one outbound queue), one
// Kanto-CM client, one downloader, one cgroup reader, all on one io_context.
#pragma once

#include <boost/asio/io_context.hpp>

#include "cgroup_reader.hpp"
#include "config.hpp"
#include "http_fetch.hpp"
#include "kanto_client.hpp"
#include "mqtt_link.hpp"

namespace bridge {

struct adapters {
    boost::asio::io_context& io;
    const config& cfg;
    mqtt_link& mqtt;
    kanto_client& kanto;
    http_fetch& http;
    const cgroup_reader& cgroups;
};

}  // namespace bridge
