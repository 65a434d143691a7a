// Running mydocker next to a container without exposing the host's binary:
// the CVE-2019-5736 defence.
//
// A mydocker process that enters a container (the exec helper) or becomes a
// container's parent (the monitor) must never let the container write to
// the binary it runs. The container can reach that binary through
// /proc/<pid>/exe of the helper's child before it execs, or simply by
// making its entrypoint `#!/proc/self/exe`, which makes the kernel run the
// helper's own binary as the container's process; an O_PATH fd of that
// /proc/<pid>/exe can later be reopened for writing once nothing executes
// the file any more (ETXTBSY only lasts that long).
//
// So such a process first re-executes itself from a read-only mount of its
// own binary:
//
//   pid_t pid = fork();
//   if (pid == 0) {
//     absl::Status s = runtime::ExecSelfProtected({"mydocker", "monitor"});
//     ... report s; _exit(125);
//   }
//
// How (runc 1.2's exeseal): a private overlayfs whose only layers are the
// binary's directory and an empty tmpfs (fsopen/fsmount, layers given by
// fd), mounted nowhere, read-only by construction: overlayfs without an
// upper layer can write nothing, whatever its mount flags become. The
// process runs the binary through it (execveat). It costs about 0.15 ms
// (no copy of the binary), changes no mount table (nothing for mountinfo
// watchers to re-read, no copy of the host's mounts, no namespace_sem
// contention: why runc gave up its temporary mount namespaces in 2023) and
// leaves the process in the caller's mount namespace, so a monitor's later
// unmounts still act on the host's table. Every write open of the file, by
// /proc/<pid>/exe or /proc/<pid>/map_files (which shows the overlay file
// too, Linux 6.7+), fails with EROFS. Each run has an inode of its own: a
// container hammering write opens at one (each counts a writer for a moment
// before it is refused) cannot make another exec of mydocker, protected or
// the host's own, fail with ETXTBSY, as it could through a read-only bind
// mount of the host's inode.
//
// On kernels whose overlayfs takes no layers by fd (older ones), the
// fallback is such a bind mount: a detached clone (open_tree) made
// read-only (mount_setattr), which the kernel lets nobody clone or remount
// again once the exec has closed it (it is then in no namespace), but which
// shares the host binary's inode.
//
// Not defended: kernel bugs that write through page caches (Dirty COW/Pipe
// class), which only a private copy (runc's memfd) would stop, at the cost
// of copying the binary on every start. readlink(/proc/self/exe) of a
// protected process reads "/<name>": find the installed binary some other
// way.
#ifndef MYDOCKER_LIB_RUNTIME_SELF_EXEC_H_
#define MYDOCKER_LIB_RUNTIME_SELF_EXEC_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/base/unique_fd.h"

namespace mydocker::runtime {

// Replaces the calling process with the binary at `exe` (resolved like
// open(2): "/proc/self/exe" is this binary) run as `argv` (argv[0] as given,
// the environment as it is) from a new, detached, read-only view of that
// file (see above). The caller must be single-threaded (typically just
// forked). Does not return on success. Needs CAP_SYS_ADMIN (root), Linux
// 5.12 (mount_setattr; a recent overlayfs for the better view).
//
// A protected process re-executing itself (its binary reachable by no path)
// is re-executed from that same read-only file. FailedPrecondition if the
// binary was replaced or removed since this process started; DataLoss if it
// changed while being protected. Other errors name the step, with the
// errno's code: "protect \"/proc/self/exe\": open_tree: ...".
absl::Status ExecProtected(const std::string& exe,
                           const std::vector<std::string>& argv);

// ExecProtected("/proc/self/exe", argv).
absl::Status ExecSelfProtected(const std::vector<std::string>& argv);

// The new read-only view of the binary at `exe` that ExecProtected runs
// (O_PATH, close-on-exec), for SpawnOptions::view: a caller can make it
// ahead of the spawn, on another thread.
absl::StatusOr<base::UniqueFd> ProtectedView(const std::string& exe);

// True if this process's binary (/proc/self/exe) is on a read-only mount,
// as after ExecSelfProtected.
bool RunningProtected();

// What SpawnProtected starts.
struct SpawnOptions {
  std::string exe = "/proc/self/exe";
  // The child's fds: fds[i] becomes its fd i; -1 is /dev/null for 0-2 and
  // "closed" above. Nothing else of the caller's is open in the child.
  std::vector<int> fds;
  // setsid() in the child: the user's terminal and its signals (^C, hangup)
  // are not its business.
  bool new_session = true;
  // ProtectedView(exe), made beforehand (the caller keeps it); -1: made by
  // SpawnProtected.
  int view = -1;
};

// At most this many fds (SpawnOptions::fds) for a spawned child.
inline constexpr int kMaxSpawnFds = 16;

struct Spawned {
  pid_t pid = -1;
  base::UniqueFd pidfd;
};

// Starts a child that runs the protected binary (options.view, or a
// ProtectedView of options.exe made here) as `argv` with the fds as asked,
// in its own session, its signal mask and dispositions reset, and returns
// once it has exec'd; a failure before or at the exec comes back here as a
// Status naming the step (the child is then reaped). The caller reaps the
// child later (waitid(P_PIDFD, pidfd)). The child is posix_spawn's kind
// (CLONE_VM | CLONE_VFORK): it shares this process's memory until its
// exec, without a copy of it. A child killed by a signal before its exec
// is the caller's to notice, through the pidfd.
absl::StatusOr<Spawned> SpawnProtected(const std::vector<std::string>& argv,
                                       const SpawnOptions& options);

}  // namespace mydocker::runtime

#endif  // MYDOCKER_LIB_RUNTIME_SELF_EXEC_H_
