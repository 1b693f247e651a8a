#include "src/support/checked_output.h"

#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <stdexcept>
#include <streambuf>

#include "src/support/temp_file.h"

namespace gem::support {
namespace {

/// A buffer on file descriptor 1 that keeps the errno of its first failed write.
class StdoutBuffer : public std::streambuf {
 public:
  StdoutBuffer() { setp(buffer_, buffer_ + sizeof buffer_); }
  int error() const { return error_; }

 protected:
  int overflow(int c) override {
    if (!drain()) return traits_type::eof();
    if (c != traits_type::eof()) {
      *pptr() = static_cast<char>(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    const char* p = pbase();
    while (p < pptr() && error_ == 0) {
      const ssize_t n = ::write(STDOUT_FILENO, p, static_cast<std::size_t>(pptr() - p));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) error_ = n < 0 ? errno : EIO;
      else p += n;
    }
    setp(buffer_, buffer_ + sizeof buffer_);  // what could not be written is dropped: the stream has failed
    return error_ == 0;
  }

  char buffer_[1 << 16];
  int error_ = 0;
};

StdoutBuffer* g_stdout = nullptr;

std::string cause_of(const std::ostream& out, int error) {
  if (g_stdout && out.rdbuf() == g_stdout && g_stdout->error() != 0) return error_text(g_stdout->error());
  return error != 0 ? error_text(error) : std::string("write error");
}

}  // namespace

void check_standard_output() {
  static StdoutBuffer buffer;  // lives as long as std::cout is used
  std::cout.flush();
  g_stdout = &buffer;
  std::cout.rdbuf(&buffer);
}

void check_written(std::ostream& out, const std::string& what) {
  // Right after the writes it checks, errno still holds a failed write's cause.
  if (!out.good()) throw std::runtime_error("cannot write " + what + ": " + cause_of(out, errno));
  errno = 0;
  out.flush();
  if (!out.good()) throw std::runtime_error("cannot write " + what + ": " + cause_of(out, errno));
}

int finish_standard_output(const std::string& tool, int status) {
  errno = 0;
  if (std::cout.good()) std::cout.flush();
  if (std::cout.good()) return status;
  if (status != 0) return status;  // the failure was reported already
  std::cerr << tool << ": cannot write the standard output: " << cause_of(std::cout, errno) << "\n";
  return 1;
}

}  // namespace gem::support
