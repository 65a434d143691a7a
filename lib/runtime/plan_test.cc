#include "lib/runtime/plan.h"

#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "lib/spec/spec.h"

namespace mydocker::runtime::internal {
namespace {

using ::testing::Test;

TEST(ParseMountOptionsTest, FlagsClearsPropagationAndData) {
  absl::StatusOr<MountOptions> o = ParseMountOptions(
      {"nosuid", "noexec", "ro", "mode=755", "rprivate", "size=64k", "dev"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->set, MS_NOSUID | MS_NOEXEC | MS_RDONLY);
  EXPECT_EQ(o->clear, static_cast<unsigned long>(MS_NODEV));
  EXPECT_EQ(o->propagation, MS_PRIVATE | MS_REC);
  EXPECT_FALSE(o->bind);
  EXPECT_EQ(o->data, "mode=755,size=64k");
}

TEST(ParseMountOptionsTest, LaterOptionWinsAndRbindIsRecursive) {
  absl::StatusOr<MountOptions> o = ParseMountOptions({"ro", "rw", "rbind"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->set, 0u);
  EXPECT_EQ(o->clear, static_cast<unsigned long>(MS_RDONLY));
  EXPECT_TRUE(o->bind);
  EXPECT_TRUE(o->recursive);
  o = ParseMountOptions({"bind"});
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->bind);
  EXPECT_FALSE(o->recursive);
}

TEST(ParseMountOptionsTest, UnsupportedProtectionsAreRefusedNotDropped) {
  absl::StatusOr<MountOptions> o = ParseMountOptions({"rbind", "rro"});
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(o.status().message(), "\"rro\""));
}

TEST(CleanContainerPathTest, Cleans) {
  EXPECT_EQ(*CleanContainerPath("/a/./b//c/../d/"), "a/b/d");
  EXPECT_EQ(*CleanContainerPath("/../../etc"), "etc");
  EXPECT_EQ(*CleanContainerPath("relative/x"), "relative/x");
  EXPECT_EQ(*CleanContainerPath("/"), "");
  EXPECT_FALSE(CleanContainerPath(std::string("/a\0b", 4)).ok());
  EXPECT_FALSE(CleanContainerPath("/" + std::string(5000, 'x')).ok());
}

TEST(ExecCandidatesTest, PathLookupLikeExecvpe) {
  EXPECT_EQ(ExecCandidates("/bin/sh", {"PATH=/x"}),
            std::vector<std::string>{"/bin/sh"});
  EXPECT_EQ(ExecCandidates("./run", {}), std::vector<std::string>{"./run"});
  EXPECT_EQ(
      ExecCandidates("sh",
                     {"A=1", "PATH=/usr/bin/:/bin::/opt", "PATH=/ignored"}),
      (std::vector<std::string>{"/usr/bin/sh", "/bin/sh", "sh", "/opt/sh"}));
  EXPECT_EQ(ExecCandidates("sh", {}),
            (std::vector<std::string>{"/bin/sh", "/usr/bin/sh"}));
}

class PlanChildTest : public Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ = std::string(tmp ? tmp : "/tmp") + "/plan.XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    ASSERT_EQ(mkdir((dir_ + "/rootfs").c_str(), 0755), 0);
    ASSERT_EQ(mkdir((dir_ + "/data").c_str(), 0755), 0);
    int fd = open((dir_ + "/file").c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    close(fd);
    spec_.root.path = dir_ + "/rootfs";
    spec_.process.args = {"sh", "-c", "true"};
    spec_.process.env = {"PATH=/usr/bin:/bin"};
    spec_.linux.namespaces = {{"mount", ""}, {"pid", ""}, {"uts", ""}};
  }

  absl::StatusOr<std::unique_ptr<PlannedChild>> Plan(PlanFds fds = {}) {
    return PlanChild(spec_, fds, "");
  }

  std::string dir_;
  spec::Spec spec_;
};

TEST_F(PlanChildTest, NamespacesAndRoot) {
  spec_.linux.namespaces.push_back({"cgroup", ""});
  spec_.linux.namespaces.push_back({"network", "/proc/self/ns/net"});
  absl::StatusOr<std::unique_ptr<PlannedChild>> p = Plan();
  ASSERT_TRUE(p.ok()) << p.status();
  const PlannedChild& pc = **p;
  // The cgroup namespace is unshared by the child, after on_created.
  EXPECT_EQ(pc.clone_flags, static_cast<unsigned long>(
                                CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS));
  EXPECT_TRUE(pc.plan.new_cgroup_ns);
  ASSERT_EQ(pc.plan.num_joins, 1u);
  EXPECT_EQ(pc.plan.joins[0].nstype, CLONE_NEWNET);
  EXPECT_GE(pc.plan.joins[0].fd, 3);
  EXPECT_EQ(pc.plan.rootfs, dir_ + "/rootfs");
  EXPECT_EQ(pc.plan.root_propagation,
            static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(pc.Describe(Step::kSetns, 0),
            "setns network \"/proc/self/ns/net\"");
}

TEST_F(PlanChildTest, RefusesWhatItCannotRunAsAsked) {
  auto code = [&] { return Plan().status().code(); };
  spec_.linux.namespaces = {{"pid", ""}};
  EXPECT_EQ(code(), absl::StatusCode::kInvalidArgument);  // No mount ns.
  spec_.linux.namespaces = {{"mount", ""}, {"user", ""}};
  EXPECT_EQ(code(), absl::StatusCode::kInvalidArgument);
  spec_.linux.namespaces = {{"mount", ""}, {"mount", ""}};
  EXPECT_EQ(code(), absl::StatusCode::kInvalidArgument);
  spec_.linux.namespaces = {{"mount", "/proc/self/ns/mnt"}};
  EXPECT_EQ(code(), absl::StatusCode::kInvalidArgument);
  spec_.linux.namespaces = {{"mount", ""}, {"network", "/nonexistent/ns"}};
  EXPECT_EQ(code(), absl::StatusCode::kNotFound);
  spec_.linux.namespaces = {{"mount", ""}};
  spec_.hostname = "box";  // No UTS namespace.
  EXPECT_EQ(code(), absl::StatusCode::kInvalidArgument);
  spec_.linux.namespaces = {{"mount", ""}, {"uts", "/proc/self/ns/uts"}};
  EXPECT_EQ(code(), absl::StatusCode::kInvalidArgument);  // Someone else's.
  spec_.linux.namespaces = {{"mount", ""}};
  spec_.hostname = "";
  spec_.linux.rootfs_propagation = "rshared";
  EXPECT_EQ(code(), absl::StatusCode::kInvalidArgument);
  spec_.linux.rootfs_propagation = "";
  spec_.root.path = dir_ + "/missing";
  EXPECT_EQ(code(), absl::StatusCode::kNotFound);
  spec_.root.path = dir_ + "/rootfs";
  spec_.process.args.clear();
  EXPECT_EQ(code(), absl::StatusCode::kInvalidArgument);
  spec_.process.args = {"sh"};
  spec_.process.terminal = true;  // ... but no console.
  EXPECT_EQ(code(), absl::StatusCode::kInvalidArgument);
  spec_.process.terminal = false;
  spec_.process.capabilities.bounding = {"CAP_FLY"};
  EXPECT_EQ(code(), absl::StatusCode::kInvalidArgument);
  spec_.process.capabilities.bounding = {};
  spec_.process.rlimits = {{"RLIMIT_BOGUS", 1, 1}};
  EXPECT_EQ(code(), absl::StatusCode::kInvalidArgument);
  spec_.process.rlimits = {{"RLIMIT_NOFILE", /*hard=*/20, /*soft=*/10}};
  EXPECT_TRUE(Plan().ok());
  spec_.process.rlimits = {{"RLIMIT_NOFILE", /*hard=*/10, /*soft=*/20}};
  EXPECT_EQ(code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PlanChildTest, Mounts) {
  spec_.mounts = {
      {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
      {"/dev/pts",
       "devpts",
       "devpts",
       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
      {"/data/../vol", "bind", dir_ + "/data", {"rbind", "ro", "exec"}},
      {"/etc/hosts", "bind", dir_ + "/file", {"bind"}},
      {"/sys/fs/cgroup", "cgroup", "cgroup", {"ro", "nosuid"}},
      {"/proc/meminfo", "bind", dir_ + "/file", {"bind"}},
  };
  absl::StatusOr<std::unique_ptr<PlannedChild>> p = Plan();
  ASSERT_TRUE(p.ok()) << p.status();
  const ChildPlan& plan = (*p)->plan;
  ASSERT_EQ(plan.num_mounts, 6u);

  const MountOp& proc = plan.mounts[0];
  EXPECT_EQ(proc.kind, MountKind::kFilesystem);
  EXPECT_STREQ(proc.dest, "proc");
  EXPECT_STREQ(proc.fstype, "proc");
  EXPECT_EQ(proc.flags,
            static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_NODEV));
  EXPECT_EQ(proc.data, nullptr);
  EXPECT_FALSE(proc.dest_may_be_on_proc);

  EXPECT_STREQ(plan.mounts[1].data, "newinstance,ptmxmode=0666,mode=0620");

  const MountOp& vol = plan.mounts[2];
  EXPECT_EQ(vol.kind, MountKind::kBind);
  EXPECT_STREQ(vol.dest, "vol");
  EXPECT_FALSE(vol.dest_is_file);
  EXPECT_EQ(vol.flags, static_cast<unsigned long>(MS_BIND | MS_REC));
  EXPECT_TRUE(vol.remount);
  EXPECT_EQ(vol.remount_flags, static_cast<unsigned long>(MS_RDONLY));
  // The source's nosuid/nodev survive the remount; noexec was cleared.
  EXPECT_EQ(vol.keep_flags,
            static_cast<unsigned long>(MS_RDONLY | MS_NOSUID | MS_NODEV));

  const MountOp& hosts = plan.mounts[3];
  EXPECT_TRUE(hosts.dest_is_file);
  EXPECT_EQ(hosts.flags, static_cast<unsigned long>(MS_BIND));
  EXPECT_FALSE(hosts.remount);

  EXPECT_EQ(plan.mounts[4].kind, MountKind::kCgroup);
  EXPECT_EQ(plan.mounts[4].flags,
            static_cast<unsigned long>(MS_RDONLY | MS_NOSUID));
  EXPECT_TRUE((*p)->has_cgroup_mount);
  EXPECT_TRUE(plan.mounts[5].dest_may_be_on_proc);

  EXPECT_EQ((*p)->Describe(Step::kMount, 0), "mount \"proc\" on \"/proc\"");
  EXPECT_EQ((*p)->Describe(Step::kMountRemount, 2), "remount \"/vol\"");
}

TEST_F(PlanChildTest, MissingBindSourceFailsBeforeClone) {
  spec_.mounts = {{"/data", "bind", dir_ + "/nope", {"rbind"}}};
  absl::Status s = Plan().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(s.message(), "on \"/data\"")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "/nope")) << s;
}

TEST_F(PlanChildTest, DevicesAndDevLinks) {
  spec_.linux.devices = {
      {"/dev/null", "c", 1, 3, 0600, 0, 0},  // Overrides the default's mode.
      {"/dev/sub/fuse", "c", 10, 229, std::nullopt, 1000, 1000},
  };
  absl::StatusOr<std::unique_ptr<PlannedChild>> p = Plan();
  ASSERT_TRUE(p.ok()) << p.status();
  const ChildPlan& plan = (*p)->plan;
  ASSERT_EQ(plan.num_devices, 7u);  // 6 defaults, one replaced, one added.
  const DeviceOp& null = plan.devices[5];
  EXPECT_STREQ(null.dir, "dev");
  EXPECT_STREQ(null.name, "null");
  EXPECT_EQ(null.mode, static_cast<mode_t>(S_IFCHR | 0600));
  EXPECT_EQ(null.rdev, makedev(1, 3));
  const DeviceOp& fuse = plan.devices[6];
  EXPECT_STREQ(fuse.dir, "dev/sub");
  EXPECT_EQ(fuse.mode, static_cast<mode_t>(S_IFCHR | 0666));
  EXPECT_EQ(fuse.uid, 1000u);
  ASSERT_EQ(plan.num_dev_symlinks, 5u);
  EXPECT_STREQ(plan.dev_symlinks[4].name, "ptmx");
  EXPECT_STREQ(plan.dev_symlinks[4].target, "pts/ptmx");
  EXPECT_TRUE(plan.dev_symlinks[4].replace);

  // A bind-mounted /dev is the caller's: no nodes, no links.
  spec_.mounts = {{"/dev", "bind", "/dev", {"rbind"}}};
  p = Plan();
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->plan.num_devices, 0u);
  EXPECT_EQ((*p)->plan.num_dev_symlinks, 0u);

  spec_.mounts.clear();
  spec_.linux.devices = {
      {"/dev/x", "q", 1, 1, std::nullopt, std::nullopt, std::nullopt}};
  EXPECT_EQ(Plan().status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PlanChildTest, ProcessFields) {
  spec_.hostname = "box";
  spec_.linux.sysctl = {{"net.ipv4.ip_forward", "1"},
                        {"net/ipv4/conf/eth0.100/forwarding", "0"}};
  spec_.linux.masked_paths = {"/proc/kcore", "/sys/firmware/"};
  spec_.linux.readonly_paths = {"/proc/sys"};
  spec_.process.cwd = "/work/./dir/";
  spec_.process.user = {1000, 1001, {5, 6}, 027};
  spec_.process.capabilities.bounding = {"CAP_CHOWN", "CAP_KILL"};
  spec_.process.capabilities.ambient = {"CAP_KILL"};
  spec_.process.no_new_privileges = true;
  absl::StatusOr<std::unique_ptr<PlannedChild>> p = Plan();
  ASSERT_TRUE(p.ok()) << p.status();
  const ChildPlan& plan = (*p)->plan;
  EXPECT_STREQ(plan.hostname, "box");
  EXPECT_EQ(plan.hostname_len, 3u);
  ASSERT_EQ(plan.num_sysctls, 2u);
  // In key order ('.' sorts before '/').
  EXPECT_STREQ(plan.sysctls[0].path, "/proc/sys/net/ipv4/ip_forward");
  EXPECT_STREQ(plan.sysctls[0].value, "1");
  EXPECT_STREQ(plan.sysctls[1].path,
               "/proc/sys/net/ipv4/conf/eth0.100/forwarding");
  ASSERT_EQ(plan.num_masked_paths, 2u);
  EXPECT_STREQ(plan.masked_paths[1], "/sys/firmware");
  EXPECT_STREQ(plan.readonly_paths[0], "/proc/sys");
  EXPECT_STREQ(plan.cwd, "/work/dir");
  EXPECT_EQ(plan.uid, 1000u);
  EXPECT_EQ(plan.gid, 1001u);
  ASSERT_EQ(plan.num_groups, 2u);
  EXPECT_EQ(plan.groups[1], 6u);
  EXPECT_EQ(plan.umask, 027u);
  EXPECT_EQ(plan.cap_bounding, (uint64_t{1} << 0) | (uint64_t{1} << 5));
  EXPECT_EQ(plan.cap_ambient, uint64_t{1} << 5);
  EXPECT_EQ(plan.cap_effective, 0u);
  EXPECT_TRUE(plan.no_new_privs);
  EXPECT_STREQ(plan.argv[0], "sh");
  EXPECT_STREQ(plan.argv[2], "true");
  EXPECT_EQ(plan.argv[3], nullptr);
  EXPECT_STREQ(plan.envp[0], "PATH=/usr/bin:/bin");
  EXPECT_EQ(plan.envp[1], nullptr);
  ASSERT_EQ(plan.num_exec_candidates, 2u);
  EXPECT_STREQ(plan.exec_candidates[0], "/usr/bin/sh");

  EXPECT_EQ((*p)->Describe(Step::kExec, 0), "exec \"sh\"");
  EXPECT_EQ((*p)->Describe(Step::kChdir, 0), "chdir \"/work/dir\"");
  EXPECT_EQ((*p)->Describe(Step::kMaskPath, 0), "mask \"/proc/kcore\"");
  EXPECT_EQ((*p)->Describe(Step::kCapAmbient, 5), "raise ambient CAP_KILL");
  EXPECT_EQ((*p)->Describe(Step::kSetgroups, 0), "setgroups [5 6]");

  spec_.linux.sysctl = {{"net/../../etc", "1"}};
  EXPECT_EQ(Plan().status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PlanChildTest, StdioIsDuplicatedAbove2) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  absl::StatusOr<std::unique_ptr<PlannedChild>> p =
      Plan({.in = -1, .out = pipe_fds[1], .err = pipe_fds[1]});
  ASSERT_TRUE(p.ok()) << p.status();
  const ChildPlan& plan = (*p)->plan;
  for (int fd : plan.stdio) {
    EXPECT_GE(fd, 3);
    EXPECT_NE(fd, pipe_fds[1]);
    EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  }
  struct stat in;
  ASSERT_EQ(fstat(plan.stdio[0], &in), 0);
  EXPECT_TRUE(S_ISCHR(in.st_mode));  // /dev/null
  EXPECT_EQ(plan.console, -1);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

}  // namespace
}  // namespace mydocker::runtime::internal
