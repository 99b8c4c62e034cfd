// Random UUIDv4 in Go's lowercase 8-4-4-4-12 form, as Kanto-CM generates container ids.
#pragma once

#include <string>

namespace sim {

std::string new_uuid();

}  // namespace sim
