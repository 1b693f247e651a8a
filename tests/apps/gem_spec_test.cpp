// `gem spec`, `gem --version` and the usage errors of the command line itself.
#include <gtest/gtest.h>

#include <string>

#include "gem/spec.h"
#include "run_tool.h"

namespace gem::testing {
namespace {

TEST(GemSpec, PrintsTheCanonicalForm) {
  const ToolRun run = run_gem({"spec", "egem:N=2,eps=0.0001", "relu", "elu:alpha=1", "gem:N=3", "segem:eps=1e-2",
                               "leaky_relu:slope=0.2"});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "egem:N=2,eps=1e-4\nrelu\nelu\ngem:N=3\nsegem:N=1,eps=0.01\nleaky_relu:slope=0.2\n");
}

TEST(GemSpec, CanonicalFormsRoundTrip) {
  const char* canonical[] = {"relu", "gelu", "silu", "mish", "elu", "elu:alpha=0.5", "leaky_relu",
                             "leaky_relu:slope=0.2", "gem:N=1", "gem:N=8", "egem:N=2,eps=1e-4",
                             "segem:N=1,eps=1e-30", "egem:N=4,eps=3.5"};
  std::vector<std::string> args{"spec"};
  std::string expected;
  for (const char* c : canonical) {
    args.push_back(c);
    expected += std::string(c) + "\n";
    EXPECT_EQ(ActivationSpec::parse(c).to_string(), c);
  }
  const ToolRun run = run_gem(args);
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, expected);
}

TEST(GemSpec, BadSpecsAreReportedEachAndFail) {
  const ToolRun run = run_gem({"spec", "egem:N=9,eps=1", "relu", "gem:N=1,eps=0.5"});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.out, "relu\n");
  EXPECT_NE(run.err.find("GEM order N must be an integer in [1, 8], got 9"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("GEM has no eps"), std::string::npos) << run.err;
}

TEST(GemCommandLine, VersionHelpAndUsageErrors) {
  const ToolRun version = run_gem({"--version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_EQ(version.out.rfind("gem 0.", 0), 0u) << version.out;

  const ToolRun help = run_gem({"eval", "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("stops at the first bad line"), std::string::npos) << help.out;

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, {"frobnicate"}, {"eval", "--bogus"}, {"spec"}, {"plot", "--points", "many"}}) {
    const ToolRun run = run_gem(args);
    EXPECT_EQ(run.status, 2) << (args.empty() ? "(no arguments)" : args[0]);
    EXPECT_FALSE(run.err.empty() && run.out.empty());
  }
}

}  // namespace
}  // namespace gem::testing
