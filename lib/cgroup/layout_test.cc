#include "lib/cgroup/layout.h"

#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/cgroup/testing.h"

namespace mydocker::cgroup {
namespace {

using Strings = std::vector<std::string>;

// This machine's table, abridged: v1 hierarchies plus a cgroup2 mount at
// unified/ (hybrid), and unrelated mounts around them.
constexpr char kHybrid[] =
    "22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup "
    "rw,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
    "rw,xattr,release_agent=/x,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

// systemd's v2-only layout.
constexpr char kUnified[] =
    "24 19 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - "
    "cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
    "25 19 0:23 / /proc rw - proc proc rw\n";

TEST(ParseMountinfoTest, Hybrid) {
  absl::StatusOr<Layout> l = ParseMountinfo(kHybrid, "/sys/fs/cgroup");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->version, Version::kV1);
  ASSERT_EQ(l->v1.size(), 4u);
  EXPECT_EQ(l->v1[0].mount_point, "/sys/fs/cgroup/cpu");
  EXPECT_EQ(l->v1[0].controllers, Strings{"cpu"});
  EXPECT_EQ(l->v1[3].controllers, Strings{"name=systemd"});  // Flags dropped.
  EXPECT_EQ(l->v1[3].Key(), "name=systemd");
  ASSERT_NE(l->FindV1("memory"), nullptr);
  EXPECT_EQ(l->FindV1("memory")->mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(l->FindV1("memory")->root, "/");
  EXPECT_EQ(l->FindV1("pids"), nullptr);
  ASSERT_TRUE(l->unified.has_value());
  EXPECT_EQ(l->unified->mount_point, "/sys/fs/cgroup/unified");
  EXPECT_TRUE(l->unified->controllers.empty());
}

TEST(ParseMountinfoTest, Unified) {
  absl::StatusOr<Layout> l = ParseMountinfo(kUnified, "/sys/fs/cgroup/");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->version, Version::kV2);
  ASSERT_TRUE(l->unified.has_value());
  EXPECT_EQ(l->unified->mount_point, "/sys/fs/cgroup");
  EXPECT_TRUE(l->v1.empty());
}

TEST(ParseMountinfoTest, ComountedEscapedAndBindMountedRoot) {
  // cpu,cpuacct share one hierarchy; a mount point with a space (\040); a
  // container's view without a cgroup namespace: the mount shows a subtree.
  constexpr char kText[] =
      "50 40 0:40 /docker/abc /my\\040cg/cpu,cpuacct ro,nosuid master:9 - "
      "cgroup cgroup rw,cpu,cpuacct\n"
      "51 40 0:41 /docker/abc /my\\040cg/pids rw - cgroup cgroup rw,pids\n";
  absl::StatusOr<Layout> l = ParseMountinfo(kText, "/my cg");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->version, Version::kV1);
  EXPECT_FALSE(l->unified.has_value());
  ASSERT_EQ(l->v1.size(), 2u);
  EXPECT_EQ(l->v1[0].mount_point, "/my cg/cpu,cpuacct");
  EXPECT_EQ(l->v1[0].controllers, (Strings{"cpu", "cpuacct"}));
  EXPECT_EQ(l->v1[0].Key(), "cpu,cpuacct");
  EXPECT_EQ(l->v1[0].root, "/docker/abc");
  EXPECT_EQ(l->FindV1("cpuacct"), &l->v1[0]);

  // /proc/<pid>/cgroup paths map through the mount's root.
  absl::StatusOr<std::string> d =
      l->DirOfProcessPath("cpuacct,cpu", "/docker/abc/x");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, "/my cg/cpu,cpuacct/x");
  d = l->DirOfProcessPath("pids", "/docker/abc");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, "/my cg/pids");
  EXPECT_TRUE(absl::IsFailedPrecondition(
      l->DirOfProcessPath("pids", "/docker/abcd").status()));
  EXPECT_TRUE(absl::IsNotFound(l->DirOfProcessPath("memory", "/").status()));
  EXPECT_TRUE(absl::IsNotFound(l->DirOfProcessPath("", "/").status()));
}

TEST(ParseMountinfoTest, LaterMountHidesEarlierOnes) {
  // v1 hierarchies, then cgroup2 mounted over the whole of /sys/fs/cgroup.
  std::string text = std::string(kHybrid) +
                     "60 22 0:50 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
  absl::StatusOr<Layout> l = ParseMountinfo(text, "/sys/fs/cgroup");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->version, Version::kV2);
  EXPECT_EQ(l->unified->mount_point, "/sys/fs/cgroup");
}

TEST(ParseMountinfoTest, IgnoresMountsOutsideRootAndSameHierarchyTwice) {
  constexpr char kText[] =
      "32 31 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "33 31 0:29 / /sys/fs/cgroup/memory2 rw - cgroup cgroup rw,memory\n"
      "34 31 0:38 / /mnt/cg2 rw - cgroup2 cgroup2 rw\n"
      "35 31 0:38 / /sys/fs/cgroupx rw - cgroup2 cgroup2 rw\n";
  absl::StatusOr<Layout> l = ParseMountinfo(kText, "/sys/fs/cgroup");
  ASSERT_TRUE(l.ok()) << l.status();
  ASSERT_EQ(l->v1.size(), 1u);
  EXPECT_EQ(l->v1[0].mount_point, "/sys/fs/cgroup/memory");
  EXPECT_FALSE(l->unified.has_value());
}

TEST(ParseMountinfoTest, LoneCgroup2BelowRootIsV2) {
  absl::StatusOr<Layout> l = ParseMountinfo(
      "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n",
      "/sys/fs/cgroup");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->version, Version::kV2);
  EXPECT_EQ(l->unified->mount_point, "/sys/fs/cgroup/unified");
}

TEST(ParseMountinfoTest, Errors) {
  EXPECT_TRUE(absl::IsNotFound(
      ParseMountinfo("25 19 0:23 / /proc rw - proc proc rw\n", "/sys/fs/cgroup")
          .status()));
  EXPECT_TRUE(absl::IsNotFound(ParseMountinfo("", "/sys/fs/cgroup").status()));
  absl::Status s =
      ParseMountinfo("32 31 0:29 / /sys/fs/cgroup/memory rw cgroup\n",
                     "/sys/fs/cgroup")
          .status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_NE(s.message().find("malformed"), absl::string_view::npos) << s;
}

TEST(DetectTest, ThisMachine) {
  // Whatever this host is, it has cgroups mounted at the usual place, and
  // this process's own cgroups map to existing directories.
  if (geteuid() == 0) {
    absl::Status s = testing::MountHostCgroups();
    ASSERT_TRUE(s.ok()) << s;
  }
  absl::StatusOr<Layout> l = Detect();
  ASSERT_TRUE(l.ok()) << l.status();
  absl::StatusOr<std::map<std::string, std::string>> mine =
      ProcessCgroups(getpid());
  ASSERT_TRUE(mine.ok()) << mine.status();
  if (l->version == Version::kV1) {
    ASSERT_NE(l->FindV1("memory"), nullptr);
    ASSERT_TRUE(mine->contains("memory"));
  } else {
    ASSERT_TRUE(mine->contains(""));
  }
  for (const auto& [key, path] : *mine) {
    absl::StatusOr<std::string> dir = l->DirOfProcessPath(key, path);
    if (absl::IsNotFound(dir.status())) continue;  // A hierarchy not mounted.
    ASSERT_TRUE(dir.ok()) << key << ": " << dir.status();
    EXPECT_EQ(access(dir->c_str(), F_OK), 0) << *dir;
  }
}

TEST(ParseProcCgroupTest, V1AndV2Lines) {
  absl::StatusOr<std::map<std::string, std::string>> m = ParseProcCgroup(
      "9:name=systemd:/\n"
      "4:memory:/process_api/7f0a\n"
      "2:cpu,cpuacct:/a:b\n"  // A ':' in a cgroup name is legal.
      "0::/user.slice\n");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, (std::map<std::string, std::string>{
                    {"name=systemd", "/"},
                    {"memory", "/process_api/7f0a"},
                    {"cpu,cpuacct", "/a:b"},
                    {"", "/user.slice"},
                }));
  EXPECT_TRUE(absl::IsDataLoss(ParseProcCgroup("x:memory:/\n").status()));
  EXPECT_TRUE(absl::IsDataLoss(ParseProcCgroup("4:memory\n").status()));
  EXPECT_TRUE(absl::IsDataLoss(ParseProcCgroup("4:memory:rel\n").status()));
}

TEST(ProcessCgroupsTest, NoSuchProcess) {
  EXPECT_TRUE(absl::IsNotFound(ProcessCgroups(0x3ffffff).status()));
}

TEST(ValidateCgroupPathTest, Paths) {
  EXPECT_TRUE(ValidateCgroupPath("/mydocker/abc").ok());
  EXPECT_TRUE(ValidateCgroupPath("/x").ok());
  for (const char* bad : {"", "/", "mydocker/abc", "/mydocker//abc",
                          "/mydocker/abc/", "/mydocker/../etc", "/./x"}) {
    absl::Status s = ValidateCgroupPath(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << bad << ": " << s;
  }
}

}  // namespace
}  // namespace mydocker::cgroup
