// RFC 7386 JSON merge patch: objects merge recursively, a null deletes the key, anything else
// replaces. Ditto's merge command and the auto-deployer's template expansion both use it.
#pragma once

#include <boost/json/value.hpp>

namespace kanto {

void merge_patch(boost::json::value& target, const boost::json::value& patch);

}  // namespace kanto
