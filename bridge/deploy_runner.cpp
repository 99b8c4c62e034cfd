#include "deploy_runner.hpp"

#include <algorithm>
#include <filesystem>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "file_store.hpp"
#include "log_line_writer.hpp"
#include "manifest.hpp"

namespace bridge {
namespace asio = boost::asio;
namespace fs = std::filesystem;

deploy_runner::deploy_runner(asio::io_context& io, kanto_client& kanto, deploy::deployer_config cfg,
                             std::function<void(const deploy::pass_finished&)> pass_done)
    : io_(io), kanto_(kanto), core_(cfg), retry_(io), pass_done_(std::move(pass_done)) {}

std::vector<std::string> deploy_runner::manifests_in(const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (deploy::is_manifest_name(it->path().filename().string())) out.push_back(it->path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

template <class F>
void deploy_runner::feed(F&& input) {
    asio::post(io_, [this, input = std::forward<F>(input)]() mutable {
        if (!stopped_) execute(input());
    });
}

void deploy_runner::initial_pass(const std::string& dir) {
    feed([this, dir] { return core_.start_pass(dir, manifests_in(dir)); });
}

void deploy_runner::initial_pass(const std::string& dir, std::vector<std::string> paths) {
    feed([this, dir, paths = std::move(paths)]() mutable { return core_.start_pass(dir, std::move(paths)); });
}

void deploy_runner::changed(const std::string& path) {
    feed([this, path] { return core_.on_changed(path); });
}

void deploy_runner::stop() {
    stopped_ = true;
    retry_.cancel();
}

void deploy_runner::execute(deploy::actions actions) {
    for (auto& a : actions) {
        if (stopped_) return;
        if (auto* l = std::get_if<deploy::log>(&a)) {
            write_log_line(*l);
        } else if (auto* r = std::get_if<deploy::read_manifest>(&a)) {
            auto text = read_file(r->path);
            feed([this, path = r->path, text = std::move(text)] {
                return core_.on_manifest_read(path, text.content, text.error);
            });
        } else if (std::holds_alternative<deploy::list_containers>(a)) {
            kanto_.list([this](const grpc::Status& st, std::vector<kcm::types::Container> list) {
                if (stopped_) return;
                const bool unreachable = st.error_code() == grpc::StatusCode::UNAVAILABLE;
                execute(core_.on_listed(st.ok(), unreachable, st.ok() ? std::string() : describe(st), list));
            });
        } else if (auto* c = std::get_if<deploy::call_kanto>(&a)) {
            kanto_.call(c->request, [this, id = c->call](kanto::result r) {
                if (!stopped_) execute(core_.on_kanto_done(id, r));
            });
        } else if (auto* s = std::get_if<deploy::schedule_retry>(&a)) {
            retry_.expires_after(s->after);
            retry_.async_wait([this](const boost::system::error_code& ec) {
                if (!ec && !stopped_) execute(core_.on_retry_due());
            });
        } else if (auto* p = std::get_if<deploy::pass_finished>(&a)) {
            if (pass_done_) pass_done_(*p);
        }
    }
}

}  // namespace bridge
