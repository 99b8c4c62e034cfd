#include "dir_watch.hpp"

#include <cerrno>

namespace bridge {

dir_watch::dir_watch(boost::asio::io_context& io, std::filesystem::path dir,
                     std::function<void(const std::string&)> written,
                     std::function<void(const std::string&)> failed)
    : dir_(std::move(dir)), written_(std::move(written)), failed_(std::move(failed)), fd_(io) {}

dir_watch::~dir_watch() {
    stop();
}

boost::system::error_code dir_watch::start() {
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return {errno, boost::system::system_category()};
    fd_.assign(fd);
    // Close-after-write covers every writer (an editor's save, cp, a slow writer's last close);
    // moved-to covers atomic renames into place; attrib covers touch.
    if (::inotify_add_watch(fd, dir_.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_ATTRIB | IN_ONLYDIR) < 0) {
        const boost::system::error_code ec(errno, boost::system::system_category());
        boost::system::error_code ignored;
        fd_.close(ignored);
        return ec;
    }
    read_events();
    return {};
}

void dir_watch::read_events() {
    if (reading_ || stopped_) return;
    reading_ = true;
    fd_.async_read_some(boost::asio::buffer(buffer_),
                        [this](const boost::system::error_code& ec, std::size_t n) {
                            reading_ = false;
                            if (stopped_ || ec == boost::asio::error::operation_aborted) return;
                            if (ec) {
                                if (failed_) failed_(ec.message());
                                return;
                            }
                            for (std::size_t off = 0; off + sizeof(inotify_event) <= n;) {
                                const auto* ev = reinterpret_cast<const inotify_event*>(buffer_.data() + off);
                                off += sizeof(inotify_event) + ev->len;
                                if ((ev->mask & IN_Q_OVERFLOW) != 0) {
                                    if (failed_) failed_("inotify queue overflow: events were lost");
                                    continue;
                                }
                                if ((ev->mask & (IN_DELETE_SELF | IN_IGNORED)) != 0) {
                                    if (failed_) failed_("the directory was removed");
                                    return;
                                }
                                if (ev->len == 0 || (ev->mask & IN_ISDIR) != 0) continue;
                                written_(std::string(ev->name));
                            }
                            read_events();
                        });
}

void dir_watch::stop() {
    stopped_ = true;
    boost::system::error_code ignored;
    if (fd_.is_open()) fd_.close(ignored);
}

}  // namespace bridge
