#include "src/support/temp_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace gem::support {

std::string error_text(int error) { return std::error_code(error, std::generic_category()).message(); }

std::pair<int, std::filesystem::path> create_unique_file(const std::filesystem::path& dir, const std::string& stem,
                                                         const std::string& suffix) {
  const std::string pattern = (dir / (stem + "-XXXXXX" + suffix)).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  const int fd = ::mkostemps(buf.data(), static_cast<int>(suffix.size()), O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot create a file in " + dir.string() + ": " + error_text(errno));
  return {fd, std::filesystem::path(buf.data())};
}

TempFile::TempFile(const std::filesystem::path& dir, const std::string& stem, const std::string& suffix) {
  const auto [fd, path] = create_unique_file(dir, stem, suffix);
  ::close(fd);
  path_ = path;
}

TempFile::~TempFile() {
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

}  // namespace gem::support
