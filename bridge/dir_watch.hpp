// Watches one directory (not its subdirectories) with inotify and reports the names of files that
// were written and closed, moved in, or touched (attributes changed: `touch` forces a redeploy).
// Deletes and moves out are not reported. One outstanding read; stop() cancels it.
#pragma once

#include <sys/inotify.h>

#include <array>
#include <filesystem>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/error_code.hpp>

namespace bridge {

class dir_watch {
  public:
    dir_watch(boost::asio::io_context& io, std::filesystem::path dir,
              std::function<void(const std::string& name)> written,
              std::function<void(const std::string& why)> failed);
    ~dir_watch();
    dir_watch(const dir_watch&) = delete;
    dir_watch& operator=(const dir_watch&) = delete;

    // Starts watching; an error (no inotify, no such directory) is returned, not thrown.
    boost::system::error_code start();
    void stop();

  private:
    void read_events();

    std::filesystem::path dir_;
    std::function<void(const std::string&)> written_;
    std::function<void(const std::string&)> failed_;
    boost::asio::posix::stream_descriptor fd_;
    std::array<char, 64 * 1024> buffer_{};
    bool reading_ = false;
    bool stopped_ = false;
};

}  // namespace bridge
