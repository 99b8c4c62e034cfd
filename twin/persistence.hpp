// The ContainerFactory persistence file (things.md §11): <home>/sup_back_<thing id, ':' -> '_'>.json
// holding {"<container id>":"Container:<container id>", ...}, or null when empty at registration.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "thing_id.hpp"

namespace twin {

std::string persistence_path(const std::string& home_dir, const thing_id& thing);
// Kanto's older name: only the first ':' replaced. Renamed to the new name on restore.
std::string legacy_persistence_path(const std::string& home_dir, const thing_id& thing);

// The container ids in a file's content; "" and null mean none. A reason text when corrupt.
std::variant<std::set<std::string>, std::string> parse_persisted(std::string_view content);
std::string serialize_persisted(const std::set<std::string>& ids, bool null_when_empty);

}  // namespace twin
