// Starts real containers (needs root) from a rootfs that holds only the
// static :probe, and checks what the probe reports from inside.
//
// The whole test runs in a mount namespace of its own whose mounts are all
// shared (but cut off from the host's): a mount that the runtime let
// propagate out of a container would show up in this test's mount table,
// which every test compares before and after. The host's table (pid 1's) is
// compared too, restricted to the test's directory.
#include "lib/runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/base/unique_fd.h"
#include "lib/runtime/mountinfo.h"
#include "lib/runtime/testing.h"
#include "lib/spec/spec.h"

namespace mydocker::runtime {
namespace {

using ::testing::Test;

using testing::Drain;
using testing::Link;
using testing::Output;
using testing::ReadAll;

// Masked /proc/kcore opens but reads as /dev/null; some kernels have none.
std::string KcoreExpected() {
  return access("/proc/kcore", F_OK) == 0 ? "open 0"
                                          : "No such file or directory -1";
}

bool HasOption(const MountInfo& m, absl::string_view option) {
  for (absl::string_view o : absl::StrSplit(m.options, ',')) {
    if (o == option) return true;
  }
  return false;
}

struct RunResult {
  absl::Status status;
  std::string out;
  std::string err;
  int wait_status = -1;
  pid_t pid = -1;  // From on_created, if it ran.
};

class RuntimeTest : public Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(getuid(), 0u) << "runtime_test needs root";
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ = std::string(tmp ? tmp : "/tmp") + "/rt.XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    rootfs_ = dir_ + "/rootfs";
    absl::Status made = testing::MakeProbeRootfs(rootfs_);
    ASSERT_TRUE(made.ok()) << made;
    own_mounts_ = ReadAll("/proc/self/mountinfo");
    host_mounts_ = HostMountsHere();
  }

  void TearDown() override {
    if (dir_.empty()) return;
    EXPECT_EQ(ReadAll("/proc/self/mountinfo"), own_mounts_)
        << "a mount leaked into the test's mount namespace";
    EXPECT_EQ(HostMountsHere(), host_mounts_)
        << "a mount leaked into the host's mount namespace";
    siginfo_t info;
    EXPECT_EQ(waitid(P_ALL, 0, &info, WEXITED | WNOHANG), -1)
        << "a child is left";
    EXPECT_EQ(errno, ECHILD);
    // With a leaked mount in the way, leave the directory: the mounts (and
    // whatever lies under them) go away with this process's namespace.
    if (!HasFailure()) {
      EXPECT_TRUE(base::RemoveAll(dir_).ok());
    }
  }

  // pid 1's mounts that mention this test's directory.
  std::string HostMountsHere() {
    std::string out;
    for (absl::string_view line :
         absl::StrSplit(ReadAll("/proc/1/mountinfo"), '\n')) {
      if (absl::StrContains(line, dir_)) absl::StrAppend(&out, line, "\n");
    }
    return out;
  }

  spec::Spec DefaultSpec() { return testing::DefaultSpec(rootfs_); }

  // Starts `spec` with pipes for stdout and stderr, collects both and waits.
  RunResult Start(const spec::Spec& spec, Options options = {}) {
    RunResult run;
    int out[2];
    int err[2];
    EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(err, O_CLOEXEC), 0);
    base::UniqueFd out_r(out[0]), out_w(out[1]), err_r(err[0]), err_w(err[1]);
    options.stdio.out = out_w.get();
    options.stdio.err = err_w.get();
    auto on_created = std::move(options.on_created);
    options.on_created = [&](pid_t pid) {
      run.pid = pid;
      return on_created ? on_created(pid) : absl::OkStatus();
    };
    absl::StatusOr<Process> p = runtime::Start(spec, std::move(options));
    out_w.reset();
    err_w.reset();
    run.status = p.status();
    run.out = Drain(out_r.get(), err_r.get(), &run.err);
    if (p.ok()) {
      absl::StatusOr<int> w = Wait(*p);
      EXPECT_TRUE(w.ok()) << w.status();
      run.wait_status = w.ok() ? *w : -1;
    }
    return run;
  }

  std::string dir_;
  std::string rootfs_;
  std::string own_mounts_;
  std::string host_mounts_;
};

TEST_F(RuntimeTest, DefaultContainerAsUser) {
  spec::Spec spec = DefaultSpec();
  spec.process.user = {1000, 1000, {2000, 3000}, 027};
  spec.process.cwd = "/home/user";
  spec.process.no_new_privileges = true;
  spec.process.oom_score_adj = 500;
  spec.process.rlimits = {{"RLIMIT_NOFILE", /*hard=*/900, /*soft=*/800}};
  spec.process.capabilities.bounding = {"CAP_CHOWN", "CAP_KILL",
                                        "CAP_NET_BIND_SERVICE"};
  spec.process.capabilities.effective = spec.process.capabilities.bounding;
  spec.process.capabilities.permitted = spec.process.capabilities.bounding;
  spec.linux.sysctl = {{"net.ipv4.ip_unprivileged_port_start", "0"}};
  spec.process.args = {"probe", "report", "exit:7"};  // PATH lookup.
  // A host directory fd the parent leaks without O_CLOEXEC: the
  // CVE-2024-21626 vector. It must not reach the container.
  base::UniqueFd leaked(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_TRUE(leaked.valid());

  // A monitor's signal setup must not reach the container.
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old_pipe;
  ASSERT_EQ(sigaction(SIGPIPE, &ignore, &old_pipe), 0);
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &block, &old_mask), 0);
  absl::Cleanup restore_signals = [&] {
    sigaction(SIGPIPE, &old_pipe, nullptr);
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  };

  std::map<std::string, std::string> parent_ns, child_ns;
  Options options;
  options.on_created = [&](pid_t pid) {
    for (const char* ns : {"pid", "mnt", "net", "uts", "ipc", "cgroup"}) {
      parent_ns[ns] = Link(absl::StrCat("/proc/self/ns/", ns));
      child_ns[ns] = Link(absl::StrCat("/proc/", pid, "/ns/", ns));
    }
    return absl::OkStatus();
  };
  RunResult run = Start(spec, std::move(options));
  ASSERT_TRUE(run.status.ok()) << run.status;
  EXPECT_TRUE(WIFEXITED(run.wait_status));
  EXPECT_EQ(WEXITSTATUS(run.wait_status), 7);
  EXPECT_EQ(run.err, "");
  Output o(run.out);

  // The child was already in its new namespaces when on_created ran.
  for (const char* ns : {"pid", "mnt", "net", "uts", "ipc"}) {
    EXPECT_NE(child_ns[ns], parent_ns[ns]) << ns;
    EXPECT_NE(child_ns[ns], "") << ns;
  }
  EXPECT_EQ(child_ns["cgroup"], parent_ns["cgroup"]);  // None asked for.
  for (const std::string& line : o.All("ns")) {
    std::vector<std::string> kv = absl::StrSplit(line, ' ');
    ASSERT_EQ(kv.size(), 2u);
    if (kv[0] == "cgroup") {
      EXPECT_EQ(kv[1], parent_ns["cgroup"]);
    } else {
      EXPECT_EQ(kv[1], child_ns[kv[0]]) << kv[0];
    }
  }

  EXPECT_EQ(o.Get("pid"), "1");
  EXPECT_EQ(o.Get("ppid"), "0");
  EXPECT_EQ(o.Get("hostname"), "box");
  EXPECT_EQ(o.Get("uid"), "1000 1000 1000");
  EXPECT_EQ(o.Get("gid"), "1000 1000 1000");
  EXPECT_EQ(o.Get("groups"), "2000 3000");
  // A non-root user keeps no capabilities across exec without ambient ones;
  // the bounding set is exactly the spec's.
  EXPECT_EQ(o.Get("CapBnd"), "0000000000000421");
  EXPECT_EQ(o.Get("CapEff"), "0000000000000000");
  EXPECT_EQ(o.Get("CapPrm"), "0000000000000000");
  EXPECT_EQ(o.Get("CapInh"), "0000000000000000");
  EXPECT_EQ(o.Get("CapAmb"), "0000000000000000");
  EXPECT_EQ(o.Get("NoNewPrivs"), "1");
  EXPECT_EQ(o.Get("Umask"), "0027");
  EXPECT_EQ(o.Get("SigBlk"), "0000000000000000");
  EXPECT_EQ(o.Get("SigIgn"), "0000000000000000");
  EXPECT_EQ(o.Get("cwd"), "/home/user");
  EXPECT_EQ(o.Get("fds"), "0 1 2");
  EXPECT_EQ(o.Get("sid"), "1");
  EXPECT_EQ(o.Get("nofile"), "800 900");
  EXPECT_EQ(o.Get("oom_score_adj"), "500");
  EXPECT_EQ(o.All("env"),
            (std::vector<std::string>{"PATH=/usr/bin:/bin", "FOO=bar"}));

  std::map<std::string, MountInfo> mounts = o.Mounts();
  auto fstype = [&](const std::string& at) {
    return mounts.count(at) ? mounts[at].fstype : "<none>";
  };
  EXPECT_EQ(fstype("/proc"), "proc");
  EXPECT_EQ(fstype("/dev"), "tmpfs");
  EXPECT_EQ(fstype("/dev/pts"), "devpts");
  EXPECT_EQ(fstype("/dev/mqueue"), "mqueue");
  EXPECT_EQ(fstype("/dev/shm"), "tmpfs");
  EXPECT_EQ(fstype("/sys"), "sysfs");
  EXPECT_EQ(fstype("/sys/fs/cgroup"), "tmpfs");
  EXPECT_EQ(fstype("/sys/fs/cgroup/memory"), "cgroup");
  EXPECT_EQ(fstype("/proc/keys"), "tmpfs");  // The container's /dev/null.
  EXPECT_EQ(fstype("/proc/sys"), "proc");
  EXPECT_EQ(fstype("/sys/firmware"), "tmpfs");
  EXPECT_TRUE(HasOption(mounts["/sys"], "ro"));
  EXPECT_TRUE(HasOption(mounts["/sys/fs/cgroup"], "ro"));
  EXPECT_TRUE(HasOption(mounts["/sys/fs/cgroup/memory"], "ro"));
  EXPECT_TRUE(HasOption(mounts["/sys/fs/cgroup/memory"], "nosuid"));
  EXPECT_TRUE(HasOption(mounts["/proc/sys"], "ro"));
  EXPECT_TRUE(HasOption(mounts["/proc/sys"], "nosuid"));  // Kept from /proc.
  EXPECT_TRUE(HasOption(mounts["/proc"], "noexec"));
  EXPECT_EQ(mounts["/"].root, rootfs_);
  // The old root is gone: nothing else but what the spec mounted.
  for (const auto& [at, m] : mounts) {
    EXPECT_TRUE(at == "/" || absl::StartsWith(at, "/proc") ||
                absl::StartsWith(at, "/dev") || absl::StartsWith(at, "/sys"))
        << at;
  }
  EXPECT_EQ(o.Get("kcore"), KcoreExpected());
  EXPECT_EQ(o.Get("sysctl_write"), std::to_string(EACCES));
}

TEST_F(RuntimeTest, RootContainerCapsMasksDevicesAndSysctls) {
  spec::Spec spec = DefaultSpec();
  spec.process.capabilities.bounding = {"CAP_CHOWN", "CAP_DAC_OVERRIDE",
                                        "CAP_NET_BIND_SERVICE"};
  spec.process.capabilities.effective = spec.process.capabilities.bounding;
  spec.process.capabilities.permitted = spec.process.capabilities.bounding;
  spec.linux.sysctl = {{"net.ipv4.ip_unprivileged_port_start", "0"}};
  spec.process.args = {"/bin/probe",
                       "report",
                       "stat:/dev/null",
                       "stat:/dev/tty",
                       "stat:/proc/keys",
                       "readlink:/dev/ptmx",
                       "readlink:/dev/fd",
                       "readlink:/dev/stderr",
                       "stat:/dev/console",
                       "cat:/proc/sys/net/ipv4/ip_unprivileged_port_start",
                       "write:/proc/irq/default_smp_affinity",
                       "ls:/sys/fs/cgroup",
                       "ls:/sys/firmware",
                       "write:/etc/file"};
  RunResult run = Start(spec);
  ASSERT_TRUE(run.status.ok()) << run.status;
  EXPECT_EQ(WEXITSTATUS(run.wait_status), 0);
  Output o(run.out);
  EXPECT_EQ(o.Get("uid"), "0 0 0");
  EXPECT_EQ(o.Get("groups"), "");
  EXPECT_EQ(o.Get("CapBnd"), "0000000000000403");
  EXPECT_EQ(o.Get("CapEff"), "0000000000000403");
  EXPECT_EQ(o.Get("CapPrm"), "0000000000000403");
  EXPECT_EQ(o.Get("CapInh"), "0000000000000000");
  EXPECT_EQ(o.Get("CapAmb"), "0000000000000000");
  EXPECT_EQ(o.Get("NoNewPrivs"), "0");
  EXPECT_EQ(o.Get("Umask"), "0022");
  EXPECT_EQ(o.Get("kcore"), KcoreExpected());
  EXPECT_EQ(o.Get("sysctl_write"), std::to_string(EROFS));
  std::vector<std::string> stats = o.All("stat");
  EXPECT_EQ(stats[0], "/dev/null char 1:3 666");
  EXPECT_EQ(stats[1], "/dev/tty char 5:0 666");
  EXPECT_EQ(stats[2], "/proc/keys char 1:3 666");  // Masked.
  EXPECT_EQ(stats[3], "/dev/console error 2");     // No console asked for.
  std::vector<std::string> links = o.All("readlink");
  EXPECT_EQ(links, (std::vector<std::string>{"/dev/ptmx pts/ptmx",
                                             "/dev/fd /proc/self/fd",
                                             "/dev/stderr /proc/self/fd/2"}));
  EXPECT_EQ(o.Get("cat"), "/proc/sys/net/ipv4/ip_unprivileged_port_start 0");
  std::vector<std::string> writes = o.All("write");
  EXPECT_EQ(writes[0], absl::StrCat("/proc/irq/default_smp_affinity ", EROFS));
  EXPECT_EQ(writes[1], "/etc/file 0");  // The root is writable.
  std::vector<std::string> ls = o.All("ls");
  EXPECT_TRUE(std::find(ls.begin(), ls.end(), "/sys/fs/cgroup memory") !=
              ls.end())
      << run.out;
  for (const std::string& entry : ls) {
    EXPECT_FALSE(absl::StartsWith(entry, "/sys/firmware ")) << entry;
  }
}

TEST_F(RuntimeTest, AmbientCapabilitiesSurviveExecForAUser) {
  spec::Spec spec = DefaultSpec();
  spec.process.user = {1000, 1000, {}, std::nullopt};
  spec::Capabilities& caps = spec.process.capabilities;
  caps.bounding = caps.effective = caps.permitted = caps.inheritable =
      caps.ambient = {"CAP_NET_BIND_SERVICE"};
  RunResult run = Start(spec);
  ASSERT_TRUE(run.status.ok()) << run.status;
  Output o(run.out);
  EXPECT_EQ(o.Get("CapAmb"), "0000000000000400");
  EXPECT_EQ(o.Get("CapEff"), "0000000000000400");
  EXPECT_EQ(o.Get("CapPrm"), "0000000000000400");
  EXPECT_EQ(o.Get("CapInh"), "0000000000000400");
  EXPECT_EQ(o.Get("CapBnd"), "0000000000000400");
}

TEST_F(RuntimeTest, ReadonlyRootAndCgroupNamespace) {
  spec::Spec spec = DefaultSpec();
  spec.root.readonly = true;
  spec.linux.namespaces.push_back({"cgroup", ""});
  spec.process.args = {"/bin/probe", "report", "write:/etc/file",
                       "cat:/proc/self/cgroup"};
  RunResult run = Start(spec);
  ASSERT_TRUE(run.status.ok()) << run.status;
  Output o(run.out);
  EXPECT_EQ(o.Get("write"), absl::StrCat("/etc/file ", EROFS));
  EXPECT_TRUE(HasOption(o.Mounts()["/"], "ro"));
  bool saw_cgroup_ns = false;
  for (const std::string& line : o.All("ns")) {
    if (absl::StartsWith(line, "cgroup ")) {
      saw_cgroup_ns = true;
      EXPECT_NE(line, "cgroup " + Link("/proc/self/ns/cgroup"));
    }
  }
  EXPECT_TRUE(saw_cgroup_ns);
  // Rooted at the container's own cgroups.
  for (const std::string& line : o.All("cat")) {
    EXPECT_TRUE(absl::EndsWith(line, ":/")) << line;
  }
}

// Born in its cgroups: the v1 `tasks` files the child writes "0" to, and
// the cgroup2 directory clone3() puts it in. No on_created needed.
TEST_F(RuntimeTest, BornInItsCgroups) {
  std::string name = absl::StrCat("mydocker-rt-", getpid());
  std::string v1 = "/sys/fs/cgroup/memory/" + name;
  std::string v2 = "/sys/fs/cgroup/unified/" + name;
  ASSERT_EQ(mkdir(v1.c_str(), 0755), 0) << strerror(errno);
  absl::Cleanup rm_v1 = [&] { rmdir(v1.c_str()); };
  bool have_v2 = mkdir(v2.c_str(), 0755) == 0;
  absl::Cleanup rm_v2 = [&] {
    if (have_v2) rmdir(v2.c_str());
  };
  base::UniqueFd tasks(open((v1 + "/tasks").c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(tasks.valid()) << strerror(errno);
  base::UniqueFd dir2;
  Options options;
  options.cgroup_v1_tasks = {tasks.get()};
  if (have_v2) {
    dir2.reset(open(v2.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(dir2.valid()) << strerror(errno);
    options.cgroup2_dir = dir2.get();
  }
  spec::Spec spec = DefaultSpec();
  spec.process.args = {"/bin/probe", "report", "cat:/proc/self/cgroup"};
  RunResult run = Start(spec, std::move(options));
  ASSERT_TRUE(run.status.ok()) << run.status;
  bool in_memory = false, in_v2 = false;
  for (const std::string& line : Output(run.out).All("cat")) {
    if (absl::StrContains(line, ":memory:")) {
      in_memory = absl::EndsWith(line, "/" + name);
    }
    if (absl::StrContains(line, " 0::")) in_v2 = absl::EndsWith(line, "/" + name);
  }
  EXPECT_TRUE(in_memory) << run.out;
  if (have_v2) {
    EXPECT_TRUE(in_v2) << run.out;
  }
}

TEST_F(RuntimeTest, CgroupJoinFailureNamesTheStep) {
  // A tasks file open read-only: the child's write fails (EBADF).
  base::UniqueFd tasks(open("/sys/fs/cgroup/memory/tasks", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(tasks.valid()) << strerror(errno);
  Options options;
  options.cgroup_v1_tasks = {tasks.get()};
  RunResult run = Start(DefaultSpec(), std::move(options));
  EXPECT_FALSE(run.status.ok());
  EXPECT_TRUE(absl::StrContains(run.status.message(),
                                "join the cgroup (v1 tasks file #0)"))
      << run.status;
}

TEST_F(RuntimeTest, BindMountKeepsTheSourcesLockedFlags) {
  // A nosuid,nodev,noexec source, mounted in this test's namespace only.
  std::string src = dir_ + "/src";
  ASSERT_EQ(mkdir(src.c_str(), 0755), 0);
  ASSERT_EQ(mount("tmpfs", src.c_str(), "tmpfs",
                  MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m"),
            0);
  absl::Cleanup unmount = [&] { umount2(src.c_str(), MNT_DETACH); };
  own_mounts_ = ReadAll("/proc/self/mountinfo");
  spec::Spec spec = DefaultSpec();
  spec.mounts.push_back({"/vol", "bind", src, {"rbind", "ro"}});
  spec.mounts.push_back({"/vol2", "bind", src, {"rbind", "ro", "exec"}});
  RunResult run = Start(spec);
  ASSERT_TRUE(run.status.ok()) << run.status;
  std::map<std::string, MountInfo> mounts = Output(run.out).Mounts();
  ASSERT_EQ(mounts.count("/vol"), 1u) << run.out;
  for (const char* option : {"ro", "nosuid", "nodev", "noexec"}) {
    EXPECT_TRUE(HasOption(mounts["/vol"], option)) << option;
  }
  // "exec" asked for explicitly: the only flag dropped.
  EXPECT_TRUE(HasOption(mounts["/vol2"], "ro"));
  EXPECT_TRUE(HasOption(mounts["/vol2"], "nosuid"));
  EXPECT_FALSE(HasOption(mounts["/vol2"], "noexec"));
  EXPECT_TRUE(access((rootfs_ + "/vol").c_str(), F_OK) == 0);  // Created.
  std::move(unmount).Invoke();
  own_mounts_ = ReadAll("/proc/self/mountinfo");
}

// CVE-2021-30465 class: the image's symlinks must not redirect a mount or a
// mkdir to the host.
TEST_F(RuntimeTest, SymlinkedMountDestinationsResolveInsideTheRootfs) {
  std::string evil = dir_ + "/evil";  // An absolute host path.
  ASSERT_EQ(mkdir(evil.c_str(), 0755), 0);
  ASSERT_EQ(rmdir((rootfs_ + "/proc").c_str()), 0);
  ASSERT_EQ(symlink(evil.c_str(), (rootfs_ + "/proc").c_str()), 0);
  // <rootfs>/<evil> exists: in-root resolution lands there.
  ASSERT_TRUE(base::MakeDirs(rootfs_ + evil).ok());
  // Relative escape: up -> ../../../../../../..
  ASSERT_EQ(symlink("../../../../../../../../..", (rootfs_ + "/up").c_str()),
            0);
  const std::string marker = "mydocker-runtime-test-escape";
  spec::Spec spec = DefaultSpec();
  spec.mounts.push_back({"/up/" + marker + "/x", "tmpfs", "tmpfs", {}});
  spec.process.args = {"/bin/probe", "report", "readlink:/proc"};
  RunResult run = Start(spec);
  ASSERT_TRUE(run.status.ok()) << run.status;
  Output o(run.out);
  // proc was mounted at <rootfs>/<evil>, which the container sees as /proc.
  EXPECT_EQ(o.Get("pid"), "1");
  EXPECT_EQ(o.Get("readlink"), "/proc " + evil);
  std::map<std::string, MountInfo> mounts = o.Mounts();
  EXPECT_EQ(mounts.count(evil) ? mounts[evil].fstype : "", "proc") << run.out;
  EXPECT_EQ(mounts.count("/" + marker + "/x"), 1u);
  // Nothing happened outside: the host's directory is empty, and the escape
  // created its directories in the rootfs, not at the host's "/".
  EXPECT_EQ(rmdir(evil.c_str()), 0);
  EXPECT_NE(access(("/" + marker).c_str(), F_OK), 0);
  EXPECT_EQ(access((rootfs_ + "/" + marker + "/x").c_str(), F_OK), 0);
}

TEST_F(RuntimeTest, DanglingSymlinkDestinationFailsCleanly) {
  std::string evil = dir_ + "/evil-dev";  // Exists on the host only.
  ASSERT_EQ(mkdir(evil.c_str(), 0755), 0);
  ASSERT_EQ(rmdir((rootfs_ + "/dev").c_str()), 0);
  ASSERT_EQ(symlink(evil.c_str(), (rootfs_ + "/dev").c_str()), 0);
  RunResult run = Start(DefaultSpec());
  EXPECT_EQ(run.status.message(),
            "starting container: mount \"tmpfs\" on \"/dev\": File exists");
  std::optional<StartFailure> f = GetStartFailure(run.status);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->step, Step::kMount);
  EXPECT_EQ(f->err, EEXIST);
  EXPECT_EQ(rmdir(evil.c_str()), 0);  // Still empty.
  EXPECT_GT(run.pid, 0);
  EXPECT_EQ(kill(run.pid, 0), -1);  // Reaped.
}

TEST_F(RuntimeTest, MountIntoProcfsIsRefused) {
  spec::Spec spec = DefaultSpec();
  spec.mounts.push_back({"/proc/sys/kernel", "tmpfs", "tmpfs", {}});
  RunResult run = Start(spec);
  EXPECT_EQ(run.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(run.status.message(),
                                "mount \"tmpfs\" on \"/proc/sys/kernel\""))
      << run.status;
  EXPECT_EQ(GetStartFailure(run.status)->step, Step::kMountOnProc);
}

TEST_F(RuntimeTest, ExecErrors) {
  spec::Spec spec = DefaultSpec();
  spec.process.args = {"nosuch"};
  RunResult run = Start(spec);
  EXPECT_EQ(run.status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(run.status.message(),
            "starting container: exec \"nosuch\": No such file or directory");
  std::optional<StartFailure> f = GetStartFailure(run.status);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->step, Step::kExec);
  EXPECT_EQ(f->err, ENOENT);

  spec.process.args = {"/bin/notexec"};
  run = Start(spec);
  EXPECT_EQ(run.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(run.status.message(),
            "starting container: exec \"/bin/notexec\": Permission denied");
  EXPECT_EQ(GetStartFailure(run.status)->err, EACCES);

  // Like execvp: EACCES in PATH is remembered, not fatal...
  spec.process.args = {"notexec"};
  run = Start(spec);
  EXPECT_EQ(GetStartFailure(run.status)->err, EACCES) << run.status;
  // ... and the search goes on to a runnable one.
  spec.process.env = {"PATH=/nonexistent:/noexec:/bin"};
  spec.process.args = {"probe", "exit:3"};
  run = Start(spec);
  ASSERT_TRUE(run.status.ok()) << run.status;
  EXPECT_EQ(WEXITSTATUS(run.wait_status), 3);
}

TEST_F(RuntimeTest, ChdirErrors) {
  spec::Spec spec = DefaultSpec();
  spec.process.cwd = "/nowhere";
  RunResult run = Start(spec);
  EXPECT_EQ(run.status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(
      run.status.message(),
      "starting container: chdir \"/nowhere\": No such file or directory");
  EXPECT_EQ(GetStartFailure(run.status)->step, Step::kChdir);

  // CVE-2024-21626: a cwd through a leaked host fd. The fd is closed before
  // chdir, so there is nothing to go through.
  base::UniqueFd leaked(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_TRUE(leaked.valid());
  spec.process.cwd = absl::StrCat("/proc/self/fd/", leaked.get());
  run = Start(spec);
  EXPECT_FALSE(run.status.ok());
  EXPECT_EQ(GetStartFailure(run.status)->step, Step::kChdir) << run.status;
}

TEST_F(RuntimeTest, FailuresBeforeAndInTheChild) {
  spec::Spec spec = DefaultSpec();
  spec.mounts.push_back({"/data", "bind", dir_ + "/missing", {"rbind"}});
  bool created = false;
  Options options;
  options.on_created = [&](pid_t) {
    created = true;
    return absl::OkStatus();
  };
  RunResult run = Start(spec, std::move(options));
  EXPECT_EQ(run.status.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(run.status.message(), "on \"/data\""))
      << run.status;
  EXPECT_FALSE(created);  // Planned in the parent: no child at all.

  spec = DefaultSpec();
  spec.mounts.push_back({"/mnt", "nosuchfs", "none", {}});
  run = Start(spec);
  EXPECT_EQ(run.status.message(),
            "starting container: mount \"none\" on \"/mnt\": No such device");
  EXPECT_EQ(kill(run.pid, 0), -1);
}

TEST_F(RuntimeTest, OnCreatedFailureKillsTheChild) {
  Options options;
  options.on_created = [](pid_t) {
    return absl::UnavailableError("cgroup: no such controller");
  };
  RunResult run = Start(DefaultSpec(), std::move(options));
  EXPECT_EQ(run.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(run.status.message(),
            "starting container: cgroup: no such controller");
  EXPECT_FALSE(GetStartFailure(run.status).has_value());
  ASSERT_GT(run.pid, 0);
  EXPECT_EQ(kill(run.pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  EXPECT_EQ(run.out, "");  // It never ran.
}

TEST_F(RuntimeTest, SignalAndWait) {
  int in[2];
  ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
  base::UniqueFd in_r(in[0]), in_w(in[1]);
  spec::Spec spec = DefaultSpec();
  spec.process.args = {"/bin/probe", "wait"};
  Options options;
  options.stdio.in = in_r.get();
  absl::StatusOr<Process> p = runtime::Start(spec, std::move(options));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(Signal(*p, SIGKILL).ok());
  absl::StatusOr<int> w = Wait(*p);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_TRUE(WIFSIGNALED(*w));
  EXPECT_EQ(WTERMSIG(*w), SIGKILL);
  EXPECT_EQ(Signal(*p, SIGTERM).code(), absl::StatusCode::kNotFound);
}

TEST_F(RuntimeTest, JoinsNamespacesByPath) {
  // A: new namespaces, waits on stdin. B: joins A's network and pid
  // namespaces.
  int in[2];
  ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
  base::UniqueFd in_r(in[0]), in_w(in[1]);
  spec::Spec a_spec = DefaultSpec();
  a_spec.process.args = {"/bin/probe", "wait"};
  Options a_options;
  a_options.stdio.in = in_r.get();
  absl::StatusOr<Process> a = runtime::Start(a_spec, std::move(a_options));
  ASSERT_TRUE(a.ok()) << a.status();
  absl::Cleanup stop_a = [&] {
    in_w.reset();
    Wait(*a).IgnoreError();
  };

  spec::Spec b = DefaultSpec();
  b.linux.namespaces = {{"pid", absl::StrCat("/proc/", a->pid, "/ns/pid")},
                        {"network", absl::StrCat("/proc/", a->pid, "/ns/net")},
                        {"mount", ""},
                        {"uts", ""}};
  RunResult run = Start(b);
  ASSERT_TRUE(run.status.ok()) << run.status;
  Output o(run.out);
  EXPECT_EQ(o.Get("pid"), "2");  // A is 1.
  std::string a_net = Link(absl::StrCat("/proc/", a->pid, "/ns/net"));
  std::string a_pid = Link(absl::StrCat("/proc/", a->pid, "/ns/pid"));
  for (const std::string& line : o.All("ns")) {
    if (absl::StartsWith(line, "net ")) {
      EXPECT_EQ(line, "net " + a_net);
    }
    if (absl::StartsWith(line, "pid ")) {
      EXPECT_EQ(line, "pid " + a_pid);
    }
  }
  // The test's own thread is back in its pid namespace.
  EXPECT_EQ(Link("/proc/thread-self/ns/pid_for_children"),
            Link("/proc/thread-self/ns/pid"));
}

TEST_F(RuntimeTest, Console) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0);
  base::UniqueFd master_fd(master);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  base::UniqueFd slave(open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC));
  ASSERT_TRUE(slave.valid());
  struct stat slave_st;
  ASSERT_EQ(fstat(slave.get(), &slave_st), 0);

  spec::Spec spec = DefaultSpec();
  spec.process.terminal = true;
  spec.process.console_size = spec::ConsoleSize{40, 100};
  spec.process.args = {"/bin/probe", "report", "stat:/dev/console"};
  Options options;
  options.stdio.console = slave.get();
  absl::StatusOr<Process> p = runtime::Start(spec, std::move(options));
  ASSERT_TRUE(p.ok()) << p.status();
  slave.reset();
  std::string out;
  char buf[4096];
  ssize_t n;
  // EIO once the last slave fd (the container's) is closed.
  while ((n = read(master, buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<size_t>(n));
  }
  absl::StatusOr<int> w = Wait(*p);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(WEXITSTATUS(*w), 0);
  Output o(out);
  EXPECT_EQ(o.Get("tty"), "1 1");  // A tty, and our controlling one.
  EXPECT_EQ(o.Get("sid"), "1");
  EXPECT_EQ(
      o.Get("stat"),
      absl::StrFormat("/dev/console char %u:%u %o", major(slave_st.st_rdev),
                      minor(slave_st.st_rdev), slave_st.st_mode & 07777));
}

TEST_F(RuntimeTest, ConsoleSocketGivesAPtyFromTheContainersDevpts) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  base::UniqueFd ours(pair[0]), theirs(pair[1]);
  spec::Spec spec = DefaultSpec();
  spec.process.terminal = true;
  spec.process.console_size = spec::ConsoleSize{40, 100};
  spec.process.args = {"/bin/probe", "report", "stat:/dev/console",
                       "stat:/dev/pts/0", "winsize"};
  Options options;
  options.stdio.console_socket = theirs.get();
  absl::StatusOr<Process> p = runtime::Start(spec, std::move(options));
  ASSERT_TRUE(p.ok()) << p.status();
  theirs.reset();
  absl::StatusOr<base::UniqueFd> master = ReceiveConsole(ours.get());
  ASSERT_TRUE(master.ok()) << master.status();
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(master->get(), buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<size_t>(n));
  }
  absl::StatusOr<int> w = Wait(*p);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(WEXITSTATUS(*w), 0) << out;
  Output o(out);
  EXPECT_EQ(o.Get("tty"), "1 1");  // A tty, and our controlling one.
  EXPECT_EQ(o.Get("sid"), "1");
  // pty 0 of the container's own devpts (a new instance), on /dev/console
  // too, with the size the spec asked for.
  std::vector<std::string> stats = o.All("stat");
  ASSERT_EQ(stats.size(), 2u) << out;
  EXPECT_TRUE(absl::StartsWith(stats[0], "/dev/console char 136:0 ")) << stats[0];
  EXPECT_TRUE(absl::StartsWith(stats[1], "/dev/pts/0 char 136:0 ")) << stats[1];
  EXPECT_EQ(o.Get("winsize"), "40 100");
  // Nothing more comes over the socket.
  EXPECT_FALSE(ReceiveConsole(ours.get()).ok());
}

TEST_F(RuntimeTest, ConsoleSocketNeedsATerminalProcess) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  base::UniqueFd ours(pair[0]), theirs(pair[1]);
  spec::Spec spec = DefaultSpec();
  spec.process.args = {"/bin/probe", "report"};
  Options options;
  options.stdio.console_socket = theirs.get();
  absl::StatusOr<Process> p = runtime::Start(spec, std::move(options));
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << p.status();
}

}  // namespace
}  // namespace mydocker::runtime

// The test's own mount namespace: private from the host, then shared within,
// so that a container mount that propagates back shows up here.
//
// If no cgroup hierarchy is visible (tools/bazel runs under `ip netns exec`,
// which mounts a fresh /sys), a hybrid layout is mounted in this namespace
// so the "cgroup" mount has something to show. Best effort: a v2-only host
// refuses the v1 mounts, and the tests then see what the host has.
int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (getuid() == 0) {
    if (unshare(CLONE_NEWNS) != 0 ||
        mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      perror("runtime_test: mount namespace");
      return 1;
    }
    absl::StatusOr<std::vector<mydocker::runtime::MountInfo>> mounts =
        mydocker::runtime::ReadMountInfo("self");
    bool has_cgroups = false;
    if (mounts.ok()) {
      for (const mydocker::runtime::MountInfo& m : *mounts) {
        has_cgroups |= absl::StartsWith(m.fstype, "cgroup");
      }
    }
    if (!has_cgroups &&
        mount("tmpfs", "/sys/fs/cgroup", "tmpfs", 0, "mode=755") == 0) {
      for (const char* c : {"memory", "cpu"}) {
        std::string at = std::string("/sys/fs/cgroup/") + c;
        mkdir(at.c_str(), 0755);
        mount("cgroup", at.c_str(), "cgroup", 0, c);
      }
      mkdir("/sys/fs/cgroup/unified", 0755);
      mount("cgroup2", "/sys/fs/cgroup/unified", "cgroup2", 0, nullptr);
    }
    if (mount(nullptr, "/", nullptr, MS_REC | MS_SHARED, nullptr) != 0) {
      perror("runtime_test: make / shared");
      return 1;
    }
  }
  return RUN_ALL_TESTS();
}
