#include "lib/registry/http.h"

#include <curl/curl.h>
#include <time.h>

#include <array>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/registry/curl_api.h"

namespace mydocker::registry {
namespace {

// The process-wide share of connections, DNS and TLS sessions, with the
// locking libcurl asks for when handles on several threads use it.
class Share {
 public:
  static Share& Get() {
    static Share* share = new Share();  // Lives as long as the process.
    return *share;
  }
  CURLSH* handle() const { return sh_; }

 private:
  Share() {
    Curl().global_init(CURL_GLOBAL_DEFAULT);
    sh_ = Curl().share_init();
    Curl().share_setopt(sh_, CURLSHOPT_LOCKFUNC, &Lock);
    Curl().share_setopt(sh_, CURLSHOPT_UNLOCKFUNC, &Unlock);
    Curl().share_setopt(sh_, CURLSHOPT_USERDATA, this);
    Curl().share_setopt(sh_, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    Curl().share_setopt(sh_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    Curl().share_setopt(sh_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
    static_cast<Share*>(self)->mu_[data % kLocks].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* self) {
    static_cast<Share*>(self)->mu_[data % kLocks].unlock();
  }

  static constexpr int kLocks = CURL_LOCK_DATA_LAST;
  std::array<std::mutex, kLocks> mu_;
  CURLSH* sh_ = nullptr;
};

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct Transfer {
  HttpResponse* resp;
  const HttpRequest* req;
  const std::function<absl::Status(absl::string_view)>* sink;
  uint64_t streamed = 0;
  absl::Status sink_status;
  bool too_big = false;
  // Stall detection: the last time any byte arrived.
  int64_t stall_ms = 0;
  int64_t last_bytes = -1;
  int64_t last_progress_ms = 0;
  bool stalled = false;
};

// libcurl's own low-speed check averages over several seconds, so a stall
// after a burst is noticed late; this one fires `stall_ms` after the last
// byte, exactly.
int OnProgress(void* userp, curl_off_t dltotal, curl_off_t dlnow,
               curl_off_t ultotal, curl_off_t ulnow) {
  (void)dltotal;
  (void)ultotal;
  auto* t = static_cast<Transfer*>(userp);
  int64_t now = NowMs();
  int64_t bytes = static_cast<int64_t>(dlnow + ulnow);
  if (bytes != t->last_bytes) {
    t->last_bytes = bytes;
    t->last_progress_ms = now;
    return 0;
  }
  if (now - t->last_progress_ms > t->stall_ms) {
    t->stalled = true;
    return 1;  // Abort the transfer.
  }
  return 0;
}

size_t OnHeader(char* data, size_t size, size_t n, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  absl::string_view line(data, size * n);
  // A status line ("HTTP/1.1 200 OK", "HTTP/2 200") starts a new response
  // (after a 100-continue, or a proxy's CONNECT): keep only the last one's
  // headers. Its status is needed before the first body byte, to decide
  // whether the body goes to the sink.
  if (absl::StartsWith(line, "HTTP/")) {
    t->resp->headers.clear();
    t->resp->status = 0;
    size_t i = line.find(' ');
    while (i != absl::string_view::npos && ++i < line.size() &&
           absl::ascii_isdigit(static_cast<unsigned char>(line[i]))) {
      t->resp->status = t->resp->status * 10 + (line[i] - '0');
    }
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    t->resp->headers.emplace(std::move(name), std::string(value));
  }
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  size_t len = size * n;
  // Only a 2xx body goes to the sink; anything else (an error document) is
  // buffered for the caller to read.
  if (t->sink != nullptr && t->resp->status >= 200 && t->resp->status < 300) {
    t->sink_status = (*t->sink)(absl::string_view(data, len));
    if (!t->sink_status.ok()) return CURL_WRITEFUNC_ERROR;
    t->streamed += len;
    return len;
  }
  if (t->resp->body.size() + len > t->req->max_body) {
    t->too_big = true;
    return CURL_WRITEFUNC_ERROR;
  }
  t->resp->body.append(data, len);
  return len;
}

// The payload that marks a transport failure IsRetryable says no to.
constexpr absl::string_view kPermanentUrl = "mydocker/registry/transport-permanent";

bool IsPermanent(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SSL_CONNECT_ERROR:  // Also a server answering TLS in plain HTTP.
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}

absl::Status CurlError(CURLcode code, const HttpRequest& req,
                       const char* detail) {
  std::string msg = absl::StrCat(req.method, " ", req.url, ": ",
                                 *detail != '\0' ? detail
                                                 : Curl().easy_strerror(code));
  absl::Status s = absl::UnavailableError(msg);
  if (IsPermanent(code)) s.SetPayload(kPermanentUrl, absl::Cord("1"));
  return s;
}

}  // namespace

bool IsRetryable(const absl::Status& transport_error) {
  return !transport_error.GetPayload(kPermanentUrl).has_value();
}

std::string HttpResponse::Header(absl::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? "" : it->second;
}

struct HttpClient::Impl {
  HttpOptions options;
  CURL* curl = nullptr;
  ~Impl() { Curl().easy_cleanup(curl); }
};

HttpClient::HttpClient(HttpOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  Share::Get();  // curl_global_init before the first easy handle.
  impl_->curl = Curl().easy_init();
}

HttpClient::~HttpClient() = default;

absl::StatusOr<HttpResponse> HttpClient::Do(const HttpRequest& req) {
  return Stream(req, nullptr);
}

absl::StatusOr<HttpResponse> HttpClient::Stream(
    const HttpRequest& req,
    const std::function<absl::Status(absl::string_view)>& sink,
    uint64_t* streamed) {
  CURL* c = impl_->curl;
  if (c == nullptr) return absl::InternalError("curl_easy_init failed");
  Curl().easy_reset(c);  // Keeps the connection cache; forgets the options.
  const HttpOptions& o = impl_->options;

  HttpResponse resp;
  Transfer t{&resp, &req, sink ? &sink : nullptr, 0, absl::OkStatus(), false,
             o.low_speed_seconds * 1000, -1, NowMs(), false};
  char error[CURL_ERROR_SIZE] = {0};
  std::unique_ptr<curl_slist, decltype(Curl().slist_free_all)> headers(
      nullptr, Curl().slist_free_all);
  for (const std::string& h : req.headers) {
    curl_slist* grown = Curl().slist_append(headers.get(), h.c_str());
    if (grown == nullptr) return absl::ResourceExhaustedError("out of memory");
    (void)headers.release();  // `grown` is the same list, one longer.
    headers.reset(grown);
  }

  Curl().easy_setopt(c, CURLOPT_SHARE, Share::Get().handle());
  Curl().easy_setopt(c, CURLOPT_URL, req.url.c_str());
  Curl().easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  Curl().easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  Curl().easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  Curl().easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  Curl().easy_setopt(c, CURLOPT_USERAGENT, o.user_agent.c_str());
  Curl().easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o.connect_timeout_ms);
  Curl().easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  Curl().easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  Curl().easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  Curl().easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  Curl().easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  Curl().easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
  Curl().easy_setopt(c, CURLOPT_HEADERDATA, &t);
  Curl().easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
  Curl().easy_setopt(c, CURLOPT_WRITEDATA, &t);
  // Blobs are compressed already; never let a server gzip them again.
  Curl().easy_setopt(c, CURLOPT_ACCEPT_ENCODING, nullptr);
  if (req.method == "HEAD") Curl().easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (req.insecure_tls) {
    Curl().easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    Curl().easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  CURLcode rc = Curl().easy_perform(c);
  if (streamed != nullptr) *streamed = t.streamed;
  if (!t.sink_status.ok()) return t.sink_status;
  if (t.too_big) {
    return absl::ResourceExhaustedError(
        absl::StrCat(req.method, " ", req.url, ": response larger than ",
                     req.max_body, " bytes"));
  }
  if (t.stalled) {
    return absl::UnavailableError(absl::StrCat(
        req.method, " ", req.url, ": stalled: no data for ", o.low_speed_seconds,
        " s"));
  }
  if (rc != CURLE_OK) return CurlError(rc, req, error);
  long status = 0;
  Curl().easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  resp.status = status;
  return resp;
}

}  // namespace mydocker::registry
