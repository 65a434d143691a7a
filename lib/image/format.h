// How Docker prints image sizes, ages and ids, to the character.
//
// The rules are go-units 0.4.0 (the version Debian builds docker.io 20.10
// with) as docker/cli 20.10 applies them in cli/command/formatter/image.go:
//
//   HumanSize(1985648)                        // "1.99MB"  (`images` SIZE)
//   HumanSizeWithPrecision(1985648, 4)        // "1.986MB" ({{.VirtualSize}})
//   HumanDuration(absl::Hours(24 * 365 * 3))  // "3 years"
//   CreatedSince(created, absl::Now())        // "3 years ago", or "N/A"
//   ShortId(image_id)                         // "18117d7e766f"
#ifndef MYDOCKER_LIB_IMAGE_FORMAT_H_
#define MYDOCKER_LIB_IMAGE_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lib/digest/digest.h"

namespace mydocker::image {

// Go's zero time.Time, 0001-01-01T00:00:00Z. Docker shows it for an image
// whose config has no "created" and for a never-tagged image's LastTagTime.
inline constexpr absl::Time kGoZeroTime = absl::FromUnixSeconds(-62135596800);

// go-units HumanSizeWithPrecision: divides by 1000 while the value is at
// least 1000 (units B kB MB GB TB PB EB ZB YB), then prints it with C/Go
// "%.<precision>g" and the unit, no space: "0B", "33B", "1.99MB", "11.8MB",
// and, as in Docker, "1e+03kB" for 999999. `precision` is at least 1.
std::string HumanSizeWithPrecision(double size, int precision);

// HumanSizeWithPrecision(bytes, 3): the SIZE column of `docker images`.
std::string HumanSize(int64_t bytes);

// go-units HumanDuration: "Less than a second" (also for negative
// durations), "1 second", "N seconds", "About a minute", "N minutes",
// "About an hour" (hours are rounded to nearest from here on), "N hours"
// (< 48), "N days" (< 14 days), "N weeks" (< 60 days), "N months" (30-day
// months, < 2 years), "N years" (365-day years). Durations beyond Go's
// time.Duration range (about 292 years) saturate as they do in Go.
std::string HumanDuration(absl::Duration d);

// The CREATED column: HumanDuration(now - created) + " ago", or "N/A" for
// kGoZeroTime (an image without a creation time), as the CLI prints it.
std::string CreatedSince(absl::Time created, absl::Time now);

// stringid.TruncateID: drops everything up to the first ':' ("sha256:"),
// then keeps at most 12 characters. For image and container ids alike.
std::string TruncateId(absl::string_view id);

// TruncateId(id.str()): "18117d7e766f", the IMAGE ID column.
std::string ShortId(const digest::Digest& id);

}  // namespace mydocker::image

#endif  // MYDOCKER_LIB_IMAGE_FORMAT_H_
