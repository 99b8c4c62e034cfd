#include "state_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

namespace sim {

state_files::state_files(std::filesystem::path home) : root_(std::move(home) / "containers") {
    std::filesystem::create_directories(root_);
}

std::filesystem::path state_files::container_dir(const std::string& id) const {
    return root_ / id;
}

std::string state_files::write(const kcm::types::Container& c) const {
    std::string json;
    if (auto st = google::protobuf::util::MessageToJsonString(c, &json); !st.ok()) {
        return fmt::format("cannot encode container {}: {}", c.id(), st.ToString());
    }
    const auto dir = container_dir(c.id());
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return fmt::format("cannot create {}: {}", dir.string(), ec.message());
    const auto tmp = dir / "config.json.tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno));
    std::size_t done = 0;
    while (done < json.size()) {
        const ssize_t n = ::write(fd, json.data() + done, json.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::close(fd);
            return fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno));
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    std::filesystem::rename(tmp, dir / "config.json", ec);
    if (ec) return fmt::format("cannot rename {}: {}", tmp.string(), ec.message());
    return {};
}

void state_files::remove(const std::string& id) const {
    std::error_code ec;
    std::filesystem::remove_all(container_dir(id), ec);
}

std::vector<kcm::types::Container> state_files::load(std::vector<std::string>& problems) const {
    std::vector<kcm::types::Container> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(root_, ec)) {
        const auto file = entry.path() / "config.json";
        std::ifstream in(file);
        if (!in) continue;
        std::stringstream text;
        text << in.rdbuf();
        kcm::types::Container c;
        if (auto st = google::protobuf::util::JsonStringToMessage(text.str(), &c);
            !st.ok() || c.id().empty()) {
            problems.push_back(
                fmt::format("{}: {}", file.string(), st.ok() ? "no container id" : st.ToString()));
            continue;
        }
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace sim
