#include "lib/spec/units.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace mydocker::spec {
namespace {

TEST(ParseBytesTest, DockersRamInBytes) {
  struct Case {
    const char* in;
    int64_t want;
  };
  // go-units RAMInBytes, binary units; fractions truncate to whole bytes.
  const Case cases[] = {
      {"0", 0},
      {"100", 100},
      {"32", 32},
      {"32b", 32},
      {"32B", 32},
      {"32k", 32 * 1024},
      {"32K", 32 * 1024},
      {"32kb", 32 * 1024},
      {"32Kb", 32 * 1024},
      {"32Kib", 32 * 1024},
      {"32KIB", 32 * 1024},
      {"32Mb", 32 * 1024 * 1024},
      {"512m", 536870912},
      {"512MiB", 536870912},
      {"32Gb", 32LL * 1024 * 1024 * 1024},
      {"1g", 1073741824},
      {"1.5g", 1610612736},
      {"0.5k", 512},
      {"0.1m", 104857},  // 104857.6 truncated
      {"32Tb", 32LL * 1024 * 1024 * 1024 * 1024},
      {"32PB", 32LL * 1024 * 1024 * 1024 * 1024 * 1024},
      {"32 mb", 32 * 1024 * 1024},
      {"1 i", 1},  // The pattern allows a lone "i".
      {"64m", 67108864},
      {"32 ", 32},  // "32" then the optional space.
  };
  for (const Case& c : cases) {
    absl::StatusOr<int64_t> got = ParseBytes(c.in);
    ASSERT_TRUE(got.ok()) << c.in << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.in;
  }
}

TEST(ParseBytesTest, RefusesWhatDockerRefuses) {
  for (const char* in : {"", " ", "-1", "m", "32.", ".5m", "1.2.3", "32  mb",
                         " 32", "32bm", "32x", "32mbb", "32ki b", "1e3", "0x10",
                         "8192p", "99999999999999999999"}) {
    absl::StatusOr<int64_t> got = ParseBytes(in);
    ASSERT_FALSE(got.ok()) << "'" << in << "' gave " << *got;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(got.status().message(),
              std::string("invalid size: '") + in + "'");
  }
}

TEST(ParseBytesTest, MemorySwap) {
  EXPECT_EQ(*ParseMemorySwap("-1"), -1);
  EXPECT_EQ(*ParseMemorySwap("1g"), 1073741824);
  EXPECT_FALSE(ParseMemorySwap("-2").ok());
}

TEST(ParseCpusTest, RationalNumbersToNanoCpus) {
  struct Case {
    const char* in;
    int64_t want;
  };
  const Case cases[] = {
      {"1", 1000000000},     {"1.5", 1500000000},
      {"0.5", 500000000},    {".5", 500000000},
      {"2.", 2000000000},    {"0.000000001", 1},
      {"0.0000000010", 1},   {"3/2", 1500000000},
      {"1/3000000", 333},  // 1e9/3e6 is not whole...
      {"+2", 2000000000},    {"-1", -1000000000},
      {"1e-1", 100000000},   {"15E-1", 1500000000},
      {"2e2", 200000000000}, {"0", 0},
      {"000.25", 250000000},
  };
  for (const Case& c : cases) {
    absl::StatusOr<int64_t> got = ParseCpus(c.in);
    if (std::string(c.in) == "1/3000000") {
      // ...so it is too precise, as in Docker.
      ASSERT_FALSE(got.ok());
      EXPECT_EQ(got.status().message(), "value is too precise");
      continue;
    }
    ASSERT_TRUE(got.ok()) << c.in << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.in;
  }
}

TEST(ParseCpusTest, Errors) {
  for (const char* in : {"", "abc", "1.5x", "1..5", "1/0", "1/", "/2", "e5",
                         "1e", "1.5.", " 1", "--1", "1/-2"}) {
    absl::StatusOr<int64_t> got = ParseCpus(in);
    ASSERT_FALSE(got.ok()) << "'" << in << "' gave " << *got;
    EXPECT_EQ(got.status().message(),
              std::string("failed to parse ") + in + " as a rational number");
  }
  EXPECT_EQ(ParseCpus("0.0000000001").status().message(),
            "value is too precise");
  EXPECT_EQ(ParseCpus("1e-10").status().message(), "value is too precise");
  EXPECT_EQ(ParseCpus("1/7").status().message(), "value is too precise");
  EXPECT_EQ(ParseCpus("10000000000").status().message(),
            "--cpus 10000000000: value out of range");
  EXPECT_EQ(ParseCpus("1e300").status().message(),
            "--cpus 1e300: value out of range");
  EXPECT_EQ(ParseCpus("1e-99999").status().message(), "value is too precise");
  EXPECT_EQ(*ParseCpus("0e99999"), 0);
}

TEST(ParseGoIntTest, LikeStrconvAtoi) {
  int64_t v = 0;
  EXPECT_TRUE(ParseGoInt("42", &v));
  EXPECT_EQ(v, 42);
  EXPECT_TRUE(ParseGoInt("+7", &v));
  EXPECT_EQ(v, 7);
  EXPECT_TRUE(ParseGoInt("-9223372036854775808", &v));
  EXPECT_EQ(v, INT64_MIN);
  EXPECT_TRUE(ParseGoInt("9223372036854775807", &v));
  EXPECT_EQ(v, INT64_MAX);
  v = 5;
  for (const char* bad :
       {"", "+", "-", " 1", "1 ", "1a", "0x1", "1.0", "9223372036854775808"}) {
    EXPECT_FALSE(ParseGoInt(bad, &v)) << bad;
  }
  EXPECT_EQ(v, 5);
}

}  // namespace
}  // namespace mydocker::spec
