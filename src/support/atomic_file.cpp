#include "src/support/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "src/support/temp_file.h"

namespace gem::support {
namespace {

// Writes all of [data, data + bytes) at `offset` (or appends when offset < 0), retrying short
// writes and EINTR; returns 0 or the errno of the failure.
int write_fully(int fd, const char* data, std::size_t bytes, off_t offset) {
  while (bytes > 0) {
    const ssize_t n = offset < 0 ? ::write(fd, data, bytes) : ::pwrite(fd, data, bytes, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    data += n;
    bytes -= static_cast<std::size_t>(n);
    if (offset >= 0) offset += n;
  }
  return 0;
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path destination) : destination_(std::move(destination)) {
  auto [fd, temp] = create_unique_file(folder_of(destination_), "." + destination_.filename().string(), ".tmp");
  fd_ = fd;
  temp_ = std::move(temp);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) {
    std::error_code ignored;
    std::filesystem::remove(temp_, ignored);
  }
}

bool AtomicFile::append(const void* data, std::size_t bytes) noexcept {
  if (error_ != 0) return false;
  error_ = write_fully(fd_, static_cast<const char*>(data), bytes, -1);
  if (error_ == 0) size_ += bytes;
  return error_ == 0;
}

bool AtomicFile::overwrite(std::uint64_t offset, const void* data, std::size_t bytes) noexcept {
  if (error_ != 0) return false;
  if (offset + bytes > size_) {
    error_ = EINVAL;
    return false;
  }
  error_ = write_fully(fd_, static_cast<const char*>(data), bytes, static_cast<off_t>(offset));
  return error_ == 0;
}

void AtomicFile::fail(const std::string& step, int error) {
  throw std::runtime_error("cannot write " + destination_.string() + " (" + step + "): " + error_text(error) + "; " +
                           destination_.filename().string() + " keeps its previous content");
}

void AtomicFile::commit() {
  if (error_ != 0) fail("writing", error_);
  if (::fsync(fd_) != 0) fail("fsync", errno);
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) fail("closing", errno);
  // mkostemps makes the file owner-only; a published output is an ordinary file (0644 less umask).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(temp_.c_str(), 0644 & ~mask);
  if (::rename(temp_.c_str(), destination_.c_str()) != 0) fail("renaming " + temp_.filename().string(), errno);
  committed_ = true;
  sync_folder(folder_of(destination_));
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  std::error_code ec;
  std::filesystem::create_directories(folder_of(path), ec);
  if (ec) throw std::runtime_error("cannot create the folder " + folder_of(path).string() + ": " + ec.message());
  AtomicFile file(path);
  file.append(bytes);
  file.commit();
}

void sync_folder(const std::filesystem::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open the folder " + folder.string() + ": " + error_text(errno));
  const int rc = ::fsync(fd), error = errno;
  ::close(fd);
  // Some file systems do not sync folders (EINVAL); the rename itself has happened.
  if (rc != 0 && error != EINVAL && error != EROFS)
    throw std::runtime_error("cannot sync the folder " + folder.string() + ": " + error_text(error));
}

}  // namespace gem::support
