#include "state_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace bridge {

state_watch::state_watch(boost::asio::io_context& io, std::filesystem::path containers_dir,
                         std::function<void(const std::string&)> changed, std::function<void()> overflow)
    : io_(io), dir_(std::move(containers_dir)), changed_(std::move(changed)), overflow_(std::move(overflow)),
      fd_(io), retry_(io) {}

state_watch::~state_watch() { stop(); }

void state_watch::start() {
    if (try_watch()) return;
    if (!told_missing_) {
        spdlog::info("{} does not exist (yet): polling only; watching again every 10s", dir_.string());
        told_missing_ = true;
    }
    retry_.expires_after(std::chrono::seconds(10));
    retry_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec && !stopped_) start();
    });
}

bool state_watch::try_watch() {
    if (!std::filesystem::is_directory(dir_)) return false;
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
        spdlog::warn("inotify unavailable ({}): polling only", std::strerror(errno));
        return true;  // do not retry
    }
    fd_.assign(fd);
    root_wd_ = ::inotify_add_watch(fd, dir_.c_str(), IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE_SELF | IN_ONLYDIR);
    if (root_wd_ < 0) {
        spdlog::warn("cannot watch {}: {}; polling only", dir_.string(), std::strerror(errno));
        fd_.close();
        return false;
    }
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
        if (entry.is_directory()) watch_container(entry.path().filename().string());
    }
    spdlog::info("watching {} for container changes", dir_.string());
    read_events();
    return true;
}

void state_watch::watch_container(const std::string& id) {
    const auto path = dir_ / id;
    const int wd = ::inotify_add_watch(fd_.native_handle(), path.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_ONLYDIR);
    if (wd >= 0) ids_[wd] = id;
}

void state_watch::read_events() {
    fd_.async_read_some(boost::asio::buffer(buffer_), [this](const boost::system::error_code& ec, std::size_t n) {
        if (ec || stopped_) return;
        for (std::size_t off = 0; off + sizeof(inotify_event) <= n;) {
            const auto* ev = reinterpret_cast<const inotify_event*>(buffer_.data() + off);
            handle(*ev);
            off += sizeof(inotify_event) + ev->len;
        }
        if (!stopped_ && fd_.is_open()) read_events();
    });
}

void state_watch::handle(const inotify_event& ev) {
    if ((ev.mask & IN_Q_OVERFLOW) != 0) {
        if (overflow_) overflow_();  // events were lost: a full List catches up
        return;
    }
    const std::string name = ev.len > 0 ? std::string(ev.name) : std::string();
    if (ev.wd == root_wd_) {
        if ((ev.mask & IN_DELETE_SELF) != 0) {  // the whole directory went away: back to waiting for it
            fd_.close();
            ids_.clear();
            told_missing_ = false;
            if (overflow_) overflow_();
            start();
            return;
        }
        if (name.empty()) return;
        if ((ev.mask & (IN_CREATE | IN_MOVED_TO)) != 0 && (ev.mask & IN_ISDIR) != 0) watch_container(name);
        changed_(name);
        return;
    }
    auto it = ids_.find(ev.wd);
    if (it == ids_.end()) return;
    const std::string id = it->second;
    if ((ev.mask & (IN_DELETE_SELF | IN_IGNORED)) != 0) {
        ids_.erase(it);
        changed_(id);
    } else if (name == "config.json") {
        changed_(id);
    }
}

void state_watch::stop() {
    stopped_ = true;
    retry_.cancel();
    boost::system::error_code ec;
    if (fd_.is_open()) fd_.close(ec);
}

}  // namespace bridge
