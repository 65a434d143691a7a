// HttpClient against sockets of the test's own on loopback: which transport
// failures are worth another try (IsRetryable).
#include "lib/registry/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/base/unique_fd.h"

namespace mydocker::registry {
namespace {

// A listening TCP socket on 127.0.0.1 and its port.
struct Listener {
  base::UniqueFd fd;
  int port = 0;
};

Listener Listen() {
  Listener l;
  l.fd.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(l.fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(l.fd.get(), 4) != 0 ||
      getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "listen on 127.0.0.1";
    return l;
  }
  l.port = ntohs(addr.sin_port);
  return l;
}

// A plain-HTTP registry asked over https (the first try for an insecure
// one): its answer to the TLS hello is no handshake, and never will be.
TEST(HttpTest, PlainHttpServerAskedForTlsIsNotRetryable) {
  Listener l = Listen();
  ASSERT_GT(l.port, 0);
  std::thread server([&] {
    base::UniqueFd c(accept4(l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!c) return;
    char buf[1024];
    if (read(c.get(), buf, sizeof(buf)) <= 0) return;  // The ClientHello.
    const char reply[] =
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    EXPECT_EQ(write(c.get(), reply, sizeof(reply) - 1),
              static_cast<ssize_t>(sizeof(reply) - 1));
  });
  HttpClient http;
  HttpRequest req;
  req.url = absl::StrCat("https://127.0.0.1:", l.port, "/v2/");
  req.insecure_tls = true;
  absl::StatusOr<HttpResponse> r = http.Do(req);
  server.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_FALSE(IsRetryable(r.status())) << r.status();
}

// A port nobody listens on (a registry restarting): worth another try.
TEST(HttpTest, RefusedConnectionIsRetryable) {
  int port;
  {
    Listener l = Listen();  // Closed again: the port is free, nobody listens.
    port = l.port;
  }
  ASSERT_GT(port, 0);
  HttpClient http;
  HttpRequest req;
  req.url = absl::StrCat("http://127.0.0.1:", port, "/v2/");
  absl::StatusOr<HttpResponse> r = http.Do(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_TRUE(IsRetryable(r.status())) << r.status();
}

}  // namespace
}  // namespace mydocker::registry
