#include "feedback.hpp"

#include <boost/json.hpp>

namespace update_agent {
namespace json = boost::json;

json::object feedback_payload(const std::string& status, const std::string& baseline,
                              const std::string& message, const std::vector<component_action>* actions) {
    json::object p;
    if (!baseline.empty()) p.emplace("baseline", baseline);
    p.emplace("status", status);
    if (!message.empty()) p.emplace("message", message);
    if (actions != nullptr && !actions->empty()) {
        json::array list;
        list.reserve(actions->size());
        for (const auto& a : *actions) {
            json::object component;
            component.emplace("id", a.component_id);
            if (!a.version.empty()) component.emplace("version", a.version);
            json::object item;
            item.emplace("component", std::move(component));
            item.emplace("status", a.status);
            if (!a.message.empty()) item.emplace("message", a.message);
            list.emplace_back(std::move(item));
        }
        p.emplace("actions", std::move(list));
    }
    return p;
}

}  // namespace update_agent
