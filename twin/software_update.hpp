// SoftwareUpdatable's pure parts (things.md §7.3, §8): the install and remove inputs, the install
// descriptor (Kanto's snake_case container JSON) -> container, the checksum rules, and the
// OperationStatus value published as lastOperation / lastFailedOperation.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "kanto_cm_types.hpp"

namespace twin {

struct su_artifact {
    std::string filename;
    std::string http_url;   // download.HTTP.url
    std::string https_url;  // download.HTTPS.url
    std::string md5, sha1, sha256;
};
struct su_module {
    std::string name, version;
    std::vector<su_artifact> artifacts;
};
struct update_action {
    std::string correlation_id;
    std::vector<su_module> modules;
};
struct remove_action {
    std::string correlation_id;
    std::vector<boost::json::object> software;  // DependencyDescriptions, in Kanto's key order
    bool forced = false;
};

// Each returns the action or the 400 text (decode error or "there are no ..." of §7.3).
std::variant<update_action, std::string> decode_update_action(const boost::json::value* value);
std::variant<remove_action, std::string> decode_remove_action(const boost::json::value* value);

// The descriptor of an artifact as a container to create, or why it cannot be one.
struct descriptor_error {
    bool rejected;  // invalid container configuration (FINISHED_REJECTED) vs unusable text (FINISHED_ERROR)
    std::string message;
};
std::variant<kcm::types::Container, descriptor_error> parse_descriptor(const std::string& text);

// Digests of the downloaded bytes, lowercase hex.
struct digests {
    std::string md5, sha1, sha256;
};
// "" when the artifact's checksum (MD5, else SHA1, else SHA256, else none) matches, else Kanto's text.
std::string check_checksum(const su_artifact& artifact, const digests& actual);

struct operation_status {
    std::string correlation_id;
    std::string status;
    std::optional<std::pair<std::string, std::string>> software_module;  // name, version
    std::vector<boost::json::object> software;
    std::string message;

    boost::json::value to_json() const;  // correlationId, status, softwareModule, software, message
};

}  // namespace twin
