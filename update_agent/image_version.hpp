// The version the update agent reports for a container: from its image reference, the digest
// after the first '@', else the tag after the first ':' (both taken after the last '/'), else
// "n/a" ("host:8080/x:v1" -> "v1", "x:branch:123" -> "branch:123", "x@sha256:ab" -> "sha256:ab").
#pragma once

#include <string>

namespace update_agent {

std::string image_version(const std::string& image);

}  // namespace update_agent
