// A stored container -> the OCI spec its start runs. dockerd builds the
// spec from the container's records at every start (daemon/start.go ->
// createSpec), not from the flags of `run`: so `start` of a created or
// exited container, and a container dockerd created, start the same way.
//
//   ASSIGN_OR_RETURN(spec::Spec s,
//                    ContainerSpec(c, paths.merged_dir, init_path, host));
#ifndef MYDOCKER_LIB_ENGINE_CONTAINER_SPEC_H_
#define MYDOCKER_LIB_ENGINE_CONTAINER_SPEC_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "lib/container/record.h"
#include "lib/spec/builder.h"
#include "lib/spec/host.h"
#include "lib/spec/image_config.h"
#include "lib/spec/spec.h"

namespace mydocker::engine {

// The builder's inputs for `c`. The record's Config is already merged with
// the image's (create_config.h), so it plays the image config's part, with
// Path + Args as the command and no overrides. MountPoints become binds;
// HostConfig carries the rest. InvalidArgument for a record field the
// builder cannot take (a malformed tmpfs or security option).
absl::StatusOr<std::pair<spec::ImageConfig, spec::RunOptions>> BuilderInputs(
    const container::Container& c);

// dockerd's create-time checks (spec::CheckRunOptions) of a container
// about to be created with `config` and `host_config`, on this host.
absl::Status VerifyCreate(const container::Config& config,
                          const container::HostConfig& host_config);

// The cgroup of container `id`, relative to each hierarchy's root.
std::string CgroupPath(const std::string& id);

// The spec for starting `c` on `rootfs` (its mounted overlay), with the
// docker-init binary at `init_binary` ("" unless HostConfig.Init).
absl::StatusOr<spec::Spec> ContainerSpec(const container::Container& c,
                                         const std::string& rootfs,
                                         const std::string& init_binary,
                                         const spec::HostFeatures& host);

}  // namespace mydocker::engine

#endif  // MYDOCKER_LIB_ENGINE_CONTAINER_SPEC_H_
