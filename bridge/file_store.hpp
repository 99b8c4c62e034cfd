// File I/O for the core's read_file / write_file actions. Writes are atomic (temp file, fsync,
// rename, fsync of the directory): a crash leaves the old or the new file, never a torn one.
#pragma once

#include <optional>
#include <string>

namespace bridge {

struct file_content {
    std::optional<std::string> content;  // nullopt: the file does not exist
    std::string error;                   // non-empty: it exists but cannot be read
};

// Reads `path` whole; a directory is an error, not content.
file_content read_file(const std::string& path);

// Reads `path`; when only `legacy_path` exists it is renamed to `path` first (Kanto's restore).
file_content read_file_with_legacy(const std::string& path, const std::string& legacy_path);

// "" on success, else the reason.
std::string write_file_atomically(const std::string& path, const std::string& content);

}  // namespace bridge
