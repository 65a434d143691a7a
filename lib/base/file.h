// Small file helpers whose failures come back as absl::Status naming the path.
//
// WriteFileAtomic is how every record in the store is written: a reader sees
// the old bytes or the new bytes, never a mix, and after a crash or power loss
// the file holds one of the two.
//
//   RETURN_IF_ERROR(WriteFileAtomic(root + "/repositories.json", json, 0600));
//   ASSIGN_OR_RETURN(std::string s, ReadFile(path, /*max_size=*/1 << 20));
#ifndef MYDOCKER_LIB_BASE_FILE_H_
#define MYDOCKER_LIB_BASE_FILE_H_

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"

namespace mydocker::base {

// open(2) with O_CLOEXEC added. NotFound if the path does not exist.
absl::StatusOr<UniqueFd> OpenFile(const std::string& path, int flags,
                                  mode_t mode = 0);

// Reads the whole regular file at `path`. Fails with FailedPrecondition if it
// is larger than `max_size` bytes (so a hostile or corrupt file cannot make us
// allocate without bound) and InvalidArgument if it is not a regular file.
absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     size_t max_size = 64 << 20);

// How much a write must survive.
enum class Durability {
  // A crash leaves the old or the new content: the temp file and the
  // directory are fsynced. For the store's records.
  kDurable,
  // Readers see the old or the new content, never a mix, but a crash may
  // lose the write. For files remade at every start (a running container's
  // spec, state, /etc files), which a reboot makes stale anyway.
  kAtomicOnly,
};

// Replaces `path` with `data`: writes a temp file in the same directory,
// fsyncs it, renames it over `path`, then fsyncs the directory (no fsync
// with kAtomicOnly). The file gets exactly `mode` (the umask does not
// apply). On failure `path` is untouched and no temp file is left behind.
absl::Status WriteFileAtomic(const std::string& path, absl::string_view data,
                             mode_t mode = 0644,
                             Durability durability = Durability::kDurable);

// WriteFileAtomic in two phases, for records that must appear only after
// other work, and together: Stage writes and fsyncs each file to a temp
// file next to it (the slow part, which can overlap that work), Commit
// renames them into place in the order staged and fsyncs each directory
// once. What is not committed is unlinked when this object goes.
//
//   AtomicFiles records;
//   RETURN_IF_ERROR(records.Stage(dir + "/hostconfig.json", a, 0644));
//   RETURN_IF_ERROR(records.Stage(dir + "/config.v2.json", b, 0600));
//   ... the work the records describe ...
//   RETURN_IF_ERROR(records.Commit());
class AtomicFiles {
 public:
  AtomicFiles() = default;
  AtomicFiles(const AtomicFiles&) = delete;
  AtomicFiles& operator=(const AtomicFiles&) = delete;
  ~AtomicFiles();

  absl::Status Stage(const std::string& path, absl::string_view data,
                     mode_t mode = 0644);
  // Renames every staged file; on an error, the ones before it stay
  // renamed and the rest are unlinked.
  absl::Status Commit();

 private:
  struct Staged {
    std::string tmp;
    std::string path;
  };
  std::vector<Staged> staged_;
};

// mkdir -p with `mode` for the directories it creates. OK if `path` is already
// a directory; FailedPrecondition if it (or a parent) exists but is not one.
absl::Status MakeDirs(const std::string& path, mode_t mode = 0755);

// The names in directory `dir` (without "." and ".."), sorted. A missing
// directory has none.
absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir);

// rm -rf: removes `path` and everything below it, never following a
// symlink (a symlink is removed, not its target), even one swapped in while
// it runs: every step is relative to an open directory fd. OK if `path` does
// not exist. Keeps going past errors and returns the first.
absl::Status RemoveAll(const std::string& path);

// Writes all of `data` to `fd`, retrying short writes and EINTR.
absl::Status WriteAll(int fd, absl::string_view data,
                      absl::string_view what_for_errors);

// fsync(2) the directory `dir`, so a rename or create inside it is durable.
absl::Status SyncDir(const std::string& dir);

// The directory part of `path` ("." if there is none), like dirname(1).
std::string Dirname(absl::string_view path);

// The last component of `path`, like basename(1) ("/" for "/").
std::string Basename(absl::string_view path);

}  // namespace mydocker::base

#endif  // MYDOCKER_LIB_BASE_FILE_H_
