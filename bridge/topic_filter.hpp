// MQTT topic filter matching (MQTT 3.1.1 §4.7): '+' matches one level, a trailing '#' the rest
// (including the parent level); topics starting with '$' match no wildcard at the first level.
#pragma once

#include <string_view>

namespace bridge {

bool topic_matches(std::string_view filter, std::string_view topic);

}  // namespace bridge
