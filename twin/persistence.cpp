#include "persistence.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "features.hpp"

namespace twin {

std::string persistence_path(const std::string& home_dir, const thing_id& thing) {
    auto name = thing.str();
    std::replace(name.begin(), name.end(), ':', '_');
    return home_dir + "/sup_back_" + name + ".json";
}

std::string legacy_persistence_path(const std::string& home_dir, const thing_id& thing) {
    auto name = thing.str();
    if (auto colon = name.find(':'); colon != std::string::npos) name[colon] = '_';
    return home_dir + "/sup_back_" + name + ".json";
}

std::variant<std::set<std::string>, std::string> parse_persisted(std::string_view content) {
    std::set<std::string> ids;
    if (content.find_first_not_of(" \t\r\n") == std::string_view::npos) return ids;
    boost::system::error_code ec;
    const auto v = boost::json::parse(content, ec);
    if (ec) return "not JSON: " + ec.message();
    if (v.is_null()) return ids;
    if (!v.is_object()) return std::string("not a JSON object");
    for (const auto& [key, value] : v.as_object()) {
        if (!value.is_string()) return "the value of \"" + std::string(key) + "\" is not a string";
        ids.insert(std::string(key));
    }
    return ids;
}

std::string serialize_persisted(const std::set<std::string>& ids, bool null_when_empty) {
    if (ids.empty() && null_when_empty) return "null";
    boost::json::object o;
    for (const auto& id : ids) o[id] = features::container_feature_id(id);
    return boost::json::serialize(o);
}

}  // namespace twin
