// common/status_macros.h: early return on error, pass-through on success, one evaluation of the
// expression, and several uses in one scope.
#include "common/status_macros.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace tetra::common {
namespace {

absl::StatusOr<int> half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::Status check_even(int x, int* calls) {
  ++*calls;
  return x % 2 == 0 ? absl::OkStatus() : absl::InvalidArgumentError("odd");
}

absl::Status two_checks(int a, int b, int* calls) {
  TETRA_RETURN_IF_ERROR(check_even(a, calls));
  TETRA_RETURN_IF_ERROR(check_even(b, calls));
  return absl::OkStatus();
}

absl::StatusOr<int> quarter(int x) {
  TETRA_ASSIGN_OR_RETURN(int h, half(x));
  TETRA_ASSIGN_OR_RETURN(int q, half(h));  // a second use in the same scope
  return q;
}

absl::Status assign_existing(int x, int* out) {
  TETRA_ASSIGN_OR_RETURN(*out, half(x));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<int>> boxed(int x) {
  if (x < 0) return absl::OutOfRangeError("negative");
  return std::make_unique<int>(x);
}

absl::StatusOr<int> unbox(int x) {
  TETRA_ASSIGN_OR_RETURN(std::unique_ptr<int> p, boxed(x));  // move-only values
  return *p;
}

TEST(StatusMacros, ReturnIfErrorStopsAtTheFirstError) {
  int calls = 0;
  EXPECT_TRUE(two_checks(2, 4, &calls).ok());
  EXPECT_EQ(calls, 2);
  calls = 0;
  absl::Status s = two_checks(1, 4, &calls);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "odd");
  EXPECT_EQ(calls, 1);
}

TEST(StatusMacros, AssignOrReturn) {
  EXPECT_EQ(*quarter(8), 2);
  EXPECT_EQ(quarter(6).status().code(), absl::StatusCode::kInvalidArgument);  // 6 -> 3 -> odd
  EXPECT_EQ(quarter(5).status().message(), "odd");
  int out = 0;
  EXPECT_TRUE(assign_existing(10, &out).ok());
  EXPECT_EQ(out, 5);
  EXPECT_FALSE(assign_existing(3, &out).ok());
  EXPECT_EQ(out, 5);
  EXPECT_EQ(*unbox(7), 7);
  EXPECT_EQ(unbox(-1).status().code(), absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace tetra::common
