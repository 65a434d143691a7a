#include "lib/base/mountinfo.h"

#include "gtest/gtest.h"

namespace mydocker::base {
namespace {

TEST(MountInfoTest, ParsesFieldsOptionalTagsAndEscapes) {
  absl::StatusOr<std::vector<MountInfo>> mounts = ParseMountInfo(
      "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
      "42 27 254:0 /run/netns /run/netns rw,relatime shared:1 master:3 - ext4 "
      "/dev/vda rw\n"
      "50 27 0:40 / /mnt/with\\040space ro - tmpfs my\\134src ro,size=4k\n");
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  ASSERT_EQ(mounts->size(), 3u);
  const MountInfo& a = (*mounts)[0];
  EXPECT_EQ(a.id, 27);
  EXPECT_EQ(a.parent_id, 1);
  EXPECT_EQ(a.root, "/");
  EXPECT_EQ(a.mount_point, "/");
  EXPECT_EQ(a.options, "rw,relatime");
  EXPECT_EQ(a.optional, "");
  EXPECT_EQ(a.fstype, "ext4");
  EXPECT_EQ(a.source, "/dev/vda");
  EXPECT_EQ(a.super_options, "rw,discard");
  EXPECT_EQ((*mounts)[1].optional, "shared:1 master:3");
  EXPECT_EQ((*mounts)[1].root, "/run/netns");
  EXPECT_EQ((*mounts)[2].mount_point, "/mnt/with space");
  EXPECT_EQ((*mounts)[2].source, "my\\src");
}

TEST(MountInfoTest, RejectsTruncatedLines) {
  EXPECT_FALSE(ParseMountInfo("27 1 254:0 / / rw,relatime - ext4\n").ok());
  EXPECT_FALSE(ParseMountInfo("x 1 254:0 / / rw - ext4 a b\n").ok());
}

TEST(MountInfoTest, ReadsOwnMountTable) {
  absl::StatusOr<std::vector<MountInfo>> mounts = ReadMountInfo("self");
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  bool has_root = false;
  for (const MountInfo& m : *mounts) has_root |= m.mount_point == "/";
  EXPECT_TRUE(has_root);
}

}  // namespace
}  // namespace mydocker::base
