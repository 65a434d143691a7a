#include "lib/tarsplit/crc64.h"

#include <random>
#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace mydocker::tarsplit {
namespace {

uint64_t Of(absl::string_view data) {
  Crc64 c;
  c.Update(data);
  return c.value();
}

// Bit by bit, straight from the definition, to check the table code.
uint64_t Reference(absl::string_view data) {
  uint64_t crc = ~uint64_t{0};
  for (unsigned char b : data) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 1) ? (crc >> 1) ^ 0xD800000000000000ULL : crc >> 1;
    }
  }
  return ~crc;
}

TEST(Crc64Test, KnownValues) {
  EXPECT_EQ(Of(""), 0u);
  // The catalogued check value of CRC-64/GO-ISO.
  EXPECT_EQ(Of("123456789"), 0xb90956c775a41001ULL);
  // From tar-split's own golden files (lib/tarsplit/testdata): the payload
  // of a 1-byte file "m" is base64 "P2AAAAAAAAA=".
  Crc64 c;
  c.Update("m");
  std::string b64;
  absl::Base64Escape(c.BigEndianBytes(), &b64);
  EXPECT_EQ(b64, "P2AAAAAAAAA=");
}

TEST(Crc64Test, MatchesTheBitwiseDefinitionForAnySplit) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::string data(rng() % 300, '\0');
    for (char& ch : data) ch = static_cast<char>(rng());
    Crc64 c;
    size_t at = 0;
    while (at < data.size()) {
      size_t n = 1 + rng() % 20;
      c.Update(absl::string_view(data).substr(at, n));
      at += n;
    }
    EXPECT_EQ(c.value(), Reference(data));
  }
}

// The carry-less multiplication path (chunks of 64 bytes and more, where
// the CPU has PCLMULQDQ) against the tables and the definition: every
// length around the folding boundaries, then long random splits.
TEST(Crc64Test, FoldingMatchesTheTables) {
  std::mt19937 rng(11);
  std::string data(70000, '\0');
  for (char& ch : data) ch = static_cast<char>(rng());
  for (size_t n = 0; n <= 300; ++n) {
    absl::string_view part = absl::string_view(data).substr(rng() % 16, n);
    Crc64 fast;
    fast.Update(part);
    ASSERT_EQ(fast.value(), Reference(part)) << "length " << n;
  }
  for (int round = 0; round < 50; ++round) {
    Crc64 fast;
    Crc64 tables(Crc64::Method::kTables);
    size_t at = rng() % 64;
    while (at < data.size()) {
      size_t n = 1 + rng() % 9000;
      absl::string_view chunk = absl::string_view(data).substr(at, n);
      fast.Update(chunk);
      tables.Update(chunk);
      at += n;
    }
    ASSERT_EQ(fast.value(), tables.value()) << "round " << round;
  }
  Crc64 all;
  all.Update(data);
  EXPECT_EQ(all.value(), Reference(data));
}

TEST(Crc64Test, ResetAndBytes) {
  Crc64 c;
  c.Update("junk");
  c.Reset();
  c.Update("123456789");
  EXPECT_EQ(c.BigEndianBytes(),
            std::string("\xb9\x09\x56\xc7\x75\xa4\x10\x01", 8));
}

}  // namespace
}  // namespace mydocker::tarsplit
