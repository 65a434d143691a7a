// A client for one repository on one registry endpoint (Docker Registry HTTP
// API v2 / OCI distribution): manifests and blobs, with authentication,
// redirects and retries handled here.
//
//   Endpoint ep = ...;                      // from EndpointsFor()
//   Repository repo(ep, "library/nginx", creds);
//   HttpClient http;                        // one per thread
//   ASSIGN_OR_RETURN(FetchedManifest m, repo.GetManifest(http, "latest"));
//   RETURN_IF_ERROR(repo.FetchBlob(http, layer_digest, sink));
//
// Authentication follows the 401 challenge: Bearer (a token from the realm,
// anonymous or with the credentials, reused until it expires, shared by every
// thread using this Repository) or Basic. Redirects (Docker Hub sends blobs
// to a CDN) are followed for http(s) only, and credentials are never sent to
// a host other than the endpoint's. 5xx answers and dropped connections are
// retried with backoff while no byte has reached the caller.
#ifndef MYDOCKER_LIB_REGISTRY_CLIENT_H_
#define MYDOCKER_LIB_REGISTRY_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/digest/digest.h"
#include "lib/registry/http.h"

namespace mydocker::registry {

// Where to reach a registry.
struct Endpoint {
  std::string base_url;  // "https://registry-1.docker.io", "http://127.0.0.1:5000"
  std::string host;      // "registry-1.docker.io", "127.0.0.1:5000"
  bool insecure_tls = false;  // Do not verify the certificate.
  bool mirror = false;        // A mirror of docker.io, not the registry itself.
};

struct Credentials {
  std::string username;
  std::string password;
};

struct FetchedManifest {
  std::string bytes;         // Exactly as received.
  std::string content_type;  // The Content-Type header.
  digest::Digest digest;     // sha256 of `bytes`.
};

struct RetryPolicy {
  int attempts = 4;             // Tries per request, the first included.
  int first_backoff_ms = 200;   // Doubled after each failed try.
};

class Repository {
 public:
  Repository(Endpoint endpoint, std::string path,
             std::optional<Credentials> credentials, RetryPolicy retry = {});

  // Fetches the manifest (or index) for a tag or a digest string. When
  // `reference` is a digest, the bytes must hash to it (DataLoss if not).
  // Refuses bodies over 4 MiB.
  absl::StatusOr<FetchedManifest> GetManifest(HttpClient& http,
                                              absl::string_view reference);

  // Streams blob `digest` to `sink`. Does NOT verify the digest: the caller
  // hashes while it consumes, so the bytes are read once.
  absl::Status FetchBlob(HttpClient& http, const digest::Digest& digest,
                         const std::function<absl::Status(absl::string_view)>& sink);

  // GET /v2/: checks the endpoint answers as a registry (any of 200 or 401).
  absl::Status Ping(HttpClient& http);

  // GET /v2/ authenticated with the credentials (a token without a
  // repository scope for Bearer), as `login` checks them: Unauthenticated if
  // the registry refuses them. Construct with an empty path for this.
  absl::Status CheckLogin(HttpClient& http);

  const Endpoint& endpoint() const { return endpoint_; }
  const std::string& path() const { return path_; }

  // Set while the caller has another endpoint to try if this one fails (the
  // https try of an insecure registry, before http; a mirror, before the
  // next): a transport failure that another try would only repeat (a
  // plain-HTTP server's answer to a TLS handshake: IsRetryable) then fails
  // at once instead of after every backoff. Otherwise such failures are
  // retried like any other (a handshake reset by a proxy may pass).
  void set_fallback_follows(bool v) { fallback_follows_ = v; }

 private:
  struct AuthState;

  // Sends `req` with authentication, redirects and retries. `what` names the
  // object in errors ("manifest latest"). Non-2xx answers become errors.
  absl::StatusOr<HttpResponse> Send(
      HttpClient& http, HttpRequest req, absl::string_view what,
      const std::function<absl::Status(absl::string_view)>* sink);
  // Answers a 401's challenge: fetches a token or prepares Basic auth.
  absl::Status Authenticate(HttpClient& http, const HttpResponse& challenge);

  Endpoint endpoint_;
  std::string path_;
  std::optional<Credentials> credentials_;
  RetryPolicy retry_;
  bool fallback_follows_ = false;
  std::shared_ptr<AuthState> auth_;
};

// Turns a non-2xx registry answer into a Status naming `host` and `what`,
// with the registry's own error message if it sent one (401 ->
// Unauthenticated, 403 -> PermissionDenied, 404 -> NotFound, 429 ->
// ResourceExhausted, 5xx -> Unavailable).
absl::Status StatusFromResponse(const HttpResponse& resp,
                                absl::string_view host, absl::string_view what);

// Resolves `location` (a Location header, maybe relative) against `base`.
// InvalidArgument unless the result is http or https.
absl::StatusOr<std::string> ResolveRedirect(absl::string_view base,
                                            absl::string_view location);

// "host[:port]" of an absolute http(s) URL, lower-cased; "" if unparsable.
std::string UrlHost(absl::string_view url);

}  // namespace mydocker::registry

#endif  // MYDOCKER_LIB_REGISTRY_CLIENT_H_
