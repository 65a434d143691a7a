// What `kill`, `stop`, `wait` and `rm -f` do to a container that may be
// running: they talk to its processes directly (there is no daemon), by
// pidfd, after checking the recorded start time so a reused pid is never
// signalled, and learn about the exit from the monitor (monitor.h), which
// records it.
//
//   container::Store store(root);
//   RETURN_IF_ERROR(StopContainer(store, "web", /*timeout=*/std::nullopt));
//   ASSIGN_OR_RETURN(int64_t code, WaitContainer(store, "web"));
#ifndef MYDOCKER_LIB_ENGINE_LIFECYCLE_H_
#define MYDOCKER_LIB_ENGINE_LIFECYCLE_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lib/container/store.h"

namespace mydocker::engine {

// The store options every command that may meet a running container uses:
// a stale one's cgroups are removed when its record is repaired.
container::StoreOptions RuntimeStoreOptions();

// Removes container `id`'s cgroups (killing what is left in them).
absl::Status ReleaseCgroup(const std::string& id);

// Sends `sig` to the init of the running container `ref`.
// FailedPrecondition "Container <id> is not running" otherwise.
absl::Status KillContainer(container::Store& store, absl::string_view ref,
                           int sig);

// `docker stop`: marks the container manually stopped, sends its stop
// signal (Config.StopSignal, else SIGTERM), waits `timeout` (else
// Config.StopTimeout, else 10 s), then SIGKILL, and returns once the exit
// is recorded. A container that is not running is left alone (OK).
absl::Status StopContainer(container::Store& store, absl::string_view ref,
                           std::optional<absl::Duration> timeout);

// Blocks until `ref` is not running (its exit recorded, or its stale record
// repaired) or `deadline` passes (DeadlineExceeded), and returns the
// container as it then is.
absl::StatusOr<container::Container> WaitForExit(
    container::Store& store, absl::string_view ref,
    absl::Time deadline = absl::InfiniteFuture());

// `docker rm [-f]`: with `force`, a running container is killed (SIGKILL)
// first and its exit waited for.
absl::Status RemoveContainer(container::Store& store, absl::string_view ref,
                             bool force);

}  // namespace mydocker::engine

#endif  // MYDOCKER_LIB_ENGINE_LIFECYCLE_H_
