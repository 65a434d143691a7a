#include "lib/nat/nft.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::nat {
namespace {

TEST(NftErrorStatusTest, FirstErrorAndItsCommand) {
  absl::Status s = NftErrorStatus(
      "Error: Could not process rule: File exists\n"
      "add element ip mydocker tcp_any { 91 : 172.18.0.3 . 80 }\n"
      "                                  ^^\n"
      "Error: Could not process rule: File exists\n"
      "add element ip mydocker tcp_any { 92 : 172.18.0.3 . 80 }\n"
      "                                  ^^\n",
      "publish port 91");
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(),
            "nft: publish port 91: Error: Could not process rule: File exists "
            "(in `add element ip mydocker tcp_any { 91 : 172.18.0.3 . 80 }`)");
}

TEST(NftErrorStatusTest, FileLocationIsDropped) {
  absl::Status s = NftErrorStatus(
      "/dev/stdin:1:15-18: Error: No such file or directory\n"
      "list table ip nope\n"
      "              ^^^^\n",
      "list");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(),
            "nft: list: Error: No such file or directory "
            "(in `list table ip nope`)");
}

TEST(NftErrorStatusTest, Codes) {
  EXPECT_EQ(
      NftErrorStatus("Error: interval overlaps with an existing one\n", "x")
          .code(),
      absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(
      NftErrorStatus("Error: syntax error, unexpected newline\n", "x").code(),
      absl::StatusCode::kInternal);
  EXPECT_EQ(NftErrorStatus("Error: Could not process rule: Operation not "
                           "permitted\n",
                           "x")
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(NftErrorStatus("Error: Could not process rule: Device or resource "
                           "busy\n",
                           "x")
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(NftErrorStatusTest, NoErrorLine) {
  absl::Status s = NftErrorStatus("", "delete table");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "nft: delete table: failed without a message");
  EXPECT_EQ(NftErrorStatus("netlink: something odd\nmore\n", "x").message(),
            "nft: x: netlink: something odd");
}

}  // namespace
}  // namespace mydocker::nat
