#include "lib/image/format.h"

#include "gtest/gtest.h"

namespace mydocker::image {
namespace {

TEST(HumanSizeTest, DockerImagesSizeColumn) {
  // The sizes of the testdata images, as `docker images` printed them.
  EXPECT_EQ(HumanSize(33), "33B");
  EXPECT_EQ(HumanSize(1985648), "1.99MB");
  EXPECT_EQ(HumanSize(1985827), "1.99MB");
  EXPECT_EQ(HumanSize(11808228), "11.8MB");
}

TEST(HumanSizeTest, GoUnitsEdges) {
  EXPECT_EQ(HumanSize(0), "0B");
  EXPECT_EQ(HumanSize(999), "999B");
  EXPECT_EQ(HumanSize(1000), "1kB");
  EXPECT_EQ(HumanSize(1234), "1.23kB");
  EXPECT_EQ(HumanSize(1200000000), "1.2GB");
  EXPECT_EQ(HumanSize(100000), "100kB");
  // %.3g rounds 999.999 to 1e+03 without moving to the next unit.
  EXPECT_EQ(HumanSize(999999), "1e+03kB");
  EXPECT_EQ(HumanSize(int64_t{5} * 1000 * 1000 * 1000 * 1000 * 1000 * 1000),
            "5EB");
  // Past YB the value just grows.
  EXPECT_EQ(HumanSizeWithPrecision(1e27, 3), "1e+03YB");
  // {{.VirtualSize}} and friends use 4 digits.
  EXPECT_EQ(HumanSizeWithPrecision(1985648, 4), "1.986MB");
}

TEST(HumanDurationTest, GoUnitsThresholds) {
  EXPECT_EQ(HumanDuration(absl::ZeroDuration()), "Less than a second");
  EXPECT_EQ(HumanDuration(absl::Milliseconds(999)), "Less than a second");
  EXPECT_EQ(HumanDuration(absl::Seconds(-30)), "Less than a second");
  EXPECT_EQ(HumanDuration(absl::Seconds(1)), "1 second");
  EXPECT_EQ(HumanDuration(absl::Milliseconds(1999)), "1 second");
  EXPECT_EQ(HumanDuration(absl::Seconds(2)), "2 seconds");
  EXPECT_EQ(HumanDuration(absl::Seconds(59)), "59 seconds");
  EXPECT_EQ(HumanDuration(absl::Seconds(60)), "About a minute");
  EXPECT_EQ(HumanDuration(absl::Seconds(119)), "About a minute");
  EXPECT_EQ(HumanDuration(absl::Minutes(2)), "2 minutes");
  EXPECT_EQ(HumanDuration(absl::Minutes(59) + absl::Seconds(59)), "59 minutes");
  EXPECT_EQ(HumanDuration(absl::Minutes(60)), "About an hour");
  EXPECT_EQ(HumanDuration(absl::Minutes(89)),
            "About an hour");  // 1.48 h rounds to 1.
  EXPECT_EQ(HumanDuration(absl::Minutes(90)), "2 hours");  // 1.5 h rounds to 2.
  EXPECT_EQ(HumanDuration(absl::Hours(47) + absl::Minutes(29)), "47 hours");
  EXPECT_EQ(HumanDuration(absl::Hours(47) + absl::Minutes(30)), "2 days");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 14 - 1)), "13 days");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 14)), "2 weeks");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 59)), "8 weeks");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 60)), "2 months");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 729)), "24 months");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 730)), "2 years");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 365 * 3 + 100)), "3 years");
  // Go's time.Duration ends at about 292 years; time.Sub saturates there.
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 365 * 1000)), "292 years");
}

TEST(CreatedSinceTest, AsTheCliPrintsIt) {
  absl::Time now = absl::FromUnixSeconds(1796029080);
  // The testdata images' "created", seen from the day they were inspected.
  EXPECT_EQ(CreatedSince(absl::FromUnixSeconds(1700000000), now),
            "3 years ago");
  EXPECT_EQ(CreatedSince(now - absl::Minutes(5), now), "5 minutes ago");
  // The API carries whole seconds, rounded down: 0.5 s ago reads as 1 s.
  EXPECT_EQ(CreatedSince(now - absl::Milliseconds(500), now), "1 second ago");
  EXPECT_EQ(CreatedSince(now - absl::Milliseconds(1500), now), "2 seconds ago");
  EXPECT_EQ(CreatedSince(now, now), "Less than a second ago");
  EXPECT_EQ(CreatedSince(kGoZeroTime, now), "N/A");
}

TEST(IdTest, TruncatesLikeStringid) {
  digest::Digest id = *digest::Digest::Parse(
      "sha256:"
      "18117d7e766fb47710dd51ab69b71ccba6f70ef2387ef38e570593876fc89528");
  EXPECT_EQ(ShortId(id), "18117d7e766f");
  EXPECT_EQ(
      TruncateId(
          "3f2a1bc04e5d6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2"),
      "3f2a1bc04e5d");
  EXPECT_EQ(TruncateId("3f2a"), "3f2a");
}

}  // namespace
}  // namespace mydocker::image
