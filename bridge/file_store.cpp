#include "file_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace bridge {
namespace fs = std::filesystem;

file_content read_file_with_legacy(const std::string& path, const std::string& legacy_path) {
    file_content out;
    std::error_code ec;
    if (!fs::exists(path, ec) && !legacy_path.empty() && legacy_path != path && fs::exists(legacy_path, ec)) {
        fs::rename(legacy_path, path, ec);
        if (ec) {
            out.error = "cannot rename " + legacy_path + " to " + path + ": " + ec.message();
            return out;
        }
    }
    return read_file(path);
}

file_content read_file(const std::string& path) {
    file_content out;
    std::error_code ec;
    if (!fs::exists(path, ec)) return out;
    if (fs::is_directory(path, ec)) {
        out.error = "it is a directory";
        return out;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        out.error = std::strerror(errno);
        return out;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    out.content = ss.str();
    return out;
}

std::string write_file_atomically(const std::string& path, const std::string& content) {
    const fs::path target(path);
    std::error_code ec;
    if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return "cannot create " + tmp + ": " + std::strerror(errno);
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const std::string why = std::strerror(errno);
            ::close(fd);
            ::unlink(tmp.c_str());
            return "cannot write " + tmp + ": " + why;
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        ::unlink(tmp.c_str());
        return "cannot sync " + tmp + ": " + why;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        return "cannot rename " + tmp + " to " + path + ": " + why;
    }
    const auto dir = target.has_parent_path() ? target.parent_path().string() : std::string(".");
    if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);  // make the rename itself durable
        ::close(dfd);
    }
    return {};
}

}  // namespace bridge
