// An image config's "config" / "container_config" object as Docker's API
// shows it in `docker image inspect`: re-encoded through Go's
// container.Config struct (moby api/types/container/config.go, v20.10).
//
// An image config is whatever its builder wrote; dockerd unmarshals it into
// that struct and marshals the struct back, which fixes the key order and
// set, fills in zero values and drops unknown keys:
//
//   {"Cmd":"sh","Env":["A=1"],"x-custom":1}
//   -> {"Hostname":"","Domainname":"","User":"",...,"Env":["A=1"],
//       "Cmd":["sh"],"Image":"",...,"Labels":null}
//
//   nlohmann::ordered_json c = ContainerConfigToApi(config["config"]);
#ifndef MYDOCKER_LIB_IMAGE_CONTAINER_CONFIG_H_
#define MYDOCKER_LIB_IMAGE_CONTAINER_CONFIG_H_

#include "nlohmann/json.hpp"

namespace mydocker::image {

// Re-encodes `in` (normally an object) as Go's container.Config: every
// field in struct order, `omitempty` fields only when non-empty, keys
// matched as encoding/json matches them (exact name first, then ASCII
// case-insensitively). Slices and maps that are absent or null come out
// null, present-but-empty ones as []/{}; a string Cmd/Entrypoint/Shell
// becomes a one-element list (strslice). A value of the wrong type reads
// as the field's zero value (dockerd would refuse the whole image; being
// lenient here only affects what inspect shows). Never throws.
nlohmann::ordered_json ContainerConfigToApi(const nlohmann::json& in);

}  // namespace mydocker::image

#endif  // MYDOCKER_LIB_IMAGE_CONTAINER_CONFIG_H_
