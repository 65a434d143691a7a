#include "lib/spec/caps.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/spec/docker_defaults.h"

namespace mydocker::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int kLast = 40;

std::vector<std::string> Tweak(const std::vector<std::string>& add,
                               const std::vector<std::string>& drop,
                               bool privileged = false) {
  absl::StatusOr<std::vector<std::string>> caps =
      TweakCapabilities(add, drop, privileged, kLast);
  EXPECT_TRUE(caps.ok()) << caps.status();
  return caps.ok() ? *caps : std::vector<std::string>{"<error>"};
}

TEST(CapsTest, NamesAreNormalized) {
  absl::StatusOr<std::vector<std::string>> n = NormalizeCapabilities(
      {"net_admin", "CAP_SYS_ADMIN", "cap_bpf", "all", "Sys_Time"}, kLast,
      "CapAdd");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_THAT(*n, ElementsAre("CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_BPF",
                              "ALL", "CAP_SYS_TIME"));
}

TEST(CapsTest, UnknownNamesAreRefusedWithDockersMessage) {
  absl::StatusOr<std::vector<std::string>> n =
      TweakCapabilities({"foo"}, {}, false, kLast);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(n.status().message(),
            "invalid CapAdd: unknown capability: \"CAP_FOO\"");
  n = TweakCapabilities({}, {"CAP_"}, false, kLast);
  EXPECT_EQ(n.status().message(),
            "invalid CapDrop: unknown capability: \"CAP_\"");
  // A capability the kernel does not have is unknown too.
  n = TweakCapabilities({"CAP_BPF"}, {}, false, /*last_cap=*/37);
  EXPECT_EQ(n.status().message(),
            "invalid CapAdd: unknown capability: \"CAP_BPF\"");
  // Validated even when --privileged makes them moot, as dockerd does.
  n = TweakCapabilities({"bogus"}, {}, true, kLast);
  EXPECT_FALSE(n.ok());
}

TEST(CapsTest, NoFlagsGiveTheDefaults) {
  EXPECT_EQ(Tweak({}, {}), DefaultCapabilities());
}

TEST(CapsTest, DropThenAdd) {
  EXPECT_THAT(
      Tweak({"NET_ADMIN", "sys_ptrace"}, {"mknod", "CAP_NET_RAW", "SETFCAP"}),
      ElementsAre("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
                  "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
                  "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
                  "CAP_AUDIT_WRITE", "CAP_NET_ADMIN", "CAP_SYS_PTRACE"));
}

TEST(CapsTest, AddingADefaultDoesNotDuplicateIt) {
  std::vector<std::string> caps = Tweak({"CHOWN"}, {});
  EXPECT_EQ(caps, DefaultCapabilities());
}

TEST(CapsTest, AddAllMinusDrops) {
  std::vector<std::string> caps = Tweak({"ALL"}, {"sys_admin", "NET_ADMIN"});
  EXPECT_EQ(caps.size(), kLast + 1u - 2);
  EXPECT_EQ(std::count(caps.begin(), caps.end(), "CAP_SYS_ADMIN"), 0);
  EXPECT_EQ(caps.front(), "CAP_CHOWN");
  EXPECT_EQ(caps.back(), "CAP_CHECKPOINT_RESTORE");
}

TEST(CapsTest, DropAllKeepsOnlyTheAdded) {
  EXPECT_THAT(Tweak({"net_bind_service", "chown"}, {"all"}),
              ElementsAre("CAP_NET_BIND_SERVICE", "CAP_CHOWN"));
  EXPECT_THAT(Tweak({}, {"ALL"}), IsEmpty());
  // Adding ALL wins over dropping ALL (moby checks the add first, and
  // "ALL" in the drop list matches no single capability).
  EXPECT_EQ(Tweak({"ALL"}, {"ALL"}), AllCapabilities(kLast));
}

TEST(CapsTest, PrivilegedGetsEverythingTheKernelHas) {
  EXPECT_EQ(Tweak({}, {"ALL"}, /*privileged=*/true), AllCapabilities(kLast));
  absl::StatusOr<std::vector<std::string>> caps =
      TweakCapabilities({}, {}, true, 37);
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(caps->size(), 38u);
}

}  // namespace
}  // namespace mydocker::spec
