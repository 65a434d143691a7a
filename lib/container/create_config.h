// What dockerd 20.10 does to a create request before it stores it: the
// container's Config merged with the image's, the HostConfig's daemon-side
// defaults, Path/Args, and the empty network endpoint a new container
// records. Sources (moby v20.10.24): daemon/commit.go merge,
// daemon/create.go mergeAndVerifyConfig, daemon/daemon_unix.go
// adaptContainerSettings and verifyPlatformContainerSettings,
// daemon/create_unix.go, daemon/logs.go mergeAndVerifyLogConfig,
// daemon/container.go newContainer, daemon/container_operations.go
// updateContainerNetworkSettings.
//
// The request is what the CLI sends (lib/store/DOCKER_CONTAINERS.md §4 and
// samples/create-requests.json): e.g. Labels {}, Dns [], empty IpcMode.
//
//   RETURN_IF_ERROR(MergeImageConfig(request.config, image_config));
//   ApplyHostConfigDefaults(request.host_config, DaemonDefaults{});
//   auto [path, args] = EntrypointAndArgs(request.config);
#ifndef MYDOCKER_LIB_CONTAINER_CREATE_CONFIG_H_
#define MYDOCKER_LIB_CONTAINER_CREATE_CONFIG_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/container/record.h"

namespace mydocker::container {

// Fills `user` from `image` as dockerd's merge() does: User, WorkingDir,
// StopSignal when unset; ExposedPorts and Volumes united; image Env entries
// whose name the user did not set appended after the user's; image Labels
// under the user's (Labels becomes {} if null); Cmd from the image only if
// the user gave neither Entrypoint nor Cmd, Entrypoint only if the user's is
// null (not []); Healthcheck field by field. Then an Entrypoint of [""] is
// dropped (`--entrypoint ""`). InvalidArgument "No command specified" if no
// Entrypoint and no Cmd remain.
absl::Status MergeImageConfig(Config& user, const Config& image);

// The daemon's settings that become per-container defaults.
struct DaemonDefaults {
  bool cgroup_v2 = false;            // The host's cgroup mode.
  std::string runtime = "runc";      // --default-runtime
  std::string ipc_mode = "private";  // --default-ipc-mode
  int64_t shm_size = 64 << 20;       // --default-shm-size
  std::string log_driver = "json-file";
};

// The defaults dockerd writes into a new container's HostConfig: NetworkMode
// "default", LogConfig type and {} config, ShmSize, IpcMode, CgroupnsMode
// ("host" on cgroup v1 and for privileged containers there, "private" on
// v2), MemorySwap = 2 x Memory when only Memory is set, OomKillDisable false,
// Runtime, and Docker's MaskedPaths and ReadonlyPaths unless privileged or
// set; a PidsLimit <= 0 and a MemorySwappiness of -1 (the CLI's "unset")
// become null.
void ApplyHostConfigDefaults(HostConfig& h, const DaemonDefaults& d);

// Path and Args of a container: the first word of Entrypoint + Cmd, and the
// rest ([] when there is none). The config must have a command
// (MergeImageConfig checked).
std::pair<std::string, std::vector<std::string>> EntrypointAndArgs(
    const Config& c);

// The network a container in `network_mode` joins by name: "default" ->
// "bridge"; "bridge", "none", "host" and user-defined networks are their own
// name; "" for "container:<id>" (no network of its own).
std::string NetworkName(absl::string_view network_mode);

// The NetworkSettings of a new container: one empty endpoint under
// NetworkName (none for container:<id>), IsAnonymousEndpoint when the user
// gave no name (as dockerd records it).
NetworkSettings NewNetworkSettings(const HostConfig& h, bool explicit_name);

// Config.Hostname if set; else, with --network host, the host's name; else
// the id's first 12 characters.
std::string DefaultHostname(const Config& c, const HostConfig& h,
                            absl::string_view id);

}  // namespace mydocker::container

#endif  // MYDOCKER_LIB_CONTAINER_CREATE_CONFIG_H_
