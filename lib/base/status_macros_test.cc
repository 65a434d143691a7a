#include "lib/base/status_macros.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace {

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int half, Half(x));
  ASSIGN_OR_RETURN(half, Half(half));  // Assigns to an existing variable.
  return half;
}

absl::Status CheckEven(int x, int* calls) {
  RETURN_IF_ERROR([&]() -> absl::Status {
    ++*calls;
    return Half(x).status();
  }());
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<int>> MakeBox(int v) {
  return std::make_unique<int>(v);
}

absl::StatusOr<int> Unbox() {
  // Move-only values come out of ASSIGN_OR_RETURN by move.
  ASSIGN_OR_RETURN(std::unique_ptr<int> box, MakeBox(7));
  return *box;
}

TEST(StatusMacrosTest, AssignOrReturnPassesValues) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(*Unbox(), 7);
}

TEST(StatusMacrosTest, AssignOrReturnReturnsTheFirstError) {
  absl::StatusOr<int> r = Quarter(6);  // 6 -> 3 -> odd
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "odd");
}

TEST(StatusMacrosTest, ReturnIfErrorEvaluatesOnce) {
  int calls = 0;
  EXPECT_TRUE(CheckEven(4, &calls).ok());
  EXPECT_EQ(calls, 1);
  absl::Status s = CheckEven(5, &calls);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(calls, 2);
}

}  // namespace
