#include "topics.hpp"

#include <algorithm>

namespace update_agent {

std::string topic_prefix(const std::string& domain) {
    std::string p;
    std::copy_if(domain.begin(), domain.end(), std::back_inserter(p), [](char c) { return c != '-'; });
    constexpr std::string_view suffix = "update";
    if (p.size() < suffix.size() || p.compare(p.size() - suffix.size(), suffix.size(), suffix) != 0) {
        p += suffix;
    }
    return p;
}

topics topics_for(const std::string& domain) {
    const auto p = topic_prefix(domain);
    return {p + "/desiredstate", p + "/desiredstate/command", p + "/currentstate/get",
            p + "/desiredstatefeedback", p + "/currentstate"};
}

}  // namespace update_agent
