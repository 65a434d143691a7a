#include "lib/engine/container_spec.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::engine {
namespace {

using ::testing::ElementsAre;

container::Container Sample() {
  container::Container c;
  c.id = std::string(64, 'a');
  c.path = "nginx";
  c.args = std::vector<std::string>{"-g", "daemon off;"};
  c.config.env = std::vector<std::string>{"PATH=/bin", "UNSET_IN_SHELL", "A=1"};
  c.config.user = "101";
  c.config.working_dir = "/srv";
  c.config.tty = true;
  c.config.hostname = "web";
  c.host_config.init = true;
  c.host_config.cap_drop = std::vector<std::string>{"NET_RAW"};
  c.host_config.memory = 64 << 20;
  c.host_config.pids_limit = 20;
  c.host_config.network_mode = "none";
  c.host_config.tmpfs = std::map<std::string, std::string>{{"/run", "size=1m"}, {"/tmp", ""}};
  c.host_config.security_opt = std::vector<std::string>{"no-new-privileges"};
  container::MountPoint mp;
  mp.source = "/srv/data";
  mp.destination = "/data";
  mp.rw = false;
  mp.propagation = "rprivate";
  c.mount_points = std::map<std::string, container::MountPoint>{{"/data", mp}};
  return c;
}

TEST(BuilderInputsTest, TheRecordIsTheWholeStory) {
  auto inputs = BuilderInputs(Sample());
  ASSERT_TRUE(inputs.ok()) << inputs.status();
  const auto& [image, run] = *inputs;
  // Path + Args run as they are: no entrypoint/cmd rules apply again.
  EXPECT_THAT(image.cmd, ElementsAre("nginx", "-g", "daemon off;"));
  EXPECT_TRUE(image.entrypoint.empty());
  EXPECT_FALSE(run.entrypoint.has_value());
  EXPECT_TRUE(run.command.empty());
  // A bare name in the record is not passed on.
  EXPECT_THAT(image.env, ElementsAre("PATH=/bin", "A=1"));
  EXPECT_EQ(image.user, "101");
  EXPECT_EQ(image.working_dir, "/srv");
  EXPECT_TRUE(run.tty);
  EXPECT_TRUE(run.init);
  EXPECT_TRUE(run.no_new_privileges);
  EXPECT_EQ(run.hostname, "web");
  EXPECT_THAT(run.cap_drop, ElementsAre("NET_RAW"));
  EXPECT_EQ(run.memory, 64 << 20);
  EXPECT_EQ(run.pids_limit, 20);
  EXPECT_EQ(run.network, "none");
  EXPECT_THAT(run.tmpfs, ElementsAre("/run:size=1m", "/tmp"));
  ASSERT_EQ(run.binds.size(), 1u);
  EXPECT_EQ(run.binds[0].source, "/srv/data");
  EXPECT_EQ(run.binds[0].destination, "/data");
  EXPECT_TRUE(run.binds[0].read_only);
}

TEST(BuilderInputsTest, RefusesAnUnknownSecurityOption) {
  container::Container c = Sample();
  c.host_config.security_opt = std::vector<std::string>{"bogus"};
  EXPECT_FALSE(BuilderInputs(c).ok());
}

TEST(VerifyCreateTest, RefusesWhatCouldNeverStart) {
  container::Container c = Sample();
  EXPECT_TRUE(VerifyCreate(c.config, c.host_config).ok());
  c.host_config.memory = 1024;
  absl::Status s = VerifyCreate(c.config, c.host_config);
  EXPECT_EQ(s.message(), "Minimum memory limit allowed is 6MB") << s;
}

TEST(CgroupPathTest, UnderMydocker) {
  EXPECT_EQ(CgroupPath("abc"), "/mydocker/abc");
}

}  // namespace
}  // namespace mydocker::engine
