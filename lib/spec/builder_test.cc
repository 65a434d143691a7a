#include "lib/spec/builder.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/spec/docker_defaults.h"
#include "lib/spec/image_config.h"
#include "lib/spec/mounts.h"
#include "lib/spec/spec_json.h"
#include "lib/spec/units.h"

namespace mydocker::spec {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kId[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

class BuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ = std::string(tmp ? tmp : "/tmp") + "/builder.XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    rootfs_ = dir_ + "/merged";
    ASSERT_TRUE(base::MakeDirs(rootfs_ + "/etc").ok());
    ASSERT_TRUE(base::MakeDirs(dir_ + "/dev").ok());
    Write(rootfs_ + "/etc/passwd",
          "root:x:0:0:root:/root:/bin/sh\n"
          "nginx:x:101:101:nginx:/var/cache/nginx:/sbin/nologin\n"
          "app:x:1000:1000::/home/app:/bin/sh\n");
    Write(rootfs_ + "/etc/group",
          "root:x:0:\n"
          "nginx:x:101:\n"
          "app:x:1000:\n"
          "wheel:x:10:app\n"
          "video:x:44:app,nginx\n");

    paths_.container_id = kId;
    paths_.rootfs = rootfs_;
    paths_.hostname_file = dir_ + "/hostname";
    paths_.hosts_file = dir_ + "/hosts";
    paths_.resolv_conf_file = dir_ + "/resolv.conf";
    paths_.init_binary = "/usr/libexec/docker/docker-init";
    paths_.cgroups_path = absl::StrCat("/mydocker/", kId);

    host_.cap_last_cap = 40;
    host_.cgroup_namespace = true;
    host_.ping_group_range = true;
    host_.unprivileged_port_start = true;
    host_.hostname = "buildhost";
    host_.num_cpus = 4;
    host_.dev_dir = dir_ + "/dev";  // No device nodes: --privileged adds none.

    image_.cmd = {"sh"};
    image_.env = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/"
        "sbin:/bin"};
    // Tests must not depend on the environment they run in.
    run_.lookup_env =
        [](const std::string& name) -> std::optional<std::string> {
      if (name == "FROM_SHELL") return "shell-value";
      return std::nullopt;
    };
  }
  void TearDown() override { (void)base::RemoveAll(dir_); }

  void Write(const std::string& path, const std::string& data) {
    ASSERT_TRUE(base::WriteFileAtomic(path, data, 0644).ok()) << path;
  }

  Spec MustBuild() {
    absl::StatusOr<Spec> s = Build(image_, run_, paths_, host_);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : Spec{};
  }
  absl::Status BuildError() {
    return Build(image_, run_, paths_, host_).status();
  }

  static std::vector<std::string> Dests(const Spec& s) {
    std::vector<std::string> d;
    for (const Mount& m : s.mounts) d.push_back(m.destination);
    return d;
  }
  static const Mount* Find(const Spec& s, const std::string& dest) {
    for (const Mount& m : s.mounts) {
      if (m.destination == dest) return &m;
    }
    return nullptr;
  }
  static std::map<std::string, std::string> EnvMap(const Spec& s) {
    std::map<std::string, std::string> m;
    for (const std::string& e : s.process.env) {
      size_t eq = e.find('=');
      m[e.substr(0, eq)] = e.substr(eq + 1);
    }
    return m;
  }

  std::string dir_;
  std::string rootfs_;
  ImageConfig image_;
  RunOptions run_;
  Paths paths_;
  HostFeatures host_;
};

// ------------------------------------------------------ Entrypoint and Cmd

// The table in the Dockerfile reference, "Understand how CMD and
// ENTRYPOINT interact". Shell forms are stored in the image as
// ["/bin/sh", "-c", "<string>"]; the table shows what runs, these are the
// argv vectors behind it.
TEST_F(BuilderTest, EntrypointCmdTableFromTheDockerfileReference) {
  const std::vector<std::string> kNone;
  const std::vector<std::string> kEntryExec = {"exec_entry", "p1_entry"};
  const std::vector<std::string> kEntryShell = {"/bin/sh", "-c",
                                                "exec_entry p1_entry"};
  const std::vector<std::string> kCmdExec = {"exec_cmd", "p1_cmd"};
  const std::vector<std::string> kCmdShell = {"/bin/sh", "-c",
                                              "exec_cmd p1_cmd"};
  struct Row {
    std::vector<std::string> entrypoint, cmd, want;
  };
  const Row rows[] = {
      // No ENTRYPOINT.
      {kNone, kCmdExec, {"exec_cmd", "p1_cmd"}},
      {kNone, kCmdShell, {"/bin/sh", "-c", "exec_cmd p1_cmd"}},
      // ENTRYPOINT exec_entry p1_entry (shell form): /bin/sh -c ignores
      // the extra arguments, as the table says.
      {kEntryShell, kNone, {"/bin/sh", "-c", "exec_entry p1_entry"}},
      {kEntryShell,
       kCmdExec,
       {"/bin/sh", "-c", "exec_entry p1_entry", "exec_cmd", "p1_cmd"}},
      {kEntryShell,
       kCmdShell,
       {"/bin/sh", "-c", "exec_entry p1_entry", "/bin/sh", "-c",
        "exec_cmd p1_cmd"}},
      // ENTRYPOINT ["exec_entry", "p1_entry"].
      {kEntryExec, kNone, {"exec_entry", "p1_entry"}},
      {kEntryExec, kCmdExec, {"exec_entry", "p1_entry", "exec_cmd", "p1_cmd"}},
      {kEntryExec,
       kCmdShell,
       {"exec_entry", "p1_entry", "/bin/sh", "-c", "exec_cmd p1_cmd"}},
  };
  for (const Row& row : rows) {
    image_.entrypoint = row.entrypoint;
    image_.cmd = row.cmd;
    EXPECT_EQ(MustBuild().process.args, row.want);
  }
  // No ENTRYPOINT, no CMD: "error, not allowed".
  image_.entrypoint.clear();
  image_.cmd.clear();
  absl::Status err = BuildError();
  EXPECT_EQ(err.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(err.message(), "No command specified");
}

TEST_F(BuilderTest, RunOverridesOfEntrypointAndCmd) {
  image_.entrypoint = {"/docker-entrypoint.sh"};
  image_.cmd = {"nginx", "-g", "daemon off;"};
  struct Row {
    std::optional<std::vector<std::string>> entrypoint;
    std::vector<std::string> command;
    std::vector<std::string> want;  // Empty: "No command specified".
  };
  const Row rows[] = {
      // docker run IMAGE
      {std::nullopt,
       {},
       {"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"}},
      // docker run IMAGE nginx -T: the command replaces only Cmd.
      {std::nullopt, {"nginx", "-T"}, {"/docker-entrypoint.sh", "nginx", "-T"}},
      // --entrypoint sh: the image's Cmd goes too.
      {std::vector<std::string>{"sh"}, {}, {"sh"}},
      // --entrypoint sh IMAGE -c 'echo hi'
      {std::vector<std::string>{"sh"},
       {"-c", "echo hi"},
       {"sh", "-c", "echo hi"}},
      // --entrypoint "" IMAGE: nothing left to run.
      {std::vector<std::string>{""}, {}, {}},
      // --entrypoint "" IMAGE ls /: just the command.
      {std::vector<std::string>{""}, {"ls", "/"}, {"ls", "/"}},
      // The API's Entrypoint: [] drops the entrypoint but keeps Cmd.
      {std::vector<std::string>{}, {}, {"nginx", "-g", "daemon off;"}},
  };
  for (const Row& row : rows) {
    run_.entrypoint = row.entrypoint;
    run_.command = row.command;
    absl::StatusOr<Spec> s = Build(image_, run_, paths_, host_);
    if (row.want.empty()) {
      ASSERT_FALSE(s.ok());
      EXPECT_EQ(s.status().message(), "No command specified");
    } else {
      ASSERT_TRUE(s.ok()) << s.status();
      EXPECT_EQ(s->process.args, row.want);
    }
  }
}

TEST_F(BuilderTest, InitRunsTheCommandAndIsMountedReadOnly) {
  run_.init = true;
  run_.command = {"sleep", "1"};
  Spec s = MustBuild();
  EXPECT_THAT(s.process.args,
              ElementsAre("/sbin/docker-init", "--", "sleep", "1"));
  const Mount* init = Find(s, "/sbin/docker-init");
  ASSERT_NE(init, nullptr);
  EXPECT_EQ(init->type, "bind");
  EXPECT_EQ(init->source, "/usr/libexec/docker/docker-init");
  EXPECT_THAT(init->options, ElementsAre("bind", "ro"));

  paths_.init_binary.clear();
  EXPECT_EQ(BuildError().code(), absl::StatusCode::kInvalidArgument);
}

// ------------------------------------------------------------ Environment

TEST_F(BuilderTest, DefaultEnvironment) {
  image_.env.clear();
  Spec s = MustBuild();
  EXPECT_THAT(s.process.env,
              ElementsAre("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/"
                          "bin:/sbin:/bin",
                          "HOSTNAME=0123456789ab", "HOME=/root"));
}

TEST_F(BuilderTest, EnvMergeOrderAndOverrides) {
  image_.env = {"PATH=/opt/bin:/bin", "LANG=C.UTF-8", "A=image", "GONE=x"};
  run_.tty = true;
  run_.env = {"B=run", "A=run", "FROM_SHELL", "GONE", "EQ=a=b"};
  Spec s = MustBuild();
  // dockerd: PATH, HOSTNAME, TERM first (the image's PATH in place of the
  // default), then the user's entries, then the image's others; HOME last.
  EXPECT_THAT(
      s.process.env,
      ElementsAre("PATH=/opt/bin:/bin", "HOSTNAME=0123456789ab", "TERM=xterm",
                  "B=run", "A=run", "FROM_SHELL=shell-value", "EQ=a=b",
                  "LANG=C.UTF-8", "HOME=/root"));
}

TEST_F(BuilderTest, UserMayOverrideHostnameTermAndHome) {
  run_.tty = true;
  run_.env = {"HOSTNAME=custom", "TERM=vt100", "HOME=/tmp"};
  std::map<std::string, std::string> env = EnvMap(MustBuild());
  EXPECT_EQ(env["HOSTNAME"], "custom");
  EXPECT_EQ(env["TERM"], "vt100");
  EXPECT_EQ(env["HOME"], "/tmp");
}

TEST_F(BuilderTest, BareVariableNotInTheShellUnsetsIt) {
  image_.env = {"PATH=/img", "KEEP=1", "DROP=1"};
  run_.env = {"DROP", "PATH"};
  Spec s = MustBuild();
  EXPECT_THAT(s.process.env,
              ElementsAre("HOSTNAME=0123456789ab", "KEEP=1", "HOME=/root"));
}

TEST_F(BuilderTest, NoTermWithoutTty) {
  EXPECT_EQ(EnvMap(MustBuild()).count("TERM"), 0u);
}

TEST_F(BuilderTest, EnvFilesComeBeforeFlags) {
  Write(dir_ + "/a.env", "# settings\nX=file\nY=file\nFROM_SHELL\nNOT_SET\n");
  run_.env_files = {dir_ + "/a.env"};
  run_.env = {"Y=flag"};
  std::map<std::string, std::string> env = EnvMap(MustBuild());
  EXPECT_EQ(env["X"], "file");
  EXPECT_EQ(env["Y"], "flag");
  EXPECT_EQ(env["FROM_SHELL"], "shell-value");
  EXPECT_EQ(env.count("NOT_SET"), 0u);

  run_.env_files = {dir_ + "/missing.env"};
  EXPECT_EQ(BuildError().code(), absl::StatusCode::kNotFound);
  run_.env_files.clear();
  run_.env = {"=bad"};
  EXPECT_EQ(BuildError().message(), "invalid environment variable: =bad");
}

TEST_F(BuilderTest, HomeFollowsTheUser) {
  run_.user = "nginx";
  EXPECT_EQ(EnvMap(MustBuild())["HOME"], "/var/cache/nginx");
  run_.user = "4242";  // No passwd entry.
  EXPECT_EQ(EnvMap(MustBuild())["HOME"], "/");
  run_.user.clear();
  run_.env = {"HOME="};  // Empty counts as unset, as runc sees it.
  EXPECT_EQ(EnvMap(MustBuild())["HOME"], "/root");
}

// ----------------------------------------------------- Working directory

TEST_F(BuilderTest, WorkingDirectory) {
  EXPECT_EQ(MustBuild().process.cwd, "/");
  image_.working_dir = "/usr/src/app";
  EXPECT_EQ(MustBuild().process.cwd, "/usr/src/app");
  run_.workdir = "/srv//x/../y/";
  EXPECT_EQ(MustBuild().process.cwd, "/srv/y");
  run_.workdir = "relative";
  EXPECT_EQ(BuildError().message(),
            "the working directory 'relative' is invalid, it needs to be an "
            "absolute path");
}

// ------------------------------------------------------------------ User

TEST_F(BuilderTest, UserForms) {
  struct Row {
    std::string image_user, run_user;
    uint32_t uid, gid;
    std::vector<uint32_t> gids;
  };
  const Row rows[] = {
      {"", "", 0, 0, {0}},
      {"nginx", "", 101, 101, {101, 44}},
      {"nginx", "app", 1000, 1000, {1000, 10, 44}},
      {"", "1000", 1000, 1000, {1000, 10, 44}},
      {"", "app:wheel", 1000, 10, {10}},
      {"", "5555", 5555, 0, {0}},
      {"", "5555:6666", 5555, 6666, {6666}},
      {"", ":video", 0, 44, {44}},
  };
  for (const Row& row : rows) {
    image_.user = row.image_user;
    run_.user = row.run_user;
    Spec s = MustBuild();
    EXPECT_EQ(s.process.user.uid, row.uid) << row.run_user;
    EXPECT_EQ(s.process.user.gid, row.gid) << row.run_user;
    EXPECT_EQ(s.process.user.additional_gids, row.gids) << row.run_user;
  }
}

TEST_F(BuilderTest, GroupAdd) {
  run_.user = "app";
  run_.group_add = {"nginx", "2000", "wheel"};
  EXPECT_THAT(MustBuild().process.user.additional_gids,
              ElementsAre(1000u, 10u, 44u, 101u, 2000u));
  run_.group_add = {"nosuch"};
  EXPECT_EQ(BuildError().message(), "Unable to find group nosuch");
}

TEST_F(BuilderTest, UnknownUser) {
  run_.user = "xyz";
  absl::Status err = BuildError();
  EXPECT_EQ(err.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(err.message(),
            "unable to find user xyz: no matching entries in passwd file");
}

TEST_F(BuilderTest, MissingRootfs) {
  paths_.rootfs = dir_ + "/no-such-rootfs";
  absl::Status err = BuildError();
  EXPECT_EQ(err.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(err.message()), HasSubstr("no-such-rootfs"));
  paths_.rootfs = "relative/rootfs";
  EXPECT_EQ(BuildError().code(), absl::StatusCode::kInvalidArgument);
  paths_.rootfs = rootfs_;
  paths_.container_id = "abc";
  EXPECT_EQ(BuildError().code(), absl::StatusCode::kInvalidArgument);
}

// ----------------------------------------------------------- Capabilities

TEST_F(BuilderTest, RootGetsTheDefaultsInBoundingEffectivePermitted) {
  Capabilities c = MustBuild().process.capabilities;
  EXPECT_EQ(c.bounding, DefaultCapabilities());
  EXPECT_EQ(c.effective, DefaultCapabilities());
  EXPECT_EQ(c.permitted, DefaultCapabilities());
  EXPECT_THAT(c.inheritable, IsEmpty());
  EXPECT_THAT(c.ambient, IsEmpty());
}

TEST_F(BuilderTest, NonRootGetsOnlyTheBoundingSet) {
  run_.user = "app";
  Capabilities c = MustBuild().process.capabilities;
  EXPECT_EQ(c.bounding, DefaultCapabilities());
  EXPECT_THAT(c.effective, IsEmpty());
  EXPECT_THAT(c.permitted, IsEmpty());
  EXPECT_THAT(c.inheritable, IsEmpty());
  EXPECT_THAT(c.ambient, IsEmpty());
  // uid 0 with another group is still root.
  run_.user = "0:44";
  EXPECT_EQ(MustBuild().process.capabilities.effective, DefaultCapabilities());
}

TEST_F(BuilderTest, CapAddDropAndAll) {
  run_.cap_add = {"net_admin"};
  run_.cap_drop = {"CAP_NET_RAW", "mknod"};
  Capabilities c = MustBuild().process.capabilities;
  EXPECT_THAT(c.bounding, Contains("CAP_NET_ADMIN"));
  EXPECT_THAT(c.bounding, Not(Contains("CAP_NET_RAW")));
  EXPECT_THAT(c.bounding, Not(Contains("CAP_MKNOD")));
  EXPECT_EQ(c.bounding.size(), 13u);
  EXPECT_EQ(c.effective, c.bounding);

  run_.cap_add = {"ALL"};
  run_.cap_drop = {"sys_admin"};
  c = MustBuild().process.capabilities;
  EXPECT_EQ(c.bounding.size(), 40u);
  EXPECT_THAT(c.bounding, Not(Contains("CAP_SYS_ADMIN")));

  run_.cap_add = {"chown"};
  run_.cap_drop = {"all"};
  EXPECT_THAT(MustBuild().process.capabilities.bounding,
              ElementsAre("CAP_CHOWN"));

  run_.cap_add = {"CAP_NOPE"};
  EXPECT_EQ(BuildError().message(),
            "invalid CapAdd: unknown capability: \"CAP_NOPE\"");
}

// -------------------------------------------------------------- Privileged

TEST_F(BuilderTest, UnprivilegedDefaults) {
  Spec s = MustBuild();
  EXPECT_EQ(s.linux.masked_paths, DefaultMaskedPaths());
  EXPECT_EQ(s.linux.readonly_paths, DefaultReadonlyPaths());
  ASSERT_TRUE(s.linux.resources.has_value());
  EXPECT_EQ(s.linux.resources->devices.size(), DefaultDeviceRules().size());
  EXPECT_FALSE(s.linux.resources->devices[0].allow);
  ASSERT_EQ(s.linux.devices.size(), DefaultDevices().size());
  EXPECT_EQ(s.linux.devices[0].path, "/dev/null");
  EXPECT_THAT(Find(s, "/sys")->options, Contains("ro"));
  EXPECT_THAT(Find(s, "/sys/fs/cgroup")->options, Contains("ro"));
  EXPECT_FALSE(s.process.no_new_privileges);
}

TEST_F(BuilderTest, Privileged) {
  run_.privileged = true;
  run_.cap_drop = {"ALL"};  // Ignored with --privileged.
  Spec s = MustBuild();
  EXPECT_EQ(s.process.capabilities.bounding, AllCapabilities(40));
  EXPECT_EQ(s.process.capabilities.effective, AllCapabilities(40));
  EXPECT_THAT(s.linux.masked_paths, IsEmpty());
  EXPECT_THAT(s.linux.readonly_paths, IsEmpty());
  ASSERT_EQ(s.linux.resources->devices.size(), 1u);
  EXPECT_TRUE(s.linux.resources->devices[0].allow);
  EXPECT_EQ(s.linux.resources->devices[0].type, "a");
  EXPECT_THAT(s.linux.devices, IsEmpty());  // host_.dev_dir has no nodes.
  EXPECT_THAT(Find(s, "/sys")->options,
              ElementsAre("nosuid", "noexec", "nodev"));
  EXPECT_THAT(Find(s, "/sys/fs/cgroup")->options,
              ElementsAre("nosuid", "noexec", "nodev"));
}

TEST_F(BuilderTest, PrivilegedGetsOnlyTheBoundingSetThereIs) {
  run_.privileged = true;
  // Like this machine: every capability but CAP_SYS_RESOURCE (24).
  host_.bounding_set = ((uint64_t{1} << 41) - 1) & ~(uint64_t{1} << 24);
  Spec s = MustBuild();
  std::vector<std::string> want = AllCapabilities(40);
  want.erase(want.begin() + 24);
  ASSERT_EQ(AllCapabilities(40)[24], "CAP_SYS_RESOURCE");
  EXPECT_EQ(s.process.capabilities.bounding, want);
  EXPECT_EQ(s.process.capabilities.effective, want);
  // Not privileged: Docker's set as asked, whatever the bounding set.
  run_.privileged = false;
  run_.cap_add = {"SYS_RESOURCE"};
  s = MustBuild();
  EXPECT_THAT(s.process.capabilities.bounding, Contains("CAP_SYS_RESOURCE"));
}

TEST_F(BuilderTest, CheckRunOptionsRefusesWhatBuildWouldAtCreateTime) {
  EXPECT_TRUE(CheckRunOptions(run_, host_).ok());
  RunOptions bad = run_;
  bad.memory = 1024;
  EXPECT_EQ(CheckRunOptions(bad, host_).message(),
            "Minimum memory limit allowed is 6MB");
  bad = run_;
  bad.cap_add = {"CAP_NOPE"};
  EXPECT_EQ(CheckRunOptions(bad, host_).code(), absl::StatusCode::kInvalidArgument);
  bad = run_;
  bad.tmpfs = {"relative"};
  EXPECT_EQ(CheckRunOptions(bad, host_).code(), absl::StatusCode::kInvalidArgument);
  bad = run_;
  bad.nano_cpus = 64'000'000'000;  // host_ has 4
  EXPECT_FALSE(CheckRunOptions(bad, host_).ok());
}

TEST_F(BuilderTest, PrivilegedGetsTheHostsDevices) {
  run_.privileged = true;
  host_.dev_dir = "/dev";
  Spec s = MustBuild();
  bool null_found = false;
  for (const Device& d : s.linux.devices) null_found |= d.path == "/dev/null";
  EXPECT_TRUE(null_found);
}

TEST_F(BuilderTest, SecurityOpts) {
  ASSERT_TRUE(ApplySecurityOpt("no-new-privileges", run_).ok());
  EXPECT_TRUE(run_.no_new_privileges);
  ASSERT_TRUE(ApplySecurityOpt("no-new-privileges=false", run_).ok());
  EXPECT_FALSE(run_.no_new_privileges);
  ASSERT_TRUE(ApplySecurityOpt("no-new-privileges:true", run_).ok());
  EXPECT_TRUE(run_.no_new_privileges);
  EXPECT_TRUE(MustBuild().process.no_new_privileges);

  ASSERT_TRUE(ApplySecurityOpt("systempaths=unconfined", run_).ok());
  Spec s = MustBuild();
  EXPECT_THAT(s.linux.masked_paths, IsEmpty());
  EXPECT_THAT(s.linux.readonly_paths, IsEmpty());
  // Everything else stays unprivileged.
  EXPECT_EQ(s.process.capabilities.bounding, DefaultCapabilities());

  EXPECT_TRUE(ApplySecurityOpt("seccomp=unconfined", run_).ok());
  EXPECT_TRUE(ApplySecurityOpt("apparmor=unconfined", run_).ok());
  EXPECT_TRUE(ApplySecurityOpt("label=disable", run_).ok());
  EXPECT_EQ(ApplySecurityOpt("seccomp=/my/profile.json", run_).code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(ApplySecurityOpt("no-new-privileges=maybe", run_).message(),
            "invalid --security-opt 2: \"no-new-privileges=maybe\"");
  EXPECT_EQ(ApplySecurityOpt("bogus", run_).message(),
            "invalid --security-opt: \"bogus\"");
  EXPECT_EQ(ApplySecurityOpt("foo=bar", run_).code(),
            absl::StatusCode::kInvalidArgument);
}

// ------------------------------------------------------------------ Mounts

TEST_F(BuilderTest, DefaultMountsThenEtcFiles) {
  Spec s = MustBuild();
  EXPECT_THAT(Dests(s),
              ElementsAre("/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup",
                          "/dev/mqueue", "/dev/shm", "/etc/resolv.conf",
                          "/etc/hostname", "/etc/hosts"));
  const Mount* hosts = Find(s, "/etc/hosts");
  EXPECT_EQ(hosts->type, "bind");
  EXPECT_EQ(hosts->source, dir_ + "/hosts");
  EXPECT_THAT(hosts->options, ElementsAre("rbind", "rprivate"));
  EXPECT_THAT(Find(s, "/dev/shm")->options.back(), "size=67108864");

  paths_.hostname_file.clear();
  paths_.hosts_file.clear();
  paths_.resolv_conf_file.clear();
  run_.shm_size = *ParseBytes("1g");
  s = MustBuild();
  EXPECT_EQ(s.mounts.size(), 7u);
  EXPECT_THAT(Find(s, "/dev/shm")->options.back(), "size=1073741824");
}

TEST_F(BuilderTest, UserMountsComeLastSortedByDepth) {
  run_.binds = {
      ParseVolume("/srv/logs:/var/log/app:ro")->ToBindMount("/srv/logs"),
      ParseVolume("/srv/data:/data")->ToBindMount("/srv/data"),
      ParseVolume("vol:/data/cache")
          ->ToBindMount("/var/lib/mydocker/volumes/vol/_data"),
  };
  run_.tmpfs = {"/run:rw,size=64m", "/tmp"};
  Spec s = MustBuild();
  EXPECT_THAT(Dests(s), ElementsAre("/proc", "/dev", "/dev/pts", "/sys",
                                    "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm",
                                    // Depth 1, then 2, then 3; Docker's order
                                    // among equals: binds, /etc files, tmpfs.
                                    "/data", "/run", "/tmp", "/data/cache",
                                    "/etc/resolv.conf", "/etc/hostname",
                                    "/etc/hosts", "/var/log/app"));
  EXPECT_THAT(Find(s, "/var/log/app")->options,
              ElementsAre("rbind", "ro", "rprivate"));
  EXPECT_EQ(Find(s, "/data/cache")->source,
            "/var/lib/mydocker/volumes/vol/_data");
  EXPECT_THAT(
      Find(s, "/run")->options,
      ElementsAre("noexec", "nosuid", "nodev", "rprivate", "rw", "size=64m"));
  EXPECT_EQ(Find(s, "/tmp")->type, "tmpfs");
}

TEST_F(BuilderTest, UserMountReplacesDefaultsAndEtcFiles) {
  run_.binds = {
      ParseVolume("/my/hosts:/etc/hosts:ro")->ToBindMount("/my/hosts"),
      ParseVolume("/my/shm:/dev/shm")->ToBindMount("/my/shm"),
  };
  Spec s = MustBuild();
  std::vector<std::string> dests = Dests(s);
  EXPECT_EQ(std::count(dests.begin(), dests.end(), "/etc/hosts"), 1);
  EXPECT_EQ(Find(s, "/etc/hosts")->source, "/my/hosts");
  EXPECT_EQ(Find(s, "/dev/shm")->source, "/my/shm");
  EXPECT_EQ(Find(s, "/dev/shm")->type, "bind");

  // A user /dev takes everything under /dev with it.
  run_.binds = {ParseVolume("/hostdev:/dev")->ToBindMount("/hostdev")};
  s = MustBuild();
  EXPECT_THAT(Dests(s),
              ElementsAre("/proc", "/sys", "/sys/fs/cgroup", "/dev",
                          "/etc/resolv.conf", "/etc/hostname", "/etc/hosts"));
}

TEST_F(BuilderTest, TmpfsLastOneWinsAndDuplicatesAreRefused) {
  run_.tmpfs = {"/run:size=1m", "/run:size=2m"};
  EXPECT_THAT(Find(MustBuild(), "/run")->options, Contains("size=2m"));

  run_.binds = {ParseVolume("/a:/run")->ToBindMount("/a")};
  EXPECT_EQ(BuildError().message(), "Duplicate mount point: /run");

  run_.tmpfs.clear();
  run_.binds = {ParseVolume("/a:/x")->ToBindMount("/a"),
                ParseVolume("/b:/x/")->ToBindMount("/b")};
  EXPECT_EQ(BuildError().message(), "Duplicate mount point: /x");

  run_.binds.clear();
  run_.tmpfs = {"relative"};
  EXPECT_EQ(BuildError().code(), absl::StatusCode::kInvalidArgument);
  run_.tmpfs = {"/x:nonsense"};
  EXPECT_EQ(BuildError().message(),
            "--tmpfs /x: Invalid tmpfs option \"nonsense\"");
}

TEST_F(BuilderTest, BadBinds) {
  BindMount b;
  b.source = "relative";
  b.destination = "/x";
  run_.binds = {b};
  EXPECT_EQ(BuildError().code(), absl::StatusCode::kInvalidArgument);
  b.source = "/abs";
  b.destination = "/";
  run_.binds = {b};
  EXPECT_EQ(BuildError().message(),
            "invalid specification: destination can't be '/'");
  b.destination = "/x";
  b.propagation = "weird";
  run_.binds = {b};
  EXPECT_EQ(BuildError().message(), "invalid propagation mode: weird");
}

TEST_F(BuilderTest, ReadOnlyRootfs) {
  run_.read_only = true;
  run_.init = true;
  run_.binds = {ParseVolume("/srv:/srv")->ToBindMount("/srv")};
  run_.tmpfs = {"/run"};
  Spec s = MustBuild();
  EXPECT_TRUE(s.root.readonly);
  auto has_ro = [&](const char* dest) {
    const Mount* m = Find(s, dest);
    EXPECT_NE(m, nullptr) << dest;
    return m != nullptr &&
           std::count(m->options.begin(), m->options.end(), "ro") == 1;
  };
  // Writable: the kernel filesystems a process needs, and the user's mounts.
  for (const char* dest : {"/proc", "/dev", "/dev/pts", "/dev/shm",
                           "/dev/mqueue", "/srv", "/run"}) {
    EXPECT_FALSE(has_ro(dest)) << dest;
  }
  // Read-only: /sys, cgroups, the init, and the /etc files.
  for (const char* dest : {"/sys", "/sys/fs/cgroup", "/sbin/docker-init",
                           "/etc/hosts", "/etc/hostname", "/etc/resolv.conf"}) {
    EXPECT_TRUE(has_ro(dest)) << dest;
  }
  // --privileged still makes /sys writable.
  run_.privileged = true;
  s = MustBuild();
  EXPECT_THAT(Find(s, "/sys")->options, Not(Contains("ro")));
}

TEST_F(BuilderTest, RootfsPropagation) {
  EXPECT_EQ(MustBuild().linux.rootfs_propagation, "rslave");
  run_.binds = {ParseVolume("/a:/a:rslave")->ToBindMount("/a")};
  EXPECT_EQ(MustBuild().linux.rootfs_propagation, "rslave");
  run_.binds.push_back(ParseVolume("/b:/b:rshared")->ToBindMount("/b"));
  Spec s = MustBuild();
  EXPECT_EQ(s.linux.rootfs_propagation, "shared");
  EXPECT_THAT(Find(s, "/b")->options, ElementsAre("rbind", "rshared"));
}

// ---------------------------------------------------------- Namespaces

TEST_F(BuilderTest, Namespaces) {
  auto types = [](const Spec& s) {
    std::vector<std::string> t;
    for (const Namespace& n : s.linux.namespaces) {
      t.push_back(n.type);
      EXPECT_EQ(n.path, "");
    }
    return t;
  };
  EXPECT_THAT(types(MustBuild()),
              ElementsAre("mount", "network", "uts", "pid", "ipc", "cgroup"));
  for (const char* mode : {"none", "bridge", "mynet", ""}) {
    run_.network = mode;
    EXPECT_THAT(types(MustBuild()), Contains("network")) << mode;
  }
  run_.network = "host";
  host_.cgroup_namespace = false;
  EXPECT_THAT(types(MustBuild()), ElementsAre("mount", "uts", "pid", "ipc"));
  run_.network = "container:abc";
  EXPECT_EQ(BuildError().code(), absl::StatusCode::kUnimplemented);
}

TEST_F(BuilderTest, HostnameDomainnameAndSysctls) {
  Spec s = MustBuild();
  EXPECT_EQ(s.hostname, "0123456789ab");
  EXPECT_THAT(s.linux.sysctl,
              ElementsAre(std::pair<const std::string, std::string>(
                              "net.ipv4.ip_unprivileged_port_start", "0"),
                          std::pair<const std::string, std::string>(
                              "net.ipv4.ping_group_range", "0 2147483647")));
  run_.hostname = "web";
  run_.domainname = "example.com";
  s = MustBuild();
  EXPECT_EQ(s.hostname, "web");
  EXPECT_EQ(EnvMap(s)["HOSTNAME"], "web");
  EXPECT_EQ(s.linux.sysctl.at("kernel.domainname"), "example.com");

  // Host network: the host's name, and no network sysctls.
  run_.hostname.clear();
  run_.domainname.clear();
  run_.network = "host";
  s = MustBuild();
  EXPECT_EQ(s.hostname, "buildhost");
  EXPECT_THAT(s.linux.sysctl, IsEmpty());

  // Sysctls the host kernel lacks are left out.
  run_.network = "none";
  host_.ping_group_range = false;
  host_.unprivileged_port_start = false;
  EXPECT_THAT(MustBuild().linux.sysctl, IsEmpty());

  run_.hostname = std::string(65, 'h');
  EXPECT_EQ(BuildError().code(), absl::StatusCode::kInvalidArgument);
}

// --------------------------------------------------------------- Resources

TEST_F(BuilderTest, NoLimitsByDefault) {
  Spec s = MustBuild();
  EXPECT_FALSE(s.linux.resources->memory.has_value());
  EXPECT_FALSE(s.linux.resources->cpu.has_value());
  EXPECT_FALSE(s.linux.resources->pids.has_value());
  EXPECT_EQ(s.process.oom_score_adj, 0);
  EXPECT_THAT(s.process.rlimits, IsEmpty());
  EXPECT_EQ(s.linux.cgroups_path, absl::StrCat("/mydocker/", kId));
  EXPECT_EQ(s.root.path, rootfs_);
  EXPECT_FALSE(s.root.readonly);
  EXPECT_FALSE(s.process.terminal);
}

TEST_F(BuilderTest, MemoryAndSwap) {
  run_.memory = *ParseBytes("512m");
  Memory m = *MustBuild().linux.resources->memory;
  EXPECT_EQ(m.limit, 536870912);
  EXPECT_EQ(m.swap, 2 * 536870912LL);  // Docker: swap as large as memory.
  EXPECT_FALSE(m.reservation.has_value());

  run_.memory_swap = *ParseMemorySwap("1g");
  EXPECT_EQ(MustBuild().linux.resources->memory->swap, 1073741824);
  run_.memory_swap = *ParseMemorySwap("-1");
  EXPECT_EQ(MustBuild().linux.resources->memory->swap, -1);
  run_.memory_reservation = *ParseBytes("256m");
  EXPECT_EQ(MustBuild().linux.resources->memory->reservation, 268435456);

  struct Bad {
    int64_t memory, swap, reservation;
    const char* message;
  };
  const Bad bad[] = {
      {1 << 20, 0, 0, "Minimum memory limit allowed is 6MB"},
      {536870912, 268435456, 0,
       "Minimum memoryswap limit should be larger than memory limit, see "
       "usage"},
      {0, 536870912, 0,
       "You should always set the Memory limit when using Memoryswap limit, "
       "see usage"},
      {0, 0, 1 << 20, "Minimum memory reservation allowed is 6MB"},
      {67108864, 0, 134217728,
       "Minimum memory limit can not be less than memory reservation limit, "
       "see usage"},
  };
  for (const Bad& b : bad) {
    run_.memory = b.memory;
    run_.memory_swap = b.swap;
    run_.memory_reservation = b.reservation;
    absl::Status err = BuildError();
    EXPECT_EQ(err.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(err.message(), b.message);
  }
  // A reservation alone is fine.
  run_.memory = 0;
  run_.memory_swap = 0;
  run_.memory_reservation = 67108864;
  m = *MustBuild().linux.resources->memory;
  EXPECT_FALSE(m.limit.has_value());
  EXPECT_FALSE(m.swap.has_value());
  EXPECT_EQ(m.reservation, 67108864);
}

TEST_F(BuilderTest, Cpus) {
  run_.nano_cpus = *ParseCpus("1.5");
  Cpu c = *MustBuild().linux.resources->cpu;
  EXPECT_EQ(c.quota, 150000);
  EXPECT_EQ(c.period, 100000u);
  EXPECT_FALSE(c.shares.has_value());

  run_.nano_cpus = *ParseCpus("0.01");
  EXPECT_EQ(MustBuild().linux.resources->cpu->quota, 1000);

  run_.nano_cpus = *ParseCpus("4.5");
  EXPECT_EQ(BuildError().message(),
            "Range of CPUs is from 0.01 to 4.00, as there are only 4 CPUs "
            "available");
  run_.nano_cpus = *ParseCpus("-1");
  EXPECT_EQ(BuildError().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(BuilderTest, CpuSharesAndCpuset) {
  run_.cpu_shares = 512;
  run_.cpuset_cpus = "0-2,3";
  run_.cpuset_mems = "0";
  Cpu c = *MustBuild().linux.resources->cpu;
  EXPECT_EQ(c.shares, 512u);
  EXPECT_EQ(c.cpus, "0-2,3");
  EXPECT_EQ(c.mems, "0");
  EXPECT_FALSE(c.quota.has_value());
  // dockerd clamps shares to what the kernel takes.
  run_.cpu_shares = 1;
  EXPECT_EQ(MustBuild().linux.resources->cpu->shares, 2u);
  run_.cpu_shares = 1000000;
  EXPECT_EQ(MustBuild().linux.resources->cpu->shares, 262144u);
  run_.cpu_shares = -1;
  EXPECT_EQ(BuildError().message(), "shares: invalid argument");
  run_.cpu_shares = 0;
  for (const char* bad : {"a", "1-", "-1", "3-1", "1,,2", "0-1-2", " 1"}) {
    run_.cpuset_cpus = bad;
    EXPECT_EQ(BuildError().message(),
              absl::StrCat("Invalid value ", bad, " for cpuset cpus"))
        << bad;
  }
}

TEST_F(BuilderTest, PidsLimit) {
  run_.pids_limit = 100;
  EXPECT_EQ(MustBuild().linux.resources->pids->limit, 100);
  run_.pids_limit = 0;
  EXPECT_EQ(MustBuild().linux.resources->pids->limit, -1);
  run_.pids_limit = -1;
  EXPECT_EQ(MustBuild().linux.resources->pids->limit, -1);
}

TEST_F(BuilderTest, OomScoreAdjAndTty) {
  run_.oom_score_adj = -500;
  run_.tty = true;
  Spec s = MustBuild();
  EXPECT_EQ(s.process.oom_score_adj, -500);
  EXPECT_TRUE(s.process.terminal);
  run_.oom_score_adj = 1001;
  EXPECT_EQ(BuildError().message(),
            "Invalid value 1001, range for oom score adj is [-1000, 1000]");
}

// ------------------------------------------------------------------- JSON

TEST_F(BuilderTest, SpecSurvivesConfigJson) {
  image_.entrypoint = {"/docker-entrypoint.sh"};
  run_.user = "app";
  run_.tty = true;
  run_.memory = *ParseBytes("512m");
  run_.nano_cpus = *ParseCpus("1.5");
  run_.pids_limit = 64;
  run_.binds = {ParseVolume("/srv:/srv:ro")->ToBindMount("/srv")};
  run_.tmpfs = {"/run"};
  run_.init = true;
  Spec s = MustBuild();
  std::string text = ToJson(s).dump(2);
  absl::StatusOr<Spec> back = FromJson(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ToJson(*back).dump(2), text);
  EXPECT_EQ(back->process.args, s.process.args);
  EXPECT_EQ(back->linux.resources->devices.size(),
            s.linux.resources->devices.size());
}

TEST_F(BuilderTest, DetectsTheHostItself) {
  // The three-argument Build reads this host's features.
  absl::StatusOr<Spec> s = Build(image_, run_, paths_);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->process.capabilities.bounding, DefaultCapabilities());
}

}  // namespace
}  // namespace mydocker::spec
