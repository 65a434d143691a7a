// Registry settings and credentials, in Docker's own files:
//
//  * daemon.json (default /etc/mydocker/daemon.json, or $MYDOCKER_DAEMON_CONFIG),
//    the keys dockerd reads: "registry-mirrors", "insecure-registries",
//    "max-concurrent-downloads".
//  * the client's config.json ($DOCKER_CONFIG/config.json, default
//    ~/.docker/config.json), "auths": {"<registry>": {"auth": base64(user:pass)}},
//    written by `mydocker login` as by `docker login`.
//
//   ASSIGN_OR_RETURN(RegistryConfig cfg, RegistryConfig::Load(DaemonConfigPath()));
//   for (const Endpoint& ep : EndpointsFor("docker.io", cfg)) ...  // mirrors first
#ifndef MYDOCKER_LIB_REGISTRY_CONFIG_H_
#define MYDOCKER_LIB_REGISTRY_CONFIG_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/registry/client.h"
#include "lib/registry/http.h"

namespace mydocker::registry {

struct RegistryConfig {
  std::vector<std::string> mirrors;   // Base URLs, no trailing slash.
  std::vector<std::string> insecure;  // "host[:port]" or IPv4 CIDRs.
  int max_concurrent_downloads = 3;
  // A transfer that moves no byte for this long is abandoned (and retried):
  // a stalled registry fails instead of hanging. $MYDOCKER_REGISTRY_TIMEOUT.
  int stall_timeout_seconds = 30;

  // HTTP client options that follow these settings.
  HttpOptions HttpClientOptions() const;

  // Reads `path`; a missing file gives the defaults. InvalidArgument naming
  // the file and key for bad JSON or a bad value (a mirror that is not an
  // http(s) URL, a non-positive download count).
  static absl::StatusOr<RegistryConfig> Load(const std::string& path);
};

// $MYDOCKER_DAEMON_CONFIG, or /etc/mydocker/daemon.json.
std::string DaemonConfigPath();

// The endpoints to try, in order, for images whose reference domain is
// `domain`: for docker.io the mirrors then registry-1.docker.io; for an
// insecure registry (listed, or on a loopback address as Docker assumes)
// https without verification then plain http; otherwise https.
std::vector<Endpoint> EndpointsFor(absl::string_view domain,
                                   const RegistryConfig& config);

// Whether `host` ("host[:port]") is insecure under `config`.
bool IsInsecure(absl::string_view host, const RegistryConfig& config);

// $DOCKER_CONFIG/config.json, or $HOME/.docker/config.json.
std::string ClientConfigPath();

// The key Docker files credentials under: "https://index.docker.io/v1/" for
// docker.io, the host[:port] otherwise.
std::string CredentialKey(absl::string_view domain);

// The stored credentials for `domain`, if any. A missing file is no
// credentials; a malformed one is InvalidArgument naming it.
absl::StatusOr<std::optional<Credentials>> LoadCredentials(
    const std::string& config_path, absl::string_view domain);

// Stores (or with nullopt, removes) the credentials for `domain`, keeping
// every other key of the file. The file is written atomically, mode 0600.
absl::Status StoreCredentials(const std::string& config_path,
                              absl::string_view domain,
                              const std::optional<Credentials>& credentials);

}  // namespace mydocker::registry

#endif  // MYDOCKER_LIB_REGISTRY_CONFIG_H_
