#include "lib/logger/time_spec.h"

#include <string>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace mydocker::logger {
namespace {

// 2023-11-14T22:13:20.7Z, and a local zone one hour east of UTC.
const absl::Time kNow = absl::FromUnixSeconds(1700000000) + absl::Milliseconds(700);
const absl::TimeZone kLocal = absl::FixedTimeZone(3600);

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

absl::Time Value(const std::string& v) {
  absl::StatusOr<absl::Time> t = ParseTimeValue(v, kNow, kLocal);
  EXPECT_TRUE(t.ok()) << v << ": " << t.status();
  return t.ok() ? *t : absl::InfinitePast();
}

std::string Error(const std::string& v) {
  absl::StatusOr<absl::Time> t = ParseSince(v, kNow, kLocal);
  EXPECT_FALSE(t.ok()) << v << " parsed as " << *t;
  EXPECT_TRUE(absl::IsInvalidArgument(t.status())) << t.status();
  return std::string(t.status().message());
}

TEST(GoDurationTest, AcceptsWhatGoAccepts) {
  EXPECT_EQ(*ParseGoDuration("10m"), absl::Minutes(10));
  EXPECT_EQ(*ParseGoDuration("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseGoDuration("1.5h"), absl::Minutes(90));
  EXPECT_EQ(*ParseGoDuration("-5s"), absl::Seconds(-5));
  EXPECT_EQ(*ParseGoDuration("+300ms"), absl::Milliseconds(300));
  EXPECT_EQ(*ParseGoDuration("2us"), absl::Microseconds(2));
  EXPECT_EQ(*ParseGoDuration("2\xc2\xb5s"), absl::Microseconds(2));  // µs
  EXPECT_EQ(*ParseGoDuration("2\xce\xbcs"), absl::Microseconds(2));  // μs
  EXPECT_EQ(*ParseGoDuration(".5s"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseGoDuration("5.s"), absl::Seconds(5));
  EXPECT_EQ(*ParseGoDuration("1h1m1s1ms1us1ns"),
            absl::Hours(1) + absl::Minutes(1) + absl::Seconds(1) +
                absl::Milliseconds(1) + absl::Microseconds(1) + absl::Nanoseconds(1));
  EXPECT_EQ(*ParseGoDuration("0"), absl::ZeroDuration());
  EXPECT_EQ(*ParseGoDuration("-0"), absl::ZeroDuration());
  EXPECT_EQ(*ParseGoDuration("9223372036854775807ns"),
            absl::Nanoseconds(INT64_MAX));
  EXPECT_EQ(*ParseGoDuration("-9223372036854775808ns"),
            absl::Nanoseconds(INT64_MIN));
  // A fraction finer than the unit's nanoseconds is cut.
  EXPECT_EQ(*ParseGoDuration("1.0000000001s"), absl::Seconds(1));
}

TEST(GoDurationTest, RefusesWhatGoRefuses) {
  EXPECT_EQ(ParseGoDuration("10").status().message(),
            "time: missing unit in duration \"10\"");
  EXPECT_EQ(ParseGoDuration("1x").status().message(),
            "time: unknown unit \"x\" in duration \"1x\"");
  EXPECT_EQ(ParseGoDuration("").status().message(),
            "time: invalid duration \"\"");
  for (const char* bad : {"-", ".", ".s", "s", "1h-1m", "9223372036854775808ns",
                          "1 h", "1H"}) {
    EXPECT_FALSE(ParseGoDuration(bad).ok()) << bad;
  }
}

TEST(TimeValueTest, DurationsAreRelativeToNowInWholeSeconds) {
  EXPECT_EQ(Value("10m"), absl::FromUnixSeconds(1700000000 - 600));
  EXPECT_EQ(Value("1h30m"), absl::FromUnixSeconds(1700000000 - 5400));
  EXPECT_EQ(Value("-1h"), absl::FromUnixSeconds(1700000000 + 3600));
  EXPECT_EQ(Value("0s"), absl::FromUnixSeconds(1700000000));
}

TEST(TimeValueTest, UnixSeconds) {
  EXPECT_EQ(Value("0"), absl::UnixEpoch());  // "0" is not a duration.
  EXPECT_EQ(Value("1700000000"), absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(Value("+5"), absl::FromUnixSeconds(5));
  EXPECT_EQ(Value("1700000000.25"),
            absl::FromUnixSeconds(1700000000) + absl::Milliseconds(250));
  EXPECT_EQ(Value("1700000000.000000001"),
            absl::FromUnixSeconds(1700000000) + absl::Nanoseconds(1));
  // More than nine digits: cut to nanoseconds, as dockerd's float64 does.
  EXPECT_EQ(Value("1700000000.1234567891"),
            absl::FromUnixSeconds(1700000000) + absl::Nanoseconds(123456789));
}

TEST(TimeValueTest, Rfc3339WithAZone) {
  EXPECT_EQ(Value("2013-01-02T13:23:37Z"), Utc(2013, 1, 2, 13, 23, 37));
  EXPECT_EQ(Value("2013-01-02T13:23:37.5+01:00"),
            Utc(2013, 1, 2, 12, 23, 37) + absl::Milliseconds(500));
  EXPECT_EQ(Value("2013-01-02T13:23:37.123456789123Z"),
            Utc(2013, 1, 2, 13, 23, 37) + absl::Nanoseconds(123456789));
  EXPECT_EQ(Value("2013-01-02T13:23:37-05:00"), Utc(2013, 1, 2, 18, 23, 37));
  // Minutes and seconds may go; the zone's colon is not a time colon.
  EXPECT_EQ(Value("2013-01-02T13:23-05:00"), Utc(2013, 1, 2, 18, 23));
  EXPECT_EQ(Value("2013-01-02T13-05:00"), Utc(2013, 1, 2, 18));
  EXPECT_EQ(Value("2013-01-02T13Z"), Utc(2013, 1, 2, 13));
  EXPECT_EQ(Value("2013-01-02T5:23:37Z"), Utc(2013, 1, 2, 5, 23, 37));
  EXPECT_EQ(Value("2013-01-02Z"), Utc(2013, 1, 2));
  EXPECT_EQ(Value("2013-01-02+02:00"), Utc(2013, 1, 1, 22));
}

TEST(TimeValueTest, NoZoneMeansTheLocalOffset) {
  EXPECT_EQ(Value("2013-01-02"), Utc(2013, 1, 1, 23));
  EXPECT_EQ(Value("2013-01-02T13"), Utc(2013, 1, 2, 12));
  EXPECT_EQ(Value("2013-01-02T13:23"), Utc(2013, 1, 2, 12, 23));
  EXPECT_EQ(Value("2013-01-02T13:23:37"), Utc(2013, 1, 2, 12, 23, 37));
  EXPECT_EQ(Value("2013-01-02T13:23:37.25"),
            Utc(2013, 1, 2, 12, 23, 37) + absl::Milliseconds(250));
}

TEST(TimeValueTest, TheOffsetInForceNowAppliesToEveryDate) {
  absl::TimeZone berlin;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &berlin)) << "no tzdata";
  absl::Time winter = Utc(2024, 1, 15, 12);
  // In winter Berlin is +01:00; Go's FixedZone(now.Zone()) keeps that
  // offset for a summer date too.
  EXPECT_EQ(*ParseTimeValue("2024-07-01T12:00:00", winter, berlin),
            Utc(2024, 7, 1, 11));
  absl::Time summer = Utc(2024, 7, 15, 12);
  EXPECT_EQ(*ParseTimeValue("2024-01-01T12:00:00", summer, berlin),
            Utc(2024, 1, 1, 10));
}

TEST(TimeValueTest, ErrorsAsDockerWordsThem) {
  EXPECT_EQ(Error("foo"),
            "invalid value for \"since\": failed to parse value as time or "
            "duration: \"foo\"");
  EXPECT_EQ(Error("1e5"),
            "invalid value for \"since\": failed to parse value as time or "
            "duration: \"1e5\"");
  EXPECT_EQ(Error("10."),
            "invalid value for \"since\": failed to parse value as time or "
            "duration: \"10.\"");
  EXPECT_EQ(Error("2013-13-02"),
            "invalid value for \"since\": parsing time \"2013-13-02\": month "
            "out of range");
  EXPECT_EQ(Error("2013-02-29"),
            "invalid value for \"since\": parsing time \"2013-02-29\": day out "
            "of range");
  EXPECT_EQ(Error("2013-01-02x"),
            "invalid value for \"since\": parsing time \"2013-01-02x\": extra "
            "text: \"x\"");
  Error("2013-01-02T24:00:00Z");
  Error("2013-01-02T13:23:37z");  // Go's layout wants a capital Z.
  Error("2013-1-02");
  Error("-5");
  EXPECT_EQ(Value("2012-02-29"), Utc(2012, 2, 28, 23));  // A leap year.
}

TEST(TimeValueTest, SinceAndUntilDefaults) {
  EXPECT_EQ(*ParseSince("", kNow, kLocal), absl::InfinitePast());
  EXPECT_EQ(*ParseSince("0", kNow, kLocal), absl::UnixEpoch());
  EXPECT_EQ(*ParseUntil("", kNow, kLocal), absl::InfiniteFuture());
  // dockerd reads an until of "0" as no limit; "00" is the epoch.
  EXPECT_EQ(*ParseUntil("0", kNow, kLocal), absl::InfiniteFuture());
  EXPECT_EQ(*ParseUntil("00", kNow, kLocal), absl::UnixEpoch());
  EXPECT_EQ(*ParseUntil("5m", kNow, kLocal),
            absl::FromUnixSeconds(1700000000 - 300));
  EXPECT_EQ(ParseUntil("x", kNow, kLocal).status().message(),
            "invalid value for \"until\": failed to parse value as time or "
            "duration: \"x\"");
}

}  // namespace
}  // namespace mydocker::logger
