// Needs root (open_tree, mount_setattr). Runs :self_exec_tool, a binary
// other than this test, so that once the tool has exited nothing executes
// its file: a write open through an fd of its /proc/<pid>/exe then fails
// only because of the mount it ran from.
#include "lib/runtime/self_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/base/unique_fd.h"

namespace mydocker::runtime {
namespace {

std::string ToolPath() {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/",
                      workspace ? workspace : "mydocker",
                      "/lib/runtime/self_exec_tool");
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
  return out;
}

// The tool's lines, by first word.
std::string Field(const std::string& out, const std::string& key) {
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StartsWith(line, key + " ")) {
      return std::string(line.substr(key.size() + 1));
    }
  }
  return "<missing " + key + ">";
}

std::string ReadFileOrEmpty(const std::string& path) {
  absl::StatusOr<std::string> s = base::ReadFile(path, 1 << 20);
  return s.ok() ? *s : "";
}

int WaitFor(pid_t pid) {
  int status = -1;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// A run of the tool with a pipe on its stdin (it waits for EOF with
// "report wait") and one on its stdout.
struct ToolRun {
  pid_t pid = -1;
  base::UniqueFd in;   // Close to let it finish.
  base::UniqueFd out;  // Its report.
};

class SelfExecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(getuid(), 0u) << "self_exec_test needs root";
    absl::StatusOr<std::string> bytes = base::ReadFile(ToolPath(), 64 << 20);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    tool_bytes_ = *bytes;
  }

  void TearDown() override {
    // Whatever happened, the binary is what it was.
    absl::StatusOr<std::string> bytes = base::ReadFile(ToolPath(), 64 << 20);
    ASSERT_TRUE(bytes.ok());
    EXPECT_TRUE(*bytes == tool_bytes_) << "the tool's binary changed";
  }

  // Starts the tool with `args`, protected (SpawnProtected) or plainly.
  ToolRun Start(const std::vector<std::string>& args, bool protect) {
    ToolRun run;
    int in[2], out[2];
    EXPECT_EQ(pipe2(in, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
    base::UniqueFd in_r(in[0]), out_w(out[1]);
    run.in.reset(in[1]);
    run.out.reset(out[0]);
    std::vector<std::string> argv = {"self_exec_tool"};
    argv.insert(argv.end(), args.begin(), args.end());
    if (protect) {
      absl::StatusOr<Spawned> s = SpawnProtected(
          argv, {.exe = ToolPath(), .fds = {in_r.get(), out_w.get(), -1}});
      EXPECT_TRUE(s.ok()) << s.status();
      run.pid = s.ok() ? s->pid : -1;
      return run;
    }
    std::string tool = ToolPath();
    std::vector<char*> cargv;
    for (std::string& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    run.pid = fork();
    if (run.pid == 0) {
      dup2(in_r.get(), 0);
      dup2(out_w.get(), 1);
      execv(tool.c_str(), cargv.data());
      _exit(127);
    }
    return run;
  }

  std::string tool_bytes_;
};

TEST_F(SelfExecTest, TheTestItselfIsNotProtected) {
  EXPECT_FALSE(RunningProtected());
}

// The counterfactual: without the protection the attack works, so the
// tests below can fail.
TEST_F(SelfExecTest, UnprotectedBinaryCanBeReopenedForWritingAfterItExits) {
  ToolRun run = Start({"report", "wait"}, /*protect=*/false);
  // Its first line means it runs (and /proc/<pid>/exe is the tool).
  char c;
  ASSERT_EQ(read(run.out.get(), &c, 1), 1);
  base::UniqueFd held(
      open(absl::StrCat("/proc/", run.pid, "/exe").c_str(), O_PATH | O_CLOEXEC));
  ASSERT_TRUE(held.valid());
  run.in.reset();
  std::string out = c + ReadAll(run.out.get());
  EXPECT_EQ(WaitFor(run.pid), 0);
  EXPECT_EQ(Field(out, "protected"), "0");
  EXPECT_EQ(Field(out, "write"), std::to_string(ETXTBSY));
  base::UniqueFd writable(open(absl::StrCat("/proc/self/fd/", held.get()).c_str(),
                               O_WRONLY | O_CLOEXEC));
  EXPECT_TRUE(writable.valid()) << "errno " << errno;
}

TEST_F(SelfExecTest, ProtectedBinaryIsReadOnlyEvenAfterItExits) {
  ToolRun run = Start({"report", "wait"}, /*protect=*/true);
  ASSERT_GT(run.pid, 0);
  char c;
  ASSERT_EQ(read(run.out.get(), &c, 1), 1);
  // What a container process would hold on to: an O_PATH fd of the exe.
  base::UniqueFd held(
      open(absl::StrCat("/proc/", run.pid, "/exe").c_str(), O_PATH | O_CLOEXEC));
  ASSERT_TRUE(held.valid());
  struct statfs st;
  ASSERT_EQ(fstatfs(held.get(), &st), 0);
  EXPECT_NE(st.f_flags & ST_RDONLY, 0u);
  // And one of its mapping of the binary (/proc/<pid>/map_files): on
  // overlayfs the mapping is of the file below, which must not show.
  std::string map_file;
  for (absl::string_view line : absl::StrSplit(
           ReadFileOrEmpty(absl::StrCat("/proc/", run.pid, "/maps")), '\n')) {
    if (absl::EndsWith(line, "self_exec_tool")) {
      map_file = absl::StrCat("/proc/", run.pid, "/map_files/",
                              line.substr(0, line.find(' ')));
      break;
    }
  }
  ASSERT_NE(map_file, "");
  base::UniqueFd held_map(open(map_file.c_str(), O_PATH | O_CLOEXEC));
  ASSERT_TRUE(held_map.valid()) << map_file << ": " << errno;
  const std::string reopen = absl::StrCat("/proc/self/fd/", held.get());
  base::UniqueFd early(open(reopen.c_str(), O_WRONLY | O_CLOEXEC));
  EXPECT_FALSE(early.valid());
  EXPECT_TRUE(errno == EROFS || errno == ETXTBSY) << errno;

  run.in.reset();
  std::string out = c + ReadAll(run.out.get());
  EXPECT_EQ(WaitFor(run.pid), 0);
  EXPECT_EQ(Field(out, "protected"), "1");
  const std::string write = Field(out, "write");
  EXPECT_TRUE(write == std::to_string(EROFS) ||
              write == std::to_string(ETXTBSY))
      << write;
  EXPECT_EQ(Field(out, "fds"), "0 1 2");

  // Nothing runs the tool any more: only the mount stands in the way.
  for (const std::string& path :
       {reopen, absl::StrCat("/proc/self/fd/", held_map.get())}) {
    for (int flags :
         {O_WRONLY, O_RDWR, O_WRONLY | O_TRUNC, O_WRONLY | O_APPEND}) {
      base::UniqueFd late(open(path.c_str(), flags | O_CLOEXEC));
      EXPECT_FALSE(late.valid()) << path << " " << flags;
      EXPECT_EQ(errno, EROFS) << path << " " << flags;
    }
  }
  // Nor can the mount be made writable again from here.
  EXPECT_NE(mount(nullptr, reopen.c_str(), nullptr,
                  MS_REMOUNT | MS_BIND, nullptr),
            0);
}

// A container holding an fd of a protected binary keeps trying to open it
// for writing. Each try is refused, but the kernel counts a writer for a
// moment first: were that the host binary's own inode, every exec of it
// meanwhile could fail with ETXTBSY. Each protected run has an inode of its
// own (a private overlayfs), so neither the next protected run nor a plain
// exec of the host binary notices.
TEST_F(SelfExecTest, WriteAttemptsOnAProtectedBinaryDisturbNoOtherExec) {
  ToolRun victim = Start({"report", "wait"}, /*protect=*/true);
  char c;
  ASSERT_EQ(read(victim.out.get(), &c, 1), 1);
  base::UniqueFd held(open(absl::StrCat("/proc/", victim.pid, "/exe").c_str(),
                           O_PATH | O_CLOEXEC));
  ASSERT_TRUE(held.valid());
  struct stat host, protected_st;
  ASSERT_EQ(stat(ToolPath().c_str(), &host), 0);
  ASSERT_EQ(fstat(held.get(), &protected_st), 0);
  EXPECT_NE(protected_st.st_dev, host.st_dev);

  std::atomic<bool> stop{false};
  std::atomic<long> tries{0};
  std::thread attacker([&] {
    const std::string path = absl::StrCat("/proc/self/fd/", held.get());
    while (!stop) {
      int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd >= 0) close(fd);
      ++tries;
    }
  });
  int failures = 0;
  for (int i = 0; i < 100; ++i) {
    for (bool protect : {true, false}) {
      ToolRun run = Start({"report"}, protect);
      std::string out = ReadAll(run.out.get());
      if (WaitFor(run.pid) != 0 || Field(out, "protected") != (protect ? "1" : "0")) {
        ++failures;
      }
    }
  }
  stop = true;
  attacker.join();
  EXPECT_GT(tries.load(), 1000);
  EXPECT_EQ(failures, 0);
  victim.in.reset();
  ReadAll(victim.out.get());
  EXPECT_EQ(WaitFor(victim.pid), 0);
}

TEST_F(SelfExecTest, AProtectedProcessCanReexecuteItselfProtected) {
  ToolRun run = Start({"again", "report"}, /*protect=*/true);
  run.in.reset();
  std::string out = ReadAll(run.out.get());
  EXPECT_EQ(WaitFor(run.pid), 0) << out;
  EXPECT_EQ(Field(out, "protected"), "1");
}

// The CVE's trick: a script whose interpreter is /proc/self/exe runs the
// caller's own binary. It is the protected one.
TEST_F(SelfExecTest, ShebangProcSelfExeRunsTheProtectedBinary) {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string script = absl::StrCat(tmp ? tmp : "/tmp", "/evil-", getpid());
  ASSERT_TRUE(base::WriteFileAtomic(script, "#!/proc/self/exe\n", 0755).ok());
  ToolRun run = Start({"shebang", script}, /*protect=*/true);
  run.in.reset();
  std::string out = ReadAll(run.out.get());
  EXPECT_EQ(WaitFor(run.pid), 0) << out;
  EXPECT_EQ(Field(out, "protected"), "1");
  EXPECT_NE(Field(out, "write"), "ok");
  unlink(script.c_str());
}

TEST_F(SelfExecTest, SpawnPassesExactlyTheFdsAskedFor) {
  int extra[2];
  ASSERT_EQ(pipe2(extra, 0), 0);  // Not close-on-exec: must not leak anyway.
  base::UniqueFd extra_r(extra[0]), extra_w(extra[1]);
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  base::UniqueFd out_r(out[0]), out_w(out[1]);
  // fd 4 from extra_w, fd 3 left closed.
  absl::StatusOr<Spawned> s =
      SpawnProtected({"self_exec_tool", "report"},
                     {.exe = ToolPath(),
                      .fds = {-1, out_w.get(), out_w.get(), -1, extra_w.get()}});
  ASSERT_TRUE(s.ok()) << s.status();
  out_w.reset();
  std::string text = ReadAll(out_r.get());
  EXPECT_EQ(WaitFor(s->pid), 0);
  EXPECT_EQ(Field(text, "fds"), "0 1 2 4");
}

TEST_F(SelfExecTest, SpawnReportsAFailedExec) {
  SpawnOptions options;
  options.exe = "/nonexistent/mydocker";
  absl::StatusOr<Spawned> s = SpawnProtected({"x"}, options);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound) << s.status();
  EXPECT_EQ(s.status().message(),
            "spawn x: protect \"/nonexistent/mydocker\": open: No such file "
            "or directory");
}

TEST_F(SelfExecTest, SpawnReportsTheChildsFailedStep) {
  // fd 3 from an fd that is not open: the child's dup fails, and says so.
  absl::StatusOr<Spawned> s = SpawnProtected(
      {"self_exec_tool", "report"}, {.exe = ToolPath(), .fds = {-1, -1, -1, 999}});
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition) << s.status();
  EXPECT_EQ(s.status().message(), "spawn self_exec_tool: dup: Bad file descriptor");
}

TEST_F(SelfExecTest, SpawnRefusesAWritableBinaryHandedIn) {
  base::UniqueFd writable(open(ToolPath().c_str(), O_PATH | O_CLOEXEC));
  ASSERT_TRUE(writable.valid());
  absl::StatusOr<Spawned> s = SpawnProtected(
      {"self_exec_tool", "report"},
      {.exe = ToolPath(), .fds = {}, .new_session = true, .view = writable.get()});
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition) << s.status();
  // A view made ahead works as one made by the spawn.
  absl::StatusOr<base::UniqueFd> view = ProtectedView(ToolPath());
  ASSERT_TRUE(view.ok()) << view.status();
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  base::UniqueFd out_r(out[0]), out_w(out[1]);
  s = SpawnProtected({"self_exec_tool", "report"},
                     {.exe = "/nonexistent", .fds = {-1, out_w.get()},
                      .new_session = true, .view = view->get()});
  ASSERT_TRUE(s.ok()) << s.status();
  out_w.reset();
  std::string text = ReadAll(out_r.get());
  EXPECT_EQ(WaitFor(s->pid), 0);
  EXPECT_EQ(Field(text, "fds"), "0 1 2");
}

}  // namespace
}  // namespace mydocker::runtime
