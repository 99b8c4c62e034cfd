#include "dependencies.hpp"

#include <map>

namespace twin {

std::pair<std::string, boost::json::object> dependency_of(const std::string& container_id,
                                                          const std::string& image_ref) {
    const auto colon = image_ref.find(':');
    const std::string group = image_ref.substr(0, colon);
    const std::string version = colon == std::string::npos ? std::string() : image_ref.substr(colon + 1);
    std::string key;
    for (char ch : group + "." + container_id + ":" + version) {
        if (ch == '/')
            key += "%2F";
        else
            key += ch;
    }
    boost::json::object value;
    if (!group.empty()) value["group"] = group;
    value["name"] = container_id;
    value["version"] = version;
    return {std::move(key), std::move(value)};
}

boost::json::value installed_dependencies(const std::vector<const kcm::types::Container*>& containers) {
    if (containers.empty()) return nullptr;
    std::map<std::string, boost::json::object> sorted;
    for (const auto* c : containers) {
        auto [key, value] = dependency_of(c->id(), c->image().name());
        sorted.emplace(std::move(key), std::move(value));
    }
    boost::json::object out;
    for (auto& [k, v] : sorted) out[k] = std::move(v);
    return out;
}

}  // namespace twin
