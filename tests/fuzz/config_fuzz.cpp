// libFuzzer target: a config.json from outside (a device's /etc/container-management/config.json)
// through the daemon's configuration loader. It either gives a configuration or a config_error
// naming the key; any other exception or a crash is a bug.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = "/tmp/fuzz-config-" + std::to_string(::getpid()) + ".json";
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    const char* argv[] = {"kanto-twin-bridge", "--cfg-file", path.c_str()};
    try {
        (void)bridge::load_config(3, argv);
    } catch (const bridge::config_error&) {
    }
    return 0;
}
