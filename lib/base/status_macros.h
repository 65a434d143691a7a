// Early-return helpers for absl::Status and absl::StatusOr.
//
// Debian's Abseil (20220623) ships no status macros, so mydocker has its own
// two. Both evaluate their expression exactly once.
//
//   absl::Status Pull(const Ref& ref) {
//     RETURN_IF_ERROR(store.Lock());
//     ASSIGN_OR_RETURN(Manifest m, client.GetManifest(ref));
//     ...
//   }
#ifndef MYDOCKER_LIB_BASE_STATUS_MACROS_H_
#define MYDOCKER_LIB_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns the status of `expr` from the enclosing function if it is not OK.
#define RETURN_IF_ERROR(expr)                                  \
  do {                                                         \
    if (::absl::Status mydocker_status_ = (expr);              \
        !mydocker_status_.ok()) {                              \
      return mydocker_status_;                                 \
    }                                                          \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from
// the enclosing function, otherwise moves the value into `lhs`, which may be a
// declaration (`ASSIGN_OR_RETURN(auto x, F())`) or an existing variable.
#define ASSIGN_OR_RETURN(lhs, rexpr)                                        \
  MYDOCKER_ASSIGN_OR_RETURN_IMPL_(                                          \
      MYDOCKER_STATUS_CONCAT_(mydocker_statusor_, __LINE__), lhs, rexpr)

#define MYDOCKER_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                    \
  if (!statusor.ok()) {                                       \
    return std::move(statusor).status();                      \
  }                                                           \
  lhs = *std::move(statusor)

#define MYDOCKER_STATUS_CONCAT_INNER_(x, y) x##y
#define MYDOCKER_STATUS_CONCAT_(x, y) MYDOCKER_STATUS_CONCAT_INNER_(x, y)

#endif  // MYDOCKER_LIB_BASE_STATUS_MACROS_H_
