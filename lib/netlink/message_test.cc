// Message encoding and reply parsing on bytes. The expected requests are the
// bytes iproute2 (6.1) sent for the same commands, captured with
// `strace -e trace=sendmsg -e write=3 ip ...`: the kernel takes what ip(8)
// sends, so matching it byte for byte leaves nothing to argue about.
#include "lib/netlink/message.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "lib/netlink/nftables.h"
#include "lib/netlink/rtnl.h"

namespace mydocker::netlink {
namespace {

// "38 00 00 00 ..." -> bytes.
std::string FromHex(absl::string_view hex) {
  std::string out;
  for (absl::string_view byte :
       absl::StrSplit(hex, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
    out.push_back(static_cast<char>(std::stoi(std::string(byte), nullptr, 16)));
  }
  return out;
}

// bytes -> "38 00 00 00 ...", 16 to a line, for readable diffs.
std::string ToHex(absl::string_view bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    absl::StrAppendFormat(&out, "%02x", static_cast<unsigned char>(bytes[i]));
    out += (i % 16 == 15) ? "\n" : " ";
  }
  return out;
}

in_addr Ip(const char* s) {
  in_addr a{};
  EXPECT_EQ(inet_pton(AF_INET, s, &a), 1) << s;
  return a;
}

// What Socket does before sending, with the sequence number of the capture.
std::string AsSent(Message m, uint32_t seq) {
  m.add_flags(NLM_F_REQUEST | NLM_F_ACK);
  m.set_seq(seq);
  return m.bytes();
}

constexpr uint32_t kCapturedSeq = 0x6b0d8679;

TEST(MessageTest, BridgeCreationMatchesIproute2) {
  // ip link add br0 type bridge
  const std::string want = FromHex(R"(
    38 00 00 00 10 00 05 06 79 86 0d 6b 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    08 00 03 00 62 72 30 00 10 00 12 00 0a 00 01 00
    62 72 69 64 67 65 00 00)");
  EXPECT_EQ(ToHex(AsSent(NewBridgeMessage("br0", 0), kCapturedSeq)),
            ToHex(want));
}

TEST(MessageTest, ChainDumpMatchesNft) {
  // nft list chains ip: its NFT_MSG_GETCHAIN dump, but for family ip where
  // nft asks for every family (AF_UNSPEC) and filters after.
  const std::string want = FromHex(R"(
    14 00 00 00 04 0a 01 03 00 00 00 00 00 00 00 00
    02 00 00 00)");
  Message m = ListChainsRequest(NFPROTO_IPV4);
  m.add_flags(NLM_F_REQUEST | NLM_F_DUMP);
  EXPECT_EQ(ToHex(m.bytes()), ToHex(want));
}

TEST(MessageTest, VethCreationWithNestedPeerMatchesIproute2) {
  // ip link add v0 type veth peer name eth0 address 02:42:ac:11:00:02
  const std::string want = FromHex(R"(
    64 00 00 00 10 00 05 06 79 86 0d 6b 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    07 00 03 00 76 30 00 00 3c 00 12 00 08 00 01 00
    76 65 74 68 30 00 02 00 2c 00 01 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 0a 00 01 00
    02 42 ac 11 00 02 00 00 09 00 03 00 65 74 68 30
    00 00 00 00)");
  VethOptions o;
  o.name = "v0";
  o.peer_name = "eth0";
  o.peer_mac = MacAddress{0x02, 0x42, 0xac, 0x11, 0x00, 0x02};
  EXPECT_EQ(ToHex(AsSent(NewVethMessage(o), kCapturedSeq)), ToHex(want));
}

TEST(MessageTest, AddressAddMatchesIproute2) {
  // ip addr add 10.1.2.3/24 brd + dev br0   (br0 had index 2)
  const std::string want = FromHex(R"(
    30 00 00 00 14 00 05 06 79 86 0d 6b 00 00 00 00
    02 18 00 00 02 00 00 00 08 00 02 00 0a 01 02 03
    08 00 01 00 0a 01 02 03 08 00 04 00 0a 01 02 ff)");
  EXPECT_EQ(
      ToHex(AsSent(NewAddressMessage(2, Ip("10.1.2.3"), 24), kCapturedSeq)),
      ToHex(want));
}

TEST(MessageTest, AddressBroadcastFollowsPrefix) {
  auto broadcast = [](const char* ip, int len) -> std::string {
    Message m = NewAddressMessage(1, Ip(ip), len);
    auto v = ParseMessage(m.bytes());
    auto brd = AttributesAfter<ifaddrmsg>(v->payload).Find(IFA_BROADCAST);
    if (!brd) return "none";
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, brd->data(), buf, sizeof(buf));
    return buf;
  };
  EXPECT_EQ(broadcast("172.17.0.1", 16), "172.17.255.255");
  EXPECT_EQ(broadcast("10.0.0.5", 30), "10.0.0.7");
  EXPECT_EQ(broadcast("10.0.0.5", 8), "10.255.255.255");
  EXPECT_EQ(broadcast("10.0.0.5", 0), "255.255.255.255");
  EXPECT_EQ(broadcast("10.0.0.5", 31), "none");
  EXPECT_EQ(broadcast("10.0.0.5", 32), "none");
}

TEST(MessageTest, DefaultRouteMatchesIproute2) {
  // ip route add default via 10.1.2.1 dev br0 proto boot   (index 2)
  const std::string want = FromHex(R"(
    2c 00 00 00 18 00 05 06 79 86 0d 6b 00 00 00 00
    02 00 00 00 fe 03 00 01 00 00 00 00 08 00 05 00
    0a 01 02 01 08 00 04 00 02 00 00 00)");
  EXPECT_EQ(
      ToHex(AsSent(NewDefaultRouteMessage(Ip("10.1.2.1"), 2), kCapturedSeq)),
      ToHex(want));
}

TEST(MessageTest, HairpinMatchesBridgeTool) {
  // bridge link set dev v0 hairpin on   (v0 had index 4)
  const std::string want = FromHex(R"(
    2c 00 00 00 13 00 05 00 7a 86 0d 6b 00 00 00 00
    07 00 00 00 04 00 00 00 00 00 00 00 00 00 00 00
    0c 00 0c 80 05 00 04 00 01 00 00 00)");
  EXPECT_EQ(ToHex(AsSent(BridgePortHairpinMessage(4, true), 0x6b0d867a)),
            ToHex(want));
}

TEST(MessageTest, VethWithEverythingNestsConsistently) {
  VethOptions o;
  o.name = "veth1234567";
  o.peer_name = "eth0";
  o.peer_netns_fd = 7;
  o.mtu = 1450;
  o.master_index = 3;
  o.peer_mac = MacAddress{2, 0x42, 0xac, 0x11, 0, 9};
  Message m = NewVethMessage(o);
  ASSERT_TRUE(m.ok());
  auto v = ParseMessage(m.bytes());
  ASSERT_TRUE(v);
  EXPECT_EQ(v->bytes.size(), m.bytes().size());  // nlmsg_len is the size.
  EXPECT_EQ(m.bytes().size() % 4, 0u);

  Attributes top = AttributesAfter<ifinfomsg>(v->payload);
  EXPECT_EQ(AttributeString(*top.Find(IFLA_IFNAME)), "veth1234567");
  EXPECT_EQ(AttributeU32(*top.Find(IFLA_MTU)), 1450u);
  EXPECT_EQ(AttributeU32(*top.Find(IFLA_MASTER)), 3u);
  EXPECT_FALSE(top.Find(IFLA_NET_NS_FD));  // Only the peer moves.

  auto info = top.Find(IFLA_LINKINFO);
  ASSERT_TRUE(info);
  // The nest ends exactly at the end of the message: it is the last
  // attribute, and its length covers its members' padding.
  EXPECT_EQ(info->data() + info->size(), m.bytes().data() + m.bytes().size());
  EXPECT_EQ(AttributeString(*Attributes(*info).Find(IFLA_INFO_KIND)), "veth");
  auto data = Attributes(*info).Find(IFLA_INFO_DATA);
  ASSERT_TRUE(data);
  auto peer = Attributes(*data).Find(VETH_INFO_PEER);
  ASSERT_TRUE(peer);
  EXPECT_EQ(peer->size() % 4, 0u);
  auto peer_ifi = ReadFixed<ifinfomsg>(*peer);
  ASSERT_TRUE(peer_ifi);
  EXPECT_EQ(peer_ifi->ifi_index, 0);
  Attributes peer_attrs = AttributesAfter<ifinfomsg>(*peer);
  EXPECT_EQ(AttributeString(*peer_attrs.Find(IFLA_IFNAME)), "eth0");
  EXPECT_EQ(AttributeU32(*peer_attrs.Find(IFLA_NET_NS_FD)), 7u);
  EXPECT_EQ(AttributeU32(*peer_attrs.Find(IFLA_MTU)), 1450u);
  EXPECT_EQ(*peer_attrs.Find(IFLA_ADDRESS),
            absl::string_view("\x02\x42\xac\x11\x00\x09", 6));
}

TEST(MessageTest, AttributesArePaddedButLengthsAreNot) {
  Message m(RTM_NEWLINK, 0);
  EXPECT_EQ(m.bytes().size(), 16u);
  m.Attr(1, "a", 1);
  m.Attr(2, "bb", 2);
  m.Attr(3, "ccc", 3);
  m.Attr(4, "dddd", 4);
  m.Attr(5, "eeeee", 5);
  m.Attr(6, nullptr, 0);
  m.AttrU8(7, 0xab);
  EXPECT_EQ(ToHex(m.bytes().substr(16)), ToHex(FromHex(R"(
    05 00 01 00 61 00 00 00 06 00 02 00 62 62 00 00
    07 00 03 00 63 63 63 00 08 00 04 00 64 64 64 64
    09 00 05 00 65 65 65 65 65 00 00 00 04 00 06 00
    05 00 07 00 ab 00 00 00)")));
  auto v = ParseMessage(m.bytes());
  ASSERT_TRUE(v);
  EXPECT_EQ(v->bytes.size(), m.bytes().size());
  std::vector<std::string> payloads;
  for (const Attribute& a : Attributes(v->payload)) {
    payloads.push_back(std::string(a.payload));
  }
  EXPECT_EQ(payloads, (std::vector<std::string>{"a", "bb", "ccc", "dddd",
                                                "eeeee", "", "\xab"}));
}

TEST(MessageTest, NestedNestsCoverTheirPaddedMembers) {
  Message m(RTM_NEWLINK, 0);
  size_t outer = m.BeginNested(10);
  size_t inner = m.BeginNested(11 | NLA_F_NESTED);
  m.Attr(12, "x", 1);
  m.EndNested(inner);
  m.EndNested(outer);
  m.Attr(13, "y", 1);
  // outer: 4 + inner(4 + 8) = 16; inner = 12; x: rta_len 5 padded to 8.
  EXPECT_EQ(ToHex(m.bytes().substr(16)), ToHex(FromHex(R"(
    10 00 0a 00 0c 00 0b 80 05 00 0c 00 78 00 00 00
    05 00 0d 00 79 00 00 00)")));
  // Reading masks NLA_F_NESTED off the type.
  const std::string attrs = m.bytes().substr(16);
  auto outer_payload = Attributes(attrs).Find(10);
  ASSERT_TRUE(outer_payload);
  EXPECT_TRUE(Attributes(*outer_payload).Find(11));
}

TEST(MessageTest, TooLargeAttributeMakesMessageNotOk) {
  Message m(RTM_NEWLINK, 0);
  std::string big(70000, 'x');
  m.Attr(1, big.data(), big.size());
  EXPECT_FALSE(m.ok());

  Message n(RTM_NEWLINK, 0);
  size_t nest = n.BeginNested(1);
  std::string chunk(40000, 'x');
  n.Attr(2, chunk.data(), chunk.size());
  n.Attr(2, chunk.data(), chunk.size());
  EXPECT_TRUE(n.ok());
  n.EndNested(nest);
  EXPECT_FALSE(n.ok());
}

TEST(MessageTest, AttributeWalkStopsAtTruncation) {
  auto walk = [](absl::string_view bytes) {
    std::vector<std::pair<int, std::string>> out;
    for (const Attribute& a : Attributes(bytes)) {
      out.emplace_back(a.type, std::string(a.payload));
      // Never outside the buffer.
      EXPECT_GE(a.payload.data(), bytes.data());
      EXPECT_LE(a.payload.data() + a.payload.size(),
                bytes.data() + bytes.size());
    }
    return out;
  };
  using V = std::vector<std::pair<int, std::string>>;
  EXPECT_EQ(walk(""), V{});
  EXPECT_EQ(walk(FromHex("05 00")), V{});  // Header cut short.
  EXPECT_EQ(walk(FromHex("05 00 01")), V{});
  EXPECT_EQ(walk(FromHex("02 00 01 00 61 62")), V{});  // rta_len < header.
  EXPECT_EQ(walk(FromHex("00 00 01 00 61 62")), V{});  // rta_len 0: no loop.
  // The second one claims more than there is: only the first comes out.
  EXPECT_EQ(walk(FromHex("05 00 01 00 61 00 00 00 ff ff 02 00 62 62")),
            (V{{1, "a"}}));
  // The last attribute's padding is missing: still whole, still returned.
  EXPECT_EQ(walk(FromHex("05 00 01 00 61 00 00 00 05 00 02 00 62")),
            (V{{1, "a"}, {2, "b"}}));
  // Padding cut in the middle of a walk: the next header is taken from
  // where the padding would end, and is short.
  EXPECT_EQ(walk(FromHex("05 00 01 00 61 00")), (V{{1, "a"}}));
  // A full-size attribute with an empty payload, then a flagged type.
  EXPECT_EQ(walk(FromHex("04 00 07 00 05 00 03 c0 7a")),
            (V{{7, ""}, {3, "z"}}));
}

TEST(MessageTest, MessageWalkStopsAtTruncation) {
  Message a(RTM_NEWLINK, 0);
  a.Attr(1, "abc", 3);
  Message b(RTM_DELLINK, 0);
  std::string both = a.bytes() + b.bytes();
  std::vector<uint16_t> types;
  for (const MessageView& v : Messages(both)) types.push_back(v.type);
  EXPECT_EQ(types, (std::vector<uint16_t>{RTM_NEWLINK, RTM_DELLINK}));

  types.clear();
  const std::string cut = both.substr(0, both.size() - 1);
  for (const MessageView& v : Messages(cut)) {
    types.push_back(v.type);
  }
  EXPECT_EQ(types, (std::vector<uint16_t>{RTM_NEWLINK}));

  // nlmsg_len smaller than the header: nothing, and no endless loop.
  std::string bad = b.bytes();
  bad[0] = 4;
  EXPECT_EQ(Messages(bad).begin(), Messages(bad).end());
  EXPECT_FALSE(ParseMessage(bad));
  EXPECT_FALSE(ParseMessage(b.bytes().substr(0, 15)));
}

TEST(MessageTest, ReadFixedNeedsTheWholeHeader) {
  std::string s(sizeof(ifinfomsg) - 1, '\0');
  EXPECT_FALSE(ReadFixed<ifinfomsg>(s));
  EXPECT_EQ(AttributesAfter<ifinfomsg>(s).begin(),
            AttributesAfter<ifinfomsg>(s).end());
  EXPECT_EQ(AttributeU32("abc"), std::nullopt);
  EXPECT_EQ(AttributeU8(""), std::nullopt);
  EXPECT_EQ(AttributeString(absl::string_view("eth0\0junk", 9)), "eth0");
  EXPECT_EQ(AttributeString("eth0"), "eth0");
}

// An NLMSG_ERROR reply as the kernel builds it for `request`: the nlmsgerr
// (error and the request's header), the rest of the request if `echo`
// (no NETLINK_CAP_ACK), then the extended ack text if any.
std::string ErrorReply(int error, const Message& request, uint16_t flags = 0,
                       absl::string_view extack = {}, bool echo = false) {
  nlmsgerr e{};
  e.error = error;
  std::memcpy(&e.msg, request.bytes().data(), sizeof(e.msg));
  std::string body(reinterpret_cast<const char*>(&e), sizeof(e));
  if (echo) body += request.bytes().substr(sizeof(nlmsghdr));
  if (!extack.empty()) {
    Message tlvs(0, 0);
    std::string text(extack);
    tlvs.Attr(NLMSGERR_ATTR_MSG, text.c_str(), text.size() + 1);
    body += tlvs.bytes().substr(sizeof(nlmsghdr));
  }
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(sizeof(h) + body.size());
  h.nlmsg_type = NLMSG_ERROR;
  h.nlmsg_flags = flags;
  return std::string(reinterpret_cast<const char*>(&h), sizeof(h)) + body;
}

TEST(MessageTest, ErrorReplyCarriesErrnoAndNamesOperation) {
  Message req = NewBridgeMessage("veth1234", 0);
  absl::Status s =
      ErrorFromReply(ErrorReply(-EEXIST, req), "create veth veth1234");
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "netlink: create veth veth1234: File exists");
  EXPECT_EQ(KernelErrno(s), EEXIST);
}

TEST(MessageTest, ErrnoCodes) {
  Message req = NewBridgeMessage("x", 0);
  auto code = [&](int err) {
    return ErrorFromReply(ErrorReply(-err, req), "op").code();
  };
  EXPECT_EQ(code(EEXIST), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(code(ENODEV), absl::StatusCode::kNotFound);
  EXPECT_EQ(code(ENOENT), absl::StatusCode::kNotFound);
  EXPECT_EQ(code(EPERM), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(code(EINVAL), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(KernelErrno(ErrorFromReply(ErrorReply(-EBUSY, req), "op")), EBUSY);
  EXPECT_EQ(KernelErrno(absl::NotFoundError("not from the kernel")), 0);
}

TEST(MessageTest, AckIsOk) {
  Message req = NewBridgeMessage("x", 0);
  EXPECT_TRUE(ErrorFromReply(ErrorReply(0, req), "op").ok());
  Message other(RTM_NEWLINK, 0);
  EXPECT_TRUE(ErrorFromReply(other.bytes(), "op").ok());
}

TEST(MessageTest, ExtendedAckTextIsAppended) {
  Message req = NewBridgeMessage("br0", 0);
  // NETLINK_CAP_ACK: only the request's header is echoed.
  absl::Status capped =
      ErrorFromReply(ErrorReply(-EOPNOTSUPP, req, NLM_F_CAPPED | NLM_F_ACK_TLVS,
                                "Unknown device type"),
                     "create link br0");
  EXPECT_EQ(capped.message(),
            "netlink: create link br0: Operation not supported "
            "(Unknown device type)");
  EXPECT_EQ(KernelErrno(capped), EOPNOTSUPP);
  // Without it, the whole request comes back before the TLVs.
  absl::Status echoed = ErrorFromReply(
      ErrorReply(-EINVAL, req, NLM_F_ACK_TLVS, "bad thing", /*echo=*/true),
      "create link br0");
  EXPECT_EQ(echoed.message(),
            "netlink: create link br0: Invalid argument (bad thing)");
  // TLVs announced but absent: just the errno.
  absl::Status none =
      ErrorFromReply(ErrorReply(-EINVAL, req, NLM_F_CAPPED | NLM_F_ACK_TLVS),
                     "create link br0");
  EXPECT_EQ(none.message(), "netlink: create link br0: Invalid argument");
}

TEST(MessageTest, MalformedErrorReplyIsDataLoss) {
  Message req = NewBridgeMessage("x", 0);
  std::string reply = ErrorReply(-EEXIST, req);
  // Cut inside the nlmsgerr, with nlmsg_len agreeing.
  std::string cut = reply.substr(0, 18);
  uint32_t len = 18;
  std::memcpy(cut.data(), &len, 4);
  EXPECT_EQ(ErrorFromReply(cut, "op").code(), absl::StatusCode::kDataLoss);
  // nlmsg_len beyond the bytes.
  EXPECT_EQ(ErrorFromReply(reply.substr(0, reply.size() - 4), "op").code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ErrorFromReply(ErrorReply(5, req), "op").code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ErrorFromReply(ErrorReply(-100000, req), "op").code(),
            absl::StatusCode::kDataLoss);
}

TEST(MessageTest, ParseLinkReadsTheKernelsAnswer) {
  // An RTM_NEWLINK as the kernel answers RTM_GETLINK, reduced to what we
  // read, plus an attribute we do not know.
  Message m(RTM_NEWLINK, 0);
  ifinfomsg ifi{};
  ifi.ifi_index = 9;
  ifi.ifi_flags = 0x1003;
  m.Append(ifi);
  m.AttrString(IFLA_IFNAME, "veth0");
  m.AttrU32(IFLA_MTU, 1450);
  m.AttrU32(IFLA_MASTER, 4);
  const uint8_t mac[6] = {2, 0x42, 0xac, 0x11, 0, 2};
  m.Attr(IFLA_ADDRESS, mac, 6);
  m.AttrU32(999, 1);
  size_t info = m.BeginNested(IFLA_LINKINFO);
  m.AttrString(IFLA_INFO_KIND, "veth");
  m.EndNested(info);
  absl::StatusOr<LinkInfo> link = ParseLink(m.bytes());
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->index, 9);
  EXPECT_EQ(link->name, "veth0");
  EXPECT_EQ(link->flags, 0x1003u);
  EXPECT_EQ(link->mtu, 1450);
  EXPECT_EQ(link->master, 4);
  EXPECT_EQ(link->mac, (MacAddress{2, 0x42, 0xac, 0x11, 0, 2}));
  EXPECT_EQ(link->kind, "veth");

  // Truncated anywhere: never a crash; a whole header parses to fewer
  // fields, a cut header is refused.
  for (size_t n = 0; n < m.bytes().size(); ++n) {
    std::string cut = m.bytes().substr(0, n);
    if (n >= 16) {
      uint32_t len = static_cast<uint32_t>(n);
      std::memcpy(cut.data(), &len, 4);
    }
    absl::StatusOr<LinkInfo> partial = ParseLink(cut);
    EXPECT_EQ(partial.ok(), n >= 16 + sizeof(ifinfomsg)) << n;
  }
  EXPECT_FALSE(ParseLink(Message(RTM_NEWADDR, 0).bytes()).ok());
}

TEST(MessageTest, LinkNames) {
  EXPECT_TRUE(ValidateLinkName("eth0").ok());
  EXPECT_TRUE(ValidateLinkName("veth1234567890a").ok());  // 15 bytes.
  EXPECT_EQ(ValidateLinkName("veth1234567890ab").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateLinkName("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateLinkName("..").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateLinkName("a/b").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateLinkName("a b").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateLinkName(absl::string_view("a\0b", 3)).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mydocker::netlink
