#include "lib/registry/config.h"

#include <arpa/inet.h>
#include <stdlib.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "nlohmann/json.hpp"

namespace mydocker::registry {
namespace {

using nlohmann::json;

constexpr absl::string_view kDockerHubKey = "https://index.docker.io/v1/";
constexpr absl::string_view kDockerHubRegistry = "registry-1.docker.io";
constexpr size_t kMaxConfigBytes = 1 << 20;

absl::StatusOr<json> LoadJson(const std::string& path) {
  absl::StatusOr<std::string> text = base::ReadFile(path, kMaxConfigBytes);
  if (absl::IsNotFound(text.status())) return json::object();
  if (!text.ok()) return text.status();
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a JSON object"));
  }
  return j;
}

// "host" part of "host[:port]", without IPv6 brackets.
std::string HostOnly(absl::string_view host) {
  if (absl::StartsWith(host, "[")) {
    size_t end = host.find(']');
    return std::string(host.substr(1, end == absl::string_view::npos ? end : end - 1));
  }
  return std::string(host.substr(0, host.rfind(':')));
}

bool InCidr(const std::string& ip, absl::string_view cidr) {
  size_t slash = cidr.find('/');
  if (slash == absl::string_view::npos) return false;
  int bits;
  if (!absl::SimpleAtoi(cidr.substr(slash + 1), &bits) || bits < 0 || bits > 32) {
    return false;
  }
  in_addr net{}, addr{};
  if (inet_pton(AF_INET, std::string(cidr.substr(0, slash)).c_str(), &net) != 1 ||
      inet_pton(AF_INET, ip.c_str(), &addr) != 1) {
    return false;
  }
  uint32_t mask = bits == 0 ? 0 : htonl(~uint32_t{0} << (32 - bits));
  return (net.s_addr & mask) == (addr.s_addr & mask);
}

}  // namespace

absl::StatusOr<RegistryConfig> RegistryConfig::Load(const std::string& path) {
  ASSIGN_OR_RETURN(json j, LoadJson(path));
  RegistryConfig c;
  auto strings = [&](const char* key,
                     std::vector<std::string>* out) -> absl::Status {
    auto it = j.find(key);
    if (it == j.end()) return absl::OkStatus();
    if (!it->is_array()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": \"", key, "\" must be a list of strings"));
    }
    for (const json& v : *it) {
      if (!v.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": \"", key, "\" must be a list of strings"));
      }
      out->push_back(v.get<std::string>());
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(strings("registry-mirrors", &c.mirrors));
  RETURN_IF_ERROR(strings("insecure-registries", &c.insecure));
  for (std::string& m : c.mirrors) {
    while (absl::EndsWith(m, "/")) m.pop_back();
    std::string lower = absl::AsciiStrToLower(m);
    if (!(absl::StartsWith(lower, "http://") || absl::StartsWith(lower, "https://")) ||
        UrlHost(m).empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": registry mirror \"", m, "\" is not an http(s) URL"));
    }
  }
  if (auto it = j.find("max-concurrent-downloads"); it != j.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 ||
        it->get<int64_t>() > 64) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": \"max-concurrent-downloads\" must be an integer from 1 to 64"));
    }
    c.max_concurrent_downloads = it->get<int>();
  }
  if (const char* t = getenv("MYDOCKER_REGISTRY_TIMEOUT"); t != nullptr && *t != '\0') {
    if (!absl::SimpleAtoi(t, &c.stall_timeout_seconds) || c.stall_timeout_seconds < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "MYDOCKER_REGISTRY_TIMEOUT=", t, ": want a number of seconds >= 1"));
    }
  }
  return c;
}

HttpOptions RegistryConfig::HttpClientOptions() const {
  HttpOptions o;
  o.low_speed_seconds = stall_timeout_seconds;
  o.connect_timeout_ms = std::min<long>(15000, stall_timeout_seconds * 1000L);
  return o;
}

std::string DaemonConfigPath() {
  const char* env = getenv("MYDOCKER_DAEMON_CONFIG");
  return env != nullptr && *env != '\0' ? env : "/etc/mydocker/daemon.json";
}

bool IsInsecure(absl::string_view host, const RegistryConfig& config) {
  std::string h = absl::AsciiStrToLower(host);
  std::string bare = HostOnly(h);
  // Docker treats loopback registries as insecure without being told.
  if (bare == "localhost" || bare == "::1" || InCidr(bare, "127.0.0.0/8")) {
    return true;
  }
  for (const std::string& entry : config.insecure) {
    std::string e = absl::AsciiStrToLower(entry);
    if (e == h || e == bare || InCidr(bare, e)) return true;
  }
  return false;
}

std::vector<Endpoint> EndpointsFor(absl::string_view domain,
                                   const RegistryConfig& config) {
  std::vector<Endpoint> out;
  if (domain == "docker.io") {
    for (const std::string& m : config.mirrors) {
      std::string host = UrlHost(m);
      out.push_back({m, host, IsInsecure(host, config), /*mirror=*/true});
    }
    out.push_back({absl::StrCat("https://", kDockerHubRegistry),
                   std::string(kDockerHubRegistry), false, false});
    return out;
  }
  std::string host = absl::AsciiStrToLower(domain);
  if (IsInsecure(host, config)) {
    out.push_back({absl::StrCat("https://", host), host, true, false});
    out.push_back({absl::StrCat("http://", host), host, true, false});
  } else {
    out.push_back({absl::StrCat("https://", host), host, false, false});
  }
  return out;
}

std::string ClientConfigPath() {
  const char* dir = getenv("DOCKER_CONFIG");
  if (dir != nullptr && *dir != '\0') return absl::StrCat(dir, "/config.json");
  const char* home = getenv("HOME");
  return absl::StrCat(home != nullptr && *home != '\0' ? home : "/root",
                      "/.docker/config.json");
}

std::string CredentialKey(absl::string_view domain) {
  if (domain == "docker.io" || domain == "index.docker.io" ||
      domain == kDockerHubRegistry) {
    return std::string(kDockerHubKey);
  }
  return absl::AsciiStrToLower(domain);
}

absl::StatusOr<std::optional<Credentials>> LoadCredentials(
    const std::string& config_path, absl::string_view domain) {
  ASSIGN_OR_RETURN(json j, LoadJson(config_path));
  auto auths = j.find("auths");
  if (auths == j.end() || !auths->is_object()) return std::nullopt;
  std::string key = CredentialKey(domain);
  // Docker also accepts entries spelled as URLs ("https://host/").
  for (auto it = auths->begin(); it != auths->end(); ++it) {
    absl::string_view k = it.key();
    absl::ConsumePrefix(&k, "https://") || absl::ConsumePrefix(&k, "http://");
    while (absl::ConsumeSuffix(&k, "/")) {
    }
    if (it.key() != key && k != key) continue;
    if (!it->is_object()) continue;
    auto auth = it->find("auth");
    if (auth == it->end() || !auth->is_string()) continue;
    std::string decoded;
    if (!absl::Base64Unescape(auth->get<std::string>(), &decoded) ||
        decoded.find(':') == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          config_path, ": the credentials for ", key, " are not base64(user:password)"));
    }
    size_t colon = decoded.find(':');
    return Credentials{decoded.substr(0, colon), decoded.substr(colon + 1)};
  }
  return std::nullopt;
}

absl::Status StoreCredentials(const std::string& config_path,
                              absl::string_view domain,
                              const std::optional<Credentials>& credentials) {
  ASSIGN_OR_RETURN(json j, LoadJson(config_path));
  json& auths = j["auths"];
  if (!auths.is_object()) auths = json::object();
  std::string key = CredentialKey(domain);
  if (credentials) {
    auths[key] = {{"auth", absl::Base64Escape(absl::StrCat(
                               credentials->username, ":", credentials->password))}};
  } else {
    auths.erase(key);
  }
  RETURN_IF_ERROR(base::MakeDirs(base::Dirname(config_path), 0700));
  return base::WriteFileAtomic(config_path, j.dump(1, '\t') + "\n", 0600);
}

}  // namespace mydocker::registry
