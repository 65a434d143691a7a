#include "lib/container/create_config.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/container/go_json.h"
#include "lib/container/record.h"
#include "lib/container/testing.h"
#include "nlohmann/json.hpp"

namespace mydocker::container {
namespace {

using testing::ReadRunfile;
using Strings = std::vector<std::string>;

constexpr char kDir[] = "lib/container/testdata/research";
constexpr char kPath[] =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

Config Busybox() {
  Config c;
  c.env = Strings{kPath};
  c.cmd = Strings{"sh"};
  return c;
}

// The request bodies the CLI sent (samples/create-requests.json), in the
// order the research made the containers.
Json Request(int i) {
  Json all = Json::parse(
      ReadRunfile(absl::StrCat(kDir, "/samples/create-requests.json")), nullptr,
      false);
  EXPECT_TRUE(all.is_array());
  return all.is_array() ? all[i] : Json();
}

struct Case {
  int request;
  const char* name;
};

TEST(CreateConfigTest, RequestPlusDefaultsIsWhatDockerdStored) {
  for (Case k :
       {Case{0, "plain"}, Case{1, "sleeper"}, Case{2, "tty"}, Case{4, "full"},
        Case{5, "logger"}, Case{6, "web"}, Case{7, "killed"}, Case{8, "nosuch"},
        Case{9, "oom"}, Case{10, "always"}}) {
    SCOPED_TRACE(k.name);
    Json req = Request(k.request);
    absl::StatusOr<HostConfig> h = ParseHostConfig(GoJson(req["HostConfig"]));
    ASSERT_TRUE(h.ok()) << h.status();
    ApplyHostConfigDefaults(*h, DaemonDefaults{});
    EXPECT_EQ(SerializeHostConfig(*h),
              ReadRunfile(absl::StrCat(kDir, "/", k.name, ".hostconfig.json")));

    absl::StatusOr<Container> stored = ParseConfigV2(
        ReadRunfile(absl::StrCat(kDir, "/", k.name, ".config.v2.json")));
    ASSERT_TRUE(stored.ok()) << stored.status();
    req.erase("HostConfig");
    req.erase("NetworkingConfig");
    absl::StatusOr<Config> config = ConfigFromJson(req, "request");
    ASSERT_TRUE(config.ok()) << config.status();
    Config image = Busybox();
    if (std::string(k.name) == "web") {  // The nginx image's config.
      image.cmd = stored->config.cmd;
      image.entrypoint = stored->config.entrypoint;
      image.exposed_ports = {"80/tcp"};
      image.stop_signal = "SIGQUIT";
    }
    ASSERT_TRUE(MergeImageConfig(*config, image).ok());
    config->hostname = DefaultHostname(*config, *h, stored->id);
    EXPECT_EQ(GoJson(ConfigToJson(*config)),
              GoJson(ConfigToJson(stored->config)));
    auto [path, args] = EntrypointAndArgs(*config);
    EXPECT_EQ(path, stored->path);
    EXPECT_EQ(args, *stored->args);
    NetworkSettings n = NewNetworkSettings(*h, /*explicit_name=*/true);
    ASSERT_EQ(n.networks.size(), 1u);
    EXPECT_EQ(n.networks.count("bridge"), 1u);
  }
}

TEST(CreateConfigTest, MergeRules) {
  // User Env first, then the image's names the user did not set.
  Config user;
  user.env = Strings{"A=1", "B", "PATH=/mine"};
  user.cmd = Strings{"x"};
  Config image = Busybox();
  image.env->push_back("C=3");
  image.labels = std::map<std::string, std::string>{{"k", "image"}, {"l", "1"}};
  image.user = "nobody";
  image.working_dir = "/srv";
  image.volumes = std::set<std::string>{"/data"};
  ASSERT_TRUE(MergeImageConfig(user, image).ok());
  EXPECT_EQ(*user.env, (Strings{"A=1", "B", "PATH=/mine", "C=3"}));
  EXPECT_EQ(*user.cmd, Strings{"x"});
  EXPECT_EQ(user.user, "nobody");
  EXPECT_EQ(user.working_dir, "/srv");
  EXPECT_EQ(*user.volumes, std::set<std::string>{"/data"});
  EXPECT_EQ(user.labels->at("l"), "1");

  // A user entrypoint drops the image's Cmd.
  Config e;
  e.entrypoint = Strings{"/bin/echo"};
  Config img2 = Busybox();
  img2.entrypoint = Strings{"/entry"};
  ASSERT_TRUE(MergeImageConfig(e, img2).ok());
  EXPECT_FALSE(e.cmd.has_value());
  EXPECT_EQ(*e.entrypoint, Strings{"/bin/echo"});
  EXPECT_TRUE(e.labels.has_value() && e.labels->empty());

  // --entrypoint "": no entrypoint; with no command left, dockerd's error.
  Config empty;
  empty.entrypoint = Strings{""};
  Config no_cmd;
  absl::Status s = MergeImageConfig(empty, no_cmd);
  EXPECT_EQ(s, absl::InvalidArgumentError("No command specified"));
  Config empty2;
  empty2.entrypoint = Strings{""};
  empty2.cmd = Strings{"ls"};
  ASSERT_TRUE(MergeImageConfig(empty2, img2).ok());
  EXPECT_FALSE(empty2.entrypoint.has_value());
  EXPECT_EQ(EntrypointAndArgs(empty2).first, "ls");

  // An empty (not null) user entrypoint keeps the image's Cmd but not its
  // entrypoint.
  Config api;
  api.entrypoint = Strings{};
  ASSERT_TRUE(MergeImageConfig(api, img2).ok());
  EXPECT_EQ(*api.cmd, Strings{"sh"});
  EXPECT_TRUE(api.entrypoint->empty());

  // Healthcheck: field by field.
  Config hc;
  hc.cmd = Strings{"x"};
  hc.healthcheck = Json{{"Interval", 5}};
  Config img3;
  img3.healthcheck =
      Json{{"Test", {"CMD", "true"}}, {"Interval", 1}, {"Retries", 3}};
  ASSERT_TRUE(MergeImageConfig(hc, img3).ok());
  EXPECT_EQ(GoJson(hc.healthcheck),
            R"({"Interval":5,"Test":["CMD","true"],"Retries":3})");
}

TEST(CreateConfigTest, HostConfigDefaults) {
  HostConfig h;
  h.memory = 1 << 20;
  h.pids_limit = -1;
  h.memory_swappiness = -1;
  h.privileged = true;
  ApplyHostConfigDefaults(h, DaemonDefaults{.cgroup_v2 = true});
  EXPECT_EQ(h.network_mode, "default");
  EXPECT_EQ(h.memory_swap, 2 << 20);
  EXPECT_EQ(h.shm_size, 67108864);
  EXPECT_EQ(h.ipc_mode, "private");
  EXPECT_EQ(h.cgroupns_mode, "private");
  EXPECT_EQ(h.runtime, "runc");
  EXPECT_FALSE(h.pids_limit.has_value());
  EXPECT_FALSE(h.memory_swappiness.has_value());
  EXPECT_FALSE(h.masked_paths.has_value());  // Privileged: none.
  EXPECT_EQ(h.log_config.type, "json-file");
  EXPECT_TRUE(h.log_config.config.has_value());
}

TEST(CreateConfigTest, Networks) {
  EXPECT_EQ(NetworkName("default"), "bridge");
  EXPECT_EQ(NetworkName(""), "bridge");
  EXPECT_EQ(NetworkName("none"), "none");
  EXPECT_EQ(NetworkName("host"), "host");
  EXPECT_EQ(NetworkName("mynet"), "mynet");
  EXPECT_EQ(NetworkName("container:abc"), "");
  HostConfig h;
  h.network_mode = "none";
  NetworkSettings n = NewNetworkSettings(h, /*explicit_name=*/false);
  EXPECT_TRUE(n.is_anonymous_endpoint);
  EXPECT_EQ(n.networks.count("none"), 1u);
  h.network_mode = "container:abc";
  EXPECT_TRUE(NewNetworkSettings(h, true).networks.empty());
}

TEST(CreateConfigTest, Hostname) {
  Config c;
  HostConfig h;
  EXPECT_EQ(DefaultHostname(c, h, "6c908a9b3600b862c1df"), "6c908a9b3600");
  c.hostname = "a.b.c";
  EXPECT_EQ(DefaultHostname(c, h, "6c908a9b3600b862c1df"), "a.b.c");
  c.hostname = "";
  h.network_mode = "host";
  char buf[256] = {};
  gethostname(buf, sizeof(buf) - 1);
  EXPECT_EQ(DefaultHostname(c, h, "6c908a9b3600b862c1df"), buf);
}

}  // namespace
}  // namespace mydocker::container
