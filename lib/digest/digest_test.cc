#include "lib/digest/digest.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::digest {
namespace {

constexpr char kEmpty[] =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbc[] =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(DigestTest, KnownVectors) {
  EXPECT_EQ(Digest::Of("").str(), kEmpty);
  EXPECT_EQ(Digest::Of("abc").str(), kAbc);
}

TEST(DigestTest, StreamingEqualsOneShotAndResets) {
  Sha256 h;
  h.Update("a");
  h.Update("");
  h.Update("bc");
  EXPECT_EQ(h.Finish().str(), kAbc);
  EXPECT_EQ(h.Finish().str(), kEmpty);  // Reset after Finish.
  std::string big(1 << 20, 'x');
  Sha256 parts;
  for (size_t i = 0; i < big.size(); i += 4093) {
    parts.Update(absl::string_view(big).substr(i, 4093));
  }
  EXPECT_EQ(parts.Finish(), Digest::Of(big));
}

TEST(DigestTest, ParseAcceptsOnlyCanonicalSha256) {
  absl::StatusOr<Digest> d = Digest::Parse(kAbc);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->hex().size(), 64u);
  EXPECT_EQ(d->algorithm(), "sha256");
  for (const char* bad : {
           "",
           "sha256:",
           "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
           "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
           "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015add",
           "sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
           "sha256:../../../../etc/passwd0000000000000000000000000000000000000000",
       }) {
    absl::StatusOr<Digest> r = Digest::Parse(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_THAT(Digest::Parse("md5:x").status().message(),
              ::testing::HasSubstr("invalid digest \"md5:x\""));
}

}  // namespace
}  // namespace mydocker::digest
