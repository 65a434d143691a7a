// The time values `docker logs --since/--until` accept, read as Docker 20.10
// reads them: the CLI's timetypes.GetTimestamp turns the value into Unix
// seconds, which dockerd's timetypes.ParseTimestamps turns into a time.
//
//   "10m", "1h30m", "-5s", "1.5h"     a Go duration: now minus it, cut to
//                                      whole seconds ("0" is not one)
//   "2013-01-02T13:23:37Z"            RFC 3339, the fraction optional,
//   "2013-01-02T13:23:37.5+01:00"     minutes and seconds optional
//   "2013-01-02", "2013-01-02T13:23"  no zone: the local zone's offset now
//   "1700000000", "1700000000.25"     Unix seconds, fraction optional
//
//   ASSIGN_OR_RETURN(absl::Time since, ParseSince("10m", absl::Now()));
//   ASSIGN_OR_RETURN(absl::Time until, ParseUntil("", absl::Now()));
//   // until == absl::InfiniteFuture()
#ifndef MYDOCKER_LIB_LOGGER_TIME_SPEC_H_
#define MYDOCKER_LIB_LOGGER_TIME_SPEC_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mydocker::logger {

// One value in any of the forms above, relative to `now`; a time without a
// zone is in `local`'s UTC offset at `now` (Go's FixedZone(now.Zone())).
// InvalidArgument with Go's words: `failed to parse value as time or
// duration: "x"`, or `parsing time "x" ...` for a date that is not one.
absl::StatusOr<absl::Time> ParseTimeValue(
    absl::string_view value, absl::Time now,
    absl::TimeZone local = absl::LocalTimeZone());

// --since: absl::InfinitePast() for "". Errors are prefixed
// `invalid value for "since": ` as the CLI prefixes them.
absl::StatusOr<absl::Time> ParseSince(
    absl::string_view value, absl::Time now,
    absl::TimeZone local = absl::LocalTimeZone());

// --until: absl::InfiniteFuture() for "" and for "0" (dockerd's "no
// limit"). Errors are prefixed `invalid value for "until": `.
absl::StatusOr<absl::Time> ParseUntil(
    absl::string_view value, absl::Time now,
    absl::TimeZone local = absl::LocalTimeZone());

// Go's time.ParseDuration: "300ms", "-1.5h", "2h45m"; units ns, us (µs,
// μs), ms, s, m, h; "0" needs no unit. InvalidArgument `time: invalid
// duration "x"` (or Go's other messages) otherwise.
absl::StatusOr<absl::Duration> ParseGoDuration(absl::string_view s);

}  // namespace mydocker::logger

#endif  // MYDOCKER_LIB_LOGGER_TIME_SPEC_H_
