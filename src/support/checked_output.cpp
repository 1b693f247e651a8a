#include "src/support/checked_output.h"

#include <cerrno>
#include <iostream>
#include <stdexcept>

#include "src/support/temp_file.h"

namespace gem::support {
namespace {

// The stream's failure with the errno the failed write left (iostreams keep no cause).
std::string cause_of(int error) { return error != 0 ? error_text(error) : std::string("write error"); }

}  // namespace

void check_written(std::ostream& out, const std::string& what) {
  // Called right after the writes it checks, errno still holds a failed write's cause.
  if (!out.good()) throw std::runtime_error("cannot write " + what + ": " + cause_of(errno));
  errno = 0;
  out.flush();
  if (!out.good()) throw std::runtime_error("cannot write " + what + ": " + cause_of(errno));
}

int finish_standard_output(const std::string& tool, int status) {
  const int earlier = errno;
  const bool failed_before = !std::cout.good();
  errno = 0;
  if (!failed_before) std::cout.flush();
  if (std::cout.good()) return status;
  if (status != 0) return status;  // the failure was reported already
  std::cerr << tool << ": cannot write the standard output: " << cause_of(failed_before ? earlier : errno) << "\n";
  return 1;
}

}  // namespace gem::support
