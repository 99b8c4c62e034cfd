// Watches Kanto-CM's per-container state files (<manager.home_dir>/containers/<id>/config.json, which
// the daemon rewrites on every change) with inotify and reports "container <id> changed". Only a
// trigger: the container is then read over gRPC. Without the directory, polling alone keeps the twin
// right; the watch starts when the directory appears.
#pragma once

#include <sys/inotify.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace bridge {

class state_watch {
  public:
    state_watch(boost::asio::io_context& io, std::filesystem::path containers_dir,
                std::function<void(const std::string& id)> changed, std::function<void()> overflow,
                std::chrono::milliseconds retry = std::chrono::seconds(10));
    ~state_watch();

    void start();
    void stop();

  private:
    bool try_watch();
    void watch_container(const std::string& id);
    void read_events();
    bool handle(const inotify_event& ev);  // false: stop reading this buffer

    boost::asio::io_context& io_;
    std::filesystem::path dir_;
    std::function<void(const std::string&)> changed_;
    std::function<void()> overflow_;
    boost::asio::posix::stream_descriptor fd_;
    boost::asio::steady_timer retry_;
    int root_wd_ = -1;
    std::unordered_map<int, std::string> ids_;  // watch descriptor -> container id
    std::array<char, 64 * 1024> buffer_{};
    std::chrono::milliseconds retry_interval_;  // looking again for a missing directory
    bool stopped_ = false;
    bool reading_ = false;
    bool told_missing_ = false;
};

}  // namespace bridge
