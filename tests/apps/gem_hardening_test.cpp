// The `gem` tool under hostile input and a full disk: text never becomes a gnuplot command,
// failed writes fail the command, absurd sizes are refused with a message (no crash), and a
// message quotes a huge field in a short excerpt.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "run_tool.h"
#include "src/support/process.h"

namespace gem::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(GEM_BINARY_DIR) / "test-output/apps" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

ProgramOptions to_dev_full() {
  ProgramOptions o;
  o.stdout_path = "/dev/full";
  return o;
}

TEST(GemHardening, TitlesRunNoCommand) {
  if (support::find_executable("gnuplot").empty()) GTEST_SKIP() << "gnuplot is not installed";
  const fs::path dir = fresh_dir("hostile_title");
  const std::string marker = (dir / "PWNED").string();
  for (const std::string& title : {"x\nsystem(\"touch " + marker + "1\")\n", "`touch " + marker + "2`",
                                   std::string("a'' ''b \\\" @GPVAL_TERM"), std::string("'''x")}) {
    const ToolRun run = run_gem({"plot", "--title", title, "--points", "11", "--out", (dir / "t.png").string()});
    EXPECT_EQ(run.status, 0) << title << ": " << run.err;
  }
  EXPECT_FALSE(fs::exists(marker + "1"));
  EXPECT_FALSE(fs::exists(marker + "2"));
  const ToolRun bad = run_gem({"plot", "--out", (dir / "a\nb.png").string()});
  EXPECT_EQ(bad.status, 2);
  EXPECT_THAT(bad.err, HasSubstr("--out must not contain control characters"));
}

TEST(GemHardening, AFullStandardOutputIsAnError) {
  // Was: exit 0 with nothing written.
  ToolRun run = run_gem({"eval"}, "egem,1,1e-4,0.5\n", to_dev_full());
  EXPECT_EQ(run.status, 1);
  EXPECT_THAT(run.err, HasSubstr("gem eval: cannot write the results: No space left on device"));
  run = run_gem({"spec", "relu"}, "", to_dev_full());
  EXPECT_EQ(run.status, 1);
  EXPECT_THAT(run.err, HasSubstr("gem spec: cannot write the standard output: No space left on device"));
#ifdef GEM_APP_HAVE_KERNEL_BENCH
  run = run_gem({"bench", "--json", "--n", "1024", "--dtype", "float32", "-N", "1", "--threads", "1", "--warmup", "0",
                 "--repeats", "1"},
                "", to_dev_full());
  EXPECT_EQ(run.status, 1);
  EXPECT_THAT(run.err, HasSubstr("No space left on device"));
#endif
}

TEST(GemHardening, AFullDiskStopsEvalAtOnce) {
  const fs::path dir = fresh_dir("eval_full");
  std::string input;
  for (int i = 0; i < 200000; ++i) input += "egem,1,1e-4," + std::to_string(i * 1e-5) + "\n";
  ProgramOptions o;
  o.stdout_path = (dir / "out.csv").string();
  std::ofstream(o.stdout_path).close();
  o.file_size_limit = 100000;  // about 1,600 of the 200,000 result lines
  const ToolRun run = run_gem({"eval"}, input, o);
  EXPECT_EQ(run.status, 1);  // was: exit 0 with 34,133 of 1,000,000 lines
  EXPECT_THAT(run.err, HasSubstr("cannot write the results: File too large"));
  EXPECT_LE(fs::file_size(dir / "out.csv"), 100000u);
}

TEST(GemHardening, AbsurdSizesAreRefusedNotCrashed) {
#ifdef GEM_APP_HAVE_KERNEL_BENCH
  for (const char* n : {"4611686018427387904", "18446744073709551615"}) {
    const ToolRun run = run_gem({"bench", "--n", n, "--dtype", "float32", "-N", "1", "--threads", "1"});
    EXPECT_EQ(run.status, 2) << n << ": " << run.err;  // was: segfault
    EXPECT_THAT(run.err, AllOf(HasSubstr("of memory available"), HasSubstr("use a smaller --n"))) << n;
  }
  const ToolRun e20 = run_gem({"bench", "--n", "1e20", "--dtype", "float32", "-N", "1", "--threads", "1"});
  EXPECT_EQ(e20.status, 2) << e20.err;
  const ToolRun threads = run_gem({"bench", "--n", "1024", "--threads", "100000"});
  EXPECT_EQ(threads.status, 2) << threads.err;  // was: segfault
  EXPECT_THAT(threads.err, HasSubstr("--threads"));
#endif
  const ToolRun eval = run_gem({"eval", "--threads", "100000"}, "egem,1,1e-4,0.5\n");
  EXPECT_EQ(eval.status, 2);
  EXPECT_THAT(eval.err, HasSubstr("--threads"));
}

TEST(GemHardening, HugeFieldsAreQuotedShort) {
  const std::string huge(20 << 20, '7');
  ToolRun run = run_gem({"eval"}, "egem,1,1e-4," + huge + "x\n");
  EXPECT_EQ(run.status, 1);
  EXPECT_LT(run.err.size(), 400u) << "echoed " << run.err.size() << " bytes";
  EXPECT_THAT(run.err, AllOf(HasSubstr("line 1: x must be a number, got '777"), HasSubstr("... (20971521 bytes)")));
  run = run_gem({"spec", "egem:N=1,eps=" + std::string(100000, 'e')});  // an argument holds at most 128 KiB
  EXPECT_EQ(run.status, 1);
  EXPECT_LT(run.err.size(), 600u);
  EXPECT_THAT(run.err, HasSubstr("... (100013 bytes)"));
}

TEST(GemHardening, BlanksAroundASpecAreIgnored) {
  const ToolRun run = run_gem({"spec", "egem:N=2,eps=1e-4 ", " segem : N = 1 , eps = 0.5"});
  EXPECT_EQ(run.status, 0) << run.err;  // was: "eps must be finite and > 0, got 1e-4 "
  EXPECT_EQ(run.out, "egem:N=2,eps=1e-4\nsegem:N=1,eps=0.5\n");
}

}  // namespace
}  // namespace gem::testing

namespace gem::testing {
namespace {

TEST(GemHardening, APngCutShortByAFullDiskIsNotPublished) {
  if (support::find_executable("gnuplot").empty()) GTEST_SKIP() << "gnuplot is not installed";
  const fs::path dir = fresh_dir("plot_full");
  ProgramOptions full;
  full.file_size_limit = 20000;  // the PNG needs more; gnuplot says nothing when its write fails
  const ToolRun run = run_gem({"plot", "--act", "relu", "--act", "gelu", "--points", "20", "--out",
                               (dir / "cut.png").string()},
                              "", full);
  EXPECT_EQ(run.status, 1);  // was: exit 0 and a truncated PNG
  EXPECT_THAT(run.err, HasSubstr("gnuplot wrote an incomplete PNG"));
  EXPECT_FALSE(fs::exists(dir / "cut.png"));
  EXPECT_FALSE(fs::exists(dir / "cut.csv"));
}

TEST(GemHardening, HelpToAFullDeviceFailsAndCausesAreExact) {
  ProgramOptions o;
  o.stdout_path = "/dev/full";
  EXPECT_EQ(run_gem({"--help"}, "", o).status, 1);
  EXPECT_EQ(run_gem({"--version"}, "", o).status, 1);
  const ToolRun tiny = run_gem({"eval", "--dtype", "float32"}, "egem,1,1e-400,1\n");
  EXPECT_THAT(tiny.err, HasSubstr("E-GEM eps must be finite and > 0, got 1e-400"));  // not "got 0"
  const ToolRun big = run_gem({"bench", "--n", "18446744073709551616"});
  EXPECT_EQ(big.status, 2);
  EXPECT_THAT(big.err, HasSubstr("is larger than 2^64 - 1"));
  const ToolRun range = run_gem({"plot", "--from", "-1e308", "--to", "1e308"});
  EXPECT_EQ(range.status, 2);
  EXPECT_THAT(range.err, HasSubstr("to - from finite"));
}

}  // namespace
}  // namespace gem::testing
