// An flock(2)-based lock on a file, held for the lifetime of the object.
//
// One lock file guards one shared record (repositories.json, a container's
// directory, a network's IPAM). Locks are advisory and per open file
// description, so they also work between threads of one process that each
// call Acquire, and the kernel drops them when a holder dies.
//
//   ASSIGN_OR_RETURN(FileLock lock,
//                    FileLock::Acquire(root + "/locks/repositories",
//                                      FileLock::kExclusive));
//   ... read, modify, WriteFileAtomic ...
//   // released when `lock` goes out of scope
#ifndef MYDOCKER_LIB_BASE_FILE_LOCK_H_
#define MYDOCKER_LIB_BASE_FILE_LOCK_H_

#include <string>

#include "absl/status/statusor.h"
#include "lib/base/unique_fd.h"

namespace mydocker::base {

class FileLock {
 public:
  enum Mode { kShared, kExclusive };

  // Creates `path` if needed (mode 0600) and blocks until the lock is held.
  static absl::StatusOr<FileLock> Acquire(const std::string& path, Mode mode);

  // Like Acquire, but fails with Unavailable at once if another holder has a
  // conflicting lock.
  static absl::StatusOr<FileLock> TryAcquire(const std::string& path,
                                             Mode mode);

  FileLock(FileLock&&) = default;
  FileLock& operator=(FileLock&&) = default;

  const std::string& path() const { return path_; }

 private:
  FileLock(std::string path, UniqueFd fd)
      : path_(std::move(path)), fd_(std::move(fd)) {}
  static absl::StatusOr<FileLock> Lock(const std::string& path, Mode mode,
                                       bool wait);

  std::string path_;
  UniqueFd fd_;  // Closing it releases the lock.
};

}  // namespace mydocker::base

#endif  // MYDOCKER_LIB_BASE_FILE_LOCK_H_
