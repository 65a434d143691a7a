#include "lib/compress/decompressor.h"

#include <zlib.h>
#include <zstd.h>

#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::compress {
namespace {

using manifest::Compression;

std::string Gzip(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, in.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = in.size();
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = out.size();
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string Zstd(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::string Payload(size_t n) {
  std::mt19937 rng(42);
  std::string s(n, '\0');
  // Half random, half repetitive: exercises both long and short outputs.
  for (size_t i = 0; i < n; ++i) s[i] = i % 2 ? 'a' + rng() % 3 : 'x';
  return s;
}

absl::StatusOr<std::string> Decompress(Compression c, const std::string& in,
                                size_t chunk, Decompressor::Options options = {}) {
  std::string out;
  auto d = Decompressor::Create(
      c,
      [&](absl::string_view b) {
        out.append(b.data(), b.size());
        return absl::OkStatus();
      },
      options);
  if (!d.ok()) return d.status();
  for (size_t i = 0; i < in.size(); i += chunk) {
    absl::Status s = (*d)->Feed(absl::string_view(in).substr(i, chunk));
    if (!s.ok()) return s;
  }
  absl::Status s = (*d)->Finish();
  if (!s.ok()) return s;
  return out;
}

class DecompressorTest : public ::testing::TestWithParam<Compression> {
 protected:
  std::string Compress(const std::string& s) {
    return GetParam() == Compression::kGzip ? Gzip(s) : Zstd(s);
  }
};

TEST_P(DecompressorTest, RoundTripsInAnyChunking) {
  std::string data = Payload(3 << 20);
  std::string packed = Compress(data);
  for (size_t chunk : {size_t{1} << 20, size_t{16384}, size_t{7}}) {
    if (chunk == 7 && packed.size() > (1 << 20)) continue;
    absl::StatusOr<std::string> out = Decompress(GetParam(), packed, chunk);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(*out, data) << "chunk " << chunk;
  }
  absl::StatusOr<std::string> empty = Decompress(GetParam(), Compress(""), 100);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty, "");
}

TEST_P(DecompressorTest, ConcatenatedStreams) {
  absl::StatusOr<std::string> out =
      Decompress(GetParam(), Compress("hello ") + Compress("world"), 3);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "hello world");
}

TEST_P(DecompressorTest, TruncationIsDataLoss) {
  std::string packed = Compress(Payload(100000));
  for (size_t cut : {size_t{1}, packed.size() / 2, packed.size() - 1}) {
    absl::StatusOr<std::string> out =
        Decompress(GetParam(), packed.substr(0, cut), 4096);
    EXPECT_EQ(out.status().code(), absl::StatusCode::kDataLoss) << "cut " << cut;
  }
}

TEST_P(DecompressorTest, CorruptionIsDataLoss) {
  std::string packed = Compress(Payload(100000));
  packed[packed.size() / 2] ^= 0x55;
  packed[packed.size() / 2 + 1] ^= 0x55;
  absl::StatusOr<std::string> out = Decompress(GetParam(), packed, 4096);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kDataLoss) << out.status();
  EXPECT_FALSE(Decompress(GetParam(), "not compressed at all", 4096).ok());
}

TEST_P(DecompressorTest, SinkErrorsStopAndPropagate) {
  int calls = 0;
  auto d = Decompressor::Create(GetParam(), [&](absl::string_view) {
    ++calls;
    return absl::ResourceExhaustedError("disk full");
  });
  ASSERT_TRUE(d.ok());
  absl::Status s = (*d)->Feed(Compress(Payload(1 << 20)));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(calls, 1);
}

// A wrong CRC-32 in a member's trailer: refused by default, passed when the
// caller checks digests itself; a member cut before its trailer is refused
// either way.
TEST(GzipTest, CrcCheckCanBeLeftToTheCaller) {
  std::string data = Payload(200000);
  std::string packed = Gzip(data) + Gzip("tail");
  size_t first_trailer = Gzip(data).size() - 8;
  packed[first_trailer] ^= 0x01;
  absl::StatusOr<std::string> checked = Decompress(Compression::kGzip, packed, 4096);
  EXPECT_EQ(checked.status().code(), absl::StatusCode::kDataLoss) << checked.status();
  Decompressor::Options no_crc{.verify_gzip_crc = false};
  for (size_t chunk : {size_t{4096}, size_t{5}}) {
    absl::StatusOr<std::string> unchecked =
        Decompress(Compression::kGzip, packed, chunk, no_crc);
    ASSERT_TRUE(unchecked.ok()) << unchecked.status();
    EXPECT_EQ(*unchecked, data + "tail");
  }
  absl::StatusOr<std::string> cut = Decompress(
      Compression::kGzip, Gzip(data).substr(0, first_trailer + 4), 4096, no_crc);
  EXPECT_EQ(cut.status().code(), absl::StatusCode::kDataLoss) << cut.status();
}

INSTANTIATE_TEST_SUITE_P(All, DecompressorTest,
                         ::testing::Values(Compression::kGzip, Compression::kZstd));

TEST(PassthroughTest, PassesBytes) {
  absl::StatusOr<std::string> out = Decompress(Compression::kNone, "plain tar", 2);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "plain tar");
}

}  // namespace
}  // namespace mydocker::compress
