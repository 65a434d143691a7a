// Docker 20.10's defaults for a container's OCI spec, as data.
//
// Everything here is what dockerd (moby v20.10.24) puts in a spec before it
// applies any `docker run` flag, plus the few defaults runc adds on its own
// that Docker relies on (the extra device cgroup rules). Each list says
// where it comes from, so it can be checked against the source again:
//
//   moby oci/defaults.go        DefaultLinuxSpec: mounts, masked and readonly
//                               paths, namespaces, device cgroup rules
//   moby oci/caps/defaults.go   the 14 default capabilities
//   moby daemon/oci_linux.go    WithMounts (/dev/shm size, privileged /sys),
//                               WithDevices (privileged: allow all),
//                               WithCommonOptions (init at /sbin/docker-init)
//   runc libcontainer/specconv  AllowedDevices (appended by runc to every
//                               container's device rules)
//   runtime-spec config-linux   the default devices every container gets
//
//   spec::Spec s;
//   s.process.capabilities.bounding = DefaultCapabilities();
//   s.mounts = DefaultMounts(kDefaultShmSize);
//   s.linux.masked_paths = DefaultMaskedPaths();
#ifndef MYDOCKER_LIB_SPEC_DOCKER_DEFAULTS_H_
#define MYDOCKER_LIB_SPEC_DOCKER_DEFAULTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/spec/spec.h"

namespace mydocker::spec {

// PATH when neither the image nor the user sets one (moby pkg/system/path.go).
inline constexpr char kDefaultPathEnv[] =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The size of /dev/shm without --shm-size: 64 MiB (moby daemon/config).
inline constexpr int64_t kDefaultShmSize = 67108864;

// Where `--init` mounts the init binary, and what it runs
// (`/sbin/docker-init -- <entrypoint> <cmd>`).
inline constexpr char kInContainerInitPath[] = "/sbin/docker-init";

// The stop signal without --stop-signal or an image StopSignal.
inline constexpr int kDefaultStopSignal = 15;  // SIGTERM

// The highest capability number mydocker has a name for
// (CAP_CHECKPOINT_RESTORE, Linux 5.9).
inline constexpr int kLastKnownCapability = 40;

// The capability names, indexed by number: "CAP_CHOWN" (0) ...
// "CAP_CHECKPOINT_RESTORE" (kLastKnownCapability).
const std::vector<std::string>& CapabilityNames();

// Docker's 14 default capabilities, in moby's order (CAP_CHOWN,
// CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW,
// CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE,
// CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE).
std::vector<std::string> DefaultCapabilities();

// Every capability up to `last_cap` (the kernel's cap_last_cap), in number
// order: what --privileged and --cap-add ALL grant. Capped at
// kLastKnownCapability, since the spec can only name capabilities we know.
// (Docker 20.10 also caps it, at CAP_AUDIT_READ, for old runc versions;
// mydocker's runtime knows them all, so it grants what the kernel has.)
std::vector<std::string> AllCapabilities(int last_cap);

// /proc/sys/kernel/cap_last_cap. FailedPrecondition naming the file if it
// cannot be read or does not hold a number in [0, 63].
absl::StatusOr<int> ReadCapLastCap(
    const std::string& path = "/proc/sys/kernel/cap_last_cap");

// Paths the runtime hides (a /dev/null bind over files, an empty read-only
// tmpfs over directories): /proc/asound, /proc/acpi, /proc/kcore,
// /proc/keys, /proc/latency_stats, /proc/timer_list, /proc/timer_stats,
// /proc/sched_debug, /proc/scsi, /sys/firmware.
std::vector<std::string> DefaultMaskedPaths();

// Paths the runtime remounts read-only: /proc/bus, /proc/fs, /proc/irq,
// /proc/sys, /proc/sysrq-trigger.
std::vector<std::string> DefaultReadonlyPaths();

// The filesystem mounts of every container, in Docker's order: /proc,
// /dev (tmpfs), /dev/pts, /sys (ro), /sys/fs/cgroup (ro), /dev/mqueue and
// /dev/shm with "size=<shm_size>" (bytes, as dockerd writes it).
std::vector<Mount> DefaultMounts(int64_t shm_size);

// The device nodes every container gets (runtime-spec "Default Devices"):
// /dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom and /dev/tty,
// mode 0666, owned by root. /dev/console (when there is a terminal) and
// the /dev/ptmx -> pts/ptmx symlink are the runtime's to make.
std::vector<Device> DefaultDevices();

// The device cgroup rules of an unprivileged container: Docker's own list
// (deny all; allow c 1:5, 1:3, 1:9, 1:8, 5:0, 5:1 rwm; deny c 10:229 rwm)
// followed by the rules runc appends to every container (allow mknod of any
// c and b device; c 1:3, 1:8, 1:7, 5:0, 1:5, 1:9, 136:*, 5:2, 10:200 rwm).
// Written out here so the spec means the same under any runtime.
std::vector<DeviceCgroupRule> DefaultDeviceRules();

// The device cgroup rules of a --privileged container: allow all.
std::vector<DeviceCgroupRule> PrivilegedDeviceRules();

}  // namespace mydocker::spec

#endif  // MYDOCKER_LIB_SPEC_DOCKER_DEFAULTS_H_
