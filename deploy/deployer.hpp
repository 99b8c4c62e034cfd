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

// kad: Leda's auto-deployer (both manifest formats; keep on the initial pass, replace on a change).
// update: Kanto-CM's built-in deployment in update mode (Kanto's container config; compare with
// the same-named container: create, recreate new-first with rollback, update in place, or make
// sure it runs). init: Kanto-CM's init mode (create and start everything, only while Kanto-CM has
// no container at all).
enum class deploy_mode { kad, update, init };

struct deployer_config {
    bool wait_for_kanto = false;  // daemon: wait for Kanto-CM; one-shot: a single attempt
    std::chrono::milliseconds max_retry{30000};
    deploy_mode mode = deploy_mode::kad;
};

class deployer {
  public:
    enum class state {
        idle,
        reading,
        listing,
        waiting_for_kanto,
        stopping,
        removing,
        creating,
        starting,
        // update mode
        updating,      // in-place Update of resources and restart policy
        unpausing,     // making sure it runs
        stopping_old,  // recreate: the new container exists, the old one is stopped
        starting_new,
        removing_old,
        restarting_old,  // rollback: the new one did not start
        removing_new,
    };

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
        std::optional<kcm::types::Container> existing;  // update mode: the same-named container
        std::string new_id;                             // update mode: the container created
        std::string failure;                            // update mode: why a rollback happened
        bool old_first = false;                         // update mode: a pinned id forces remove-then-create
    };

    void next(actions& out);
    void finish(bool ok, actions& out);
    void fail(const std::string& error, actions& out);
    void call(kanto::request request, state next_state, actions& out);
    void create(actions& out);
    void start_created(const std::string& id, actions& out);
    void kad_matched(const kcm::types::Container* existing, actions& out);
    void update_matched(const kcm::types::Container* existing, actions& out);
    void ensure_running(actions& out);
    void recreate_new_first(actions& out);
    bool update_step(const kanto::result& result, actions& out);
    bool recreate_step(const kanto::result& result, actions& out);
    void close_init_pass(bool failed, actions& out);
    std::chrono::milliseconds retry_delay();

    deployer_config config_;
    state state_ = state::idle;
    std::optional<job> job_;
    std::deque<job> queue_;
    std::uint64_t next_call_ = 1, waiting_call_ = 0;
    std::uint64_t fib_a_ = 0, fib_b_ = 100;  // the back-off: 100, 100, 200, 300, 500 ms, ... capped
    std::size_t pass_total_ = 0, pass_done_ = 0, pass_failed_ = 0;
    bool pass_running_ = false;
    bool init_gate_ = false;  // init mode: the pass waits for a List showing no container at all
};

}  // namespace deploy
