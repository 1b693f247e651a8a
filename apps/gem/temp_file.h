// Temporary files that clean up after themselves, and atomic publication of an output file:
// write to a temporary beside the destination, then rename over it, so a reader never sees a
// half-written PNG or CSV and a failed run leaves the old file (or none) in place.
#pragma once

#include <filesystem>
#include <string>

namespace gem::app {

/// A new, empty, uniquely named file `<stem>-XXXXXX<suffix>` in `dir`, removed on destruction
/// unless publish() moved it away. Throws std::runtime_error if it cannot be created.
class TempFile {
 public:
  TempFile(const std::filesystem::path& dir, const std::string& stem, const std::string& suffix);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::filesystem::path& path() const { return path_; }

  /// Renames the file to `destination` (same file system: atomic). Throws on failure.
  void publish(const std::filesystem::path& destination);

 private:
  std::filesystem::path path_;
  bool published_ = false;
};

/// A temporary file beside `destination` (same folder, so publish() is a rename).
inline std::filesystem::path folder_of(const std::filesystem::path& destination) {
  const auto parent = destination.parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

}  // namespace gem::app
