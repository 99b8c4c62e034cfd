#include "topic_filter.hpp"

namespace bridge {

bool topic_matches(std::string_view filter, std::string_view topic) {
    if (!topic.empty() && topic.front() == '$' && !filter.empty() &&
        (filter.front() == '+' || filter.front() == '#')) {
        return false;
    }
    for (;;) {
        const auto f_end = filter.find('/');
        const auto f_level = filter.substr(0, f_end);
        if (f_level == "#") return true;
        const auto t_end = topic.find('/');
        const auto t_level = topic.substr(0, t_end);
        if (f_level != "+" && f_level != t_level) return false;
        if (f_end == std::string_view::npos || t_end == std::string_view::npos) {
            // Both end here, or the filter continues with "/#" (which matches the parent level).
            if (f_end == std::string_view::npos && t_end == std::string_view::npos) return true;
            return t_end == std::string_view::npos && filter.substr(f_end + 1) == "#";
        }
        filter.remove_prefix(f_end + 1);
        topic.remove_prefix(t_end + 1);
    }
}

}  // namespace bridge
