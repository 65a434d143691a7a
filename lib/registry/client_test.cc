#include "lib/registry/client.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::registry {
namespace {

using ::testing::HasSubstr;

TEST(ClientTest, UrlHost) {
  EXPECT_EQ(UrlHost("https://Registry-1.Docker.io/v2/"), "registry-1.docker.io");
  EXPECT_EQ(UrlHost("http://127.0.0.1:5000/v2/x"), "127.0.0.1:5000");
  EXPECT_EQ(UrlHost("not a url"), "");
}

TEST(ClientTest, ResolveRedirect) {
  EXPECT_EQ(*ResolveRedirect("https://r.io/v2/a/blobs/sha256:1",
                             "https://cdn.example/blob?sig=x"),
            "https://cdn.example/blob?sig=x");
  EXPECT_EQ(*ResolveRedirect("http://127.0.0.1:5000/v2/a/blobs/x", "/other/y"),
            "http://127.0.0.1:5000/other/y");
  EXPECT_EQ(*ResolveRedirect("http://h/v2/a/b", "c"), "http://h/v2/a/c");
  for (const char* bad : {"file:///etc/passwd", "ftp://h/x", "gopher://h/"}) {
    absl::StatusOr<std::string> r = ResolveRedirect("https://r.io/v2/", bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("non-http(s)"));
  }
}

TEST(ClientTest, StatusFromResponseNamesHostAndObject) {
  HttpResponse r;
  r.status = 404;
  r.body = R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})";
  absl::Status s = StatusFromResponse(r, "127.0.0.1:5000", "manifest for a:b");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(),
            "manifest for a:b on 127.0.0.1:5000: not found: manifest unknown");
  r.status = 401;
  r.body = "";
  EXPECT_EQ(StatusFromResponse(r, "h", "x").code(),
            absl::StatusCode::kUnauthenticated);
  r.status = 403;
  EXPECT_EQ(StatusFromResponse(r, "h", "x").code(),
            absl::StatusCode::kPermissionDenied);
  r.status = 429;
  EXPECT_THAT(StatusFromResponse(r, "h", "x").message(),
              HasSubstr("too many requests"));
  r.status = 503;
  EXPECT_EQ(StatusFromResponse(r, "h", "x").code(),
            absl::StatusCode::kUnavailable);
  r.status = 418;
  r.body = "<html>teapot</html>";
  EXPECT_THAT(StatusFromResponse(r, "h", "x").message(),
              HasSubstr("unexpected HTTP status 418"));
}

}  // namespace
}  // namespace mydocker::registry
