#include "lib/runtime/capabilities.h"

#include <linux/capability.h>

#include "gtest/gtest.h"

namespace mydocker::runtime {
namespace {

TEST(CapabilitiesTest, NamesAndNumbers) {
  EXPECT_EQ(*CapabilityNumber("CAP_CHOWN"), 0);
  EXPECT_EQ(*CapabilityNumber("CAP_NET_BIND_SERVICE"), 10);
  EXPECT_EQ(*CapabilityNumber("CAP_SYS_ADMIN"), 21);
  EXPECT_EQ(*CapabilityNumber("CAP_CHECKPOINT_RESTORE"), 40);
  EXPECT_EQ(CapabilityName(CAP_KILL), "CAP_KILL");
  EXPECT_EQ(CapabilityName(63), "CAP_63");
}

TEST(CapabilitiesTest, UnknownNameIsInvalid) {
  absl::StatusOr<int> n = CapabilityNumber("CAP_FLY");
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(n.status().message().find("CAP_FLY"), absl::string_view::npos);
  // The spec spells them with the prefix, in capitals.
  EXPECT_FALSE(CapabilityNumber("chown").ok());
}

TEST(CapabilitiesTest, MaskLeavesOutCapsNewerThanTheKernel) {
  absl::StatusOr<uint64_t> mask =
      CapabilityMask({"CAP_CHOWN", "CAP_KILL", "CAP_BPF"}, /*last_cap=*/38);
  ASSERT_TRUE(mask.ok()) << mask.status();
  EXPECT_EQ(*mask, (uint64_t{1} << 0) | (uint64_t{1} << 5));
  EXPECT_EQ(*CapabilityMask({"CAP_BPF"}, 40), uint64_t{1} << 39);
  EXPECT_FALSE(CapabilityMask({"CAP_CHOWN", "bogus"}, 40).ok());
}

TEST(CapabilitiesTest, LastCapabilityOfThisKernel) {
  absl::StatusOr<int> last = LastCapability();
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_GE(*last, CAP_AUDIT_READ);
}

}  // namespace
}  // namespace mydocker::runtime
