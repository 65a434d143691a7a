#include "lib/container/rw_layer.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/file_lock.h"
#include "lib/base/status_macros.h"
#include "lib/container/ids.h"
#include "lib/container/layout.h"
#include "lib/layerdb/layer_store.h"
#include "lib/store/paths.h"

namespace mydocker::container {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// mkdir with exactly `mode` (no umask).
absl::Status MakeDir(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) < 0) {
    return base::ErrnoStatus(errno, "mkdir ", path);
  }
  if (chmod(path.c_str(), mode) < 0) {
    return base::ErrnoStatus(errno, "chmod ", path);
  }
  return absl::OkStatus();
}

// A plain create-or-truncate write, as dockerd writes these small files;
// the store's durability comes from one syncfs before config.v2.json.
absl::Status WriteSmall(const std::string& path, absl::string_view data,
                        mode_t mode) {
  ASSIGN_OR_RETURN(base::UniqueFd fd,
                   base::OpenFile(path, O_WRONLY | O_CREAT | O_TRUNC, mode));
  RETURN_IF_ERROR(base::WriteAll(fd.get(), data, path));
  if (fchmod(fd.get(), mode) < 0)
    return base::ErrnoStatus(errno, "chmod ", path);
  return absl::OkStatus();
}

// dockerd trims spaces when it reads these records; so do we.
absl::StatusOr<std::string> ReadRecord(const std::string& path) {
  ASSIGN_OR_RETURN(std::string s, base::ReadFile(path, 64 << 10));
  return std::string(absl::StripAsciiWhitespace(s));
}

// A name that must stay inside its directory.
bool SafeName(absl::string_view n) {
  return !n.empty() && n != "." && n != ".." && n != "l" &&
         n.find('/') == absl::string_view::npos;
}

// The entry `rel` of the image whose layers are `diff_dirs` (top first), as
// the merged view would show it: the topmost layer that has it wins, an
// overlay whiteout (0:0 char device) or an opaque parent ends the search.
std::optional<struct stat> ImageStat(const std::vector<std::string>& diff_dirs,
                                     const std::string& rel) {
  const std::string parent = base::Dirname(rel);
  for (const std::string& d : diff_dirs) {
    struct stat st;
    if (lstat(absl::StrCat(d, "/", rel).c_str(), &st) == 0) {
      if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
        return std::nullopt;
      }
      return st;
    }
    if (parent != ".") {
      char v[2] = {};
      ssize_t n = lgetxattr(absl::StrCat(d, "/", parent).c_str(),
                            "trusted.overlay.opaque", v, sizeof(v));
      if (n == 1 && v[0] == 'y') return std::nullopt;
    }
  }
  return std::nullopt;
}

// The directory `rel` in the init layer's diff: a "copy-up" of the image's
// directory (its mode and owner), or a new 0755 root directory.
absl::Status MakeInitDir(const std::string& diff,
                         const std::vector<std::string>& image_dirs,
                         const std::string& rel) {
  std::string path = absl::StrCat(diff, "/", rel);
  if (Exists(path)) return absl::OkStatus();
  std::string parent = base::Dirname(rel);
  if (parent != ".") RETURN_IF_ERROR(MakeInitDir(diff, image_dirs, parent));
  std::optional<struct stat> st = ImageStat(image_dirs, rel);
  if (st && S_ISDIR(st->st_mode)) {
    RETURN_IF_ERROR(MakeDir(path, st->st_mode & 07777));
    if (lchown(path.c_str(), st->st_uid, st->st_gid) < 0) {
      return base::ErrnoStatus(errno, "chown ", path);
    }
    return absl::OkStatus();
  }
  return MakeDir(path, 0755);
}

// dockerd's initlayer.Setup, applied to the init layer's diff directly.
absl::Status PopulateInitLayer(const std::string& diff,
                               const std::vector<std::string>& image_dirs) {
  // Directories only where the image has none.
  for (const char* dir : {"dev/pts", "dev/shm", "proc", "sys"}) {
    std::optional<struct stat> st = ImageStat(image_dirs, dir);
    if (st && S_ISDIR(st->st_mode)) continue;
    RETURN_IF_ERROR(MakeInitDir(diff, image_dirs, dir));
  }
  // Files always: dockerd unlinks whatever the image has there first.
  for (const char* file : {".dockerenv", "etc/resolv.conf", "etc/hosts",
                           "etc/hostname", "dev/console"}) {
    std::string parent = base::Dirname(file);
    if (parent != ".") RETURN_IF_ERROR(MakeInitDir(diff, image_dirs, parent));
    RETURN_IF_ERROR(WriteSmall(absl::StrCat(diff, "/", file), "", 0755));
  }
  RETURN_IF_ERROR(MakeInitDir(diff, image_dirs, "etc"));
  std::string mtab = absl::StrCat(diff, "/etc/mtab");
  if (symlink("/proc/mounts", mtab.c_str()) < 0) {
    return base::ErrnoStatus(errno, "symlink ", mtab);
  }
  return absl::OkStatus();
}

// One overlay2 layer directory: <dir>/diff, its l/ link, link, lower,
// work/work. Returns the link id.
absl::StatusOr<std::string> MakeLayerDir(const std::string& overlay2,
                                         const std::string& name,
                                         const std::string& lower) {
  std::string dir = absl::StrCat(overlay2, "/", name);
  RETURN_IF_ERROR(MakeDir(dir, 0710));
  RETURN_IF_ERROR(MakeDir(dir + "/diff", 0755));
  ASSIGN_OR_RETURN(std::string link, NewLinkId());
  std::string link_path = absl::StrCat(overlay2, "/l/", link);
  std::string target = absl::StrCat("../", name, "/diff");
  if (symlink(target.c_str(), link_path.c_str()) < 0) {
    return base::ErrnoStatus(errno, "symlink ", link_path);
  }
  RETURN_IF_ERROR(WriteSmall(dir + "/link", link, 0644));
  RETURN_IF_ERROR(MakeDir(dir + "/work", 0700));
  // The kernel makes work/work (mode 0) at the first mount; dockerd's
  // layers always have it because create mounts them once.
  RETURN_IF_ERROR(MakeDir(dir + "/work/work", 0));
  if (!lower.empty()) RETURN_IF_ERROR(WriteSmall(dir + "/lower", lower, 0644));
  return link;
}

// Removes overlay2/<name> and its l/ link.
absl::Status RemoveLayerDir(const std::string& overlay2,
                            const std::string& name) {
  std::string dir = absl::StrCat(overlay2, "/", name);
  absl::StatusOr<std::string> link = ReadRecord(dir + "/link");
  if (link.ok() && SafeName(*link)) {
    std::string lp = absl::StrCat(overlay2, "/l/", *link);
    if (unlink(lp.c_str()) < 0 && errno != ENOENT) {
      return base::ErrnoStatus(errno, "remove ", lp);
    }
  }
  return base::RemoveAll(dir);
}

// The diff dirs of a layer and everything below it, top first.
absl::StatusOr<std::vector<std::string>> LayerDiffDirs(
    const std::string& overlay2, const std::string& cache_id) {
  std::vector<std::string> out = {
      absl::StrCat(overlay2, "/", cache_id, "/diff")};
  absl::StatusOr<std::string> lower =
      ReadRecord(absl::StrCat(overlay2, "/", cache_id, "/lower"));
  if (absl::IsNotFound(lower.status())) return out;
  RETURN_IF_ERROR(lower.status());
  for (absl::string_view l : absl::StrSplit(*lower, ':', absl::SkipEmpty())) {
    std::string link = absl::StrCat(overlay2, "/", l);
    char buf[4096];
    ssize_t n = readlink(link.c_str(), buf, sizeof(buf) - 1);
    if (n < 0) return base::ErrnoStatus(errno, "readlink ", link);
    absl::string_view target(buf, static_cast<size_t>(n));
    if (!absl::ConsumePrefix(&target, "../")) {
      return absl::DataLossError(absl::StrCat("bad layer link ", link));
    }
    out.push_back(absl::StrCat(overlay2, "/", target));
  }
  return out;
}

bool KernelHasOverlayIndex() {
  return Exists("/sys/module/overlay/parameters/index");
}

// Spares kept per image: enough for a few `run --rm` at once.
constexpr size_t kMaxSparesPerImage = 4;

std::string SparesOf(const std::string& root, const digest::Digest& parent) {
  return absl::StrCat(store::SparesDir(root), "/", parent.hex());
}

// Whether `diff`, a spare's upper layer, is still as KeepAsSpare made it:
// an empty 0755 directory of ours with no extended attribute but the one
// overlayfs itself writes there at a mount (since Linux 6.6: the layer's
// "trusted.overlay.uuid", which a container cannot set).
bool PristineUpper(const std::string& diff) {
  struct stat st;
  if (lstat(diff.c_str(), &st) < 0 || !S_ISDIR(st.st_mode) ||
      (st.st_mode & 07777) != 0755 || st.st_uid != geteuid() ||
      st.st_gid != getegid()) {
    return false;
  }
  static constexpr char kOverlayUuid[] = "trusted.overlay.uuid";
  char names[sizeof kOverlayUuid + 1];
  ssize_t n = llistxattr(diff.c_str(), names, sizeof names);
  if (n != 0 && (n != static_cast<ssize_t>(sizeof kOverlayUuid) ||
                 memcmp(names, kOverlayUuid, sizeof kOverlayUuid) != 0)) {
    return false;  // Others, or too many to list here (ERANGE).
  }
  absl::StatusOr<std::vector<std::string>> entries = base::ListDir(diff);
  return entries.ok() && entries->empty();
}

// Whether overlay2/l/<link> leads to overlay2/<name>/diff.
bool LinksTo(const std::string& overlay2, const std::string& link,
             const std::string& name) {
  char buf[4096];
  ssize_t n = readlink(absl::StrCat(overlay2, "/l/", link).c_str(), buf,
                       sizeof(buf));
  return n > 0 && absl::string_view(buf, static_cast<size_t>(n)) ==
                      absl::StrCat("../", name, "/diff");
}

absl::StatusOr<RwLayer> ReadRwLayer(const std::string& db,
                                    const std::string& container_id);

// Whether the spare record `db` (named `mount_id` in the spares) still
// describes layers that CreateRwLayer would make on `parent` now, whose
// own lower chain is `parent_lower`: the image's layers may have been
// removed and pulled again (new links), or a pull's clean-up may have taken
// the layers. Sets `layer` if so.
bool SpareFits(const std::string& overlay2, const std::string& db,
               const std::string& mount_id, const digest::Digest& parent,
               const std::string& parent_lower, RwLayer& layer) {
  absl::StatusOr<RwLayer> l = ReadRwLayer(db, mount_id);
  if (!l.ok() || l->mount_id != mount_id || l->init_id != mount_id + "-init" ||
      l->parent != parent) {
    return false;
  }
  const std::string rw = absl::StrCat(overlay2, "/", l->mount_id);
  const std::string init = absl::StrCat(overlay2, "/", l->init_id);
  absl::StatusOr<std::string> rw_link = ReadRecord(rw + "/link");
  absl::StatusOr<std::string> init_link = ReadRecord(init + "/link");
  if (!rw_link.ok() || !init_link.ok() || !SafeName(*rw_link) ||
      !SafeName(*init_link) || !LinksTo(overlay2, *rw_link, l->mount_id) ||
      !LinksTo(overlay2, *init_link, l->init_id)) {
    return false;
  }
  absl::StatusOr<std::string> init_lower = ReadRecord(init + "/lower");
  absl::StatusOr<std::string> rw_lower = ReadRecord(rw + "/lower");
  if (!init_lower.ok() || *init_lower != parent_lower || !rw_lower.ok() ||
      *rw_lower != absl::StrCat("l/", *init_link, ":", parent_lower)) {
    return false;
  }
  struct stat st;
  if (!PristineUpper(rw + "/diff") ||
      lstat((rw + "/work/work/incompat").c_str(), &st) == 0 ||
      lstat((init + "/diff").c_str(), &st) < 0) {
    return false;
  }
  layer = *std::move(l);
  return true;
}

// Moves the layer record `db` to the spares of its image, if its layers can
// serve another container (see KeepOrRemoveRwLayerRecordedIn); false if
// they are to be removed.
bool KeepAsSpare(const std::string& root, const std::string& db,
                 const RwLayer& layer) {
  if (!layer.parent || !IsFullId(layer.mount_id) ||
      layer.init_id != layer.mount_id + "-init") {
    return false;
  }
  // Not waited for: the lock order puts it before the container's lock,
  // which the caller holds. Held exclusively, by an rmi or a pull's
  // clean-up at work, it means: remove the layers instead.
  absl::StatusOr<base::FileLock> layers =
      store::TryLock(root, store::kLayerStoreLock, base::FileLock::kShared);
  if (!layers.ok()) return false;
  // An rmi before this may have removed the image's layer.
  if (!Exists(absl::StrCat(store::LayerDbDir(root), "/sha256/",
                           layer.parent->hex()))) {
    return false;
  }
  const std::string rw =
      absl::StrCat(store::Overlay2Dir(root), "/", layer.mount_id);
  RootfsPaths p;
  p.merged_dir = rw + "/merged";
  if (!UnmountRootfs(p, /*keep_mount_point=*/true).ok()) return false;
  // A fresh upper directory replaces the old one, which rename() does only
  // if it is empty: a container that wrote anything keeps its layers to
  // itself, and they are removed. The old directory takes with it what a
  // container can set on "/" (mode, owner, xattrs, inode flags, times),
  // and any hold on the old overlay: unmounted with MNT_DETACH, it lives
  // on while some process keeps a file of it open, and what is written
  // through it then lands in a deleted directory, never in the next
  // container's.
  const std::string fresh = rw + "/diff.fresh";
  if (!base::RemoveAll(fresh).ok() || !MakeDir(fresh, 0755).ok()) return false;
  if (rename(fresh.c_str(), (rw + "/diff").c_str()) < 0) {
    (void)rmdir(fresh.c_str());
    return false;
  }
  // overlayfs' "volatile" leaves work/work/incompat/volatile/dirty, and
  // refuses to mount over it again ("overlay with incompat feature
  // 'volatile' cannot be mounted"); the rest of work/work it cleans up at
  // the next mount itself.
  if (!base::RemoveAll(rw + "/work/work/incompat").ok()) return false;
  const std::string dir = SparesOf(root, *layer.parent);
  if (!base::MakeDirs(dir, 0700).ok()) return false;
  absl::StatusOr<std::vector<std::string>> kept = base::ListDir(dir);
  if (!kept.ok() || kept->size() >= kMaxSparesPerImage) return false;
  return rename(db.c_str(), absl::StrCat(dir, "/", layer.mount_id).c_str()) == 0;
}

// Takes a spare of `parent`'s for container `container_id`: its record
// becomes layerdb/mounts/<container_id> with one rename (which only one of
// several creates at the same spare wins). A spare that no longer fits is
// deleted. nullopt if none fits.
std::optional<RwLayer> ClaimSpare(const std::string& root,
                                  const std::string& container_id,
                                  const digest::Digest& parent,
                                  const std::string& parent_lower) {
  const std::string dir = SparesOf(root, parent);
  absl::StatusOr<std::vector<std::string>> names = base::ListDir(dir);
  if (!names.ok() || names->empty()) return std::nullopt;
  if (!base::MakeDirs(MountsDbDir(root), 0755).ok()) return std::nullopt;
  const std::string overlay2 = store::Overlay2Dir(root);
  const std::string db = MountDbDir(root, container_id);
  for (const std::string& name : *names) {
    if (!IsFullId(name)) continue;
    if (rename(absl::StrCat(dir, "/", name).c_str(), db.c_str()) < 0) {
      continue;  // Another create took it first.
    }
    RwLayer layer;
    if (SpareFits(overlay2, db, name, parent, parent_lower, layer)) {
      return layer;
    }
    if (!RemoveRwLayer(root, container_id).ok()) {
      // Its layers are left to a pull's clean-up; the record must go, or
      // the layers made instead could not be recorded.
      (void)base::RemoveAll(db);
    }
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<RwLayer> CreateRwLayer(
    const std::string& root, const std::string& container_id,
    const std::optional<digest::Digest>& parent) {
  const std::string overlay2 = store::Overlay2Dir(root);
  RETURN_IF_ERROR(base::MakeDirs(overlay2, 0710));
  RETURN_IF_ERROR(base::MakeDirs(overlay2 + "/l", 0700));

  // The image's top layer: its lower chain and its files.
  std::string parent_lower;
  std::vector<std::string> image_dirs;
  std::string parent_dir;
  if (parent) {
    layerdb::LayerStore layers(root);
    ASSIGN_OR_RETURN(layerdb::Layer top, layers.Get(*parent));
    parent_dir = absl::StrCat(overlay2, "/", top.cache_id);
    ASSIGN_OR_RETURN(std::string top_link, ReadRecord(parent_dir + "/link"));
    parent_lower = absl::StrCat("l/", top_link);
    absl::StatusOr<std::string> top_lower = ReadRecord(parent_dir + "/lower");
    if (top_lower.ok() && !top_lower->empty()) {
      absl::StrAppend(&parent_lower, ":", *top_lower);
    }
    // The layers a --rm container on this image left unused, if any: one
    // rename instead of the 25 files and directories made below.
    if (std::optional<RwLayer> spare =
            ClaimSpare(root, container_id, *parent, parent_lower)) {
      return *std::move(spare);
    }
    ASSIGN_OR_RETURN(image_dirs, LayerDiffDirs(overlay2, top.cache_id));
  }

  RwLayer layer;
  ASSIGN_OR_RETURN(layer.mount_id, NewRandomId());
  layer.init_id = layer.mount_id + "-init";
  layer.parent = parent;
  const std::string mounts_db = MountDbDir(root, container_id);
  absl::Cleanup undo = [&] {
    RemoveLayerDir(overlay2, layer.mount_id).IgnoreError();
    RemoveLayerDir(overlay2, layer.init_id).IgnoreError();
    base::RemoveAll(mounts_db).IgnoreError();
  };

  // The init layer, on the image (dockerd's order: dirs, link, work, the
  // parent's committed marker, lower).
  ASSIGN_OR_RETURN(std::string init_link,
                   MakeLayerDir(overlay2, layer.init_id, parent_lower));
  if (parent) {
    RETURN_IF_ERROR(WriteSmall(parent_dir + "/committed", "", 0600));
  }
  RETURN_IF_ERROR(PopulateInitLayer(
      absl::StrCat(overlay2, "/", layer.init_id, "/diff"), image_dirs));

  // The RW layer, on the init layer.
  std::string rw_lower = absl::StrCat("l/", init_link);
  if (!parent_lower.empty()) absl::StrAppend(&rw_lower, ":", parent_lower);
  ASSIGN_OR_RETURN(std::string rw_link,
                   MakeLayerDir(overlay2, layer.mount_id, rw_lower));
  (void)rw_link;
  RETURN_IF_ERROR(WriteSmall(
      absl::StrCat(overlay2, "/", layer.init_id, "/committed"), "", 0600));

  // layerdb/mounts/<id>: how dockerd finds the container's layers.
  RETURN_IF_ERROR(base::MakeDirs(MountsDbDir(root), 0755));
  RETURN_IF_ERROR(MakeDir(mounts_db, 0755));
  RETURN_IF_ERROR(WriteSmall(mounts_db + "/mount-id", layer.mount_id, 0644));
  RETURN_IF_ERROR(WriteSmall(mounts_db + "/init-id", layer.init_id, 0644));
  if (parent) {
    RETURN_IF_ERROR(WriteSmall(mounts_db + "/parent", parent->str(), 0644));
  }
  std::move(undo).Cancel();
  return layer;
}

namespace {

absl::StatusOr<RwLayer> ReadRwLayer(const std::string& db,
                                    const std::string& container_id) {
  absl::StatusOr<std::string> mount_id = ReadRecord(db + "/mount-id");
  if (absl::IsNotFound(mount_id.status())) {
    return absl::NotFoundError(
        absl::StrCat("container ", container_id, ": no layer record in ", db));
  }
  RETURN_IF_ERROR(mount_id.status());
  auto damaged = [&](absl::string_view what) {
    return absl::DataLossError(
        absl::StrCat("container ", container_id, ": bad ", what, " in ", db));
  };
  RwLayer layer;
  layer.mount_id = *mount_id;
  if (!SafeName(layer.mount_id)) return damaged("mount-id");
  absl::StatusOr<std::string> init_id = ReadRecord(db + "/init-id");
  layer.init_id = init_id.ok() ? *init_id : layer.mount_id + "-init";
  if (!SafeName(layer.init_id)) return damaged("init-id");
  absl::StatusOr<std::string> parent = ReadRecord(db + "/parent");
  if (parent.ok() && !parent->empty()) {
    absl::StatusOr<digest::Digest> d = digest::Digest::Parse(*parent);
    if (!d.ok()) return damaged("parent");
    layer.parent = *d;
  }
  return layer;
}

}  // namespace

absl::StatusOr<RwLayer> GetRwLayer(const std::string& root,
                                   const std::string& container_id) {
  return ReadRwLayer(MountDbDir(root, container_id), container_id);
}

absl::Status RemoveRwLayerRecordedIn(const std::string& root, const std::string& db,
                                     const std::string& container_id) {
  const std::string overlay2 = store::Overlay2Dir(root);
  absl::StatusOr<RwLayer> layer = ReadRwLayer(db, container_id);
  if (layer.ok()) {
    RootfsPaths p;
    p.merged_dir = absl::StrCat(overlay2, "/", layer->mount_id, "/merged");
    RETURN_IF_ERROR(UnmountRootfs(p));
    RETURN_IF_ERROR(RemoveLayerDir(overlay2, layer->mount_id));
    RETURN_IF_ERROR(RemoveLayerDir(overlay2, layer->init_id));
  } else if (!absl::IsNotFound(layer.status())) {
    return layer.status();
  }
  return base::RemoveAll(db);
}

absl::Status KeepOrRemoveRwLayerRecordedIn(const std::string& root,
                                           const std::string& db,
                                           const std::string& container_id) {
  absl::StatusOr<RwLayer> layer = ReadRwLayer(db, container_id);
  if (layer.ok() && KeepAsSpare(root, db, *layer)) return absl::OkStatus();
  return RemoveRwLayerRecordedIn(root, db, container_id);
}

absl::Status RemoveRwLayer(const std::string& root,
                           const std::string& container_id) {
  const std::string overlay2 = store::Overlay2Dir(root);
  const std::string db = MountDbDir(root, container_id);
  absl::StatusOr<RwLayer> layer = GetRwLayer(root, container_id);
  if (layer.ok()) {
    absl::StatusOr<RootfsPaths> paths = GetRootfsPaths(root, container_id);
    if (paths.ok()) RETURN_IF_ERROR(UnmountRootfs(*paths));
    RETURN_IF_ERROR(RemoveLayerDir(overlay2, layer->mount_id));
    RETURN_IF_ERROR(RemoveLayerDir(overlay2, layer->init_id));
  } else if (!absl::IsNotFound(layer.status())) {
    return layer.status();
  }
  return base::RemoveAll(db);
}

absl::StatusOr<RootfsPaths> GetRootfsPaths(const std::string& root,
                                           const std::string& container_id) {
  ASSIGN_OR_RETURN(RwLayer layer, GetRwLayer(root, container_id));
  RootfsPaths p;
  p.overlay2_dir = store::Overlay2Dir(root);
  const std::string dir = absl::StrCat(p.overlay2_dir, "/", layer.mount_id);
  ASSIGN_OR_RETURN(std::string lower, ReadRecord(dir + "/lower"));
  for (absl::string_view l : absl::StrSplit(lower, ':', absl::SkipEmpty())) {
    if (!absl::StartsWith(l, "l/") || !SafeName(l.substr(2))) {
      return absl::DataLossError(
          absl::StrCat("container ", container_id, ": bad lower in ", dir));
    }
    p.lower_dirs.push_back(absl::StrCat(p.overlay2_dir, "/", l));
  }
  ASSIGN_OR_RETURN(p.lower_diff_dirs,
                   LayerDiffDirs(p.overlay2_dir, layer.mount_id));
  p.lower_diff_dirs.erase(p.lower_diff_dirs.begin());  // The RW layer itself.
  p.upper_dir = dir + "/diff";
  p.work_dir = dir + "/work";
  p.merged_dir = dir + "/merged";
  return p;
}

std::string OverlayMountData(const RootfsPaths& p, bool relative,
                             bool volatile_upper) {
  auto rel = [&](const std::string& path) -> std::string {
    if (!relative) return path;
    absl::string_view v = path;
    absl::ConsumePrefix(&v, p.overlay2_dir + "/");
    return std::string(v);
  };
  std::vector<std::string> lower;
  for (const std::string& l : p.lower_dirs) lower.push_back(rel(l));
  return absl::StrCat(volatile_upper ? "volatile," : "",
                      KernelHasOverlayIndex() ? "index=off," : "",
                      "lowerdir=", absl::StrJoin(lower, ":"),
                      ",upperdir=", rel(p.upper_dir),
                      ",workdir=", rel(p.work_dir));
}

bool IsRootfsMounted(const RootfsPaths& p) {
  struct stat merged, parent;
  if (stat(p.merged_dir.c_str(), &merged) < 0) return false;
  if (stat(base::Dirname(p.merged_dir).c_str(), &parent) < 0) return false;
  return merged.st_dev != parent.st_dev;
}

absl::Status MountRootfs(const RootfsPaths& p, bool volatile_upper) {
  if (IsRootfsMounted(p)) {
    return absl::FailedPreconditionError(
        absl::StrCat(p.merged_dir, " is already mounted"));
  }
  if (!Exists(p.merged_dir)) RETURN_IF_ERROR(MakeDir(p.merged_dir, 0700));
  const size_t limit = static_cast<size_t>(sysconf(_SC_PAGESIZE)) - 1;
  std::string data = OverlayMountData(p, /*relative=*/false, volatile_upper);
  if (data.size() <= limit) {
    if (mount("overlay", p.merged_dir.c_str(), "overlay", 0, data.c_str()) <
        0) {
      return base::ErrnoStatus(errno, "mount overlay on ", p.merged_dir);
    }
    return absl::OkStatus();
  }
  data = OverlayMountData(p, /*relative=*/true, volatile_upper);
  if (data.size() > limit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "mount ", p.merged_dir, ": too many layers: the overlay options are ",
        data.size(), " bytes, the kernel takes ", limit));
  }
  // Relative paths need the overlay2 dir as cwd; the cwd is the whole
  // process's, so a child takes it. Child-safe: syscalls only.
  const char* dir = p.overlay2_dir.c_str();
  const char* target = p.merged_dir.c_str();
  const char* opts = data.c_str();
  pid_t pid = fork();
  if (pid < 0) return base::ErrnoStatus(errno, "fork to mount ", p.merged_dir);
  if (pid == 0) {
    if (chdir(dir) < 0) _exit(errno > 0 && errno < 256 ? errno : 255);
    if (mount("overlay", target, "overlay", 0, opts) < 0) {
      _exit(errno > 0 && errno < 256 ? errno : 255);
    }
    _exit(0);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return base::ErrnoStatus(errno, "wait for mount");
  }
  if (!WIFEXITED(status)) {
    return absl::InternalError(
        absl::StrCat("mount overlay on ", p.merged_dir, ": helper died"));
  }
  if (int err = WEXITSTATUS(status); err != 0) {
    return base::ErrnoStatus(err, "mount overlay on ", p.merged_dir,
                             " (relative paths)");
  }
  return absl::OkStatus();
}

absl::Status UnmountRootfs(const RootfsPaths& p, bool keep_mount_point) {
  if (IsRootfsMounted(p) && umount2(p.merged_dir.c_str(), MNT_DETACH) < 0 &&
      errno != EINVAL) {
    return base::ErrnoStatus(errno, "unmount ", p.merged_dir);
  }
  if (keep_mount_point) return absl::OkStatus();
  if (rmdir(p.merged_dir.c_str()) < 0 && errno != ENOENT) {
    return base::ErrnoStatus(errno, "remove ", p.merged_dir);
  }
  return absl::OkStatus();
}

}  // namespace mydocker::container
