// Reads a container process's counters for the Metrics feature: its cgroup (v1 or v2, found through
// /proc/<pid>/cgroup), /proc/<pid>/net/dev, and the host's /proc/stat and /proc/meminfo. A file that
// is missing or unreadable leaves its measurement out; it is never an error.
#pragma once

#include <filesystem>
#include <string>

#include "metrics.hpp"

namespace bridge {

class cgroup_reader {
  public:
    explicit cgroup_reader(std::filesystem::path proc = "/proc",
                           std::filesystem::path cgroup_root = "/sys/fs/cgroup");

    twin::metrics_sample read(const std::string& container_id, long pid) const;

  private:
    std::filesystem::path proc_;
    std::filesystem::path cgroup_root_;
};

}  // namespace bridge
