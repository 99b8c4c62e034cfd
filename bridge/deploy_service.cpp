#include "deploy_service.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

#include "handover.hpp"
#include "manifest.hpp"

namespace bridge {
namespace fs = std::filesystem;
namespace {

deploy::deploy_mode mode_of(const std::string& m) {
    if (m == "init") return deploy::deploy_mode::init;
    if (m == "kad") return deploy::deploy_mode::kad;
    return deploy::deploy_mode::update;
}

}  // namespace

deploy_service::deploy_service(adapters& shared)
    : a_(shared),
      mode_(mode_of(shared.cfg.deployment_mode)),
      runner_(shared.io, shared.kanto, deploy::deployer_config{true, shared.cfg.max_retry_interval, mode_},
              {}) {}

std::vector<std::string> deploy_service::descriptors(const std::string& dir, bool recursive) {
    if (!recursive) return deploy_runner::manifests_in(dir);
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code type_ec;
        if (!it->is_directory(type_ec) && deploy::is_manifest_name(it->path().filename().string())) {
            out.push_back(it->path().string());
        }
    }
    if (ec) spdlog::error("deployment: reading {} failed: {}", dir, ec.message());
    std::sort(out.begin(), out.end());
    return out;
}

fs::path deploy_service::stepped_aside_marker() const {
    return fs::path(a_.cfg.deployment_home_dir) / "deployment" / "stepped-aside";
}

void deploy_service::on_connected() {
    if (!aside_) a_.mqtt.subscribe(feedback_topic, 1);
}

void deploy_service::on_message(std::string topic, std::string payload) {
    if (payload.size() > deploy::max_feedback_bytes) {
        spdlog::warn("deployment: ignoring a {}-byte message on {}: larger than {} bytes", payload.size(),
                     topic, deploy::max_feedback_bytes);
        return;
    }
    if (aside_ || topic != feedback_topic || !deploy::is_identified_feedback(payload)) return;
    step_aside();
}

void deploy_service::step_aside() {
    aside_ = true;
    stop();
    a_.mqtt.unsubscribe(feedback_topic);
    const auto marker = stepped_aside_marker();
    std::error_code ec;
    fs::create_directories(marker.parent_path(), ec);
    std::ofstream(marker) << "The update agent took over the deployment. Remove this file to deploy from "
                          << a_.cfg.deployment_ctr_dir << " again.\n";
    spdlog::warn(
        "deployment: an update agent identified a desired state: stepping aside for good (remove {} "
        "to deploy again)",
        marker.string());
}

void deploy_service::start() {
    const auto& cfg = a_.cfg;
    const fs::path dir = cfg.deployment_ctr_dir;
    std::error_code ec;
    if (fs::exists(stepped_aside_marker(), ec)) {
        aside_ = true;
        spdlog::info("deployment: stepped aside for the update agent ({} exists): nothing deployed",
                     stepped_aside_marker().string());
        return;
    }
    if (mode_ == deploy::deploy_mode::init || mode_ == deploy::deploy_mode::update) {
        // Kanto-CM's marker of a start after the first: init mode deploys only before it exists.
        const auto marker = fs::path(cfg.deployment_home_dir) / "deployment";
        const bool first_start = !fs::exists(marker, ec);
        fs::create_directories(marker, ec);
        if (ec) spdlog::warn("deployment: cannot create {}: {}", marker.string(), ec.message());
        if (mode_ == deploy::deploy_mode::init && !first_start) {
            spdlog::info("deployment (init mode): not the first start ({} exists): nothing to do",
                         marker.string());
            return;
        }
    }
    if (!fs::exists(dir, ec)) {
        spdlog::info("deployment: {} does not exist: nothing to deploy", dir.string());
        return;
    }
    if (!fs::is_directory(dir, ec)) {
        spdlog::error("deployment: {} is not a directory: nothing deployed", dir.string());
        return;
    }
    spdlog::info("deployment ({} mode) of {}", cfg.deployment_mode, dir.string());
    if (mode_ != deploy::deploy_mode::init) {
        watch_ = std::make_unique<dir_watch>(
            a_.io, dir,
            [this, dir](const std::string& name) {
                if (deploy::is_manifest_name(name)) runner_.changed((dir / name).string());
            },
            [dir](const std::string& why) {
                spdlog::error("deployment: watching {} failed: {}", dir.string(), why);
            });
        if (auto e = watch_->start()) {
            spdlog::error("deployment: cannot watch {}: {}", dir.string(), e.message());
            watch_.reset();
        }
    }
    runner_.initial_pass(dir.string(), descriptors(dir.string(), mode_ != deploy::deploy_mode::kad));
}

void deploy_service::stop() {
    runner_.stop();
    if (watch_) watch_->stop();
}

}  // namespace bridge
