// SoftwareUpdatable installedDependencies (things.md §6.5.1), with Kanto's key scheme and quirks:
// group/version split at the first ':' (so registry ports and digests split oddly, bug B3, kept for
// compatibility) and every '/' in the key written as %2F.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "kanto_cm_types.hpp"

namespace twin {

// {"group"?, "name", "version"} for one container, and its map key.
std::pair<std::string, boost::json::object> dependency_of(const std::string& container_id,
                                                          const std::string& image_ref);

// The whole map for these containers (keys sorted), or JSON null when there are none (bug B8, kept).
boost::json::value installed_dependencies(const std::vector<const kcm::types::Container*>& containers);

}  // namespace twin
