#include "lib/spec/spec_json.h"

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "nlohmann/json.hpp"

namespace mydocker::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Runfile(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return std::string(srcdir ? srcdir : ".") + "/" +
         (workspace ? workspace : "mydocker") + "/" + path;
}

// A spec with every field the struct has set to something non-default.
Spec FullSpec() {
  Spec s;
  s.process.terminal = true;
  s.process.console_size = ConsoleSize{24, 80};
  s.process.user = {1000, 100, {100, 27}, 022};
  s.process.args = {"/bin/sh", "-c", "echo \"hi\" \xE2\x9C\x93"};
  s.process.env = {"PATH=/usr/bin:/bin", "EMPTY="};
  s.process.cwd = "/srv";
  s.process.capabilities = {{"CAP_CHOWN", "CAP_KILL"},
                            {"CAP_KILL"},
                            {"CAP_SETUID"},
                            {"CAP_KILL"},
                            {"CAP_NET_RAW"}};
  s.process.rlimits = {{"RLIMIT_NOFILE", 1048576, 1024},
                       {"RLIMIT_CORE", UINT64_MAX, UINT64_MAX}};
  s.process.no_new_privileges = true;
  s.process.oom_score_adj = -500;
  s.root = {"/var/lib/mydocker/overlay2/x/merged", true};
  s.hostname = "abcdef012345";
  s.mounts = {{"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
              {"/data", "bind", "/srv/data", {"rbind", "ro", "rprivate"}}};
  s.linux.namespaces = {{"mount", ""}, {"network", "/proc/1/ns/net"}};
  Device null_dev;
  null_dev.path = "/dev/null";
  null_dev.type = "c";
  null_dev.major = 1;
  null_dev.minor = 3;
  null_dev.file_mode = 0666;
  null_dev.uid = 0;
  null_dev.gid = 0;
  Device fifo;
  fifo.path = "/dev/fifo";
  fifo.type = "p";
  s.linux.devices = {null_dev, fifo};
  s.linux.cgroups_path = "/mydocker/abc";
  Resources r;
  r.devices = {{false, "a", std::nullopt, std::nullopt, "rwm"},
               {true, "c", 136, std::nullopt, "rwm"},
               {true, "b", 8, 0, "r"}};
  r.memory = Memory{536870912, 104857600, -1, true};
  r.cpu = Cpu{1024, 150000, 100000, "0-1", "0"};
  r.pids = Pids{-1};
  s.linux.resources = r;
  s.linux.rootfs_propagation = "rslave";
  s.linux.masked_paths = {"/proc/kcore"};
  s.linux.readonly_paths = {"/proc/sys"};
  s.linux.sysctl = {{"net.ipv4.ip_unprivileged_port_start", "0"},
                    {"kernel.domainname", "example.com"}};
  s.annotations = {{"org.opencontainers.image.ref.name", "latest"}};
  return s;
}

TEST(SpecJsonTest, RoundTripKeepsEveryField) {
  Spec in = FullSpec();
  std::string text = ToJson(in).dump(2);
  absl::StatusOr<Spec> out = FromJson(text);
  ASSERT_TRUE(out.ok()) << out.status();
  // Writing the parsed spec again gives the same bytes...
  EXPECT_EQ(ToJson(*out).dump(2), text);
  // ...and the fields really came through.
  EXPECT_EQ(out->process.user.umask, 022u);
  EXPECT_THAT(out->process.user.additional_gids, ElementsAre(100u, 27u));
  EXPECT_EQ(out->process.args[2], in.process.args[2]);
  EXPECT_EQ(out->process.rlimits[1].hard, UINT64_MAX);
  EXPECT_EQ(out->process.oom_score_adj, -500);
  EXPECT_EQ(out->process.console_size->width, 80u);
  EXPECT_THAT(out->process.capabilities.ambient, ElementsAre("CAP_NET_RAW"));
  EXPECT_EQ(out->linux.namespaces[1].path, "/proc/1/ns/net");
  EXPECT_EQ(out->linux.devices[0].file_mode, 0666u);
  EXPECT_FALSE(out->linux.devices[1].file_mode.has_value());
  EXPECT_EQ(out->linux.resources->devices[1].major, 136);
  EXPECT_FALSE(out->linux.resources->devices[1].minor.has_value());
  EXPECT_EQ(out->linux.resources->memory->swap, -1);
  EXPECT_EQ(out->linux.resources->cpu->quota, 150000);
  EXPECT_EQ(out->linux.resources->pids->limit, -1);
  EXPECT_EQ(out->linux.sysctl.at("kernel.domainname"), "example.com");
  EXPECT_EQ(out->annotations.size(), 1u);
}

TEST(SpecJsonTest, FieldNamesAndOrderFollowTheRuntimeSpec) {
  nlohmann::ordered_json j = ToJson(FullSpec());
  std::vector<std::string> top;
  for (auto it = j.begin(); it != j.end(); ++it) top.push_back(it.key());
  EXPECT_THAT(top, ElementsAre("ociVersion", "process", "root", "hostname",
                               "mounts", "annotations", "linux"));
  EXPECT_EQ(j["ociVersion"], "1.0.2");
  const auto& p = j["process"];
  EXPECT_EQ(p["consoleSize"].dump(), R"({"height":24,"width":80})");
  EXPECT_EQ(p["user"].dump(),
            R"({"uid":1000,"gid":100,"umask":18,"additionalGids":[100,27]})");
  EXPECT_EQ(p["noNewPrivileges"], true);
  EXPECT_EQ(p["oomScoreAdj"], -500);
  EXPECT_EQ(p["rlimits"][0].dump(),
            R"({"type":"RLIMIT_NOFILE","hard":1048576,"soft":1024})");
  EXPECT_EQ(
      j["root"].dump(),
      R"({"path":"/var/lib/mydocker/overlay2/x/merged","readonly":true})");
  const auto& l = j["linux"];
  std::vector<std::string> linux_keys;
  for (auto it = l.begin(); it != l.end(); ++it) linux_keys.push_back(it.key());
  EXPECT_THAT(
      linux_keys,
      ElementsAre("sysctl", "resources", "cgroupsPath", "namespaces", "devices",
                  "rootfsPropagation", "maskedPaths", "readonlyPaths"));
  EXPECT_EQ(l["resources"]["devices"][0].dump(),
            R"({"allow":false,"type":"a","access":"rwm"})");
  EXPECT_EQ(l["resources"]["devices"][1].dump(),
            R"({"allow":true,"type":"c","major":136,"access":"rwm"})");
  EXPECT_EQ(
      l["resources"]["memory"].dump(),
      R"({"limit":536870912,"reservation":104857600,"swap":-1,"disableOOMKiller":true})");
  EXPECT_EQ(
      l["resources"]["cpu"].dump(),
      R"({"shares":1024,"quota":150000,"period":100000,"cpus":"0-1","mems":"0"})");
  EXPECT_EQ(
      l["devices"][0].dump(),
      R"({"path":"/dev/null","type":"c","major":1,"minor":3,"fileMode":438,"uid":0,"gid":0})");
  EXPECT_EQ(l["namespaces"][0].dump(), R"({"type":"mount"})");
  EXPECT_EQ(
      j["mounts"][1].dump(),
      R"({"destination":"/data","type":"bind","source":"/srv/data","options":["rbind","ro","rprivate"]})");
}

TEST(SpecJsonTest, EmptyFieldsAreLeftOutButCapabilitiesStay) {
  Spec s;
  s.root.path = "/r";
  EXPECT_EQ(ToJson(s).dump(),
            R"({"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},)"
            R"("cwd":"/","capabilities":{}},"root":{"path":"/r"},"linux":{}})");
}

TEST(SpecJsonTest, ReadsARuncSpecConfig) {
  absl::StatusOr<std::string> text =
      base::ReadFile(Runfile("lib/spec/testdata/runc_spec_config.json"));
  ASSERT_TRUE(text.ok()) << text.status();
  absl::StatusOr<Spec> s = FromJson(*text);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->oci_version, "1.0.2-dev");
  EXPECT_TRUE(s->process.terminal);
  EXPECT_EQ(s->process.user.uid, 0u);
  EXPECT_FALSE(s->process.user.umask.has_value());
  EXPECT_THAT(s->process.args, ElementsAre("sh"));
  EXPECT_THAT(s->process.env, ElementsAre("PATH=/usr/local/sbin:/usr/local/"
                                          "bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                          "TERM=xterm"));
  EXPECT_EQ(s->process.cwd, "/");
  EXPECT_THAT(
      s->process.capabilities.bounding,
      ElementsAre("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"));
  EXPECT_TRUE(s->process.capabilities.inheritable.empty());
  EXPECT_EQ(s->process.capabilities.ambient.size(), 3u);
  ASSERT_EQ(s->process.rlimits.size(), 1u);
  EXPECT_EQ(s->process.rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(s->process.rlimits[0].hard, 1024u);
  EXPECT_TRUE(s->process.no_new_privileges);
  EXPECT_FALSE(s->process.oom_score_adj.has_value());
  EXPECT_EQ(s->root.path, "rootfs");
  EXPECT_TRUE(s->root.readonly);
  EXPECT_EQ(s->hostname, "runc");
  ASSERT_EQ(s->mounts.size(), 7u);
  EXPECT_EQ(s->mounts[0].destination, "/proc");
  EXPECT_TRUE(s->mounts[0].options.empty());
  EXPECT_EQ(s->mounts[6].type, "cgroup");
  EXPECT_THAT(s->mounts[6].options,
              ElementsAre("nosuid", "noexec", "nodev", "relatime", "ro"));
  ASSERT_TRUE(s->linux.resources.has_value());
  ASSERT_EQ(s->linux.resources->devices.size(), 1u);
  // No "type" in the file: all devices.
  EXPECT_EQ(s->linux.resources->devices[0].type, "a");
  EXPECT_FALSE(s->linux.resources->devices[0].allow);
  EXPECT_FALSE(s->linux.resources->memory.has_value());
  ASSERT_EQ(s->linux.namespaces.size(), 6u);
  EXPECT_EQ(s->linux.namespaces[0].type, "pid");
  EXPECT_EQ(s->linux.namespaces[5].type, "cgroup");
  EXPECT_EQ(s->linux.masked_paths.size(), 10u);
  EXPECT_EQ(s->linux.readonly_paths.back(), "/proc/sysrq-trigger");
  EXPECT_TRUE(s->linux.cgroups_path.empty());
}

TEST(SpecJsonTest, UnknownAndUnmodelledFieldsAreIgnored) {
  absl::StatusOr<Spec> s = FromJson(R"({
    "ociVersion": "1.0.2",
    "hooks": {"prestart": [{"path": "/bin/true"}]},
    "process": {"cwd": "/", "apparmorProfile": "x", "x-future": [1]},
    "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW"},
              "uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]},
    "vm": {}
  })");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->process.cwd, "/");
}

TEST(SpecJsonTest, WildcardNumbersReadAsAny) {
  absl::StatusOr<Spec> s = FromJson(R"({"ociVersion": "1.0.2",
    "linux": {"resources": {"devices": [
      {"allow": true, "type": "c", "major": -1, "minor": -1, "access": "m"}]}}})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->linux.resources->devices[0].major.has_value());
  EXPECT_FALSE(s->linux.resources->devices[0].minor.has_value());
}

TEST(SpecJsonTest, NullsReadAsAbsent) {
  absl::StatusOr<Spec> s = FromJson(
      R"({"ociVersion": "1.0.2", "mounts": null, "process": {"env": null,)"
      R"( "user": {"uid": 5, "additionalGids": null}}})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->mounts.empty());
  EXPECT_EQ(s->process.user.uid, 5u);
}

TEST(SpecJsonTest, BadInputNamesThePath) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {"not json", "config.json: not valid JSON"},
      {"[1]", "config.json: not a JSON object"},
      {"{}", "config.json: no \"ociVersion\""},
      {R"({"ociVersion": 1})", "config.json: ociVersion: not a string"},
      {R"({"ociVersion": "1", "process": {"user": {"uid": -1}}})",
       "config.json: process.user.uid: not a uint32"},
      {R"({"ociVersion": "1", "process": {"user": {"uid": 4294967296}}})",
       "config.json: process.user.uid: not a uint32"},
      {R"({"ociVersion": "1", "process": {"args": ["a", 2]}})",
       "config.json: process.args[1]: not a string"},
      {R"({"ociVersion": "1", "process": {"terminal": "yes"}})",
       "config.json: process.terminal: not a boolean"},
      {R"({"ociVersion": "1", "process": {"oomScoreAdj": 1.5}})",
       "config.json: process.oomScoreAdj: not an int"},
      {R"({"ociVersion": "1", "process": {"rlimits": [{"hard": 1}]}})",
       "config.json: process.rlimits[0]: no \"type\""},
      {R"({"ociVersion": "1", "mounts": [{"type": "bind"}]})",
       "config.json: mounts[0]: no \"destination\""},
      {R"({"ociVersion": "1", "mounts": {"destination": "/"}})",
       "config.json: mounts: not a list"},
      {R"({"ociVersion": "1", "linux": {"namespaces": [{"type": "time"}]}})",
       "config.json: linux.namespaces[0]: unknown namespace type \"time\""},
      {R"({"ociVersion": "1", "linux": {"devices": [{"path": "/dev/x", "type": "x"}]}})",
       "config.json: linux.devices[0]: unknown device type \"x\""},
      {R"({"ociVersion": "1", "linux": {"resources": {"devices": [{"allow": true, "access": "rwx"}]}}})",
       "config.json: linux.resources.devices[0]: bad access \"rwx\""},
      {R"({"ociVersion": "1", "linux": {"resources": {"memory": {"limit": 9223372036854775808}}}})",
       "config.json: linux.resources.memory.limit: not an int64"},
      {R"({"ociVersion": "1", "linux": {"sysctl": {"a": 1}}})",
       "config.json: linux.sysctl.a: not a string"},
      {R"({"ociVersion": "1", "annotations": []})",
       "config.json: annotations: not an object"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Spec> s = FromJson(c.json);
    ASSERT_FALSE(s.ok()) << c.json;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_EQ(s.status().message(), c.message) << c.json;
  }
}

TEST(SpecJsonTest, RefusesHugeInput) {
  std::string big(kMaxConfigJsonBytes + 1, ' ');
  absl::StatusOr<Spec> s = FromJson(big);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("over the limit"));
}

}  // namespace
}  // namespace mydocker::spec
