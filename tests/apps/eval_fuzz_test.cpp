// Fuzzing `gem eval`'s input parser in-process: thousands of random and mutated inputs,
// deterministic. Every input is either evaluated (one result line per case) or stopped at a bad
// line with InputError "line <n>: <problem>" (n within the input, the results before it
// written, the message short and on one line); nothing else escapes and nothing hangs.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "eval_command.h"

namespace gem::app {
namespace {

const std::vector<std::string> kLines = {"egem,1,1e-4,0.01", "segem,2,0.5,-1", "gem,3,1,2.5", "egem,8,4.9e-324,-0",
                                         "segem,1,1e300,inf", "gem,1,1,nan", "egem,2,0x1p-10,0x1.8p3",
                                         " egem , 1 , 1e-2 , 1e-3 "};
const std::string kAlphabet = "egmsx,.-+eE0123456789p \t\r\"'`;\x01\xff";

std::string mutate(std::string s, std::mt19937_64& rng) {
  const int edits = static_cast<int>(rng() % 3);
  for (int e = 0; e < edits; ++e) {
    const std::size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
    const char c = kAlphabet[rng() % kAlphabet.size()];
    switch (rng() % 5) {
      case 0: s.insert(at, 1, c); break;
      case 1: if (at < s.size()) s.erase(at, 1); break;
      case 2: if (at < s.size()) s[at] = c; break;
      case 3: s.insert(at, std::string(1 + rng() % 300, c)); break;
      default: s = s.substr(0, at); break;
    }
  }
  return s;
}

struct Outcome {
  std::size_t results = 0;  // lines written
  std::size_t bad_line = 0; // 0: none
};

Outcome run(const std::string& input, DType dtype) {
  std::istringstream in(input);
  std::ostringstream out;
  Outcome o;
  try {
    run_eval({dtype, 1}, in, out);
  } catch (const InputError& e) {
    o.bad_line = e.line();
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("line " + std::to_string(e.line()) + ": ", 0), 0u) << message;
    EXPECT_LT(message.size(), 600u);
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  const std::string text = out.str();
  o.results = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  return o;
}

TEST(EvalFuzz, MutatedInputsAreEvaluatedOrStopAtTheBadLine) {
  std::mt19937_64 rng(20261206);
  const DType dtypes[] = {DType::float64, DType::float32, DType::float16, DType::bfloat16};
  int stopped = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::size_t lines = 1 + rng() % 6;
    std::string input = rng() % 4 == 0 ? "variant,N,eps,x\n" : "";
    const std::size_t header = input.empty() ? 0 : 1;
    for (std::size_t k = 0; k < lines; ++k) input += mutate(kLines[rng() % kLines.size()], rng) + "\n";
    const Outcome o = run(input, dtypes[rng() % 4]);
    if (o.bad_line == 0) {
      EXPECT_LE(o.results, lines) << input;  // blank lines at the end give no result
    } else {
      ++stopped;
      EXPECT_GE(o.bad_line, 1u);
      EXPECT_LE(o.bad_line, lines + header);
      EXPECT_LT(o.results, o.bad_line - header + 1) << "results written for or after the bad line";
    }
  }
  EXPECT_GT(stopped, 300);
  EXPECT_LT(stopped, 2900);
}

TEST(EvalFuzz, RandomBytesStopWithAMessage) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 2000; ++i) {
    std::string input(rng() % 200, ' ');
    for (char& c : input) c = static_cast<char>(rng() % 256);
    run(input, DType::float32);
  }
}

}  // namespace
}  // namespace gem::app
