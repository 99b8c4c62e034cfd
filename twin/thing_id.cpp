#include "thing_id.hpp"

namespace twin {

thing_id parse_namespaced_id(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return {std::string(text), {}};
    return {std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

thing_id containers_thing(std::string_view device_id) {
    return parse_namespaced_id(parse_namespaced_id(device_id).str() + ":edge:containers");
}

}  // namespace twin
