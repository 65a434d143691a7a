#include "lib/cli/flags.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Args = std::vector<std::string>;

struct RunFlags {
  bool interactive = false, tty = false, detach = false;
  std::string name, image, net;
  std::vector<std::string> publish;
  int64_t cpus = 0;
};

void Define(FlagSet& f, RunFlags& r) {
  f.Bool("i,interactive", &r.interactive, "Keep STDIN open");
  f.Bool("t,tty", &r.tty, "Allocate a pseudo-TTY");
  f.Bool("d,detach", &r.detach, "Run in background");
  f.String("name", &r.name, "Container name");
  f.String("image", &r.image, "Image (original syntax)");
  f.String("net,network", &r.net, "Network");
  f.StringList("p,publish", &r.publish, "Publish a port");
  f.Int("c,cpu-shares", &r.cpus, "CPU shares");
}

TEST(FlagsTest, DockerSpellings) {
  FlagSet f("run");
  RunFlags r;
  Define(f, r);
  f.set_interspersed(false);
  auto pos = f.Parse(Args{"-it", "--name=web", "-p", "8080:80", "-p91:80",
                          "--network", "n1", "-c=5", "nginx", "sh", "-c",
                          "echo --name"});
  ASSERT_TRUE(pos.ok()) << pos.status();
  EXPECT_TRUE(r.interactive);
  EXPECT_TRUE(r.tty);
  EXPECT_FALSE(r.detach);
  EXPECT_EQ(r.name, "web");
  EXPECT_EQ(r.net, "n1");
  EXPECT_EQ(r.cpus, 5);
  EXPECT_THAT(r.publish, ElementsAre("8080:80", "91:80"));
  // The first positional ends the options: the command keeps its own.
  EXPECT_THAT(*pos, ElementsAre("nginx", "sh", "-c", "echo --name"));
}

TEST(FlagsTest, OriginalToolSpellings) {
  FlagSet f("run");
  RunFlags r;
  Define(f, r);
  auto pos = f.Parse(Args{"-p", "91:80", "-image", "nginx",
                          "./docker-entrypoint.sh", "-net", "my-network"});
  ASSERT_TRUE(pos.ok()) << pos.status();
  EXPECT_EQ(r.image, "nginx");
  EXPECT_EQ(r.net, "my-network");
  EXPECT_THAT(r.publish, ElementsAre("91:80"));
  EXPECT_THAT(*pos, ElementsAre("./docker-entrypoint.sh"));
}

TEST(FlagsTest, DoubleDashEndsOptions) {
  FlagSet f("x");
  RunFlags r;
  Define(f, r);
  auto pos = f.Parse(Args{"-d", "--", "-i", "--name"});
  ASSERT_TRUE(pos.ok());
  EXPECT_TRUE(r.detach);
  EXPECT_FALSE(r.interactive);
  EXPECT_THAT(*pos, ElementsAre("-i", "--name"));
}

TEST(FlagsTest, BoolWithExplicitValue) {
  FlagSet f("x");
  RunFlags r;
  Define(f, r);
  r.detach = true;
  ASSERT_TRUE(f.Parse(Args{"--detach=false"}).ok());
  EXPECT_FALSE(r.detach);
  auto bad = f.Parse(Args{"--detach=maybe"});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("--detach"));
}

TEST(FlagsTest, ErrorsNameTheFlag) {
  FlagSet f("x");
  RunFlags r;
  Define(f, r);
  EXPECT_THAT(f.Parse(Args{"--bogus"}).status().message(),
              HasSubstr("unknown flag: --bogus"));
  EXPECT_THAT(f.Parse(Args{"-iz"}).status().message(),
              HasSubstr("unknown flag: -z"));
  EXPECT_THAT(f.Parse(Args{"--name"}).status().message(),
              HasSubstr("flag needs an argument: --name"));
  EXPECT_THAT(f.Parse(Args{"-p"}).status().message(),
              HasSubstr("flag needs an argument: -p"));
  EXPECT_THAT(f.Parse(Args{"-c", "x"}).status().message(),
              HasSubstr("invalid value for -c"));
  // A one-letter flag is never spelled with two dashes.
  EXPECT_FALSE(f.Parse(Args{"--d"}).ok());
}

TEST(FlagsTest, UsageListsVisibleFlags) {
  FlagSet f("x");
  RunFlags r;
  Define(f, r);
  f.Hide("image");
  std::string u = f.Usage();
  EXPECT_THAT(u, HasSubstr("-d, --detach"));
  EXPECT_THAT(u, HasSubstr("--net string"));
  EXPECT_THAT(u, HasSubstr("-p, --publish list"));
  EXPECT_THAT(u, ::testing::Not(HasSubstr("--image")));
}

}  // namespace
}  // namespace mydocker::cli

namespace mydocker::cli {
namespace {

TEST(FlagSetTest, ALaterFlagTakesOverAnEarlierOnesName) {
  FlagSet flags("run");
  bool help = false;
  std::string hostname, log_level;
  flags.Bool("h,help", &help, "Print usage");
  flags.String("l,log-level", &log_level, "Log level");
  flags.String("h,hostname", &hostname, "Container host name");
  std::vector<std::string> labels;
  flags.StringList("l,label", &labels, "Set meta data");
  absl::StatusOr<std::vector<std::string>> pos = flags.Parse(
      std::vector<std::string>{"-h", "box", "-l", "a=b", "--log-level", "warn", "--help"});
  ASSERT_TRUE(pos.ok()) << pos.status();
  EXPECT_EQ(hostname, "box");
  EXPECT_EQ(labels, std::vector<std::string>{"a=b"});
  EXPECT_EQ(log_level, "warn");  // still reachable by its long name
  EXPECT_TRUE(help);
  // The usage lists -h once, for the flag that owns it.
  std::string usage = flags.Usage();
  EXPECT_NE(usage.find("-h, --hostname"), std::string::npos) << usage;
  EXPECT_NE(usage.find("    --help"), std::string::npos) << usage;
}

}  // namespace
}  // namespace mydocker::cli
