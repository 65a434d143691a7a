#include "lib/network/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/file_lock.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"
#include "lib/ipam/address.h"
#include "lib/store/paths.h"
#include "nlohmann/json.hpp"

namespace mydocker::network {
namespace {

using Json = nlohmann::json;
using Table = std::map<std::string, std::string>;  // key -> owner

std::string TablePath(const std::string& root) {
  return absl::StrCat(store::OwnDir(root), "/ports.json");
}

std::string Key(const PublishedPort& p) {
  return absl::StrCat(p.proto, "/", p.host_ip, "/", p.host_port);
}

absl::StatusOr<base::FileLock> Lock(const std::string& root) {
  std::string dir = absl::StrCat(store::OwnDir(root), "/locks");
  RETURN_IF_ERROR(base::MakeDirs(dir, 0700));
  return base::FileLock::Acquire(absl::StrCat(dir, "/ports.lock"),
                                 base::FileLock::kExclusive);
}

absl::StatusOr<Table> Read(const std::string& root) {
  Table t;
  std::string path = TablePath(root);
  absl::StatusOr<std::string> text = base::ReadFile(path, 16 << 20);
  if (absl::IsNotFound(text.status())) return t;
  RETURN_IF_ERROR(text.status());
  Json j = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return absl::DataLossError(absl::StrCat(path, ": not a JSON object"));
  }
  for (const auto& [k, v] : j.items()) {
    if (v.is_string()) t[k] = v.get<std::string>();
  }
  return t;
}

absl::Status Write(const std::string& root, const Table& t) {
  Json j = Json::object();
  for (const auto& [k, v] : t) j[k] = v;
  // Entries of containers a crash or reboot stopped are dropped as stale:
  // durability buys nothing here.
  return base::WriteFileAtomic(TablePath(root), j.dump(1) + "\n", 0600,
                               base::Durability::kAtomicOnly);
}

struct Parsed {
  std::string proto, ip;
  int port = 0;
};

Parsed ParseKey(absl::string_view key) {
  std::vector<std::string> f = absl::StrSplit(key, '/');
  Parsed p;
  if (f.size() != 3) return p;
  p.proto = f[0];
  p.ip = f[1];
  (void)absl::SimpleAtoi(f[2], &p.port);
  return p;
}

bool Conflicts(const PublishedPort& want, const Parsed& have) {
  return want.proto == have.proto && want.host_port == have.port &&
         (want.host_ip == have.ip || want.host_ip == "0.0.0.0" ||
          have.ip == "0.0.0.0");
}

// bind(2) on the port: EADDRINUSE when a host socket holds it. TCP with
// SO_REUSEADDR, so a connection in TIME_WAIT does not count (only a
// listener does), as for a server that would bind it.
absl::Status Probe(const PublishedPort& p) {
  bool tcp = p.proto == "tcp";
  base::UniqueFd fd(socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0));
  if (!fd) return base::ErrnoStatus(errno, "socket");
  int one = 1;
  if (tcp) setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(p.host_port));
  if (inet_pton(AF_INET, p.host_ip.c_str(), &a.sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid host IP address: ", p.host_ip));
  }
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    int e = errno;
    if (e == EADDRINUSE) {
      return absl::FailedPreconditionError(
          absl::StrCat("Bind for ", p.host_ip, ":", p.host_port,
                       " failed: address already in use by a host process"));
    }
    if (e == EADDRNOTAVAIL) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Bind for ", p.host_ip, ":", p.host_port,
          " failed: the host has no such address"));
    }
    return base::ErrnoStatus(e, "bind ", p.host_ip, ":", p.host_port);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<PublishedPort>> ReservePorts(
    const std::string& root, const std::string& container_id,
    const std::vector<PortRequest>& requests,
    const std::function<bool(const std::string&)>& is_stale,
    std::vector<PublishedPort>* taken_over) {
  if (requests.empty()) return std::vector<PublishedPort>{};
  ASSIGN_OR_RETURN(base::FileLock lock, Lock(root));
  ASSIGN_OR_RETURN(Table table, Read(root));
  // Our own earlier entries (a start that failed half-way) are replaced.
  for (auto it = table.begin(); it != table.end();) {
    it = it->second == container_id ? table.erase(it) : std::next(it);
  }
  std::map<std::string, bool> stale_cache;
  auto stale = [&](const std::string& owner) {
    if (!is_stale) return false;
    auto [it, inserted] = stale_cache.emplace(owner, false);
    if (inserted) it->second = is_stale(owner);
    return it->second;
  };
  // Held by another container; a stale holder's entries are dropped.
  auto taken = [&](const PublishedPort& want) {
    for (auto it = table.begin(); it != table.end();) {
      if (!Conflicts(want, ParseKey(it->first))) {
        ++it;
      } else if (stale(it->second)) {
        if (taken_over) {
          Parsed p = ParseKey(it->first);
          taken_over->push_back(PublishedPort{p.proto, p.ip, p.port, 0});
        }
        it = table.erase(it);
      } else {
        return true;
      }
    }
    return false;
  };

  std::vector<PublishedPort> out;
  int next_ephemeral = kEphemeralFirst;
  for (const PortRequest& r : requests) {
    if (r.proto != "tcp" && r.proto != "udp") {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid protocol \"", r.proto, "\" (tcp or udp)"));
    }
    if (r.container_port < 1 || r.container_port > 65535 || r.host_port < 0 ||
        r.host_port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid port mapping ", r.host_port, ":", r.container_port));
    }
    PublishedPort p;
    p.proto = r.proto;
    p.host_ip = r.host_ip.empty() ? "0.0.0.0" : r.host_ip;
    ASSIGN_OR_RETURN(ipam::Ipv4 ip, ipam::ParseIpv4(p.host_ip));
    p.host_ip = ipam::ToString(ip);
    p.container_port = r.container_port;
    if (r.host_port != 0) {
      p.host_port = r.host_port;
      for (const PublishedPort& o : out) {
        if (Conflicts(p, Parsed{o.proto, o.host_ip, o.host_port})) {
          return absl::InvalidArgumentError(absl::StrCat(
              "Bind for ", p.host_ip, ":", p.host_port,
              " failed: published twice by the same container"));
        }
      }
      if (taken(p)) {
        return absl::FailedPreconditionError(
            absl::StrCat("Bind for ", p.host_ip, ":", p.host_port,
                         " failed: port is already allocated"));
      }
      RETURN_IF_ERROR(Probe(p));
    } else {
      bool found = false;
      for (; next_ephemeral <= kEphemeralLast && !found; ++next_ephemeral) {
        p.host_port = next_ephemeral;
        bool mine = false;
        for (const PublishedPort& o : out) {
          if (Conflicts(p, Parsed{o.proto, o.host_ip, o.host_port})) mine = true;
        }
        if (mine || taken(p)) continue;
        absl::Status probe = Probe(p);
        if (absl::IsFailedPrecondition(probe)) continue;
        RETURN_IF_ERROR(probe);
        found = true;
      }
      if (!found) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "no free host port for ", p.proto, " in ", kEphemeralFirst, "-",
            kEphemeralLast));
      }
    }
    table[Key(p)] = container_id;
    out.push_back(p);
  }
  RETURN_IF_ERROR(Write(root, table));
  return out;
}

absl::Status ReleasePorts(const std::string& root,
                          const std::string& container_id) {
  // Most containers publish nothing: no lock, no write, when the table
  // cannot hold anything of theirs.
  if (access(TablePath(root).c_str(), F_OK) != 0) return absl::OkStatus();
  ASSIGN_OR_RETURN(base::FileLock lock, Lock(root));
  ASSIGN_OR_RETURN(Table table, Read(root));
  bool changed = false;
  for (auto it = table.begin(); it != table.end();) {
    if (it->second == container_id) {
      it = table.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  if (!changed) return absl::OkStatus();
  return Write(root, table);
}

}  // namespace mydocker::network
