#include "lib/container/start_files.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

namespace mydocker::container {
namespace {

// libnetwork's resolvconf patterns (Go regexps), matched by hand: compiling
// them with RE2 cost every start about 0.4 ms. start_files_test checks these
// against the patterns themselves:
//   IPV4_BLOCK   (25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)
//   IPV4_ADDRESS (IPV4_BLOCK\.){3}IPV4_BLOCK
//   IPV6_ADDRESS ([0-9A-Fa-f]{0,4}:){2,7}([0-9A-Fa-f]{0,4})(%\w+)?
//   IP_LOCALHOST ((127\.([0-9]{1,3}\.){2}[0-9]{1,3})|(::1)$)
//   localhost    (?m)^nameserver\s+IP_LOCALHOST\s*\n*
//   ipv6         (?m)^nameserver\s+IPV6_ADDRESS\s*\n*
//   nameserver   ^\s*nameserver\s*((IPV4_ADDRESS)|(IPV6_ADDRESS))\s*$
//   search       ^\s*search\s*(([^\s]+\s*)*)$
//   options      ^\s*options\s*(([^\s]+\s*)*)$
// Bytes, not UTF-8, as Go's regexps on a file's bytes: \s is [\t\n\f\r ].

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool IsWord(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         c == '_';
}

// Where the run of chars `in` starting at `i` (at most `max` of them) ends.
template <typename Pred>
size_t Skip(absl::string_view s, size_t i, Pred in, size_t max = SIZE_MAX) {
  size_t n = 0;
  while (i < s.size() && n < max && in(s[i])) ++i, ++n;
  return i;
}

// IPV4_BLOCK, all of `b`.
bool IsIpv4Block(absl::string_view b) {
  if (b.empty() || b.size() > 3) return false;
  for (char c : b) {
    if (!IsDigit(c)) return false;
  }
  if (b.size() < 3 || b[0] <= '1') return true;
  return b[0] == '2' && (b[1] <= '4' || (b[1] == '5' && b[2] <= '5'));
}

// IPV4_ADDRESS, all of `s`.
bool IsIpv4(absl::string_view s) {
  std::vector<absl::string_view> blocks = absl::StrSplit(s, '.');
  if (blocks.size() != 4) return false;
  for (absl::string_view b : blocks) {
    if (!IsIpv4Block(b)) return false;
  }
  return true;
}

// IPV6_ADDRESS, all of `s`.
bool IsIpv6(absl::string_view s) {
  if (size_t pct = s.find('%'); pct != absl::string_view::npos) {
    absl::string_view zone = s.substr(pct + 1);
    if (zone.empty() || Skip(zone, 0, IsWord) != zone.size()) return false;
    s = s.substr(0, pct);
  }
  std::vector<absl::string_view> groups = absl::StrSplit(s, ':');
  if (groups.size() < 3 || groups.size() > 8) return false;
  for (absl::string_view g : groups) {
    if (g.size() > 4 || Skip(g, 0, IsHex) != g.size()) return false;
  }
  return true;
}

// After "nameserver\s+" at line start `i`: where the whitespace ends, or
// npos.
size_t AfterNameserver(absl::string_view s, size_t i) {
  constexpr absl::string_view kWord = "nameserver";
  if (s.substr(i, kWord.size()) != kWord) return absl::string_view::npos;
  i += kWord.size();
  size_t j = Skip(s, i, IsSpace);
  return j == i ? absl::string_view::npos : j;
}

// The end of the localhost pattern's match at line start `i`, or npos.
size_t LocalhostNsAt(absl::string_view s, size_t i) {
  size_t j = AfterNameserver(s, i);
  if (j == absl::string_view::npos) return j;
  size_t end = absl::string_view::npos;
  if (s.substr(j, 4) == "127.") {
    size_t k = j + 4;
    for (int group = 0; group < 3 && k != absl::string_view::npos; ++group) {
      size_t d = Skip(s, k, IsDigit, 3);
      if (d == k) {
        k = absl::string_view::npos;
      } else if (group < 2) {
        k = d < s.size() && s[d] == '.' ? d + 1 : absl::string_view::npos;
      } else {
        k = d;
      }
    }
    end = k;
  }
  if (end == absl::string_view::npos && s.substr(j, 3) == "::1" &&
      (j + 3 == s.size() || s[j + 3] == '\n')) {
    end = j + 3;
  }
  return end == absl::string_view::npos ? end : Skip(s, end, IsSpace);
}

// The end of the ipv6 pattern's match at line start `i`, or npos.
size_t Ipv6NsAt(absl::string_view s, size_t i) {
  size_t j = AfterNameserver(s, i);
  if (j == absl::string_view::npos) return j;
  int groups = 0;
  while (groups < 7) {
    size_t h = Skip(s, j, IsHex, 4);
    if (h >= s.size() || s[h] != ':') break;
    j = h + 1;
    ++groups;
  }
  if (groups < 2) return absl::string_view::npos;
  j = Skip(s, j, IsHex, 4);
  if (j + 1 < s.size() && s[j] == '%' && IsWord(s[j + 1])) {
    j = Skip(s, j + 1, IsWord);
  }
  return Skip(s, j, IsSpace);
}

// GlobalReplace(s, pattern, "") for a pattern anchored at line starts
// ((?m)^...) whose match at line start i ends at match_at(s, i) (npos: no
// match there).
std::string RemoveMatches(absl::string_view s,
                          size_t (*match_at)(absl::string_view, size_t)) {
  std::string out;
  size_t kept = 0;  // s[kept, i) is still to be copied.
  size_t i = 0;
  while (true) {
    if (i == 0 || s[i - 1] == '\n') {
      if (size_t end = match_at(s, i); end != absl::string_view::npos) {
        absl::StrAppend(&out, s.substr(kept, i - kept));
        kept = i = end;
        continue;
      }
    }
    size_t nl = s.find('\n', i);
    if (nl == absl::string_view::npos) break;
    i = nl + 1;
  }
  absl::StrAppend(&out, s.substr(kept));
  return out;
}

// What follows "^\s*<word>" in `line`, or nullopt.
std::optional<absl::string_view> AfterKeyword(absl::string_view line,
                                              absl::string_view word) {
  line.remove_prefix(Skip(line, 0, IsSpace));
  if (!absl::ConsumePrefix(&line, word)) return std::nullopt;
  return line;
}

// The address of a nameserver line, or nullopt.
std::optional<std::string> NameserverOf(absl::string_view line) {
  std::optional<absl::string_view> rest = AfterKeyword(line, "nameserver");
  if (!rest) return std::nullopt;
  rest->remove_prefix(Skip(*rest, 0, IsSpace));
  while (!rest->empty() && IsSpace(rest->back())) rest->remove_suffix(1);
  if (!IsIpv4(*rest) && !IsIpv6(*rest)) return std::nullopt;
  return std::string(*rest);
}

// resolvconf's getLines: split at "\n", each cut at its first "#".
std::vector<std::string> Lines(absl::string_view conf) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(conf, '\n')) {
    out.emplace_back(line.substr(0, line.find('#')));
  }
  return out;
}

// The fields of the last line that starts with `keyword` (GetSearchDomains,
// GetOptions).
std::vector<std::string> LastFields(absl::string_view conf,
                                    absl::string_view keyword) {
  std::vector<std::string> out;
  for (const std::string& line : Lines(conf)) {
    if (std::optional<absl::string_view> rest = AfterKeyword(line, keyword)) {
      out = absl::StrSplit(*rest, absl::ByAnyChar(" \t\r\n\f\v"),
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
  std::string out = RemoveMatches(host, LocalhostNsAt);
  if (!ipv6) out = RemoveMatches(out, Ipv6NsAt);
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
      search.empty() ? LastFields(host, "search") : search;
  std::vector<std::string> o =
      options.empty() ? LastFields(host, "options") : options;
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
    if (std::optional<std::string> ns = NameserverOf(line)) {
      out.push_back(*std::move(ns));
    }
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
