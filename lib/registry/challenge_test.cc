#include "lib/registry/challenge.h"

#include "gtest/gtest.h"

namespace mydocker::registry {
namespace {

TEST(ChallengeTest, DockerHubBearer) {
  auto cs = ParseChallenges(
      "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
      "scope=\"repository:library/nginx:pull\"");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "bearer");
  EXPECT_EQ(cs[0].Param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(cs[0].Param("service"), "registry.docker.io");
  EXPECT_EQ(cs[0].Param("scope"), "repository:library/nginx:pull");
  EXPECT_EQ(cs[0].Param("missing"), "");
}

TEST(ChallengeTest, BasicAndCaseAndSpaces) {
  auto cs = ParseChallenges("BASIC  Realm = \"Registry \\\"Realm\\\"\" ");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "basic");
  EXPECT_EQ(cs[0].Param("realm"), "Registry \"Realm\"");
}

TEST(ChallengeTest, SeveralChallengesAndUnquotedValues) {
  auto cs = ParseChallenges(
      "Basic realm=r1, Bearer realm=\"https://a/t\", service=svc,"
      " error=\"insufficient_scope\"");
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0].scheme, "basic");
  EXPECT_EQ(cs[0].Param("realm"), "r1");
  EXPECT_EQ(cs[1].scheme, "bearer");
  EXPECT_EQ(cs[1].Param("service"), "svc");
  EXPECT_EQ(cs[1].Param("error"), "insufficient_scope");
}

TEST(ChallengeTest, SchemeWithoutParams) {
  auto cs = ParseChallenges("Negotiate");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "negotiate");
  EXPECT_TRUE(cs[0].params.empty());
}

TEST(ChallengeTest, MalformedInputIsHarmless) {
  EXPECT_TRUE(ParseChallenges("").empty());
  EXPECT_TRUE(ParseChallenges("   ").empty());
  EXPECT_TRUE(ParseChallenges("\"quoted\"").empty());
  auto cs = ParseChallenges("Bearer realm=\"unterminated");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].Param("realm"), "");
}

}  // namespace
}  // namespace mydocker::registry
