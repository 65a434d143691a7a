#include "lib/logger/time_spec.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"

namespace mydocker::logger {
namespace {

bool IsDigit(absl::string_view s, size_t i) {
  return i < s.size() && s[i] >= '0' && s[i] <= '9';
}

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

// Go's strconv.ParseInt(s, 10, 64): an optional sign and decimal digits,
// nothing else (no spaces, no underscores), within int64.
std::optional<int64_t> GoParseInt(absl::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  const uint64_t limit = neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    if (v > (limit - (c - '0')) / 10) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
}

// dockerd's timetypes.parseTimestamp: "<seconds>[.<fraction>]". The
// fraction is scaled to nanoseconds through a float64 as Go does, so more
// than nine digits are cut, not rounded.
std::optional<absl::Time> ParseUnixTimestamp(absl::string_view value) {
  size_t dot = value.find('.');
  std::optional<int64_t> s = GoParseInt(value.substr(0, dot));
  if (!s) return std::nullopt;
  absl::Time t = absl::FromUnixSeconds(*s);
  if (dot == absl::string_view::npos) return t;
  absl::string_view frac = value.substr(dot + 1);
  std::optional<int64_t> n = GoParseInt(frac);
  if (!n) return std::nullopt;
  double scaled = static_cast<double>(*n) *
                  std::pow(10.0, 9.0 - static_cast<double>(frac.size()));
  return t + absl::Nanoseconds(static_cast<int64_t>(scaled));
}

// Go's time.Parse / ParseInLocation for the few layouts GetTimestamp uses,
// made of the elements 2006 01 02 15 04 05 .999999999 Z07:00 and literal
// characters. `zone` applies when the layout has no zone element.
absl::StatusOr<absl::Time> ParseGoLayout(absl::string_view layout,
                                         absl::string_view value,
                                         absl::TimeZone zone) {
  int64_t year = 0;
  int month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int64_t nanos = 0;
  std::optional<int> offset;  // Seconds east of UTC, if the value has one.
  absl::string_view v = value;
  absl::string_view l = layout;

  auto cannot = [&](absl::string_view element) {
    return absl::InvalidArgumentError(
        absl::StrCat("parsing time ", Quote(value), " as ", Quote(layout),
                     ": cannot parse ", Quote(v), " as ", Quote(element)));
  };
  auto out_of_range = [&](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("parsing time ", Quote(value), ": ", what, " out of range"));
  };
  // Go's getnum: two digits, or one when `fixed` is false.
  auto number = [&](bool fixed) -> std::optional<int> {
    if (!IsDigit(v, 0)) return std::nullopt;
    if (!IsDigit(v, 1)) {
      if (fixed) return std::nullopt;
      int n = v[0] - '0';
      v.remove_prefix(1);
      return n;
    }
    int n = (v[0] - '0') * 10 + (v[1] - '0');
    v.remove_prefix(2);
    return n;
  };
  // Digits after a '.' or ',' that is known to be followed by one.
  auto fraction = [&] {
    size_t n = 1;
    while (IsDigit(v, n)) ++n;
    int64_t ns = 0;
    for (size_t i = 1; i < 10; ++i) ns = ns * 10 + (i < n ? v[i] - '0' : 0);
    v.remove_prefix(n);
    return ns;
  };
  auto has_fraction = [&] {
    return v.size() >= 2 && (v[0] == '.' || v[0] == ',') && IsDigit(v, 1);
  };

  constexpr absl::string_view kFrac = ".999999999";
  while (!l.empty()) {
    if (absl::ConsumePrefix(&l, "2006")) {
      if (v.size() < 4 || !IsDigit(v, 0) || !IsDigit(v, 1) || !IsDigit(v, 2) ||
          !IsDigit(v, 3)) {
        return cannot("2006");
      }
      year = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 +
             (v[3] - '0');
      v.remove_prefix(4);
    } else if (absl::ConsumePrefix(&l, "Z07:00")) {
      if (absl::ConsumePrefix(&v, "Z")) {
        offset = 0;
        continue;
      }
      if (v.size() < 6 || v[3] != ':' || (v[0] != '+' && v[0] != '-') ||
          !IsDigit(v, 1) || !IsDigit(v, 2) || !IsDigit(v, 4) || !IsDigit(v, 5)) {
        return cannot("Z07:00");
      }
      int hh = (v[1] - '0') * 10 + (v[2] - '0');
      int mm = (v[4] - '0') * 10 + (v[5] - '0');
      if (hh > 24) return out_of_range("time zone offset hour");
      if (mm > 60) return out_of_range("time zone offset minute");
      offset = (hh * 60 + mm) * 60 * (v[0] == '-' ? -1 : 1);
      v.remove_prefix(6);
    } else if (absl::ConsumePrefix(&l, kFrac)) {
      // Go: a fraction of 9s is optional in the input.
      if (has_fraction()) nanos = fraction();
    } else if (absl::ConsumePrefix(&l, "01")) {
      std::optional<int> n = number(true);
      if (!n) return cannot("01");
      if (*n < 1 || *n > 12) return out_of_range("month");
      month = *n;
    } else if (absl::ConsumePrefix(&l, "02")) {
      std::optional<int> n = number(true);
      if (!n) return cannot("02");
      day = *n;  // Checked against the month below, as Go does.
    } else if (absl::ConsumePrefix(&l, "15")) {
      std::optional<int> n = number(false);
      if (!n) return cannot("15");
      if (*n > 23) return out_of_range("hour");
      hour = *n;
    } else if (absl::ConsumePrefix(&l, "04")) {
      std::optional<int> n = number(true);
      if (!n) return cannot("04");
      if (*n > 59) return out_of_range("minute");
      minute = *n;
    } else if (absl::ConsumePrefix(&l, "05")) {
      std::optional<int> n = number(true);
      if (!n) return cannot("05");
      if (*n > 59) return out_of_range("second");
      second = *n;
      // Go takes a fraction after the seconds even where the layout has
      // none.
      if (!absl::StartsWith(l, kFrac) && has_fraction()) nanos = fraction();
    } else {
      if (v.empty() || v[0] != l[0]) return cannot(l.substr(0, 1));
      v.remove_prefix(1);
      l.remove_prefix(1);
    }
  }
  if (!v.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parsing time ", Quote(value), ": extra text: ", Quote(v)));
  }
  if (day < 1 || absl::CivilDay(year, month, day).day() != day) {
    return out_of_range("day");
  }
  absl::TimeZone tz = offset ? absl::FixedTimeZone(*offset) : zone;
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second),
                         tz) +
         absl::Nanoseconds(nanos);
}

absl::Status WithFlag(absl::string_view flag, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("invalid value for \"", flag,
                                             "\": ", s.message()));
}

}  // namespace

absl::StatusOr<absl::Duration> ParseGoDuration(absl::string_view orig) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("time: ", why, " ", Quote(orig)));
  };
  absl::string_view s = orig;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return absl::ZeroDuration();
  if (s.empty()) return invalid("invalid duration");
  constexpr uint64_t kMax = uint64_t{1} << 63;
  uint64_t d = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || IsDigit(s, 0))) return invalid("invalid duration");
    // The integer part.
    uint64_t v = 0;
    size_t i = 0;
    for (; IsDigit(s, i); ++i) {
      if (v > kMax / 10) return invalid("invalid duration");
      v = v * 10 + (s[i] - '0');
      if (v > kMax) return invalid("invalid duration");
    }
    bool pre = i > 0;
    s.remove_prefix(i);
    // The fraction: digits past what fits are ignored, as in Go.
    uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      bool overflow = false;
      size_t j = 0;
      for (; IsDigit(s, j); ++j) {
        if (overflow) continue;
        if (f > (kMax - 1) / 10) {
          overflow = true;
          continue;
        }
        uint64_t y = f * 10 + (s[j] - '0');
        if (y > kMax) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) return invalid("invalid duration");
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !IsDigit(s, u)) ++u;
    if (u == 0) return invalid("missing unit in duration");
    absl::string_view unit_name = s.substr(0, u);
    s.remove_prefix(u);
    uint64_t unit;
    if (unit_name == "ns") {
      unit = 1;
    } else if (unit_name == "us" || unit_name == "\xc2\xb5s" ||
               unit_name == "\xce\xbcs") {
      unit = 1000;
    } else if (unit_name == "ms") {
      unit = 1000 * 1000;
    } else if (unit_name == "s") {
      unit = 1000 * 1000 * 1000;
    } else if (unit_name == "m") {
      unit = uint64_t{60} * 1000 * 1000 * 1000;
    } else if (unit_name == "h") {
      unit = uint64_t{3600} * 1000 * 1000 * 1000;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "time: unknown unit ", Quote(unit_name), " in duration ", Quote(orig)));
    }
    if (v > kMax / unit) return invalid("invalid duration");
    v *= unit;
    if (f > 0) {
      v += static_cast<uint64_t>(static_cast<double>(f) *
                                 (static_cast<double>(unit) / scale));
      if (v > kMax) return invalid("invalid duration");
    }
    d += v;
    if (d > kMax) return invalid("invalid duration");
  }
  if (neg) return absl::Nanoseconds(static_cast<int64_t>(0 - d));
  if (d > kMax - 1) return invalid("invalid duration");
  return absl::Nanoseconds(static_cast<int64_t>(d));
}

absl::StatusOr<absl::Time> ParseTimeValue(absl::string_view value,
                                          absl::Time now,
                                          absl::TimeZone local) {
  if (value != "0") {
    if (absl::StatusOr<absl::Duration> d = ParseGoDuration(value); d.ok()) {
      // The CLI sends whole seconds (Go's Unix(), which floors).
      return absl::FromUnixSeconds(absl::ToUnixSeconds(now - *d));
    }
  }
  size_t dashes = std::count(value.begin(), value.end(), '-');
  bool in_location =
      !(value.find_first_of("zZ+") != absl::string_view::npos || dashes == 3);
  absl::string_view layout;
  if (absl::StrContains(value, '.')) {
    layout = in_location ? "2006-01-02T15:04:05.999999999"
                         : "2006-01-02T15:04:05.999999999Z07:00";
  } else if (absl::StrContains(value, 'T')) {
    // The colons of the time of day (one more is the zone's, if any).
    size_t colons = std::count(value.begin(), value.end(), ':');
    if (!in_location && value.find_first_of("zZ") == absl::string_view::npos &&
        colons > 0) {
      --colons;
    }
    static constexpr absl::string_view kLocal[] = {
        "2006-01-02T15", "2006-01-02T15:04", "2006-01-02T15:04:05"};
    static constexpr absl::string_view kZoned[] = {
        "2006-01-02T15Z07:00", "2006-01-02T15:04Z07:00",
        "2006-01-02T15:04:05Z07:00"};
    colons = std::min<size_t>(colons, 2);
    layout = in_location ? kLocal[colons] : kZoned[colons];
  } else {
    layout = in_location ? "2006-01-02" : "2006-01-02Z07:00";
  }
  // Go's FixedZone(now.Zone()): the offset in force now, for any date.
  absl::TimeZone zone = in_location
                            ? absl::FixedTimeZone(local.At(now).offset)
                            : absl::UTCTimeZone();
  absl::StatusOr<absl::Time> t = ParseGoLayout(layout, value, zone);
  if (t.ok()) return t;
  // With a '-' it was meant as a date; say why it is not one.
  if (absl::StrContains(value, '-')) return t.status();
  std::optional<absl::Time> unix_time = ParseUnixTimestamp(value);
  if (!unix_time) {
    return absl::InvalidArgumentError(absl::StrCat(
        "failed to parse value as time or duration: ", Quote(value)));
  }
  return *unix_time;
}

absl::StatusOr<absl::Time> ParseSince(absl::string_view value, absl::Time now,
                                      absl::TimeZone local) {
  if (value.empty()) return absl::InfinitePast();
  absl::StatusOr<absl::Time> t = ParseTimeValue(value, now, local);
  if (!t.ok()) return WithFlag("since", t.status());
  return t;
}

absl::StatusOr<absl::Time> ParseUntil(absl::string_view value, absl::Time now,
                                      absl::TimeZone local) {
  if (value.empty() || value == "0") return absl::InfiniteFuture();
  absl::StatusOr<absl::Time> t = ParseTimeValue(value, now, local);
  if (!t.ok()) return WithFlag("until", t.status());
  return t;
}

}  // namespace mydocker::logger
