#include "lib/spec/docker_defaults.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

TEST(DockerDefaultsTest, FourteenCapabilitiesInMobysOrder) {
  // moby oci/caps/defaults.go (v20.10.24).
  EXPECT_THAT(
      DefaultCapabilities(),
      ElementsAre("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
                  "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
                  "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
                  "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"));
}

TEST(DockerDefaultsTest, CapabilityNumbersMatchTheKernelHeader) {
  const std::vector<std::string>& names = CapabilityNames();
  ASSERT_EQ(names.size(), kLastKnownCapability + 1u);
  EXPECT_EQ(names[0], "CAP_CHOWN");
  EXPECT_EQ(names[13], "CAP_NET_RAW");
  EXPECT_EQ(names[21], "CAP_SYS_ADMIN");
  EXPECT_EQ(names[27], "CAP_MKNOD");
  EXPECT_EQ(names[37], "CAP_AUDIT_READ");
  EXPECT_EQ(names[40], "CAP_CHECKPOINT_RESTORE");
  // Every default is a known name.
  for (const std::string& c : DefaultCapabilities()) {
    EXPECT_NE(std::find(names.begin(), names.end(), c), names.end()) << c;
  }
}

TEST(DockerDefaultsTest, AllCapabilitiesFollowsTheKernel) {
  EXPECT_EQ(AllCapabilities(37).size(), 38u);
  EXPECT_EQ(AllCapabilities(37).back(), "CAP_AUDIT_READ");
  EXPECT_EQ(AllCapabilities(40).back(), "CAP_CHECKPOINT_RESTORE");
  // A newer kernel than we know: only what we can name.
  EXPECT_EQ(AllCapabilities(45).size(), kLastKnownCapability + 1u);
  EXPECT_TRUE(AllCapabilities(-1).empty());
}

TEST(DockerDefaultsTest, ReadsThisKernelsCapLastCap) {
  absl::StatusOr<int> last = ReadCapLastCap();
  ASSERT_TRUE(last.ok()) << last.status();
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int want = -1;
  in >> want;
  EXPECT_EQ(*last, want);
  EXPECT_GE(*last, 37);  // Every kernel mydocker supports has CAP_AUDIT_READ.
}

TEST(DockerDefaultsTest, CapLastCapErrorsNameTheFile) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string path = std::string(tmp ? tmp : "/tmp") + "/cap_last_cap";
  std::ofstream(path) << "forty\n";
  absl::StatusOr<int> last = ReadCapLastCap(path);
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(last.status().message(),
            path + ": not a capability number: \"forty\"");
  EXPECT_EQ(ReadCapLastCap(path + ".missing").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(DockerDefaultsTest, MaskedAndReadonlyPaths) {
  // moby oci/defaults.go DefaultLinuxSpec (v20.10.24).
  EXPECT_THAT(DefaultMaskedPaths(),
              ElementsAre("/proc/asound", "/proc/acpi", "/proc/kcore",
                          "/proc/keys", "/proc/latency_stats",
                          "/proc/timer_list", "/proc/timer_stats",
                          "/proc/sched_debug", "/proc/scsi", "/sys/firmware"));
  EXPECT_THAT(DefaultReadonlyPaths(),
              ElementsAre("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                          "/proc/sysrq-trigger"));
}

TEST(DockerDefaultsTest, MountsInDockersOrderWithShmSize) {
  std::vector<Mount> m = DefaultMounts(kDefaultShmSize);
  ASSERT_EQ(m.size(), 7u);
  std::vector<std::string> dests, types;
  for (const Mount& x : m) {
    dests.push_back(x.destination);
    types.push_back(x.type);
  }
  EXPECT_THAT(dests, ElementsAre("/proc", "/dev", "/dev/pts", "/sys",
                                 "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm"));
  EXPECT_THAT(types, ElementsAre("proc", "tmpfs", "devpts", "sysfs", "cgroup",
                                 "mqueue", "tmpfs"));
  EXPECT_THAT(m[1].options,
              ElementsAre("nosuid", "strictatime", "mode=755", "size=65536k"));
  EXPECT_THAT(m[2].options, ElementsAre("nosuid", "noexec", "newinstance",
                                        "ptmxmode=0666", "mode=0620", "gid=5"));
  EXPECT_THAT(m[3].options, ElementsAre("nosuid", "noexec", "nodev", "ro"));
  EXPECT_THAT(m[4].options, ElementsAre("ro", "nosuid", "noexec", "nodev"));
  EXPECT_EQ(m[6].source, "shm");
  EXPECT_THAT(m[6].options, ElementsAre("nosuid", "noexec", "nodev",
                                        "mode=1777", "size=67108864"));
  EXPECT_EQ(DefaultMounts(1 << 20)[6].options.back(), "size=1048576");
}

TEST(DockerDefaultsTest, DefaultDevices) {
  std::vector<std::string> got;
  for (const Device& d : DefaultDevices()) {
    got.push_back(d.path + " " + d.type + " " + std::to_string(d.major) + ":" +
                  std::to_string(d.minor));
    EXPECT_EQ(d.file_mode, 0666u);
    EXPECT_EQ(d.uid, 0u);
    EXPECT_EQ(d.gid, 0u);
  }
  EXPECT_THAT(got, ElementsAre("/dev/null c 1:3", "/dev/zero c 1:5",
                               "/dev/full c 1:7", "/dev/random c 1:8",
                               "/dev/urandom c 1:9", "/dev/tty c 5:0"));
}

std::string RuleString(const DeviceCgroupRule& r) {
  return std::string(r.allow ? "allow " : "deny ") + r.type + " " +
         (r.major ? std::to_string(*r.major) : "*") + ":" +
         (r.minor ? std::to_string(*r.minor) : "*") + " " + r.access;
}

TEST(DockerDefaultsTest, DeviceRulesAreDockersThenRuncs) {
  std::vector<std::string> got;
  for (const DeviceCgroupRule& r : DefaultDeviceRules()) {
    got.push_back(RuleString(r));
  }
  EXPECT_THAT(got, ElementsAreArray({
                       // moby oci/defaults.go
                       "deny a *:* rwm",
                       "allow c 1:5 rwm",
                       "allow c 1:3 rwm",
                       "allow c 1:9 rwm",
                       "allow c 1:8 rwm",
                       "allow c 5:0 rwm",
                       "allow c 5:1 rwm",
                       "deny c 10:229 rwm",
                       // runc specconv AllowedDevices
                       "allow c *:* m",
                       "allow b *:* m",
                       "allow c 1:3 rwm",
                       "allow c 1:8 rwm",
                       "allow c 1:7 rwm",
                       "allow c 5:0 rwm",
                       "allow c 1:5 rwm",
                       "allow c 1:9 rwm",
                       "allow c 136:* rwm",
                       "allow c 5:2 rwm",
                       "allow c 10:200 rwm",
                   }));
  ASSERT_EQ(PrivilegedDeviceRules().size(), 1u);
  EXPECT_EQ(RuleString(PrivilegedDeviceRules()[0]), "allow a *:* rwm");
}

}  // namespace
}  // namespace mydocker::spec
