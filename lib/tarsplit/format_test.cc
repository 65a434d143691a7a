#include "lib/tarsplit/format.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::tarsplit {
namespace {

using ::testing::HasSubstr;

Entry File(std::string name, int64_t size, std::optional<std::string> payload,
           int64_t position) {
  Entry e;
  e.type = EntryType::kFile;
  e.name = std::move(name);
  e.size = size;
  e.payload = std::move(payload);
  e.position = position;
  return e;
}

// Expected lines are copied from the goldens the real tar-split wrote
// (lib/tarsplit/testdata, decompressed).
TEST(FormatTest, EncodesLikeGo) {
  Entry seg;
  seg.payload = std::string("\0\0\0", 3);
  seg.position = 0;
  EXPECT_EQ(EncodeEntry(seg),
            "{\"type\":2,\"payload\":\"AAAA\",\"position\":0}\n");
  seg.payload = "";
  seg.position = 34;
  EXPECT_EQ(EncodeEntry(seg),
            "{\"type\":2,\"payload\":\"\",\"position\":34}\n");
  EXPECT_EQ(
      EncodeEntry(File("tree/", 0, std::nullopt, 1)),
      "{\"type\":1,\"name\":\"tree/\",\"payload\":null,\"position\":1}\n");
  EXPECT_EQ(
      EncodeEntry(File("tree/f1", 1, std::string("?`\0\0\0\0\0\0", 8), 5)),
      "{\"type\":1,\"name\":\"tree/"
      "f1\",\"size\":1,\"payload\":\"P2AAAAAAAAA=\","
      "\"position\":5}\n");
  // Not UTF-8: the name goes base64 into name_raw.
  EXPECT_EQ(EncodeEntry(File("tree/latin1-\xff", 6,
                             std::string(":\xf7|3r\x9f`\0", 8), 19)),
            "{\"type\":1,\"name_raw\":\"dHJlZS9sYXRpbjEt/w==\",\"size\":6,"
            "\"payload\":\"Ovd8M3KfYAA=\",\"position\":19}\n");
  // Go's escapes: HTML characters, controls, U+2028; UTF-8 otherwise as is.
  EXPECT_EQ(
      EncodeEntry(File("dir/esc<&>\"\\\x01\n\xe2\x80\xa8", 6,
                       std::string(":\xf7|3r\x9f`\0", 8), 39)),
      "{\"type\":1,\"name\":\"dir/esc\\u003c\\u0026\\u003e\\\"\\\\\\u0001\\n"
      "\\u2028\",\"size\":6,\"payload\":\"Ovd8M3KfYAA=\",\"position\":39}\n");
  EXPECT_EQ(
      EncodeEntry(File("caf\xc3\xa9\t\r\x7f\xe2\x80\xa9", 0, std::nullopt, 2)),
      "{\"type\":1,\"name\":\"caf\xc3\xa9\\t\\r\x7f\\u2029\","
      "\"payload\":null,\"position\":2}\n");
  // An empty name is omitted, as Go's omitempty does.
  EXPECT_EQ(EncodeEntry(File("", 0, std::nullopt, 3)),
            "{\"type\":1,\"payload\":null,\"position\":3}\n");
}

TEST(FormatTest, DecodeInvertsEncode) {
  for (const Entry& e :
       {File("a", 3, std::string(8, '\x01'), 7),
        File("tree/latin1-\xff", 6, std::string(8, 'x'), 19),
        File("dir/esc<&>\"\\\x01\n\xe2\x80\xa8", 0, std::nullopt, 0)}) {
    absl::StatusOr<Entry> d = DecodeEntry(EncodeEntry(e));
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->type, e.type);
    EXPECT_EQ(d->name, e.name);
    EXPECT_EQ(d->size, e.size);
    EXPECT_EQ(d->payload, e.payload);
    EXPECT_EQ(d->position, e.position);
  }
  // Fields in any order, unknown fields, missing optional fields.
  absl::StatusOr<Entry> d = DecodeEntry(
      "{\"position\":9,\"extra\":[1],\"payload\":\"AAE=\",\"type\":2}");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->type, EntryType::kSegment);
  EXPECT_EQ(d->payload, std::string("\0\1", 2));
  EXPECT_EQ(d->position, 9);
}

TEST(FormatTest, DecodeRejectsMalformedEntries) {
  for (const char* bad : {
           "",
           "[]",
           "{\"type\":2",
           "{\"payload\":null}",
           "{\"type\":3}",
           "{\"type\":\"1\"}",
           "{\"type\":1.5}",
           "{\"type\":1,\"size\":-1}",
           "{\"type\":1,\"size\":\"5\"}",
           "{\"type\":1,\"name\":5}",
           "{\"type\":2,\"payload\":\"AAE\"}",
           "{\"type\":2,\"payload\":\"!!!!\"}",
           "{\"type\":1,\"name_raw\":7}",
           "{\"type\":1,\"size\":18446744073709551615}",
       }) {
    absl::StatusOr<Entry> d = DecodeEntry(bad);
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_THAT(DecodeEntry("{\"type\":7}").status().message(),
              HasSubstr("unknown type 7"));
}

TEST(FormatTest, Utf8ValidityLikeGo) {
  for (const char* ok : {"", "abc", "caf\xc3\xa9", "\xe2\x80\xa8",
                         "\xf0\x9f\x90\xb3", "\xf4\x8f\xbf\xbf", "\x7f"}) {
    EXPECT_TRUE(IsValidUtf8(ok)) << ok;
  }
  for (const char* bad :
       {"\xff", "\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xc3",
        "\xed\xa0\x80" /* surrogate */, "\xf4\x90\x80\x80" /* > U+10FFFF */,
        "\xf0\x8f\xbf\xbf" /* overlong */, "a\xe2\x80"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
  }
}

TEST(FormatTest, CleanPathLikeGo) {
  // Cases from Go's path/filepath tests.
  const std::pair<const char*, const char*> cases[] = {
      {"", "."},
      {".", "."},
      {"abc", "abc"},
      {"abc/def", "abc/def"},
      {"..", ".."},
      {"../..", "../.."},
      {"/", "/"},
      {"abc/", "abc"},
      {"abc//def//ghi", "abc/def/ghi"},
      {"//abc", "/abc"},
      {"abc/./def", "abc/def"},
      {"/./abc/def", "/abc/def"},
      {"abc/def/ghi/../jkl", "abc/def/jkl"},
      {"abc/def/../ghi/../jkl", "abc/jkl"},
      {"abc/def/..", "abc"},
      {"abc/def/../..", "."},
      {"/abc/def/../..", "/"},
      {"abc/def/../../..", ".."},
      {"/abc/def/../../..", "/"},
      {"abc/def/../../../ghi/jkl/../../../mno", "../../mno"},
      {"/../abc", "/abc"},
      {"abc/./../def", "def"},
      {"abc//./../def", "def"},
      {"abc/../../././../def", "../../def"},
      {"./dir/", "dir"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(CleanPath(in), want) << in;
}

}  // namespace
}  // namespace mydocker::tarsplit
