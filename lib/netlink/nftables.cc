#include "lib/netlink/nftables.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

namespace mydocker::netlink {
namespace {

// A string attribute's payload without its NUL (nftables sends one).
absl::string_view AttrString(absl::string_view payload) {
  size_t nul = payload.find('\0');
  return nul == absl::string_view::npos ? payload : payload.substr(0, nul);
}

}  // namespace

Message ListChainsRequest(uint8_t family) {
  Message m(static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN), 0);
  nfgenmsg g{};
  g.nfgen_family = family;
  g.version = NFNETLINK_V0;
  g.res_id = htons(0);
  m.Append(g);
  return m;
}

absl::StatusOr<std::optional<std::vector<std::string>>> ListChains(
    Socket& sock, uint8_t family, absl::string_view table) {
  ASSIGN_OR_RETURN(std::vector<std::string> replies,
                   sock.Dump(ListChainsRequest(family),
                             absl::StrCat("list the chains of table ", table)));
  const uint16_t want_type =
      static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWCHAIN);
  std::vector<std::string> names;
  for (const std::string& reply : replies) {
    std::optional<MessageView> v = ParseMessage(reply);
    if (!v || v->type != want_type) continue;
    std::optional<nfgenmsg> h = ReadFixed<nfgenmsg>(v->payload);
    if (!h || h->nfgen_family != family) continue;
    std::optional<absl::string_view> in_table, name;
    for (const Attribute& a : AttributesAfter<nfgenmsg>(v->payload)) {
      if (a.type == NFTA_CHAIN_TABLE) in_table = AttrString(a.payload);
      if (a.type == NFTA_CHAIN_NAME) name = AttrString(a.payload);
    }
    if (in_table == table && name) names.emplace_back(*name);
  }
  if (names.empty()) return std::nullopt;
  return names;
}

}  // namespace mydocker::netlink
