#include "lib/image/format.h"

#include <cstdio>
#include <limits>

#include "absl/strings/str_cat.h"

namespace mydocker::image {
namespace {

constexpr const char* kDecimalUnits[] = {"B",  "kB", "MB", "GB", "TB",
                                         "PB", "EB", "ZB", "YB"};

}  // namespace

std::string HumanSizeWithPrecision(double size, int precision) {
  if (precision < 1) precision = 1;
  size_t unit = 0;
  constexpr size_t kLast = sizeof(kDecimalUnits) / sizeof(kDecimalUnits[0]) - 1;
  while (size >= 1000.0 && unit < kLast) {
    size /= 1000.0;
    ++unit;
  }
  // Go's %g and C's %g agree for finite values: the same switch to
  // exponent form (exponent < -4 or >= precision), trailing zeros dropped,
  // at least two exponent digits.
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*g", precision, size);
  return absl::StrCat(buf, kDecimalUnits[unit]);
}

std::string HumanSize(int64_t bytes) {
  return HumanSizeWithPrecision(static_cast<double>(bytes), 3);
}

std::string HumanDuration(absl::Duration d) {
  // A Go time.Duration is int64 nanoseconds; time.Sub saturates at its ends.
  const absl::Duration kMax =
      absl::Nanoseconds(std::numeric_limits<int64_t>::max());
  if (d > kMax) d = kMax;
  // int(d.Seconds()) etc.: Go truncates toward zero.
  const int64_t seconds = static_cast<int64_t>(absl::ToDoubleSeconds(d));
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return absl::StrCat(seconds, " seconds");
  const int64_t minutes = static_cast<int64_t>(absl::ToDoubleMinutes(d));
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return absl::StrCat(minutes, " minutes");
  const int64_t hours = static_cast<int64_t>(absl::ToDoubleHours(d) + 0.5);
  if (hours == 1) return "About an hour";
  if (hours < 48) return absl::StrCat(hours, " hours");
  if (hours < 24 * 7 * 2) return absl::StrCat(hours / 24, " days");
  if (hours < 24 * 30 * 2) return absl::StrCat(hours / 24 / 7, " weeks");
  if (hours < 24 * 365 * 2) return absl::StrCat(hours / 24 / 30, " months");
  // Here Go uses the unrounded hours.
  return absl::StrCat(static_cast<int64_t>(absl::ToDoubleHours(d)) / 24 / 365,
                      " years");
}

std::string CreatedSince(absl::Time created, absl::Time now) {
  // The API carries whole seconds; the CLI turns Go's zero time into "".
  created = absl::FromUnixSeconds(absl::ToUnixSeconds(created));
  if (created == kGoZeroTime) return "N/A";
  return absl::StrCat(HumanDuration(now - created), " ago");
}

std::string TruncateId(absl::string_view id) {
  if (size_t colon = id.find(':'); colon != absl::string_view::npos) {
    id.remove_prefix(colon + 1);
  }
  return std::string(id.substr(0, 12));
}

std::string ShortId(const digest::Digest& id) { return TruncateId(id.str()); }

}  // namespace mydocker::image
