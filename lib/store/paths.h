// The data root's layout, in one place. Docker 20.10's names for what Docker
// has; mydocker's own state (locks, IPAM, networks) under "mydocker/", a
// directory dockerd does not use.
//
//   <root>/image/overlay2/{repositories.json,imagedb,layerdb,distribution}
//   <root>/overlay2/<cache-id>/{diff,link,lower,work,committed}, overlay2/l/
//   <root>/containers/<id>/
//   <root>/mydocker/locks/<name>.lock
//   <root>/mydocker/spares/<chain hex>/<mount-id>/  (container/rw_layer.h)
//   <root>/mydocker/trash/<id>/layerdb-mount/       (container::Store)
#ifndef MYDOCKER_LIB_STORE_PATHS_H_
#define MYDOCKER_LIB_STORE_PATHS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "lib/base/file_lock.h"

namespace mydocker::store {

inline std::string ImageDir(absl::string_view root) {
  return absl::StrCat(root, "/image/overlay2");
}
inline std::string RepositoriesJson(absl::string_view root) {
  return absl::StrCat(ImageDir(root), "/repositories.json");
}
inline std::string ImageDbDir(absl::string_view root) {
  return absl::StrCat(ImageDir(root), "/imagedb");
}
inline std::string LayerDbDir(absl::string_view root) {
  return absl::StrCat(ImageDir(root), "/layerdb");
}
inline std::string DistributionDir(absl::string_view root) {
  return absl::StrCat(ImageDir(root), "/distribution");
}
inline std::string Overlay2Dir(absl::string_view root) {
  return absl::StrCat(root, "/overlay2");
}
inline std::string ContainersDir(absl::string_view root) {
  return absl::StrCat(root, "/containers");
}
inline std::string OwnDir(absl::string_view root) {
  return absl::StrCat(root, "/mydocker");
}
// Where a --rm container's directory goes the moment it exits (rename), so
// that it is gone for every other command while its monitor deletes it;
// its layerdb/mounts record goes in it, as kTrashedLayerRecord.
inline std::string TrashDir(absl::string_view root) {
  return absl::StrCat(OwnDir(root), "/trash");
}
inline constexpr absl::string_view kTrashedLayerRecord = "layerdb-mount";
// Spare container layers, by the chain id (hex) of the image layer they
// stand on: each entry is a layerdb/mounts/<id> record whose container is
// gone, its two overlay2 layers kept for the next container on that image.
inline std::string SparesDir(absl::string_view root) {
  return absl::StrCat(OwnDir(root), "/spares");
}

// Locks, one file per shared record.
inline constexpr absl::string_view kRepositoriesLock = "repositories";
// Held shared by every command that adds to the layer store, exclusively by
// the clean-up of what interrupted ones left behind.
inline constexpr absl::string_view kLayerStoreLock = "layerstore";

// Takes the lock `name` under <root>/mydocker/locks/, creating the
// directories as needed.
absl::StatusOr<base::FileLock> Lock(absl::string_view root,
                                    absl::string_view name,
                                    base::FileLock::Mode mode);
// Like Lock, but Unavailable at once if it is held.
absl::StatusOr<base::FileLock> TryLock(absl::string_view root,
                                       absl::string_view name,
                                       base::FileLock::Mode mode);

}  // namespace mydocker::store

#endif  // MYDOCKER_LIB_STORE_PATHS_H_
