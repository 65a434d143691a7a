#include "lib/container/start_files.h"

#include <sys/stat.h>

#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/container/layout.h"
#include "lib/container/testing.h"
#include "re2/re2.h"

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

namespace mydocker::container {
namespace {

// libnetwork's patterns, run by RE2 (Go's regexp semantics), against which
// the hand-written matchers are checked.
#define IPV4_BLOCK "(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)"
#define IPV4_ADDRESS "(" IPV4_BLOCK "\\.){3}" IPV4_BLOCK
#define IPV6_ADDRESS "([0-9A-Fa-f]{0,4}:){2,7}([0-9A-Fa-f]{0,4})(%\\w+)?"
#define IP_LOCALHOST "((127\\.([0-9]{1,3}\\.){2}[0-9]{1,3})|(::1)$)"

class Reference {
 public:
  Reference()
      : localhost_("(?m)^nameserver\\s+" IP_LOCALHOST "\\s*\\n*", Latin1()),
        ipv6_("(?m)^nameserver\\s+" IPV6_ADDRESS "\\s*\\n*", Latin1()),
        ns_("^\\s*nameserver\\s*((" IPV4_ADDRESS ")|(" IPV6_ADDRESS "))\\s*$",
            Latin1()),
        search_("^\\s*search\\s*(([^\\s]+\\s*)*)$", Latin1()),
        options_("^\\s*options\\s*(([^\\s]+\\s*)*)$", Latin1()) {}

  std::string Filter(absl::string_view host, bool ipv6) const {
    std::string out(host);
    RE2::GlobalReplace(&out, localhost_, "");
    if (!ipv6) RE2::GlobalReplace(&out, ipv6_, "");
    if (Nameservers(out).empty()) {
      out += "\nnameserver 8.8.8.8\nnameserver 8.8.4.4";
      if (ipv6) {
        out += "\nnameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844";
      }
    }
    return out;
  }
  Strings Nameservers(absl::string_view conf) const {
    Strings out;
    for (const std::string& line : Lines(conf)) {
      std::string ns;
      if (RE2::FullMatch(line, ns_, &ns)) out.push_back(ns);
    }
    return out;
  }
  Strings Search(absl::string_view conf) const { return Last(conf, search_); }
  Strings Options(absl::string_view conf) const { return Last(conf, options_); }

 private:
  static RE2::Options Latin1() {
    RE2::Options o;
    o.set_encoding(RE2::Options::EncodingLatin1);
    return o;
  }
  static Strings Lines(absl::string_view conf) {
    Strings out;
    for (absl::string_view line : absl::StrSplit(conf, '\n')) {
      out.emplace_back(line.substr(0, line.find('#')));
    }
    return out;
  }
  static Strings Last(absl::string_view conf, const RE2& re) {
    Strings out;
    for (const std::string& line : Lines(conf)) {
      std::string rest;
      if (RE2::FullMatch(line, re, &rest)) {
        out = absl::StrSplit(rest, absl::ByAnyChar(" \t\r\n\f\v"), absl::SkipEmpty());
      }
    }
    return out;
  }

  RE2 localhost_, ipv6_, ns_, search_, options_;
};

// What the hand-written matchers give for `conf`, and what the patterns give.
void ExpectSameAsPatterns(const Reference& ref, const std::string& conf) {
  SCOPED_TRACE(absl::CHexEscape(conf));
  EXPECT_EQ(FilterResolvConf(conf, true), ref.Filter(conf, true));
  EXPECT_EQ(FilterResolvConf(conf, false), ref.Filter(conf, false));
  EXPECT_EQ(ResolvNameservers(conf), ref.Nameservers(conf));
  // Search and options come out of BuildResolvConf (with no --dns, it also
  // lists the host's nameservers, checked above).
  std::string built = BuildResolvConf(conf, {"1.1.1.1"}, {}, {});
  std::string want;
  Strings s = ref.Search(conf), o = ref.Options(conf);
  if (!s.empty() && absl::StripAsciiWhitespace(absl::StrJoin(s, " ")) != ".") {
    absl::StrAppend(&want, "search ", absl::StrJoin(s, " "), "\n");
  }
  absl::StrAppend(&want, "nameserver 1.1.1.1\n");
  if (!o.empty()) absl::StrAppend(&want, "options ", absl::StrJoin(o, " "), "\n");
  EXPECT_EQ(built, want);
}

TEST(ResolvConfTest, MatchersAgreeWithLibnetworksPatternsOnEdgeCases) {
  Reference ref;
  const Strings lines = {
      "nameserver 127.0.0.1", "nameserver 127.0.0.53", "nameserver 127.1.2.3x",
      "nameserver 127.0.0.1234", "nameserver 127.1234.0.1", "nameserver 127.0.0",
      "nameserver 127..0.1", "nameserver\t127.0.0.1\t", "nameserver127.0.0.1",
      " nameserver 127.0.0.1", "nameserver ::1", "nameserver ::1 ", "nameserver ::12",
      "nameserver  ::1", "nameserver \n127.0.0.1", "nameserver ", "nameserver",
      "nameserver 10.0.0.1", "nameserver 255.255.255.255", "nameserver 256.1.1.1",
      "nameserver 01.02.003.199", "nameserver 1.2.3", "nameserver 1.2.3.4.5",
      "nameserver 1.2.3.4 5.6.7.8", "nameserver1.2.3.4", "  nameserver 8.8.8.8  ",
      "nameserver 2001:db8::1", "nameserver fe80::1%eth0", "nameserver fe80::1%",
      "nameserver fe80::1%-x", "nameserver ::", "nameserver 1:2", "nameserver 1:2:3:4:5:6:7:8",
      "nameserver 1:2:3:4:5:6:7:8:9", "nameserver 12345::1", "nameserver g::1",
      "nameserver 2001:db8::1 # x", "nameserver\r", "nameserver 1.2.3.4\r",
      "nameserver 1.2.3.4\v", "nameserver \xff::1", "search a b  c", "search",
      "searchx y", " search .", "search\ta\fb", "options ndots:5 rotate",
      "options", "optionsfoo", "# nameserver 1.2.3.4", "domain x", "",
      "nameserver 2001:4860:4860::8888", "nameserver 127.0.0.1\n\n\n",
  };
  for (const std::string& a : lines) {
    ExpectSameAsPatterns(ref, a);
    ExpectSameAsPatterns(ref, a + "\n");
    for (const std::string& b : lines) ExpectSameAsPatterns(ref, a + "\n" + b);
  }
}

TEST(ResolvConfTest, MatchersAgreeWithLibnetworksPatternsOnRandomFiles) {
  Reference ref;
  // Pieces that make the patterns' cases likely, and bytes that break them.
  const Strings pieces = {"nameserver", "search", "options", " ", "  ", "\t",
                          "\n", "\n", "\r", "\f", "\v", "#", "127.", "0", "1",
                          "9", "25", "256", ".", ":", "::", "::1", "f", "A",
                          "g", "%", "eth0", "_", "\xff", "ab12"};
  std::mt19937 rng(20261130);
  std::uniform_int_distribution<size_t> piece(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(0, 14);
  for (int i = 0; i < 40000; ++i) {
    std::string conf;
    for (int n = length(rng); n > 0; --n) conf += pieces[piece(rng)];
    ExpectSameAsPatterns(ref, conf);
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace mydocker::container
