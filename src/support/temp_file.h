// Scratch files that clean up after themselves (gnuplot's script, data and log). Outputs that
// must appear whole or not at all are AtomicFile's (atomic_file.h).
#pragma once

#include <filesystem>
#include <string>
#include <utility>

namespace gem::support {

/// Creates a new, empty, owner-only file `<stem>-XXXXXX<suffix>` in `dir` and returns its open
/// descriptor (close-on-exec) and path. Throws std::runtime_error naming the folder and the
/// cause (a missing folder, no permission, no space left).
std::pair<int, std::filesystem::path> create_unique_file(const std::filesystem::path& dir, const std::string& stem,
                                                         const std::string& suffix);

/// A uniquely named file in `dir`, removed on destruction.
class TempFile {
 public:
  TempFile(const std::filesystem::path& dir, const std::string& stem, const std::string& suffix);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// The folder a file goes in ("." for a bare name).
inline std::filesystem::path folder_of(const std::filesystem::path& file) {
  const auto parent = file.parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

/// The message of errno `error` ("No space left on device"), thread-safe.
std::string error_text(int error);

}  // namespace gem::support
