#include "lib/container/start_files.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/container/layout.h"
#include "lib/digest/digest.h"
#include "re2/re2.h"

namespace mydocker::container {
namespace {

// libnetwork's resolvconf patterns, verbatim: RE2 is Go's regexp. Latin-1,
// so that a stray byte in the host's file cannot make a pattern fail.
const RE2* Compile(const char* pattern) {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  return new RE2(pattern, options);
}

#define IPV4_BLOCK "(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)"
#define IPV4_ADDRESS "(" IPV4_BLOCK "\\.){3}" IPV4_BLOCK
#define IPV6_ADDRESS "([0-9A-Fa-f]{0,4}:){2,7}([0-9A-Fa-f]{0,4})(%\\w+)?"
#define IP_LOCALHOST "((127\\.([0-9]{1,3}\\.){2}[0-9]{1,3})|(::1)$)"

const RE2& LocalhostNs() {
  static const RE2& re =
      *Compile("(?m)^nameserver\\s+" IP_LOCALHOST "\\s*\\n*");
  return re;
}
const RE2& Ipv6Ns() {
  static const RE2& re =
      *Compile("(?m)^nameserver\\s+" IPV6_ADDRESS "\\s*\\n*");
  return re;
}
const RE2& Ns() {
  static const RE2& re = *Compile("^\\s*nameserver\\s*((" IPV4_ADDRESS
                                  ")|(" IPV6_ADDRESS "))\\s*$");
  return re;
}
const RE2& Search() {
  static const RE2& re = *Compile("^\\s*search\\s*(([^\\s]+\\s*)*)$");
  return re;
}
const RE2& Options() {
  static const RE2& re = *Compile("^\\s*options\\s*(([^\\s]+\\s*)*)$");
  return re;
}

re2::StringPiece Piece(absl::string_view s) {
  return re2::StringPiece(s.data(), s.size());
}

// resolvconf's getLines: split at "\n", each cut at its first "#".
std::vector<std::string> Lines(absl::string_view conf) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(conf, '\n')) {
    out.emplace_back(line.substr(0, line.find('#')));
  }
  return out;
}

// The fields of the last line `re` matches (GetSearchDomains, GetOptions).
std::vector<std::string> LastFields(absl::string_view conf, const RE2& re) {
  std::vector<std::string> out;
  for (const std::string& line : Lines(conf)) {
    std::string rest;
    if (RE2::FullMatch(Piece(line), re, &rest)) {
      out = absl::StrSplit(rest, absl::ByAnyChar(" \t\r\n\f\v"),
                           absl::SkipEmpty());
    }
  }
  return out;
}

absl::Status WritePlain(const std::string& path, absl::string_view data) {
  ASSIGN_OR_RETURN(base::UniqueFd fd,
                   base::OpenFile(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
  RETURN_IF_ERROR(base::WriteAll(fd.get(), data, path));
  if (fchmod(fd.get(), 0644) < 0)
    return base::ErrnoStatus(errno, "chmod ", path);
  return absl::OkStatus();
}

// The host file to read: resolvconf.Path().
std::string HostResolvConfPath(const StartFilesOptions& o) {
  absl::StatusOr<std::string> conf =
      base::ReadFile(o.host_resolv_conf, 1 << 20);
  if (conf.ok()) {
    std::vector<std::string> ns = ResolvNameservers(*conf);
    if (ns.size() == 1 && ns[0] == "127.0.0.53") return o.systemd_resolv_conf;
  }
  return o.host_resolv_conf;
}

// The host's file, or "" if it does not exist (dockerd goes on without).
absl::StatusOr<std::string> ReadHostFile(const std::string& path) {
  absl::StatusOr<std::string> s = base::ReadFile(path, 1 << 20);
  if (absl::IsNotFound(s.status())) return std::string();
  return s;
}

const std::vector<std::string>& Or(const StringList& l) {
  static const std::vector<std::string>* kNone = new std::vector<std::string>;
  return l ? *l : *kNone;
}

}  // namespace

absl::StatusOr<std::string> BuildHostsFile(
    absl::string_view hostname, absl::string_view domainname,
    const std::vector<std::string>& extra_hosts,
    const std::vector<std::string>& ips) {
  std::string out =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "ff00::0\tip6-mcastprefix\n"
      "ff02::1\tip6-allnodes\n"
      "ff02::2\tip6-allrouters\n";
  for (const std::string& e : extra_hosts) {
    size_t colon = e.find(':');
    if (colon == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid extra host \"", e, "\": want name:ip"));
    }
    absl::StrAppend(&out, e.substr(colon + 1), "\t", e.substr(0, colon), "\n");
  }
  std::string fqdn(hostname);
  if (!domainname.empty()) absl::StrAppend(&fqdn, ".", domainname);
  std::string names(hostname);
  if (size_t dot = fqdn.find('.'); dot != std::string::npos) {
    names = absl::StrCat(fqdn, " ", fqdn.substr(0, dot));
  }
  for (const std::string& ip : ips)
    absl::StrAppend(&out, ip, "\t", names, "\n");
  return out;
}

std::string FilterResolvConf(absl::string_view host, bool ipv6) {
  std::string out(host);
  RE2::GlobalReplace(&out, LocalhostNs(), "");
  if (!ipv6) RE2::GlobalReplace(&out, Ipv6Ns(), "");
  if (ResolvNameservers(out).empty()) {
    out += "\nnameserver 8.8.8.8\nnameserver 8.8.4.4";
    if (ipv6) {
      out +=
          "\nnameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844";
    }
  }
  return out;
}

std::string ContainerResolvConf(absl::string_view host) {
  return FilterResolvConf(FilterResolvConf(host, true), false);
}

std::string BuildResolvConf(absl::string_view host,
                            const std::vector<std::string>& dns,
                            const std::vector<std::string>& search,
                            const std::vector<std::string>& options) {
  std::vector<std::string> ns = dns.empty() ? ResolvNameservers(host) : dns;
  std::vector<std::string> s =
      search.empty() ? LastFields(host, Search()) : search;
  std::vector<std::string> o =
      options.empty() ? LastFields(host, Options()) : options;
  std::string out;
  if (!s.empty()) {
    std::string joined = absl::StrJoin(s, " ");
    if (absl::StripAsciiWhitespace(joined) != ".") {
      absl::StrAppend(&out, "search ", joined, "\n");
    }
  }
  for (const std::string& n : ns) absl::StrAppend(&out, "nameserver ", n, "\n");
  if (!o.empty()) {
    std::string joined = absl::StrJoin(o, " ");
    if (!absl::StripAsciiWhitespace(joined).empty()) {
      absl::StrAppend(&out, "options ", joined, "\n");
    }
  }
  return out;
}

std::vector<std::string> ResolvNameservers(absl::string_view conf) {
  std::vector<std::string> out;
  for (const std::string& line : Lines(conf)) {
    std::string ns;
    if (RE2::FullMatch(Piece(line), Ns(), &ns)) out.push_back(ns);
  }
  return out;
}

absl::Status WriteStartFiles(const std::string& root, Container& c,
                             const StartFilesOptions& options) {
  const HostConfig& h = c.host_config;
  if (absl::StartsWith(h.network_mode, "container:")) {
    return absl::UnimplementedError(
        absl::StrCat("container ", c.id, ": network mode ", h.network_mode,
                     " is not supported"));
  }
  const bool host_net = h.network_mode == "host";
  const std::string dir = ContainerDir(root, c.id);
  c.hostname_path = dir + "/hostname";
  c.hosts_path = dir + "/hosts";
  c.resolv_conf_path = dir + "/resolv.conf";

  // hosts (dockerd writes it first, with the network sandbox).
  std::string hosts;
  if (host_net && Or(h.extra_hosts).empty()) {
    ASSIGN_OR_RETURN(hosts, ReadHostFile(options.host_hosts));
  } else {
    ASSIGN_OR_RETURN(
        hosts,
        BuildHostsFile(
            c.config.hostname, c.config.domainname, Or(h.extra_hosts),
            host_net ? std::vector<std::string>{} : options.container_ips));
  }
  RETURN_IF_ERROR(WritePlain(c.hosts_path, hosts));

  // resolv.conf and its hash.
  const bool dns_options = !Or(h.dns).empty() || !Or(h.dns_search).empty() ||
                           !Or(h.dns_options).empty();
  std::string resolv;
  if (host_net && !dns_options) {
    ASSIGN_OR_RETURN(resolv, ReadHostFile(options.host_resolv_conf));
    RETURN_IF_ERROR(WritePlain(c.resolv_conf_path, resolv));
    std::string hash = c.resolv_conf_path + ".hash";
    if (unlink(hash.c_str()) < 0 && errno != ENOENT) {
      return base::ErrnoStatus(errno, "remove ", hash);
    }
  } else {
    ASSIGN_OR_RETURN(std::string host,
                     ReadHostFile(HostResolvConfPath(options)));
    resolv = dns_options ? BuildResolvConf(host, Or(h.dns), Or(h.dns_search),
                                           Or(h.dns_options))
                         : ContainerResolvConf(host);
    RETURN_IF_ERROR(WritePlain(c.resolv_conf_path, resolv));
    RETURN_IF_ERROR(base::WriteFileAtomic(
        c.resolv_conf_path + ".hash", digest::Digest::Of(resolv).str(), 0644,
        base::Durability::kAtomicOnly));
  }

  RETURN_IF_ERROR(WritePlain(c.hostname_path, c.config.hostname + "\n"));
  RETURN_IF_ERROR(base::MakeDirs(dir + "/mounts", 0710));

  if (h.log_config.type.empty() || h.log_config.type == "json-file") {
    c.log_path = absl::StrCat(dir, "/", c.id, "-json.log");
    int fd = open(c.log_path.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0640);
    if (fd >= 0) {
      base::UniqueFd owned(fd);
      if (fchmod(fd, 0640) < 0) {
        return base::ErrnoStatus(errno, "chmod ", c.log_path);
      }
    } else if (errno != EEXIST) {
      return base::ErrnoStatus(errno, "create ", c.log_path);
    }
  }
  return absl::OkStatus();
}

}  // namespace mydocker::container
