// The monitor: one small process per running container, mydocker's
// stand-in for containerd-shim. The `monitor` applet runs it; `run` and
// `start` spawn it (start.h) and it outlives them.
//
// It starts the container from its records (container_spec.h) and stays
// its parent and subreaper: it owns the pty master or the output pipes,
// writes Docker's json-file log, relays to an attached client (attach.h),
// and when the container exits records the exit in config.v2.json, removes
// the cgroup and the rootfs mount, and with --rm the container.
//
// The start is reported once on `report_fd`, one line:
//   "ok <pid>\n"                   the container runs (its record says so)
//   "err <exit status> <message>\n" it did not start; the record says why
// and the fd is closed. A monitor whose container id never came (id_fd)
// reports nothing and ends.
#ifndef MYDOCKER_LIB_ENGINE_MONITOR_H_
#define MYDOCKER_LIB_ENGINE_MONITOR_H_

#include <optional>
#include <string>

#include "lib/tty/tty.h"

namespace mydocker::engine {

struct MonitorOptions {
  std::string root;  // The data root.
  std::string id;    // The container's full id ...
  // ... or "", and it comes from here as a line: the monitor was spawned
  // before its container existed (start.h PendingMonitor). Without it
  // (EOF), the monitor ends, having done nothing.
  int id_fd = -1;
  int report_fd = -1;
  int attach_fd = -1;  // The attach stream, or -1 when detached.
  // The container will need a network namespace of its own: it is made at
  // once, while the id is awaited.
  bool new_netns = false;
  // The client's terminal size, for the container's pty.
  std::optional<tty::Winsize> size;
};

// Runs the container to its end. Returns the monitor's own exit status: 0
// when the exit was recorded (or no id came), 1 when the start failed.
int RunMonitor(const MonitorOptions& options);

}  // namespace mydocker::engine

#endif  // MYDOCKER_LIB_ENGINE_MONITOR_H_
