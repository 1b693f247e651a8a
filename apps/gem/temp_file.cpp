#include "temp_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace gem::app {

TempFile::TempFile(const std::filesystem::path& dir, const std::string& stem, const std::string& suffix) {
  std::string pattern = (dir / (stem + "-XXXXXX" + suffix)).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  const int fd = ::mkstemps(buf.data(), static_cast<int>(suffix.size()));
  if (fd < 0)
    throw std::runtime_error("cannot create a temporary file in " + dir.string() + ": " + std::strerror(errno));
  ::close(fd);
  path_ = buf.data();
}

TempFile::~TempFile() {
  if (!published_) {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
}

void TempFile::publish(const std::filesystem::path& destination) {
  std::error_code ec;
  // mkstemps creates owner-only files; a published output is an ordinary file (0644 less umask).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  std::filesystem::permissions(path_, static_cast<std::filesystem::perms>(0644 & ~mask), ec);
  std::filesystem::rename(path_, destination, ec);
  if (ec)
    throw std::runtime_error("cannot move " + path_.string() + " to " + destination.string() + ": " + ec.message());
  published_ = true;
}

}  // namespace gem::app
