// `gem eval` end to end: input handling (header, blank lines, CRLF), specials formatting,
// batching across parameter sets, and one clear error per kind of bad line.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "common/golden.h"
#include "gem/act/gem.h"
#include "src/support/number_format.h"
#include "run_tool.h"

namespace gem::testing {
namespace {

const char* const kDtypes[] = {"float64", "float32", "float16", "bfloat16"};

std::vector<std::string> lines_of(const std::string& text) { return split(text, '\n'); }

TEST(GemEval, EmptyInputGivesEmptyOutput) {
  const ToolRun run = run_gem({"eval"}, "");
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "");
}

TEST(GemEval, SkipsAHeaderOnlyOnTheFirstLine) {
  const ToolRun with_header = run_gem({"eval"}, "variant,N,eps,x\ngem,2,1,1\n");
  const ToolRun without = run_gem({"eval"}, "gem,2,1,1\n");
  ASSERT_EQ(with_header.status, 0) << with_header.err;
  ASSERT_EQ(without.status, 0) << without.err;
  EXPECT_EQ(lines_of(with_header.out).size(), 1u);
  EXPECT_EQ(with_header.out, without.out);

  const ToolRun second = run_gem({"eval"}, "gem,2,1,1\nvariant,N,eps,x\n");
  EXPECT_EQ(second.status, 1);
  EXPECT_NE(second.err.find("line 2: unknown variant 'variant'"), std::string::npos) << second.err;
}

TEST(GemEval, AcceptsTrailingBlankLinesCrlfBlanksAndNoFinalNewline) {
  const ToolRun plain = run_gem({"eval"}, "egem,1,0.01,0.5\nsegem,2,0.25,-1.5\n");
  ASSERT_EQ(plain.status, 0) << plain.err;
  for (const char* input : {"egem,1,0.01,0.5\nsegem,2,0.25,-1.5\n\n \n", "egem,1,0.01,0.5\r\nsegem,2,0.25,-1.5\r\n",
                            "egem, 1 ,0.01, 0.5\nsegem,2,0.25,-1.5", "variant\negem,1,0.01,0.5\nsegem,2,0.25,-1.5\n"}) {
    const ToolRun run = run_gem({"eval"}, input);
    EXPECT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(run.out, plain.out) << input;
  }
}

TEST(GemEval, ValuesAtSimplePoints) {
  // GEM_2 at x = 1: q = 1, f = 1/2, f' = (1 + 5q)/(1+q)^2 = 3/2, f'' = -4 (3 - 5q)/(1+q)^3 = 1.
  for (const char* dtype : kDtypes) {
    const ToolRun run = run_gem({"eval", "--dtype", dtype}, "gem,2,1,1\n");
    ASSERT_EQ(run.status, 0) << run.err;
    const auto v = split(lines_of(run.out).at(0), ',');
    ASSERT_EQ(v.size(), 3u);
    EXPECT_NEAR(std::strtod(v[0].c_str(), nullptr), 0.5, 1e-15) << dtype;
    EXPECT_NEAR(std::strtod(v[1].c_str(), nullptr), 1.5, 1e-15) << dtype;
    EXPECT_NEAR(std::strtod(v[2].c_str(), nullptr), 1.0, 1e-15) << dtype;
  }
}

// Spec 3.3. A zero derivative may be +0 or -0, so those are compared by value; f keeps its sign.
TEST(GemEval, SpecialValuesAndSignedZeros) {
  struct Case {
    const char* input;
    const char* f;
    double df, d2f;  // NaN: expect "nan"
  };
  const Case cases[] = {
      {"egem,1,0.01,nan", "nan", NAN, NAN},   {"egem,1,0.01,-nan", "nan", NAN, NAN},
      {"egem,1,0.01,inf", "inf", 1, 0},       {"egem,1,0.01,-inf", "0", 0, 0},
      {"egem,1,0.01,0", "0", 0, 0},           {"egem,1,0.01,-0", "0", 0, 0},
      {"egem,2,0.01,-3", "0", 0, 0},          {"segem,1,0.01,nan", "nan", NAN, NAN},
      {"segem,1,0.01,inf", "inf", 1, 0},      {"segem,1,0.01,-inf", "-0", 0, 0},
      {"segem,1,0.01,0", "0", 1, 0},          {"segem,1,0.01,-0", "-0", 1, 0},
      {"segem,3,0.01,2.5", "2.5", 1, 0},      {"gem,1,1,-inf", "0", 0, 0},
  };
  for (const char* dtype : kDtypes) {
    std::string input;
    for (const Case& c : cases) input += std::string(c.input) + "\n";
    const ToolRun run = run_gem({"eval", "--dtype", dtype}, input);
    ASSERT_EQ(run.status, 0) << run.err;
    const auto lines = lines_of(run.out);
    ASSERT_EQ(lines.size(), std::size(cases));
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const auto v = split(lines[i], ',');
      ASSERT_EQ(v.size(), 3u) << lines[i];
      EXPECT_EQ(v[0], cases[i].f) << dtype << " " << cases[i].input;
      for (int k = 1; k <= 2; ++k) {
        const double expected = k == 1 ? cases[i].df : cases[i].d2f;
        if (std::isnan(expected)) EXPECT_EQ(v[k], "nan") << dtype << " " << cases[i].input;
        else
          EXPECT_EQ(std::strtod(v[k].c_str(), nullptr), expected) << dtype << " " << cases[i].input << " -> " << v[k];
      }
    }
  }
}

TEST(GemEval, RoundsXToTheDtypeFirst) {
  // 0.1 is not a float: the float32 path must evaluate at (float)0.1 (exactly SE' = 1 there).
  const ToolRun run = run_gem({"eval", "--dtype", "float32"}, "segem,1,0.01,0.1\n");
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(split(lines_of(run.out).at(0), ',').at(0), support::format_g17(static_cast<double>(0.1f)));
  const ToolRun half = run_gem({"eval", "--dtype", "float16"}, "segem,1,0.01,1.00048828125000000000001\n");
  ASSERT_EQ(half.status, 0) << half.err;
  EXPECT_EQ(split(lines_of(half.out).at(0), ',').at(0), "1.0009765625");
}

// More lines than one batch (65536), parameters interleaved: every line must come back in its
// place with the right parameters. Reference: the core's gem_derivs in binary64.
TEST(GemEval, ManyLinesInterleavedKeepTheirOrder) {
  struct P {
    Variant v;
    int N;
    double eps;
    const char* text;
  };
  const P params[] = {{Variant::egem, 2, 0.01, "egem,2,0.01,"},
                      {Variant::segem, 1, 1e-4, "segem,1,1e-4,"},
                      {Variant::gem, 3, 1.0, "gem,3,1,"}};
  constexpr int kLines = 70001;
  std::string input;
  std::vector<double> xs(kLines);
  char buf[64];
  for (int i = 0; i < kLines; ++i) {
    xs[i] = -5.0 + 10.0 * i / (kLines - 1);
    std::snprintf(buf, sizeof buf, "%.17g\n", xs[i]);
    input += params[i % 3].text;
    input += buf;
  }
  const ToolRun run = run_gem({"eval"}, input);
  ASSERT_EQ(run.status, 0) << run.err;
  const auto lines = lines_of(run.out);
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kLines));
  int bad = 0;
  for (int i = 0; i < kLines; ++i) {
    const P& p = params[i % 3];
    const Derivs<double> ref = gem_derivs(p.v, xs[i], make_constants<double>(p.N, p.eps));
    const auto v = split(lines[i], ',');
    ASSERT_EQ(v.size(), 3u);
    const double want[3] = {ref.f, ref.df, ref.d2f};
    for (int k = 0; k < 3; ++k) {
      const double got = std::strtod(v[k].c_str(), nullptr);
      const double M = cancel_magnitude(p.v, p.N, p.eps, xs[i], k, want[k]);
      // Both sides are within the spec bound of the exact value, so within twice it of each other.
      if (error_ulps<double>(got, want[k], M) > 2 * bound_ulps(p.N, k) && ++bad <= 10)
        ADD_FAILURE() << "line " << i + 1 << " (" << p.text << xs[i] << ") column " << k << ": got " << v[k]
                      << ", reference " << want[k];
    }
  }
  EXPECT_EQ(bad, 0);
}

struct BadLine {
  const char* line;
  const char* problem;  // expected in the message after "line 4: "
};

void PrintTo(const BadLine& c, std::ostream* os) { *os << "'" << c.line << "'"; }

class GemEvalBadLine : public ::testing::TestWithParam<BadLine> {};

// Header + two good lines, the bad line (line 4), one more good line: the two results before it
// are written, nothing after, the message names line 4, and the exit status is 1.
TEST_P(GemEvalBadLine, StopsWithLineNumberAndProblem) {
  const BadLine& c = GetParam();
  const std::string input = std::string("variant,N,eps,x\negem,1,0.01,1\nsegem,1,0.01,-1\n") + c.line + "\ngem,1,1,2\n";
  const ToolRun run = run_gem({"eval"}, input);
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(lines_of(run.out).size(), 2u) << run.out;
  const std::string expected = std::string("gem eval: line 4: ") + c.problem;
  EXPECT_NE(run.err.find(expected), std::string::npos) << "stderr: " << run.err << "\nexpected: " << expected;
}

INSTANTIATE_TEST_SUITE_P(
    EachKind, GemEvalBadLine,
    ::testing::Values(
        BadLine{"egem,1,0.01", "expected 4 comma-separated fields variant,N,eps,x, got 3"},
        BadLine{"egem,1,0.01,0.5,7", "expected 4 comma-separated fields variant,N,eps,x, got 5"},
        BadLine{"egem,1,0.01,abc", "x must be a number, got 'abc'"},
        BadLine{"egem,1,0.01,", "x must be a number, got nothing"},
        BadLine{"egem,1,0.01,1.5x", "x must be a number, got '1.5x'"},
        BadLine{"relu,1,0.01,1", "unknown variant 'relu'; expected gem, egem or segem"},
        BadLine{"egem,0,0.01,1", "GEM order N must be an integer in [1, 8], got 0"},
        BadLine{"egem,9,0.01,1", "GEM order N must be an integer in [1, 8], got 9"},
        BadLine{"egem,2.5,0.01,1", "GEM order N must be an integer in [1, 8], got 2.5"},
        BadLine{"egem,two,0.01,1", "GEM order N must be an integer in [1, 8], got 'two'"},
        BadLine{"egem,1,0,1", "E-GEM eps must be finite and > 0, got 0"},
        BadLine{"egem,1,-0,1", "E-GEM eps must be finite and > 0, got -0"},
        BadLine{"segem,1,-1e-4,1", "SE-GEM eps must be finite and > 0, got -1e-4"},
        BadLine{"segem,1,nan,1", "SE-GEM eps must be finite and > 0, got nan"},
        BadLine{"egem,1,inf,1", "E-GEM eps must be finite and > 0, got inf"},
        BadLine{"egem,1,small,1", "E-GEM eps must be finite and > 0, got 'small'"},
        BadLine{"gem,1,0.5,1", "GEM has no eps (it is fixed at 1)"},
        BadLine{"gem,1,one,1", "GEM has no eps (it is fixed at 1)"},
        BadLine{"", "blank line; blank lines are only allowed at the end of the input"}));

TEST(GemEval, BadDtypeIsAUsageError) {
  const ToolRun run = run_gem({"eval", "--dtype", "float8"}, "gem,1,1,1\n");
  EXPECT_EQ(run.status, 2);
  EXPECT_NE(run.err.find("float8"), std::string::npos) << run.err;
  EXPECT_EQ(run.out, "");
}

}  // namespace
}  // namespace gem::testing
