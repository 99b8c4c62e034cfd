#include "merge_patch.hpp"

#include <boost/json.hpp>

namespace kanto {

void merge_patch(boost::json::value& target, const boost::json::value& patch) {
    if (!patch.is_object()) {
        target = patch;
        return;
    }
    if (!target.is_object()) target = boost::json::object{};
    auto& t = target.as_object();
    for (const auto& [k, v] : patch.as_object()) {
        if (v.is_null()) {
            t.erase(k);
        } else {
            merge_patch(t[k], v);
        }
    }
}

}  // namespace kanto
