#include "lib/engine/networking.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/file_lock.h"
#include "lib/base/random_id.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"
#include "lib/container/create_config.h"
#include "lib/container/layout.h"
#include "lib/container/runtime_state.h"
#include "lib/ipam/address.h"
#include "lib/ipam/allocator.h"
#include "lib/nat/apply.h"
#include "lib/network/ports.h"
#include "lib/network/store.h"

namespace mydocker::engine {
namespace {

using network::EndpointView;
using network::Network;
using network::NetworkStore;

constexpr absl::string_view kHostsBlock = "# mydocker network ";

std::string ShortName(const container::Container& c) {
  return absl::StartsWith(c.name, "/") ? c.name.substr(1) : c.name;
}

bool HasOwnNetwork(absl::string_view name) {
  return name != "host" && name != "none";
}

// Replaces network `net`'s block at the end of the hosts file `path` by
// `body` (no block when empty). In place: the file is bind-mounted into
// the container, a rename would not reach it. A missing file (a
// container never started) is left alone.
absl::Status SetHostsBlock(const std::string& path, absl::string_view net,
                           const std::string& body) {
  absl::StatusOr<std::string> text = base::ReadFile(path, 1 << 20);
  if (absl::IsNotFound(text.status())) return absl::OkStatus();
  RETURN_IF_ERROR(text.status());
  std::string header = absl::StrCat(kHostsBlock, net);
  std::string out;
  bool skipping = false;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, kHostsBlock)) skipping = line == header;
    if (!skipping) absl::StrAppend(&out, line, "\n");
  }
  if (!body.empty()) absl::StrAppend(&out, header, "\n", body);
  if (out == *text) return absl::OkStatus();
  // O_NONBLOCK: a lease the container took on its /etc/hosts must not
  // stall us (we hold the network's lock): EWOULDBLOCK instead.
  base::UniqueFd fd(open(path.c_str(),
                         O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd) return base::ErrnoStatus(errno, "open ", path);
  absl::string_view rest = out;
  while (!rest.empty()) {
    ssize_t n = write(fd.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return base::ErrnoStatus(errno, "write ", path);
    rest.remove_prefix(n);
  }
  return absl::OkStatus();
}

// The lines container `self` sees for the other endpoints of a network.
std::string HostsBody(const std::map<std::string, EndpointView>& eps,
                      const std::string& self) {
  std::string body;
  for (const auto& [id, e] : eps) {
    if (id == self || e.ipv4_address.empty()) continue;
    std::string ip(e.ipv4_address.substr(0, e.ipv4_address.find('/')));
    absl::StrAppend(&body, ip, "\t", e.name.empty() ? "" : e.name + " ",
                    id.substr(0, 12), "\n");
  }
  return body;
}

// Under the network's lock, after its endpoints changed: every member's
// block for it (except `skip`, whose hosts file is handled by its start).
NetworkStore::EndpointsFn RefreshMembers(const std::string& root,
                                         const Network& n,
                                         const std::string& skip) {
  if (n.IsPredefined()) return {};
  return [root, name = n.name, skip](const std::map<std::string, EndpointView>& eps) {
    for (const auto& [id, e] : eps) {
      if (id == skip) continue;
      (void)SetHostsBlock(absl::StrCat(container::ContainerDir(root, id), "/hosts"),
                          name, HostsBody(eps, id));
    }
  };
}

std::string PortKeyProto(absl::string_view key, int* port) {
  std::pair<absl::string_view, absl::string_view> p = absl::StrSplit(key, '/');
  if (!absl::SimpleAtoi(p.first, port)) *port = 0;
  return p.second.empty() ? "tcp" : std::string(p.second);
}

// The DNAT rules of the ports recorded in `s` towards `ip`.
std::vector<nat::PortRule> RulesOf(const container::NetworkSettings& s,
                                   const std::string& ip) {
  std::vector<nat::PortRule> out;
  if (!s.ports || ip.empty()) return out;
  for (const auto& [key, bindings] : *s.ports) {
    if (!bindings) continue;
    int cport = 0;
    std::string proto = PortKeyProto(key, &cport);
    for (const container::PortBinding& b : *bindings) {
      int hport = 0;
      if (!absl::SimpleAtoi(b.host_port, &hport)) continue;
      out.push_back(nat::PortRule{proto, b.host_ip, hport, ip, cport});
    }
  }
  return out;
}

// The container's networks, the one from --network (its eth0, its default
// route, where its ports are published) first, then the ones `network
// connect` added, by name.
std::vector<std::string> NetworkOrder(const container::Container& c) {
  std::vector<std::string> out;
  std::string primary = container::NetworkName(c.host_config.network_mode);
  if (c.network_settings.networks.count(primary)) out.push_back(primary);
  for (const auto& [name, es] : c.network_settings.networks) {
    if (name != primary) out.push_back(name);
  }
  return out;
}

// The address the container's ports are published to: its first network's.
std::string PortsIp(const container::Container& c) {
  for (const std::string& name : NetworkOrder(c)) {
    const container::EndpointSettings& es = c.network_settings.networks.at(name);
    if (!es.ip_address.empty()) return es.ip_address;
  }
  return "";
}

// Reserves an address on `n` for `c` and records the endpoint.
absl::StatusOr<NetworkAttachment> Reserve(NetworkStore& store,
                                          container::Container& c,
                                          const Network& n,
                                          container::EndpointSettings& es) {
  ipam::Allocator alloc(store.IpamPath(n.id), n.name);
  std::optional<ipam::Ipv4> want;
  if (es.ipam_config.is_object()) {
    auto v = es.ipam_config.find("IPv4Address");
    if (v != es.ipam_config.end() && v->is_string() &&
        !v->get_ref<const std::string&>().empty()) {
      ASSIGN_OR_RETURN(want, ipam::ParseIpv4(v->get<std::string>()));
    }
  }
  ASSIGN_OR_RETURN(ipam::Ipv4 ip, alloc.Allocate(c.id, want));
  ASSIGN_OR_RETURN(ipam::PoolConfig cfg, alloc.Config());
  NetworkAttachment a;
  a.net = n;
  ASSIGN_OR_RETURN(a.ep.endpoint_id, base::RandomHexId());
  a.ep.host_ifname = network::HostIfname(a.ep.endpoint_id);
  a.ep.ip = ip;
  a.ep.prefix_len = cfg.subnet.len;
  a.ep.gateway = cfg.gateway;
  es.network_id = n.id;
  es.endpoint_id = a.ep.endpoint_id;
  es.gateway = n.internal ? "" : ipam::ToString(cfg.gateway);
  es.ip_address = ipam::ToString(ip);
  es.ip_prefix_len = cfg.subnet.len;
  es.mac_address = ipam::MacToString(ipam::DockerMac(ip));
  EndpointView view{ShortName(c), a.ep.endpoint_id, es.mac_address,
                    absl::StrCat(es.ip_address, "/", es.ip_prefix_len)};
  RETURN_IF_ERROR(store.PutEndpoint(n, c.id, view, RefreshMembers(store.root(), n, c.id)));
  return a;
}

// Undoes Reserve (and the plug, if any) for one network. Every step runs.
void ReleaseOne(NetworkStore& store, container::Container& c,
                const std::string& name, container::EndpointSettings& es,
                bool netns_gone = false) {
  if (!es.endpoint_id.empty() && !netns_gone) {
    (void)network::UnplugEndpoint(network::HostIfname(es.endpoint_id));
  }
  absl::StatusOr<Network> n = store.Get(es.network_id.empty() ? name : es.network_id);
  if (!n.ok()) n = store.Get(name);
  if (n.ok() && n->IsBridge()) {
    (void)ipam::Allocator(store.IpamPath(n->id), n->name).Release(c.id);
    (void)store.DeleteEndpoint(*n, c.id, RefreshMembers(store.root(), *n, c.id));
  }
  es.endpoint_id.clear();
  es.gateway.clear();
  es.ip_address.clear();
  es.ip_prefix_len = 0;
  es.mac_address.clear();
}

absl::StatusOr<base::UniqueFd> OpenNetns(pid_t pid) {
  base::UniqueFd fd(open(absl::StrCat("/proc/", pid, "/ns/net").c_str(),
                         O_RDONLY | O_CLOEXEC));
  if (!fd) return base::ErrnoStatus(errno, "open the container's netns");
  return fd;
}

absl::Status EnsureUnderLock(NetworkStore& store, const Network& n) {
  ASSIGN_OR_RETURN(base::FileLock lock, store.LockNetwork(n.id));
  return network::EnsureKernelState(n);
}

}  // namespace

absl::Status VerifyNetwork(const std::string& root,
                           const container::HostConfig& h,
                           const std::string& ip) {
  std::string name = container::NetworkName(h.network_mode);
  bool user_defined = !name.empty() && name != "bridge" && HasOwnNetwork(name);
  if (!ip.empty() && !user_defined) {
    return absl::InvalidArgumentError(
        "user specified IP address is supported on user defined networks only");
  }
  if (!user_defined) return absl::OkStatus();
  NetworkStore store(root, network::RealHost());
  ASSIGN_OR_RETURN(Network n, store.Get(name));
  if (ip.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(ipam::Ipv4 want, ipam::ParseIpv4(ip));
  for (const network::IpamConfig& cfg : n.ipam) {
    absl::StatusOr<ipam::Ipv4Prefix> subnet = ipam::ParseSubnet(cfg.subnet);
    if (subnet.ok() && subnet->Contains(want)) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid IP address ", ip, ": not in network ", n.name, "'s subnet"));
}

bool IsStaleOwner(const std::string& root, const std::string& id) {
  // A container that is gone holds nothing (and its lock file is not made
  // again by asking).
  if (access(container::ContainerDir(root, id).c_str(), F_OK) != 0) return true;
  // A start in progress holds the container's lock until its state.json
  // exists; a free lock and no live runtime state means nobody is using
  // what `id` holds.
  absl::StatusOr<base::FileLock> lock = base::FileLock::TryAcquire(
      container::ContainerLockPath(root, id), base::FileLock::kShared);
  if (!lock.ok()) return false;
  return container::Judge(container::ReadRuntimeState(root, id),
                          container::HostProbe{}) != container::Liveness::kAlive;
}

absl::StatusOr<NetworkPlan> PrepareNetworks(const std::string& root,
                                            container::Container& c) {
  NetworkPlan plan;
  bool any = false;
  for (const auto& [name, es] : c.network_settings.networks) {
    if (HasOwnNetwork(name)) any = true;
  }
  if (!any) {
    c.network_settings.ports = container::PortMap{};
    return plan;
  }
  NetworkStore store(root, network::RealHost());
  bool ok = false;
  absl::Cleanup undo = [&] {
    if (!ok) ReleaseNetworks(root, c);
  };
  for (const std::string& name : NetworkOrder(c)) {
    if (!HasOwnNetwork(name)) continue;
    container::EndpointSettings& es = c.network_settings.networks[name];
    ASSIGN_OR_RETURN(Network n, store.Get(name));
    if (!n.IsBridge()) continue;
    ASSIGN_OR_RETURN(NetworkAttachment a, Reserve(store, c, n, es));
    a.ifname = absl::StrCat("eth", plan.attachments.size());
    plan.ips.push_back(ipam::ToString(a.ep.ip));
    plan.attachments.push_back(std::move(a));
  }

  // Ports: -p bindings, and with -P every exposed port (an ephemeral host
  // port each); exposed but unpublished ports are listed as null.
  container::PortMap ports;
  for (const std::string& p : c.config.exposed_ports) ports[p] = std::nullopt;
  std::vector<network::PortRequest> requests;
  std::vector<std::string> request_keys;
  auto add = [&](const std::string& key, const container::PortBinding& b) -> absl::Status {
    network::PortRequest r;
    r.proto = PortKeyProto(key, &r.container_port);
    r.host_ip = b.host_ip;
    if (!b.host_port.empty() && !absl::SimpleAtoi(b.host_port, &r.host_port)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid host port \"", b.host_port, "\" for ", key));
    }
    requests.push_back(r);
    request_keys.push_back(key);
    return absl::OkStatus();
  };
  if (c.host_config.port_bindings) {
    for (const auto& [key, bindings] : *c.host_config.port_bindings) {
      ports[key] = std::nullopt;
      if (!bindings) continue;
      for (const container::PortBinding& b : *bindings) RETURN_IF_ERROR(add(key, b));
    }
  }
  if (c.host_config.publish_all_ports) {
    for (const std::string& key : c.config.exposed_ports) {
      if (c.host_config.port_bindings && c.host_config.port_bindings->count(key)) continue;
      RETURN_IF_ERROR(add(key, container::PortBinding{}));
    }
  }
  std::vector<network::PublishedPort> taken_over;
  if (!requests.empty() && !plan.attachments.empty()) {
    ASSIGN_OR_RETURN(std::vector<network::PublishedPort> got,
                     network::ReservePorts(root, c.id, requests,
                                           [&](const std::string& owner) {
                                             return IsStaleOwner(root, owner);
                                           },
                                           &taken_over));
    for (size_t i = 0; i < got.size(); ++i) {
      auto& list = ports[request_keys[i]];
      if (!list) list.emplace();
      container::PortBinding b;
      b.host_ip = got[i].host_ip;
      b.host_port = absl::StrCat(got[i].host_port);
      list->push_back(b);
    }
  }
  c.network_settings.ports = std::move(ports);
  plan.port_rules = RulesOf(c.network_settings, plan.ips.empty() ? "" : plan.ips[0]);
  for (const network::PublishedPort& p : taken_over) {
    // Only the key counts for a deletion; the value is ours, to be valid.
    if (!plan.ips.empty()) {
      plan.taken_over.push_back(
          nat::PortRule{p.proto, p.host_ip, p.host_port, plan.ips[0], 1});
    }
  }
  ok = true;
  return plan;
}

absl::Status ConnectNetworks(const std::string& root, const NetworkPlan& plan,
                             int netns_fd) {
  if (plan.attachments.empty()) return absl::OkStatus();
  NetworkStore store(root, network::RealHost());
  for (size_t i = 0; i < plan.attachments.size(); ++i) {
    const NetworkAttachment& a = plan.attachments[i];
    RETURN_IF_ERROR(EnsureUnderLock(store, a.net));
    RETURN_IF_ERROR(network::PlugEndpoint(a.net, a.ep, netns_fd, a.ifname,
                                          /*default_route=*/i == 0));
  }
  if (!plan.port_rules.empty()) {
    RETURN_IF_ERROR(nat::EnsureSkeleton());
    RETURN_IF_ERROR(nat::DeletePortKeys(plan.taken_over));
    RETURN_IF_ERROR(nat::AddPorts(plan.port_rules));
  }
  return absl::OkStatus();
}

namespace {

// A new network namespace, without moving any thread of ours into it: a
// short-lived thread unshares and hands its namespace back as an fd.
absl::StatusOr<base::UniqueFd> NewNetns() {
  base::UniqueFd fd;
  int err = 0;
  try {
    std::thread t([&] {
      if (unshare(CLONE_NEWNET) != 0) {
        err = errno;
        return;
      }
      fd.reset(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
      if (!fd) err = errno;
    });
    t.join();
  } catch (const std::system_error& e) {
    err = e.code().value();
  }
  if (err != 0) return base::ErrnoStatus(err, "make a network namespace");
  return fd;
}

// A new namespace with its loopback up.
absl::StatusOr<base::UniqueFd> NewBareNetns() {
  ASSIGN_OR_RETURN(base::UniqueFd fd, NewNetns());
  // Every sandbox gets its loopback up, as libnetwork does.
  RETURN_IF_ERROR(network::SetLoopbackUp(fd.get()));
  return fd;
}

// `bare`'s namespace, or a new one if it could not make it.
absl::StatusOr<base::UniqueFd> TakeBare(NetnsPreparer& bare) {
  if (bare.Wait().ok()) return bare.Take();
  return NewBareNetns();
}

}  // namespace

void NetnsPreparer::Start(const std::string& root, const NetworkPlan& plan,
                          NetnsPreparer* bare) {
  started_ = true;
  if (bare != nullptr && plan.attachments.empty()) {
    bare_ = bare;  // Nothing to wire: no thread; taken by Join.
    return;
  }
  // A thread that cannot start (a pids limit) fails the start, cleanly.
  try {
    StartThread(root, &plan, bare);
  } catch (const std::system_error& e) {
    status_ = base::ErrnoStatus(e.code().value(), "start a thread");
  }
}

void NetnsPreparer::StartBare() {
  started_ = true;
  try {
    StartThread("", nullptr, nullptr);
  } catch (const std::system_error& e) {
    status_ = base::ErrnoStatus(e.code().value(), "start a thread");
  }
}

void NetnsPreparer::StartThread(const std::string& root, const NetworkPlan* plan,
                                NetnsPreparer* bare) {
  thread_ = std::thread([this, root, plan, bare] {
    absl::StatusOr<base::UniqueFd> fd = bare != nullptr ? TakeBare(*bare) : NewBareNetns();
    if (!fd.ok()) {
      status_ = fd.status();
      return;
    }
    if (plan != nullptr) status_ = ConnectNetworks(root, *plan, fd->get());
    fd_ = *std::move(fd);
  });
}

void NetnsPreparer::Join() {
  if (thread_.joinable()) thread_.join();
  if (bare_ != nullptr) {
    absl::StatusOr<base::UniqueFd> fd = TakeBare(*bare_);
    bare_ = nullptr;
    if (fd.ok()) {
      fd_ = *std::move(fd);
    } else {
      status_ = fd.status();
    }
  }
}

absl::StatusOr<int> NetnsPreparer::Wait() {
  Join();
  if (!started_) return absl::FailedPreconditionError("no network namespace was asked for");
  RETURN_IF_ERROR(status_);
  return fd_.get();
}

bool HasOwnNetns(const container::HostConfig& h) {
  return h.network_mode != "host" && !absl::StartsWith(h.network_mode, "container:");
}

void ReleaseNetworks(const std::string& root, container::Container& c,
                     bool netns_gone) {
  std::vector<nat::PortRule> rules = RulesOf(c.network_settings, PortsIp(c));
  if (!rules.empty()) (void)nat::RemovePorts(rules);
  (void)network::ReleasePorts(root, c.id);
  bool any = false;
  for (const auto& [name, es] : c.network_settings.networks) {
    if (!es.endpoint_id.empty() || !es.ip_address.empty()) any = true;
  }
  if (any) {
    NetworkStore store(root, network::RealHost());
    for (auto& [name, es] : c.network_settings.networks) {
      if (es.endpoint_id.empty() && es.ip_address.empty()) continue;
      ReleaseOne(store, c, name, es, netns_gone);
    }
  }
  c.network_settings.ports.reset();
}

absl::Status RefreshOwnHosts(const std::string& root,
                             const container::Container& c) {
  NetworkStore store(root, network::RealHost());
  std::string path = absl::StrCat(container::ContainerDir(root, c.id), "/hosts");
  for (const auto& [name, es] : c.network_settings.networks) {
    if (!HasOwnNetwork(name) || name == "bridge" || es.ip_address.empty()) continue;
    ASSIGN_OR_RETURN(Network n, store.Get(name));
    ASSIGN_OR_RETURN(auto eps, store.Endpoints(n));
    RETURN_IF_ERROR(SetHostsBlock(path, n.name, HostsBody(eps, c.id)));
  }
  return absl::OkStatus();
}

absl::Status ConnectRunning(const std::string& root, container::Container& c,
                            const Network& n, const std::string& ip) {
  if (c.network_settings.networks.count(n.name)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "endpoint with name ", ShortName(c), " already exists in network ", n.name));
  }
  if (c.host_config.network_mode == "host" || c.host_config.network_mode == "none" ||
      absl::StartsWith(c.host_config.network_mode, "container:")) {
    return absl::FailedPreconditionError(absl::StrCat(
        "container ", ShortName(c), " uses --network ", c.host_config.network_mode,
        " and cannot be connected to other networks"));
  }
  if (!n.IsBridge()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "container cannot be connected to network ", n.name, " (", n.driver, ")"));
  }
  container::EndpointSettings es;
  if (!ip.empty()) es.ipam_config = {{"IPv4Address", ip}};
  if (!c.state.running) {
    c.network_settings.networks[n.name] = es;
    return absl::OkStatus();
  }
  NetworkStore store(root, network::RealHost());
  ASSIGN_OR_RETURN(NetworkAttachment a, Reserve(store, c, n, es));
  auto undo = [&] { ReleaseOne(store, c, n.name, es); };
  ASSIGN_OR_RETURN(container::RuntimeState rs, container::ReadRuntimeState(root, c.id));
  // The recorded pid is still the container's (same start time, same boot):
  // never plug a reused pid's namespace.
  if (container::Judge(rs, container::HostProbe{}) != container::Liveness::kAlive) {
    undo();
    return absl::FailedPreconditionError(
        absl::StrCat("container ", ShortName(c), " is not running"));
  }
  absl::StatusOr<base::UniqueFd> netns = OpenNetns(static_cast<pid_t>(rs.pid));
  absl::Status s = netns.status();
  if (s.ok()) s = EnsureUnderLock(store, n);
  if (s.ok()) {
    bool first = PortsIp(c).empty();
    // The first free ethN (an earlier disconnect may have left a gap).
    for (int i = 0; i < 64; ++i) {
      s = network::PlugEndpoint(n, a.ep, netns->get(), absl::StrCat("eth", i), first);
      if (!absl::IsAlreadyExists(s)) break;
    }
  }
  if (!s.ok()) {
    undo();
    return s;
  }
  c.network_settings.networks[n.name] = es;
  // Best effort: the endpoint is plugged and must be recorded either way.
  (void)RefreshOwnHosts(root, c);
  return absl::OkStatus();
}

absl::Status DisconnectRunning(const std::string& root, container::Container& c,
                               const Network& n) {
  auto it = c.network_settings.networks.find(n.name);
  if (it == c.network_settings.networks.end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "container ", ShortName(c), " is not connected to network ", n.name));
  }
  NetworkStore store(root, network::RealHost());
  if (PortsIp(c) == it->second.ip_address &&
      !it->second.ip_address.empty()) {
    // Its ports were published to this address.
    std::vector<nat::PortRule> rules = RulesOf(c.network_settings, it->second.ip_address);
    if (!rules.empty()) (void)nat::RemovePorts(rules);
  }
  ReleaseOne(store, c, n.name, it->second);
  c.network_settings.networks.erase(it);
  (void)SetHostsBlock(absl::StrCat(container::ContainerDir(root, c.id), "/hosts"),
                      n.name, "");
  return absl::OkStatus();
}

}  // namespace mydocker::engine
