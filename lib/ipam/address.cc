#include "lib/ipam/address.h"

#include <arpa/inet.h>

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace mydocker::ipam {
namespace {

// A decimal number of at most `max_digits` digits with no sign, no
// whitespace and no leading zero (other than "0" itself).
std::optional<uint32_t> ParseDecimal(absl::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  uint32_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  return n;
}

std::optional<Ipv4> ParseDottedQuad(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() != 4) return std::nullopt;
  uint32_t value = 0;
  for (absl::string_view part : parts) {
    std::optional<uint32_t> octet = ParseDecimal(part, 3);
    if (!octet || *octet > 255) return std::nullopt;
    value = (value << 8) | *octet;
  }
  return Ipv4{value};
}

uint32_t MaskOf(int len) {
  // A shift by 32 is undefined, so /0 is its own case.
  return len <= 0 ? 0 : ~uint32_t{0} << (32 - len);
}

}  // namespace

in_addr Ipv4::ToInAddr() const {
  in_addr a;
  a.s_addr = htonl(value);
  return a;
}

Ipv4 Ipv4::FromInAddr(in_addr addr) { return Ipv4{ntohl(addr.s_addr)}; }

absl::StatusOr<Ipv4> ParseIpv4(absl::string_view text) {
  std::optional<Ipv4> addr = ParseDottedQuad(text);
  if (!addr) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid IP address: ", text));
  }
  return *addr;
}

std::string ToString(Ipv4 addr) {
  uint32_t v = addr.value;
  return absl::StrCat(v >> 24, ".", (v >> 16) & 0xff, ".", (v >> 8) & 0xff, ".",
                      v & 0xff);
}

std::ostream& operator<<(std::ostream& os, Ipv4 addr) {
  return os << ToString(addr);
}

uint32_t Ipv4Prefix::Mask() const { return MaskOf(len); }

Ipv4 Ipv4Prefix::Network() const { return Ipv4{addr.value & Mask()}; }

Ipv4 Ipv4Prefix::Broadcast() const { return Ipv4{addr.value | ~Mask()}; }

bool Ipv4Prefix::Contains(Ipv4 a) const {
  return (a.value & Mask()) == Network().value;
}

bool Ipv4Prefix::Contains(const Ipv4Prefix& other) const {
  return other.len >= len && Contains(other.Network());
}

bool Ipv4Prefix::Overlaps(const Ipv4Prefix& other) const {
  return Contains(other.Network()) || other.Contains(Network());
}

uint64_t Ipv4Prefix::Size() const { return uint64_t{1} << (32 - len); }

absl::StatusOr<Ipv4Prefix> ParseCidr(absl::string_view text) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid CIDR address: ", text));
  };
  size_t slash = text.find('/');
  if (slash == absl::string_view::npos) return invalid();
  std::optional<Ipv4> addr = ParseDottedQuad(text.substr(0, slash));
  std::optional<uint32_t> len = ParseDecimal(text.substr(slash + 1), 2);
  if (!addr || !len || *len > 32) return invalid();
  return Ipv4Prefix{*addr, static_cast<int>(*len)};
}

absl::StatusOr<Ipv4Prefix> ParseSubnet(absl::string_view text) {
  absl::StatusOr<Ipv4Prefix> prefix = ParseCidr(text);
  if (!prefix.ok()) return prefix.status();
  if (prefix->addr != prefix->Network()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid subnet ", text, ": it should be ",
                     ToString(Ipv4Prefix{prefix->Network(), prefix->len})));
  }
  return prefix;
}

std::string ToString(const Ipv4Prefix& prefix) {
  return absl::StrCat(ToString(prefix.addr), "/", prefix.len);
}

std::ostream& operator<<(std::ostream& os, const Ipv4Prefix& prefix) {
  return os << ToString(prefix);
}

std::array<uint8_t, 6> DockerMac(Ipv4 addr) {
  uint32_t v = addr.value;
  return {0x02,
          0x42,
          static_cast<uint8_t>(v >> 24),
          static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 8),
          static_cast<uint8_t>(v)};
}

std::string MacToString(const std::array<uint8_t, 6>& mac) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
                         mac[2], mac[3], mac[4], mac[5]);
}

}  // namespace mydocker::ipam
