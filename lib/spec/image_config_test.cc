#include "lib/spec/image_config.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ImageConfigTest, NginxLikeConfig) {
  // The shape of nginx:1.25's config blob (abridged).
  absl::StatusOr<ImageConfig> c = ParseImageConfig(R"({
    "architecture": "amd64",
    "config": {
      "ExposedPorts": {"80/tcp": {}, "443/tcp": {}},
      "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
              "NGINX_VERSION=1.25.3"],
      "Entrypoint": ["/docker-entrypoint.sh"],
      "Cmd": ["nginx", "-g", "daemon off;"],
      "Labels": {"maintainer": "NGINX Docker Maintainers"},
      "StopSignal": "SIGQUIT",
      "Healthcheck": {"Test": ["CMD", "true"]},
      "ArgsEscaped": true,
      "OnBuild": null
    },
    "os": "linux",
    "rootfs": {"type": "layers", "diff_ids": []}
  })");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->user, "");
  EXPECT_THAT(c->env, ElementsAre("PATH=/usr/local/sbin:/usr/local/bin:/usr/"
                                  "sbin:/usr/bin:/sbin:/bin",
                                  "NGINX_VERSION=1.25.3"));
  EXPECT_THAT(c->entrypoint, ElementsAre("/docker-entrypoint.sh"));
  EXPECT_THAT(c->cmd, ElementsAre("nginx", "-g", "daemon off;"));
  EXPECT_EQ(c->stop_signal, "SIGQUIT");
  EXPECT_THAT(c->exposed_ports, ElementsAre("443/tcp", "80/tcp"));
  EXPECT_THAT(c->volumes, IsEmpty());
  EXPECT_EQ(c->labels.at("maintainer"), "NGINX Docker Maintainers");
}

TEST(ImageConfigTest, StringCmdAndCaseInsensitiveKeys) {
  absl::StatusOr<ImageConfig> c = ParseImageConfig(R"({"Config": {
    "cmd": "sh", "ENTRYPOINT": null, "user": "1000:1000",
    "workingdir": "/app", "Volumes": {"/data": {}, "/cache": {}},
    "Labels": {"a": null}
  }})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->cmd, ElementsAre("sh"));
  EXPECT_THAT(c->entrypoint, IsEmpty());
  EXPECT_EQ(c->user, "1000:1000");
  EXPECT_EQ(c->working_dir, "/app");
  EXPECT_THAT(c->volumes, ElementsAre("/cache", "/data"));
  EXPECT_EQ(c->labels.at("a"), "");
}

TEST(ImageConfigTest, ExactKeyBeatsCaseInsensitiveOne) {
  absl::StatusOr<ImageConfig> c =
      ParseImageConfig(R"({"config": {"cmd": ["lower"], "Cmd": ["exact"]}})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->cmd, ElementsAre("exact"));
}

TEST(ImageConfigTest, NoConfigIsEmpty) {
  for (const char* blob :
       {R"({})", R"({"config": null})", R"({"architecture": "amd64"})"}) {
    absl::StatusOr<ImageConfig> c = ParseImageConfig(blob);
    ASSERT_TRUE(c.ok()) << blob;
    EXPECT_THAT(c->cmd, IsEmpty());
    EXPECT_THAT(c->env, IsEmpty());
  }
}

TEST(ImageConfigTest, WrongTypesAreRefused) {
  struct Case {
    const char* blob;
    const char* message;
  };
  const Case cases[] = {
      {"nope", "image config: not a JSON object"},
      {"[]", "image config: not a JSON object"},
      {R"({"config": []})", "image config: \"config\" is not an object"},
      {R"({"config": {"Env": "A=1"}})",
       "image config: \"config\".\"Env\" is not a list of strings"},
      {R"({"config": {"Cmd": ["a", 1]}})",
       "image config: \"config\".\"Cmd\" is not a list of strings"},
      {R"({"config": {"Entrypoint": 5}})",
       "image config: \"config\".\"Entrypoint\" is not a list of strings"},
      {R"({"config": {"User": 0}})",
       "image config: \"config\".\"User\" is not a string"},
      {R"({"config": {"Volumes": ["/data"]}})",
       "image config: \"config\".\"Volumes\" is not an object"},
      {R"({"config": {"Labels": {"a": 1}}})",
       "image config: \"config\".\"Labels\" is not a map of strings"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ImageConfig> got = ParseImageConfig(c.blob);
    ASSERT_FALSE(got.ok()) << c.blob;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(got.status().message(), c.message) << c.blob;
  }
  EXPECT_FALSE(
      ParseImageConfig(std::string(kMaxImageConfigBytes + 1, ' ')).ok());
}

}  // namespace
}  // namespace mydocker::spec
