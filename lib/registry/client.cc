#include "lib/registry/client.h"

#include <curl/curl.h>
#include <time.h>
#include <unistd.h>

#include <mutex>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/log.h"
#include "lib/base/status_macros.h"
#include "lib/manifest/manifest.h"
#include "lib/registry/challenge.h"
#include "lib/registry/curl_api.h"
#include "nlohmann/json.hpp"

namespace mydocker::registry {
namespace {

using nlohmann::json;

constexpr int kMaxRedirects = 10;
constexpr size_t kMaxTokenBytes = 1 << 20;
constexpr int64_t kDefaultTokenSeconds = 60;

int64_t NowSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

std::unique_ptr<CURLU, void (*)(CURLU*)> NewUrl() {
  return {Curl().url(), Curl().url_cleanup};
}

bool IsTransient(const HttpResponse& r) {
  return r.status >= 500 && r.status <= 599;
}

// What a registry says in its error document, if anything:
// {"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}.
std::string RegistryMessage(const std::string& body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return "";
  auto errors = j.find("errors");
  if (errors == j.end() || !errors->is_array()) return "";
  std::vector<std::string> parts;
  for (const json& e : *errors) {
    if (!e.is_object()) continue;
    auto msg = e.find("message");
    auto code = e.find("code");
    if (msg != e.end() && msg->is_string()) {
      parts.push_back(msg->get<std::string>());
    } else if (code != e.end() && code->is_string()) {
      parts.push_back(absl::AsciiStrToLower(code->get<std::string>()));
    }
  }
  return absl::StrJoin(parts, "; ");
}

}  // namespace

std::string UrlHost(absl::string_view url) {
  auto u = NewUrl();
  if (Curl().url_set(u.get(), CURLUPART_URL, std::string(url).c_str(), 0) != CURLUE_OK) {
    return "";
  }
  char* host = nullptr;
  char* port = nullptr;
  std::string out;
  if (Curl().url_get(u.get(), CURLUPART_HOST, &host, 0) == CURLUE_OK) {
    out = absl::AsciiStrToLower(host);
    if (Curl().url_get(u.get(), CURLUPART_PORT, &port, 0) == CURLUE_OK) {
      absl::StrAppend(&out, ":", port);
    }
  }
  Curl().free(host);
  Curl().free(port);
  return out;
}

absl::StatusOr<std::string> ResolveRedirect(absl::string_view base,
                                            absl::string_view location) {
  auto u = NewUrl();
  if (Curl().url_set(u.get(), CURLUPART_URL, std::string(base).c_str(), 0) != CURLUE_OK ||
      Curl().url_set(u.get(), CURLUPART_URL, std::string(location).c_str(), 0) != CURLUE_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad redirect location \"", absl::CHexEscape(location), "\""));
  }
  char* scheme = nullptr;
  char* full = nullptr;
  Curl().url_get(u.get(), CURLUPART_SCHEME, &scheme, 0);
  Curl().url_get(u.get(), CURLUPART_URL, &full, 0);
  std::string s = scheme ? absl::AsciiStrToLower(scheme) : "";
  std::string out = full ? full : "";
  Curl().free(scheme);
  Curl().free(full);
  if (s != "http" && s != "https") {
    return absl::InvalidArgumentError(absl::StrCat(
        "redirect to a non-http(s) URL refused: \"", absl::CHexEscape(location), "\""));
  }
  return out;
}

absl::Status StatusFromResponse(const HttpResponse& resp,
                                absl::string_view host, absl::string_view what) {
  std::string detail = RegistryMessage(resp.body);
  auto with = [&](absl::string_view text) {
    return detail.empty() ? absl::StrCat(what, " on ", host, ": ", text)
                          : absl::StrCat(what, " on ", host, ": ", text, ": ",
                                         detail);
  };
  switch (resp.status) {
    case 401:
      return absl::UnauthenticatedError(
          with("unauthorized (log in with 'mydocker login', or check the "
               "credentials)"));
    case 403:
      return absl::PermissionDeniedError(with("access denied"));
    case 404:
      return absl::NotFoundError(with("not found"));
    case 429:
      return absl::ResourceExhaustedError(
          with("too many requests (rate limited by the registry)"));
    default:
      break;
  }
  if (IsTransient(resp)) {
    return absl::UnavailableError(
        with(absl::StrCat("server error (HTTP ", resp.status, ")")));
  }
  return absl::UnknownError(
      with(absl::StrCat("unexpected HTTP status ", resp.status)));
}

struct Repository::AuthState {
  std::mutex mu;
  std::string authorization;  // The full header value, or "".
  int64_t expires = 0;        // Monotonic seconds; 0 = does not expire.

  std::string Current() {
    std::lock_guard<std::mutex> l(mu);
    if (expires != 0 && NowSeconds() >= expires) authorization.clear();
    return authorization;
  }
};

Repository::Repository(Endpoint endpoint, std::string path,
                       std::optional<Credentials> credentials, RetryPolicy retry)
    : endpoint_(std::move(endpoint)),
      path_(std::move(path)),
      credentials_(std::move(credentials)),
      retry_(retry),
      auth_(std::make_shared<AuthState>()) {}

absl::Status Repository::Authenticate(HttpClient& http,
                                      const HttpResponse& challenge) {
  std::vector<Challenge> cs;
  for (auto [it, end] = challenge.headers.equal_range("www-authenticate");
       it != end; ++it) {
    std::vector<Challenge> more = ParseChallenges(it->second);
    cs.insert(cs.end(), more.begin(), more.end());
  }
  for (const Challenge& c : cs) {
    if (c.scheme == "bearer") {
      std::string realm = c.Param("realm");
      auto u = NewUrl();
      if (realm.empty() ||
          Curl().url_set(u.get(), CURLUPART_URL, realm.c_str(), 0) != CURLUE_OK) {
        return absl::UnauthenticatedError(absl::StrCat(
            endpoint_.host, ": bearer challenge without a usable realm"));
      }
      std::string scope =
          path_.empty() ? "" : absl::StrCat("repository:", path_, ":pull");
      std::vector<std::string> query;
      if (!c.Param("service").empty()) {
        query.push_back(absl::StrCat("service=", c.Param("service")));
      }
      if (!scope.empty()) query.push_back(absl::StrCat("scope=", scope));
      for (const std::string& q : query) {
        Curl().url_set(u.get(), CURLUPART_QUERY, q.c_str(),
                     CURLU_APPENDQUERY | CURLU_URLENCODE);
      }
      char* url = nullptr;
      Curl().url_get(u.get(), CURLUPART_URL, &url, 0);
      HttpRequest req;
      req.url = url ? url : realm;
      Curl().free(url);
      if (UrlHost(req.url) == endpoint_.host) req.insecure_tls = endpoint_.insecure_tls;
      req.max_body = kMaxTokenBytes;
      if (credentials_) {
        req.headers.push_back(absl::StrCat(
            "Authorization: Basic ",
            absl::Base64Escape(absl::StrCat(credentials_->username, ":",
                                            credentials_->password))));
      }
      base::LogDebug("token request %s", req.url);
      ASSIGN_OR_RETURN(HttpResponse r, http.Do(req));
      if (r.status != 200) {
        return StatusFromResponse(r, UrlHost(req.url),
                                  absl::StrCat("token for ", scope));
      }
      json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
      std::string token;
      if (j.is_object()) {
        for (const char* key : {"token", "access_token"}) {
          auto t = j.find(key);
          if (t != j.end() && t->is_string() && !t->get<std::string>().empty()) {
            token = t->get<std::string>();
            break;
          }
        }
      }
      if (token.empty()) {
        return absl::UnauthenticatedError(absl::StrCat(
            UrlHost(req.url), ": token response has no token"));
      }
      int64_t lifetime = kDefaultTokenSeconds;
      if (auto e = j.find("expires_in");
          e != j.end() && e->is_number_integer() && e->get<int64_t>() > 0) {
        lifetime = e->get<int64_t>();
      }
      std::lock_guard<std::mutex> l(auth_->mu);
      auth_->authorization = absl::StrCat("Bearer ", token);
      // Renew a little early, so a token does not expire mid-request.
      auth_->expires = NowSeconds() + std::max<int64_t>(1, lifetime - 10);
      return absl::OkStatus();
    }
  }
  for (const Challenge& c : cs) {
    if (c.scheme == "basic") {
      if (!credentials_) {
        return absl::UnauthenticatedError(absl::StrCat(
            endpoint_.host, ": authentication required (log in with "
            "'mydocker login ", endpoint_.host, "')"));
      }
      std::lock_guard<std::mutex> l(auth_->mu);
      auth_->authorization = absl::StrCat(
          "Basic ", absl::Base64Escape(absl::StrCat(
                        credentials_->username, ":", credentials_->password)));
      auth_->expires = 0;
      return absl::OkStatus();
    }
  }
  return absl::UnauthenticatedError(absl::StrCat(
      endpoint_.host, ": authentication required, and no supported challenge "
      "(Bearer or Basic) was offered"));
}

absl::StatusOr<HttpResponse> Repository::Send(
    HttpClient& http, HttpRequest req, absl::string_view what,
    const std::function<absl::Status(absl::string_view)>* sink) {
  req.insecure_tls = endpoint_.insecure_tls;
  const std::vector<std::string> base_headers = req.headers;
  const std::string first_url = req.url;
  bool authenticated_once = false;
  int backoff_ms = retry_.first_backoff_ms;
  absl::Status last = absl::OkStatus();

  for (int attempt = 1; attempt <= retry_.attempts; ++attempt) {
    if (attempt > 1) {
      base::LogDebug("%s: retrying in %d ms after: %s", what, backoff_ms,
                     last.message());
      usleep(static_cast<useconds_t>(backoff_ms) * 1000);
      backoff_ms *= 2;
    }
    req.url = first_url;
    std::string authorization = auth_->Current();
    uint64_t streamed = 0;
    absl::StatusOr<HttpResponse> resp;
    // Follow redirects by hand: credentials stay with the endpoint's host.
    for (int hop = 0;; ++hop) {
      req.headers = base_headers;
      if (!authorization.empty() && UrlHost(req.url) == endpoint_.host) {
        req.headers.push_back(absl::StrCat("Authorization: ", authorization));
      }
      resp = sink ? http.Stream(req, *sink, &streamed) : http.Do(req);
      if (!resp.ok() || resp->status < 300 || resp->status > 399 ||
          resp->Header("location").empty()) {
        break;
      }
      if (hop == kMaxRedirects) {
        return absl::UnavailableError(
            absl::StrCat(what, " on ", endpoint_.host, ": too many redirects"));
      }
      ASSIGN_OR_RETURN(req.url, ResolveRedirect(req.url, resp->Header("location")));
      // TLS verification is relaxed only for the insecure registry itself.
      req.insecure_tls = endpoint_.insecure_tls && UrlHost(req.url) == endpoint_.host;
      base::LogDebug("%s: redirected to %s", what, req.url);
    }
    if (!resp.ok()) {
      // A transport failure. Retry only while the caller has seen nothing,
      // never a failure the sink itself reported, and not one that would
      // repeat when another endpoint waits: an https try of a plain-HTTP
      // registry would otherwise wait out every backoff (1.4 s) before the
      // http endpoint gets its turn.
      last = resp.status();
      if (resp.status().code() != absl::StatusCode::kUnavailable || streamed > 0 ||
          (fallback_follows_ && !IsRetryable(resp.status()))) {
        return resp.status();
      }
      continue;
    }
    if (resp->status == 401 && !authenticated_once) {
      authenticated_once = true;
      RETURN_IF_ERROR(Authenticate(http, *resp));
      --attempt;  // Answering the challenge is not a failed try.
      backoff_ms = retry_.first_backoff_ms;
      continue;
    }
    if (resp->status >= 200 && resp->status <= 299) return resp;
    last = StatusFromResponse(*resp, endpoint_.host, what);
    if (!IsTransient(*resp) || streamed > 0) return last;
  }
  return last;
}

absl::Status Repository::Ping(HttpClient& http) {
  HttpRequest req;
  req.url = absl::StrCat(endpoint_.base_url, "/v2/");
  req.insecure_tls = endpoint_.insecure_tls;
  ASSIGN_OR_RETURN(HttpResponse r, http.Do(req));
  if (r.status == 200 || r.status == 401) return absl::OkStatus();
  return StatusFromResponse(r, endpoint_.host, "registry API /v2/");
}

absl::Status Repository::CheckLogin(HttpClient& http) {
  HttpRequest req;
  req.url = absl::StrCat(endpoint_.base_url, "/v2/");
  return Send(http, req, "login", nullptr).status();
}

absl::StatusOr<FetchedManifest> Repository::GetManifest(
    HttpClient& http, absl::string_view reference) {
  HttpRequest req;
  req.url = absl::StrCat(endpoint_.base_url, "/v2/", path_, "/manifests/", reference);
  req.headers.push_back(absl::StrCat("Accept: ", manifest::kManifestAccept));
  req.max_body = manifest::kMaxManifestBytes;
  std::string what = absl::StrCat("manifest for ", path_, ":", reference);
  if (absl::StartsWith(reference, "sha256:")) {
    what = absl::StrCat("manifest for ", path_, "@", reference);
  }
  ASSIGN_OR_RETURN(HttpResponse r, Send(http, req, what, nullptr));
  digest::Digest got = digest::Digest::Of(r.body);
  FetchedManifest m{std::move(r.body), r.Header("content-type"), got};
  if (absl::StartsWith(reference, "sha256:") && m.digest.str() != reference) {
    return absl::DataLossError(absl::StrCat(
        what, " on ", endpoint_.host, ": content has digest ", m.digest.str()));
  }
  return m;
}

absl::Status Repository::FetchBlob(
    HttpClient& http, const digest::Digest& digest,
    const std::function<absl::Status(absl::string_view)>& sink) {
  HttpRequest req;
  req.url = absl::StrCat(endpoint_.base_url, "/v2/", path_, "/blobs/", digest.str());
  std::string what = absl::StrCat("blob ", digest.str());
  return Send(http, req, what, &sink).status();
}

}  // namespace mydocker::registry
