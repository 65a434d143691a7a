// Resolves Docker's `--user` (and an image's User) against the container's
// own /etc/passwd and /etc/group, as dockerd does with runc's
// libcontainer/user (moby daemon/oci_linux.go getUser, v20.10).
//
// SECURITY: the rootfs is untrusted image content. Its files are opened
// with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) below the rootfs
// directory fd, so a symlink or ".." in the image can never reach a host
// file; only regular files are read (a FIFO or device is refused without
// blocking), and at most kMaxUserFileBytes of each. The host's NSS is
// never consulted.
//
//   ASSIGN_OR_RETURN(ExecUser u, ResolveUser("/var/lib/mydocker/.../merged",
//                                            "nginx:www-data"));
//   spec.process.user.uid = u.uid;  // u.gid, u.sgids, u.home
#ifndef MYDOCKER_LIB_SPEC_USER_H_
#define MYDOCKER_LIB_SPEC_USER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::spec {

// The most of a container's etc/passwd or etc/group that is read.
inline constexpr size_t kMaxUserFileBytes = 1 << 20;

struct ExecUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  // Supplementary groups: the gids of the groups whose member list names
  // the user, in file order; only when the spec names no group.
  std::vector<uint32_t> sgids;
  // The home directory of the first passwd entry with this uid, else "/":
  // what runc puts in HOME when the environment has none.
  std::string home = "/";
};

// Resolves `spec`, one of "" (root), "name", "uid", "name:group",
// "uid:gid", "name:gid", "uid:group", ":group" (root's entry, that group),
// against the passwd and group file contents (nullopt: the file does not
// exist). Docker's (runc's) rules:
//  - a numeric user is a uid even if a user has that name; a uid not in
//    passwd is fine (gid 0 then, unless a group is given), also without a
//    passwd file;
//  - a name not in passwd: NotFound "unable to find user NAME: no
//    matching entries in passwd file";
//  - a group name not in group: NotFound "unable to find group G: no
//    matching entries in group file"; a numeric gid not in group is fine;
//  - ids outside [0, 2^31-1]: InvalidArgument "uids and gids must be in
//    range 0-2147483647".
// The first matching entry wins. Anything after a second ':' is ignored.
absl::StatusOr<ExecUser> ResolveUserFromFiles(
    absl::string_view spec, const std::optional<std::string>& passwd,
    const std::optional<std::string>& group);

// `--group-add` values (group names or numeric gids) as gids, looked up in
// the group file (nullopt: none), without duplicates, in the order given.
// NotFound "Unable to find group NAME" for an unknown name.
absl::StatusOr<std::vector<uint32_t>> ResolveGroupsFromFile(
    const std::vector<std::string>& groups,
    const std::optional<std::string>& group_file);

// Reads `relative_path` ("etc/passwd") inside the directory `root_fd` as
// described above. nullopt if it (or a directory on the way) does not
// exist. FailedPrecondition naming the file if it is not a regular file or
// is larger than `max_bytes`; other errno errors as ErrnoStatus.
absl::StatusOr<std::optional<std::string>> ReadFileInRoot(
    int root_fd, const std::string& relative_path,
    size_t max_bytes = kMaxUserFileBytes);

// ResolveUserFromFiles with the container's etc/passwd and etc/group,
// read with ReadFileInRoot below `rootfs_fd` (a directory fd; O_PATH is
// enough).
absl::StatusOr<ExecUser> ResolveUser(int rootfs_fd, absl::string_view spec);

// The same, opening the rootfs directory at `rootfs` (the host path of
// the container's merged root).
absl::StatusOr<ExecUser> ResolveUser(const std::string& rootfs,
                                     absl::string_view spec);

// ResolveGroupsFromFile with the container's etc/group.
absl::StatusOr<std::vector<uint32_t>> ResolveGroups(
    int rootfs_fd, const std::vector<std::string>& groups);

}  // namespace mydocker::spec

#endif  // MYDOCKER_LIB_SPEC_USER_H_
