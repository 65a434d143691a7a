#include "lib/base/file_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>

#include "absl/strings/str_cat.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"

namespace mydocker::base {

absl::StatusOr<FileLock> FileLock::Acquire(const std::string& path,
                                           Mode mode) {
  return Lock(path, mode, /*wait=*/true);
}

absl::StatusOr<FileLock> FileLock::TryAcquire(const std::string& path,
                                              Mode mode) {
  return Lock(path, mode, /*wait=*/false);
}

absl::StatusOr<FileLock> FileLock::Lock(const std::string& path, Mode mode,
                                        bool wait) {
  ASSIGN_OR_RETURN(UniqueFd fd,
                   OpenFile(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600));
  int op = (mode == kExclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
  int rc;
  do {
    rc = ::flock(fd.get(), op);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    if (errno == EWOULDBLOCK) {
      return absl::UnavailableError(
          absl::StrCat("lock ", path, ": held by another process"));
    }
    return ErrnoStatus(errno, "lock ", path);
  }
  return FileLock(path, std::move(fd));
}

}  // namespace mydocker::base
