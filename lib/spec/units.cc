#include "lib/spec/units.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mydocker::spec {
namespace {

using int128 = __int128;
constexpr int128 kInt64Max = std::numeric_limits<int64_t>::max();

absl::Status InvalidSize(absl::string_view s) {
  return absl::InvalidArgumentError(absl::StrCat("invalid size: '", s, "'"));
}

// Consumes a run of ASCII digits from the front of `s`; returns them.
absl::string_view TakeDigits(absl::string_view& s) {
  size_t n = 0;
  while (n < s.size() &&
         absl::ascii_isdigit(static_cast<unsigned char>(s[n]))) {
    ++n;
  }
  absl::string_view digits = s.substr(0, n);
  s.remove_prefix(n);
  return digits;
}

// `digits` (a non-empty run of decimal digits) as an int128, or false if it
// is larger than `limit`.
bool DigitsToInt(absl::string_view digits, int128 limit, int128* out) {
  int128 v = 0;
  for (char c : digits) {
    v = v * 10 + (c - '0');
    if (v > limit) return false;
  }
  *out = v;
  return true;
}

}  // namespace

bool ParseGoInt(absl::string_view s, int64_t* out) {
  absl::string_view digits = s;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  absl::string_view rest = digits;
  if (digits.empty() || TakeDigits(rest).size() != digits.size()) return false;
  int128 v = 0;
  // One past int64's magnitude: -2^63 is in range.
  if (!DigitsToInt(digits, kInt64Max + 1, &v)) return false;
  if (negative) v = -v;
  if (v > kInt64Max) return false;
  *out = static_cast<int64_t>(v);
  return true;
}

absl::StatusOr<int64_t> ParseBytes(absl::string_view s) {
  // ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$
  absl::string_view rest = s;
  if (TakeDigits(rest).empty()) return InvalidSize(s);
  int dots = 0;
  while (!rest.empty() && rest[0] == '.') {
    rest.remove_prefix(1);
    if (TakeDigits(rest).empty()) return InvalidSize(s);
    ++dots;
  }
  // "1.2.3" passes the pattern but is not a number (strconv.ParseFloat
  // fails on it in Docker, too).
  if (dots > 1) return InvalidSize(s);
  absl::string_view number = s.substr(0, s.size() - rest.size());
  if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  double multiplier = 1;
  if (!rest.empty()) {
    switch (absl::ascii_tolower(static_cast<unsigned char>(rest[0]))) {
      case 'k':
        multiplier = 1024.0;
        break;
      case 'm':
        multiplier = 1024.0 * 1024;
        break;
      case 'g':
        multiplier = 1024.0 * 1024 * 1024;
        break;
      case 't':
        multiplier = 1024.0 * 1024 * 1024 * 1024;
        break;
      case 'p':
        multiplier = 1024.0 * 1024 * 1024 * 1024 * 1024;
        break;
      default:
        multiplier = 0;
        break;
    }
    if (multiplier != 0) {
      rest.remove_prefix(1);
    } else {
      multiplier = 1;
    }
  }
  if (!rest.empty() && (rest[0] == 'i' || rest[0] == 'I'))
    rest.remove_prefix(1);
  if (!rest.empty() && (rest[0] == 'b' || rest[0] == 'B'))
    rest.remove_prefix(1);
  if (!rest.empty()) return InvalidSize(s);

  double value = 0;
  if (!absl::SimpleAtod(number, &value)) return InvalidSize(s);
  value *= multiplier;
  // 2^63 is the first double that int64 cannot hold.
  if (!(value < 9223372036854775808.0)) return InvalidSize(s);
  return static_cast<int64_t>(value);
}

absl::StatusOr<int64_t> ParseMemorySwap(absl::string_view s) {
  if (s == "-1") return -1;
  return ParseBytes(s);
}

absl::StatusOr<int64_t> ParseCpus(absl::string_view s) {
  auto unparsable = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("failed to parse ", s, " as a rational number"));
  };
  auto too_precise = [] {
    return absl::InvalidArgumentError("value is too precise");
  };
  auto out_of_range = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("--cpus ", s, ": value out of range"));
  };
  constexpr int128 kNano = 1000000000;
  // Big enough that any int64 result fits with room to spare, small enough
  // that nothing below overflows an int128.
  constexpr int128 kLimit = kInt64Max * kNano;

  absl::string_view rest = s;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }

  int128 nano = 0;
  if (size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    // "a/b": both plain digit runs, b > 0.
    absl::string_view num = rest.substr(0, slash);
    absl::string_view den = rest.substr(slash + 1);
    absl::string_view n_rest = num, d_rest = den;
    if (TakeDigits(n_rest).size() != num.size() || num.empty() ||
        TakeDigits(d_rest).size() != den.size() || den.empty()) {
      return unparsable();
    }
    int128 a = 0, b = 0;
    if (!DigitsToInt(num, kInt64Max, &a)) return out_of_range();
    if (!DigitsToInt(den, kInt64Max, &b)) return too_precise();
    if (b == 0) return unparsable();
    if ((a * kNano) % b != 0) return too_precise();
    nano = a * kNano / b;
  } else {
    // Decimal: digits [. digits] [e [+-] digits], at least one digit before
    // the exponent.
    absl::string_view int_part = TakeDigits(rest);
    absl::string_view frac_part;
    if (!rest.empty() && rest[0] == '.') {
      rest.remove_prefix(1);
      frac_part = TakeDigits(rest);
    }
    if (int_part.empty() && frac_part.empty()) return unparsable();
    int64_t exponent = 0;
    if (!rest.empty() && (rest[0] == 'e' || rest[0] == 'E')) {
      rest.remove_prefix(1);
      bool exp_negative = false;
      if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
        exp_negative = rest[0] == '-';
        rest.remove_prefix(1);
      }
      absl::string_view exp_digits = TakeDigits(rest);
      if (exp_digits.empty()) return unparsable();
      int128 e = 0;
      // Anything beyond 10^4 either overflows or is too precise.
      if (!DigitsToInt(exp_digits, 10000, &e)) e = 10001;
      exponent = static_cast<int64_t>(exp_negative ? -e : e);
    }
    if (!rest.empty()) return unparsable();

    std::string digits = absl::StrCat(int_part, frac_part);
    size_t first = digits.find_first_not_of('0');
    if (first == std::string::npos) {
      digits.clear();
    } else {
      digits.erase(0, first);
    }
    // value = digits * 10^(exponent - |frac|); nano = value * 10^9.
    int64_t shift = exponent - static_cast<int64_t>(frac_part.size()) + 9;
    if (!digits.empty()) {
      if (shift < 0) {
        size_t drop = static_cast<size_t>(-shift);
        if (drop >= digits.size()) return too_precise();
        if (digits.find_first_not_of('0', digits.size() - drop) !=
            std::string::npos) {
          return too_precise();
        }
        digits.resize(digits.size() - drop);
        shift = 0;
      }
      if (digits.size() + static_cast<size_t>(shift) > 19)
        return out_of_range();
      if (!DigitsToInt(digits, kLimit, &nano)) return out_of_range();
      for (int64_t i = 0; i < shift; ++i) nano *= 10;
    }
  }
  if (nano > kInt64Max) return out_of_range();
  return static_cast<int64_t>(negative ? -nano : nano);
}

}  // namespace mydocker::spec
