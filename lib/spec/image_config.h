// The part of an image's config blob (its "config" object: Docker's
// container.Config, OCI's ImageConfig) that decides how a container of it
// runs.
//
//   ASSIGN_OR_RETURN(ImageConfig c, ParseImageConfig(config_blob));
//   // c.entrypoint == {"/docker-entrypoint.sh"}, c.cmd == {"nginx", ...}
#ifndef MYDOCKER_LIB_SPEC_IMAGE_CONFIG_H_
#define MYDOCKER_LIB_SPEC_IMAGE_CONFIG_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::spec {

// Config blobs larger than this are refused (as manifests are).
inline constexpr size_t kMaxImageConfigBytes = 4 << 20;

struct ImageConfig {
  std::string user;                     // "User": "" means root.
  std::vector<std::string> env;         // "Env": "KEY=value".
  std::vector<std::string> entrypoint;  // "Entrypoint".
  std::vector<std::string> cmd;         // "Cmd".
  std::string working_dir;              // "WorkingDir".
  std::string stop_signal;              // "StopSignal", unparsed.
  // "ExposedPorts" keys ("80/tcp"), sorted.
  std::vector<std::string> exposed_ports;
  // "Volumes" keys ("/var/lib/mysql"), sorted: the caller gives each one
  // not covered by a -v/--tmpfs an anonymous volume (RunOptions::binds).
  std::vector<std::string> volumes;
  std::map<std::string, std::string> labels;  // "Labels".
};

// Parses the full config blob and reads its "config" object; an absent or
// null "config" is an empty ImageConfig. Keys match as Go's encoding/json
// matches them (exact name first, then ignoring case). Entrypoint and Cmd
// may be a list of strings or one string (a one-element list); any list or
// map may be null. "Healthcheck", "Shell", "OnBuild" and unknown keys are
// ignored. InvalidArgument naming the field for malformed JSON, a value of
// the wrong type, or a blob over kMaxImageConfigBytes.
absl::StatusOr<ImageConfig> ParseImageConfig(absl::string_view blob);

}  // namespace mydocker::spec

#endif  // MYDOCKER_LIB_SPEC_IMAGE_CONFIG_H_
