// `docker run` semantics -> an OCI runtime spec: the image config, the
// run flags and the container's paths become the config.json that
// lib/runtime executes. This is where Docker 20.10's rules live (moby
// daemon/oci_linux.go createSpec and what feeds it: daemon/commit.go
// merge, daemon/create.go, daemon/daemon_unix.go, container/*.go); every
// rule below names its source in builder.cc.
//
//   ASSIGN_OR_RETURN(ImageConfig image, ParseImageConfig(config_blob));
//   RunOptions run;
//   run.command = {"sh", "-c", "echo hi"};
//   run.memory = *ParseBytes("512m");
//   run.binds.push_back(ParseVolume("/srv:/srv:ro")->ToBindMount("/srv"));
//   Paths paths{.container_id = id, .rootfs = merged_dir,
//               .hostname_file = dir + "/hostname", ...,
//               .cgroups_path = "/mydocker/" + id};
//   ASSIGN_OR_RETURN(Spec spec, Build(image, run, paths));
//
// Build reads two things from disk: the container's etc/passwd and
// etc/group (safely, see user.h) and any --env-file; and, without a
// HostFeatures, the host facts of host.h. It creates nothing: the working
// directory, bind sources and the files named in Paths are the caller's.
#ifndef MYDOCKER_LIB_SPEC_BUILDER_H_
#define MYDOCKER_LIB_SPEC_BUILDER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/spec/env.h"
#include "lib/spec/host.h"
#include "lib/spec/image_config.h"
#include "lib/spec/mounts.h"
#include "lib/spec/spec.h"

namespace mydocker::spec {

// What the `docker run` flags set that ends up in the spec. Defaults are
// those of a plain `docker run IMAGE`.
struct RunOptions {
  // --- What runs.
  // --entrypoint. nullopt: the image's. {""} (what `--entrypoint ""`
  // sends): no entrypoint, and the image's Cmd is dropped too. {X}: X
  // replaces the image's entrypoint and the image's Cmd is dropped. {} (the
  // API's empty list): no entrypoint, the image's Cmd kept.
  std::optional<std::vector<std::string>> entrypoint;
  // The arguments after the image name; empty: the image's Cmd.
  std::vector<std::string> command;
  // --init: run /sbin/docker-init (Paths::init_binary, bind-mounted) as
  // PID 1, which runs the command.
  bool init = false;

  // --- Environment and identity.
  // -e values as typed: "K=V", or "K" to take K from `lookup_env` (and to
  // leave K out altogether if it is not set there).
  std::vector<std::string> env;
  // --env-file paths, read before `env` (whose entries win).
  std::vector<std::string> env_files;
  // The caller's environment for bare "K" entries; null: this process's.
  EnvLookup lookup_env;
  std::string workdir;                 // -w; "": the image's, else "/".
  std::string user;                    // -u; "": the image's, else root.
  std::vector<std::string> group_add;  // --group-add names or gids.
  std::string hostname;    // -h; "": the first 12 characters of the id.
  std::string domainname;  // --domainname.
  bool tty = false;        // -t.

  // --- Privileges.
  std::vector<std::string> cap_add;  // "NET_ADMIN", "cap_net_admin", "ALL".
  std::vector<std::string> cap_drop;
  bool privileged = false;
  bool no_new_privileges = false;  // --security-opt no-new-privileges
  // --security-opt systempaths=unconfined: no masked or read-only paths.
  bool unconfined_system_paths = false;
  bool read_only = false;  // --read-only: the root filesystem is read-only.
  int oom_score_adj = 0;   // --oom-score-adj, -1000..1000.

  // --- Mounts.
  std::vector<std::string> tmpfs;  // --tmpfs "/run" or "/run:rw,size=64m".
  // -v and --mount binds and volumes, resolved to host paths by the caller
  // (ParseVolume + VolumeSpec::ToBindMount), plus the anonymous volumes the
  // caller makes for image VOLUMEs.
  std::vector<BindMount> binds;
  int64_t shm_size = 0;  // --shm-size in bytes; 0: 64 MiB.

  // --- Network: "default", "bridge", "none", "host" or a network name.
  // "host" shares the host's network namespace; all others get a new one.
  std::string network = "default";

  // --- Resources (0 or unset: no limit).
  int64_t memory = 0;              // -m, bytes (ParseBytes).
  int64_t memory_reservation = 0;  // --memory-reservation, bytes.
  // --memory-swap, bytes of memory + swap (ParseMemorySwap): 0 with
  // --memory set means twice --memory; -1 means unlimited swap.
  int64_t memory_swap = 0;
  int64_t nano_cpus = 0;    // --cpus (ParseCpus): 1.5 CPUs = 1500000000.
  int64_t cpu_shares = 0;   // -c.
  std::string cpuset_cpus;  // --cpuset-cpus "0-2,4".
  std::string cpuset_mems;  // --cpuset-mems.
  // --pids-limit: > 0 a limit, <= 0 explicitly unlimited.
  std::optional<int64_t> pids_limit;
};

// Applies one `--security-opt` value: "no-new-privileges" (optionally
// ":true"/"=false"...), "systempaths=unconfined". "seccomp=unconfined",
// "apparmor=unconfined" and "label=disable"/"label:disable" are accepted
// and change nothing (mydocker applies no seccomp, AppArmor or SELinux
// profile). InvalidArgument `invalid --security-opt: "x"` for a malformed
// value, Unimplemented for a profile or label mydocker cannot apply.
absl::Status ApplySecurityOpt(absl::string_view opt, RunOptions& run);

// Where the container's files are on the host.
struct Paths {
  std::string container_id;  // The 64-hex id; at least 12 characters.
  std::string rootfs;        // Absolute: the merged overlay directory.
  // Files bind-mounted over /etc/hostname, /etc/hosts and
  // /etc/resolv.conf (containers/<id>/hostname ...); "" mounts nothing.
  std::string hostname_file;
  std::string hosts_file;
  std::string resolv_conf_file;
  // The docker-init binary on the host; required with RunOptions::init.
  std::string init_binary;
  std::string cgroups_path;  // "/mydocker/<id>".
};

// The spec for running `image` with `run`, laid out in `paths`, on a host
// with `host`. What it decides, in Docker's words:
//  - args: Entrypoint + Cmd after the rules in RunOptions::entrypoint;
//    InvalidArgument "No command specified" if both end up empty. With
//    init: "/sbin/docker-init", "--", args...
//  - env: PATH (the default), HOSTNAME, TERM=xterm (with a tty), then the
//    user's and the image's entries replacing or adding by key, then HOME
//    from the user's passwd entry if still unset or empty.
//  - cwd: run.workdir, else the image's, cleaned; "/" if neither.
//    InvalidArgument unless absolute.
//  - user: resolved in the rootfs (user.h); additionalGids = gid, the
//    user's supplementary groups, --group-add.
//  - capabilities: caps.h's set in bounding, and also in effective and
//    permitted for uid 0 only (dockerd 20.10.14+); inheritable and
//    ambient empty.
//  - namespaces: mount, network (unless host), uts, pid, ipc, and cgroup
//    when host.cgroup_namespace.
//  - mounts: Docker's defaults (minus any a user mount replaces, and all
//    under /dev if the user mounts /dev), the init binary, then the user's
//    mounts (binds, the /etc files unless a bind covers them, tmpfs) by
//    depth. --read-only adds "ro" to all but the user mounts and /proc,
//    /dev, /dev/pts, /dev/shm, /dev/mqueue. Privileged: /sys and
//    /sys/fs/cgroup read-write. "Duplicate mount point: /x" for two user
//    mounts at one place.
//  - masked/readonly paths: Docker's, none when privileged or unconfined.
//  - devices and device rules: the defaults, or for privileged all host
//    devices (host.dev_dir) and "allow all".
//  - resources: memory (limit, reservation, swap per RunOptions), cpu
//    (shares clamped to [2, 262144], cpus as quota/period 100000, cpuset),
//    pids. InvalidArgument with dockerd's message for values it refuses
//    (memory under 6MB, swap below memory, --cpus beyond host.num_cpus...).
//  - sysctl: kernel.domainname; with its own network, dockerd's
//    net.ipv4.ping_group_range="0 2147483647" and
//    net.ipv4.ip_unprivileged_port_start="0" where the host has them.
//  - root: paths.rootfs, readonly per --read-only; cgroupsPath from paths;
//    rootfsPropagation "rslave" (runc's default under dockerd), "shared"
//    or "rslave" as a bind's propagation needs.
// Errors from user.h (NotFound "unable to find user x: ..."), caps.h,
// env.h and mounts.h come back unchanged.
absl::StatusOr<Spec> Build(const ImageConfig& image, const RunOptions& run,
                           const Paths& paths, const HostFeatures& host);

// Build's linux.resources alone: the device rules (Docker's defaults, or
// all devices with --privileged) and the limits. For a caller that makes
// the cgroup while the rest of the spec waits for the rootfs.
absl::StatusOr<Resources> BuildResources(const RunOptions& run,
                                         const HostFeatures& host);

// The checks dockerd makes when a container is created
// (daemon_unix.go verifyPlatformContainerSettings), without a rootfs: the
// resources, the capabilities, the tmpfs mounts. Build makes them again;
// running them first keeps a create that could never start from being
// stored. Build's errors for those parts.
absl::Status CheckRunOptions(const RunOptions& run, const HostFeatures& host);

// Build with DetectHostFeatures().
absl::StatusOr<Spec> Build(const ImageConfig& image, const RunOptions& run,
                           const Paths& paths);

}  // namespace mydocker::spec

#endif  // MYDOCKER_LIB_SPEC_BUILDER_H_
