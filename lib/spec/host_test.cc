#include "lib/spec/host.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::spec {
namespace {

TEST(HostFeaturesTest, DetectsThisHost) {
  absl::StatusOr<HostFeatures> h = DetectHostFeatures();
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_GE(h->cap_last_cap, 37);
  EXPECT_GE(h->num_cpus, 1);
  EXPECT_FALSE(h->hostname.empty());
  EXPECT_EQ(h->dev_dir, "/dev");
  // The cgroup namespace needs kernel support...
  if (access("/proc/self/ns/cgroup", F_OK) != 0) {
    EXPECT_FALSE(h->cgroup_namespace);
  }
  // ...and a cgroup v2 host.
  if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) != 0) {
    EXPECT_FALSE(h->cgroup_namespace);
  }
  EXPECT_EQ(h->ping_group_range,
            access("/proc/sys/net/ipv4/ping_group_range", F_OK) == 0);
}

class HostDevicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ = std::string(tmp ? tmp : "/tmp") + "/devs.XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  std::string dir_;
};

TEST_F(HostDevicesTest, FindsNodesSkipsTheRest) {
  // Unprivileged tests cannot mknod a device, so this tree holds only what
  // must be skipped (a FIFO, a symlink to a device, a pts directory); the
  // real /dev is scanned in the next test.
  ASSERT_EQ(mkfifo((dir_ + "/fifo").c_str(), 0600), 0);
  ASSERT_EQ(symlink("/dev/null", (dir_ + "/link-to-null").c_str()), 0);
  ASSERT_EQ(mkdir((dir_ + "/pts").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir_ + "/sub").c_str(), 0755), 0);
  ASSERT_EQ(mkfifo((dir_ + "/sub/deeper").c_str(), 0600), 0);
  absl::StatusOr<std::vector<Device>> devs = HostDevices(dir_);
  ASSERT_TRUE(devs.ok()) << devs.status();
  EXPECT_TRUE(devs->empty());
}

TEST_F(HostDevicesTest, RealDevHasNullAndNoPtsOrConsole) {
  absl::StatusOr<std::vector<Device>> devs = HostDevices("/dev");
  ASSERT_TRUE(devs.ok()) << devs.status();
  bool null_found = false;
  for (const Device& d : *devs) {
    EXPECT_FALSE(d.path.rfind("/dev/pts/", 0) == 0) << d.path;
    EXPECT_FALSE(d.path.rfind("/dev/shm/", 0) == 0) << d.path;
    EXPECT_NE(d.path, "/dev/console");
    EXPECT_TRUE(d.type == "c" || d.type == "b") << d.path;
    if (d.path == "/dev/null") {
      null_found = true;
      EXPECT_EQ(d.type, "c");
      EXPECT_EQ(d.major, 1);
      EXPECT_EQ(d.minor, 3);
      EXPECT_EQ(d.file_mode, 0666u);
      EXPECT_EQ(d.uid, 0u);
    }
  }
  EXPECT_TRUE(null_found);
  // In name order within a directory.
  for (size_t i = 1; i < devs->size(); ++i) {
    const std::string& a = (*devs)[i - 1].path;
    const std::string& b = (*devs)[i].path;
    if (a.rfind('/') == 4 && b.rfind('/') == 4) {
      EXPECT_LT(a, b);
    }
  }
}

TEST_F(HostDevicesTest, MissingDirectory) {
  absl::StatusOr<std::vector<Device>> devs = HostDevices(dir_ + "/nope");
  ASSERT_FALSE(devs.ok());
  EXPECT_EQ(devs.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace mydocker::spec
