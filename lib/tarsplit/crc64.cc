#include "lib/tarsplit/crc64.h"

#include <array>
#include <cstring>

namespace mydocker::tarsplit {
namespace {

// The reversed ISO polynomial x^64 + x^4 + x^3 + x + 1 (Go's crc64.ISO).
constexpr uint64_t kIsoPoly = 0xD800000000000000ULL;

// Slicing-by-8 tables: kTables[0] is the classic byte table; kTables[k]
// advances a byte that is k positions further from the end of a word.
using Tables = std::array<std::array<uint64_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t crc = i;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) ? (crc >> 1) ^ kIsoPoly : crc >> 1;
    }
    t[0][i] = crc;
  }
  for (int k = 1; k < 8; ++k) {
    for (int i = 0; i < 256; ++i) {
      uint64_t prev = t[k - 1][i];
      t[k][i] = (prev >> 8) ^ t[0][prev & 0xff];
    }
  }
  return t;
}

constexpr Tables kTables = MakeTables();

}  // namespace

void Crc64::Update(absl::string_view data) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  uint64_t crc = ~crc_;
  while (n >= 8) {
    uint64_t word = 0;
    for (int i = 7; i >= 0; --i) word = (word << 8) | p[i];  // Little-endian.
    crc ^= word;
    crc = kTables[7][crc & 0xff] ^ kTables[6][(crc >> 8) & 0xff] ^
          kTables[5][(crc >> 16) & 0xff] ^ kTables[4][(crc >> 24) & 0xff] ^
          kTables[3][(crc >> 32) & 0xff] ^ kTables[2][(crc >> 40) & 0xff] ^
          kTables[1][(crc >> 48) & 0xff] ^ kTables[0][crc >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = kTables[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  crc_ = ~crc;
}

std::string Crc64::BigEndianBytes() const {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>(crc_ >> (56 - 8 * i));
  }
  return out;
}

}  // namespace mydocker::tarsplit
