// Starting a stored container: spawns its monitor (monitor.h) detached from
// the caller (its own session; the caller never reaps it), waits for the
// monitor's report, and hands back the attach stream if asked for. The
// monitor can be spawned before the container exists (PendingMonitor).
//
//   StartOptions o;
//   o.attach = true;
//   ASSIGN_OR_RETURN(Started s, StartContainer(root, id, o));
//   ASSIGN_OR_RETURN(int status, RunAttachClient(std::move(s.stream), ...));
//
// A failed start returns the monitor's message with the exit status a user
// expects (ExitCodeOf): 127 command not found, 126 not executable, 125
// anything else.
#ifndef MYDOCKER_LIB_ENGINE_START_H_
#define MYDOCKER_LIB_ENGINE_START_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/base/unique_fd.h"
#include "lib/tty/tty.h"

namespace mydocker::engine {

struct StartOptions {
  bool attach = false;  // Keep an attach stream to the monitor.
  std::optional<tty::Winsize> size;  // For the container's pty.
  // The container gets a network namespace of its own (not host, not
  // container:): the monitor starts making it at once.
  bool new_netns = false;
};

struct Started {
  int64_t pid = 0;         // The container's init (host pid).
  base::UniqueFd stream;   // The attach stream, if asked for.
};

// A monitor spawned before its container exists: `run` spawns it while it
// creates the container, so the monitor's own start (an exec, the loader,
// a network namespace) overlaps the create. It waits for Start; without it
// (the create failed, or this object went) it ends, having started nothing
// (the network namespace it began goes with it).
class PendingMonitor {
 public:
  static absl::StatusOr<PendingMonitor> Spawn(const std::string& root,
                                              const StartOptions& options);

  // Gives the monitor the container `id` and waits for its report.
  absl::StatusOr<Started> Start(const std::string& id);

 private:
  base::UniqueFd report_;  // The monitor's report, read here.
  base::UniqueFd id_;      // Where the container's id goes.
  base::UniqueFd stream_;  // The attach stream, if asked for.
};

// Spawns the monitor of the stored container `id` and waits for its report.
absl::StatusOr<Started> StartContainer(const std::string& root,
                                       const std::string& id,
                                       const StartOptions& options);

// `status` carrying the exit status a command should end with.
absl::Status WithExitCode(absl::Status status, int code);
// The exit status `status` carries, or `fallback`.
int ExitCodeOf(const absl::Status& status, int fallback);

}  // namespace mydocker::engine

#endif  // MYDOCKER_LIB_ENGINE_START_H_
