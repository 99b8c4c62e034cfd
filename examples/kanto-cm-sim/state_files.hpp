// The simulator's per-container state files, <home>/containers/<id>/config.json, rewritten atomically
// (temp file + rename) on every change like the real daemon's, so clients can watch the directory.
// Content is the container as protobuf JSON (the real daemon uses its internal schema; clients must
// only use the files as a change trigger and read the container over gRPC).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "kanto_cm_types.hpp"

namespace sim {

class state_files {
  public:
    explicit state_files(std::filesystem::path home);

    std::filesystem::path container_dir(const std::string& id) const;
    // Returns "" or an error text; never throws.
    std::string write(const kcm::types::Container& c) const;
    void remove(const std::string& id) const;
    // Every container found under <home>/containers; unreadable files are reported in `problems`.
    std::vector<kcm::types::Container> load(std::vector<std::string>& problems) const;

  private:
    std::filesystem::path root_;
};

}  // namespace sim
