#include "src/support/folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "src/support/temp_file.h"

namespace gem::support {
namespace {

// "gem-train (pid 4242)" from the lock file's first line "4242 gem-train", or "another process".
std::string holder_of(int fd) {
  char buf[256] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string line(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  line = line.substr(0, line.find('\n'));
  const auto space = line.find(' ');
  if (line.empty() || space == std::string::npos) return "another process";
  return line.substr(space + 1) + " (pid " + line.substr(0, space) + ")";
}

}  // namespace

FolderLock::FolderLock(const std::filesystem::path& folder, const std::string& holder) {
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) throw std::runtime_error("cannot create the folder " + folder.string() + ": " + ec.message());
  const std::filesystem::path file = folder / kFileName;
  // Close-on-exec: a child started later must not inherit (and so keep) the lock.
  // Close-on-exec as above; no-follow, so a link planted as .lock cannot redirect the write.
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0)
    throw std::runtime_error("cannot create the lock file " + file.string() + ": " + error_text(errno) +
                             (errno == ELOOP ? " (it is a symbolic link: remove it)" : ""));
  int rc;
  while ((rc = ::flock(fd_, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
  }
  if (rc != 0) {
    const int error = errno;
    const std::string who = error == EWOULDBLOCK ? holder_of(fd_) : "";
    ::close(fd_);
    fd_ = -1;
    if (error != EWOULDBLOCK) throw std::runtime_error("cannot lock " + file.string() + ": " + error_text(error));
    throw FolderBusy(folder.string() + " is in use by " + who + ", which holds " + file.string() +
                     ": two processes writing one folder would mix their files; wait for it to finish or stop it, "
                     "or choose another folder");
  }
  const std::string line = std::to_string(::getpid()) + " " + holder + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size())) {
    // The lock holds without the note; only a second writer's message is poorer.
  }
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace gem::support
