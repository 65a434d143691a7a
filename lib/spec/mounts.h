// Docker's user mounts: `-v`, `--tmpfs`, and the order mounts are made in
// (moby volume/mounts/linux_parser.go, daemon/volumes.go,
// daemon/oci_linux.go WithMounts, moby/sys/mount MergeTmpfsOptions; v20.10).
//
//   ASSIGN_OR_RETURN(VolumeSpec v, ParseVolume("/srv/data:/data:ro"));
//   // v.kind == VolumeKind::kBind, v.source == "/srv/data", v.read_only
//   BindMount b = v.ToBindMount(v.source);
//   ASSIGN_OR_RETURN(TmpfsMount t, ParseTmpfs("/run:rw,size=64m"));
//   ASSIGN_OR_RETURN(Mount m, t.ToSpecMount());
//   // {"/run", "tmpfs", "tmpfs",
//   {"noexec","nosuid","nodev","rprivate","rw","size=64m"}}
#ifndef MYDOCKER_LIB_SPEC_MOUNTS_H_
#define MYDOCKER_LIB_SPEC_MOUNTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/spec/spec.h"

namespace mydocker::spec {

// Go's path.Clean: the shortest equivalent path ("/a/../b/" -> "/b").
std::string CleanPath(absl::string_view path);

// A bind mount whose source the caller has resolved to a host path: a
// `-v /host:/ctr` bind, a named volume's directory, or an anonymous volume
// made for an image VOLUME.
struct BindMount {
  std::string source;       // Absolute host path.
  std::string destination;  // Absolute path in the container.
  bool read_only = false;
  // "rprivate" (Docker's default), "private", "rshared", "shared",
  // "rslave" or "slave".
  std::string propagation = "rprivate";
  bool non_recursive = false;  // "bind" instead of "rbind".

  // The spec mount: {"bind", source, {"rbind"|"bind", ["ro"], propagation}}.
  Mount ToSpecMount() const;
};

enum class VolumeKind {
  kBind,       // -v /host/path:/ctr
  kNamed,      // -v name:/ctr
  kAnonymous,  // -v /ctr
};

// One `-v` value, parsed as dockerd parses it.
struct VolumeSpec {
  VolumeKind kind = VolumeKind::kAnonymous;
  std::string source;       // kBind: the cleaned host path; kNamed: the name.
  std::string destination;  // Cleaned, absolute, not "/".
  bool read_only = false;
  std::string propagation;  // As given in the mode, or "" (rprivate).
  bool no_copy = false;     // "nocopy": do not seed a new volume.
  std::string mode;         // The raw mode ("ro,z"), "" if none.

  // The mount once the caller knows the host directory (`source` for
  // kBind, the volume's directory otherwise).
  BindMount ToBindMount(std::string host_path) const;
};

// `-v SPEC` as dockerd reads it: "DEST", "SOURCE:DEST" or
// "SOURCE:DEST:MODE", where MODE is a comma list of at most one each of
// rw|ro, z|Z, [r]private|[r]shared|[r]slave, nocopy, and
// consistent|cached|delegated (z/Z and the consistency modes are accepted
// and ignored). A SOURCE that is an absolute path makes a bind, anything
// else names a volume. InvalidArgument with Docker's message otherwise:
// "invalid volume specification: '<spec>'...", "invalid mode: <mode>",
// a bad volume name, a propagation mode on a volume, nocopy on a bind.
// The bind source need not exist (dockerd creates it; that is the caller's).
absl::StatusOr<VolumeSpec> ParseVolume(absl::string_view spec);

// A `--tmpfs DEST[:OPTIONS]` mount.
struct TmpfsMount {
  std::string destination;  // Cleaned, absolute, not "/".
  std::string data;         // The options as given: "rw,size=64m".

  // {"tmpfs", "tmpfs", MergeTmpfsOptions(noexec,nosuid,nodev,rprivate +
  // data)}. InvalidArgument for an option tmpfs does not take.
  absl::StatusOr<Mount> ToSpecMount() const;
};

// Parses `--tmpfs` (split at the first ':'). InvalidArgument "invalid mount
// path: 'x' mount path must be absolute" or "invalid specification:
// destination can't be '/'".
absl::StatusOr<TmpfsMount> ParseTmpfs(absl::string_view value);

// moby/sys/mount MergeTmpfsOptions: drops "defaults" and keeps, for each
// mount flag (ro/rw, [no]exec, [no]suid, ...; all propagation modes count
// as one) and each data key (size, mode, uid, gid, nr_inodes, nr_blocks,
// mpol), only its last occurrence, in order. InvalidArgument `Invalid
// tmpfs option "x"` for anything else.
absl::StatusOr<std::vector<std::string>> MergeTmpfsOptions(
    const std::vector<std::string>& options);

// Orders mounts so that none is hidden by a later one: fewer path
// components first ("/a" before "/a/b"), keeping the given order among
// equals (Docker's sort is unstable; stable is what it means).
void SortMountsByDepth(std::vector<Mount>& mounts);

}  // namespace mydocker::spec

#endif  // MYDOCKER_LIB_SPEC_MOUNTS_H_
