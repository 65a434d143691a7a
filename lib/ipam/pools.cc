#include "lib/ipam/pools.h"

#include <cstdint>

#include "absl/status/status.h"

namespace mydocker::ipam {
namespace {

constexpr uint32_t Quad(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// Appends `base` cut into consecutive prefixes of length `size`.
void Split(const Ipv4Prefix& base, int size, std::vector<Ipv4Prefix>& out) {
  uint64_t step = uint64_t{1} << (32 - size);
  for (uint64_t off = 0; off < base.Size(); off += step) {
    out.push_back(Ipv4Prefix{
        Ipv4{base.Network().value + static_cast<uint32_t>(off)}, size});
  }
}

}  // namespace

std::vector<Ipv4Prefix> DefaultPools() {
  // libnetwork ipamutils' localScopeDefaultNetworks in Docker 20.10:
  // {base, size} pairs, each base split into prefixes of that size.
  struct ToSplit {
    Ipv4Prefix base;
    int size;
  };
  const ToSplit kBases[] = {
      {{Ipv4{Quad(172, 17, 0, 0)}, 16}, 16},
      {{Ipv4{Quad(172, 18, 0, 0)}, 16}, 16},
      {{Ipv4{Quad(172, 19, 0, 0)}, 16}, 16},
      {{Ipv4{Quad(172, 20, 0, 0)}, 14}, 16},
      {{Ipv4{Quad(172, 24, 0, 0)}, 14}, 16},
      {{Ipv4{Quad(172, 28, 0, 0)}, 14}, 16},
      {{Ipv4{Quad(192, 168, 0, 0)}, 16}, 20},
  };
  std::vector<Ipv4Prefix> pools;
  for (const ToSplit& b : kBases) Split(b.base, b.size, pools);
  return pools;
}

absl::StatusOr<Ipv4Prefix> SelectPool(const std::vector<Ipv4Prefix>& pools,
                                      const std::vector<Ipv4Prefix>& in_use) {
  for (const Ipv4Prefix& pool : pools) {
    bool free = true;
    for (const Ipv4Prefix& used : in_use) {
      if (pool.Overlaps(used)) {
        free = false;
        break;
      }
    }
    if (free) return pool;
  }
  return absl::ResourceExhaustedError(
      "could not find an available, non-overlapping IPv4 address pool among "
      "the defaults to assign to the network");
}

absl::StatusOr<Ipv4Prefix> SelectPool(const std::vector<Ipv4Prefix>& in_use) {
  return SelectPool(DefaultPools(), in_use);
}

Ipv4 DefaultGateway(const Ipv4Prefix& subnet) {
  if (subnet.len >= 32) return subnet.Network();
  return Ipv4{subnet.Network().value + 1};
}

}  // namespace mydocker::ipam
