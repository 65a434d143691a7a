// mydocker's own record of a running container, which dockerd has no place
// for: <root>/mydocker/containers/<id>/state.json (0600), written by whoever
// starts the container (before config.v2.json says Running) and removed when
// the exit is recorded:
//
//   {"MonitorPid":812,"MonitorStartTime":4711,"Pid":815,
//    "PidStartTime":4720,"BootId":"8c3a..."}
//
// Start times are field 22 of /proc/<pid>/stat (clock ticks since boot), so
// a pid reused by another process is told apart; the boot id
// (/proc/sys/kernel/random/boot_id) tells a record from before a reboot.
// Judge() says whether a "Running" record still describes a live container.
//
//   ASSIGN_OR_RETURN(RuntimeState s, ProbeRuntimeState(getpid(), child_pid));
//   RETURN_IF_ERROR(WriteRuntimeState(root, id, s));
//   ...
//   switch (Judge(ReadRuntimeState(root, id), HostProbe{})) { ... }
#ifndef MYDOCKER_LIB_CONTAINER_RUNTIME_STATE_H_
#define MYDOCKER_LIB_CONTAINER_RUNTIME_STATE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mydocker::container {

struct RuntimeState {
  int64_t monitor_pid = 0;          // The process that waits for the container.
  uint64_t monitor_start_time = 0;  // Its /proc/<pid>/stat starttime.
  int64_t pid = 0;                  // The container's init, host pid.
  uint64_t pid_start_time = 0;
  std::string boot_id;  // /proc/sys/kernel/random/boot_id, no newline.
};

// Where the host facts are read; tests point them at fakes.
struct HostProbe {
  std::string proc_dir = "/proc";
  std::string boot_id_path = "/proc/sys/kernel/random/boot_id";
};

// The two fields of /proc/<pid>/stat that matter here.
struct ProcStat {
  char state = '?';         // Field 3: R, S, D, Z (zombie), X (dead), ...
  uint64_t start_time = 0;  // Field 22.
};

// Reads <proc_dir>/<pid>/stat. NotFound if there is no such process;
// DataLoss if the file cannot be parsed.
absl::StatusOr<ProcStat> ReadProcStat(int64_t pid, const HostProbe& probe);

// The boot id, trimmed.
absl::StatusOr<std::string> ReadBootId(const HostProbe& probe);

// A record for the live processes `monitor_pid` and `pid`.
absl::StatusOr<RuntimeState> ProbeRuntimeState(int64_t monitor_pid, int64_t pid,
                                               const HostProbe& probe = {});

// state.json of container `id` in the data root `root`: written atomically
// (creating <root>/mydocker/containers/<id>/), read (NotFound if there is
// none, DataLoss if damaged), removed with its directory (OK if absent).
absl::Status WriteRuntimeState(const std::string& root, const std::string& id,
                               const RuntimeState& s);
absl::StatusOr<RuntimeState> ReadRuntimeState(const std::string& root,
                                              const std::string& id);
absl::Status RemoveRuntimeState(const std::string& root, const std::string& id);

// Whether a container recorded as running still is.
enum class Liveness {
  kAlive,     // The monitor runs (same boot, same start time).
  kOrphaned,  // The monitor is gone, the container's init still runs.
  kGone,      // Monitor and init are both gone: the exit went unrecorded.
  kRebooted,  // The record is from an earlier boot.
  kNoRecord,  // No state.json (or a damaged one).
};

// The verdict for `state` (the result of ReadRuntimeState) on this host. A
// process counts as running if <pid>/stat exists, is not a zombie and has
// the recorded start time; so a reused pid is "gone".
Liveness Judge(const absl::StatusOr<RuntimeState>& state,
               const HostProbe& probe);

}  // namespace mydocker::container

#endif  // MYDOCKER_LIB_CONTAINER_RUNTIME_STATE_H_
