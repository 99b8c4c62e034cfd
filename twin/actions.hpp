// What the core asks the adapters to do. Plain values; the bridge executes them in order.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "calls.hpp"
#include "kanto_cm_types.hpp"
#include "log_line.hpp"

namespace twin {

struct publish {
    std::string topic;
    std::string payload;
    int qos = 1;
    // The twin path this message sets or deletes: while the link is down, a later message for the
    // same path (or a parent of it) replaces this one in the outbound queue. Empty: never replaced.
    std::string supersedes = {};
};
struct subscribe {
    std::string filter;
    int qos = 1;
};
struct unsubscribe {
    std::string filter;
};
// gRPC List; answer with core::on_containers_listed or core::on_kanto_failed.
struct list_containers {};
// gRPC Get; answer with core::on_container_read or core::on_kanto_failed.
struct get_container {
    std::string id;
};
// Read `path` (renaming `legacy_path` to it first when only that exists); answer with on_file_read.
struct read_file {
    std::string path;
    std::string legacy_path;
};
// Write atomically (temp file, fsync, rename).
struct write_file {
    std::string path;
    std::string content;
};
// Call core::on_poll_due after this long (replaces an armed poll timer).
struct schedule_poll {
    std::chrono::milliseconds after;
};
// A Kanto-CM operation (of a cloud command or a SoftwareUpdatable job); answer with core::on_kanto_done.
using kanto_request = kanto::request;
using kanto_result = kanto::result;
struct call_kanto {
    std::uint64_t op;
    kanto_request request;
};
// Metrics: read the counters of these containers (answer with core::on_metrics_read), and arm the
// report timer (answer with core::on_metrics_due; after == 0 cancels it).
struct metrics_target {
    std::string container_id;
    std::int64_t pid;
};
struct read_metrics {
    std::uint64_t generation;
    bool baseline;  // only remember the counters, report nothing
    std::vector<metrics_target> targets;
};
struct schedule_metrics {
    std::uint64_t generation;
    std::chrono::milliseconds after;
};
// Download an artifact (answer with core::on_http_done). Timeout, size limit and TLS are the adapter's.
struct http_get {
    std::uint64_t id;
    std::string url;
};
struct http_result {
    bool ok = false;
    std::string error;  // why the download failed (status, timeout, size, connection)
    std::string body;
    std::string md5, sha1, sha256;  // lowercase hex digests of the body
};
using log_level = kanto::log_level;
using log = kanto::log_line;

using action =
    std::variant<publish, subscribe, unsubscribe, list_containers, get_container, read_file, write_file,
                 schedule_poll, log, call_kanto, read_metrics, schedule_metrics, http_get>;
using actions = std::vector<action>;

}  // namespace twin
