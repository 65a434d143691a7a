#include "lib/container/record.h"

#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/container/go_json.h"
#include "lib/container/testing.h"

namespace mydocker::container {
namespace {

using ::testing::HasSubstr;
using testing::ListRunfiles;
using testing::ReadRunfile;

constexpr char kDir[] = "lib/container/testdata/research";

// Every config.v2.json and hostconfig.json dockerd wrote in the research,
// final and intermediate.
std::vector<std::string> Samples(absl::string_view suffix) {
  std::vector<std::string> out;
  for (const std::string& dir :
       {std::string(kDir), absl::StrCat(kDir, "/stages")}) {
    for (const std::string& n : ListRunfiles(dir)) {
      if (absl::EndsWith(n, suffix)) out.push_back(absl::StrCat(dir, "/", n));
    }
  }
  return out;
}

TEST(RecordTest, DockerdConfigsRoundTripByteForByte) {
  std::vector<std::string> files = Samples(".config.v2.json");
  ASSERT_GE(files.size(), 50u);
  int checked = 0;
  for (const std::string& f : files) {
    std::string text = ReadRunfile(f);
    absl::StatusOr<Container> c = ParseConfigV2(text);
    ASSERT_TRUE(c.ok()) << f << ": " << c.status();
    if (absl::StrContains(text, "\"NetworkSettings\":null")) {
      // The daemon-rewritten `donor`: the one case we write differently, on
      // purpose (dockerd's inspect panics on it).
      EXPECT_THAT(SerializeConfigV2(*c),
                  HasSubstr("\"NetworkSettings\":{\"Bridge\":\"\","))
          << f;
      EXPECT_THAT(SerializeConfigV2(*c), HasSubstr("\"Networks\":{},"));
      continue;
    }
    if (absl::StrContains(f, "donor.created")) {
      continue;  // The hand-minimised file: not in dockerd's form.
    }
    EXPECT_EQ(SerializeConfigV2(*c), text) << f;
    ++checked;
  }
  EXPECT_GE(checked, 50);
}

TEST(RecordTest, DockerdHostConfigsRoundTripByteForByte) {
  std::vector<std::string> files = Samples(".hostconfig.json");
  ASSERT_GE(files.size(), 50u);
  for (const std::string& f : files) {
    std::string text = ReadRunfile(f);
    absl::StatusOr<HostConfig> h = ParseHostConfig(text);
    ASSERT_TRUE(h.ok()) << f << ": " << h.status();
    EXPECT_EQ(SerializeHostConfig(*h), text) << f;
  }
}

TEST(RecordTest, ReadsTheFieldsOfFull) {
  absl::StatusOr<Container> c =
      ParseConfigV2(ReadRunfile(absl::StrCat(kDir, "/full.config.v2.json")));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->state.running);
  EXPECT_EQ(c->state.pid, 548);
  EXPECT_EQ(FormatGoTime(c->state.started_at),
            "2026-11-30T09:26:04.663200004Z");
  EXPECT_EQ(c->state.finished_at, kZeroTime);
  EXPECT_EQ(c->id,
            "750f56516cf951adb7d0597f9520e5083db29d88c9ccb9ad456881a6b56713a2");
  EXPECT_EQ(c->name, "/full");
  EXPECT_EQ(c->path, "sleep");
  EXPECT_EQ(c->args, std::vector<std::string>{"1000"});
  EXPECT_EQ(c->config.user, "1000:1000");
  EXPECT_EQ(c->config.env, (std::vector<std::string>{
                               "A=1", "B",
                               "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/"
                               "usr/bin:/sbin:/bin"}));
  EXPECT_FALSE(c->config.entrypoint.has_value());
  EXPECT_EQ(c->config.stop_signal, "SIGUSR1");
  EXPECT_EQ(c->config.stop_timeout, 7);
  ASSERT_TRUE(c->config.labels.has_value());
  EXPECT_EQ(c->config.labels->at("k"), "v");
  const EndpointSettings& bridge = c->network_settings.networks.at("bridge");
  EXPECT_EQ(bridge.ip_address, "172.17.0.4");
  EXPECT_EQ(bridge.ip_prefix_len, 16);
  ASSERT_TRUE(c->mount_points.has_value());
  EXPECT_EQ(c->mount_points->at("/data").mode, "ro");
  EXPECT_FALSE(c->mount_points->at("/data").rw);
  EXPECT_EQ(c->mount_points->at("/named").id,
            "3b137435c3c391cc0f33508d6adb8f70442a89e088bd8f25717a4a00da537a77");

  absl::StatusOr<HostConfig> h =
      ParseHostConfig(ReadRunfile(absl::StrCat(kDir, "/full.hostconfig.json")));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->binds, (std::vector<std::string>{"/tmp/research2/vol:/data:ro",
                                                "named:/named"}));
  EXPECT_EQ(h->memory, 67108864);
  EXPECT_EQ(h->memory_swap, 134217728);
  EXPECT_EQ(h->pids_limit, 50);
  EXPECT_EQ(h->init, true);
  EXPECT_EQ(h->tmpfs->at("/run"), "size=10m");
  EXPECT_EQ(h->log_config.type, "json-file");
  EXPECT_EQ(h->shm_size, 67108864);
  EXPECT_EQ(h->oom_kill_disable, false);
  EXPECT_FALSE(h->memory_swappiness.has_value());
}

TEST(RecordTest, WebPortsAndExposedPorts) {
  absl::StatusOr<Container> c =
      ParseConfigV2(ReadRunfile(absl::StrCat(kDir, "/web.config.v2.json")));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->config.exposed_ports, std::set<std::string>{"80/tcp"});
  ASSERT_TRUE(c->network_settings.ports.has_value());
  const auto& b = c->network_settings.ports->at("80/tcp");
  ASSERT_TRUE(b.has_value());
  ASSERT_EQ(b->size(), 2u);
  EXPECT_EQ((*b)[1].host_ip, "::");
  EXPECT_EQ((*b)[1].host_port, "8080");
}

TEST(RecordTest, UnknownKeysAreKeptAfterTheKnownOnes) {
  std::string text = ReadRunfile(absl::StrCat(kDir, "/plain.config.v2.json"));
  // A newer dockerd's fields, top level and nested.
  std::string edited = text;
  edited.insert(1, "\"Future\":{\"x\":[1,2]},");
  size_t cfg = edited.find("\"Config\":{") + 10;
  edited.insert(cfg, "\"NewThing\":\"v\",");
  absl::StatusOr<Container> c = ParseConfigV2(edited);
  ASSERT_TRUE(c.ok()) << c.status();
  std::string out = SerializeConfigV2(*c);
  EXPECT_THAT(out, HasSubstr("\"Labels\":{},\"NewThing\":\"v\"},\"Image\""));
  EXPECT_THAT(out,
              HasSubstr("\"LocalLogCacheMeta\":{\"HaveNotifyEnabled\":false},"
                        "\"Future\":{\"x\":[1,2]}}\n"));
  // Without them it is the original again.
  c->extra = nullptr;
  c->config.extra = nullptr;
  EXPECT_EQ(SerializeConfigV2(*c), text);
}

TEST(RecordTest, ReadsAsGoDoes) {
  // Keys in any case, a string command (strslice), missing keys zero.
  absl::StatusOr<Container> c = ParseConfigV2(
      R"({"id":"abc","NAME":"/x","Config":{"cmd":"sh","Entrypoint":null},)"
      R"("State":{"Running":true,"Pid":null}})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->id, "abc");
  EXPECT_EQ(c->name, "/x");
  EXPECT_EQ(c->config.cmd, std::vector<std::string>{"sh"});
  EXPECT_FALSE(c->config.entrypoint.has_value());
  EXPECT_TRUE(c->state.running);
  EXPECT_EQ(c->state.pid, 0);
  EXPECT_EQ(c->created, kZeroTime);
  std::string out = SerializeConfigV2(*c);
  EXPECT_THAT(out,
              HasSubstr("\"ID\":\"abc\",\"Created\":\"0001-01-01T00:00:00Z\""));
  EXPECT_THAT(out, HasSubstr("\"Cmd\":[\"sh\"]"));
  EXPECT_THAT(out, HasSubstr("\"Args\":null"));
  EXPECT_THAT(out, HasSubstr("\"Networks\":{}"));
}

TEST(RecordTest, WrongTypesAreErrorsNamingTheField) {
  absl::StatusOr<Container> c = ParseConfigV2(R"({"State":{"Pid":"12"}})");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      c.status().message(),
      HasSubstr(
          "config.v2.json.State.Pid: cannot read a string as an integer"));
  EXPECT_FALSE(ParseConfigV2("[1]").ok());
  EXPECT_FALSE(ParseConfigV2("{").ok());
  absl::StatusOr<HostConfig> h = ParseHostConfig(R"({"Binds":{"a":1}})");
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("hostconfig.json.Binds"));
  EXPECT_FALSE(ParseConfigV2(R"({"Created":"yesterday"})").ok());
}

TEST(RecordTest, StringsAsGoReadsThem) {
  // Escapes, a surrogate pair, a lone surrogate, raw invalid UTF-8.
  absl::StatusOr<Container> c = ParseConfigV2(
      "{\"Path\":\"a\\u00e9\\ud83d\\udc33\\ud800x\\/\\\"\\t\","
      "\"Name\":\"/\xff\xc3\xa9\"}");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->path, "a\xc3\xa9\xf0\x9f\x90\xb3\xef\xbf\xbdx/\"\t");
  EXPECT_EQ(c->name, "/\xef\xbf\xbd\xc3\xa9");
  // Kept values with invalid UTF-8 are read the same way.
  absl::StatusOr<Container> k = ParseConfigV2("{\"Odd\":[\"\xff\"]}");
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(GoJson(k->extra), "{\"Odd\":[\"\xef\xbf\xbd\"]}");
}

TEST(RecordTest, MalformedInputIsAnErrorNotACrash) {
  for (const char* bad : {"{\"ID\":", "{\"ID\":\"x", "{\"ID\" \"x\"}",
                          "{\"State\":{\"Pid\":1.5}}",
                          "{\"State\":{\"Pid\":99999999999999999999}}",
                          "{\"ID\":\"a\x01\"}", "{\"Args\":[1]}", "{\"X\":tru}",
                          "{\"Config\":{\"Cmd\":{}}}", "", "   ", "nul"}) {
    absl::StatusOr<Container> c = ParseConfigV2(bad);
    EXPECT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  // Deep nesting in a kept value is bounded, not a stack overflow.
  std::string deep =
      "{\"X\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_FALSE(ParseConfigV2(deep).ok());
  // What follows the object is not read (json.Decoder.Decode).
  EXPECT_TRUE(ParseConfigV2("{\"ID\":\"x\"}\ngarbage").ok());
}

TEST(RecordTest, StateTransitionsAsDockerdRecordsThem) {
  // `plain`: created, started, exited 0 - the fields dockerd changed.
  absl::StatusOr<Container> c = ParseConfigV2(ReadRunfile(
      absl::StrCat(kDir, "/stages/sleeper.running.config.v2.json")));
  ASSERT_TRUE(c.ok());
  absl::StatusOr<Container> stopped = ParseConfigV2(ReadRunfile(
      absl::StrCat(kDir, "/stages/sleeper.stopped.config.v2.json")));
  ASSERT_TRUE(stopped.ok());
  Container s = *c;
  SetStopped(s, 137, false, stopped->state.finished_at);
  s.has_been_manually_stopped = true;              // docker stop
  s.network_settings = stopped->network_settings;  // The network's part.
  EXPECT_EQ(SerializeConfigV2(s), SerializeConfigV2(*stopped));
  Container r = *stopped;
  SetRunning(r, 298, c->state.started_at);
  EXPECT_TRUE(r.state.running);
  EXPECT_EQ(r.state.pid, 298);
  EXPECT_EQ(r.state.exit_code, 0);
  EXPECT_EQ(r.state.started_at, c->state.started_at);
  Container f;
  SetStartFailed(f, "exec: \"nosuch\": executable file not found in $PATH",
                 127);
  EXPECT_EQ(f.state.exit_code, 127);
  EXPECT_EQ(f.state.started_at, kZeroTime);
  SetStartFailed(f, "other", 0);
  EXPECT_EQ(f.state.exit_code, 128);
}

TEST(RecordTest, GoTimes) {
  EXPECT_EQ(FormatGoTime(kZeroTime), "0001-01-01T00:00:00Z");
  absl::StatusOr<absl::Time> t = ParseGoTime("2026-11-30T09:25:36.40634493Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatGoTime(*t), "2026-11-30T09:25:36.40634493Z");
  EXPECT_EQ(FormatGoTime(*t + absl::Nanoseconds(70)),
            "2026-11-30T09:25:36.406345Z");
  EXPECT_EQ(FormatGoTime(absl::FromUnixSeconds(1)), "1970-01-01T00:00:01Z");
  // Sub-nanosecond parts are dropped, as Go cannot hold them.
  EXPECT_EQ(FormatGoTime(absl::FromUnixSeconds(1) + absl::Nanoseconds(0.5)),
            "1970-01-01T00:00:01Z");
  absl::StatusOr<absl::Time> z = ParseGoTime("2026-11-30T10:25:36+01:00");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(FormatGoTime(*z), "2026-11-30T09:25:36Z");
  EXPECT_FALSE(ParseGoTime("2026-11-30").ok());
}

}  // namespace
}  // namespace mydocker::container
