// The files dockerd writes into a container's directory when it starts it
// (lib/store/DOCKER_CONTAINERS.md §1, §5, §8), and the rules that make
// their contents (libnetwork's etchosts and resolvconf, moby v20.10.24):
//
//   containers/<id>/hostname          Config.Hostname + "\n"
//   containers/<id>/hosts             Docker's six default lines, --add-host
//                                     entries, then "<ip>\t<fqdn> <short>"
//                                     (--network host: the host's file)
//   containers/<id>/resolv.conf       the host's, without loopback (and,
//                                     IPv6 being off, IPv6) nameservers;
//                                     8.8.8.8 and 8.8.4.4 if none is left;
//                                     built from --dns* when given
//                                     (--network host: the host's file)
//   containers/<id>/resolv.conf.hash  "sha256:<hex of resolv.conf>", no
//                                     newline (not for --network host)
//   containers/<id>/mounts/           0710
//   containers/<id>/<id>-json.log     0640, created if missing, never
//                                     truncated (restarts append)
//
// All of them are rewritten at every start, like dockerd does.
//
//   StartFilesOptions o;
//   o.container_ips = {"172.17.0.2"};
//   RETURN_IF_ERROR(WriteStartFiles(root, container, o));
//   // container.hostname_path etc. are set; the caller saves the record.
#ifndef MYDOCKER_LIB_CONTAINER_START_FILES_H_
#define MYDOCKER_LIB_CONTAINER_START_FILES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/container/record.h"

namespace mydocker::container {

struct StartFilesOptions {
  // The container's addresses on its network, for its own line in hosts
  // ("172.17.0.2"); none with --network none.
  std::vector<std::string> container_ips;
  // The host files (tests point them elsewhere).
  std::string host_hosts = "/etc/hosts";
  std::string host_resolv_conf = "/etc/resolv.conf";
  // Used instead of host_resolv_conf when that one's only nameserver is
  // systemd-resolved's stub, 127.0.0.53 (libnetwork's resolvconf.Path()).
  std::string systemd_resolv_conf = "/run/systemd/resolve/resolv.conf";
};

// The hosts file of a container that has its own network namespace:
// Docker's default lines, then `extra_hosts` ("name:ip" -> "ip\tname"),
// then one line per address with the hostname: "<ip>\t<fqdn> <short>" when
// the name (hostname + "." + domainname if any) has a dot, else
// "<ip>\t<hostname>". InvalidArgument for an extra host without ":".
absl::StatusOr<std::string> BuildHostsFile(
    absl::string_view hostname, absl::string_view domainname,
    const std::vector<std::string>& extra_hosts,
    const std::vector<std::string>& ips);

// libnetwork's resolvconf.FilterResolvDNS: removes localhost nameservers
// (127.x.x.x, ::1) and, unless `ipv6`, all IPv6 ones; if no nameserver is
// left, appends "\nnameserver 8.8.8.8\nnameserver 8.8.4.4" (plus Google's
// IPv6 pair with `ipv6`). Comments, search and options lines stay.
std::string FilterResolvConf(absl::string_view host, bool ipv6);

// The resolv.conf of a container with its own network and no --dns*
// options: the host's filtered as dockerd does it, first at sandbox setup
// (ipv6 assumed on) then at network join (IPv6 off on the default bridge).
std::string ContainerResolvConf(absl::string_view host);

// resolvconf.Build for --dns/--dns-search/--dns-option: "search ...\n",
// one "nameserver x\n" each, "options ...\n". Each empty list is taken from
// `host` (its nameservers, last search line, last options line).
std::string BuildResolvConf(absl::string_view host,
                            const std::vector<std::string>& dns,
                            const std::vector<std::string>& search,
                            const std::vector<std::string>& options);

// The nameservers of a resolv.conf, as resolvconf.GetNameservers finds them
// (valid IPv4 or IPv6 addresses only).
std::vector<std::string> ResolvNameservers(absl::string_view conf);

// Writes the files above into containers/<c.id>/ under `root` and sets
// c.hostname_path, c.hosts_path, c.resolv_conf_path and (for the json-file
// log driver) c.log_path. Unimplemented for --network container:<id>.
absl::Status WriteStartFiles(const std::string& root, Container& c,
                             const StartFilesOptions& options);

}  // namespace mydocker::container

#endif  // MYDOCKER_LIB_CONTAINER_START_FILES_H_
