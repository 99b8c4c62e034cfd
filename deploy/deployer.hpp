// The deployment core (Leda's kanto-auto-deployer, sans-I/O): manifests are deployed one after
// another. A job reads its file, parses it, lists Kanto-CM's containers and matches by name:
//   - no container of that name: Create, then Start;
//   - initial pass: keep the existing one, Start it when it is not running;
//   - a manifest written while watching: Stop (1 s, force, SIGTERM) when running, Remove (force),
//     then Create and Start the new one.
// Any failed call ends that job (logged); the others go on. While Kanto-CM is unreachable a job
// waits with a capped Fibonacci back-off when `wait_for_kanto`, else it fails.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "actions.hpp"
#include "kanto_cm_types.hpp"

namespace deploy {

struct deployer_config {
    bool wait_for_kanto = false;  // daemon: wait for Kanto-CM; one-shot: a single attempt
    std::chrono::milliseconds max_retry{30000};
};

class deployer {
  public:
    enum class state { idle, reading, listing, waiting_for_kanto, stopping, removing, creating, starting };

    explicit deployer(deployer_config config) : config_(config) {}

    // The initial pass over the manifests of `dir` (paths sorted by the caller).
    actions start_pass(const std::string& dir, std::vector<std::string> paths);
    // A manifest was written (closed after writing, moved in, touched): deploy it again.
    actions on_changed(const std::string& path);

    actions on_manifest_read(const std::string& path, const std::optional<std::string>& content,
                             const std::string& error);
    // `unreachable`: Kanto-CM did not answer at all (socket absent, daemon down).
    actions on_listed(bool ok, bool unreachable, const std::string& error,
                      const std::vector<kcm::types::Container>& containers);
    actions on_kanto_done(std::uint64_t call, const kanto::result& result);
    actions on_retry_due();

    state current() const { return state_; }
    std::size_t queued() const { return queue_.size(); }

  private:
    struct job {
        std::string path;
        bool recreate = false;            // a change while watching: replace the existing container
        bool initial = false;             // part of the initial pass (counted in pass_finished)
        kcm::types::Container container;  // parsed from the manifest
        std::string existing_id;
    };

    void next(actions& out);
    void finish(bool ok, actions& out);
    void fail(const std::string& error, actions& out);
    void call(kanto::request request, state next_state, actions& out);
    void create(actions& out);
    void start_created(const std::string& id, actions& out);
    std::chrono::milliseconds retry_delay();

    deployer_config config_;
    state state_ = state::idle;
    std::optional<job> job_;
    std::deque<job> queue_;
    std::uint64_t next_call_ = 1, waiting_call_ = 0;
    std::uint64_t fib_a_ = 0, fib_b_ = 100;  // the back-off: 100, 100, 200, 300, 500 ms, ... capped
    std::size_t pass_total_ = 0, pass_done_ = 0, pass_failed_ = 0;
    bool pass_running_ = false;
};

}  // namespace deploy
