// Against the real kernel: each test runs in a fresh network namespace of
// its own (so it starts from an empty ruleset and leaves nothing behind),
// with the lock in the test's temp dir.
#include "lib/nat/apply.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/base/unique_fd.h"
#include "lib/nat/nft.h"
#include "lib/nat/rules.h"
#include "lib/netlink/nftables.h"
#include "lib/netlink/socket.h"

extern char** environ;

namespace mydocker::nat {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

#define ASSERT_OK(expr)                          \
  do {                                           \
    absl::Status s_ = (expr);                    \
    ASSERT_TRUE(s_.ok()) << #expr << ": " << s_; \
  } while (0)

// nft's listing of the skeleton, written with two-space indents for the
// tabs nft prints.
std::string Tabs(absl::string_view text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  for (std::string& line : lines) {
    size_t i = 0;
    while (line.compare(i, 2, "  ") == 0) i += 2;
    line = std::string(i / 2, '\t') + line.substr(i);
  }
  return absl::StrJoin(lines, "\n");
}

const std::string& SkeletonListing() {
  static const std::string* listing =
      new std::string(Tabs(R"(table ip mydocker {
  map tcp_any {
    type inet_service : ipv4_addr . inet_service
  }

  map udp_any {
    type inet_service : ipv4_addr . inet_service
  }

  map tcp_ip {
    type ipv4_addr . inet_service : ipv4_addr . inet_service
  }

  map udp_ip {
    type ipv4_addr . inet_service : ipv4_addr . inet_service
  }

  map post_nets {
    type ipv4_addr : verdict
    flags interval
  }

  map fwd_in {
    type ifname : verdict
  }

  map fwd_out {
    type ifname : verdict
  }

  set bridges {
    type ifname
  }

  chain ports {
    dnat ip to ip daddr . tcp dport map @tcp_ip
    dnat ip to tcp dport map @tcp_any
    dnat ip to ip daddr . udp dport map @udp_ip
    dnat ip to udp dport map @udp_any
  }

  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local jump ports
  }

  chain output {
    type nat hook output priority -100; policy accept;
    fib daddr type local jump ports
  }

  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr vmap @post_nets
    ct status dnat ip saddr 127.0.0.0/8 masquerade
  }

  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname vmap @fwd_in
    oifname vmap @fwd_out
  }

  chain guard {
    type filter hook prerouting priority raw; policy accept;
    iifname @bridges ip daddr 127.0.0.0/8 drop
  }
}
)"));
  return *listing;
}

std::string Listing() {
  absl::StatusOr<std::string> out =
      NftOutput("list table ip mydocker", "list table");
  return out.ok() ? *out : std::string(out.status().message());
}

std::string Ruleset() {
  absl::StatusOr<std::string> out = NftOutput("list ruleset", "list ruleset");
  return out.ok() ? *out : std::string(out.status().message());
}

const NetworkRules kNet{.id = "0123456789abcdef",
                        .bridge = "br-0123456789ab",
                        .subnet = "172.18.0.0/16"};
const PortRule kPort{.proto = "tcp",
                     .host_ip = "",
                     .host_port = 91,
                     .container_ip = "172.18.0.2",
                     .container_port = 80};
const PortRule kLocalPort{.proto = "udp",
                          .host_ip = "127.0.0.1",
                          .host_port = 53,
                          .container_ip = "172.18.0.2",
                          .container_port = 5353};

std::string TempDir() {
  const char* dir = getenv("TEST_TMPDIR");
  return dir ? dir : "/tmp";
}

class ApplyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SetLockPathForTest(TempDir() + "/run/mydocker/nat.lock");
  }

  void SetUp() override {
    ASSERT_EQ(getuid(), 0u) << "apply_test needs root";
    // A fresh namespace per test; the previous one, and its rules, go away
    // with its last reference.
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << strerror(errno);
    ASSERT_EQ(Ruleset(), "");
  }
};

TEST_F(ApplyTest, EnsureSkeletonCreatesTheTableOnce) {
  ASSERT_OK(EnsureSkeleton());
  EXPECT_EQ(Listing(), SkeletonListing());
  ASSERT_OK(EnsureSkeleton());
  EXPECT_EQ(Listing(), SkeletonListing());
  struct stat st;
  ASSERT_EQ(stat((TempDir() + "/run/mydocker").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

TEST_F(ApplyTest, ConcurrentEnsureSkeletonCreatesTheTableOnce) {
  // Threads made after SetUp's unshare share its namespace; each takes the
  // flock through its own open file, as separate processes would.
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(8);
  for (absl::Status& result : results) {
    threads.emplace_back([&result] { result = EnsureSkeleton(); });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& result : results) EXPECT_TRUE(result.ok()) << result;
  EXPECT_EQ(Listing(), SkeletonListing());
}

TEST_F(ApplyTest, EnsureSkeletonLeavesAnExistingTableAlone) {
  ASSERT_OK(RunNft("add table ip mydocker\nadd chain ip mydocker mine\n",
                   "test table"));
  ASSERT_OK(EnsureSkeleton());
  EXPECT_EQ(Listing(), "table ip mydocker {\n\tchain mine {\n\t}\n}\n");
}

TEST_F(ApplyTest, AddAndRemoveNetwork) {
  ASSERT_OK(AddNetwork(kNet));  // Creates the skeleton too.
  const std::string with = Listing();
  for (const char* want : {
           "elements = { 172.18.0.0/16 : jump net-0123456789ab }",
           "elements = { \"br-0123456789ab\" : jump fwdin-0123456789ab }",
           "elements = { \"br-0123456789ab\" : jump fwdout-0123456789ab }",
           "elements = { \"br-0123456789ab\" }",
           "\tchain net-0123456789ab {\n"
           "\t\toifname != \"br-0123456789ab\" masquerade\n"
           "\t\toifname \"br-0123456789ab\" ct status dnat masquerade\n"
           "\t}\n",
           "\tchain fwdin-0123456789ab {\n"
           "\t\toifname \"br-0123456789ab\" accept\n"
           "\t\toifname @bridges drop\n"
           "\t}\n",
           "\tchain fwdout-0123456789ab {\n"
           "\t\tct state established,related accept\n"
           "\t\tct status dnat accept\n"
           "\t\tdrop\n"
           "\t}\n",
       }) {
    EXPECT_THAT(with, HasSubstr(want));
  }
  // Again: nothing changes (the chains are rewritten, not extended).
  ASSERT_OK(AddNetwork(kNet));
  EXPECT_EQ(Listing(), with);

  ASSERT_OK(RemoveNetwork(kNet));
  EXPECT_EQ(Listing(), SkeletonListing());
  ASSERT_OK(RemoveNetwork(kNet));  // Already gone.
  EXPECT_EQ(Listing(), SkeletonListing());
}

// The chains the start's fast path reads over netlink are those nft lists,
// of our table only; no table is nullopt.
TEST_F(ApplyTest, ChainsOverNetlinkAreTheChainsNftLists) {
  absl::StatusOr<netlink::Socket> sock = netlink::Socket::Open(NETLINK_NETFILTER);
  ASSERT_TRUE(sock.ok()) << sock.status();
  absl::StatusOr<std::optional<std::vector<std::string>>> none =
      netlink::ListChains(*sock, NFPROTO_IPV4, kTableName);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  ASSERT_OK(RunNft("add table ip other\nadd chain ip other stranger\n"
                   "add table inet mydocker\nadd chain inet mydocker elsewhere\n",
                   "test tables"));
  ASSERT_OK(AddNetwork(kNet));
  absl::StatusOr<std::string> nft = NftOutput("list chains ip", "list chains");
  ASSERT_TRUE(nft.ok()) << nft.status();
  std::vector<std::string> listed;
  bool ours = false;
  for (absl::string_view line : absl::StrSplit(*nft, '\n')) {
    if (absl::StartsWith(line, "table ")) ours = line == "table ip mydocker {";
    absl::string_view t = absl::StripAsciiWhitespace(line);
    if (ours && absl::ConsumePrefix(&t, "chain ") && absl::ConsumeSuffix(&t, " {")) {
      listed.emplace_back(t);
    }
  }
  absl::StatusOr<std::optional<std::vector<std::string>>> got =
      netlink::ListChains(*sock, NFPROTO_IPV4, kTableName);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  std::vector<std::string> a = **got, b = listed;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
  EXPECT_THAT(a, ::testing::Contains("fwdin-0123456789ab"));
  EXPECT_THAT(a, Not(::testing::Contains("stranger")));
  EXPECT_THAT(a, Not(::testing::Contains("elsewhere")));
}

// EnsureNetwork changes nothing while the rules are there, and makes them
// again after a flush of the ruleset (a firewall reload).
TEST_F(ApplyTest, EnsureNetworkRepairsAFlushedRuleset) {
  ASSERT_OK(AddNetwork(kNet));
  const std::string with = Listing();
  ASSERT_OK(EnsureNetwork(kNet));
  EXPECT_EQ(Listing(), with);
  ASSERT_OK(RunNft("flush ruleset\n", "flush"));
  ASSERT_EQ(Ruleset(), "");
  ASSERT_OK(EnsureNetwork(kNet));
  EXPECT_EQ(Listing(), with);
}

TEST_F(ApplyTest, InternalNetwork) {
  NetworkRules n = kNet;
  n.internal = true;
  ASSERT_OK(AddNetwork(n));
  const std::string with = Listing();
  EXPECT_THAT(with, HasSubstr("\tchain net-0123456789ab {\n"
                              "\t\toifname \"br-0123456789ab\" ct status dnat "
                              "masquerade\n\t}\n"));
  EXPECT_THAT(with, HasSubstr("\t\toifname @bridges drop\n\t\tdrop\n\t}\n"));
  EXPECT_THAT(with,
              HasSubstr("\tchain fwdout-0123456789ab {\n\t\tdrop\n\t}\n"));
  ASSERT_OK(RemoveNetwork(n));
  EXPECT_EQ(Listing(), SkeletonListing());
}

TEST_F(ApplyTest, SecondNetworkOnTheSameSubnetIsRefused) {
  ASSERT_OK(AddNetwork(kNet));
  const std::string with = Listing();
  NetworkRules other{.id = "fedcba9876543210",
                     .bridge = "br-fedcba987654",
                     .subnet = "172.18.0.0/16"};
  absl::Status s = AddNetwork(other);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  EXPECT_THAT(s.message(), HasSubstr("nft: add network fedcba987654"));
  other.subnet = "172.18.5.0/24";  // Inside kNet's.
  s = AddNetwork(other);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  EXPECT_EQ(Listing(), with);  // All or nothing: no chain of `other` left.

  // Removing `other` must not take kNet's subnet with it.
  other.subnet = "172.18.0.0/16";
  ASSERT_OK(RemoveNetwork(other));
  EXPECT_EQ(Listing(), with);
}

TEST_F(ApplyTest, RemovalWithoutATableIsOkAndCreatesNothing) {
  ASSERT_OK(RemoveNetwork(kNet));
  ASSERT_OK(RemovePorts({kPort}));
  ASSERT_OK(DeleteTableIfEmpty());
  EXPECT_EQ(Ruleset(), "");
}

TEST_F(ApplyTest, InvalidInputIsRefusedBeforeTouchingAnything) {
  NetworkRules bad = kNet;
  bad.bridge = "br0\"; flush ruleset;";
  EXPECT_EQ(AddNetwork(bad).code(), absl::StatusCode::kInvalidArgument);
  PortRule p = kPort;
  p.container_ip = "1.2.3.4 } ; flush ruleset";
  EXPECT_EQ(AddPorts({p}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ruleset(), "");
}

TEST_F(ApplyTest, AddAndRemovePorts) {
  ASSERT_OK(AddNetwork(kNet));
  ASSERT_OK(AddPorts({kPort, kLocalPort}));
  std::string with = Listing();
  EXPECT_THAT(with, HasSubstr("elements = { 91 : 172.18.0.2 . 80 }"));
  EXPECT_THAT(with,
              HasSubstr("elements = { 127.0.0.1 . 53 : 172.18.0.2 . 5353 }"));
  ASSERT_OK(AddPorts({kPort}));  // The same mapping again: a no-op.
  EXPECT_EQ(Listing(), with);

  // The same host port to another container: refused, all or nothing.
  PortRule taken = kPort;
  taken.container_ip = "172.18.0.3";
  PortRule free_port = kPort;
  free_port.host_port = 92;
  absl::Status s = AddPorts({free_port, taken});
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(std::string(s.message()),
            "nft: publish 0.0.0.0:92->172.18.0.2:80/tcp, "
            "0.0.0.0:91->172.18.0.3:80/tcp: Error: Could not process rule: "
            "File exists (in `add element ip mydocker tcp_any "
            "{ 91 : 172.18.0.3 . 80 }`)");
  EXPECT_EQ(Listing(), with);

  // Unpublishing `taken` leaves kPort's mapping of the same port alone.
  ASSERT_OK(RemovePorts({taken, kLocalPort}));
  with = Listing();
  EXPECT_THAT(with, HasSubstr("elements = { 91 : 172.18.0.2 . 80 }"));
  EXPECT_THAT(with, Not(HasSubstr("5353")));

  ASSERT_OK(RemovePorts({kPort}));
  ASSERT_OK(RemovePorts({kPort, kLocalPort}));  // Already gone.
  ASSERT_OK(RemoveNetwork(kNet));
  EXPECT_EQ(Listing(), SkeletonListing());
}

TEST_F(ApplyTest, DeleteTableIfEmpty) {
  ASSERT_OK(
      RunNft("table ip other {\n"
             "  chain input { type filter hook input priority 0; }\n"
             "}\n",
             "someone else's table"));
  const std::string before = Ruleset();
  ASSERT_OK(AddNetwork(kNet));
  ASSERT_OK(AddPorts({kPort}));
  ASSERT_OK(DeleteTableIfEmpty());  // A network remains: kept.
  EXPECT_THAT(Listing(), HasSubstr("chain net-0123456789ab"));
  ASSERT_OK(RemoveNetwork(kNet));
  ASSERT_OK(DeleteTableIfEmpty());  // Goes, with the orphaned port.
  EXPECT_EQ(Ruleset(), before);
  ASSERT_OK(DeleteTableIfEmpty());
  ASSERT_OK(RunNft("delete table ip other\n", "cleanup"));
  EXPECT_EQ(Ruleset(), "");
}

std::string ReadSysctl(const std::string& path) {
  absl::StatusOr<std::string> v = base::ReadFile(path);
  return v.ok() ? *v : std::string(v.status().message());
}

TEST_F(ApplyTest, Sysctls) {
  ASSERT_OK(EnableIpForwarding());
  EXPECT_EQ(ReadSysctl("/proc/sys/net/ipv4/ip_forward"), "1\n");
  ASSERT_OK(EnableIpForwarding());
  ASSERT_OK(SetRouteLocalnet("lo"));
  EXPECT_EQ(ReadSysctl("/proc/sys/net/ipv4/conf/lo/route_localnet"), "1\n");
  EXPECT_EQ(SetRouteLocalnet("nosuch0").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(SetRouteLocalnet("../all").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SetRouteLocalnet("").code(), absl::StatusCode::kInvalidArgument);
}

// Writes net.ipv4.ip_forward of the test's namespace.
void SetIpForward(const char* value) {
  base::UniqueFd fd(open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(fd) << strerror(errno);
  ASSERT_EQ(write(fd.get(), value, strlen(value)), static_cast<ssize_t>(strlen(value)));
}

// Forwarding we turn on comes with the guard chain, which comes back after a
// flush while forwarding is ours, and goes with the table, forwarding off
// again; forwarding that was on gets no guard and stays on.
TEST_F(ApplyTest, ForwardingWeTurnOnIsGuardedUntilTheTableGoes) {
  const std::string fwd = "/proc/sys/net/ipv4/ip_forward";
  ASSERT_NO_FATAL_FAILURE(SetIpForward("0"));
  const std::string guard =
      "\tchain isolate {\n"
      "\t\ttype filter hook forward priority filter + 1; policy accept;\n"
      "\t\tiifname != @bridges oifname != @bridges drop\n"
      "\t}\n";
  ASSERT_OK(AddNetwork(kNet));
  ASSERT_OK(EnableIpForwarding());
  EXPECT_EQ(ReadSysctl(fwd), "1\n");
  const std::string with = Listing();
  EXPECT_THAT(with, HasSubstr(guard));
  ASSERT_OK(EnableIpForwarding());
  EXPECT_EQ(Listing(), with);
  ASSERT_OK(RunNft("flush ruleset\n", "flush"));
  ASSERT_OK(EnsureNetwork(kNet));
  ASSERT_OK(EnableIpForwarding());
  EXPECT_THAT(Listing(), HasSubstr(guard));
  ASSERT_OK(RemoveNetwork(kNet));
  ASSERT_OK(DeleteTableIfEmpty());
  EXPECT_EQ(Ruleset(), "");
  EXPECT_EQ(ReadSysctl(fwd), "0\n");

  ASSERT_NO_FATAL_FAILURE(SetIpForward("1"));
  ASSERT_OK(AddNetwork(kNet));
  ASSERT_OK(EnableIpForwarding());
  EXPECT_THAT(Listing(), Not(HasSubstr("chain isolate")));
  ASSERT_OK(RemoveNetwork(kNet));
  ASSERT_OK(DeleteTableIfEmpty());
  EXPECT_EQ(ReadSysctl(fwd), "1\n");

  // Ours again, then the table deleted by hand: removing the network
  // still turns forwarding off (the guard is gone).
  ASSERT_NO_FATAL_FAILURE(SetIpForward("0"));
  ASSERT_OK(AddNetwork(kNet));
  ASSERT_OK(EnableIpForwarding());
  EXPECT_EQ(ReadSysctl(fwd), "1\n");
  ASSERT_OK(RunNft("delete table ip mydocker\n", "by hand"));
  ASSERT_OK(RemoveNetwork(kNet));
  ASSERT_OK(DeleteTableIfEmpty());
  EXPECT_EQ(ReadSysctl(fwd), "0\n");
  EXPECT_EQ(Ruleset(), "");
}

// Runs `argv` (argv[0] an absolute path) in the calling thread's network
// namespace; returns its exit status, or -1.
int RunCommand(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) {
    return -1;
  }
  int status;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string IpBinary() {
  for (const char* ip :
       {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (access(ip, X_OK) == 0) return ip;
  }
  return "";
}

// Connects to 127.0.0.1:port and returns what the peer sends until EOF, or
// "error: ..." (the test's timeouts bound every step).
std::string Fetch(int port) {
  base::UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  timeval tv{.tv_sec = 5, .tv_usec = 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
      0) {
    return absl::StrCat("error: connect: ", strerror(errno));
  }
  std::string got;
  char buf[256];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0) return absl::StrCat("error: read: ", strerror(errno));
    if (n == 0) return got;
    got.append(buf, n);
  }
}

// The whole design with real packets: a "container" (a thread in a network
// namespace of its own, behind a veth pair whose host end plays the bridge)
// listens on port 80; the host publishes 127.0.0.1:91 and *:92 to it and
// connects to both at 127.0.0.1, which takes the output-chain DNAT, the
// route_localnet exception and the postrouting masquerade of 127.0.0.1.
TEST_F(ApplyTest, PublishedPortsAnswerThroughTheNat) {
  const std::string ip = IpBinary();
  ASSERT_NE(ip, "") << "needs iproute2's ip";
  ASSERT_EQ(RunCommand({ip, "link", "set", "lo", "up"}), 0);

  absl::Notification tid_ready, moved, listening;
  pid_t tid = 0;
  std::thread container([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      ADD_FAILURE() << "unshare: " << strerror(errno);
      return;
    }
    tid = gettid();
    tid_ready.Notify();
    if (!moved.WaitForNotificationWithTimeout(absl::Seconds(10))) return;
    // Children spawned from this thread start in its namespace.
    EXPECT_EQ(RunCommand({ip, "addr", "add", "172.30.0.2/24", "dev", "vB"}), 0);
    EXPECT_EQ(RunCommand({ip, "link", "set", "vB", "up"}), 0);
    base::UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    timeval tv{.tv_sec = 10, .tv_usec = 0};
    setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));  // accept
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(80);
    if (bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(s.get(), 4) != 0) {
      ADD_FAILURE() << "listen: " << strerror(errno);
      return;
    }
    listening.Notify();
    for (int i = 0; i < 2; ++i) {
      sockaddr_in peer{};
      socklen_t len = sizeof(peer);
      base::UniqueFd c(accept4(s.get(), reinterpret_cast<sockaddr*>(&peer),
                               &len, SOCK_CLOEXEC));
      if (c.get() < 0) {
        ADD_FAILURE() << "accept: " << strerror(errno);
        return;
      }
      char from[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &peer.sin_addr, from, sizeof(from));
      std::string reply = absl::StrCat("hello ", from, "\n");
      EXPECT_EQ(write(c.get(), reply.data(), reply.size()),
                static_cast<ssize_t>(reply.size()));
    }
  });
  absl::Cleanup join = [&] {
    if (!moved.HasBeenNotified()) moved.Notify();  // Let the thread finish.
    container.join();
  };

  ASSERT_TRUE(tid_ready.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_EQ(RunCommand({ip, "link", "add", "vA", "type", "veth", "peer", "name",
                        "vB"}),
            0);
  ASSERT_EQ(RunCommand({ip, "link", "set", "vB", "netns", absl::StrCat(tid)}),
            0);
  ASSERT_EQ(RunCommand({ip, "addr", "add", "172.30.0.1/24", "dev", "vA"}), 0);
  ASSERT_EQ(RunCommand({ip, "link", "set", "vA", "up"}), 0);
  moved.Notify();

  const NetworkRules net{
      .id = "00aa00bb00cc00dd", .bridge = "vA", .subnet = "172.30.0.0/24"};
  const std::vector<PortRule> ports = {
      {.proto = "tcp",
       .host_ip = "127.0.0.1",
       .host_port = 91,
       .container_ip = "172.30.0.2",
       .container_port = 80},
      {.proto = "tcp",
       .host_ip = "",
       .host_port = 92,
       .container_ip = "172.30.0.2",
       .container_port = 80},
  };
  ASSERT_OK(AddNetwork(net));
  ASSERT_OK(EnableIpForwarding());
  ASSERT_OK(SetRouteLocalnet("vA"));
  ASSERT_OK(AddPorts(ports));
  ASSERT_TRUE(listening.WaitForNotificationWithTimeout(absl::Seconds(10)));

  // The container sees the bridge's address: 127.0.0.1 was masqueraded.
  EXPECT_EQ(Fetch(91), "hello 172.30.0.1\n");
  EXPECT_EQ(Fetch(92), "hello 172.30.0.1\n");

  // Unpublished, nothing answers (nothing listens on the host itself).
  ASSERT_OK(RemovePorts(ports));
  EXPECT_EQ(Fetch(91), "error: connect: Connection refused");
  ASSERT_OK(RemoveNetwork(net));
  ASSERT_OK(DeleteTableIfEmpty());
  EXPECT_EQ(Ruleset(), "");
}

}  // namespace
}  // namespace mydocker::nat
