// A container's two records, config.v2.json and hostconfig.json, as
// dockerd 20.10 writes them (lib/store/DOCKER_CONTAINERS.md §2-§4), so
// that dockerd and mydocker can each load the containers the other made.
//
// The structs mirror moby's Go structs field for field (container.Container,
// State, container.Config, HostConfig, network.Settings, EndpointSettings,
// MountPoint) and are written the way Go's json.Encoder writes those: every
// field in struct order, `omitempty` fields only when set, nil slices and
// maps as null, maps with sorted keys, compact, HTML-escaped, one line plus
// "\n". A Go slice or map that can be nil is a std::optional here, so null
// and [] / {} both survive a round trip; a Go pointer to a number or bool is
// a std::optional too. Rarely used nested objects (Health, Healthcheck,
// IPAMConfig, Devices, Ulimits, the blkio lists, Mounts, mount Spec,
// Service, secret/config references) are kept as JSON values, unchanged.
//
// Reading follows encoding/json: unknown keys are allowed (and kept, in
// each object's `extra`, written back after the known fields), a missing
// key leaves the zero value, null leaves a scalar alone and makes a slice,
// map or pointer nil, key names match exactly or else ignoring ASCII case,
// a string where a command list is expected (Cmd, Entrypoint, Shell, CapAdd,
// CapDrop: Go's strslice) is a one-element list, invalid UTF-8 reads as
// U+FFFD, and only the first JSON value of the text is read. A value of the
// wrong type is an error, as it makes dockerd refuse the container. The
// reader fills the structs straight from the text (no JSON tree), which is
// what keeps `ps` with a thousand containers fast.
//
// A file dockerd wrote comes out of Parse + Serialize byte for byte
// (tested on every sample of the research). Two deliberate exceptions,
// where the result is what dockerd itself would need: a null or missing
// NetworkSettings, State or Config is written as the empty struct (a null
// NetworkSettings makes dockerd's inspect panic), and a null
// NetworkSettings.Networks as {}.
//
//   ASSIGN_OR_RETURN(Container c, ParseConfigV2(text));
//   c.state.running = false;
//   std::string bytes = SerializeConfigV2(c);  // what dockerd would write
#ifndef MYDOCKER_LIB_CONTAINER_RECORD_H_
#define MYDOCKER_LIB_CONTAINER_RECORD_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lib/image/format.h"
#include "nlohmann/json.hpp"

namespace mydocker::container {

using Json = nlohmann::ordered_json;
using StringList = std::optional<std::vector<std::string>>;  // []string
using StringMap = std::optional<std::map<std::string, std::string>>;

// Go's zero time.Time, written "0001-01-01T00:00:00Z".
inline constexpr absl::Time kZeroTime = image::kGoZeroTime;

// container.State (moby container/state.go), the on-disk part.
struct State {
  bool running = false;
  bool paused = false;
  bool restarting = false;
  bool oom_killed = false;           // "OOMKilled"
  bool removal_in_progress = false;  // "RemovalInProgress"
  bool dead = false;
  int64_t pid = 0;        // Host pid of the container's init while running.
  int64_t exit_code = 0;  // "ExitCode"
  std::string error;      // "Error": why the last start failed.
  absl::Time started_at = kZeroTime;
  absl::Time finished_at = kZeroTime;
  // "Health": null without a healthcheck, else {"Status": "healthy" |
  // "unhealthy" | "starting", "FailingStreak": n, "Log": [...]}.
  Json health;
  Json extra;  // Unknown keys, kept.
};

// container.Config (moby api/types/container/config.go): the container's
// own config, the create request merged with the image's. Also the type of
// an image config's "config" object.
struct Config {
  std::string hostname;
  std::string domainname;
  std::string user;
  bool attach_stdin = false;
  bool attach_stdout = false;
  bool attach_stderr = false;
  std::set<std::string> exposed_ports;  // "80/tcp"; omitted when empty.
  bool tty = false;
  bool open_stdin = false;
  bool stdin_once = false;
  StringList env;  // "K=V", or "K" (set in the config, not passed on).
  StringList cmd;
  Json healthcheck;           // HealthConfig; omitted when null.
  bool args_escaped = false;  // Windows only; omitted when false.
  std::string image;          // The image as the user typed it.
  std::optional<std::set<std::string>> volumes;  // map[string]struct{}
  std::string working_dir;
  StringList entrypoint;
  bool network_disabled = false;  // Omitted when false.
  std::string mac_address;        // Omitted when "".
  StringList on_build;
  StringMap labels;
  std::string stop_signal;              // "SIGQUIT"; omitted when "".
  std::optional<int64_t> stop_timeout;  // Seconds; omitted when unset.
  StringList shell;                     // Omitted when empty.
  Json extra;
};

struct LogConfig {
  std::string type;  // "json-file"
  StringMap config;
  Json extra;
};

struct RestartPolicy {
  std::string name;  // "no", "always", "on-failure", "unless-stopped"
  int64_t maximum_retry_count = 0;
  Json extra;
};

struct PortBinding {
  std::string host_ip;    // "HostIp": "" (all), "0.0.0.0", "::"
  std::string host_port;  // "HostPort": "8080", "" (any)
  Json extra;
};

// nat.PortMap: "80/tcp" -> bindings; a port exposed but not published maps
// to null.
using PortMap = std::map<std::string, std::optional<std::vector<PortBinding>>>;

// container.HostConfig (moby api/types/container/host_config.go, with the
// embedded Resources), hostconfig.json. Field order is Go's.
struct HostConfig {
  StringList binds;
  std::string container_id_file;  // "ContainerIDFile"
  LogConfig log_config;
  std::string network_mode;  // "default", "bridge", "none", "host", ...
  std::optional<PortMap> port_bindings;
  RestartPolicy restart_policy;
  bool auto_remove = false;
  std::string volume_driver;
  StringList volumes_from;
  StringList cap_add;
  StringList cap_drop;
  std::string cgroupns_mode;  // "CgroupnsMode"
  StringList dns;             // "Dns"
  StringList dns_options;     // "DnsOptions"
  StringList dns_search;      // "DnsSearch"
  StringList extra_hosts;     // "name:ip"
  StringList group_add;
  std::string ipc_mode;
  std::string cgroup;
  StringList links;
  int64_t oom_score_adj = 0;
  std::string pid_mode;
  bool privileged = false;
  bool publish_all_ports = false;
  bool readonly_rootfs = false;
  StringList security_opt;
  StringMap storage_opt;    // Omitted when empty.
  StringMap tmpfs;          // "/run" -> "size=10m"; omitted when empty.
  std::string uts_mode;     // "UTSMode"
  std::string userns_mode;  // "UsernsMode"
  int64_t shm_size = 0;
  StringMap sysctls;                             // Omitted when empty.
  std::string runtime;                           // Omitted when "".
  std::array<int64_t, 2> console_size = {0, 0};  // height, width
  std::string isolation;
  // Resources.
  int64_t cpu_shares = 0;  // "CpuShares"
  int64_t memory = 0;
  int64_t nano_cpus = 0;  // "NanoCpus"
  std::string cgroup_parent;
  int64_t blkio_weight = 0;
  Json blkio_weight_device;
  Json blkio_device_read_bps;
  Json blkio_device_write_bps;
  Json blkio_device_read_iops;   // "BlkioDeviceReadIOps"
  Json blkio_device_write_iops;  // "BlkioDeviceWriteIOps"
  int64_t cpu_period = 0;
  int64_t cpu_quota = 0;
  int64_t cpu_realtime_period = 0;
  int64_t cpu_realtime_runtime = 0;
  std::string cpuset_cpus;
  std::string cpuset_mems;
  Json devices;  // [{"PathOnHost","PathInContainer","CgroupPermissions"}]
  StringList device_cgroup_rules;
  Json device_requests;
  int64_t kernel_memory = 0;
  int64_t kernel_memory_tcp = 0;  // "KernelMemoryTCP"
  int64_t memory_reservation = 0;
  int64_t memory_swap = 0;
  std::optional<int64_t> memory_swappiness;
  std::optional<bool> oom_kill_disable;
  std::optional<int64_t> pids_limit;
  Json ulimits;  // [{"Name","Hard","Soft"}]
  int64_t cpu_count = 0;
  int64_t cpu_percent = 0;
  int64_t io_maximum_iops = 0;       // "IOMaximumIOps"
  int64_t io_maximum_bandwidth = 0;  // "IOMaximumBandwidth"
  // End of Resources.
  Json mounts;  // --mount specs; omitted when null or [].
  StringList masked_paths;
  StringList readonly_paths;
  std::optional<bool> init;  // Omitted when unset.
  Json extra;
};

// network.EndpointSettings plus dockerd's IPAMOperational: one network the
// container is attached to.
struct EndpointSettings {
  Json ipam_config;  // "IPAMConfig"
  StringList links;
  StringList aliases;
  std::string network_id;   // "NetworkID"
  std::string endpoint_id;  // "EndpointID"
  std::string gateway;
  std::string ip_address;  // "IPAddress"
  int64_t ip_prefix_len = 0;
  std::string ipv6_gateway;
  std::string global_ipv6_address;
  int64_t global_ipv6_prefix_len = 0;
  std::string mac_address;
  StringMap driver_opts;
  bool ipam_operational = false;  // "IPAMOperational"
  Json extra;
};

// network.Settings (moby daemon/network/settings.go).
struct NetworkSettings {
  std::string bridge;
  std::string sandbox_id;  // "SandboxID"
  bool hairpin_mode = false;
  std::string link_local_ipv6_address;
  int64_t link_local_ipv6_prefix_len = 0;
  // Network name ("bridge", "none", "host", ...) -> endpoint. Always written
  // (as {} when empty): dockerd needs the map.
  std::map<std::string, EndpointSettings> networks;
  Json service;
  std::optional<PortMap> ports;  // null unless running.
  std::string sandbox_key;
  Json secondary_ip_addresses;    // "SecondaryIPAddresses"
  Json secondary_ipv6_addresses;  // "SecondaryIPv6Addresses"
  bool is_anonymous_endpoint = false;
  bool has_swarm_endpoint = false;
  Json extra;
};

// volumemounts.MountPoint: a -v bind or volume.
struct MountPoint {
  std::string source;
  std::string destination;
  bool rw = false;  // "RW"
  std::string name;
  std::string driver;
  std::string type;            // "bind", "volume"; omitted when "".
  std::string mode;            // Written as "Relabel" ("ro", "z"); omitempty.
  std::string propagation;     // "rprivate"; omitted when "".
  std::string id;              // "ID"; omitted when "".
  Json spec = Json::object();  // The mount.Mount that made it.
  bool skip_mountpoint_creation = false;
  Json extra;
};

struct LocalLogCacheMeta {
  bool have_notify_enabled = false;
  Json extra;
};

// container.Container: config.v2.json, plus hostconfig.json in
// `host_config` (a separate file, as in dockerd).
struct Container {
  State state;
  std::string id;  // "ID": 64 hex, the directory's name.
  absl::Time created = kZeroTime;
  bool managed = false;
  std::string path;  // Entrypoint + Cmd: the first word ...
  StringList args;   // ... and the rest ([] when none).
  Config config;
  std::string image;  // The image id, "sha256:<hex>".
  NetworkSettings network_settings;
  std::string log_path;  // <root>/containers/<id>/<id>-json.log once started.
  std::string name;      // "/name".
  std::string driver;    // "overlay2"
  std::string os;        // "linux"
  std::string mount_label;
  std::string process_label;
  int64_t restart_count = 0;
  bool has_been_started_before = false;
  bool has_been_manually_stopped = false;
  std::optional<std::map<std::string, MountPoint>> mount_points;
  Json secret_references;
  Json config_references;
  std::string app_armor_profile;  // "AppArmorProfile"
  std::string hostname_path;
  std::string hosts_path;
  std::string shm_path;
  std::string resolv_conf_path;
  std::string seccomp_profile;
  bool no_new_privileges = false;
  LocalLogCacheMeta local_log_cache_meta;
  Json extra;

  HostConfig host_config;  // hostconfig.json.
};

// config.v2.json -> Container (host_config left empty). InvalidArgument
// "config.v2.json: <field path>: ..." for text that is not a JSON object or
// a field of the wrong type.
absl::StatusOr<Container> ParseConfigV2(absl::string_view text);

// hostconfig.json -> HostConfig, with InvalidArgument like ParseConfigV2.
absl::StatusOr<HostConfig> ParseHostConfig(absl::string_view text);

// A container.Config from its JSON object: an image config's "config" (or
// "container_config"); null is the empty Config. `what` names it in errors.
absl::StatusOr<Config> ConfigFromJson(const Json& j, absl::string_view what);

// The records as JSON values, keys in Go's order.
Json ConfigV2ToJson(const Container& c);
Json HostConfigToJson(const HostConfig& h);
Json ConfigToJson(const Config& c);

// The bytes of config.v2.json and hostconfig.json: GoJsonLine of the above.
std::string SerializeConfigV2(const Container& c);
std::string SerializeHostConfig(const HostConfig& h);

// What a start and an exit record, as dockerd does (moby container/state.go
// SetRunning, SetStopped, SetError; daemon/start.go):
//  - SetRunning: Running, Pid, StartedAt = now, ExitCode 0, Error "",
//    Paused and Restarting off, HasBeenStartedBefore.
//  - SetStopped: not Running/Paused/Restarting, Pid 0, FinishedAt = `at`,
//    ExitCode, OOMKilled.
//  - SetStartFailed: Error = `message`, ExitCode = `exit_code`, or 128 if
//    that is 0 (dockerd's rule; it uses 127 for "executable file not found"
//    or "no such file or directory", 126 for "permission denied"). StartedAt
//    stays as it was, so a never-started container still shows "Created".
void SetRunning(Container& c, int64_t pid, absl::Time now);
void SetStopped(Container& c, int64_t exit_code, bool oom_killed,
                absl::Time at);
void SetStartFailed(Container& c, absl::string_view message, int64_t exit_code);

// time.Time.MarshalJSON's text without quotes: RFC 3339 in UTC with the
// nanoseconds' trailing zeros trimmed ("2026-11-30T09:25:36.40634493Z").
std::string FormatGoTime(absl::Time t);
// Parses what FormatGoTime writes, or any RFC 3339 time with an offset.
absl::StatusOr<absl::Time> ParseGoTime(absl::string_view s);

}  // namespace mydocker::container

#endif  // MYDOCKER_LIB_CONTAINER_RECORD_H_
