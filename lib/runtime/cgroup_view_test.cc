#include "lib/runtime/cgroup_view.h"

#include "gtest/gtest.h"
#include "lib/runtime/mountinfo.h"

namespace mydocker::runtime {
namespace {

using Kind = CgroupViewEntry::Kind;

std::vector<MountInfo> Mounts(const char* text) {
  absl::StatusOr<std::vector<MountInfo>> m = ParseMountInfo(text);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : std::vector<MountInfo>{};
}

// A hybrid host like Debian 10's: v1 controllers plus cgroup2 at unified/.
constexpr char kHybrid[] =
    "31 23 0:28 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup "
    "rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup "
    "rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";

TEST(CgroupViewTest, HybridHostBindsOwnDirectoriesUnderATmpfs) {
  absl::StatusOr<CgroupView> view = PlanCgroupView(
      "12:memory:/mydocker/c1\n"
      "4:cpu,cpuacct:/mydocker/c1\n"
      "1:name=systemd:/system.slice/x\n"
      "9:pids:/mydocker/c1\n"  // Not mounted on the host: left out.
      "0::/mydocker/c1\n",
      Mounts(kHybrid), /*new_cgroup_ns=*/false);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_TRUE(view->tmpfs);
  std::vector<CgroupViewEntry> want = {
      {Kind::kBind, "memory", "/sys/fs/cgroup/memory/mydocker/c1"},
      {Kind::kBind, "cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/mydocker/c1"},
      {Kind::kSymlink, "cpu", "cpu,cpuacct"},
      {Kind::kSymlink, "cpuacct", "cpu,cpuacct"},
      {Kind::kBind, "systemd", "/sys/fs/cgroup/systemd/system.slice/x"},
      {Kind::kBind, "unified", "/sys/fs/cgroup/unified/mydocker/c1"},
  };
  EXPECT_EQ(view->entries, want);
}

TEST(CgroupViewTest, MountRootAboveTheCgroupIsStrippedAndOthersSkipped) {
  // We run in a container whose memory hierarchy is mounted from /outer.
  absl::StatusOr<CgroupView> view = PlanCgroupView(
      "3:memory:/outer/c1\n2:cpu,cpuacct:/elsewhere\n",
      Mounts("35 31 0:32 /outer /sys/fs/cgroup/memory rw - cgroup cgroup "
             "rw,memory\n"
             "32 31 0:29 /outer /sys/fs/cgroup/cpu rw - cgroup cgroup "
             "rw,cpu,cpuacct\n"),
      false);
  ASSERT_TRUE(view.ok()) << view.status();
  std::vector<CgroupViewEntry> want = {
      {Kind::kBind, "memory", "/sys/fs/cgroup/memory/c1"}};
  EXPECT_EQ(view->entries, want);
}

TEST(CgroupViewTest, UnifiedHost) {
  const char* mounts = "31 23 0:28 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
  absl::StatusOr<CgroupView> bind =
      PlanCgroupView("0::/mydocker/c1\n", Mounts(mounts), false);
  ASSERT_TRUE(bind.ok()) << bind.status();
  EXPECT_FALSE(bind->tmpfs);
  EXPECT_EQ(bind->entries,
            (std::vector<CgroupViewEntry>{
                {Kind::kBind, "", "/sys/fs/cgroup/mydocker/c1"}}));
  absl::StatusOr<CgroupView> ns =
      PlanCgroupView("0::/mydocker/c1\n", Mounts(mounts), true);
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_EQ(ns->entries,
            (std::vector<CgroupViewEntry>{{Kind::kCgroup2, "", ""}}));
}

TEST(CgroupViewTest, MalformedLine) {
  EXPECT_FALSE(PlanCgroupView("garbage\n", Mounts(kHybrid), false).ok());
  EXPECT_FALSE(PlanCgroupView("1:cpu:relative\n", Mounts(kHybrid), false).ok());
}

}  // namespace
}  // namespace mydocker::runtime
