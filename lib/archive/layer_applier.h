// LayerApplier materialises one image layer, entry by entry, in that layer's
// own empty diff directory, in the on-disk form the overlay driver mounts:
// whiteouts become 0:0 character devices, opaque markers become the
// trusted.overlay.opaque=y xattr (as Docker's overlay2 driver does).
//
//   ASSIGN_OR_RETURN(LayerApplier applier, LayerApplier::Create(diff_dir));
//   while (next entry from the tar reader) {
//     RETURN_IF_ERROR(applier.Begin(entry));
//     for (each chunk of its content) RETURN_IF_ERROR(applier.Write(chunk));
//     RETURN_IF_ERROR(applier.End());
//   }
//   RETURN_IF_ERROR(applier.Finish());
//   // On any error: stop and delete the whole diff directory.
//
// Threat model. Extraction runs as root on a layer someone else made. The
// layer must not create, remove, change, chmod, chown or set xattrs on
// anything outside the diff directory (tar-slip; CVE-2021-32760, chmod
// through a symlink; CVE-2018-15664 and CVE-2021-30465, symlink swaps). So:
//  - Names are checked before use (entry_name.h): no absolute names, no ".."
//    components, no NUL, bounded lengths.
//  - The diff directory is opened once; every path is resolved from that fd
//    with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV):
//    a symlink anywhere in the directory part of a name is refused, never
//    followed. No path string is ever joined onto the diff directory.
//  - The last component is only ever acted on with no-follow calls
//    (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW, O_EXCL creates, unlink before
//    create); symlinks get no chmod (they have no mode of their own).
//  - Symlink targets are stored verbatim (absolute ones too) and never used.
//  - Hard links must name an earlier non-directory entry of this layer,
//    resolved the same way.
//  - Content size and entry count are capped (Limits) against decompression
//    bombs.
// The diff directory is assumed to be ours alone while a layer is applied
// (no other process writes there); the no-follow rules hold regardless.
// Operations on non-regular, non-directory nodes go through /proc/self/fd,
// so /proc must be mounted.
#ifndef MYDOCKER_LIB_ARCHIVE_LAYER_APPLIER_H_
#define MYDOCKER_LIB_ARCHIVE_LAYER_APPLIER_H_

#include <sys/types.h>
#include <time.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"
#include "lib/tar/entry.h"

namespace mydocker::archive {

// Caps against decompression bombs. Exceeding one fails the entry that
// crosses it with ResourceExhausted.
struct Limits {
  uint64_t max_bytes = 64ull << 30;  // Sum of all entries' content sizes.
  uint64_t max_entries = 1'000'000;  // Entries, including skipped ones.
};

class LayerApplier {
 public:
  // Opens `diff_dir`, which must be an existing, empty directory (not a
  // symlink). NotFound if it does not exist, FailedPrecondition if it is not
  // empty, another errno-derived code if it cannot be opened.
  static absl::StatusOr<LayerApplier> Create(const std::string& diff_dir,
                                             Limits limits = {});

  LayerApplier(LayerApplier&&) = default;
  LayerApplier& operator=(LayerApplier&&) = default;
  LayerApplier(const LayerApplier&) = delete;
  LayerApplier& operator=(const LayerApplier&) = delete;
  ~LayerApplier() = default;

  // Starts `entry`: creates its directory, symlink, hard link, device, FIFO
  // or whiteout with all its metadata, or creates a regular file and leaves
  // it open for Write. Missing parent directories are created 0755 root:root.
  // An existing node at the same path is replaced, except that a directory
  // over a directory only updates the metadata. Errors name the entry:
  //  - InvalidArgument: a bad name or link target (entry_name.h), a hard link
  //    to something that is not an earlier non-directory entry of this layer
  //    or to itself, a parent that is not a directory, out-of-range
  //    uid/gid/nsec, content on a non-regular entry.
  //  - PermissionDenied: the entry's path, or its hard-link target's path,
  //    goes through a symlink.
  //  - ResourceExhausted: a Limits cap is crossed.
  //  - FailedPrecondition: the previous entry was not ended, Finish was
  //    called, or an earlier call failed.
  //  - Otherwise the errno-derived status of the failing system call.
  absl::Status Begin(const tar::Entry& entry);

  // Appends `chunk` to the current entry's content (discarded for entries
  // that keep none, such as whiteouts). InvalidArgument if the content would
  // grow beyond the entry's `size`; FailedPrecondition outside Begin/End.
  absl::Status Write(absl::string_view chunk);

  // Finishes the current entry: a regular file gets its owner, mode, xattrs
  // and mtime (in that order: chown clears setuid and file capabilities) and
  // is closed. FailedPrecondition if fewer than `size` bytes were written or
  // no entry is open.
  absl::Status End();

  // After the last entry: sets the deferred directory mtimes (creating
  // children changes a directory's mtime, so they wait until now) and
  // syncfs(2)s the diff directory's filesystem. FailedPrecondition if an
  // entry is still open or an earlier call failed. The applier is spent
  // afterwards.
  absl::Status Finish();

 private:
  // The entry between Begin and End.
  struct Current {
    std::string label;  // `entry "name"`, for messages.
    uint64_t size = 0;
    uint64_t written = 0;
    // A regular file being written, whose metadata End applies. Invalid for
    // every other entry (their content, if any, is discarded).
    base::UniqueFd file;
    uid_t uid = 0;
    gid_t gid = 0;
    mode_t mode = 0;
    timespec mtime = {};
    std::vector<std::pair<std::string, std::string>> xattrs;
  };

  LayerApplier(base::UniqueFd root, Limits limits);

  absl::Status BeginImpl(const tar::Entry& entry);
  absl::Status WriteImpl(absl::string_view chunk);
  absl::Status EndImpl();
  absl::Status FinishImpl();
  // Returns FailedPrecondition if the applier may not take calls any more.
  absl::Status CheckUsable() const;

  // Opens the directory `components` below the root (the root itself if
  // empty) as O_PATH, never through a symlink. With `create`, missing
  // directories are made 0755 root:root, and a whiteout device in the way
  // becomes an opaque directory.
  absl::StatusOr<base::UniqueFd> ResolveDir(
      const std::vector<std::string>& components, bool create) const;
  absl::Status BeginDirectory(const Current& cur,
                              const std::vector<std::string>& path);
  // Returns the open file for a regular file, an invalid fd otherwise.
  absl::StatusOr<base::UniqueFd> BeginNonDirectory(
      const tar::Entry& entry, const Current& cur,
      const std::vector<std::string>& path);
  absl::Status ApplyWhiteout(const Current& cur,
                             const std::vector<std::string>& path);
  absl::Status ApplyOpaque(const std::vector<std::string>& dir);
  // Removes whatever is at `path`, whose parent directory is `parent` (a
  // directory recursively, forgetting its deferred mtimes).
  absl::Status RemoveExisting(int parent, const std::vector<std::string>& path);
  // Forgets the deferred mtimes of `path` and everything below it.
  void ForgetDirTimes(const std::string& key);

  base::UniqueFd root_;  // O_PATH|O_DIRECTORY on the diff directory.
  Limits limits_;
  uint64_t entries_ = 0;
  uint64_t bytes_ = 0;
  bool broken_ = false;    // An earlier call failed.
  bool finished_ = false;  // Finish was called.
  std::optional<Current> current_;
  // Directory path ("a/b") -> mtime to set at Finish; a later entry for the
  // same directory overwrites it.
  std::map<std::string, timespec> dir_mtimes_;
};

}  // namespace mydocker::archive

#endif  // MYDOCKER_LIB_ARCHIVE_LAYER_APPLIER_H_
