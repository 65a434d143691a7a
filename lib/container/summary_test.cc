#include "lib/container/summary.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/container/record.h"
#include "lib/container/testing.h"

namespace mydocker::container {
namespace {

using testing::ReadRunfile;

constexpr char kDir[] = "lib/container/testdata/research";

Container Sample(const std::string& name) {
  absl::StatusOr<Container> c = ParseConfigV2(
      ReadRunfile(absl::StrCat(kDir, "/", name, ".config.v2.json")));
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : Container{};
}

absl::Time T(const char* s) { return *ParseGoTime(s); }

TEST(StatusTest, DockerStrings) {
  const absl::Time now = T("2026-11-30T09:27:00Z");
  State s;
  EXPECT_EQ(StatusString(s, now), "Created");
  EXPECT_EQ(StateString(s), "created");
  s.running = true;
  s.started_at = T("2026-11-30T09:26:57Z");
  EXPECT_EQ(StatusString(s, now), "Up 3 seconds");
  EXPECT_EQ(StateString(s), "running");
  s.started_at = now - absl::Milliseconds(300);
  EXPECT_EQ(StatusString(s, now), "Up Less than a second");
  s.started_at = now - absl::Seconds(75);
  EXPECT_EQ(StatusString(s, now), "Up About a minute");
  s.paused = true;
  EXPECT_EQ(StatusString(s, now), "Up About a minute (Paused)");
  EXPECT_EQ(StateString(s), "paused");
  s.paused = false;
  s.health =
      Json{{"Status", "healthy"}, {"FailingStreak", 0}, {"Log", Json::array()}};
  EXPECT_EQ(StatusString(s, now), "Up About a minute (healthy)");
  s.health["Status"] = "starting";
  EXPECT_EQ(StatusString(s, now), "Up About a minute (health: starting)");
  s.health = nullptr;
  s.restarting = true;
  s.exit_code = 3;
  s.finished_at = now - absl::Milliseconds(1);
  EXPECT_EQ(StatusString(s, now), "Restarting (3) Less than a second ago");
  EXPECT_EQ(StateString(s), "restarting");
  s = State{};
  s.started_at = now - absl::Minutes(3);
  s.finished_at = now - absl::Minutes(2);
  s.exit_code = 137;
  EXPECT_EQ(StatusString(s, now), "Exited (137) 2 minutes ago");
  EXPECT_EQ(StateString(s), "exited");
  s.removal_in_progress = true;
  s.dead = true;
  EXPECT_EQ(StatusString(s, now), "Removal In Progress");
  EXPECT_EQ(StateString(s), "removing");
  s.removal_in_progress = false;
  EXPECT_EQ(StatusString(s, now), "Dead");
  EXPECT_EQ(StateString(s), "dead");
  // A failed start: never started, though it has an exit code.
  Container nosuch = Sample("nosuch");
  EXPECT_EQ(StatusString(nosuch.state, now), "Created");
  EXPECT_EQ(nosuch.state.exit_code, 127);
  // Stopped without a finish time (never written by dockerd): empty.
  State odd;
  odd.started_at = now;
  EXPECT_EQ(StatusString(odd, now), "");
}

// The rows of `docker ps -a` the research captured, from the records
// dockerd wrote (at the time of the listing, 09:27:00 give or take).
TEST(SummaryTest, MatchesDockerPs) {
  const absl::Time now = T("2026-11-30T09:26:54.5Z");
  struct Row {
    const char* name;
    const char* line;  // CONTAINER ID, IMAGE, COMMAND, ..., NAMES (no times)
  };
  for (Row r :
       {Row{"web",
            "9fa7656d23c9|127.0.0.1:5000/library/nginx|\"/"
            "docker-entrypoint.…\"|0.0.0.0:8080->80/tcp, :::8080->80/tcp|web"},
        Row{"logger", "770212ad4715|busybox|\"sh -c 'echo out1; e…\"||logger"},
        Row{"full", "750f56516cf9|busybox|\"sleep 1000\"||full"},
        Row{"tty", "5c404deab6ff|busybox|\"sh\"||tty"},
        Row{"plain",
            "6c908a9b3600|127.0.0.1:5000/library/busybox|\"sh\"||plain"},
        Row{"nosuch", "5b96c3f92a56|busybox|\"nosuch\"||nosuch"}}) {
    Container c = Sample(r.name);
    Summary s = Summarize(c, now);
    std::string line =
        absl::StrCat(image::TruncateId(s.id), "|", FormatImage(s, true), "|",
                     FormatCommand(s.command, true), "|", FormatPorts(s.ports),
                     "|", FormatNames(s.names, true));
    EXPECT_EQ(line, r.line);
  }
  Summary full = Summarize(Sample("full"), now);
  EXPECT_EQ(full.status, "Up 49 seconds");  // ps-a.txt: "Up 49 seconds".
  EXPECT_EQ(full.state, "running");
  EXPECT_EQ(FormatRunningFor(full.created, now), "50 seconds ago");
  EXPECT_EQ(full.labels.at("k"), "v");
  EXPECT_EQ(full.command, "sleep 1000");
  // --no-trunc.
  Summary logger = Summarize(Sample("logger"), now);
  EXPECT_THAT(FormatCommand(logger.command, false),
              ::testing::StartsWith(
                  "\"sh -c 'echo out1; echo err1 >&2; printf \\\"nonl\\\";"));
  EXPECT_THAT(FormatCommand(logger.command, false),
              ::testing::HasSubstr("printf \\\"\\\\xff\\\\xfe bad\\\\t"));
}

TEST(FormatTest, Ellipsis) {
  EXPECT_EQ(Ellipsis("sh -c 'echo start; x=$(yes)'", 20),
            "sh -c 'echo start; …");
  EXPECT_EQ(Ellipsis("12345678901234567890", 20), "12345678901234567890");
  EXPECT_EQ(Ellipsis("123456789012345678901", 20), "1234567890123456789…");
  EXPECT_EQ(Ellipsis("héllo wörld and more text", 10), "héllo wör…");
  EXPECT_EQ(Ellipsis("日本語のテキストです", 10), "日本語の…");
  EXPECT_EQ(Ellipsis("abc", 1), "a");
  EXPECT_EQ(Ellipsis("abc", 0), "");
}

TEST(FormatTest, GoQuote) {
  EXPECT_EQ(GoQuote("sh"), "\"sh\"");
  EXPECT_EQ(GoQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(GoQuote("\t\n\x01\x7f\xff"), "\"\\t\\n\\x01\\x7f\\xff\"");
  EXPECT_EQ(GoQuote("é…"), "\"é…\"");
  EXPECT_EQ(GoQuote("\xc2\xa0\xe2\x80\xa8"), "\"\\u00a0\\u2028\"");
}

TEST(FormatTest, Ports) {
  std::vector<Port> ports = {{"0.0.0.0", 80, 8080, "tcp"},
                             {"::", 80, 8080, "tcp"},
                             {"", 443, 0, "tcp"},
                             {"", 53, 0, "udp"},
                             {"0.0.0.0", 8000, 8000, "tcp"},
                             {"0.0.0.0", 8001, 8001, "tcp"},
                             {"", 9000, 0, "tcp"},
                             {"", 9001, 0, "tcp"},
                             {"", 9003, 0, "tcp"}};
  // The CLI's order, quirks included: a group interrupted by a gap is
  // written out at once, the last group of each key at the end.
  EXPECT_EQ(FormatPorts(ports),
            "443/tcp, 9000-9001/tcp, 53/udp, 9003/tcp, "
            "0.0.0.0:8000-8001->8000-8001/tcp, 0.0.0.0:8080->80/tcp, "
            ":::8080->80/tcp");
  EXPECT_EQ(FormatPorts({}), "");
  // From a record: an exposed port without bindings.
  NetworkSettings n;
  n.ports =
      PortMap{{"80/tcp", std::nullopt},
              {"81/udp", std::vector<PortBinding>{{"0.0.0.0", "81", {}}}}};
  EXPECT_EQ(FormatPorts(PortsOf(n)), "80/tcp, 0.0.0.0:81->81/udp");
}

TEST(FormatTest, ImageAndNames) {
  Summary s;
  s.image_id =
      "sha256:18117d7e766fb47710dd51ab69b71ccba6f70ef2387ef38e570593876fc89528";
  s.image = "docker.io/library/busybox:latest";
  EXPECT_EQ(FormatImage(s, true), "busybox:latest");
  EXPECT_EQ(FormatImage(s, false), "docker.io/library/busybox:latest");
  s.image =
      "busybox@sha256:"
      "9b5d2c0e1a2cbb4bca2ba6a6b4c43bd1ff25e58f8fe5b1e1d2d3e9d43d1c4b1f";
  EXPECT_EQ(FormatImage(s, true), "busybox");
  // A digest reference whose digest starts like the image id reads as the
  // id, as stringid.TruncateID compares them.
  s.image =
      "busybox@sha256:"
      "18117d7e766fb47710dd51ab69b71ccba6f70ef2387ef38e570593876fc89528";
  EXPECT_EQ(FormatImage(s, true), "18117d7e766f");
  s.image = "18117d7e766fb4";
  EXPECT_EQ(FormatImage(s, true), "18117d7e766f");
  s.image = "";
  EXPECT_EQ(FormatImage(s, true), "<no image>");
  EXPECT_EQ(FormatNames({"/web", "/other/alias"}, true), "web");
  EXPECT_EQ(FormatNames({"/web", "/other/alias"}, false), "web,other/alias");
  EXPECT_EQ(CommandString("sh", {"-c", "echo hi"}), "sh -c 'echo hi'");
  EXPECT_EQ(CommandString("sh", {}), "sh");
}

}  // namespace
}  // namespace mydocker::container
