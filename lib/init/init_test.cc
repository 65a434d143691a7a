// Runs the static docker-init (the file containers get) on the host. It is
// not PID 1 here; its subreaper flag makes orphans come to it all the same.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::init {
namespace {

using ::testing::HasSubstr;

std::string InitPath() {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/",
                      workspace ? workspace : "mydocker",
                      "/lib/init/docker-init");
}

// One docker-init process with its stdin, stdout and stderr on pipes.
struct Init {
  pid_t pid = -1;
  int in = -1;   // Write end of its stdin.
  int out = -1;  // Read end of its stdout.
  int err = -1;  // Read end of its stderr.

  ~Init() {
    if (pid > 0) {  // The test failed before Wait: leave nothing behind.
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    for (int fd : {in, out, err}) {
      if (fd >= 0) close(fd);
    }
  }

  void CloseStdin() {
    close(in);
    in = -1;
  }

  // The next line of stdout, without the newline; "" at EOF.
  std::string ReadLine() {
    std::string line;
    char c;
    while (read(out, &c, 1) == 1 && c != '\n') line += c;
    return line;
  }

  std::string ReadStderr() {
    std::string all;
    char buf[4096];
    ssize_t n;
    while ((n = read(err, buf, sizeof buf)) > 0) all.append(buf, n);
    return all;
  }

  // The exit code as a shell reports it (128+N for signal N), or -1 if it
  // has not exited within `timeout` (it is then killed).
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status;
    for (;;) {
      pid_t r = waitpid(pid, &status, WNOHANG);
      if (r == pid) break;
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "docker-init did not exit within " << timeout.count()
                      << " ms";
        return -1;  // The destructor kills it.
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid = -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -2;
  }
};

// Starts docker-init with `args`. `before_exec` runs in the forked child.
std::unique_ptr<Init> Start(const std::vector<std::string>& args,
                            void (*before_exec)() = nullptr) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
      pipe2(err, O_CLOEXEC) < 0) {
    ADD_FAILURE() << "pipe: " << strerror(errno);
    return nullptr;
  }
  std::string path = InitPath();
  std::vector<char*> argv = {path.data()};
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    if (before_exec != nullptr) before_exec();
    execv(argv[0], argv.data());
    _exit(99);
  }
  auto init = std::make_unique<Init>();
  init->pid = pid;
  init->in = in[1];
  init->out = out[0];
  init->err = err[0];
  close(in[0]);
  close(out[1]);
  close(err[1]);
  return init;
}

int RunInitWith(const std::vector<std::string>& args,
                std::string* stderr_out = nullptr) {
  std::unique_ptr<Init> init = Start(args);
  if (init == nullptr) return -1;
  init->CloseStdin();
  std::string err = init->ReadStderr();
  if (stderr_out != nullptr) *stderr_out = err;
  return init->Wait();
}

// A process as /proc/PID/stat tells it.
struct ProcStat {
  pid_t pid;
  char state;
  pid_t ppid;
  pid_t pgrp;
  pid_t tpgid;  // The foreground group of its terminal; -1 if none.
};

std::optional<ProcStat> ParseStat(absl::string_view stat) {
  // "PID (COMM) STATE PPID PGRP SESSION TTY_NR TPGID ...": COMM may hold
  // anything, so split after its last ')'.
  size_t close = stat.rfind(')');
  if (close == absl::string_view::npos) return std::nullopt;
  std::vector<absl::string_view> f =
      absl::StrSplit(stat.substr(close + 2), ' ', absl::SkipEmpty());
  ProcStat s;
  if (f.size() < 6 || f[0].size() != 1 ||
      !absl::SimpleAtoi(stat.substr(0, stat.find(' ')), &s.pid) ||
      !absl::SimpleAtoi(f[1], &s.ppid) || !absl::SimpleAtoi(f[2], &s.pgrp) ||
      !absl::SimpleAtoi(f[5], &s.tpgid)) {
    return std::nullopt;
  }
  s.state = f[0][0];
  return s;
}

// The processes whose parent is `ppid`, zombies included.
std::vector<ProcStat> ChildrenOf(pid_t ppid) {
  std::vector<ProcStat> out;
  // /proc/PID/task/TID/children would be quicker but lists only children
  // of that one thread and needs CONFIG_PROC_CHILDREN; a scan is sure.
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      int pid;
      if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
      int fd = open(absl::StrCat("/proc/", pid, "/stat").c_str(),
                    O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;  // Gone meanwhile.
      char buf[1024];
      ssize_t n = read(fd, buf, sizeof buf - 1);
      close(fd);
      if (n <= 0) continue;
      std::optional<ProcStat> s = ParseStat(absl::string_view(buf, n));
      if (s && s->ppid == ppid) out.push_back(*s);
    }
    closedir(d);
  }
  return out;
}

TEST(InitTest, PropagatesExitCode) {
  EXPECT_EQ(RunInitWith({"--", "sh", "-c", "exit 3"}), 3);
  EXPECT_EQ(RunInitWith({"--", "true"}), 0);
}

TEST(InitTest, AcceptsCommandWithoutDoubleDash) {
  EXPECT_EQ(RunInitWith({"sh", "-c", "exit 5"}), 5);
}

TEST(InitTest, PassesArgumentsThrough) {
  std::unique_ptr<Init> init =
      Start({"--", "sh", "-c", "echo \"$0|$1|$2\"", "zero", "-- one", ""});
  ASSERT_NE(init, nullptr);
  init->CloseStdin();
  EXPECT_EQ(init->ReadLine(), "zero|-- one|");
  EXPECT_EQ(init->Wait(), 0);
}

TEST(InitTest, CommandKilledBySignalGives128PlusSignal) {
  EXPECT_EQ(RunInitWith({"--", "sh", "-c", "kill -KILL $$"}), 137);
  EXPECT_EQ(RunInitWith({"--", "sh", "-c", "kill -SEGV $$"}), 128 + SIGSEGV);
}

TEST(InitTest, CommandNotFoundExits127) {
  std::string err;
  EXPECT_EQ(RunInitWith({"--", "/nonexistent/command"}, &err), 127);
  EXPECT_EQ(err,
            "docker-init: exec /nonexistent/command: No such file or "
            "directory\n");
  EXPECT_EQ(RunInitWith({"--", "no-such-command-in-path"}, &err), 127);
  EXPECT_THAT(err, HasSubstr("exec no-such-command-in-path:"));
}

TEST(InitTest, CommandNotExecutableExits126) {
  std::string err;
  EXPECT_EQ(RunInitWith({"--", "/"}, &err), 126);
  EXPECT_EQ(err, "docker-init: exec /: Permission denied\n");
}

TEST(InitTest, NoCommandIsAUsageError) {
  std::string err;
  EXPECT_EQ(RunInitWith({}, &err), 1);
  EXPECT_THAT(err, HasSubstr("usage: docker-init [--] COMMAND"));
  EXPECT_EQ(RunInitWith({"--"}, &err), 1);
}

// An init that inherits SIGCHLD ignored must still learn the command's
// status: the kernel would otherwise reap it and waitpid would fail.
TEST(InitTest, InheritedIgnoredSigchldDoesNotLoseTheStatus) {
  std::unique_ptr<Init> init =
      Start({"--", "sh", "-c", "exit 4"}, [] { signal(SIGCHLD, SIG_IGN); });
  ASSERT_NE(init, nullptr);
  init->CloseStdin();
  EXPECT_EQ(init->Wait(), 4);
}

// The command's orphans are reparented to the init and must be reaped by
// it. 100 orphans stay alive until the test has seen them all as children
// of the init; then the test kills them and requires that no zombie of
// them is left while the init still runs.
TEST(InitTest, ReapsOrphanedZombies) {
  constexpr int kOrphans = 100;
  std::unique_ptr<Init> init =
      Start({"--", "sh", "-c",
             absl::StrCat("i=0; while [ $i -lt ", kOrphans, " ]; do ",
                          "(sleep 1000 </dev/null >/dev/null 2>&1 &); ",
                          "i=$((i+1)); done; echo $$; read x; exit 7")});
  ASSERT_NE(init, nullptr);
  int command_pid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(init->ReadLine(), &command_pid));

  std::vector<pid_t> orphans;
  for (const ProcStat& p : ChildrenOf(init->pid)) {
    if (p.pid != command_pid) orphans.push_back(p.pid);
  }
  // Each `( ... &)` subshell has exited before the next starts, so all the
  // sleeps are orphans by now, and they sleep until killed.
  ASSERT_EQ(orphans.size(), kOrphans) << "orphans not reparented to the init";
  for (pid_t p : orphans) ASSERT_EQ(kill(p, SIGKILL), 0);

  std::vector<ProcStat> left;
  for (int i = 0; i < 500; ++i) {  // Up to 5 s.
    left = ChildrenOf(init->pid);
    if (left.size() == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  int zombies = 0;
  for (const ProcStat& p : left) zombies += p.state == 'Z';
  EXPECT_EQ(zombies, 0);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].pid, command_pid);

  // The command runs in a process group of its own.
  EXPECT_EQ(left[0].pgrp, command_pid);
  EXPECT_NE(getpgid(init->pid), command_pid);

  init->CloseStdin();
  EXPECT_EQ(init->Wait(), 7);
}

// Signals sent to the init reach the command, which traps them.
class ForwardTest : public testing::TestWithParam<int> {};

TEST_P(ForwardTest, SignalReachesTheCommand) {
  const int sig = GetParam();
  std::unique_ptr<Init> init =
      Start({"--", "sh", "-c",
             absl::StrCat("trap 'exit 42' ", sig,
                          "; echo ready; while :; do sleep 0.05; done")});
  ASSERT_NE(init, nullptr);
  ASSERT_EQ(init->ReadLine(), "ready");
  ASSERT_EQ(kill(init->pid, sig), 0);
  EXPECT_EQ(init->Wait(std::chrono::seconds(5)), 42) << strsignal(sig);
}

INSTANTIATE_TEST_SUITE_P(Signals, ForwardTest,
                         testing::Values(SIGTERM, SIGINT, SIGHUP, SIGQUIT,
                                         SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM),
                         [](const testing::TestParamInfo<int>& info) {
                           return std::string(sigabbrev_np(info.param));
                         });

TEST(InitTest, UntrappedSigtermKillsTheCommandAndTheInitReportsIt) {
  std::unique_ptr<Init> init =
      Start({"--", "sh", "-c", "echo ready; exec sleep 1000"});
  ASSERT_NE(init, nullptr);
  ASSERT_EQ(init->ReadLine(), "ready");
  // `exec sleep` may not have happened yet; a TERM to sh kills it too.
  ASSERT_EQ(kill(init->pid, SIGTERM), 0);
  EXPECT_EQ(init->Wait(std::chrono::seconds(5)), 128 + SIGTERM);
}

// With a terminal on stdin whose foreground group is the init's, the
// command gets the terminal: `docker run -it --init` and ^C.
TEST(InitTest, GivesTheTerminalToTheCommand) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0) << strerror(errno);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  std::string slave_name = ptsname(master);
  std::string path = InitPath();
  pid_t pid = fork();
  if (pid == 0) {
    // A new session whose controlling terminal is the pty, as a container
    // with a tty has.
    setsid();
    int slave = open(slave_name.c_str(), O_RDWR);
    if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) _exit(98);
    dup2(slave, 0);
    dup2(slave, 1);
    dup2(slave, 2);
    execl(path.c_str(), path.c_str(), "--", "sh", "-c",
          "echo $$; cat /proc/self/stat", nullptr);
    _exit(99);
  }
  ASSERT_GT(pid, 0);
  std::string out;
  char buf[4096];
  ssize_t n;
  // EIO once the last slave fd is closed.
  while ((n = read(master, buf, sizeof buf)) > 0) out.append(buf, n);
  close(master);
  int status;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;

  std::vector<std::string> lines =
      absl::StrSplit(out, absl::ByAnyChar("\r\n"), absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << out;
  int sh_pid;
  ASSERT_TRUE(absl::SimpleAtoi(lines[0], &sh_pid));
  std::optional<ProcStat> cat = ParseStat(lines[1]);
  ASSERT_TRUE(cat.has_value()) << lines[1];
  // cat runs in sh's group, which is the command's own group and the
  // terminal's foreground group.
  EXPECT_EQ(cat->pgrp, sh_pid);
  EXPECT_EQ(cat->tpgid, sh_pid);
}

}  // namespace
}  // namespace mydocker::init
