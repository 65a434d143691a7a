// A small HTTP client on libcurl for talking to registries.
//
// One HttpClient per thread (each owns a curl easy handle, kept alive so its
// connections are reused); all clients share one connection and DNS cache,
// so a manifest request and the blob downloads after it reuse connections.
// Redirects are NOT followed here: the registry client decides (it must not
// send credentials to another host).
//
//   HttpClient http;
//   ASSIGN_OR_RETURN(HttpResponse r, http.Do({.url = "https://host/v2/"}));
//   if (r.status == 401) ... r.Header("www-authenticate")
//   // Large bodies go to a sink as they arrive:
//   http.Stream(req, [&](absl::string_view chunk) { return Consume(chunk); });
#ifndef MYDOCKER_LIB_REGISTRY_HTTP_H_
#define MYDOCKER_LIB_REGISTRY_HTTP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::registry {

struct HttpRequest {
  std::string method = "GET";  // "GET" or "HEAD".
  std::string url;
  std::vector<std::string> headers;  // "Name: value".
  // Skip TLS certificate verification (insecure-registries only).
  bool insecure_tls = false;
  // Buffered bodies larger than this fail with ResourceExhausted.
  size_t max_body = 4 << 20;
};

struct HttpResponse {
  long status = 0;
  // Header names lower-cased; values trimmed. Only the final response's.
  std::multimap<std::string, std::string> headers;
  std::string body;  // Empty when the body went to a sink.

  // The first value of header `name` (lower case), or "".
  std::string Header(absl::string_view name) const;
};

struct HttpOptions {
  long connect_timeout_ms = 15000;
  // A transfer during which no byte moves for `low_speed_seconds` is
  // abandoned (a stalled server): Unavailable, "stalled".
  long low_speed_seconds = 30;
  std::string user_agent = "mydocker";
};

// False for a transport failure that another try would only repeat: the
// server does not speak TLS (a plain-HTTP registry tried over https), its
// certificate does not verify, the URL or protocol is unusable, the host
// name does not resolve. True for the rest (refused, reset, timed out,
// stalled), which may pass. Only meaningful for HttpClient's Unavailable
// errors.
bool IsRetryable(const absl::Status& transport_error);

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs `req` and buffers the body. A transport failure (refused,
  // reset, timed out, TLS) is Unavailable naming the method and URL (see
  // IsRetryable); any HTTP status is a successful result for the caller to
  // judge.
  absl::StatusOr<HttpResponse> Do(const HttpRequest& req);

  // Like Do, but a 2xx body is passed to `sink` chunk by chunk as it arrives
  // (other statuses are buffered as in Do). If the sink fails, the transfer
  // stops and its status is returned. `*streamed` (if given) counts the bytes
  // handed to the sink, so a caller knows whether a retry is still clean.
  absl::StatusOr<HttpResponse> Stream(
      const HttpRequest& req,
      const std::function<absl::Status(absl::string_view)>& sink,
      uint64_t* streamed = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mydocker::registry

#endif  // MYDOCKER_LIB_REGISTRY_HTTP_H_
