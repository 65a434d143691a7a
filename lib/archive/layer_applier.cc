#include "lib/archive/layer_applier.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/archive/entry_name.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"

namespace mydocker::archive {
namespace {

using base::ErrnoStatus;
using base::UniqueFd;

// Every lookup below the diff directory: stay beneath it, never follow a
// symlink (the last component included), never cross a mount.
constexpr uint64_t kResolveFlags = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                                   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;

constexpr char kOpaqueXattr[] = "trusted.overlay.opaque";

// Layer xattrs in these namespaces are dropped: they steer overlayfs
// (redirect, metacopy, origin, opaque...) and could make a mount show files
// from other layers; a layer expresses opacity with .wh..wh..opq only.
constexpr absl::string_view kDroppedXattrPrefixes[] = {"trusted.overlay.",
                                                       "user.overlay."};

std::string Quote(absl::string_view s) {
  return absl::StrCat("\"", absl::CHexEscape(s), "\"");
}

std::string EntryLabel(absl::string_view name) {
  return absl::StrCat("entry ", Quote(name));
}

// `status` with `label: ` in front of its message; OK stays OK.
absl::Status Annotate(const absl::Status& status, absl::string_view label) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(label, ": ", status.message()));
}

std::vector<std::string> Parents(const std::vector<std::string>& path) {
  return std::vector<std::string>(path.begin(), path.end() - 1);
}

// openat2(2) below `dirfd` with kResolveFlags. Returns the fd or -1 with
// errno set. The kernel returns EAGAIN when a concurrent rename might have
// let a lookup escape; retrying is what it asks for.
int OpenBeneath(int dirfd, const std::string& path, uint64_t flags) {
  struct open_how how = {};
  how.flags = flags | O_CLOEXEC;
  how.resolve = kResolveFlags;
  for (int attempt = 0;; ++attempt) {
    long fd = syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof(how));
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == EINTR || (errno == EAGAIN && attempt < 16)) continue;
    return -1;
  }
}

// lstat of `leaf` in `dir`. nullopt if it does not exist.
absl::StatusOr<std::optional<struct stat>> StatAt(int dir,
                                                  const std::string& leaf,
                                                  absl::string_view what) {
  struct stat st;
  if (fstatat(dir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return st;
  if (errno == ENOENT) return std::nullopt;
  return ErrnoStatus(errno, "stat ", what);
}

bool IsWhiteoutDevice(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

// Opens the directory `leaf` in `dir` for reading, refusing a symlink.
absl::StatusOr<UniqueFd> OpenDirNoFollow(int dir, const std::string& leaf,
                                         absl::string_view what) {
  int fd = openat(dir, leaf.c_str(),
                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open directory ", what);
  return UniqueFd(fd);
}

absl::Status SetOpaque(int dir_fd, absl::string_view what) {
  if (fsetxattr(dir_fd, kOpaqueXattr, "y", 1, 0) < 0) {
    return ErrnoStatus(errno, "set ", kOpaqueXattr, " on ", what);
  }
  return absl::OkStatus();
}

// Makes the implied directory `leaf` in `parent`: 0755 root:root whatever the
// umask or a setgid parent would give, as Docker does.
absl::Status MakeImpliedDir(int parent, const std::string& leaf,
                            absl::string_view what) {
  if (mkdirat(parent, leaf.c_str(), 0755) < 0) {
    return ErrnoStatus(errno, "mkdir ", what);
  }
  ASSIGN_OR_RETURN(UniqueFd dir, OpenDirNoFollow(parent, leaf, what));
  if (fchown(dir.get(), 0, 0) < 0) return ErrnoStatus(errno, "chown ", what);
  if (fchmod(dir.get(), 0755) < 0) return ErrnoStatus(errno, "chmod ", what);
  return absl::OkStatus();
}

struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};

// rm -r of `leaf` in `parent`, a directory, without following symlinks. Holds
// one fd per level; names are bounded by PATH_MAX (entry_name.h), so is the
// depth.
absl::Status RemoveTree(int parent, const std::string& leaf,
                        const std::string& what) {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenDirNoFollow(parent, leaf, what));
  std::unique_ptr<DIR, DirCloser> dir(fdopendir(fd.get()));
  if (dir == nullptr) return ErrnoStatus(errno, "read directory ", what);
  (void)fd.release();  // Now owned by `dir`.
  std::vector<std::pair<std::string, unsigned char>> children;
  for (;;) {
    errno = 0;
    const dirent* e = readdir(dir.get());
    if (e == nullptr) {
      if (errno != 0) return ErrnoStatus(errno, "read directory ", what);
      break;
    }
    absl::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    children.emplace_back(std::string(name), e->d_type);
  }
  const int dfd = dirfd(dir.get());
  for (auto& [name, type] : children) {
    const std::string child = absl::StrCat(what, "/", name);
    if (type == DT_UNKNOWN) {
      ASSIGN_OR_RETURN(std::optional<struct stat> st, StatAt(dfd, name, child));
      if (!st.has_value()) continue;
      type = S_ISDIR(st->st_mode) ? DT_DIR : DT_REG;
    }
    if (type == DT_DIR) {
      RETURN_IF_ERROR(RemoveTree(dfd, name, child));
    } else if (unlinkat(dfd, name.c_str(), 0) < 0) {
      return ErrnoStatus(errno, "remove ", child);
    }
  }
  dir.reset();
  if (unlinkat(parent, leaf.c_str(), AT_REMOVEDIR) < 0) {
    return ErrnoStatus(errno, "remove ", what);
  }
  return absl::OkStatus();
}

absl::Status SetXattrsFd(
    int fd, const std::vector<std::pair<std::string, std::string>>& xattrs) {
  for (const auto& [name, value] : xattrs) {
    if (fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) < 0) {
      const int err = errno;
      return ErrnoStatus(err, "set xattr ", Quote(name));
    }
  }
  return absl::OkStatus();
}

// For nodes we cannot open (symlinks, devices, FIFOs): lsetxattr on
// /proc/self/fd/<parent>/<leaf>. The magic link lands on exactly the parent
// we resolved; the leaf itself is not followed.
absl::Status SetXattrsAt(
    int parent, const std::string& leaf,
    const std::vector<std::pair<std::string, std::string>>& xattrs) {
  if (xattrs.empty()) return absl::OkStatus();
  const std::string path = absl::StrCat("/proc/self/fd/", parent, "/", leaf);
  for (const auto& [name, value] : xattrs) {
    if (lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0) <
        0) {
      const int err = errno;
      return ErrnoStatus(err, "set xattr ", Quote(name),
                         " (through /proc/self/fd; is /proc mounted?)");
    }
  }
  return absl::OkStatus();
}

// chmod of a device or FIFO `leaf` in `parent` without opening it (opening a
// device runs its driver; a FIFO would block) and without following a
// symlink: fchmod refuses O_PATH fds, so go through the fd's /proc link,
// which names exactly that inode.
absl::Status ChmodNode(int parent, const std::string& leaf, mode_t mode,
                       absl::string_view what) {
  int raw = openat(parent, leaf.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (raw < 0) return ErrnoStatus(errno, "open ", what);
  UniqueFd node(raw);
  struct stat st;
  if (fstat(node.get(), &st) < 0) return ErrnoStatus(errno, "stat ", what);
  if (S_ISLNK(st.st_mode)) {
    return absl::InternalError(
        absl::StrCat("chmod ", what, ": is a symlink; refusing"));
  }
  const std::string proc = absl::StrCat("/proc/self/fd/", node.get());
  if (chmod(proc.c_str(), mode) < 0) {
    return ErrnoStatus(errno, "chmod ", what,
                       " (through /proc/self/fd; is /proc mounted?)");
  }
  return absl::OkStatus();
}

absl::Status CheckId(int64_t id, absl::string_view which) {
  // (uid_t)-1 means "leave unchanged" to chown(2): not a usable owner.
  if (id < 0 || id >= static_cast<int64_t>(UINT32_MAX)) {
    return absl::InvalidArgumentError(
        absl::StrCat(which, " ", id, " out of range"));
  }
  return absl::OkStatus();
}

}  // namespace

LayerApplier::LayerApplier(UniqueFd root, Limits limits)
    : root_(std::move(root)), limits_(limits) {}

absl::StatusOr<LayerApplier> LayerApplier::Create(const std::string& diff_dir,
                                                  Limits limits) {
  int raw =
      open(diff_dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (raw < 0) return ErrnoStatus(errno, "open layer directory ", diff_dir);
  UniqueFd root(raw);
  // Also proves openat2 works here, so a too-old kernel fails now, clearly.
  raw = OpenBeneath(root.get(), ".", O_RDONLY | O_DIRECTORY);
  if (raw < 0) {
    return ErrnoStatus(
        errno, "openat2 (Linux 5.6 or later) on layer directory ", diff_dir);
  }
  std::unique_ptr<DIR, DirCloser> dir(fdopendir(raw));
  if (dir == nullptr) {
    int err = errno;
    close(raw);
    return ErrnoStatus(err, "read layer directory ", diff_dir);
  }
  for (;;) {
    errno = 0;
    const dirent* e = readdir(dir.get());
    if (e == nullptr) {
      if (errno != 0) {
        return ErrnoStatus(errno, "read layer directory ", diff_dir);
      }
      break;
    }
    absl::string_view name = e->d_name;
    if (name != "." && name != "..") {
      return absl::FailedPreconditionError(
          absl::StrCat("layer directory ", diff_dir, " is not empty"));
    }
  }
  return LayerApplier(std::move(root), limits);
}

absl::Status LayerApplier::CheckUsable() const {
  if (broken_) {
    return absl::FailedPreconditionError(
        "layer applier: an earlier call failed; discard the diff directory");
  }
  if (finished_) {
    return absl::FailedPreconditionError("layer applier: already finished");
  }
  return absl::OkStatus();
}

absl::Status LayerApplier::Begin(const tar::Entry& entry) {
  RETURN_IF_ERROR(CheckUsable());
  if (current_.has_value()) {
    broken_ = true;
    return absl::FailedPreconditionError(
        absl::StrCat("layer applier: Begin of ", EntryLabel(entry.name),
                     " before End of ", current_->label));
  }
  absl::Status status = Annotate(BeginImpl(entry), EntryLabel(entry.name));
  if (!status.ok()) broken_ = true;
  return status;
}

absl::Status LayerApplier::Write(absl::string_view chunk) {
  RETURN_IF_ERROR(CheckUsable());
  absl::Status status = WriteImpl(chunk);
  if (!status.ok()) broken_ = true;
  return status;
}

absl::Status LayerApplier::End() {
  RETURN_IF_ERROR(CheckUsable());
  absl::Status status = EndImpl();
  if (!status.ok()) broken_ = true;
  return status;
}

absl::Status LayerApplier::Finish() {
  RETURN_IF_ERROR(CheckUsable());
  absl::Status status = FinishImpl();
  if (!status.ok()) broken_ = true;
  finished_ = true;
  return status;
}

absl::Status LayerApplier::BeginImpl(const tar::Entry& entry) {
  // Caps first: they must hold whatever the entry is.
  if (++entries_ > limits_.max_entries) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "layer has more than ", limits_.max_entries, " entries (max_entries)"));
  }
  if (entry.size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("negative content size ", entry.size));
  }
  const uint64_t size = static_cast<uint64_t>(entry.size);
  if (size > limits_.max_bytes - bytes_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "layer content exceeds ", limits_.max_bytes, " bytes (max_bytes)"));
  }
  bytes_ += size;
  if (size > 0 && entry.type != tar::EntryType::kRegular) {
    return absl::InvalidArgumentError(absl::StrCat(
        "has ", size, " bytes of content but is not a regular file"));
  }

  ASSIGN_OR_RETURN(EntryName name, ParseEntryName(entry.name));
  RETURN_IF_ERROR(CheckId(entry.uid, "uid"));
  RETURN_IF_ERROR(CheckId(entry.gid, "gid"));
  // Out-of-range nanoseconds include UTIME_NOW and UTIME_OMIT.
  if (entry.mtime_nsec < 0 || entry.mtime_nsec > 999'999'999) {
    return absl::InvalidArgumentError(
        absl::StrCat("mtime nanoseconds ", entry.mtime_nsec, " out of range"));
  }

  Current cur;
  cur.label = EntryLabel(entry.name);
  cur.size = size;
  cur.uid = static_cast<uid_t>(entry.uid);
  cur.gid = static_cast<gid_t>(entry.gid);
  cur.mode = static_cast<mode_t>(entry.mode & 07777);
  cur.mtime.tv_sec = static_cast<time_t>(entry.mtime_sec);
  cur.mtime.tv_nsec = entry.mtime_nsec;
  for (const auto& [key, value] : entry.xattrs) {
    if (key.empty() || key.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid xattr name ", Quote(key)));
    }
    bool dropped = false;
    for (absl::string_view prefix : kDroppedXattrPrefixes) {
      dropped = dropped || absl::StartsWith(key, prefix);
    }
    if (!dropped) cur.xattrs.emplace_back(key, value);
  }

  switch (name.kind) {
    case NameKind::kAufsMeta:
      break;  // AUFS bookkeeping: nothing to create.
    case NameKind::kRoot:
      // Docker ignores the root's own entry ("./"): the diff directory's
      // owner and mode are the store's, not the layer's.
      if (entry.type != tar::EntryType::kDirectory) {
        return absl::InvalidArgumentError(
            "names the layer root but is not a directory");
      }
      break;
    case NameKind::kOpaque:
      RETURN_IF_ERROR(ApplyOpaque(name.components));
      break;
    case NameKind::kWhiteout:
      RETURN_IF_ERROR(ApplyWhiteout(cur, name.components));
      break;
    case NameKind::kPath:
      if (entry.type == tar::EntryType::kDirectory) {
        RETURN_IF_ERROR(BeginDirectory(cur, name.components));
      } else {
        ASSIGN_OR_RETURN(cur.file,
                         BeginNonDirectory(entry, cur, name.components));
      }
      break;
  }
  current_ = std::move(cur);
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> LayerApplier::ResolveDir(
    const std::vector<std::string>& components, bool create) const {
  const std::string joined = JoinComponents(components);
  // Fast path: one openat2 for the whole path.
  int raw = OpenBeneath(root_.get(), joined, O_PATH | O_DIRECTORY);
  if (raw >= 0) return UniqueFd(raw);
  if (const int err = errno; err != ENOENT && err != ELOOP && err != ENOTDIR) {
    return ErrnoStatus(err, "open directory ", Quote(joined));
  }
  // Slow path, a component at a time: make what is missing, or find the
  // component to blame.
  raw = OpenBeneath(root_.get(), ".", O_PATH | O_DIRECTORY);
  if (raw < 0) return ErrnoStatus(errno, "open layer directory");
  UniqueFd cur(raw);
  std::string prefix;
  for (const std::string& c : components) {
    prefix = prefix.empty() ? c : absl::StrCat(prefix, "/", c);
    raw = OpenBeneath(cur.get(), c, O_PATH | O_DIRECTORY);
    if (raw < 0) {
      const int err = errno;
      if (err != ENOENT && err != ELOOP && err != ENOTDIR) {
        return ErrnoStatus(err, "open directory ", Quote(prefix));
      }
      ASSIGN_OR_RETURN(std::optional<struct stat> st,
                       StatAt(cur.get(), c, Quote(prefix)));
      if (!st.has_value()) {
        if (!create) {
          return absl::NotFoundError(
              absl::StrCat("directory ", Quote(prefix), " does not exist"));
        }
        RETURN_IF_ERROR(MakeImpliedDir(cur.get(), c, Quote(prefix)));
      } else if (S_ISLNK(st->st_mode)) {
        return absl::PermissionDeniedError(absl::StrCat(
            Quote(prefix), " is a symlink; refusing to go through it"));
      } else if (create && IsWhiteoutDevice(*st)) {
        // ".wh.d" then "d/f" without a "d/" entry: d was deleted and made
        // anew, so the new d must hide the old one's contents.
        if (unlinkat(cur.get(), c.c_str(), 0) < 0) {
          const int err2 = errno;
          return ErrnoStatus(err2, "remove whiteout ", Quote(prefix));
        }
        RETURN_IF_ERROR(MakeImpliedDir(cur.get(), c, Quote(prefix)));
        ASSIGN_OR_RETURN(UniqueFd d,
                         OpenDirNoFollow(cur.get(), c, Quote(prefix)));
        RETURN_IF_ERROR(SetOpaque(d.get(), Quote(prefix)));
      } else if (!S_ISDIR(st->st_mode)) {
        return absl::InvalidArgumentError(
            absl::StrCat(Quote(prefix), " is not a directory"));
      }
      raw = OpenBeneath(cur.get(), c, O_PATH | O_DIRECTORY);
      if (raw < 0) {
        const int err2 = errno;
        return ErrnoStatus(err2, "open directory ", Quote(prefix));
      }
    }
    cur = UniqueFd(raw);
  }
  return cur;
}

absl::Status LayerApplier::RemoveExisting(
    int parent, const std::vector<std::string>& path) {
  const std::string& leaf = path.back();
  const std::string key = JoinComponents(path);
  ASSIGN_OR_RETURN(std::optional<struct stat> st,
                   StatAt(parent, leaf, Quote(key)));
  if (!st.has_value()) return absl::OkStatus();
  if (S_ISDIR(st->st_mode)) {
    RETURN_IF_ERROR(RemoveTree(parent, leaf, Quote(key)));
    ForgetDirTimes(key);
  } else if (unlinkat(parent, leaf.c_str(), 0) < 0) {
    const int err = errno;
    return ErrnoStatus(err, "remove ", Quote(key));
  }
  return absl::OkStatus();
}

void LayerApplier::ForgetDirTimes(const std::string& key) {
  dir_mtimes_.erase(key);
  const std::string prefix = key + "/";
  auto it = dir_mtimes_.lower_bound(prefix);
  while (it != dir_mtimes_.end() && absl::StartsWith(it->first, prefix)) {
    it = dir_mtimes_.erase(it);
  }
}

absl::Status LayerApplier::BeginDirectory(
    const Current& cur, const std::vector<std::string>& path) {
  ASSIGN_OR_RETURN(UniqueFd parent, ResolveDir(Parents(path), true));
  const std::string& leaf = path.back();
  const std::string key = JoinComponents(path);
  const std::string what = Quote(key);
  ASSIGN_OR_RETURN(std::optional<struct stat> st,
                   StatAt(parent.get(), leaf, what));
  bool opaque = false;
  if (!st.has_value() || !S_ISDIR(st->st_mode)) {
    if (st.has_value()) {
      // A directory over this layer's whiteout replaces the lower layers'
      // directory wholesale: make it opaque so their contents stay hidden.
      opaque = IsWhiteoutDevice(*st);
      if (unlinkat(parent.get(), leaf.c_str(), 0) < 0) {
        return ErrnoStatus(errno, "remove ", what);
      }
    }
    if (mkdirat(parent.get(), leaf.c_str(), 0700) < 0) {
      return ErrnoStatus(errno, "mkdir ", what);
    }
  }
  // A directory over a directory merges: only the metadata changes.
  ASSIGN_OR_RETURN(UniqueFd dir, OpenDirNoFollow(parent.get(), leaf, what));
  if (fchown(dir.get(), cur.uid, cur.gid) < 0) {
    return ErrnoStatus(errno, "chown ", what);
  }
  if (fchmod(dir.get(), cur.mode) < 0) {
    return ErrnoStatus(errno, "chmod ", what);
  }
  RETURN_IF_ERROR(SetXattrsFd(dir.get(), cur.xattrs));
  if (opaque) RETURN_IF_ERROR(SetOpaque(dir.get(), what));
  dir_mtimes_[key] = cur.mtime;
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> LayerApplier::BeginNonDirectory(
    const tar::Entry& entry, const Current& cur,
    const std::vector<std::string>& path) {
  // A hard link's target is checked before anything changes, and the
  // resolved (parent fd, name) pair is what gets linked.
  UniqueFd target_parent;
  std::vector<std::string> target;
  if (entry.type == tar::EntryType::kHardlink) {
    const std::string tlabel =
        absl::StrCat("hardlink target ", Quote(entry.linkname));
    absl::StatusOr<std::vector<std::string>> parsed =
        ParseHardlinkTarget(entry.linkname);
    if (!parsed.ok()) return Annotate(parsed.status(), tlabel);
    target = *std::move(parsed);
    if (target == path) {
      return absl::InvalidArgumentError(
          absl::StrCat(tlabel, ": the entry links to itself"));
    }
    const absl::Status not_earlier = absl::InvalidArgumentError(
        absl::StrCat(tlabel, ": not an earlier entry of this layer"));
    absl::StatusOr<UniqueFd> tp = ResolveDir(Parents(target), false);
    if (absl::IsNotFound(tp.status())) return not_earlier;
    if (!tp.ok()) return Annotate(tp.status(), tlabel);
    target_parent = *std::move(tp);
    ASSIGN_OR_RETURN(std::optional<struct stat> st,
                     StatAt(target_parent.get(), target.back(), tlabel));
    if (!st.has_value()) return not_earlier;
    if (S_ISDIR(st->st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat(tlabel, ": is a directory"));
    }
  }
  if (entry.type == tar::EntryType::kSymlink &&
      (entry.linkname.empty() ||
       entry.linkname.find('\0') != std::string::npos)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid symlink target ", Quote(entry.linkname)));
  }

  ASSIGN_OR_RETURN(UniqueFd parent, ResolveDir(Parents(path), true));
  const int p = parent.get();
  const std::string& leaf = path.back();
  const std::string what = Quote(JoinComponents(path));
  RETURN_IF_ERROR(RemoveExisting(p, path));

  mode_t node_type = 0;
  switch (entry.type) {
    case tar::EntryType::kRegular: {
      // O_EXCL: the name was just cleared, so this creates a fresh inode and
      // can never open (or follow) anything else. Metadata comes at End.
      int fd =
          openat(p, leaf.c_str(),
                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0) return ErrnoStatus(errno, "create ", what);
      return UniqueFd(fd);
    }
    case tar::EntryType::kHardlink:
      // flags 0: link the target itself, even if it is a symlink. The inode
      // keeps the metadata of the entry that made it.
      if (linkat(target_parent.get(), target.back().c_str(), p, leaf.c_str(),
                 0) < 0) {
        const int err = errno;
        return ErrnoStatus(err, "link ", what, " to ",
                           Quote(JoinComponents(target)));
      }
      return UniqueFd();
    case tar::EntryType::kSymlink:
      if (symlinkat(entry.linkname.c_str(), p, leaf.c_str()) < 0) {
        return ErrnoStatus(errno, "symlink ", what);
      }
      break;
    case tar::EntryType::kCharDevice:
      node_type = S_IFCHR;
      break;
    case tar::EntryType::kBlockDevice:
      node_type = S_IFBLK;
      break;
    case tar::EntryType::kFifo:
      node_type = S_IFIFO;
      break;
    case tar::EntryType::kDirectory:
      return absl::InternalError("directory in BeginNonDirectory");
  }
  if (node_type != 0) {
    const dev_t dev =
        node_type == S_IFIFO ? 0 : makedev(entry.devmajor, entry.devminor);
    if (mknodat(p, leaf.c_str(), node_type, dev) < 0) {
      return ErrnoStatus(errno, "mknod ", what);
    }
  }
  // Owner, then mode (chown clears setuid/setgid), then xattrs, then times.
  if (fchownat(p, leaf.c_str(), cur.uid, cur.gid, AT_SYMLINK_NOFOLLOW) < 0) {
    return ErrnoStatus(errno, "chown ", what);
  }
  if (node_type != 0) RETURN_IF_ERROR(ChmodNode(p, leaf, cur.mode, what));
  RETURN_IF_ERROR(SetXattrsAt(p, leaf, cur.xattrs));
  const timespec times[2] = {cur.mtime, cur.mtime};
  if (utimensat(p, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0) {
    return ErrnoStatus(errno, "set times of ", what);
  }
  return UniqueFd();
}

absl::Status LayerApplier::ApplyWhiteout(const Current& cur,
                                         const std::vector<std::string>& path) {
  ASSIGN_OR_RETURN(UniqueFd parent, ResolveDir(Parents(path), true));
  const std::string& leaf = path.back();
  const std::string what = Quote(JoinComponents(path));
  ASSIGN_OR_RETURN(std::optional<struct stat> st,
                   StatAt(parent.get(), leaf, what));
  if (st.has_value()) {
    // A whiteout deletes from the layers below only (OCI layer spec); what
    // this layer put at the same path stays. A directory of this layer then
    // replaces the lower one wholesale, so it becomes opaque.
    if (!S_ISDIR(st->st_mode)) return absl::OkStatus();
    ASSIGN_OR_RETURN(UniqueFd dir, OpenDirNoFollow(parent.get(), leaf, what));
    return SetOpaque(dir.get(), what);
  }
  // Mode 0000, like Docker's mknod(path, S_IFCHR, 0); owner from the entry.
  if (mknodat(parent.get(), leaf.c_str(), S_IFCHR, makedev(0, 0)) < 0) {
    return ErrnoStatus(errno, "mknod whiteout ", what);
  }
  if (fchownat(parent.get(), leaf.c_str(), cur.uid, cur.gid,
               AT_SYMLINK_NOFOLLOW) < 0) {
    return ErrnoStatus(errno, "chown whiteout ", what);
  }
  return absl::OkStatus();
}

absl::Status LayerApplier::ApplyOpaque(const std::vector<std::string>& dir) {
  // Like Docker, the directory is created if the marker comes first.
  ASSIGN_OR_RETURN(UniqueFd path_fd, ResolveDir(dir, true));
  // fsetxattr refuses O_PATH fds; reopen the same directory for reading.
  int raw = openat(path_fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const std::string what = Quote(JoinComponents(dir));
  if (raw < 0) return ErrnoStatus(errno, "open directory ", what);
  UniqueFd fd(raw);
  return SetOpaque(fd.get(), what);
}

absl::Status LayerApplier::WriteImpl(absl::string_view chunk) {
  if (!current_.has_value()) {
    return absl::FailedPreconditionError("layer applier: Write with no entry");
  }
  Current& cur = *current_;
  if (chunk.size() > cur.size - cur.written) {
    return absl::InvalidArgumentError(
        absl::StrCat(cur.label, ": content longer than the ", cur.size,
                     " bytes its header declares"));
  }
  if (cur.file.valid()) {
    RETURN_IF_ERROR(
        Annotate(base::WriteAll(cur.file.get(), chunk, "content"), cur.label));
  }
  cur.written += chunk.size();
  return absl::OkStatus();
}

absl::Status LayerApplier::EndImpl() {
  if (!current_.has_value()) {
    return absl::FailedPreconditionError("layer applier: End with no entry");
  }
  Current cur = *std::move(current_);
  current_.reset();
  if (cur.written != cur.size) {
    return absl::FailedPreconditionError(
        absl::StrCat(cur.label, ": ended after ", cur.written, " of ", cur.size,
                     " content bytes"));
  }
  if (!cur.file.valid()) return absl::OkStatus();
  const int fd = cur.file.get();
  // Owner, then mode (chown clears setuid/setgid), then xattrs (chown and
  // writes clear security.capability), then times (the rest bump them).
  if (fchown(fd, cur.uid, cur.gid) < 0) {
    return ErrnoStatus(errno, cur.label, ": chown");
  }
  if (fchmod(fd, cur.mode) < 0) return ErrnoStatus(errno, cur.label, ": chmod");
  RETURN_IF_ERROR(Annotate(SetXattrsFd(fd, cur.xattrs), cur.label));
  const timespec times[2] = {cur.mtime, cur.mtime};
  if (futimens(fd, times) < 0) {
    return ErrnoStatus(errno, cur.label, ": set times");
  }
  if (close(cur.file.release()) < 0) {
    return ErrnoStatus(errno, cur.label, ": close");
  }
  return absl::OkStatus();
}

absl::Status LayerApplier::FinishImpl() {
  if (current_.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("layer applier: Finish before End of ", current_->label));
  }
  // utimensat on a directory does not touch its parent, so the order of
  // these does not matter; only creating entries did, and that is over.
  for (const auto& [key, mtime] : dir_mtimes_) {
    const std::string what = absl::StrCat("directory ", Quote(key));
    std::vector<std::string> path = absl::StrSplit(key, '/');
    absl::StatusOr<UniqueFd> parent = ResolveDir(Parents(path), false);
    if (!parent.ok()) return Annotate(parent.status(), what);
    ASSIGN_OR_RETURN(std::optional<struct stat> st,
                     StatAt(parent->get(), path.back(), what));
    // Every removal of a directory forgets its record (ForgetDirTimes).
    if (!st.has_value() || !S_ISDIR(st->st_mode)) {
      return absl::InternalError(
          absl::StrCat(what, ": gone before its mtime was set"));
    }
    const timespec times[2] = {mtime, mtime};
    if (utimensat(parent->get(), path.back().c_str(), times,
                  AT_SYMLINK_NOFOLLOW) < 0) {
      return ErrnoStatus(errno, "set times of ", what);
    }
  }
  // syncfs refuses O_PATH fds too.
  int raw = openat(root_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (raw < 0) return ErrnoStatus(errno, "open layer directory");
  UniqueFd fd(raw);
  if (syncfs(fd.get()) < 0) return ErrnoStatus(errno, "syncfs layer directory");
  return absl::OkStatus();
}

}  // namespace mydocker::archive
