// Executes the deployment core's actions with the shared adapters: manifest files, the Kanto-CM
// client, a retry timer and the log. Used by the standalone kanto-auto-deployer.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "deployer.hpp"
#include "kanto_client.hpp"

namespace bridge {

class deploy_runner {
  public:
    deploy_runner(boost::asio::io_context& io, kanto_client& kanto, deploy::deployer_config cfg,
                  std::function<void(const deploy::pass_finished&)> pass_done);

    // The manifests of `dir` in name order: the entries whose name ends in ".json" (a directory so
    // named fails when read, as with the auto-deployer).
    static std::vector<std::string> manifests_in(const std::string& dir);

    void initial_pass(const std::string& dir);
    void initial_pass(const std::string& dir, std::vector<std::string> paths);
    void changed(const std::string& path);
    void stop();
    const deploy::deployer& core() const { return core_; }

  private:
    void execute(deploy::actions actions);
    template <class F>
    void feed(F&& input);

    boost::asio::io_context& io_;
    kanto_client& kanto_;
    deploy::deployer core_;
    boost::asio::steady_timer retry_;
    std::function<void(const deploy::pass_finished&)> pass_done_;
    bool stopped_ = false;
};

}  // namespace bridge
