#include "lib/ipam/allocator.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/file_lock.h"
#include "lib/base/status_macros.h"
#include "nlohmann/json.hpp"

namespace mydocker::ipam {
namespace {

// An IPAM file is a few hundred bytes per allocation; 16 MiB is far more
// than a /16 full of containers and keeps a runaway file from being read.
constexpr size_t kMaxFileSize = 16 << 20;

// The whole content of an IPAM file.
struct State {
  PoolConfig config;
  std::optional<Ipv4> last;  // The last address handed out dynamically.
  std::map<Ipv4, std::string> allocations;
};

// Whether `a` is the network or broadcast address of `subnet`, which no
// endpoint may have. /31 (RFC 3021) and /32 have neither.
bool IsSubnetReserved(const Ipv4Prefix& subnet, Ipv4 a) {
  return subnet.len <= 30 && (a == subnet.Network() || a == subnet.Broadcast());
}

// The first and last address dynamic allocation may hand out, or nullopt
// if there are none.
std::optional<std::pair<uint32_t, uint32_t>> DynamicRange(
    const PoolConfig& config) {
  const Ipv4Prefix& subnet = config.subnet;
  uint32_t lo = subnet.Network().value;
  uint32_t hi = subnet.Broadcast().value;
  if (subnet.len <= 30) {
    ++lo;
    --hi;
  }
  if (config.ip_range) {
    lo = std::max(lo, config.ip_range->Network().value);
    hi = std::min(hi, config.ip_range->Broadcast().value);
  }
  if (lo > hi) return std::nullopt;
  return std::make_pair(lo, hi);
}

absl::Status ValidateOwner(const std::string& owner) {
  bool printable = std::all_of(owner.begin(), owner.end(),
                               [](char c) { return c >= 0x20 && c < 0x7f; });
  if (owner.empty() || !printable) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid IPAM owner \"", owner,
                     "\": must be non-empty printable ASCII"));
  }
  return absl::OkStatus();
}

absl::Status NotFound(const std::string& path) {
  return absl::NotFoundError(
      absl::StrCat("network IPAM file ", path, ": no such file"));
}

absl::Status Corrupt(const std::string& path, absl::string_view why) {
  return absl::DataLossError(
      absl::StrCat("network IPAM file ", path, " is corrupt: ", why));
}

std::string Encode(const State& state) {
  // ordered_json keeps the fields in the order a reader expects.
  nlohmann::ordered_json j;
  j["Subnet"] = ToString(state.config.subnet);
  j["IPRange"] = state.config.ip_range ? ToString(*state.config.ip_range) : "";
  j["Gateway"] = ToString(state.config.gateway);
  j["Last"] = state.last ? ToString(*state.last) : "";
  nlohmann::ordered_json allocations = nlohmann::ordered_json::object();
  for (const auto& [addr, owner] : state.allocations) {
    allocations[ToString(addr)] = owner;
  }
  j["Allocations"] = std::move(allocations);
  // Owners are checked to be ASCII and strings read back from a file are
  // valid UTF-8, so `replace` never triggers; it only rules out the throw.
  return j.dump(2, ' ', false,
                nlohmann::ordered_json::error_handler_t::replace) +
         "\n";
}

absl::StatusOr<State> Decode(const std::string& path, const std::string& data) {
  nlohmann::json j = nlohmann::json::parse(data, nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded()) return Corrupt(path, "not valid JSON");
  if (!j.is_object()) return Corrupt(path, "not a JSON object");

  auto string_field = [&](const char* name) -> absl::StatusOr<std::string> {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) {
      return Corrupt(path, absl::StrCat("field ", name, " is not a string"));
    }
    return it->get<std::string>();
  };
  State state;
  {
    ASSIGN_OR_RETURN(std::string s, string_field("Subnet"));
    absl::StatusOr<Ipv4Prefix> p = ParseSubnet(s);
    if (!p.ok()) return Corrupt(path, p.status().message());
    state.config.subnet = *p;
  }
  {
    ASSIGN_OR_RETURN(std::string s, string_field("IPRange"));
    if (!s.empty()) {
      absl::StatusOr<Ipv4Prefix> p = ParseSubnet(s);
      if (!p.ok()) return Corrupt(path, p.status().message());
      state.config.ip_range = *p;
    }
  }
  {
    ASSIGN_OR_RETURN(std::string s, string_field("Gateway"));
    absl::StatusOr<Ipv4> a = ParseIpv4(s);
    if (!a.ok()) return Corrupt(path, a.status().message());
    state.config.gateway = *a;
  }
  if (absl::Status s = ValidatePoolConfig(state.config); !s.ok()) {
    return Corrupt(path, s.message());
  }
  {
    ASSIGN_OR_RETURN(std::string s, string_field("Last"));
    if (!s.empty()) {
      absl::StatusOr<Ipv4> a = ParseIpv4(s);
      if (!a.ok()) return Corrupt(path, a.status().message());
      state.last = *a;
    }
  }
  auto it = j.find("Allocations");
  if (it == j.end() || !it->is_object()) {
    return Corrupt(path, "field Allocations is not an object");
  }
  for (const auto& [key, value] : it->items()) {
    absl::StatusOr<Ipv4> a = ParseIpv4(key);
    if (!a.ok()) return Corrupt(path, a.status().message());
    if (!state.config.subnet.Contains(*a)) {
      return Corrupt(path, absl::StrCat("allocation ", key, " is outside ",
                                        ToString(state.config.subnet)));
    }
    if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
      return Corrupt(path,
                     absl::StrCat("allocation ", key, " has no owner string"));
    }
    state.allocations[*a] = value.get<std::string>();
  }
  return state;
}

absl::StatusOr<State> Load(const std::string& path) {
  absl::StatusOr<std::string> data = base::ReadFile(path, kMaxFileSize);
  if (absl::IsNotFound(data.status())) return NotFound(path);
  if (!data.ok()) return data.status();
  return Decode(path, *data);
}

// The pool's creation is made durable; allocations need not be: a crash
// that loses the page cache (power, reboot) also ends every container that
// held an address, and their records are repaired as stale, so at worst a
// released address comes back as held until its container is recovered.
// Not fsyncing saves two flushes per container start and stop.
absl::Status Save(const std::string& path, const State& state,
                  base::Durability durability = base::Durability::kAtomicOnly) {
  return base::WriteFileAtomic(path, Encode(state), 0644, durability);
}

// The lock that serialises every change to the file at `path`.
absl::StatusOr<base::FileLock> Lock(const std::string& path) {
  absl::StatusOr<base::FileLock> lock =
      base::FileLock::Acquire(path + ".lock", base::FileLock::kExclusive);
  // The lock file sits next to the state file: no directory, no state.
  if (absl::IsNotFound(lock.status())) return NotFound(path);
  return lock;
}

std::optional<Ipv4> HeldBy(const State& state, const std::string& owner) {
  for (const auto& [addr, o] : state.allocations) {
    if (o == owner) return addr;
  }
  return std::nullopt;
}

}  // namespace

absl::Status ValidatePoolConfig(const PoolConfig& config) {
  const Ipv4Prefix& subnet = config.subnet;
  if (subnet.len < 0 || subnet.len > 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid subnet ", ToString(subnet),
                     ": prefix length must be 0 to 32"));
  }
  if (subnet.addr != subnet.Network()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid subnet ", ToString(subnet), ": it should be ",
                     ToString(Ipv4Prefix{subnet.Network(), subnet.len})));
  }
  if (!subnet.Contains(config.gateway)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no matching subnet for gateway ", ToString(config.gateway)));
  }
  if (IsSubnetReserved(subnet, config.gateway)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid gateway ", ToString(config.gateway), ": it is the ",
        config.gateway == subnet.Network() ? "network" : "broadcast",
        " address of subnet ", ToString(subnet)));
  }
  if (config.ip_range) {
    const Ipv4Prefix& range = *config.ip_range;
    if (range.len < 0 || range.len > 32) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid ip-range ", ToString(range),
                       ": prefix length must be 0 to 32"));
    }
    if (range.addr != range.Network()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid ip-range ", ToString(range), ": it should be ",
                       ToString(Ipv4Prefix{range.Network(), range.len})));
    }
    if (!subnet.Contains(range)) {
      return absl::InvalidArgumentError(
          absl::StrCat("no matching subnet for range ", ToString(range)));
    }
  }
  return absl::OkStatus();
}

Allocator::Allocator(std::string path, std::string network_name,
                     std::string network_id)
    : path_(std::move(path)),
      network_name_(std::move(network_name)),
      network_id_(std::move(network_id)) {}

absl::Status Allocator::Create(const PoolConfig& config) {
  RETURN_IF_ERROR(ValidatePoolConfig(config));
  RETURN_IF_ERROR(base::MakeDirs(base::Dirname(path_)));
  ASSIGN_OR_RETURN(base::FileLock lock, Lock(path_));
  struct stat st;
  if (::lstat(path_.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("network IPAM file ", path_, ": already exists"));
  }
  if (errno != ENOENT) return base::ErrnoStatus(errno, "stat ", path_);
  State state;
  state.config = config;
  return Save(path_, state, base::Durability::kDurable);
}

absl::StatusOr<PoolConfig> Allocator::Config() const {
  ASSIGN_OR_RETURN(State state, Load(path_));
  return state.config;
}

absl::StatusOr<Ipv4> Allocator::Allocate(const std::string& owner,
                                         std::optional<Ipv4> requested) {
  RETURN_IF_ERROR(ValidateOwner(owner));
  ASSIGN_OR_RETURN(base::FileLock lock, Lock(path_));
  ASSIGN_OR_RETURN(State state, Load(path_));
  const PoolConfig& config = state.config;

  if (std::optional<Ipv4> held = HeldBy(state, owner)) {
    if (requested && *requested != *held) {
      return absl::FailedPreconditionError(
          absl::StrCat(owner, " already holds ", ToString(*held), " in ", path_,
                       ", not the requested ", ToString(*requested)));
    }
    return *held;
  }

  if (requested) {
    if (!config.subnet.Contains(*requested)) {
      return absl::InvalidArgumentError(
          absl::StrCat("no configured subnet or ip-range contain the IP "
                       "address ",
                       ToString(*requested)));
    }
    if (*requested == config.gateway ||
        IsSubnetReserved(config.subnet, *requested) ||
        state.allocations.contains(*requested)) {
      return absl::AlreadyExistsError("Address already in use");
    }
    state.allocations[*requested] = owner;
    RETURN_IF_ERROR(Save(path_, state));
    return *requested;
  }

  auto exhausted = [&] {
    return absl::ResourceExhaustedError(absl::StrCat(
        "no available IPv4 addresses on this network's address pools: ",
        network_name_, " (",
        network_id_.empty() ? ToString(config.subnet) : network_id_, ")"));
  };
  std::optional<std::pair<uint32_t, uint32_t>> range = DynamicRange(config);
  if (!range) return exhausted();
  const auto [lo, hi] = *range;
  uint32_t candidate = lo;
  if (state.last && state.last->value >= lo && state.last->value < hi) {
    candidate = state.last->value + 1;
  }
  // Each address of [lo, hi] once, starting after the last one handed out.
  uint64_t count = uint64_t{hi} - lo + 1;
  for (uint64_t i = 0; i < count; ++i) {
    Ipv4 a{candidate};
    candidate = candidate == hi ? lo : candidate + 1;
    if (a == config.gateway || state.allocations.contains(a)) continue;
    state.allocations[a] = owner;
    state.last = a;
    RETURN_IF_ERROR(Save(path_, state));
    return a;
  }
  return exhausted();
}

absl::Status Allocator::Release(const std::string& owner) {
  RETURN_IF_ERROR(ValidateOwner(owner));
  ASSIGN_OR_RETURN(base::FileLock lock, Lock(path_));
  ASSIGN_OR_RETURN(State state, Load(path_));
  size_t removed = std::erase_if(
      state.allocations, [&](const auto& kv) { return kv.second == owner; });
  if (removed == 0) return absl::OkStatus();
  return Save(path_, state);
}

absl::StatusOr<std::map<Ipv4, std::string>> Allocator::Allocations() const {
  ASSIGN_OR_RETURN(State state, Load(path_));
  return std::move(state.allocations);
}

absl::StatusOr<int> Allocator::ReleaseIf(
    const std::function<bool(const std::string& owner)>& stale) {
  ASSIGN_OR_RETURN(base::FileLock lock, Lock(path_));
  ASSIGN_OR_RETURN(State state, Load(path_));
  size_t removed = std::erase_if(
      state.allocations, [&](const auto& kv) { return stale(kv.second); });
  if (removed > 0) RETURN_IF_ERROR(Save(path_, state));
  return static_cast<int>(removed);
}

}  // namespace mydocker::ipam
