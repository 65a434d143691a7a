#include "lib/engine/lifecycle.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/base/errno_status.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"
#include "lib/cgroup/cgroup.h"
#include "lib/cgroup/layout.h"
#include "lib/container/runtime_state.h"
#include "lib/engine/container_spec.h"
#include "lib/engine/networking.h"
#include "lib/spec/signal.h"

namespace mydocker::engine {
namespace {

// A pidfd for `pid` if it is still the process started at `start_time`.
// NotFound when it is gone (or the pid was reused).
absl::StatusOr<base::UniqueFd> OpenProcess(int64_t pid, uint64_t start_time) {
  base::UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!fd) {
    if (errno == ESRCH) return absl::NotFoundError("process gone");
    return base::ErrnoStatus(errno, "pidfd_open ", pid);
  }
  // Checked after the pidfd exists: from here on it cannot be reused.
  absl::StatusOr<container::ProcStat> st = container::ReadProcStat(pid, {});
  if (!st.ok() || st->start_time != start_time || st->state == 'Z') {
    return absl::NotFoundError("process gone");
  }
  return fd;
}

absl::Status NotRunning(const container::Container& c) {
  return absl::FailedPreconditionError(
      absl::StrCat("Container ", c.id, " is not running"));
}

// The running container `ref`, its stale record repaired first.
absl::StatusOr<container::Container> LoadFresh(container::Store& store,
                                               absl::string_view ref) {
  ASSIGN_OR_RETURN(container::Container c, store.Load(ref));
  ASSIGN_OR_RETURN(bool refreshed, store.RefreshState(c));
  (void)refreshed;
  return c;
}

}  // namespace

absl::Status ReleaseCgroup(const std::string& id) {
  ASSIGN_OR_RETURN(cgroup::Layout layout, cgroup::Detect());
  absl::StatusOr<cgroup::Cgroup> cg = cgroup::Cgroup::Open(layout, CgroupPath(id));
  if (absl::IsNotFound(cg.status())) return absl::OkStatus();
  RETURN_IF_ERROR(cg.status());
  return cg->Destroy();
}

container::StoreOptions RuntimeStoreOptions() {
  container::StoreOptions o;
  o.release_runtime = [](const std::string& root, container::Container& c) {
    (void)ReleaseCgroup(c.id);
    ReleaseNetworks(root, c);
  };
  return o;
}

absl::Status KillContainer(container::Store& store, absl::string_view ref,
                           int sig) {
  ASSIGN_OR_RETURN(container::Container c, LoadFresh(store, ref));
  if (!c.state.running) return NotRunning(c);
  absl::StatusOr<container::RuntimeState> rs =
      container::ReadRuntimeState(store.root(), c.id);
  if (!rs.ok()) return NotRunning(c);
  absl::StatusOr<base::UniqueFd> fd = OpenProcess(rs->pid, rs->pid_start_time);
  if (!fd.ok()) return NotRunning(c);
  if (syscall(SYS_pidfd_send_signal, fd->get(), sig, nullptr, 0) != 0) {
    if (errno == ESRCH) return NotRunning(c);
    return base::ErrnoStatus(errno, "kill container ", c.id);
  }
  return absl::OkStatus();
}

absl::StatusOr<container::Container> WaitForExit(container::Store& store,
                                                 absl::string_view ref,
                                                 absl::Time deadline) {
  while (true) {
    ASSIGN_OR_RETURN(container::Container c, LoadFresh(store, ref));
    if (!c.state.running) return c;
    // The monitor exits right after it records the exit: wait for that.
    absl::StatusOr<container::RuntimeState> rs =
        container::ReadRuntimeState(store.root(), c.id);
    int timeout_ms = 200;
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("container ", c.id, " is still running"));
    }
    if (left < absl::Milliseconds(timeout_ms)) {
      timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(left)) + 1;
    }
    if (rs.ok()) {
      absl::StatusOr<base::UniqueFd> monitor =
          OpenProcess(rs->monitor_pid, rs->monitor_start_time);
      if (monitor.ok()) {
        pollfd p{monitor->get(), POLLIN, 0};
        if (deadline == absl::InfiniteFuture()) timeout_ms = 1000;
        poll(&p, 1, timeout_ms);
        continue;
      }
    }
    // No monitor to wait for: the record is being written, or stale (the
    // next LoadFresh repairs it).
    usleep(10000);
  }
}

absl::Status StopContainer(container::Store& store, absl::string_view ref,
                           std::optional<absl::Duration> timeout) {
  ASSIGN_OR_RETURN(container::Container c, LoadFresh(store, ref));
  if (!c.state.running) return absl::OkStatus();
  ASSIGN_OR_RETURN(int sig, spec::StopSignal("", c.config.stop_signal));
  absl::Duration grace = timeout ? *timeout
                         : c.config.stop_timeout
                             ? absl::Seconds(*c.config.stop_timeout)
                             : absl::Seconds(10);
  ASSIGN_OR_RETURN(container::Container updated,
                   store.Update(c.id, [](container::Container& u) {
                     u.has_been_manually_stopped = true;
                     return absl::OkStatus();
                   }));
  (void)updated;
  absl::Status s = KillContainer(store, c.id, sig);
  if (absl::IsNotFound(s)) return absl::OkStatus();
  if (s.ok()) {
    absl::StatusOr<container::Container> done =
        WaitForExit(store, c.id, absl::Now() + grace);
    // NotFound: a --rm container's monitor removed it once it exited.
    if (done.ok() || absl::IsNotFound(done.status())) return absl::OkStatus();
    if (!absl::IsDeadlineExceeded(done.status())) return done.status();
  }
  s = KillContainer(store, c.id, SIGKILL);
  if (absl::IsNotFound(s)) return absl::OkStatus();
  if (!s.ok() && !absl::IsFailedPrecondition(s)) return s;
  absl::Status done = WaitForExit(store, c.id).status();
  return absl::IsNotFound(done) ? absl::OkStatus() : done;
}

absl::Status RemoveContainer(container::Store& store, absl::string_view ref,
                             bool force) {
  if (force) {
    ASSIGN_OR_RETURN(container::Container c, LoadFresh(store, ref));
    if (c.state.running) {
      absl::Status s = KillContainer(store, c.id, SIGKILL);
      if (!s.ok() && !absl::IsFailedPrecondition(s)) return s;
      absl::StatusOr<container::Container> done = WaitForExit(store, c.id);
      // A --rm container's monitor removes it itself.
      if (absl::IsNotFound(done.status())) return absl::OkStatus();
      RETURN_IF_ERROR(done.status());
    }
    absl::Status s = store.Remove(c.id);
    // A --rm container's monitor may have removed it meanwhile.
    if (absl::IsNotFound(s)) return absl::OkStatus();
    return s;
  }
  return store.Remove(ref);
}

}  // namespace mydocker::engine
