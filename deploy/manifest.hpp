// Container manifests as Leda's kanto-auto-deployer reads them: one container per JSON file, in
// one of two shapes.
//   (a) the "internal state representation": the gRPC Container written with snake_case field
//       names; every scalar, string and list is mandatory, sub-objects may be missing or null.
//   (b) Kanto's "container config" (container_id, container_name, mount_points, ...): merged into
//       the auto-deployer's template of (a) and mapped onto it key by key, then read as (a).
// A file is (a) when it reads as (a); anything else is tried as (b).
#pragma once

#include <string>
#include <variant>

#include "kanto_cm_types.hpp"

namespace deploy {

enum class manifest_format { internal, container_config };

struct manifest {
    kcm::types::Container container;
    manifest_format format;
};

struct manifest_error {
    std::string reason;  // e.g. `line 3, column 14: syntax error`, `missing key "container_name"`
};

std::variant<manifest, manifest_error> parse_manifest(const std::string& text);

// Kanto-CM's own container config (its deployment descriptors), decoded as Kanto-CM's Go code
// decodes it (keys case-insensitive, "proto" for a port's protocol) with Kanto-CM's defaults filled
// in; an empty container_id stays empty.
std::variant<kcm::types::Container, manifest_error> parse_container_config(const std::string& text);

// Whether a directory entry is a manifest: a name ending in ".json" (case-sensitive), so
// "x.json.disabled", "x.JSON" and editors' "x.json~" are not.
bool is_manifest_name(const std::string& file_name);

}  // namespace deploy
