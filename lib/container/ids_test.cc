#include "lib/container/ids.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::container {
namespace {

using ::testing::MatchesRegex;

TEST(IdsTest, RandomIdsAre64HexAndNeverLookNumeric) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    absl::StatusOr<std::string> id = NewRandomId();
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_THAT(*id, MatchesRegex("[0-9a-f]{64}"));
    EXPECT_THAT(id->substr(0, 12), ::testing::Not(MatchesRegex("[0-9]{12}")));
    EXPECT_TRUE(IsFullId(*id));
    seen.insert(*id);
  }
  EXPECT_EQ(seen.size(), 2000u);
}

TEST(IdsTest, LinkIdsAreOverlay2s) {
  absl::StatusOr<std::string> link = NewLinkId();
  ASSERT_TRUE(link.ok());
  EXPECT_THAT(*link, MatchesRegex("[A-Z2-7]{26}"));
  EXPECT_NE(*link, *NewLinkId());
}

TEST(IdsTest, IsFullId) {
  EXPECT_TRUE(IsFullId(
      "6c908a9b3600b862c1df71d8621e5d29b19bfccf4d19bea1ffa2485b100f3d1a"));
  EXPECT_FALSE(IsFullId("6c908a9b3600"));
  EXPECT_FALSE(IsFullId(
      "6C908A9B3600B862C1DF71D8621E5D29B19BFCCF4D19BEA1FFA2485B100F3D1A"));
  EXPECT_FALSE(IsFullId(
      "6c908a9b3600b862c1df71d8621e5d29b19bfccf4d19bea1ffa2485b100f3d1g"));
}

}  // namespace
}  // namespace mydocker::container
