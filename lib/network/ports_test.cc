#include "lib/network/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/unique_fd.h"
#include "nlohmann/json.hpp"

namespace mydocker::network {
namespace {

namespace fs = std::filesystem;
using ::absl::StatusCode;
using ::testing::HasSubstr;
using Json = nlohmann::json;

// A socket of `proto` bound to ip:port (port 0: the kernel's choice), and
// listening if TCP. Invalid if the bind failed.
struct HostSocket {
  base::UniqueFd fd;
  int port = 0;
};

HostSocket Hold(const std::string& proto, const std::string& ip, int port) {
  bool tcp = proto == "tcp";
  HostSocket h;
  h.fd = base::UniqueFd(
      socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0));
  if (!h.fd) return h;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  if (bind(h.fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      (tcp && listen(h.fd.get(), 1) != 0)) {
    h.fd.reset();
    return h;
  }
  socklen_t len = sizeof(a);
  getsockname(h.fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
  h.port = ntohs(a.sin_port);
  return h;
}

// A port nothing on this host (network namespace) holds for tcp nor udp on
// any address right now, and not returned before: the tests share the
// namespace with other builds, so no number is hard-coded.
int FreePort() {
  static std::set<int> given;
  for (int i = 0; i < 100; ++i) {
    HostSocket t = Hold("tcp", "0.0.0.0", 0);
    if (!t.fd || given.count(t.port)) continue;
    if (Hold("udp", "0.0.0.0", t.port).fd) {
      given.insert(t.port);
      return t.port;
    }
  }
  ADD_FAILURE() << "no free port: " << strerror(errno);
  return 0;
}

PortRequest Req(const std::string& proto, const std::string& ip, int host_port,
                int container_port) {
  PortRequest r;
  r.proto = proto;
  r.host_ip = ip;
  r.host_port = host_port;
  r.container_port = container_port;
  return r;
}

bool Never(const std::string&) { return false; }

class PortsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ = std::string(tmp ? tmp : "/tmp") + "/ports.XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    root_ = templ;
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string TablePath() const { return root_ + "/mydocker/ports.json"; }

  // The reservation table on disk: key -> owner ({} if there is none).
  Json Table() const {
    if (!fs::exists(TablePath())) return Json::object();
    std::ifstream in(TablePath());
    std::stringstream ss;
    ss << in.rdbuf();
    Json j = Json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(j.is_object()) << ss.str();
    return j;
  }

  absl::StatusOr<std::vector<PublishedPort>> Reserve(
      const std::string& id, const std::vector<PortRequest>& reqs,
      const std::function<bool(const std::string&)>& is_stale = Never) {
    return ReservePorts(root_, id, reqs, is_stale);
  }

  // Reserve() must succeed; returns the host ports.
  std::vector<int> MustReserve(const std::string& id,
                               const std::vector<PortRequest>& reqs) {
    absl::StatusOr<std::vector<PublishedPort>> got = Reserve(id, reqs);
    EXPECT_TRUE(got.ok()) << id << ": " << got.status();
    std::vector<int> out;
    if (got.ok()) {
      EXPECT_EQ(got->size(), reqs.size());
      for (const PublishedPort& p : *got) out.push_back(p.host_port);
    }
    return out;
  }

  // Reserve() must fail with `code` and a message containing `text`, and
  // leave the table as it was.
  void ExpectRefused(const std::string& id,
                     const std::vector<PortRequest>& reqs, StatusCode code,
                     const std::string& text) {
    Json before = Table();
    absl::StatusOr<std::vector<PublishedPort>> got = Reserve(id, reqs);
    ASSERT_FALSE(got.ok()) << id;
    EXPECT_EQ(got.status().code(), code) << got.status();
    EXPECT_THAT(got.status().message(), HasSubstr(text));
    EXPECT_EQ(Table(), before) << got.status();
  }

  std::string root_;
};

TEST_F(PortsTest, ReservesAFixedPort) {
  int p = FreePort();
  absl::StatusOr<std::vector<PublishedPort>> got =
      Reserve("c1", {Req("tcp", "", p, 80)});
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].proto, "tcp");
  EXPECT_EQ((*got)[0].host_ip, "0.0.0.0");
  EXPECT_EQ((*got)[0].host_port, p);
  EXPECT_EQ((*got)[0].container_port, 80);
  EXPECT_EQ(Table(), Json({{absl::StrCat("tcp/0.0.0.0/", p), "c1"}}));
}

TEST_F(PortsTest, NothingToReserveWritesNothing) {
  absl::StatusOr<std::vector<PublishedPort>> got = Reserve("c1", {});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->empty());
  EXPECT_FALSE(fs::exists(TablePath()));
}

TEST_F(PortsTest, APortHeldByAnotherContainerIsAllocated) {
  int p = FreePort();
  MustReserve("c1", {Req("tcp", "", p, 80)});
  ExpectRefused("c2", {Req("tcp", "", p, 8080)},
                StatusCode::kFailedPrecondition,
                absl::StrCat("Bind for 0.0.0.0:", p,
                             " failed: port is already allocated"));
  ExpectRefused("c2", {Req("tcp", "0.0.0.0", p, 8080)},
                StatusCode::kFailedPrecondition, "port is already allocated");
}

TEST_F(PortsTest, OneAddressConflictsWithEveryAddress) {
  int p = FreePort();
  MustReserve("c1", {Req("tcp", "127.0.0.1", p, 80)});
  EXPECT_EQ(Table(), Json({{absl::StrCat("tcp/127.0.0.1/", p), "c1"}}));
  ExpectRefused("c2", {Req("tcp", "", p, 80)}, StatusCode::kFailedPrecondition,
                "port is already allocated");
  ExpectRefused("c2", {Req("tcp", "127.0.0.1", p, 80)},
                StatusCode::kFailedPrecondition, "port is already allocated");
  // Another address of the host is another binding.
  MustReserve("c2", {Req("tcp", "127.0.0.2", p, 80)});

  int q = FreePort();
  MustReserve("c3", {Req("tcp", "", q, 80)});
  ExpectRefused("c4", {Req("tcp", "127.0.0.1", q, 80)},
                StatusCode::kFailedPrecondition,
                absl::StrCat("Bind for 127.0.0.1:", q,
                             " failed: port is already allocated"));
}

TEST_F(PortsTest, TcpAndUdpDoNotConflict) {
  int p = FreePort();
  MustReserve("c1", {Req("tcp", "", p, 53)});
  MustReserve("c2", {Req("udp", "", p, 53)});
  EXPECT_EQ(Table(), Json({{absl::StrCat("tcp/0.0.0.0/", p), "c1"},
                           {absl::StrCat("udp/0.0.0.0/", p), "c2"}}));
  ExpectRefused("c3", {Req("udp", "", p, 53)}, StatusCode::kFailedPrecondition,
                "port is already allocated");
  // One container may publish both.
  int q = FreePort();
  MustReserve("c4", {Req("tcp", "", q, 53), Req("udp", "", q, 53)});
}

TEST_F(PortsTest, SameContainerTwiceIsRefused) {
  int p = FreePort();
  ExpectRefused("c1", {Req("tcp", "", p, 80), Req("tcp", "127.0.0.1", p, 81)},
                StatusCode::kInvalidArgument, "published twice");
}

TEST_F(PortsTest, AStaleOwnerIsDisplaced) {
  int p = FreePort();
  int q = FreePort();
  MustReserve("dead", {Req("tcp", "", p, 80)});
  MustReserve("live", {Req("tcp", "", q, 80)});
  std::vector<std::string> asked;
  auto stale = [&](const std::string& id) {
    asked.push_back(id);
    return id == "dead";
  };
  absl::StatusOr<std::vector<PublishedPort>> got =
      Reserve("c2", {Req("tcp", "", p, 8080)}, stale);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(Table(), Json({{absl::StrCat("tcp/0.0.0.0/", p), "c2"},
                           {absl::StrCat("tcp/0.0.0.0/", q), "live"}}));
  EXPECT_THAT(asked, ::testing::ElementsAre("dead"));
  // A live owner is not.
  got = Reserve("c3", {Req("tcp", "", q, 8080)}, stale);
  EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition);
  // Without is_stale, every owner is live.
  got = ReservePorts(root_, "c3", {Req("tcp", "", p, 8080)});
  EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(PortsTest, EphemeralPortsAreDistinctAndInRange) {
  std::vector<int> a = MustReserve(
      "c1", {Req("tcp", "", 0, 80), Req("tcp", "", 0, 81),
             Req("tcp", "127.0.0.1", 0, 82), Req("udp", "", 0, 53)});
  std::vector<int> b =
      MustReserve("c2", {Req("tcp", "", 0, 80), Req("tcp", "", 0, 81)});
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), 2u);
  std::set<int> tcp = {a[0], a[1], a[2], b[0], b[1]};
  EXPECT_EQ(tcp.size(), 5u);
  for (int p : a) {
    EXPECT_GE(p, kEphemeralFirst);
    EXPECT_LE(p, kEphemeralLast);
  }
  for (int p : b) {
    EXPECT_GE(p, kEphemeralFirst);
    EXPECT_LE(p, kEphemeralLast);
  }
  Json t = Table();
  EXPECT_EQ(t.size(), 6u);
  EXPECT_EQ(t[absl::StrCat("tcp/127.0.0.1/", a[2])], "c1");
  EXPECT_EQ(t[absl::StrCat("udp/0.0.0.0/", a[3])], "c1");
  EXPECT_EQ(t[absl::StrCat("tcp/0.0.0.0/", b[1])], "c2");
}

TEST_F(PortsTest, AHostListenerIsAlreadyInUse) {
  HostSocket all = Hold("tcp", "0.0.0.0", 0);
  ASSERT_TRUE(all.fd) << strerror(errno);
  ExpectRefused("c1", {Req("tcp", "", all.port, 80)},
                StatusCode::kFailedPrecondition,
                absl::StrCat("Bind for 0.0.0.0:", all.port,
                             " failed: address already in use"));
  ExpectRefused("c1", {Req("tcp", "127.0.0.1", all.port, 80)},
                StatusCode::kFailedPrecondition, "already in use");
  EXPECT_FALSE(fs::exists(TablePath()));

  HostSocket lo = Hold("tcp", "127.0.0.1", 0);
  ASSERT_TRUE(lo.fd) << strerror(errno);
  ExpectRefused("c1", {Req("tcp", "", lo.port, 80)},
                StatusCode::kFailedPrecondition, "already in use");

  HostSocket udp = Hold("udp", "0.0.0.0", 0);
  ASSERT_TRUE(udp.fd) << strerror(errno);
  ExpectRefused("c1", {Req("udp", "", udp.port, 53)},
                StatusCode::kFailedPrecondition, "already in use");

  // Once the host program is gone, the port is free.
  int p = all.port;
  all.fd.reset();
  MustReserve("c1", {Req("tcp", "", p, 80)});
}

TEST_F(PortsTest, EphemeralSkipsAHostListener) {
  // The port the allocator would hand out now, then held by a host program.
  std::vector<int> first = MustReserve("probe", {Req("tcp", "", 0, 80)});
  ASSERT_EQ(first.size(), 1u);
  ASSERT_TRUE(ReleasePorts(root_, "probe").ok());
  HostSocket held = Hold("tcp", "0.0.0.0", first[0]);
  ASSERT_TRUE(held.fd) << first[0] << ": " << strerror(errno);

  std::vector<int> got = MustReserve("c1", {Req("tcp", "", 0, 80)});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0], first[0]);
  EXPECT_GE(got[0], kEphemeralFirst);
  EXPECT_LE(got[0], kEphemeralLast);
}

TEST_F(PortsTest, AllOrNothing) {
  int p = FreePort();
  int q = FreePort();
  int r = FreePort();
  MustReserve("c1", {Req("tcp", "", p, 80)});
  MustReserve("c2", {Req("tcp", "", r, 80)});
  Json before = Table();
  // The second request fails: the first is not reserved either, and c2
  // keeps what it held.
  ExpectRefused("c2", {Req("tcp", "", q, 80), Req("tcp", "", p, 81)},
                StatusCode::kFailedPrecondition, "port is already allocated");
  ExpectRefused("c2", {Req("tcp", "", q, 80), Req("sctp", "", q, 81)},
                StatusCode::kInvalidArgument, "sctp");
  ExpectRefused("c2", {Req("tcp", "", 0, 80), Req("tcp", "", p, 81)},
                StatusCode::kFailedPrecondition, "port is already allocated");
  EXPECT_EQ(Table(), before);
  // q is still free for anyone.
  MustReserve("c3", {Req("tcp", "", q, 80)});
}

TEST_F(PortsTest, ReleaseFreesThePorts) {
  int p = FreePort();
  int q = FreePort();
  MustReserve("c1", {Req("tcp", "", p, 80), Req("udp", "", q, 53)});
  MustReserve("c2", {Req("tcp", "", q, 80)});
  ASSERT_TRUE(ReleasePorts(root_, "c1").ok());
  EXPECT_EQ(Table(), Json({{absl::StrCat("tcp/0.0.0.0/", q), "c2"}}));
  MustReserve("c3", {Req("tcp", "", p, 80), Req("udp", "", q, 53)});
  // Releasing nothing is fine.
  ASSERT_TRUE(ReleasePorts(root_, "c1").ok());
  ASSERT_TRUE(ReleasePorts(root_, "nobody").ok());
  EXPECT_EQ(Table().size(), 3u);
}

TEST_F(PortsTest, ReleaseWithoutATableCreatesNothing) {
  ASSERT_TRUE(ReleasePorts(root_, "c1").ok());
  EXPECT_FALSE(fs::exists(root_ + "/mydocker"));
}

TEST_F(PortsTest, ReservingAgainReplacesTheOldEntries) {
  int p = FreePort();
  int q = FreePort();
  MustReserve("c1", {Req("tcp", "", p, 80)});
  MustReserve("c1", {Req("tcp", "", q, 80)});
  EXPECT_EQ(Table(), Json({{absl::StrCat("tcp/0.0.0.0/", q), "c1"}}));
  MustReserve("c2", {Req("tcp", "", p, 80)});
  // The same port again for the same container (a retried start) is fine.
  MustReserve("c1", {Req("tcp", "", q, 80)});
  EXPECT_EQ(Table().size(), 2u);
}

TEST_F(PortsTest, RefusesBadRequests) {
  int p = FreePort();
  ExpectRefused("c1", {Req("sctp", "", p, 80)}, StatusCode::kInvalidArgument,
                "invalid protocol \"sctp\"");
  ExpectRefused("c1", {Req("TCP", "", p, 80)}, StatusCode::kInvalidArgument,
                "TCP");
  ExpectRefused("c1", {Req("", "", p, 80)}, StatusCode::kInvalidArgument,
                "protocol");
  ExpectRefused("c1", {Req("tcp", "", 65536, 80)}, StatusCode::kInvalidArgument,
                "65536");
  ExpectRefused("c1", {Req("tcp", "", -1, 80)}, StatusCode::kInvalidArgument,
                "-1");
  ExpectRefused("c1", {Req("tcp", "", p, 0)}, StatusCode::kInvalidArgument,
                "invalid port mapping");
  ExpectRefused("c1", {Req("tcp", "", p, 65536)}, StatusCode::kInvalidArgument,
                "invalid port mapping");
  for (const char* ip :
       {"1.2.3", "256.0.0.1", "::1", "localhost", " 1.2.3.4", "127.000.0.1"}) {
    ExpectRefused("c1", {Req("tcp", ip, p, 80)}, StatusCode::kInvalidArgument,
                  ip);
  }
  // An address the host does not have.
  ExpectRefused("c1", {Req("tcp", "192.0.2.1", p, 80)},
                StatusCode::kInvalidArgument, "192.0.2.1");
  EXPECT_FALSE(fs::exists(TablePath()));
}

}  // namespace
}  // namespace mydocker::network
