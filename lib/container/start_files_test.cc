#include "lib/container/start_files.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/container/layout.h"
#include "lib/container/testing.h"

namespace mydocker::container {
namespace {

using testing::NewTempDir;
using testing::ReadRunfile;
using Strings = std::vector<std::string>;

std::string Sample(const std::string& name) {
  return ReadRunfile(
      absl::StrCat("lib/container/testdata/research/samples/", name));
}

mode_t Mode(const std::string& p) {
  struct stat st;
  EXPECT_EQ(lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

TEST(HostsTest, DockersFiles) {
  EXPECT_EQ(*BuildHostsFile("6c908a9b3600", "", {}, {"172.17.0.2"}),
            Sample("plain.hosts"));
  EXPECT_EQ(*BuildHostsFile("h1", "", {}, {"172.17.0.4"}),
            Sample("full.hosts"));
  // --hostname a.b.c --add-host x:1.2.3.4: the extra host first, and the
  // short name too.
  EXPECT_EQ(*BuildHostsFile("a.b.c", "", {"x:1.2.3.4"}, {"172.17.0.3"}),
            Sample("dnsopts.hosts"));
  // --network none: no line of its own.
  EXPECT_EQ(*BuildHostsFile("5b96c3f92a56", "", {}, {}),
            Sample("netnone.hosts"));
  // A domain name makes an FQDN.
  EXPECT_THAT(*BuildHostsFile("web", "example.com", {}, {"10.0.0.2"}),
              ::testing::EndsWith("10.0.0.2\tweb.example.com web\n"));
  EXPECT_EQ(BuildHostsFile("h", "", {"nocolon"}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ResolvConfTest, FilteredAsDockerdDoes) {
  // Host file with only loopback nameservers: dockerd's observed result.
  EXPECT_EQ(ContainerResolvConf(Sample("resolvtest.host-etc-resolv.conf")),
            Sample("resolvtest.resolv.conf"));
  EXPECT_EQ(ContainerResolvConf("nameserver 10.255.255.53\n"),
            Sample("plain.resolv.conf"));
  EXPECT_EQ(Sample("plain.resolv.conf"), "nameserver 10.255.255.53\n");
  EXPECT_EQ(digest::Digest::Of(Sample("plain.resolv.conf")).str(),
            Sample("plain.resolv.conf.hash"));
  EXPECT_EQ(digest::Digest::Of(Sample("resolvtest.resolv.conf")).str(),
            Sample("resolvtest.resolv.conf.hash"));
  // One pass with IPv6 on keeps IPv6 servers and adds Google's.
  EXPECT_EQ(FilterResolvConf("nameserver 127.0.0.1\n", true),
            "\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n"
            "nameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844");
  EXPECT_EQ(
      FilterResolvConf("nameserver fe80::1%eth0\nnameserver 1.1.1.1\n", false),
      "nameserver 1.1.1.1\n");
  EXPECT_EQ(
      FilterResolvConf("nameserver fe80::1%eth0\nnameserver 1.1.1.1\n", true),
      "nameserver fe80::1%eth0\nnameserver 1.1.1.1\n");
}

TEST(ResolvConfTest, BuiltFromDnsOptions) {
  EXPECT_EQ(BuildResolvConf("nameserver 10.255.255.53\n", {"9.9.9.9"},
                            {"s.com"}, {"ndots:2"}),
            Sample("dnsopts.resolv.conf"));
  EXPECT_EQ(digest::Digest::Of(Sample("dnsopts.resolv.conf")).str(),
            Sample("dnsopts.resolv.conf.hash"));
  // What is not given comes from the host.
  EXPECT_EQ(BuildResolvConf("search a b\nnameserver 1.2.3.4\noptions x\n",
                            {"9.9.9.9"}, {}, {}),
            "search a b\nnameserver 9.9.9.9\noptions x\n");
  EXPECT_EQ(BuildResolvConf("nameserver 1.2.3.4\n", {}, {"."}, {}),
            "nameserver 1.2.3.4\n");
}

TEST(ResolvConfTest, Nameservers) {
  EXPECT_EQ(ResolvNameservers("# c\nnameserver 1.2.3.4 # x\n nameserver ::1\n"
                              "nameserver 300.1.1.1\nnameserver bogus\n"
                              "nameserver\t10.0.0.1\r\n"),
            (Strings{"1.2.3.4", "::1", "10.0.0.1"}));
}

class WriteStartFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = NewTempDir("start");
    host_ = NewTempDir("host");
    ASSERT_TRUE(base::WriteFileAtomic(host_ + "/hosts",
                                      "127.0.0.1 localhost\n127.0.0.1 vm\n")
                    .ok());
    ASSERT_TRUE(base::WriteFileAtomic(host_ + "/resolv.conf",
                                      "nameserver 127.0.0.53\noptions edns0\n")
                    .ok());
    ASSERT_TRUE(
        base::WriteFileAtomic(host_ + "/systemd.conf", "nameserver 10.1.1.1\n")
            .ok());
    options_.host_hosts = host_ + "/hosts";
    options_.host_resolv_conf = host_ + "/resolv.conf";
    options_.systemd_resolv_conf = host_ + "/systemd.conf";
    c_.id = "6c908a9b3600b862c1df71d8621e5d29b19bfccf4d19bea1ffa2485b100f3d1a";
    c_.config.hostname = "6c908a9b3600";
    c_.host_config.network_mode = "default";
    c_.host_config.log_config.type = "json-file";
    dir_ = ContainerDir(root_, c_.id);
    ASSERT_TRUE(base::MakeDirs(dir_, 0710).ok());
  }
  std::string root_, host_, dir_;
  StartFilesOptions options_;
  Container c_;
};

TEST_F(WriteStartFilesTest, BridgeContainer) {
  options_.container_ips = {"172.17.0.2"};
  ASSERT_TRUE(WriteStartFiles(root_, c_, options_).ok());
  EXPECT_EQ(c_.hostname_path, dir_ + "/hostname");
  EXPECT_EQ(c_.hosts_path, dir_ + "/hosts");
  EXPECT_EQ(c_.resolv_conf_path, dir_ + "/resolv.conf");
  EXPECT_EQ(c_.log_path, absl::StrCat(dir_, "/", c_.id, "-json.log"));
  EXPECT_EQ(*base::ReadFile(c_.hostname_path), "6c908a9b3600\n");
  EXPECT_EQ(*base::ReadFile(c_.hosts_path), Sample("plain.hosts"));
  // The host's only nameserver is systemd-resolved's stub: its real file.
  EXPECT_EQ(*base::ReadFile(c_.resolv_conf_path), "nameserver 10.1.1.1\n");
  EXPECT_EQ(*base::ReadFile(dir_ + "/resolv.conf.hash"),
            digest::Digest::Of("nameserver 10.1.1.1\n").str());
  for (const char* f :
       {"hostname", "hosts", "resolv.conf", "resolv.conf.hash"}) {
    EXPECT_EQ(Mode(absl::StrCat(dir_, "/", f)), 0644u) << f;
  }
  EXPECT_EQ(Mode(dir_ + "/mounts"), 0710u);
  EXPECT_EQ(Mode(c_.log_path), 0640u);
  EXPECT_EQ(*base::ReadFile(c_.log_path), "");
  // A restart keeps the log.
  ASSERT_TRUE(
      base::WriteFileAtomic(c_.log_path, "{\"log\":\"x\"}\n", 0640).ok());
  ASSERT_TRUE(WriteStartFiles(root_, c_, options_).ok());
  EXPECT_EQ(*base::ReadFile(c_.log_path), "{\"log\":\"x\"}\n");
}

TEST_F(WriteStartFilesTest, HostNetworkCopiesTheHostsFiles) {
  c_.host_config.network_mode = "host";
  c_.config.hostname = "vm";
  ASSERT_TRUE(WriteStartFiles(root_, c_, options_).ok());
  EXPECT_EQ(*base::ReadFile(c_.hosts_path),
            "127.0.0.1 localhost\n127.0.0.1 vm\n");
  EXPECT_EQ(*base::ReadFile(c_.resolv_conf_path),
            "nameserver 127.0.0.53\noptions edns0\n");
  struct stat st;
  EXPECT_NE(stat((dir_ + "/resolv.conf.hash").c_str(), &st), 0);
  EXPECT_EQ(*base::ReadFile(c_.hostname_path), "vm\n");
}

TEST_F(WriteStartFilesTest, DnsOptionsAndNone) {
  c_.host_config.network_mode = "none";
  c_.host_config.dns = Strings{"9.9.9.9"};
  c_.host_config.dns_search = Strings{"s.com"};
  c_.host_config.dns_options = Strings{"ndots:2"};
  c_.host_config.extra_hosts = Strings{"x:1.2.3.4"};
  ASSERT_TRUE(WriteStartFiles(root_, c_, options_).ok());
  EXPECT_EQ(*base::ReadFile(c_.resolv_conf_path),
            Sample("dnsopts.resolv.conf"));
  EXPECT_THAT(*base::ReadFile(c_.hosts_path),
              ::testing::EndsWith("ff02::2\tip6-allrouters\n1.2.3.4\tx\n"));
}

TEST_F(WriteStartFilesTest, OtherLogDriverAndContainerNetwork) {
  c_.host_config.log_config.type = "none";
  ASSERT_TRUE(WriteStartFiles(root_, c_, options_).ok());
  EXPECT_EQ(c_.log_path, "");
  c_.host_config.network_mode = "container:abc";
  EXPECT_EQ(WriteStartFiles(root_, c_, options_).code(),
            absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace mydocker::container
