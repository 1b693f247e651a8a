// One writer per folder: an exclusive lock on <folder>/.lock (flock), held while a run or a
// sweep writes there. The operating system releases it when the process ends, however it ends
// (kill -9 included), so a stale lock never blocks a later run. The lock file holds the
// holder's PID and what it is, for the message a second writer gets.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace gem::support {

/// Another process holds the folder's lock.
class FolderBusy : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class FolderLock {
 public:
  /// Creates `folder` if needed and takes its lock, or throws FolderBusy naming the holder
  /// ("runs/a is in use by gem-train (pid 4242) ..."). `holder` says what this process is.
  /// Throws std::runtime_error when the lock file cannot be created.
  FolderLock(const std::filesystem::path& folder, const std::string& holder);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

  static constexpr const char* kFileName = ".lock";

 private:
  int fd_ = -1;
};

}  // namespace gem::support
