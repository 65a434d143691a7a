#include "lib/spec/env.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(EnvKeyTest, Key) {
  EXPECT_EQ(EnvKey("A=1"), "A");
  EXPECT_EQ(EnvKey("A=b=c"), "A");
  EXPECT_EQ(EnvKey("A"), "A");
  EXPECT_EQ(EnvKey("=x"), "");
}

TEST(ExpandEnvFlagTest, AsTheCliDoes) {
  EnvLookup env = FakeEnv({{"EDITOR", "vim"}, {"EMPTY", ""}});
  EXPECT_EQ(*ExpandEnvFlag("A=1", env), "A=1");
  EXPECT_EQ(*ExpandEnvFlag("A=", env), "A=");
  EXPECT_EQ(*ExpandEnvFlag("A==x", env), "A==x");
  EXPECT_EQ(*ExpandEnvFlag("EDITOR", env), "EDITOR=vim");
  EXPECT_EQ(*ExpandEnvFlag("EMPTY", env), "EMPTY=");
  // Not set in the caller's environment: stays bare, which unsets it.
  EXPECT_EQ(*ExpandEnvFlag("NOPE", env), "NOPE");
  EXPECT_EQ(*ExpandEnvFlag("NOPE", nullptr), "NOPE");
  absl::StatusOr<std::string> bad = ExpandEnvFlag("=x", env);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "invalid environment variable: =x");
  EXPECT_FALSE(ExpandEnvFlag("", env).ok());
}

TEST(ProcessEnvLookupTest, ReadsThisProcess) {
  setenv("MYDOCKER_SPEC_ENV_TEST", "42", 1);
  EnvLookup env = ProcessEnvLookup();
  EXPECT_EQ(env("MYDOCKER_SPEC_ENV_TEST"), "42");
  EXPECT_EQ(env("MYDOCKER_SPEC_ENV_TEST_UNSET"), std::nullopt);
}

TEST(ParseEnvFileTest, DockersRules) {
  EnvLookup env = FakeEnv({{"HOME", "/home/me"}, {"SET", "x y"}});
  const char* contents =
      "\xEF\xBB\xBF"  // BOM
      "A=1\n"
      "# a comment\n"
      "   # an indented comment\n"
      "\n"
      "   \t\n"
      "  B=  spaced value  \n"
      "C=\"quoted\"\r\n"
      "D=\n"
      "E=a=b\n"
      "HOME\n"
      "  SET\n"
      "UNSET\n"
      "F=last line without newline";
  absl::StatusOr<std::vector<std::string>> got =
      ParseEnvFile(contents, "test.env", env);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre("A=1", "B=  spaced value  ", "C=\"quoted\"",
                                "D=", "E=a=b", "HOME=/home/me", "SET=x y",
                                "F=last line without newline"));
}

TEST(ParseEnvFileTest, EmptyFile) {
  EXPECT_THAT(*ParseEnvFile("", "e", nullptr), IsEmpty());
  EXPECT_THAT(*ParseEnvFile("\n\n", "e", nullptr), IsEmpty());
}

TEST(ParseEnvFileTest, Errors) {
  EXPECT_EQ(ParseEnvFile("A B=1\n", "e", nullptr).status().message(),
            "poorly formatted environment: variable 'A B' contains "
            "whitespaces");
  EXPECT_EQ(ParseEnvFile("A\t=1\n", "e", nullptr).status().message(),
            "poorly formatted environment: variable 'A\t' contains "
            "whitespaces");
  EXPECT_EQ(ParseEnvFile("X=1\n=1\n", "e", nullptr).status().message(),
            "poorly formatted environment: no variable name on line '=1'");
  EXPECT_EQ(ParseEnvFile("A=1\nB=\xff\n", "my.env", nullptr).status().message(),
            "env file my.env contains invalid utf8 bytes at line 2");
  // Overlong encoding and a lone continuation byte are invalid too.
  EXPECT_FALSE(ParseEnvFile("A=\xC0\xAF", "e", nullptr).ok());
  EXPECT_FALSE(ParseEnvFile("A=\x80", "e", nullptr).ok());
  EXPECT_FALSE(ParseEnvFile("A=\xE2\x9C", "e", nullptr).ok());
  // Valid multi-byte text is fine.
  EXPECT_THAT(*ParseEnvFile("A=\xE2\x9C\x93 \xF0\x9F\x90\xB3", "e", nullptr),
              ElementsAre("A=\xE2\x9C\x93 \xF0\x9F\x90\xB3"));
}

TEST(ReadEnvFileTest, ReadsAFile) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string path = std::string(tmp ? tmp : "/tmp") + "/read.env";
  std::ofstream(path) << "X=1\nY\n";
  absl::StatusOr<std::vector<std::string>> got =
      ReadEnvFile(path, FakeEnv({{"Y", "2"}}));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre("X=1", "Y=2"));
  EXPECT_EQ(ReadEnvFile(path + ".missing", nullptr).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(MergeImageEnvTest, UserFirstThenImageKeysNotMentioned) {
  EXPECT_THAT(MergeImageEnv({"B=2", "PATH=/x", "GONE"},
                            {"PATH=/usr/bin", "A=1", "GONE=img", "C=3"}),
              ElementsAre("B=2", "PATH=/x", "GONE", "A=1", "C=3"));
  EXPECT_THAT(MergeImageEnv({}, {"A=1"}), ElementsAre("A=1"));
  EXPECT_THAT(MergeImageEnv({"A=1"}, {}), ElementsAre("A=1"));
}

TEST(ReplaceOrAppendEnvTest, ReplaceInPlaceAppendAndUnset) {
  EXPECT_THAT(ReplaceOrAppendEnv({"PATH=/bin", "HOSTNAME=h", "TERM=xterm"},
                                 {"HOSTNAME=mine", "A=1", "TERM", "B=2"}),
              ElementsAre("PATH=/bin", "HOSTNAME=mine", "A=1", "B=2"));
  // A bare key that is nowhere is simply dropped.
  EXPECT_THAT(ReplaceOrAppendEnv({"PATH=/bin"}, {"NOPE"}),
              ElementsAre("PATH=/bin"));
  // Unset then set again: set.
  EXPECT_THAT(ReplaceOrAppendEnv({"PATH=/bin"}, {"PATH", "PATH=/x"}),
              ElementsAre("PATH=/x"));
  // A key set twice: the later value, at the first place.
  EXPECT_THAT(ReplaceOrAppendEnv({"PATH=/bin"}, {"A=1", "Z=0", "A=2"}),
              ElementsAre("PATH=/bin", "A=2", "Z=0"));
}

}  // namespace
}  // namespace mydocker::spec
