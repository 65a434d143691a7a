// Where a container's files are in the data root, in one place:
//
//   <root>/containers/<id>/{config.v2.json,hostconfig.json,checkpoints/,...}
//                                                     (dockerd's layout)
//   <root>/image/overlay2/layerdb/mounts/<id>/{mount-id,init-id,parent}
//   <root>/mydocker/containers/<id>/state.json        (mydocker's own)
//   <root>/mydocker/names                             (the name index)
//   <root>/mydocker/trash/<id>/                       (a --rm container being deleted)
//   <root>/mydocker/locks/{names,container-<id>}.lock
//
//   std::string f = ConfigPath(root, id);  // <root>/containers/<id>/...
#ifndef MYDOCKER_LIB_CONTAINER_LAYOUT_H_
#define MYDOCKER_LIB_CONTAINER_LAYOUT_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "lib/store/paths.h"

namespace mydocker::container {

inline std::string ContainerDir(absl::string_view root, absl::string_view id) {
  return absl::StrCat(store::ContainersDir(root), "/", id);
}
inline std::string ConfigPath(absl::string_view root, absl::string_view id) {
  return absl::StrCat(ContainerDir(root, id), "/config.v2.json");
}
inline std::string HostConfigPath(absl::string_view root,
                                  absl::string_view id) {
  return absl::StrCat(ContainerDir(root, id), "/hostconfig.json");
}
inline std::string MountsDbDir(absl::string_view root) {
  return absl::StrCat(store::LayerDbDir(root), "/mounts");
}
inline std::string MountDbDir(absl::string_view root, absl::string_view id) {
  return absl::StrCat(MountsDbDir(root), "/", id);
}
// mydocker's per-container state, which dockerd has no place for.
inline std::string OwnContainerDir(absl::string_view root,
                                   absl::string_view id) {
  return absl::StrCat(store::OwnDir(root), "/containers/", id);
}
inline std::string StateJsonPath(absl::string_view root, absl::string_view id) {
  return absl::StrCat(OwnContainerDir(root, id), "/state.json");
}
using store::TrashDir;
inline std::string NameIndexPath(absl::string_view root) {
  return absl::StrCat(store::OwnDir(root), "/names");
}

// The lock of the name index, and of one container's records (taken by
// every writer of its config.v2.json, hostconfig.json and state.json, and
// held by Create until the container is complete). Lock order: the
// layer-store lock, a container's lock, the names lock.
inline constexpr absl::string_view kNamesLock = "names";
inline std::string ContainerLockName(absl::string_view id) {
  return absl::StrCat("container-", id);
}
inline std::string ContainerLockPath(absl::string_view root,
                                     absl::string_view id) {
  return absl::StrCat(store::OwnDir(root), "/locks/", ContainerLockName(id),
                      ".lock");
}

}  // namespace mydocker::container

#endif  // MYDOCKER_LIB_CONTAINER_LAYOUT_H_
