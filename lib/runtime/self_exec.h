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
// How: open_tree(OPEN_TREE_CLONE) of /proc/self/exe makes a detached bind
// mount of just that file, mount_setattr() makes it read-only (and nosuid,
// nodev), and execveat() runs the file through it. The mount is in no mount
// namespace at all: it costs about 30 us, changes no mount table (nothing
// for mountinfo watchers to re-read, no copy of the host's mounts, no
// namespace_sem contention: why runc gave up its temporary mount namespace
// in 2023), and leaves the process in the caller's mount namespace, so a
// monitor's later unmounts still act on the host's table. Once the exec has
// closed the open_tree fd the mount is unmounted, kept alive only by the
// process's exe reference: the kernel refuses to clone it (open_tree), to
// remount it or to change its attributes (mount_setattr) from anywhere, so
// no one, a container with CAP_SYS_ADMIN included, can make it writable
// again; every write open through it fails with EROFS. Unlike runc 1.2's
// lower-only overlayfs, /proc/<pid>/map_files/ of the mapped binary also
// leads only to the read-only mount.
//
// Not defended: kernel bugs that write through page caches (Dirty COW/Pipe
// class), which only a private copy (runc's memfd) would stop, at the cost
// of copying the binary on every start. readlink(/proc/self/exe) of a
// protected process reads "/": find the installed binary some other way.
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
// the environment as it is) from a new, detached, read-only mount of that
// file. The caller must be single-threaded (typically just forked). Does
// not return on success. Needs CAP_SYS_ADMIN (root), Linux 5.12
// (mount_setattr).
//
// A process already running from a read-only mount (a protected process
// re-executing itself, whose mount the kernel will not clone again) is
// re-executed from that same file. Errors name the step, with the errno's
// code: "protect \"/proc/self/exe\": mount_setattr: Invalid argument".
absl::Status ExecProtected(const std::string& exe,
                           const std::vector<std::string>& argv);

// ExecProtected("/proc/self/exe", argv).
absl::Status ExecSelfProtected(const std::vector<std::string>& argv);

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
};

struct Spawned {
  pid_t pid = -1;
  base::UniqueFd pidfd;
};

// Forks a child that runs ExecProtected(options.exe, argv) with the fds as
// asked, its signal mask and dispositions reset, and returns once it has
// exec'd; a failure to exec comes back here as a Status (the child is then
// reaped). The caller reaps the child later (waitid(P_PIDFD, pidfd)). The
// caller must be single-threaded.
absl::StatusOr<Spawned> SpawnProtected(const std::vector<std::string>& argv,
                                       const SpawnOptions& options);

}  // namespace mydocker::runtime

#endif  // MYDOCKER_LIB_RUNTIME_SELF_EXEC_H_
