#include "lib/nat/rules.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "lib/base/status_macros.h"

namespace mydocker::nat {
namespace {

constexpr size_t kIdLength = 12;
constexpr size_t kMaxIfnameLength = 15;  // IFNAMSIZ - 1.

// Fixed text: rules_test pins it, apply_test runs it against the kernel.
constexpr char kSkeleton[] =
    R"(table ip mydocker {
  map tcp_any { type inet_service : ipv4_addr . inet_service; }
  map udp_any { type inet_service : ipv4_addr . inet_service; }
  map tcp_ip { type ipv4_addr . inet_service : ipv4_addr . inet_service; }
  map udp_ip { type ipv4_addr . inet_service : ipv4_addr . inet_service; }
  map post_nets { type ipv4_addr : verdict; flags interval; }
  map fwd_in { type ifname : verdict; }
  map fwd_out { type ifname : verdict; }
  set bridges { type ifname; }
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
)";

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '.' || c == '-';
}

// "x" with hostile bytes escaped, for messages.
std::string Quoted(absl::string_view s) {
  return absl::StrCat("\"", absl::CEscape(s), "\"");
}

// Parses a dotted quad ("172.18.0.2": four decimal octets, nothing else).
bool ParseQuad(absl::string_view s, in_addr* out) {
  if (s.empty() || s.size() > 15) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.') {
      return false;
    }
  }
  const std::string z(s);  // inet_pton wants it NUL-terminated.
  return inet_pton(AF_INET, z.c_str(), out) == 1;
}

std::string FormatQuad(const in_addr& a) {
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

struct ValidNetwork {
  std::string net_chain, fwdin_chain, fwdout_chain;
  std::string bridge;  // Quoted for nft: "br-0123456789ab".
  std::string subnet;  // Canonical: 172.18.0.0/16.
  bool internal = false;
};

absl::StatusOr<std::string> CanonicalSubnet(absl::string_view what,
                                            absl::string_view s) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": subnet ", Quoted(s), ": ", why));
  };
  size_t slash = s.find('/');
  if (slash == absl::string_view::npos) {
    return bad("want an IPv4 address/prefix length");
  }
  in_addr addr;
  if (!ParseQuad(s.substr(0, slash), &addr)) {
    return bad("not an IPv4 dotted quad");
  }
  absl::string_view len_text = s.substr(slash + 1);
  int len = 0;
  if (len_text.empty() || len_text.size() > 2 ||
      !absl::ascii_isdigit(static_cast<unsigned char>(len_text[0])) ||
      !absl::SimpleAtoi(len_text, &len) || len < 1 || len > 32) {
    return bad("prefix length must be 1 to 32");
  }
  const uint32_t mask = len == 32 ? ~0u : ~(~0u >> len);
  if ((ntohl(addr.s_addr) & ~mask) != 0) {
    return bad("host bits set (want the network address)");
  }
  return absl::StrCat(FormatQuad(addr), "/", len);
}

absl::StatusOr<ValidNetwork> ValidateNetwork(const NetworkRules& n) {
  if (n.id.size() < kIdLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "network ", Quoted(n.id), ": id shorter than ", kIdLength));
  }
  for (char c : n.id.substr(0, kIdLength)) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) &&
        (c < 'a' || c > 'f')) {
      return absl::InvalidArgumentError(
          absl::StrCat("network ", Quoted(n.id),
                       ": id must start with 12 lower-case hex digits"));
    }
  }
  const std::string what = absl::StrCat("network ", n.id.substr(0, kIdLength));
  if (!IsValidIfname(n.bridge)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": bridge ", Quoted(n.bridge), ": must be 1 to ",
                     kMaxIfnameLength, " of [A-Za-z0-9_.-]"));
  }
  ValidNetwork v;
  v.net_chain = NetChain(n);
  v.fwdin_chain = FwdInChain(n);
  v.fwdout_chain = FwdOutChain(n);
  v.bridge = absl::StrCat("\"", n.bridge, "\"");
  ASSIGN_OR_RETURN(v.subnet, CanonicalSubnet(what, n.subnet));
  v.internal = n.internal;
  return v;
}

// One port rule as map name, element key and value, in nft syntax.
struct ValidPort {
  std::string map;    // tcp_any, tcp_ip, udp_any, udp_ip.
  std::string key;    // 91, or 127.0.0.1 . 91
  std::string value;  // 172.18.0.2 . 80
};

absl::StatusOr<ValidPort> ValidatePort(const PortRule& p) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("port ", Quoted(PortRuleString(p)), ": ", why));
  };
  if (p.proto != "tcp" && p.proto != "udp") {
    return bad("protocol must be tcp or udp");
  }
  if (p.host_port < 1 || p.host_port > 65535 || p.container_port < 1 ||
      p.container_port > 65535) {
    return bad("ports must be 1 to 65535");
  }
  in_addr container;
  if (!ParseQuad(p.container_ip, &container) || container.s_addr == 0) {
    return bad("container address is not an IPv4 dotted quad");
  }
  ValidPort v;
  if (p.host_ip.empty() || p.host_ip == "0.0.0.0") {
    v.map = absl::StrCat(p.proto, "_any");
    v.key = absl::StrCat(p.host_port);
  } else {
    in_addr host;
    if (!ParseQuad(p.host_ip, &host)) {
      in6_addr v6;
      return bad(inet_pton(AF_INET6, p.host_ip.c_str(), &v6) == 1
                     ? "IPv6 host addresses are not supported"
                     : "host address is not an IPv4 dotted quad");
    }
    v.map = absl::StrCat(p.proto, "_ip");
    v.key = absl::StrCat(FormatQuad(host), " . ", p.host_port);
  }
  v.value = absl::StrCat(FormatQuad(container), " . ", p.container_port);
  return v;
}

absl::StatusOr<std::vector<ValidPort>> ValidatePorts(
    const std::vector<PortRule>& ports) {
  std::vector<ValidPort> out;
  std::set<std::tuple<std::string, std::string>> keys;
  for (const PortRule& p : ports) {
    ASSIGN_OR_RETURN(ValidPort v, ValidatePort(p));
    if (!keys.emplace(v.map, v.key).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "port ", Quoted(PortRuleString(p)), ": host port published twice"));
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::string AddElement(absl::string_view set, absl::string_view element) {
  return absl::StrCat("add element ", kTable, " ", set, " { ", element, " }\n");
}

std::string DeleteElement(absl::string_view set, absl::string_view key) {
  return absl::StrCat("delete element ", kTable, " ", set, " { ", key, " }\n");
}

// Adds the element if absent, then deletes it: removal that succeeds when
// the element is already gone, and fails (File exists) rather than delete a
// same-key element with another value.
std::string RemoveElement(absl::string_view set, absl::string_view key,
                          absl::string_view value) {
  return absl::StrCat(
      AddElement(set, value.empty() ? std::string(key)
                                    : absl::StrCat(key, " : ", value)),
      DeleteElement(set, key));
}

std::string AddRule(absl::string_view chain, absl::string_view rule) {
  return absl::StrCat("add rule ", kTable, " ", chain, " ", rule, "\n");
}

// `add chain` is a no-op for an existing chain; the flush makes the rules
// that follow replace, not extend, the old ones.
std::string ResetChain(absl::string_view chain) {
  return absl::StrCat("add chain ", kTable, " ", chain, "\n", "flush chain ",
                      kTable, " ", chain, "\n");
}

}  // namespace

std::string SkeletonScript() { return kSkeleton; }

std::string ForwardGuardScript() {
  return absl::StrCat(
      "add chain ", kTable, " ", kForwardGuardChain,
      " { type filter hook forward priority filter + 1; policy accept; }\n",
      "flush chain ", kTable, " ", kForwardGuardChain, "\n",
      "add rule ", kTable, " ", kForwardGuardChain,
      " iifname != @bridges oifname != @bridges drop\n");
}

bool IsValidIfname(absl::string_view name) {
  return !name.empty() && name.size() <= kMaxIfnameLength &&
         std::all_of(name.begin(), name.end(), IsNameChar);
}

std::string NetChain(const NetworkRules& n) {
  return absl::StrCat("net-", n.id.substr(0, kIdLength));
}
std::string FwdInChain(const NetworkRules& n) {
  return absl::StrCat("fwdin-", n.id.substr(0, kIdLength));
}
std::string FwdOutChain(const NetworkRules& n) {
  return absl::StrCat("fwdout-", n.id.substr(0, kIdLength));
}

absl::StatusOr<std::string> AddNetworkScript(const NetworkRules& n) {
  ASSIGN_OR_RETURN(ValidNetwork v, ValidateNetwork(n));
  const std::string& br = v.bridge;
  std::string s;
  // Masquerade: what the network sends out of another interface takes the
  // host's address; what comes back into the bridge through a DNAT (a
  // container reaching a published port of its own network) takes the
  // bridge's, so the reply returns through the host to be un-NATed.
  absl::StrAppend(&s, ResetChain(v.net_chain));
  if (!v.internal) {
    absl::StrAppend(&s, AddRule(v.net_chain, absl::StrCat("oifname != ", br,
                                                          " masquerade")));
  }
  absl::StrAppend(
      &s, AddRule(v.net_chain,
                  absl::StrCat("oifname ", br, " ct status dnat masquerade")));
  // From the network.
  absl::StrAppend(
      &s, ResetChain(v.fwdin_chain),
      AddRule(v.fwdin_chain, absl::StrCat("oifname ", br, " accept")),
      AddRule(v.fwdin_chain, "oifname @bridges drop"));
  if (v.internal) absl::StrAppend(&s, AddRule(v.fwdin_chain, "drop"));
  // Into the network.
  absl::StrAppend(&s, ResetChain(v.fwdout_chain));
  if (!v.internal) {
    absl::StrAppend(
        &s, AddRule(v.fwdout_chain, "ct state established,related accept"),
        AddRule(v.fwdout_chain, "ct status dnat accept"));
  }
  absl::StrAppend(&s, AddRule(v.fwdout_chain, "drop"));
  absl::StrAppend(
      &s, AddElement("bridges", br),
      AddElement("post_nets", absl::StrCat(v.subnet, " : jump ", v.net_chain)),
      AddElement("fwd_in", absl::StrCat(br, " : jump ", v.fwdin_chain)),
      AddElement("fwd_out", absl::StrCat(br, " : jump ", v.fwdout_chain)));
  return s;
}

absl::StatusOr<std::vector<std::string>> RemoveNetworkSteps(
    const NetworkRules& n) {
  ASSIGN_OR_RETURN(ValidNetwork v, ValidateNetwork(n));
  const std::string& br = v.bridge;
  std::vector<std::string> steps;
  // The elements' values name the chains, so the chains must exist for the
  // add-then-delete of the elements; the elements go before the chains,
  // which cannot be deleted while a map element jumps to them.
  steps.push_back(absl::StrCat(
      "add chain ", kTable, " ", v.net_chain, "\n", "add chain ", kTable, " ",
      v.fwdin_chain, "\n", "add chain ", kTable, " ", v.fwdout_chain, "\n"));
  steps.push_back(
      RemoveElement("post_nets", v.subnet, absl::StrCat("jump ", v.net_chain)));
  steps.push_back(
      RemoveElement("fwd_in", br, absl::StrCat("jump ", v.fwdin_chain)));
  steps.push_back(
      RemoveElement("fwd_out", br, absl::StrCat("jump ", v.fwdout_chain)));
  steps.push_back(RemoveElement("bridges", br, ""));
  for (const std::string& chain :
       {v.net_chain, v.fwdin_chain, v.fwdout_chain}) {
    steps.push_back(absl::StrCat("flush chain ", kTable, " ", chain, "\n",
                                 "delete chain ", kTable, " ", chain, "\n"));
  }
  return steps;
}

absl::StatusOr<std::string> RemoveNetworkScript(const NetworkRules& n) {
  ASSIGN_OR_RETURN(std::vector<std::string> steps, RemoveNetworkSteps(n));
  return absl::StrJoin(steps, "");
}

std::string PortRuleString(const PortRule& p) {
  return absl::StrCat(p.host_ip.empty() ? "0.0.0.0" : p.host_ip, ":",
                      p.host_port, "->", p.container_ip, ":", p.container_port,
                      "/", p.proto);
}

absl::StatusOr<std::string> AddPortsScript(const std::vector<PortRule>& ports) {
  ASSIGN_OR_RETURN(std::vector<ValidPort> valid, ValidatePorts(ports));
  std::string s;
  for (const ValidPort& v : valid) {
    absl::StrAppend(&s, AddElement(v.map, absl::StrCat(v.key, " : ", v.value)));
  }
  return s;
}

absl::StatusOr<std::vector<std::string>> RemovePortsSteps(
    const std::vector<PortRule>& ports) {
  ASSIGN_OR_RETURN(std::vector<ValidPort> valid, ValidatePorts(ports));
  std::vector<std::string> steps;
  for (const ValidPort& v : valid) {
    steps.push_back(RemoveElement(v.map, v.key, v.value));
  }
  return steps;
}

absl::StatusOr<std::vector<std::string>> DeletePortKeysSteps(
    const std::vector<PortRule>& ports) {
  ASSIGN_OR_RETURN(std::vector<ValidPort> valid, ValidatePorts(ports));
  std::vector<std::string> steps;
  for (const ValidPort& v : valid) steps.push_back(DeleteElement(v.map, v.key));
  return steps;
}

absl::StatusOr<std::string> RemovePortsScript(
    const std::vector<PortRule>& ports) {
  ASSIGN_OR_RETURN(std::vector<std::string> steps, RemovePortsSteps(ports));
  return absl::StrJoin(steps, "");
}

}  // namespace mydocker::nat
