// `gem eval`: the CPU kernels on lines of text, for checking them from outside (and against
// other implementations) without writing C++.
//
// Input, one case per line: `variant,N,eps,x` (variant gem|egem|segem; a gem row has eps 1). A
// first line starting with "variant" is a header and is skipped; blank lines may only end the
// input. Output, one line per case in input order: `f,df,d2f`, each with 17 significant digits.
// x is rounded once to the dtype and evaluated by that dtype's kernels (gem::cpu::forward,
// backward with grad_out = 1, backward_grad2 with grad = 1), results widened to double.
#pragma once

#include <cstddef>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <string>

#include "gem/numeric.h"

namespace gem::app {

struct EvalOptions {
  DType dtype = DType::float64;
  int threads = 0;  // kernel threads; 0 = OpenMP's maximum
};

/// A bad input line; what() is "line <n>: <problem>".
class InputError : public std::runtime_error {
 public:
  InputError(std::size_t line, const std::string& problem)
      : std::runtime_error("line " + std::to_string(line) + ": " + problem), line_(line) {}
  std::size_t line() const { return line_; }

 private:
  std::size_t line_;
};

/// Evaluates every line of `in` and writes the results to `out`. Lines are evaluated in large
/// batches (one kernel call per parameter set in a batch). At the first bad line the results of
/// all lines before it are written, nothing for it or after it, and InputError is thrown.
void run_eval(const EvalOptions& opt, std::istream& in, std::ostream& out);

}  // namespace gem::app
