// -v at create time: bind mounts, and the volumes the container's records
// point at, laid out as dockerd's local volume driver does
// (lib/store/DOCKER_CONTAINERS.md §7):
//
//   -v /srv:/data:ro   a bind; /srv is created (0755) if missing
//   -v cache:/data     the named volume <root>/volumes/cache/_data, made on
//                      first use
//   -v /data           an anonymous volume: the same, under a random
//                      64-hex name
//
// Not (yet) done as dockerd does: the volumes/metadata.db bolt index
// (dockerd also finds volumes by scanning volumes/*/_data), copying the
// image's content at the mount point into a new volume, and anonymous
// volumes for the image's VOLUMEs.
#ifndef MYDOCKER_LIB_ENGINE_VOLUMES_H_
#define MYDOCKER_LIB_ENGINE_VOLUMES_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/container/record.h"

namespace mydocker::engine {

struct MadeMounts {
  // Keyed by destination; nullopt for no -v at all.
  std::optional<std::map<std::string, container::MountPoint>> mount_points;
  // The volumes this call made (to remove if the create fails).
  std::vector<std::string> new_volumes;
};

// The MountPoints for the -v values `volumes`, making what they need.
// InvalidArgument for a malformed value or two at one destination
// ("Duplicate mount point: /x"); nothing is left made on an error.
absl::StatusOr<MadeMounts> MakeMountPoints(const std::string& root,
                                           const std::vector<std::string>& volumes);

// The names of `c`'s anonymous volumes (`rm -v` removes them).
std::vector<std::string> AnonymousVolumes(const container::Container& c);

// Removes the volume `name` (<root>/volumes/<name>). OK if it is gone.
absl::Status RemoveVolume(const std::string& root, const std::string& name);

}  // namespace mydocker::engine

#endif  // MYDOCKER_LIB_ENGINE_VOLUMES_H_
