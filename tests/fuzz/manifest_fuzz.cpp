// libFuzzer target: manifest text from outside (a file dropped into the manifests directory) into
// both parsers. Neither may crash, hang or grow without bound; each returns a container or a reason.
#include <cstddef>
#include <cstdint>
#include <string>

#include "manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto a = deploy::parse_manifest(text);
    if (auto* m = std::get_if<deploy::manifest>(&a)) {
        if (m->container.image().name().empty()) __builtin_trap();  // never a container without an image
    }
    (void)deploy::parse_container_config(text);
    return 0;
}
