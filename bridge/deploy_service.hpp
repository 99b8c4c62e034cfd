// The deployment service: deploys the container descriptors of deployment.ctr_dir and keeps them
// deployed, in one of three modes (deployment.mode):
//   update (Kanto-CM's default): compare with the same-named container and create, recreate,
//          update in place or make sure it runs; then watch the directory and do it again for
//          every descriptor written, moved in or touched;
//   init:  only on the first start (a marker <home_dir>/deployment) and only while Kanto-CM has no
//          container: create and start everything; no watching;
//   kad:   Leda's auto-deployer on that directory (both manifest formats, watching).
// It waits for Kanto-CM (capped back-off). Like the auto-deployer's lock file, it steps aside for
// good once an update agent reports a desired state as IDENTIFIED on
// containersupdate/desiredstatefeedback: it stops, and a marker <home_dir>/deployment/stepped-aside
// keeps it off across restarts until someone removes it.
#pragma once

#include <filesystem>
#include <memory>

#include "adapters.hpp"
#include "deploy_runner.hpp"
#include "dir_watch.hpp"
#include "service.hpp"

namespace bridge {

class deploy_service final : public service {
  public:
    explicit deploy_service(adapters& shared);

    const char* name() const override { return "deployment"; }
    std::vector<std::string> topic_filters() const override { return {feedback_topic}; }
    void start() override;
    void stop() override;
    void on_connected() override;
    void on_disconnected() override {}
    void on_message(std::string topic, std::string payload) override;
    void on_resync_needed() override {}
    void on_subscribe_failed(const std::string&, const std::string&) override {}

    // The descriptors of `dir` in lexical order: recursively for Kanto's modes, top level for kad.
    static std::vector<std::string> descriptors(const std::string& dir, bool recursive);

    static constexpr const char* feedback_topic = "containersupdate/desiredstatefeedback";

  private:
    std::filesystem::path stepped_aside_marker() const;
    void step_aside();

    adapters& a_;
    deploy::deploy_mode mode_;
    deploy_runner runner_;
    std::unique_ptr<dir_watch> watch_;
    bool aside_ = false;
};

}  // namespace bridge
