#include "lib/store/paths.h"

#include "lib/base/file.h"
#include "lib/base/status_macros.h"

namespace mydocker::store {
namespace {

absl::StatusOr<std::string> LockPath(absl::string_view root,
                                     absl::string_view name) {
  std::string dir = absl::StrCat(OwnDir(root), "/locks");
  RETURN_IF_ERROR(base::MakeDirs(dir, 0700));
  return absl::StrCat(dir, "/", name, ".lock");
}

}  // namespace

absl::StatusOr<base::FileLock> Lock(absl::string_view root,
                                    absl::string_view name,
                                    base::FileLock::Mode mode) {
  ASSIGN_OR_RETURN(std::string path, LockPath(root, name));
  return base::FileLock::Acquire(path, mode);
}

absl::StatusOr<base::FileLock> TryLock(absl::string_view root,
                                       absl::string_view name,
                                       base::FileLock::Mode mode) {
  ASSIGN_OR_RETURN(std::string path, LockPath(root, name));
  return base::FileLock::TryAcquire(path, mode);
}

}  // namespace mydocker::store
