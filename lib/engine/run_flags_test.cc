#include "lib/engine/run_flags.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/cli/flags.h"

namespace mydocker::engine {
namespace {

using ::testing::ElementsAre;

std::optional<std::string> Lookup(const std::string& name) {
  static const std::map<std::string, std::string> env = {{"FROM_SHELL", "yes"}};
  auto it = env.find(name);
  if (it == env.end()) return std::nullopt;
  return it->second;
}

// What the run applet does: the flags, the parse mode, Finish.
absl::StatusOr<RunRequest> Parse(std::vector<std::string> args) {
  RunFlags f;
  cli::FlagSet flags("run");
  f.Declare(flags, /*run=*/true);
  flags.set_interspersed(UsesImageFlag(args));
  absl::StatusOr<std::vector<std::string>> pos = flags.Parse(args);
  if (!pos.ok()) return pos.status();
  return f.Finish(*pos, Lookup, UsesImageFlag(args) ? WordsAfterDoubleDash(args) : 0);
}

TEST(RunFlagsTest, DockerSyntaxStopsAtTheImage) {
  absl::StatusOr<RunRequest> r =
      Parse({"-it", "--rm", "--name", "web", "busybox", "ls", "-l", "--rm"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->image, "busybox");
  EXPECT_EQ(r->name, "web");
  EXPECT_TRUE(r->interactive);
  EXPECT_TRUE(r->config.tty);
  EXPECT_TRUE(r->config.open_stdin);
  EXPECT_TRUE(r->host_config.auto_remove);
  ASSERT_TRUE(r->config.cmd.has_value());
  // The command's own options stay the command's.
  EXPECT_THAT(*r->config.cmd, ElementsAre("ls", "-l", "--rm"));
  EXPECT_EQ(r->config.image, "busybox");
}

TEST(RunFlagsTest, DockerSyntaxWithoutCommandKeepsTheImagesCmd) {
  absl::StatusOr<RunRequest> r = Parse({"-d", "-p", "8080:80", "nginx"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->detach);
  EXPECT_FALSE(r->config.cmd.has_value());
  EXPECT_FALSE(r->config.attach_stdout);
  ASSERT_TRUE(r->host_config.port_bindings.has_value());
  const auto& b = r->host_config.port_bindings->at("80/tcp");
  ASSERT_TRUE(b.has_value());
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0].host_port, "8080");
  EXPECT_EQ((*b)[0].host_ip, "");
  EXPECT_TRUE(r->config.exposed_ports.count("80/tcp"));
}

TEST(RunFlagsTest, OriginalSyntaxTakesTheImageFromTheFlag) {
  absl::StatusOr<RunRequest> r = Parse({"-it", "-image", "mysql", "/bin/bash"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->image, "mysql");
  EXPECT_TRUE(r->config.tty);
  EXPECT_THAT(*r->config.cmd, ElementsAre("/bin/bash"));
}

TEST(RunFlagsTest, OriginalSyntaxSplitsQuotedCommandWordsAndTakesLaterFlags) {
  absl::StatusOr<RunRequest> r =
      Parse({"-p", "91:80", "-image", "nginx", "./docker-entrypoint.sh",
             "nginx -g \"daemon off;\"", "-net", "my-network"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->image, "nginx");
  EXPECT_EQ(r->host_config.network_mode, "my-network");
  EXPECT_THAT(*r->config.cmd, ElementsAre("./docker-entrypoint.sh", "nginx",
                                          "-g", "daemon off;"));
  EXPECT_EQ(r->host_config.port_bindings->at("80/tcp")->at(0).host_port, "91");
}

TEST(RunFlagsTest, OriginalSyntaxDoubleDashEndsOptions) {
  absl::StatusOr<RunRequest> r =
      Parse({"-image", "busybox", "--", "ls", "-net", "x"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->host_config.network_mode, "default");
  EXPECT_THAT(*r->config.cmd, ElementsAre("ls", "-net", "x"));
}

TEST(RunFlagsTest, OriginalSyntaxTakesWordsAfterDoubleDashAsTheyAre) {
  absl::StatusOr<RunRequest> r =
      Parse({"-image", "busybox", "-m", "64m", "--", "sh", "-c", "echo $0 ok"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r->config.cmd, ElementsAre("sh", "-c", "echo $0 ok"));
  EXPECT_EQ(r->host_config.memory, 64 << 20);
  EXPECT_EQ(r->host_config.cpu_shares, 0);
}

TEST(RunFlagsTest, UsesImageFlagIgnoresWhatFollowsDoubleDash) {
  EXPECT_TRUE(UsesImageFlag({"-it", "-image", "x"}));
  EXPECT_TRUE(UsesImageFlag({"--image=x"}));
  EXPECT_FALSE(UsesImageFlag({"busybox", "--", "-image"}));
  EXPECT_FALSE(UsesImageFlag({"-it", "busybox", "sh"}));
}

TEST(RunFlagsTest, EnvironmentAndLabels) {
  absl::StatusOr<RunRequest> r =
      Parse({"-e", "A=1", "-e", "FROM_SHELL", "-e", "UNSET", "-l", "k=v",
             "-l", "bare", "busybox"});
  ASSERT_TRUE(r.ok()) << r.status();
  // A bare name takes the shell's value; an unset one stays bare (dockerd
  // then leaves it out).
  EXPECT_THAT(*r->config.env, ElementsAre("A=1", "FROM_SHELL=yes", "UNSET"));
  EXPECT_EQ(r->config.labels->at("k"), "v");
  EXPECT_EQ(r->config.labels->at("bare"), "");
}

TEST(RunFlagsTest, EntrypointOverride) {
  absl::StatusOr<RunRequest> r = Parse({"--entrypoint", "", "busybox"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r->config.entrypoint, ElementsAre(""));
  r = Parse({"--entrypoint", "/bin/echo", "busybox", "hi"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r->config.entrypoint, ElementsAre("/bin/echo"));
  EXPECT_THAT(*r->config.cmd, ElementsAre("hi"));
}

TEST(RunFlagsTest, Resources) {
  absl::StatusOr<RunRequest> r =
      Parse({"-m", "64m", "--memory-swap", "-1", "--cpus", "1.5",
             "--pids-limit", "50", "--cpuset-cpus", "0", "busybox"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->host_config.memory, 64 << 20);
  EXPECT_EQ(r->host_config.memory_swap, -1);
  EXPECT_EQ(r->host_config.nano_cpus, 1500000000);
  EXPECT_EQ(r->host_config.pids_limit, 50);
  EXPECT_EQ(r->host_config.cpuset_cpus, "0");
}

TEST(RunFlagsTest, BadValuesNameTheProblem) {
  EXPECT_EQ(Parse({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"-m", "lots", "busybox"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status s = Parse({"-p", "1:2:3:4", "busybox"}).status();
  EXPECT_NE(s.message().find("invalid publish opts format"), std::string::npos) << s;
  s = Parse({"--rm", "--restart", "always", "busybox"}).status();
  EXPECT_NE(s.message().find("Conflicting options"), std::string::npos) << s;
  s = Parse({"-image", "busybox", "sh -c 'unterminated"}).status();
  EXPECT_NE(s.message().find("unterminated quote"), std::string::npos) << s;
  EXPECT_FALSE(Parse({"--stop-signal", "SIGNOPE", "busybox"}).ok());
}

TEST(ShellSplitTest, QuotesAndEscapes) {
  EXPECT_THAT(*ShellSplit("a  'b c' \"d \\\"e\\\"\" f\\ g"),
              ElementsAre("a", "b c", "d \"e\"", "f g"));
  EXPECT_THAT(*ShellSplit("''"), ElementsAre(""));
  EXPECT_TRUE(ShellSplit("   ")->empty());
}

}  // namespace
}  // namespace mydocker::engine
