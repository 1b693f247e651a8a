// `gem bench`: a tiny run gives one JSON line per case (when built with the benchmark), bad
// flags are usage errors.
#include <gtest/gtest.h>

#include <string>

#include "run_tool.h"

namespace gem::testing {
namespace {

#ifdef GEM_APP_HAVE_KERNEL_BENCH
TEST(GemBench, TinyRunWritesJsonLines) {
  const ToolRun run = run_gem({"bench", "--json", "--n", "4096", "--dtype", "float32,bfloat16", "--variant", "segem",
                               "-N", "2", "--threads", "1", "--warmup", "0", "--repeats", "1"});
  ASSERT_EQ(run.status, 0) << run.err;
  const auto lines = split(run.out, '\n');
  ASSERT_FALSE(lines.empty());
  int bf16 = 0;
  for (const std::string& line : lines) {
    EXPECT_EQ(line.front(), '{') << line;
    EXPECT_EQ(line.back(), '}') << line;
    for (const char* key : {"\"op\"", "\"variant\"", "\"dtype\"", "\"N\"", "\"threads\"", "\"n\"", "\"gbps\""})
      EXPECT_NE(line.find(key), std::string::npos) << key << " missing in " << line;
    if (line.find("\"op\":\"memcpy\"") == std::string::npos)
      EXPECT_NE(line.find("\"variant\":\"segem\""), std::string::npos) << line;
    bf16 += line.find("\"bfloat16\"") != std::string::npos;
  }
  EXPECT_GT(bf16, 0);
}

// --onednn adds oneDNN's eltwise kernels (forward and backward of each algorithm) where the build
// has oneDNN, and refuses the flag clearly where it has not.
TEST(GemBench, OneDnnPeersRunBesideTheKernels) {
  const ToolRun run = run_gem({"bench", "--json", "--n", "4096", "--dtype", "float32,bfloat16", "-N", "1", "--threads",
                               "1", "--warmup", "0", "--repeats", "1", "--onednn"});
  if (run.status == 2) {
    EXPECT_NE(run.err.find("built without oneDNN"), std::string::npos) << run.err;
    return;
  }
  ASSERT_EQ(run.status, 0) << run.err;
  for (const char* alg : {"relu", "gelu_erf", "gelu_tanh", "swish"})
    for (const char* op : {"forward", "backward"})
      for (const char* dtype : {"float32", "bfloat16"}) {
        const std::string want =
            std::string("{\"op\":\"") + op + "\",\"variant\":\"onednn:" + alg + "\",\"dtype\":\"" + dtype + "\"";
        const std::string skipped = std::string("bench: skipped oneDNN ") + alg + " " + dtype + " " + op + ": ";
        // float32 runs on every x86 CPU; bfloat16 needs AVX-512, so without it the bench says so.
        const bool has_row = run.out.find(want) != std::string::npos;
        const bool said_skipped = std::string(dtype) == "bfloat16" && run.err.find(skipped) != std::string::npos;
        EXPECT_TRUE(has_row != said_skipped) << want << " neither a row nor skipped in\n" << run.out << run.err;
      }
}
#else
TEST(GemBench, SaysItWasBuiltWithoutTheBenchmark) {
  const ToolRun run = run_gem({"bench", "--n", "4096"});
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.err.find("built without the kernel benchmark"), std::string::npos) << run.err;
}
#endif

TEST(GemBench, BadFlagsAreUsageErrors) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"bench", "--variant", "relu"}, {"bench", "--dtype", "int8"}, {"bench", "-N", "9"},
        {"bench", "--n", "0"}, {"bench", "--repeats", "0"}, {"bench", "--eps", "-1"}}) {
    const ToolRun run = run_gem(args);
    EXPECT_EQ(run.status, 2) << args[1] << " " << args[2];
    EXPECT_FALSE(run.err.empty());
  }
}

}  // namespace
}  // namespace gem::testing
