// absl::Status from an errno value, with a message that names the object.
//
//   if (mkdir(path, 0700) < 0) return ErrnoStatus(errno, "mkdir ", path);
//   // -> FAILED_PRECONDITION... "mkdir /var/lib/x: No such file or directory"
#ifndef MYDOCKER_LIB_BASE_ERRNO_STATUS_H_
#define MYDOCKER_LIB_BASE_ERRNO_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mydocker::base {

// Returns a status whose code follows `err` (ENOENT -> NotFound, EACCES ->
// PermissionDenied, ...) and whose message is the concatenated `parts`
// followed by ": " and strerror(err).
template <typename... Parts>
absl::Status ErrnoStatus(int err, const Parts&... parts) {
  return absl::ErrnoToStatus(err, absl::StrCat(parts...));
}

}  // namespace mydocker::base

#endif  // MYDOCKER_LIB_BASE_ERRNO_STATUS_H_
