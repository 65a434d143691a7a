#include "lib/archive/entry_name.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::archive {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(ParseEntryNameTest, PlainPathsAreNormalised) {
  absl::StatusOr<EntryName> n = ParseEntryName("./usr//bin/./sh/");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->kind, NameKind::kPath);
  EXPECT_THAT(n->components, ElementsAre("usr", "bin", "sh"));
}

TEST(ParseEntryNameTest, RootForms) {
  for (const char* name : {".", "./", ".//.", "./."}) {
    absl::StatusOr<EntryName> n = ParseEntryName(name);
    ASSERT_TRUE(n.ok()) << name << ": " << n.status();
    EXPECT_EQ(n->kind, NameKind::kRoot) << name;
    EXPECT_THAT(n->components, IsEmpty()) << name;
  }
}

TEST(ParseEntryNameTest, RefusesEscapesAndJunk) {
  struct Case {
    std::string name;
    const char* why;
  };
  const std::vector<Case> cases = {
      {"", "empty name"},
      {"/etc/passwd", "absolute"},
      {"/", "absolute"},
      {"..", "\"..\" component"},
      {"../x", "\"..\" component"},
      {"a/../../x", "\"..\" component"},
      {"a/..", "\"..\" component"},
      {"a/../b", "\"..\" component"},  // Stays inside, refused all the same.
      {std::string("a\0b", 3), "NUL"},
      {std::string(256, 'x'), "longer than 255"},
      {"a/.wh.b/c", "used as a directory"},
      {".wh.", "names no file"},
      {".wh..", "names no file"},
      {".wh...", "names no file"},
      {"d/.wh.", "names no file"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<EntryName> n = ParseEntryName(c.name);
    EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(n.status().message(), HasSubstr(c.why)) << c.name;
  }
}

TEST(ParseEntryNameTest, RefusesOverlongPaths) {
  std::string name;
  while (name.size() < 4096) name += "abcdefg/";
  absl::StatusOr<EntryName> n = ParseEntryName(name);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(n.status().message(), HasSubstr("4096 bytes"));
  // Padding with "./" does not count: the normalised path is short.
  std::string padded;
  while (padded.size() < 5000) padded += "./";
  EXPECT_TRUE(ParseEntryName(padded + "x").ok());
}

TEST(ParseEntryNameTest, Whiteouts) {
  absl::StatusOr<EntryName> n = ParseEntryName("usr/.wh.games");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->kind, NameKind::kWhiteout);
  EXPECT_THAT(n->components, ElementsAre("usr", "games"));

  n = ParseEntryName(".wh.x");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->kind, NameKind::kWhiteout);
  EXPECT_THAT(n->components, ElementsAre("x"));

  // The prefix is stripped once: ".wh..x" whites out ".x".
  n = ParseEntryName("a/.wh..x");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->kind, NameKind::kWhiteout);
  EXPECT_THAT(n->components, ElementsAre("a", ".x"));
}

TEST(ParseEntryNameTest, OpaqueMarkers) {
  absl::StatusOr<EntryName> n = ParseEntryName("etc/apt/.wh..wh..opq");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->kind, NameKind::kOpaque);
  EXPECT_THAT(n->components, ElementsAre("etc", "apt"));

  n = ParseEntryName("./.wh..wh..opq");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->kind, NameKind::kOpaque);
  EXPECT_THAT(n->components, IsEmpty());
}

TEST(ParseEntryNameTest, AufsMetadataIsSkippable) {
  for (const char* name :
       {".wh..wh.plnk", ".wh..wh.plnk/", ".wh..wh.plnk/1234.5678",
        "a/.wh..wh.aufs", ".wh..wh.orph/x/y"}) {
    absl::StatusOr<EntryName> n = ParseEntryName(name);
    ASSERT_TRUE(n.ok()) << name << ": " << n.status();
    EXPECT_EQ(n->kind, NameKind::kAufsMeta) << name;
  }
}

TEST(ParseHardlinkTargetTest, SameRulesNoWhiteoutMeaning) {
  absl::StatusOr<std::vector<std::string>> t = ParseHardlinkTarget("./bin/sh");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(*t, ElementsAre("bin", "sh"));

  t = ParseHardlinkTarget("a/.wh.b");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(*t, ElementsAre("a", ".wh.b"));

  for (const char* bad :
       {"", "/etc/passwd", "../canary/file", "a/../../b", ".", "./"}) {
    EXPECT_EQ(ParseHardlinkTarget(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(JoinComponentsTest, Joins) {
  EXPECT_EQ(JoinComponents({}), ".");
  EXPECT_EQ(JoinComponents({"a"}), "a");
  EXPECT_EQ(JoinComponents({"a", "b"}), "a/b");
}

}  // namespace
}  // namespace mydocker::archive
