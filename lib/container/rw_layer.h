// A container's own layers, made exactly as dockerd 20.10's overlay2 driver
// makes them (lib/store/DOCKER_CONTAINERS.md §6), and the overlay mount of
// its root filesystem.
//
//   overlay2/<mid>-init/   0710  init layer: diff/ with Docker's init files,
//                                link, lower, work/ (0700) + work/work (0000),
//                                committed (written when the RW layer is made)
//   overlay2/<mid>/        0710  RW layer: diff/, link, lower, work/ and
//                                work/work
//   overlay2/l/<link> (two)      -> ../<mid>-init/diff, ../<mid>/diff
//   overlay2/<image top>/committed   (stays after the container is removed)
//   image/overlay2/layerdb/mounts/<id>/{mount-id,init-id,parent}
//
// The init layer's diff holds what dockerd's initlayer.Setup leaves: empty
// 0755 files /.dockerenv, /dev/console, /etc/hostname, /etc/hosts,
// /etc/resolv.conf, the symlink /etc/mtab -> /proc/mounts, and the
// directories /dev/pts, /dev/shm (and /proc, /sys) where the image lacks
// them. dockerd makes them through an overlay mount, so /dev and /etc are
// copy-ups carrying the image's mode and owner; they are written directly
// here, with the same mode and owner (a hand-made init layer without the
// overlay xattrs works with dockerd, §9.4).
//
//   ASSIGN_OR_RETURN(RwLayer l, CreateRwLayer(root, id, image_top_chain_id));
//   ASSIGN_OR_RETURN(RootfsPaths p, GetRootfsPaths(root, id));
//   RETURN_IF_ERROR(MountRootfs(p));    // p.merged_dir is the rootfs
//   ...
//   RETURN_IF_ERROR(UnmountRootfs(p));
//   RETURN_IF_ERROR(RemoveRwLayer(root, id));
#ifndef MYDOCKER_LIB_CONTAINER_RW_LAYER_H_
#define MYDOCKER_LIB_CONTAINER_RW_LAYER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/digest/digest.h"

namespace mydocker::container {

struct RwLayer {
  std::string mount_id;  // overlay2/<mount_id>: 64 hex, random.
  std::string init_id;   // overlay2/<init_id>: mount_id + "-init".
  // The image's top layer (chain id); nullopt for an image without layers.
  std::optional<digest::Digest> parent;
};

// Makes the init and RW layers of container `container_id` on top of the
// registered layer `parent` and records them in layerdb/mounts/<id>. The
// caller holds the layer-store lock shared (so neither the parent nor the
// new directories are cleaned up under it). On failure nothing is left but
// the parent's committed marker. NotFound if `parent` is not registered.
absl::StatusOr<RwLayer> CreateRwLayer(
    const std::string& root, const std::string& container_id,
    const std::optional<digest::Digest>& parent);

// The layers recorded for `container_id`. NotFound if there are none,
// DataLoss if the record is damaged.
absl::StatusOr<RwLayer> GetRwLayer(const std::string& root,
                                   const std::string& container_id);

// Removes what CreateRwLayer made, in dockerd's order (RW link and dir,
// init link and dir, then layerdb/mounts/<id>); a mounted rootfs is
// unmounted first. OK if it is already gone, or half gone.
absl::Status RemoveRwLayer(const std::string& root,
                           const std::string& container_id);
// The same, for a layer record moved out of layerdb/mounts to `db` (a
// container in the trash: Store::RemoveExitedLocked).
absl::Status RemoveRwLayerRecordedIn(const std::string& root, const std::string& db,
                                     const std::string& container_id);

// Spares. The layers of a --rm container that wrote nothing (most
// short-lived containers do not) serve the next container made on the same
// image instead of being deleted: that create takes them with one rename,
// where it would make 25 files and directories, and this removal replaces
// the upper directory and deletes overlayfs' "volatile" marks (a handful
// of inodes) where it would delete 25. On this kind of storage (ext4
// without a journal skips, at every inode it allocates, each inode freed in
// the last minutes) fewer inodes made and freed per container keep every
// later allocation fast too.
//
// A spare is the container's layer record, moved from layerdb/mounts to
// <root>/mydocker/spares/<parent chain hex>/<mount-id>/ (store::SparesDir);
// its two layers stay in overlay2/ (dockerd ignores directories no record
// names), with a new, empty upper directory: nothing of the container that
// had them (attributes it set on "/", a process still holding its detached
// overlay) reaches the next. At most a few per image are kept. CreateRwLayer
// takes one, if it still fits (its links and lower chains are what it would
// make now, its upper still pristine), before it makes new layers. The
// image's layer removal (layerdb::LayerStore::Remove) takes its spares with
// it, a pull's clean-up those of layers dockerd removed.
//
// KeepOrRemoveRwLayerRecordedIn: for the record `db` of a stopped container
// (moved out of layerdb/mounts; see RemoveRwLayerRecordedIn), unmounts its
// rootfs, then keeps its layers as a spare if its upper layer is empty, its
// image has room and the layer store is not being cleaned (the layer-store
// lock, not waited for), or else removes them as RemoveRwLayerRecordedIn
// does.
absl::Status KeepOrRemoveRwLayerRecordedIn(const std::string& root,
                                           const std::string& db,
                                           const std::string& container_id);

// What overlayfs needs to mount a container's root filesystem.
struct RootfsPaths {
  std::string overlay2_dir;  // <root>/overlay2
  // lowerdir, top first, as dockerd passes them: <root>/overlay2/l/<link>.
  std::vector<std::string> lower_dirs;
  // The same layers as diff directories (<root>/overlay2/<cache>/diff), as
  // inspect's GraphDriver.Data.LowerDir shows them.
  std::vector<std::string> lower_diff_dirs;
  std::string upper_dir;   // <root>/overlay2/<mid>/diff
  std::string work_dir;    // <root>/overlay2/<mid>/work
  std::string merged_dir;  // <root>/overlay2/<mid>/merged
};

// The paths of container `container_id`'s rootfs, from its layer records.
// NotFound / DataLoss as GetRwLayer.
absl::StatusOr<RootfsPaths> GetRootfsPaths(const std::string& root,
                                           const std::string& container_id);

// The overlay mount options dockerd would use: "index=off," (where the
// kernel knows the option) then lowerdir, upperdir and workdir. With
// `relative`, the paths are relative to overlay2_dir (l/<link>, <mid>/diff,
// <mid>/work), dockerd's way around the one-page limit on mount data.
// With `volatile_upper`, "volatile," comes first (see MountRootfs).
std::string OverlayMountData(const RootfsPaths& p, bool relative,
                             bool volatile_upper = false);

// Creates merged/ (0700) and mounts the overlay there, as dockerd does:
// mount("overlay", merged, "overlay", 0, data). When the absolute options
// would not fit in a page, the relative ones are used from a child process
// that chdirs to overlay2_dir first (the caller's cwd is untouched).
// Needs CAP_SYS_ADMIN. FailedPrecondition if it is already mounted,
// InvalidArgument if even the relative options are too long.
//
// `volatile_upper` (for a --rm container, whose upper layer is deleted when
// it exits) mounts with overlayfs' "volatile": no syncs to the upper
// filesystem, above all none at unmount, which otherwise flushes the whole
// host filesystem under the data root (measured: 140-210 ms under write
// load). After a crash overlayfs refuses to mount such an upper again;
// nobody needs to.
absl::Status MountRootfs(const RootfsPaths& p, bool volatile_upper = false);

// Detaches the overlay at merged/ (if mounted) and removes merged/, as
// dockerd does after a container stops; with `keep_mount_point`, merged/
// stays (for layers about to be deleted or kept as a spare: a spare's next
// mount needs no mkdir). OK if neither is there.
absl::Status UnmountRootfs(const RootfsPaths& p, bool keep_mount_point = false);

// Whether merged/ is a mount point (it is on another device than its
// parent).
bool IsRootfsMounted(const RootfsPaths& p);

}  // namespace mydocker::container

#endif  // MYDOCKER_LIB_CONTAINER_RW_LAYER_H_
