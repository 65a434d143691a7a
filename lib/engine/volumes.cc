#include "lib/engine/volumes.h"

#include <errno.h>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/random_id.h"
#include "lib/base/status_macros.h"
#include "lib/spec/mounts.h"

namespace mydocker::engine {
namespace {

// Makes `path`; says whether it is new.
absl::StatusOr<bool> EnsureDir(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) == 0) return true;
  if (errno != EEXIST) return base::ErrnoStatus(errno, "mkdir ", path);
  return false;
}

}  // namespace

absl::StatusOr<MadeMounts> MakeMountPoints(const std::string& root,
                                           const std::vector<std::string>& volumes) {
  MadeMounts made;
  if (volumes.empty()) return made;
  absl::Status status = [&]() -> absl::Status {
    std::map<std::string, container::MountPoint> out;
    for (const std::string& v : volumes) {
      ASSIGN_OR_RETURN(spec::VolumeSpec vs, spec::ParseVolume(v));
      if (out.count(vs.destination)) {
        return absl::InvalidArgumentError(
            absl::StrCat("Duplicate mount point: ", vs.destination));
      }
      container::MountPoint mp;
      mp.destination = vs.destination;
      mp.rw = !vs.read_only;
      mp.mode = vs.mode;
      mp.propagation = vs.propagation.empty() ? "rprivate" : vs.propagation;
      if (vs.kind == spec::VolumeKind::kBind) {
        // dockerd creates a missing bind source as a directory; one that
        // exists (a file, a socket...) is bound as it is.
        struct stat st;
        if (stat(vs.source.c_str(), &st) != 0) {
          if (errno != ENOENT) return base::ErrnoStatus(errno, "stat ", vs.source);
          RETURN_IF_ERROR(base::MakeDirs(vs.source, 0755));
        }
        mp.source = vs.source;
        mp.type = "bind";
      } else {
        std::string name = vs.source;
        if (vs.kind == spec::VolumeKind::kAnonymous) {
          ASSIGN_OR_RETURN(name, base::RandomHexId());
        }
        std::string volumes_dir = absl::StrCat(root, "/volumes");
        RETURN_IF_ERROR(EnsureDir(volumes_dir, 0701).status());
        std::string dir = absl::StrCat(volumes_dir, "/", name);
        ASSIGN_OR_RETURN(bool is_new, EnsureDir(dir, 0701));
        if (is_new) made.new_volumes.push_back(name);
        RETURN_IF_ERROR(EnsureDir(dir + "/_data", 0755).status());
        mp.source = dir + "/_data";
        mp.name = name;
        mp.driver = "local";
        mp.type = "volume";
        mp.propagation = "";
        if (mp.mode.empty()) mp.mode = "z";
        ASSIGN_OR_RETURN(mp.id, base::RandomHexId());
        mp.spec = {{"Type", "volume"}, {"Source", name}, {"Target", vs.destination}};
        if (vs.kind == spec::VolumeKind::kAnonymous) mp.spec.erase("Source");
      }
      out[vs.destination] = std::move(mp);
    }
    made.mount_points = std::move(out);
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    for (const std::string& v : made.new_volumes) (void)RemoveVolume(root, v);
    return status;
  }
  return made;
}

std::vector<std::string> AnonymousVolumes(const container::Container& c) {
  std::vector<std::string> out;
  if (!c.mount_points) return out;
  for (const auto& [dest, mp] : *c.mount_points) {
    // dockerd's anonymous volumes are named by a random id; their mount
    // spec has no Source.
    if (mp.type == "volume" && mp.spec.is_object() && !mp.spec.contains("Source")) {
      out.push_back(mp.name);
    }
  }
  return out;
}

absl::Status RemoveVolume(const std::string& root, const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." ||
      name == "..") {
    return absl::InvalidArgumentError(absl::StrCat("invalid volume name: ", name));
  }
  return base::RemoveAll(absl::StrCat(root, "/volumes/", name));
}

}  // namespace mydocker::engine
