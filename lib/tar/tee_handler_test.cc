#include "lib/tar/tee_handler.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/tar/reader.h"
#include "lib/tar/testing.h"

namespace mydocker::tar {
namespace {

using ::mydocker::tar::testing::EndMarker;
using ::mydocker::tar::testing::FeedInChunks;
using ::mydocker::tar::testing::File;
using ::mydocker::tar::testing::Pax;
using ::mydocker::tar::testing::PaxRecord;
using ::mydocker::tar::testing::RecordingHandler;

TEST(TeeHandlerTest, EveryHandlerSeesEveryEvent) {
  std::string tar = Pax(PaxRecord("comment", "c"), 'g') + File("a", "hello") +
                    EndMarker() + "trailing";
  RecordingHandler alone, first, second;
  ASSERT_TRUE(FeedInChunks(tar, 0, &alone).ok());
  TeeHandler tee({&first, &second});
  ASSERT_TRUE(FeedInChunks(tar, 0, &tee).ok());
  EXPECT_EQ(first.events(), alone.events());
  EXPECT_EQ(second.events(), alone.events());
  EXPECT_THAT(alone.events(), ::testing::Contains("global pax_global_header"));
  EXPECT_THAT(alone.events(), ::testing::Contains("end-archive "));
}

TEST(TeeHandlerTest, FirstErrorStopsTheEvent) {
  RecordingHandler first, second;
  first.FailAt(1, absl::CancelledError("no"));  // OnEntry.
  TeeHandler tee({&first, &second});
  absl::Status s = FeedInChunks(File("a", "b"), 0, &tee);
  EXPECT_EQ(s, absl::CancelledError("no"));
  EXPECT_EQ(second.events().size(), 1u);  // Only the header's OnRaw.
  EXPECT_TRUE(second.entries().empty());
}

}  // namespace
}  // namespace mydocker::tar
