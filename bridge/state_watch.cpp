#include "state_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

namespace bridge {

state_watch::state_watch(boost::asio::io_context& io, std::filesystem::path containers_dir,
                         std::function<void(const std::string&)> changed, std::function<void()> overflow,
                         std::chrono::milliseconds retry)
    : io_(io),
      dir_(std::move(containers_dir)),
      changed_(std::move(changed)),
      overflow_(std::move(overflow)),
      fd_(io),
      retry_(io),
      retry_interval_(retry) {}

state_watch::~state_watch() {
    stop();
}

void state_watch::start() {
    if (try_watch()) return;
    if (!told_missing_) {
        spdlog::info("{} does not exist (yet): polling only; looking again every {} ms", dir_.string(),
                     retry_interval_.count());
        told_missing_ = true;
    }
    retry_.expires_after(retry_interval_);
    retry_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec && !stopped_) start();
    });
}

bool state_watch::try_watch() {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir_, ec)) return false;
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
        spdlog::warn("inotify unavailable ({}): polling only", std::strerror(errno));
        return true;  // do not retry
    }
    fd_.assign(fd);
    root_wd_ = ::inotify_add_watch(
        fd, dir_.c_str(), IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE_SELF | IN_ONLYDIR);
    if (root_wd_ < 0) {
        spdlog::warn("cannot watch {}: {}; polling only", dir_.string(), std::strerror(errno));
        fd_.close();
        return false;
    }
    // The error_code overloads throughout: a directory changing under us must not throw.
    for (std::filesystem::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code type_ec;
        if (it->is_directory(type_ec)) watch_container(it->path().filename().string());
    }
    spdlog::info("watching {} for container changes", dir_.string());
    read_events();
    return true;
}

void state_watch::watch_container(const std::string& id) {
    const auto path = dir_ / id;
    const int wd = ::inotify_add_watch(fd_.native_handle(), path.c_str(),
                                       IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_ONLYDIR);
    if (wd >= 0) ids_[wd] = id;
}

void state_watch::read_events() {
    if (reading_) return;  // one outstanding read per descriptor
    reading_ = true;
    fd_.async_read_some(boost::asio::buffer(buffer_),
                        [this](const boost::system::error_code& ec, std::size_t n) {
                            reading_ = false;
                            if (ec || stopped_) return;
                            for (std::size_t off = 0; off + sizeof(inotify_event) <= n;) {
                                const auto* ev = reinterpret_cast<const inotify_event*>(buffer_.data() + off);
                                if (!handle(*ev)) return;  // the descriptor was closed: a restart is posted
                                off += sizeof(inotify_event) + ev->len;
                            }
                            if (!stopped_ && fd_.is_open()) read_events();
                        });
}

bool state_watch::handle(const inotify_event& ev) {
    if ((ev.mask & IN_Q_OVERFLOW) != 0) {
        if (overflow_) overflow_();  // events were lost: a full List catches up
        return true;
    }
    const std::string name = ev.len > 0 ? std::string(ev.name) : std::string();
    if (ev.wd == root_wd_) {
        if ((ev.mask & IN_DELETE_SELF) != 0) {  // the whole directory went away: back to waiting for it
            boost::system::error_code ignored;
            fd_.close(ignored);  // completes the read in flight, if any, with operation_aborted
            ids_.clear();
            told_missing_ = false;
            if (overflow_) overflow_();
            // Restart from a handler of its own: this one still iterates the old buffer.
            boost::asio::post(io_, [this] {
                if (!stopped_) start();
            });
            return false;
        }
        if (name.empty()) return true;
        if ((ev.mask & (IN_CREATE | IN_MOVED_TO)) != 0 && (ev.mask & IN_ISDIR) != 0) watch_container(name);
        changed_(name);
        return true;
    }
    auto it = ids_.find(ev.wd);
    if (it == ids_.end()) return true;
    const std::string id = it->second;
    if ((ev.mask & (IN_DELETE_SELF | IN_IGNORED)) != 0) {
        ids_.erase(it);
        changed_(id);
    } else if (name == "config.json") {
        changed_(id);
    }
    return true;
}

void state_watch::stop() {
    stopped_ = true;
    retry_.cancel();
    boost::system::error_code ec;
    if (fd_.is_open()) fd_.close(ec);
}

}  // namespace bridge
