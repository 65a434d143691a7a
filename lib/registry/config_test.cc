#include "lib/registry/config.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"

namespace mydocker::registry {
namespace {

using ::testing::HasSubstr;

std::string TempDir() {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string t = std::string(tmp ? tmp : "/tmp") + "/cfg.XXXXXX";
  EXPECT_NE(mkdtemp(t.data()), nullptr);
  return t;
}

TEST(RegistryConfigTest, MissingFileGivesDefaults) {
  absl::StatusOr<RegistryConfig> c = RegistryConfig::Load(TempDir() + "/none.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->mirrors.empty());
  EXPECT_EQ(c->max_concurrent_downloads, 3);
}

TEST(RegistryConfigTest, ReadsDockerKeys) {
  std::string p = TempDir() + "/daemon.json";
  ASSERT_TRUE(base::WriteFileAtomic(p, R"({"registry-mirrors":["http://127.0.0.1:5000/"],
      "insecure-registries":["10.0.0.0/8","reg.local:5000"],"max-concurrent-downloads":5,
      "data-root":"/ignored"})").ok());
  absl::StatusOr<RegistryConfig> c = RegistryConfig::Load(p);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->mirrors, std::vector<std::string>{"http://127.0.0.1:5000"});
  EXPECT_EQ(c->max_concurrent_downloads, 5);
  EXPECT_TRUE(IsInsecure("10.1.2.3:443", *c));
  EXPECT_TRUE(IsInsecure("reg.local:5000", *c));
  EXPECT_FALSE(IsInsecure("reg.local:5001", *c));
  EXPECT_FALSE(IsInsecure("11.0.0.1", *c));
  EXPECT_TRUE(IsInsecure("127.0.0.1:5000", *c));  // Loopback, as Docker.
  EXPECT_TRUE(IsInsecure("localhost:5000", *c));
  EXPECT_TRUE(IsInsecure("[::1]:5000", *c));
}

TEST(RegistryConfigTest, BadValuesNameFileAndKey) {
  std::string p = TempDir() + "/daemon.json";
  ASSERT_TRUE(base::WriteFileAtomic(p, R"({"registry-mirrors":["ftp://x"]})").ok());
  EXPECT_THAT(RegistryConfig::Load(p).status().message(),
              HasSubstr("registry mirror \"ftp://x\" is not an http(s) URL"));
  ASSERT_TRUE(base::WriteFileAtomic(p, R"({"max-concurrent-downloads":0})").ok());
  EXPECT_THAT(RegistryConfig::Load(p).status().message(),
              HasSubstr("max-concurrent-downloads"));
  ASSERT_TRUE(base::WriteFileAtomic(p, "{").ok());
  EXPECT_THAT(RegistryConfig::Load(p).status().message(), HasSubstr(p));
}

TEST(EndpointsTest, MirrorsThenHubAndInsecureFallback) {
  RegistryConfig c;
  c.mirrors = {"http://127.0.0.1:5000", "https://mirror.example"};
  std::vector<Endpoint> eps = EndpointsFor("docker.io", c);
  ASSERT_EQ(eps.size(), 3u);
  EXPECT_EQ(eps[0].base_url, "http://127.0.0.1:5000");
  EXPECT_TRUE(eps[0].mirror);
  EXPECT_EQ(eps[1].host, "mirror.example");
  EXPECT_FALSE(eps[1].insecure_tls);
  EXPECT_EQ(eps[2].base_url, "https://registry-1.docker.io");
  EXPECT_FALSE(eps[2].mirror);

  eps = EndpointsFor("127.0.0.1:5000", c);
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_EQ(eps[0].base_url, "https://127.0.0.1:5000");
  EXPECT_EQ(eps[1].base_url, "http://127.0.0.1:5000");

  eps = EndpointsFor("ghcr.io", c);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].base_url, "https://ghcr.io");
}

TEST(CredentialsTest, StoreLoadRemoveKeepsOtherKeys) {
  std::string p = TempDir() + "/docker/config.json";
  ASSERT_TRUE(base::MakeDirs(base::Dirname(p)).ok());
  ASSERT_TRUE(base::WriteFileAtomic(p, R"({"auths":{},"psFormat":"table {{.ID}}"})").ok());
  ASSERT_TRUE(StoreCredentials(p, "127.0.0.1:5001", Credentials{"me", "p:w"}).ok());
  ASSERT_TRUE(StoreCredentials(p, "docker.io", Credentials{"hub", "x"}).ok());
  absl::StatusOr<std::optional<Credentials>> got = LoadCredentials(p, "127.0.0.1:5001");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->username, "me");
  EXPECT_EQ((*got)->password, "p:w");  // Only the first ':' separates.
  EXPECT_EQ((*LoadCredentials(p, "docker.io"))->username, "hub");
  std::string text = *base::ReadFile(p);
  EXPECT_THAT(text, HasSubstr("https://index.docker.io/v1/"));
  EXPECT_THAT(text, HasSubstr("psFormat"));
  struct stat st;
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(StoreCredentials(p, "127.0.0.1:5001", std::nullopt).ok());
  EXPECT_FALSE(LoadCredentials(p, "127.0.0.1:5001")->has_value());
  EXPECT_FALSE(LoadCredentials(p, "other:1")->has_value());
}

TEST(CredentialsTest, AcceptsUrlSpelledKeysAndRejectsGarbage) {
  std::string p = TempDir() + "/config.json";
  ASSERT_TRUE(base::WriteFileAtomic(
      p, R"({"auths":{"https://reg.example:5000/":{"auth":"dTpw"}}})").ok());
  EXPECT_EQ((*LoadCredentials(p, "reg.example:5000"))->username, "u");
  ASSERT_TRUE(base::WriteFileAtomic(p, R"({"auths":{"h":{"auth":"!!"}}})").ok());
  EXPECT_EQ(LoadCredentials(p, "h").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mydocker::registry
