#include "lib/tarsplit/gzip.h"

#include <random>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "lib/compress/decompressor.h"
#include "lib/tarsplit/sink.h"

namespace mydocker::tarsplit {
namespace {

std::string Compress(absl::string_view data, size_t chunk = 0) {
  std::string out;
  GzipWriter gz(StringSink(&out));
  if (chunk == 0) chunk = data.size() + 1;
  for (size_t i = 0; i < data.size(); i += chunk) {
    EXPECT_TRUE(gz.Write(data.substr(i, chunk)).ok());
  }
  EXPECT_TRUE(gz.Finish().ok());
  return out;
}

absl::Status Decompress(absl::string_view gz, std::string* out,
                        size_t chunk = 0) {
  // What reads tar-split back (and every layer): lib/compress.
  absl::StatusOr<std::unique_ptr<compress::Decompressor>> reader =
      compress::Decompressor::Create(manifest::Compression::kGzip,
                                     [out](absl::string_view b) {
                                       out->append(b.data(), b.size());
                                       return absl::OkStatus();
                                     });
  if (!reader.ok()) return reader.status();
  if (chunk == 0) chunk = gz.size() + 1;
  for (size_t i = 0; i < gz.size(); i += chunk) {
    absl::Status s = (*reader)->Feed(gz.substr(i, chunk));
    if (!s.ok()) return s;
  }
  return (*reader)->Finish();
}

std::string Random(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(GzipTest, RoundTripsInAnyChunking) {
  for (const std::string& data :
       {std::string(), std::string("x"), Random(100000, 1),
        std::string(3 << 20, 'a') + Random(1000, 2)}) {
    std::string gz = Compress(data, 7777);
    ASSERT_EQ(gz.substr(0, 2), "\x1f\x8b");  // A gzip member.
    for (size_t chunk : {1, 13, 4096, 0}) {
      if (chunk == 1 && data.size() > 200000) continue;  // Slow, no news.
      std::string out;
      absl::Status s = Decompress(gz, &out, chunk);
      ASSERT_TRUE(s.ok()) << s;
      EXPECT_EQ(out, data);
    }
  }
}

TEST(GzipTest, ConcatenatedMembersAreOneStream) {
  std::string out;
  ASSERT_TRUE(Decompress(Compress("hello ") + Compress("world"), &out, 5).ok());
  EXPECT_EQ(out, "hello world");
}

TEST(GzipTest, DamagedInputIsDataLoss) {
  std::string gz = Compress(Random(5000, 3));
  std::string out;
  absl::Status s = Decompress(gz.substr(0, gz.size() - 3), &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;

  s = Decompress("", &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;

  s = Decompress("this is not gzip", &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;

  std::string flipped = gz;
  flipped[gz.size() - 6] ^= 0x55;  // In the CRC-32 trailer.
  s = Decompress(flipped, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;

  s = Decompress(gz + "junk", &out);  // Go's reader refuses this too.
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
}

TEST(GzipTest, SinkErrorsStopTheWriter) {
  GzipWriter gz(
      [](absl::string_view) { return absl::UnavailableError("disk"); });
  absl::Status s = gz.Write(Random(200000, 4));  // Fills an output buffer.
  EXPECT_EQ(s, absl::UnavailableError("disk"));
  EXPECT_EQ(gz.Finish(), absl::UnavailableError("disk"));
}

TEST(GzipTest, WriteAfterFinish) {
  std::string out;
  GzipWriter gz(StringSink(&out));
  ASSERT_TRUE(gz.Finish().ok());
  EXPECT_EQ(gz.Write("x").code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace mydocker::tarsplit
