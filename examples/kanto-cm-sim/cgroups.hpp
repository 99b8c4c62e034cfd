// A control group per container, as containerd gives one: the container's processes are placed in
// it when they start, its memory limit applies, Metrics read real per-container figures through it
// (memory, pids, cpu), and Pause/Unpause freeze and thaw it, returning once the kernel reports the
// group frozen or thawed. cgroup v2 when /sys/fs/cgroup is the unified hierarchy, else the v1
// memory, pids, cpu and freezer hierarchies that are mounted. Needs root; without it (or without a
// writable hierarchy) it is disabled and says why.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sim {

class cgroups {
  public:
    // `group`: the parent group of every container's group, below each hierarchy's root.
    explicit cgroups(std::filesystem::path root = "/sys/fs/cgroup", std::string group = "kanto-cm-sim");

    bool enabled() const { return !v1_.empty() || v2_; }
    const std::string& why_disabled() const { return why_; }
    bool can_freeze() const { return v2_ || freezer_; }

    // Creates (or reuses) the container's groups and applies the memory limit (none: unlimited).
    // Returns the cgroup.procs files its first process writes "0" into to join, or an error.
    std::vector<std::string> prepare(const std::string& id, std::optional<std::int64_t> memory_limit,
                                     std::string& error);
    std::string set_memory_limit(const std::string& id, std::optional<std::int64_t> memory_limit);
    // Freezes or thaws every process of the container; returns "" once the kernel reports it done.
    std::string freeze(const std::string& id);
    std::string thaw(const std::string& id);
    // Removes the container's groups (its processes are gone); best effort.
    void remove(const std::string& id);

  private:
    std::vector<std::filesystem::path> dirs(const std::string& id) const;
    std::string set_frozen(const std::string& id, bool frozen);

    std::filesystem::path root_;
    std::string group_;
    bool v2_ = false;
    bool freezer_ = false;                   // v1 freezer hierarchy present
    std::vector<std::filesystem::path> v1_;  // mounted v1 hierarchies we use, e.g. <root>/memory
    std::string why_;
};

}  // namespace sim
