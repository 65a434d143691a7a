#include "lib/engine/attach.h"

#include <string>

#include "gtest/gtest.h"

namespace mydocker::engine {
namespace {

TEST(FrameReaderTest, ReassemblesFramesFromAnyChunking) {
  std::string stream = EncodeFrame(FrameType::kStdout, "hello") +
                       EncodeFrame(FrameType::kStderr, "") +
                       EncodeFrame(FrameType::kExit, EncodeU32(137));
  FrameReader r;
  std::vector<Frame> got;
  for (char ch : stream) {  // one byte at a time
    r.Append(&ch, 1);
    while (std::optional<Frame> f = r.Next()) got.push_back(*f);
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].type, FrameType::kStdout);
  EXPECT_EQ(got[0].payload, "hello");
  EXPECT_EQ(got[1].type, FrameType::kStderr);
  EXPECT_EQ(got[1].payload, "");
  EXPECT_EQ(got[2].type, FrameType::kExit);
  EXPECT_EQ(DecodeU32(got[2].payload), 137u);
  EXPECT_FALSE(r.broken());
}

TEST(FrameReaderTest, RefusesAnOversizedFrame) {
  std::string header(1, static_cast<char>(FrameType::kStdin));
  header += EncodeU32(kMaxFramePayload + 1);
  FrameReader r;
  r.Append(header.data(), header.size());
  EXPECT_FALSE(r.Next().has_value());
  EXPECT_TRUE(r.broken());
}

TEST(FrameTest, U32RoundTrips) {
  for (uint32_t v : {0u, 1u, 255u, 256u, 0x12345678u, 0xffffffffu}) {
    EXPECT_EQ(DecodeU32(EncodeU32(v)), v);
  }
}

}  // namespace
}  // namespace mydocker::engine
