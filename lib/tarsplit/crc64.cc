#include "lib/tarsplit/crc64.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

// The register `crc` (not inverted) advanced over `n` bytes at `p`.
uint64_t UpdateTables(uint64_t crc, const unsigned char* p, size_t n) {
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
  return crc;
}

#if defined(__x86_64__)

// Folding with carry-less multiplication (PCLMULQDQ), after Intel's "Fast
// CRC Computation for Generic Polynomials Using PCLMULQDQ": about ten times
// the tables' speed, which is what tar-split's per-file checksum costs a
// pull otherwise (a tenth of its CPU).
//
// In the reflected bit order a CRC uses, bit i of a 128-bit block read
// little-endian is the coefficient of x^(127-i), so block B = H*x^64 + L
// with H its low quadword. The message so far, reduced mod P, is kept as
// such a block V; when 128*k more bits follow, V*x^(128k) is congruent to
// H*(x^(128k+64) mod P) + L*(x^(128k) mod P), two products of 64-bit
// polynomials that PCLMULQDQ makes (each times x, from the reflection:
// hence the constants x^(d+63) and x^(d-1) for a distance of d bits). The
// CRC register is XORed into the first quadword, as the tables do; what is
// left at the end, V, is a 16-byte message whose CRC from a zero register
// is the CRC of everything: the tables finish it.

// x^n mod P as a reflected quadword (bit i is the coefficient of x^(63-i)).
constexpr uint64_t XPowModP(int n) {
  uint64_t v = 1;  // Normal order: bit i is the coefficient of x^i.
  for (int i = 0; i < n; ++i) {
    bool carry = (v >> 63) != 0;
    v <<= 1;
    if (carry) v ^= 0x1B;  // x^64 = x^4 + x^3 + x + 1 (mod P).
  }
  uint64_t r = 0;
  for (int i = 0; i < 64; ++i) r |= ((v >> i) & 1) << (63 - i);
  return r;
}

struct FoldConstants {
  uint64_t high;  // For H: x^(d+63) mod P.
  uint64_t low;   // For L: x^(d-1) mod P.
};
constexpr FoldConstants Fold(int distance_bits) {
  return {XPowModP(distance_bits + 63), XPowModP(distance_bits - 1)};
}
constexpr FoldConstants kFold128 = Fold(128);
constexpr FoldConstants kFold256 = Fold(256);
constexpr FoldConstants kFold384 = Fold(384);
constexpr FoldConstants kFold512 = Fold(512);

__attribute__((target("pclmul,sse2"))) inline __m128i FoldInto(
    __m128i v, __m128i constants, __m128i data) {
  __m128i h = _mm_clmulepi64_si128(v, constants, 0x00);  // v.lo * high
  __m128i l = _mm_clmulepi64_si128(v, constants, 0x11);  // v.hi * low
  return _mm_xor_si128(_mm_xor_si128(h, l), data);
}

__attribute__((target("pclmul,sse2"))) inline __m128i Constants(FoldConstants c) {
  return _mm_set_epi64x(static_cast<long long>(c.low), static_cast<long long>(c.high));
}

// Needs n >= 64. Returns the register after the first n & ~15 bytes.
__attribute__((target("pclmul,sse2"))) uint64_t UpdateClmul(
    uint64_t crc, const unsigned char* p, size_t n) {
  auto load = [](const unsigned char* q) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
  };
  __m128i a0 = _mm_xor_si128(load(p), _mm_cvtsi64_si128(static_cast<long long>(crc)));
  __m128i a1 = load(p + 16), a2 = load(p + 32), a3 = load(p + 48);
  p += 64;
  n -= 64;
  const __m128i k512 = Constants(kFold512);
  while (n >= 64) {
    a0 = FoldInto(a0, k512, load(p));
    a1 = FoldInto(a1, k512, load(p + 16));
    a2 = FoldInto(a2, k512, load(p + 32));
    a3 = FoldInto(a3, k512, load(p + 48));
    p += 64;
    n -= 64;
  }
  __m128i v = FoldInto(a0, Constants(kFold384), a3);
  v = _mm_xor_si128(v, FoldInto(a1, Constants(kFold256), _mm_setzero_si128()));
  v = _mm_xor_si128(v, FoldInto(a2, Constants(kFold128), _mm_setzero_si128()));
  const __m128i k128 = Constants(kFold128);
  while (n >= 16) {
    v = FoldInto(v, k128, load(p));
    p += 16;
    n -= 16;
  }
  alignas(16) unsigned char rest[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(rest), v);
  return UpdateTables(0, rest, sizeof(rest));
}

bool HaveClmul() {
  static const bool have = __builtin_cpu_supports("pclmul") != 0;
  return have;
}

#else

bool HaveClmul() { return false; }
uint64_t UpdateClmul(uint64_t crc, const unsigned char*, size_t) { return crc; }

#endif  // __x86_64__

}  // namespace

void Crc64::Update(absl::string_view data) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  uint64_t crc = ~crc_;
  if (n >= 64 && HaveClmul() && !force_tables_) {
    crc = UpdateClmul(crc, p, n);
    size_t done = n & ~static_cast<size_t>(15);
    p += done;
    n -= done;
  }
  crc_ = ~UpdateTables(crc, p, n);
}

std::string Crc64::BigEndianBytes() const {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>(crc_ >> (56 - 8 * i));
  }
  return out;
}

}  // namespace mydocker::tarsplit
