// Exec into real containers (needs root). Each test starts a "running
// container" with runtime::Start on a rootfs holding the static :probe, in
// a cgroup of its own, then enters it through :exec_helper_tool started as
// `mydocker exec` starts the nsenter-helper: from a read-only mount
// (SpawnProtected), the request on fd 3, the report on fd 4.
#include "lib/runtime/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/base/unique_fd.h"
#include "lib/cgroup/cgroup.h"
#include "lib/cgroup/layout.h"
#include "lib/cgroup/testing.h"
#include "lib/runtime/runtime.h"
#include "lib/runtime/self_exec.h"
#include "lib/runtime/testing.h"
#include "lib/spec/spec.h"

namespace mydocker::runtime {
namespace {

using testing::Link;
using testing::Output;
using testing::ReadAll;

// Docker 20.10's default capabilities.
const std::vector<std::string> kDockerCaps = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",  "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",     "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",   "CAP_AUDIT_WRITE"};

std::string ToolPath() {
  return testing::Runfile("lib/runtime/exec_helper_tool");
}

uint64_t StartTime(pid_t pid) {
  std::string stat = ReadAll(absl::StrCat("/proc/", pid, "/stat"));
  std::vector<std::string> f =
      absl::StrSplit(stat.substr(stat.rfind(')') + 2), ' ');
  uint64_t t = 0;
  EXPECT_TRUE(f.size() > 19 && absl::SimpleAtoi(f[19], &t)) << stat;
  return t;
}

void SetCaps(spec::Process& p, const std::vector<std::string>& caps) {
  p.capabilities.bounding = p.capabilities.effective =
      p.capabilities.permitted = caps;
}

base::UniqueFd ReceiveFd(int sock) {
  char byte;
  iovec iov = {&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1) return base::UniqueFd();
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS) return base::UniqueFd();
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return base::UniqueFd(fd);
}

struct ExecResult {
  std::string report;  // "ok <pid> <dumpable>" or "err <status> <message>"
  int exit_code = -1;  // The helper's: the process's exit status.
  std::string out;
  std::string err;
  base::UniqueFd console_dev;  // With a terminal: the master, still open.
};

class ExecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(getuid(), 0u) << "exec_test needs root";
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ = std::string(tmp ? tmp : "/tmp") + "/ex.XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    rootfs_ = dir_ + "/rootfs";
    absl::Status made = testing::MakeProbeRootfs(rootfs_);
    ASSERT_TRUE(made.ok()) << made;
    absl::StatusOr<std::string> tool = base::ReadFile(ToolPath());
    ASSERT_TRUE(tool.ok()) << tool.status();
    tool_bytes_ = *tool;
    absl::StatusOr<cgroup::Layout> layout = cgroup::Detect();
    ASSERT_TRUE(layout.ok()) << layout.status();
    cgroup_path_ = cgroup::testing::UniqueTestPath();
    absl::StatusOr<cgroup::Cgroup> cg =
        cgroup::Cgroup::Create(*layout, cgroup_path_, {});
    ASSERT_TRUE(cg.ok()) << cg.status();
    cgroup_.emplace(*std::move(cg));
  }

  void TearDown() override {
    StopContainer();
    if (cgroup_) {
      EXPECT_TRUE(cgroup_->Destroy().ok());
    }
    absl::StatusOr<std::string> tool = base::ReadFile(ToolPath());
    EXPECT_TRUE(tool.ok() && *tool == tool_bytes_)
        << "the helper's binary changed";
    siginfo_t info;
    EXPECT_EQ(waitid(P_ALL, 0, &info, WEXITED | WNOHANG), -1)
        << "a child is left";
    if (!dir_.empty() && !HasFailure()) {
      EXPECT_TRUE(base::RemoveAll(dir_).ok());
    }
  }

  // The container: DefaultSpec with a cgroup namespace, in cgroup_, its
  // init running `args` with stdin on a pipe (closing it ends "wait").
  spec::Spec ContainerSpec() {
    spec::Spec s = testing::DefaultSpec(rootfs_);
    s.linux.namespaces.push_back({"cgroup", ""});
    s.linux.cgroups_path = cgroup_path_;
    s.process.args = {"/bin/probe", "wait"};
    return s;
  }

  void StartContainer(const spec::Spec& spec) {
    int in[2], out[2];
    ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
    base::UniqueFd in_r(in[0]), out_w(out[1]);
    init_in_.reset(in[1]);
    init_out_.reset(out[0]);
    Options options;
    options.stdio.in = in_r.get();
    options.stdio.out = out_w.get();
    options.on_created = [&](pid_t pid) { return cgroup_->AddProcess(pid); };
    absl::StatusOr<Process> p = Start(spec, std::move(options));
    ASSERT_TRUE(p.ok()) << p.status();
    init_.emplace(*std::move(p));
    target_ = {init_->pid, StartTime(init_->pid), cgroup_path_};
  }

  // Ends the container; what its init printed.
  std::string StopContainer() {
    if (!init_) return "";
    init_in_.reset();
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(init_out_.get(), buf, sizeof buf)) > 0) out.append(buf, n);
    absl::StatusOr<int> w = Wait(*init_);
    EXPECT_TRUE(w.ok()) << w.status();
    init_.reset();
    return out;
  }

  // The container's own process spec, running `args`.
  spec::Process ProcessRunning(std::vector<std::string> args) {
    spec::Process p = ContainerSpec().process;
    p.args = std::move(args);
    return p;
  }

  // Runs the helper for `process` in target_. `while_running` is called
  // with the process's pid (in this pid namespace) once it runs; with
  // `hold_stdin` its stdin is a pipe closed only after that.
  // `protect` false starts the helper plainly (the counterfactual).
  ExecResult RunExec(const spec::Process& process,
                     std::function<void(pid_t)> while_running = nullptr,
                     std::optional<ExecTarget> target = std::nullopt,
                     bool protect = true) {
    ExecResult r;
    int req[2], rep[2], out[2], err[2], in[2], con[2];
    EXPECT_EQ(pipe2(req, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(rep, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(err, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(in, O_CLOEXEC), 0);
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, con), 0);
    base::UniqueFd req_r(req[0]), req_w(req[1]), rep_r(rep[0]), rep_w(rep[1]),
        out_r(out[0]), out_w(out[1]), err_r(err[0]), err_w(err[1]),
        in_r(in[0]), in_w(in[1]), con_mine(con[0]), con_theirs(con[1]);
    std::string request =
        EncodeExecRequest({target.value_or(target_), process, false});
    EXPECT_TRUE(base::WriteAll(req_w.get(), request, "request").ok());
    req_w.reset();
    const std::vector<int> fds = {in_r.get(),  out_w.get(), err_w.get(),
                                  req_r.get(), rep_w.get(), con_theirs.get()};
    absl::StatusOr<Spawned> helper =
        protect ? SpawnProtected({"exec_helper_tool"},
                                 {.exe = ToolPath(), .fds = fds})
                : SpawnPlainly(fds);
    EXPECT_TRUE(helper.ok()) << helper.status();
    if (!helper.ok()) return r;
    in_r.reset();
    out_w.reset();
    err_w.reset();
    rep_w.reset();
    con_theirs.reset();
    if (process.terminal) r.console_dev = ReceiveFd(con_mine.get());
    char buf[4096];
    ssize_t n;
    while ((n = read(rep_r.get(), buf, sizeof buf)) > 0) r.report.append(buf, n);
    if (!r.report.empty() && r.report.back() == '\n') r.report.pop_back();
    std::vector<std::string> words = absl::StrSplit(r.report, ' ');
    pid_t pid = 0;
    if (words.size() == 3 && words[0] == "ok" &&
        absl::SimpleAtoi(words[1], &pid) && while_running) {
      while_running(pid);
    }
    in_w.reset();
    if (r.console_dev.valid()) {
      // EIO once the last slave fd (the process's) is closed.
      while ((n = read(r.console_dev.get(), buf, sizeof buf)) > 0) {
        r.out.append(buf, n);
      }
    } else {
      r.out = testing::Drain(out_r.get(), err_r.get(), &r.err);
    }
    int status = -1;
    while (waitpid(helper->pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  // The helper without SpawnProtected: fds[i] as fd i, exec'd in place.
  absl::StatusOr<Spawned> SpawnPlainly(const std::vector<int>& fds) {
    std::string tool = ToolPath();
    char* argv[] = {const_cast<char*>("exec_helper_tool"), nullptr};
    pid_t pid = fork();
    if (pid == 0) {
      std::vector<int> high;
      for (int fd : fds) high.push_back(fcntl(fd, F_DUPFD_CLOEXEC, 100));
      for (size_t i = 0; i < high.size(); ++i) dup2(high[i], static_cast<int>(i));
      execv(tool.c_str(), argv);
      _exit(127);
    }
    return Spawned{pid, base::UniqueFd(static_cast<int>(
                            syscall(SYS_pidfd_open, pid, 0)))};
  }

  std::string dir_;
  std::string rootfs_;
  std::string tool_bytes_;
  std::string cgroup_path_;
  std::optional<cgroup::Cgroup> cgroup_;
  std::optional<Process> init_;
  base::UniqueFd init_in_;
  base::UniqueFd init_out_;
  ExecTarget target_;
};

TEST_F(ExecTest, JoinsTheContainerAsTheProcessSpecSays) {
  StartContainer(ContainerSpec());
  spec::Process p = ProcessRunning(
      {"probe", "report", "cat:/proc/self/cgroup", "wait", "exit:0"});
  p.user = {1000, 1000, {2000, 3000}, 027};
  p.cwd = "/home/user";
  p.env = {"PATH=/bin", "A=1"};
  p.no_new_privileges = true;
  p.rlimits = {{"RLIMIT_NOFILE", /*hard=*/900, /*soft=*/800}};
  SetCaps(p, {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"});
  // A host fd without O_CLOEXEC: it must not reach the process.
  base::UniqueFd leaked(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_TRUE(leaked.valid());
  std::string exec_cgroup, init_cgroup;
  std::map<std::string, std::string> exec_ns, init_ns;
  ExecResult r = RunExec(p, [&](pid_t pid) {
    exec_cgroup = ReadAll(absl::StrCat("/proc/", pid, "/cgroup"));
    init_cgroup = ReadAll(absl::StrCat("/proc/", init_->pid, "/cgroup"));
    for (const char* ns : {"pid", "mnt", "net", "uts", "ipc", "cgroup"}) {
      exec_ns[ns] = Link(absl::StrCat("/proc/", pid, "/ns/", ns));
      init_ns[ns] = Link(absl::StrCat("/proc/", init_->pid, "/ns/", ns));
    }
  });
  ASSERT_TRUE(absl::StartsWith(r.report, "ok ")) << r.report;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  Output o(r.out);
  for (const char* ns : {"pid", "mnt", "net", "uts", "ipc", "cgroup"}) {
    EXPECT_EQ(exec_ns[ns], init_ns[ns]) << ns;
    EXPECT_NE(init_ns[ns], Link(absl::StrCat("/proc/self/ns/", ns))) << ns;
  }
  for (const std::string& line : o.All("ns")) {  // As seen from inside.
    std::vector<std::string> kv = absl::StrSplit(line, ' ');
    ASSERT_EQ(kv.size(), 2u);
    EXPECT_EQ(kv[1], init_ns[kv[0]]) << kv[0];
  }
  EXPECT_NE(init_cgroup, "");
  EXPECT_EQ(exec_cgroup, init_cgroup);
  EXPECT_TRUE(absl::StrContains(init_cgroup, cgroup_path_)) << init_cgroup;
  for (const std::string& line : o.All("cat")) {  // Its cgroup namespace.
    EXPECT_TRUE(absl::EndsWith(line, ":/")) << line;
  }
  EXPECT_EQ(o.Get("hostname"), "box");
  EXPECT_EQ(o.Get("ppid"), "0");  // Its parent is outside the namespace.
  EXPECT_NE(o.Get("pid"), "1");
  EXPECT_EQ(o.Get("uid"), "1000 1000 1000");
  EXPECT_EQ(o.Get("gid"), "1000 1000 1000");
  EXPECT_EQ(o.Get("groups"), "2000 3000");
  EXPECT_EQ(o.Get("CapBnd"), "0000000000000421");
  EXPECT_EQ(o.Get("CapEff"), "0000000000000000");  // A user: none kept.
  EXPECT_EQ(o.Get("CapAmb"), "0000000000000000");
  EXPECT_EQ(o.Get("NoNewPrivs"), "1");
  EXPECT_EQ(o.Get("Umask"), "0027");
  EXPECT_EQ(o.Get("SigBlk"), "0000000000000000");
  EXPECT_EQ(o.Get("nofile"), "800 900");
  EXPECT_EQ(o.Get("cwd"), "/home/user");
  EXPECT_EQ(o.Get("fds"), "0 1 2");
  EXPECT_EQ(o.Get("sid"), o.Get("pid"));  // A session of its own.
  EXPECT_EQ(o.All("env"), (std::vector<std::string>{"PATH=/bin", "A=1"}));
  // The container's mounts, not the host's.
  EXPECT_EQ(o.Mounts()["/"].root, rootfs_);
}

TEST_F(ExecTest, RootKeepsTheCapabilitiesAsked) {
  StartContainer(ContainerSpec());
  spec::Process p = ProcessRunning({"/bin/probe", "report"});
  SetCaps(p, kDockerCaps);
  p.capabilities.inheritable = p.capabilities.ambient = {"CAP_KILL"};
  ExecResult r = RunExec(p);
  ASSERT_TRUE(absl::StartsWith(r.report, "ok ")) << r.report;
  Output o(r.out);
  EXPECT_EQ(o.Get("uid"), "0 0 0");
  EXPECT_EQ(o.Get("CapBnd"), "00000000a80425fb");
  EXPECT_EQ(o.Get("CapEff"), "00000000a80425fb");
  EXPECT_EQ(o.Get("CapPrm"), "00000000a80425fb");
  EXPECT_EQ(o.Get("CapInh"), "0000000000000020");
  EXPECT_EQ(o.Get("CapAmb"), "0000000000000020");
  EXPECT_EQ(o.Get("NoNewPrivs"), "0");
}

TEST_F(ExecTest, ExitStatuses) {
  StartContainer(ContainerSpec());
  ExecResult r = RunExec(ProcessRunning({"probe", "exit:3"}));
  EXPECT_TRUE(absl::StartsWith(r.report, "ok ")) << r.report;
  EXPECT_EQ(r.exit_code, 3);

  r = RunExec(ProcessRunning({"nosuch"}));
  EXPECT_EQ(r.report, "err 127 exec \"nosuch\": No such file or directory");
  EXPECT_EQ(r.exit_code, 127);

  r = RunExec(ProcessRunning({"/bin/notexec"}));
  EXPECT_EQ(r.report, "err 126 exec \"/bin/notexec\": Permission denied");
  EXPECT_EQ(r.exit_code, 126);

  spec::Process p = ProcessRunning({"/bin/probe"});
  p.cwd = "/nowhere";
  r = RunExec(p);
  EXPECT_EQ(r.report, "err 126 chdir \"/nowhere\": No such file or directory");
  EXPECT_EQ(r.exit_code, 126);

  // The container is untouched by all that.
  r = RunExec(ProcessRunning({"/bin/probe", "exit:0"}));
  EXPECT_EQ(r.exit_code, 0);
}

TEST_F(ExecTest, TheHelperIsNotDumpable) {
  StartContainer(ContainerSpec());
  ExecResult r = RunExec(ProcessRunning({"/bin/probe"}));
  EXPECT_EQ(r.report.substr(r.report.rfind(' ')), " 0") << r.report;
}

TEST_F(ExecTest, TerminalComesFromTheContainersDevpts) {
  StartContainer(ContainerSpec());
  spec::Process p = ProcessRunning(
      {"/bin/probe", "report", "winsize", "readlink:/proc/self/fd/0"});
  p.terminal = true;
  p.console_size = spec::ConsoleSize{40, 100};
  struct stat container_pts, host_pts;
  ASSERT_EQ(stat(absl::StrCat("/proc/", init_->pid, "/root/dev/pts").c_str(),
                 &container_pts),
            0);
  ASSERT_EQ(stat("/dev/pts", &host_pts), 0);
  ASSERT_NE(container_pts.st_dev, host_pts.st_dev);
  ExecResult r = RunExec(p);
  ASSERT_TRUE(absl::StartsWith(r.report, "ok ")) << r.report;
  ASSERT_TRUE(r.console_dev.valid());
  struct stat master;
  ASSERT_EQ(fstat(r.console_dev.get(), &master), 0);
  EXPECT_EQ(master.st_dev, container_pts.st_dev);
  Output o(r.out);
  EXPECT_EQ(o.Get("tty"), "1 1");  // A tty, and its controlling one.
  EXPECT_EQ(o.Get("winsize"), "40 100");
  EXPECT_EQ(o.Get("readlink"), "/proc/self/fd/0 /dev/pts/0");
  EXPECT_EQ(o.Get("fds"), "0 1 2");
}

TEST_F(ExecTest, AReusedPidIsNeverEntered) {
  StartContainer(ContainerSpec());
  ExecTarget other = target_;
  other.start_time += 1;
  ExecResult r = RunExec(ProcessRunning({"/bin/probe"}), nullptr, other);
  EXPECT_EQ(r.report,
            absl::StrCat("err 126 container process ", init_->pid,
                         " has exited (the pid now belongs to another "
                         "process)"));
  absl::StatusOr<base::UniqueFd> root = OpenRoot(other);
  EXPECT_EQ(root.status().code(), absl::StatusCode::kNotFound);
  root = OpenRoot(target_);
  ASSERT_TRUE(root.ok()) << root.status();
  struct stat st;
  EXPECT_EQ(fstatat(root->get(), "bin/probe", &st, 0), 0);
}

TEST_F(ExecTest, RequestRoundTrip) {
  spec::Process p = ProcessRunning({"a", "b c"});
  p.terminal = true;
  p.user = {1, 2, {3}, 022};
  ExecRequest in{{123, 456, "/mydocker/x"}, p, /*attach_stdin=*/true};
  absl::StatusOr<ExecRequest> out = DecodeExecRequest(EncodeExecRequest(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->target.pid, 123);
  EXPECT_EQ(out->target.start_time, 456u);
  EXPECT_EQ(out->target.cgroups_path, "/mydocker/x");
  EXPECT_EQ(out->process.args, p.args);
  EXPECT_TRUE(out->process.terminal);
  EXPECT_EQ(out->process.user.additional_gids, std::vector<uint32_t>{3});
  EXPECT_TRUE(out->attach_stdin);
  EXPECT_EQ(DecodeExecRequest("{}").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// CVE-2019-5736: a container process that keeps trying to open every other
// /proc/<pid>/exe for writing, and to reopen the O_PATH fds it gets, while
// the helper enters 20 times to run `#!/proc/self/exe` (which makes the
// kernel run the helper's own binary inside the container).
class ExecCveTest : public ExecTest {
 protected:
  struct Attack {
    Output attacker;
    std::vector<std::string> evil;  // What each run of /evil reported.
  };

  Attack Run(bool ptrace, bool protect) {
    // The helper is dynamically linked: the host's /usr, read-only.
    EXPECT_EQ(mkdir((rootfs_ + "/usr").c_str(), 0755), 0);
    EXPECT_EQ(symlink("usr/lib", (rootfs_ + "/lib").c_str()), 0);
    EXPECT_EQ(symlink("usr/lib64", (rootfs_ + "/lib64").c_str()), 0);
    EXPECT_TRUE(
        base::WriteFileAtomic(rootfs_ + "/evil", "#!/proc/self/exe\n", 0755)
            .ok());
    spec::Spec spec = ContainerSpec();
    spec.mounts.push_back({"/usr", "bind", "/usr", {"rbind", "ro"}});
    std::vector<std::string> caps = kDockerCaps;
    if (ptrace) caps.push_back("CAP_SYS_PTRACE");
    SetCaps(spec.process, caps);
    spec.process.args = {"/bin/probe", "attack"};
    StartContainer(spec);
    std::vector<std::string> evil;
    for (int i = 0; i < 20; ++i) {
      spec::Process p = ProcessRunning({"/evil"});
      SetCaps(p, caps);
      ExecResult r = RunExec(p, nullptr, std::nullopt, protect);
      // Unprotected, the attacker's write opens make some execs of the
      // binary fail (ETXTBSY): the race the CVE's exploit runs.
      if (!protect && r.exit_code == 127) continue;
      EXPECT_TRUE(absl::StartsWith(r.report, "ok ")) << r.report;
      EXPECT_EQ(r.exit_code, 0) << r.err;
      evil.push_back(Output(r.out).Get("evil"));
    }
    Output attacker(StopContainer());
    std::cerr << "attacker: scans " << attacker.Get("attack_scans")
              << ", held " << attacker.Get("attack_held") << ", write_ok "
              << attacker.Get("attack_write_ok") << ", errnos "
              << absl::StrJoin(attacker.All("attack_errno"), " ")
              << ", final " << absl::StrJoin(attacker.All("attack_final"), " ")
              << "\n";
    return {std::move(attacker), std::move(evil)};
  }
};

// With CAP_SYS_PTRACE in the container non-dumpability stops nothing: only
// the read-only mount does.
TEST_F(ExecCveTest, TheContainerCannotWriteTheHelpersBinary) {
  for (bool ptrace : {false, true}) {
    SCOPED_TRACE(ptrace ? "with CAP_SYS_PTRACE" : "Docker's capabilities");
    if (ptrace) {  // A fresh container.
      TearDown();
      SetUp();
    }
    Attack a = Run(ptrace, /*protect=*/true);
    ASSERT_EQ(a.evil.size(), 20u);
    for (const std::string& evil : a.evil) {
      std::vector<std::string> w = absl::StrSplit(evil, ' ');
      ASSERT_EQ(w.size(), 4u) << evil;
      EXPECT_EQ(w[1], "1") << "the helper's binary ran unprotected";
      EXPECT_NE(w[3], "ok") << "the helper's binary opened for writing";
    }
    EXPECT_EQ(a.attacker.Get("attack_write_ok"), "0");
    int held = 0;
    ASSERT_TRUE(absl::SimpleAtoi(a.attacker.Get("attack_held"), &held));
    // It got hold of the helper's binary (so this test can fail) ...
    EXPECT_GT(held, 0);
    // ... and, with no process left running it, only the mount refuses it.
    std::vector<std::string> final = a.attacker.All("attack_final");
    EXPECT_EQ(final.size(), static_cast<size_t>(held));
    for (const std::string& err : final) {
      EXPECT_EQ(err, std::to_string(EROFS));
    }
  }
}

// The counterfactual: the same attack on a helper run plainly succeeds
// (the probe only opens the file, it writes nothing).
TEST_F(ExecCveTest, WithoutTheProtectionTheAttackSucceeds) {
  Attack a = Run(/*ptrace=*/false, /*protect=*/false);
  ASSERT_FALSE(a.evil.empty());
  EXPECT_TRUE(absl::StartsWith(a.evil[0], "protected 0 ")) << a.evil[0];
  EXPECT_NE(a.attacker.Get("attack_write_ok"), "0");
}

}  // namespace
}  // namespace mydocker::runtime

// The test's own mount namespace (nothing it does can reach the host's),
// with the host's cgroup hierarchies visible (see lib/cgroup/testing.h).
int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (getuid() == 0) {
    if (unshare(CLONE_NEWNS) != 0 ||
        mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      perror("exec_test: mount namespace");
      return 1;
    }
    absl::Status s = mydocker::cgroup::testing::MountHostCgroups();
    if (!s.ok()) {
      fprintf(stderr, "exec_test: %s\n", std::string(s.message()).c_str());
      return 1;
    }
  }
  return RUN_ALL_TESTS();
}
