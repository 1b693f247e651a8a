// `gem plot`: a valid PNG and the CSV of the sampled values, atomically, or a clear error.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "gem/activation.h"
#include "src/plot/activation_plot.h"
#include "src/support/process.h"
#include "run_tool.h"

namespace gem::testing {
namespace {

namespace fs = std::filesystem;

class GemPlot : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gem-plot-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

// The tests that draw a PNG need gnuplot itself.
class GemPlotWithGnuplot : public GemPlot {
 protected:
  void SetUp() override {
    GemPlot::SetUp();
    if (support::find_executable("gnuplot").empty())
      GTEST_SKIP() << "gnuplot is not installed (apt-get install gnuplot-nox)";
  }
};

bool is_png(const fs::path& path) {
  const std::string bytes = read_file(path);
  return bytes.size() > 1000 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
}

TEST_F(GemPlotWithGnuplot, DefaultFamilyWritesPngAndCsv) {
  const fs::path png = dir_ / "family.png";
  const ToolRun run = run_gem({"plot", "--out", png.string(), "--points", "101"});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_TRUE(is_png(png));
  const auto lines = split(read_file(dir_ / "family.csv"), '\n');
  ASSERT_EQ(lines.size(), 1u + 6u * 101u);
  EXPECT_EQ(lines[0], "activation,x,f,df,d2f");
  EXPECT_EQ(lines[1].rfind("relu,-4,", 0), 0u) << lines[1];
  EXPECT_EQ(lines.back().rfind("\"segem:N=1,eps=0.01\",4,", 0), 0u) << lines.back();
  // Nothing else is left in the folder (no temporary files).
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir_)) entries += e.is_regular_file() ? 1 : 100;
  EXPECT_EQ(entries, 2);
}

TEST_F(GemPlotWithGnuplot, CsvHoldsTheValuesOfTheCore) {
  const fs::path png = dir_ / "sub" / "folder" / "one.png";  // folders are created
  const ToolRun run = run_gem({"plot", "--act", "egem:N=2,eps=1e-4", "--act", "leaky_relu", "--from", "-1", "--to",
                               "3", "--points", "5", "--out", png.string(), "--title", "it's a test"});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_TRUE(is_png(png));
  const auto lines = split(read_file(dir_ / "sub" / "folder" / "one.csv"), '\n');
  ASSERT_EQ(lines.size(), 11u);
  const ActivationSpec specs[] = {ActivationSpec::parse("egem:N=2,eps=1e-4"), ActivationSpec::parse("leaky_relu")};
  for (int k = 0; k < 2; ++k) {
    for (int i = 0; i < 5; ++i) {
      const std::string& line = lines[1 + 5 * k + i];
      const std::string prefix = k == 0 ? "\"egem:N=2,eps=1e-4\"," : "leaky_relu,";
      ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
      const auto v = split(line.substr(prefix.size()), ',');
      ASSERT_EQ(v.size(), 4u) << line;
      const double x = -1.0 + i;
      const Derivs<double> d = evaluate(specs[k], x);
      EXPECT_EQ(std::strtod(v[0].c_str(), nullptr), x);
      EXPECT_EQ(std::strtod(v[1].c_str(), nullptr), d.f) << line;
      EXPECT_EQ(std::strtod(v[2].c_str(), nullptr), d.df) << line;
      EXPECT_EQ(std::strtod(v[3].c_str(), nullptr), d.d2f) << line;
    }
  }
}

TEST_F(GemPlot, MissingGnuplotIsAClearErrorAndWritesNothing) {
  const fs::path png = dir_ / "family.png";
  const ToolRun run = run_gem({"plot", "--out", png.string(), "--gnuplot", (dir_ / "no-such-gnuplot").string()});
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.err.find("gnuplot not found"), std::string::npos) << run.err;
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(GemPlot, FailingGnuplotIsReportedAndWritesNothing) {
  const fs::path png = dir_ / "family.png";
  const ToolRun run = run_gem({"plot", "--out", png.string(), "--gnuplot", "/bin/false"});
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.err.find("gnuplot failed (exit status 1)"), std::string::npos) << run.err;
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(GemPlot, BadOptionsAreUsageErrors) {
  const std::string out = (dir_ / "x.png").string();
  const struct {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{"--from", "2", "--to", "1"}, "--from and --to must be finite with from < to"},
      {{"--to", "inf"}, "--from and --to must be finite with from < to"},
      {{"--points", "1"}, "--points must be in [2, 1000000], got 1"},
      {{"--act", "swish"}, "unknown activation 'swish'"},
      {{"--act", "egem:N=1"}, "E-GEM needs eps"},
      {{"--act", "gem:N=9"}, "GEM order N must be an integer in [1, 8], got 9"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"plot", "--out", out};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const ToolRun run = run_gem(args);
    EXPECT_EQ(run.status, 2) << c.message;
    EXPECT_NE(run.err.find(c.message), std::string::npos) << run.err;
  }
  const ToolRun jpg = run_gem({"plot", "--out", (dir_ / "x.jpg").string()});
  EXPECT_EQ(jpg.status, 2);
  EXPECT_NE(jpg.err.find("--out must name a .png file"), std::string::npos) << jpg.err;
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST(PlotSamples, GridIncludesBothEnds) {
  plot::PlotOptions opt;
  opt.activations = {ActivationSpec::parse("relu")};
  opt.from = -1.0;
  opt.to = 0.3;
  opt.points = 14;
  const plot::PlotSamples s = plot::sample_activations(opt);
  ASSERT_EQ(s.x.size(), 14u);
  EXPECT_EQ(s.x.front(), -1.0);
  EXPECT_EQ(s.x.back(), 0.3);
  for (std::size_t i = 1; i < s.x.size(); ++i) EXPECT_NEAR(s.x[i] - s.x[i - 1], 0.1, 1e-15);
  EXPECT_EQ(plot::csv_path_for("a/b.png"), std::filesystem::path("a/b.csv"));
}

}  // namespace
}  // namespace gem::testing
