#include "lib/nat/apply.h"

#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/const_init.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/file_lock.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"
#include "lib/nat/nft.h"
#include "lib/netlink/nftables.h"
#include "lib/netlink/socket.h"
#include "lib/nat/rules.h"

namespace mydocker::nat {
namespace {

ABSL_CONST_INIT absl::Mutex lock_path_mutex(absl::kConstInit);

// SetLockPathForTest's path; empty for kDefaultLockPath.
std::string& LockPathOverride() ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_path_mutex) {
  static std::string* path = new std::string();
  return *path;
}

constexpr char kTableHeader[] = "table ip mydocker";

std::string LockPath() {
  absl::MutexLock lock(&lock_path_mutex);
  const std::string& path = LockPathOverride();
  return path.empty() ? kDefaultLockPath : path;
}

absl::StatusOr<base::FileLock> Lock() {
  const std::string path = LockPath();
  RETURN_IF_ERROR(base::MakeDirs(base::Dirname(path), 0700));
  return base::FileLock::Acquire(path, base::FileLock::kExclusive);
}

// `list tables ip` prints one "table ip NAME" line per table: the cheapest
// question nft answers (no chains, rules or elements are fetched).
absl::StatusOr<bool> TableExists() {
  ASSIGN_OR_RETURN(std::string out, NftOutput("list tables ip", "list tables"));
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StripAsciiWhitespace(line) == kTableHeader) return true;
  }
  return false;
}

// The chains of our table; nullopt if there is no table (or one without a
// chain, which ours never is). Read through our own netlink socket, not
// libnftables: this runs at every start on a bridge network
// (netlink/nftables.h).
absl::StatusOr<std::optional<std::vector<std::string>>> OurChains() {
  ASSIGN_OR_RETURN(netlink::Socket sock, netlink::Socket::Open(NETLINK_NETFILTER));
  return netlink::ListChains(sock, NFPROTO_IPV4, kTableName);
}

// Callers hold the lock.
absl::Status EnsureSkeletonLocked() {
  ASSIGN_OR_RETURN(bool exists, TableExists());
  if (exists) return absl::OkStatus();
  return RunNft(SkeletonScript(), "create table ip mydocker");
}

// Runs the steps of an idempotent removal as one transaction. If that fails
// because some element's key now holds another value (someone else's, which
// the add-then-delete refuses to touch), runs them one by one, skipping
// those. Callers hold the lock and know the table exists.
absl::Status RunRemoval(const std::vector<std::string>& steps,
                        absl::string_view what) {
  absl::Status all = RunNft(absl::StrJoin(steps, ""), what);
  if (!absl::IsAlreadyExists(all)) return all;
  for (const std::string& step : steps) {
    absl::Status s = RunNft(step, what);
    if (!s.ok() && !absl::IsAlreadyExists(s)) return s;
  }
  return absl::OkStatus();
}

std::string PortsString(const std::vector<PortRule>& ports) {
  return absl::StrJoin(ports, ", ", [](std::string* out, const PortRule& p) {
    absl::StrAppend(out, PortRuleString(p));
  });
}

// Writes `value` to a sysctl file under /proc/sys.
absl::Status WriteValue(const std::string& path, absl::string_view value) {
  ASSIGN_OR_RETURN(base::UniqueFd fd, base::OpenFile(path, O_WRONLY));
  return base::WriteAll(fd.get(), value, path);
}
absl::Status WriteOne(const std::string& path) { return WriteValue(path, "1\n"); }

constexpr char kIpForward[] = "/proc/sys/net/ipv4/ip_forward";

// EnableIpForwarding's marker for this thread's network namespace, named by
// the namespace's cookie, which (unlike its inode number) no later
// namespace gets again before a reboot.
absl::StatusOr<std::string> ForwardingMarker() {
  base::UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return base::ErrnoStatus(errno, "socket");
  uint64_t cookie = 0;
  socklen_t len = sizeof(cookie);
  if (getsockopt(fd.get(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) != 0) {
    return base::ErrnoStatus(errno, "getsockopt SO_NETNS_COOKIE");
  }
  return absl::StrCat(base::Dirname(LockPath()), "/ip_forward-off.", cookie);
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// Callers hold the lock.
absl::Status EnsureForwardGuardLocked() {
  ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> chains, OurChains());
  if (chains && std::find(chains->begin(), chains->end(), kForwardGuardChain) !=
                    chains->end()) {
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(EnsureSkeletonLocked());
  return RunNft(ForwardGuardScript(), "guard forwarding");
}

}  // namespace

void SetLockPathForTest(std::string path) {
  absl::MutexLock lock(&lock_path_mutex);
  LockPathOverride() = std::move(path);
}

absl::Status EnsureSkeleton() {
  ASSIGN_OR_RETURN(base::FileLock lock, Lock());
  return EnsureSkeletonLocked();
}

absl::Status AddNetwork(const NetworkRules& n) {
  ASSIGN_OR_RETURN(std::string script, AddNetworkScript(n));
  ASSIGN_OR_RETURN(base::FileLock lock, Lock());
  RETURN_IF_ERROR(EnsureSkeletonLocked());
  return RunNft(script, absl::StrCat("add network ", n.id.substr(0, 12), " (",
                                     n.bridge, ", ", n.subnet, ")"));
}

absl::Status EnsureNetwork(const NetworkRules& n) {
  ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> chains, OurChains());
  if (chains) {
    const std::string want[] = {NetChain(n), FwdInChain(n), FwdOutChain(n)};
    bool all = true;
    for (const std::string& c : want) {
      all &= std::find(chains->begin(), chains->end(), c) != chains->end();
    }
    if (all) return absl::OkStatus();
  }
  return AddNetwork(n);
}

absl::Status RemoveNetwork(const NetworkRules& n) {
  ASSIGN_OR_RETURN(std::vector<std::string> steps, RemoveNetworkSteps(n));
  ASSIGN_OR_RETURN(base::FileLock lock, Lock());
  ASSIGN_OR_RETURN(bool exists, TableExists());
  if (!exists) return absl::OkStatus();
  return RunRemoval(steps, absl::StrCat("remove network ", n.id.substr(0, 12)));
}

absl::Status AddPorts(const std::vector<PortRule>& ports) {
  ASSIGN_OR_RETURN(std::string script, AddPortsScript(ports));
  if (script.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(base::FileLock lock, Lock());
  RETURN_IF_ERROR(EnsureSkeletonLocked());
  return RunNft(script, absl::StrCat("publish ", PortsString(ports)));
}

absl::Status DeletePortKeys(const std::vector<PortRule>& ports) {
  if (ports.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<std::string> steps, DeletePortKeysSteps(ports));
  const std::string what = absl::StrCat("take over ", PortsString(ports));
  ASSIGN_OR_RETURN(base::FileLock lock, Lock());
  ASSIGN_OR_RETURN(bool exists, TableExists());
  if (!exists) return absl::OkStatus();
  for (const std::string& step : steps) {
    absl::Status d = RunNft(step, what);
    if (!d.ok() && !absl::IsNotFound(d)) return d;
  }
  return absl::OkStatus();
}

absl::Status RemovePorts(const std::vector<PortRule>& ports) {
  ASSIGN_OR_RETURN(std::vector<std::string> steps, RemovePortsSteps(ports));
  if (steps.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(base::FileLock lock, Lock());
  ASSIGN_OR_RETURN(bool exists, TableExists());
  if (!exists) return absl::OkStatus();
  return RunRemoval(steps, absl::StrCat("unpublish ", PortsString(ports)));
}

absl::Status EnableIpForwarding() {
  ASSIGN_OR_RETURN(std::string marker, ForwardingMarker());
  ASSIGN_OR_RETURN(std::string value, base::ReadFile(kIpForward, 64));
  const bool off = absl::StripAsciiWhitespace(value) == "0";
  if (!off && !Exists(marker)) return absl::OkStatus();  // Not ours to guard.
  if (!off) {
    // The fast path of every start where we turned it on: a read of the
    // chains over netlink (OurChains), the lock only for a repair.
    ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> chains, OurChains());
    if (chains && std::find(chains->begin(), chains->end(), kForwardGuardChain) !=
                      chains->end()) {
      return absl::OkStatus();
    }
  }
  ASSIGN_OR_RETURN(base::FileLock lock, Lock());
  ASSIGN_OR_RETURN(value, base::ReadFile(kIpForward, 64));
  if (absl::StripAsciiWhitespace(value) == "0") {
    // Marker, guard, forwarding: in this order no crash leaves forwarding
    // on without the guard, or unknown to be ours.
    ASSIGN_OR_RETURN(base::UniqueFd fd,
                     base::OpenFile(marker, O_WRONLY | O_CREAT | O_NOFOLLOW, 0600));
    RETURN_IF_ERROR(EnsureForwardGuardLocked());
    return WriteOne(kIpForward);
  }
  if (!Exists(marker)) return absl::OkStatus();
  return EnsureForwardGuardLocked();
}

absl::Status SetRouteLocalnet(absl::string_view ifname) {
  if (!IsValidIfname(ifname)) {
    return absl::InvalidArgumentError(
        absl::StrCat("route_localnet: \"", absl::CEscape(ifname),
                     "\" is not an interface name"));
  }
  // The directory exists for each interface of the caller's namespace; a
  // missing one is NotFound from the open.
  return WriteOne(
      absl::StrCat("/proc/sys/net/ipv4/conf/", ifname, "/route_localnet"));
}

absl::Status DeleteTableIfEmpty() {
  ASSIGN_OR_RETURN(base::FileLock lock, Lock());
  ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> chains, OurChains());
  for (const std::string& c : chains.value_or(std::vector<std::string>{})) {
    if (absl::StartsWith(c, "net-") || absl::StartsWith(c, "fwdin-") ||
        absl::StartsWith(c, "fwdout-")) {
      return absl::OkStatus();
    }
  }
  // Forwarding back off first if it was ours, then the table with its
  // guard: at no moment does the host route without the guard. With the
  // table already gone (deleted by hand), forwarding still goes off.
  ASSIGN_OR_RETURN(std::string marker, ForwardingMarker());
  const bool ours = Exists(marker);
  if (ours) RETURN_IF_ERROR(WriteValue(kIpForward, "0\n"));
  if (chains.has_value()) {
    RETURN_IF_ERROR(RunNft(absl::StrCat("delete table ", kTable, "\n"),
                           "delete table ip mydocker"));
  }
  if (ours && unlink(marker.c_str()) != 0 && errno != ENOENT) {
    return base::ErrnoStatus(errno, "remove ", marker);
  }
  return absl::OkStatus();
}

}  // namespace mydocker::nat
