#include "image_version.hpp"

namespace update_agent {

std::string image_version(const std::string& image) {
    const auto slash = image.rfind('/');
    const std::string last = slash == std::string::npos ? image : image.substr(slash + 1);
    for (char sep : {'@', ':'}) {
        const auto at = last.find(sep);
        if (at != std::string::npos && at + 1 < last.size()) return last.substr(at + 1);
    }
    return "n/a";
}

}  // namespace update_agent
