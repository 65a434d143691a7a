// IPv4 addresses and prefixes as plain values, parsed strictly.
//
// Everything the IPAM stores or prints goes through these: an Ipv4 is a
// 32-bit number in host byte order (so "the next address" is value + 1), an
// Ipv4Prefix is an address and a prefix length. Parsing accepts only the
// canonical dotted quad ("192.168.0.1"): no leading zeros (inet_aton would
// read "010" as octal, Go's net.ParseIP refuses it), no whitespace, no
// shorthand ("10.1"), no hex.
//
//   ASSIGN_OR_RETURN(Ipv4Prefix subnet, ParseSubnet("192.168.0.0/24"));
//   ASSIGN_OR_RETURN(Ipv4 gw, ParseIpv4("192.168.0.1"));
//   if (!subnet.Contains(gw)) ...
//   std::string mac = MacToString(DockerMac(gw));  // "02:42:c0:a8:00:01"
#ifndef MYDOCKER_LIB_IPAM_ADDRESS_H_
#define MYDOCKER_LIB_IPAM_ADDRESS_H_

#include <netinet/in.h>

#include <array>
#include <compare>
#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::ipam {

// An IPv4 address. `value` is in host byte order: 192.168.0.1 is 0xc0a80001.
struct Ipv4 {
  uint32_t value = 0;

  friend auto operator<=>(const Ipv4&, const Ipv4&) = default;

  // The address in network byte order, for sockets and netlink.
  in_addr ToInAddr() const;
  static Ipv4 FromInAddr(in_addr addr);
};

// Parses a dotted quad: four decimal numbers 0-255 separated by dots, each
// without leading zeros ("0" itself is fine). Anything else, including
// surrounding whitespace, is InvalidArgument "invalid IP address: <text>".
absl::StatusOr<Ipv4> ParseIpv4(absl::string_view text);

// "192.168.0.1".
std::string ToString(Ipv4 addr);
std::ostream& operator<<(std::ostream& os, Ipv4 addr);

// An address with a prefix length, 0 <= len <= 32. As a subnet, `addr` is
// normally the network address (host bits zero, see ParseSubnet); as an
// interface address ("192.168.0.1/24") it is the host's own address.
struct Ipv4Prefix {
  Ipv4 addr;
  int len = 0;

  friend bool operator==(const Ipv4Prefix&, const Ipv4Prefix&) = default;

  // The netmask, 0xffffff00 for /24; 0 for /0.
  uint32_t Mask() const;
  // The first and last address of the prefix: 192.168.0.0 and
  // 192.168.0.255 for 192.168.0.7/24.
  Ipv4 Network() const;
  Ipv4 Broadcast() const;
  // Whether `a` lies in the prefix.
  bool Contains(Ipv4 a) const;
  // Whether every address of `other` lies in this prefix (a prefix contains
  // itself).
  bool Contains(const Ipv4Prefix& other) const;
  // Whether the two prefixes share at least one address. Two CIDR prefixes
  // either are disjoint or one contains the other.
  bool Overlaps(const Ipv4Prefix& other) const;
  // The number of addresses, 2^(32-len): 256 for /24, 2^32 for /0.
  uint64_t Size() const;
};

// Parses "a.b.c.d/n" (n decimal 0-32, no leading zeros) keeping the host
// bits: ParseCidr("192.168.0.1/24") is {192.168.0.1, 24}. For interface and
// gateway addresses. Garbage is InvalidArgument "invalid CIDR address: <text>".
absl::StatusOr<Ipv4Prefix> ParseCidr(absl::string_view text);

// Like ParseCidr, but a subnet must have its host bits clear, as Docker
// insists: "192.168.0.1/24" is InvalidArgument
// "invalid subnet 192.168.0.1/24: it should be 192.168.0.0/24".
absl::StatusOr<Ipv4Prefix> ParseSubnet(absl::string_view text);

// "192.168.0.0/24" (the address as stored, host bits and all).
std::string ToString(const Ipv4Prefix& prefix);
std::ostream& operator<<(std::ostream& os, const Ipv4Prefix& prefix);

// The MAC address Docker gives an endpoint with IPv4 address `addr`: the
// locally administered prefix 02:42 followed by the four address bytes, so
// 172.17.0.2 gets 02:42:ac:11:00:02.
std::array<uint8_t, 6> DockerMac(Ipv4 addr);

// "02:42:ac:11:00:02": lower-case hex, colon-separated.
std::string MacToString(const std::array<uint8_t, 6>& mac);

}  // namespace mydocker::ipam

#endif  // MYDOCKER_LIB_IPAM_ADDRESS_H_
