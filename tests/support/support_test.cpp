// The support library: text reaches gnuplot as data, outputs are whole or untouched (also on a
// full disk), one writer per folder, children die with their parent and hear its signals,
// failed writes are errors, sizes do not wrap.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "common/run_program.h"
#include "src/support/atomic_file.h"
#include "src/support/checked_output.h"
#include "src/support/folder_lock.h"
#include "src/support/gnuplot.h"
#include "src/support/memory.h"
#include "src/support/process.h"

namespace gem::support {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::path(GEM_BINARY_DIR) / "test-output/support" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

pid_t read_pid(const std::filesystem::path& file) {
  for (int i = 0; i < 500; ++i) {
    std::ifstream in(file);
    pid_t pid = 0;
    if (in >> pid && pid > 0) return pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return 0;
}

TEST(GnuplotString, EveryCharacterThatCouldRunCodeIsEscaped) {
  EXPECT_EQ(gp_string("relu"), "\"relu\"");
  EXPECT_EQ(gp_string("f, f' and f''"), "\"f, f' and f''\"");
  EXPECT_EQ(gp_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(gp_string("`touch x`"), "\"\\140touch x\\140\"");         // backquotes run commands
  EXPECT_EQ(gp_string("x\nsystem('y')\r\t"), "\"x system('y')  \"");  // a newline starts a command
  EXPECT_TRUE(has_control_characters("a\nb"));
  EXPECT_FALSE(has_control_characters("a b/ü"));
}

TEST(GnuplotString, HostileTitlesDrawAndRunNothing) {
  if (find_executable("gnuplot").empty()) GTEST_SKIP() << "gnuplot is not installed";
  const auto dir = fresh_dir("hostile_title");
  const std::string marker = (dir / "PWNED").string();
  const std::string hostile = "x\nsystem('touch " + marker + "1')\n`touch " + marker + "2` @GPVAL_TERM '' \\\" ''''";
  AtomicFile png(dir / "out.png");
  render_png(
      "gnuplot", "0 0\n1 1\n",
      [&](const std::filesystem::path& data, const std::filesystem::path& image) {
        return png_preamble(400, 300, image) + "set title " + gp_string(hostile) + "\nplot " + gp_string(data.string()) +
               " using 1:2 with lines title " + gp_string(hostile) + "\nset output\n";
      },
      png);
  png.commit();
  EXPECT_TRUE(std::filesystem::exists(dir / "out.png"));
  EXPECT_FALSE(std::filesystem::exists(marker + "1"));
  EXPECT_FALSE(std::filesystem::exists(marker + "2"));
}

TEST(AtomicFile, WritesTheWholeFileAndLeavesNoTemporary) {
  const auto dir = fresh_dir("atomic");
  write_file_atomically(dir / "a.txt", "old");
  write_file_atomically(dir / "a.txt", "new content");
  EXPECT_EQ(testing::read_file(dir / "a.txt"), "new content");
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST(AtomicFile, AFullDiskIsAnErrorAndKeepsTheOldFile) {
  const auto dir = fresh_dir("atomic_full");
  write_file_atomically(dir / "a.txt", "old");
  // In a child: the file-size limit makes writes fail (EFBIG) as a full disk does (ENOSPC).
  const std::filesystem::path message = dir / "message.txt";
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::string text;
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      write_file_atomically(dir / "a.txt", std::string(100000, 'x'));
      text = "no error";
    } catch (const std::exception& e) {
      text = e.what();
    }
    std::ofstream(message) << text;
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_THAT(testing::read_file(message), HasSubstr("cannot write " + (dir / "a.txt").string()));
  EXPECT_THAT(testing::read_file(message), HasSubstr("File too large"));
  EXPECT_THAT(testing::read_file(message), HasSubstr("a.txt keeps its previous content"));
  EXPECT_EQ(testing::read_file(dir / "a.txt"), "old");
  for (const auto& e : std::filesystem::directory_iterator(dir))
    EXPECT_THAT(e.path().filename().string(), Not(HasSubstr(".tmp"))) << "temporary file left behind";
}

TEST(FolderLock, OneHolderAtATimeNamedInTheRefusal) {
  const auto dir = fresh_dir("lock");
  {
    const FolderLock first(dir / "run", "gem-train test");
    try {
      const FolderLock second(dir / "run", "gem-train other");
      ADD_FAILURE() << "two holders";
    } catch (const FolderBusy& e) {
      EXPECT_THAT(e.what(), HasSubstr("is in use by gem-train test (pid " + std::to_string(::getpid()) + ")"));
      EXPECT_THAT(e.what(), HasSubstr("wait for it to finish or stop it"));
    }
  }
  EXPECT_NO_THROW(FolderLock(dir / "run", "again"));  // released with its holder
}

TEST(FolderLock, ReleasedWhenTheHolderIsKilled) {
  const auto dir = fresh_dir("lock_killed");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const FolderLock lock(dir, "doomed");
    (void)!::write(ready[1], "x", 1);
    ::pause();
    ::_exit(0);
  }
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  EXPECT_THROW(FolderLock(dir, "second"), FolderBusy);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  EXPECT_NO_THROW(FolderLock(dir, "after kill -9"));
}

// A process that runs `sleep 30` through run_process, records the sleep's PID, and is then
// killed with SIGKILL: does the sleep outlive it?
bool child_survives_parent_kill(bool die_with_parent, const std::filesystem::path& dir) {
  const auto pid_file = dir / (die_with_parent ? "dies.pid" : "survives.pid");
  const pid_t parent = ::fork();
  if (parent == 0) {
    run_process({"/bin/sh", "-c", "echo $$ > " + pid_file.string() + "; exec sleep 30"}, dir / "log.txt",
                {die_with_parent});
    ::_exit(0);
  }
  const pid_t sleeper = read_pid(pid_file);
  ::kill(parent, SIGKILL);
  ::waitpid(parent, nullptr, 0);
  const bool ended_soon = testing::eventually([&] { return testing::has_ended(sleeper); }, 3);
  if (!ended_soon) ::kill(sleeper, SIGKILL);
  return !ended_soon;
}

TEST(RunProcess, ChildDiesWithItsParentEvenOnSigkill) {
  const auto dir = fresh_dir("pdeathsig");
  EXPECT_FALSE(child_survives_parent_kill(true, dir));
  EXPECT_TRUE(child_survives_parent_kill(false, dir));  // the test can tell the difference
}

TEST(RunProcess, SignalChildrenReachesARunningChild) {
  const auto dir = fresh_dir("signal_children");
  int status = -1;
  std::thread runner([&] { status = run_process({"/bin/sleep", "30"}, dir / "log.txt"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  signal_children(SIGTERM);
  runner.join();
  EXPECT_EQ(status, 128 + SIGTERM);
  EXPECT_THROW(run_process({"/no/such/program"}, dir / "log.txt"), std::runtime_error);
}

TEST(CheckedOutput, AFullDeviceIsAnError) {
  std::ofstream full("/dev/full");
  full << "a line\n";  // buffered: the write, and its failure, happen in check_written's flush
  try {
    check_written(full, "the results");
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot write the results: No space left on device"));
  }
  std::ostringstream fine;
  fine << "ok";
  EXPECT_NO_THROW(check_written(fine, "text"));
}

TEST(Memory, ProductsThatWouldWrapAreRefused) {
  EXPECT_EQ(checked_product({60000, 28, 28}), 47040000u);
  EXPECT_FALSE(checked_product({60000, 350476688, 3289581145}));  // an IDX header that wrapped
  EXPECT_FALSE(checked_product({1ull << 31, 1ull << 31, 4}));     // wrapped to exactly 0
  EXPECT_GT(available_memory_bytes(), 1u << 20);
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(3 * 1024.0 * 1024 * 1024), "3.0 GiB");
}

}  // namespace
}  // namespace gem::support
