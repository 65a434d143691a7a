#include "lib/runtime/self_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"

extern char** environ;

namespace mydocker::runtime {
namespace {

bool OnReadonlyMount(int fd) {
  struct statfs st;
  return fstatfs(fd, &st) == 0 && (st.f_flags & ST_RDONLY) != 0;
}

long FsConfig(int fd, unsigned cmd, const char* key, const void* value,
              int aux) {
  return syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

// A new, detached, read-only filesystem of type `type` (FSOPEN/FSMOUNT).
// `configure` sets its parameters before it is created.
absl::StatusOr<base::UniqueFd> NewMount(
    const char* type, const std::function<absl::Status(int)>& configure) {
  base::UniqueFd fs(static_cast<int>(syscall(SYS_fsopen, type, FSOPEN_CLOEXEC)));
  if (!fs.valid()) return base::ErrnoStatus(errno, "fsopen ", type);
  RETURN_IF_ERROR(configure(fs.get()));
  if (FsConfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return base::ErrnoStatus(errno, "create ", type);
  }
  base::UniqueFd mnt(static_cast<int>(
      syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC,
              MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)));
  if (!mnt.valid()) return base::ErrnoStatus(errno, "fsmount ", type);
  return mnt;
}

// The binary at `path` (whose stat is `st`) through a private overlayfs
// whose only layers are its directory and an empty tmpfs (overlayfs wants
// two lower layers without an upper one): read-only by construction, an
// inode of its own, never attached anywhere (runc 1.2's exeseal). DataLoss
// if the name now leads to another file.
absl::StatusOr<base::UniqueFd> OverlayView(const std::string& path,
                                           const struct stat& st) {
  ASSIGN_OR_RETURN(base::UniqueFd empty,
                   NewMount("tmpfs", [](int) { return absl::OkStatus(); }));
  base::UniqueFd dir(
      open(base::Dirname(path).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return base::ErrnoStatus(errno, "open ", base::Dirname(path));
  ASSIGN_OR_RETURN(base::UniqueFd mnt, NewMount("overlay", [&](int fs) {
    // The binary's directory on top: a file of its name in the other layer
    // can never hide it.
    for (int layer : {dir.get(), empty.get()}) {
      if (FsConfig(fs, FSCONFIG_SET_FD, "lowerdir+", nullptr, layer) != 0) {
        return base::ErrnoStatus(errno, "overlayfs layer");
      }
    }
    // Inode numbers are of no interest; spares the kernel's xino notes.
    FsConfig(fs, FSCONFIG_SET_STRING, "xino", "off", 0);
    return absl::OkStatus();
  }));
  const std::string name = base::Basename(path);
  base::UniqueFd file(openat(mnt.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!file.valid()) return base::ErrnoStatus(errno, "open ", name, " in overlayfs");
  // overlayfs has a device of its own; the rest must be the binary's.
  struct stat got;
  if (fstat(file.get(), &got) != 0) return base::ErrnoStatus(errno, "stat");
  if (!S_ISREG(got.st_mode) || got.st_ino != st.st_ino ||
      got.st_size != st.st_size || got.st_mtim.tv_sec != st.st_mtim.tv_sec ||
      got.st_mtim.tv_nsec != st.st_mtim.tv_nsec) {
    return absl::DataLossError(
        absl::StrCat(path, " changed while it was being protected"));
  }
  return file;
}

// The binary through a detached read-only bind mount of it alone.
absl::StatusOr<base::UniqueFd> BindView(int file) {
  base::UniqueFd view(static_cast<int>(syscall(
      SYS_open_tree, file, "",
      AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
  if (!view.valid()) return base::ErrnoStatus(errno, "open_tree");
  struct mount_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  if (syscall(SYS_mount_setattr, view.get(), "", AT_EMPTY_PATH, &attr,
              sizeof attr) != 0) {
    return base::ErrnoStatus(errno, "mount_setattr");
  }
  return view;
}

}  // namespace

absl::StatusOr<base::UniqueFd> ProtectedView(const std::string& exe) {
  const std::string what = absl::StrCat("protect \"", exe, "\": ");
  base::UniqueFd file(open(exe.c_str(), O_PATH | O_CLOEXEC));
  if (!file.valid()) return base::ErrnoStatus(errno, what, "open");
  struct stat st;
  if (fstat(file.get(), &st) != 0) return base::ErrnoStatus(errno, what, "stat");
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, "not a regular file"));
  }
  // Where the binary is: a protected process's own file is reachable by no
  // path (its mount is detached), and already as safe to run as it gets.
  char real[PATH_MAX];
  struct stat by_path;
  const bool reachable = realpath(exe.c_str(), real) != nullptr &&
                         stat(real, &by_path) == 0 &&
                         by_path.st_dev == st.st_dev &&
                         by_path.st_ino == st.st_ino;
  if (reachable) {
    absl::StatusOr<base::UniqueFd> overlay = OverlayView(real, st);
    if (overlay.ok()) return overlay;
    if (absl::IsDataLoss(overlay.status())) {
      return absl::Status(overlay.status().code(),
                          absl::StrCat(what, overlay.status().message()));
    }
    // A kernel without overlayfs layers given by fd (before 6.13?): a
    // read-only bind mount, read-only for good as well, but sharing the
    // host binary's inode (see the header).
    absl::StatusOr<base::UniqueFd> bind = BindView(file.get());
    if (!bind.ok()) {
      return absl::Status(
          bind.status().code(),
          absl::StrCat(what, overlay.status().message(), "; ",
                       bind.status().message()));
    }
    return bind;
  }
  if (OnReadonlyMount(file.get())) return file;
  return absl::FailedPreconditionError(absl::StrCat(
      what, "the binary was replaced or removed since it started"));
}

absl::Status ExecProtected(const std::string& exe,
                           const std::vector<std::string>& argv) {
  if (argv.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("protect \"", exe, "\": empty argv"));
  }
  ASSIGN_OR_RETURN(base::UniqueFd view, ProtectedView(exe));
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  syscall(SYS_execveat, view.get(), "", args.data(), environ, AT_EMPTY_PATH);
  return base::ErrnoStatus(errno, "protect \"", exe, "\": execveat");
}

absl::Status ExecSelfProtected(const std::vector<std::string>& argv) {
  return ExecProtected("/proc/self/exe", argv);
}

bool RunningProtected() {
  base::UniqueFd self(open("/proc/self/exe", O_PATH | O_CLOEXEC));
  return self.valid() && OnReadonlyMount(self.get());
}

namespace {

// What a spawned child needs, planned by the parent: the child shares its
// memory (CLONE_VM) and changes nothing of it but `failed_step` and
// `failed_errno`, its report.
struct SpawnPlan {
  int view;             // The binary to run (a ProtectedView).
  int high;             // Above every fd here and every target.
  const int* sources;   // sources[i] becomes fd i (-1: left closed).
  int count;
  bool new_session;
  char* const* argv;
  char* const* envp;
  // Where the child stopped, if it did (the parent words the message).
  volatile int32_t failed_step;
  volatile int32_t failed_errno;
};

enum SpawnStep : int32_t { kNone = -1, kDup, kSetsid, kDup2, kCloseRange, kExec };

constexpr const char* kSpawnStepNames[] = {"dup", "setsid", "dup2",
                                           "close_range", "execveat"};

// The kernel's struct sigaction, for rt_sigaction(2).
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  uint64_t mask;
};

// child-safe: SpawnChild and what it calls run in the spawned child, on
// the parent's memory (CLONE_VM), until its exec: the kernel through
// syscall(2) only, as in child.cc (no allocation, no lock, no glibc wrapper
// a sanitizer could intercept, no errno reading but the syscall's own), and
// not instrumented: the stack is the parent's to unmap.
#define MYDOCKER_CHILD_SAFE __attribute__((no_sanitize("address", "undefined")))

[[noreturn]] MYDOCKER_CHILD_SAFE void FailSpawn(SpawnPlan& p, SpawnStep step,
                                                int err) {
  p.failed_errno = err;
  p.failed_step = step;
  syscall(SYS_exit_group, 125);
  __builtin_unreachable();
}

// Closes every fd from `from` on but `keep`.
MYDOCKER_CHILD_SAFE long CloseAllBut(int from, int keep) {
  if (from < keep && syscall(SYS_close_range, from, keep - 1, 0) != 0) return -1;
  return syscall(SYS_close_range, keep + 1, ~0U, 0);
}

// The child, on its own small stack; the parent waits (CLONE_VFORK) until
// it has exec'd or died.
MYDOCKER_CHILD_SAFE int SpawnChild(void* arg) {
  SpawnPlan& p = *static_cast<SpawnPlan*>(arg);
  // Its own session first, while every signal is still blocked (the
  // parent blocked them all): the terminal's ^C or ^Z cannot reach it.
  if (p.new_session && syscall(SYS_setsid) < 0) FailSpawn(p, kSetsid, errno);
  // Default dispositions before any signal is let in: a handler of the
  // parent's must never run here, on the parent's memory.
  KernelSigaction dfl = {};
  dfl.handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) {
      syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof dfl.mask);
    }
  }
  const uint64_t none = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, sizeof none);
  const int view = static_cast<int>(syscall(SYS_fcntl, p.view, F_DUPFD_CLOEXEC, p.high));
  if (view < 0) FailSpawn(p, kDup, errno);
  // Every source moved above all targets first, so that no dup into place
  // clobbers a source still to be moved.
  int moved[kMaxSpawnFds];
  for (int i = 0; i < p.count; ++i) {
    moved[i] = -1;
    if (p.sources[i] < 0) continue;
    moved[i] = static_cast<int>(syscall(SYS_fcntl, p.sources[i], F_DUPFD_CLOEXEC, view + 1));
    if (moved[i] < 0) FailSpawn(p, kDup, errno);
  }
  for (int i = 0; i < p.count; ++i) {
    if (moved[i] < 0) {
      syscall(SYS_close, i);  // A gap in the fds asked for: none of the caller's.
    } else if (syscall(SYS_dup3, moved[i], i, 0) < 0) {
      FailSpawn(p, kDup2, errno);
    }
  }
  // Nothing else of the caller's reaches the child: all but 0..count-1 and
  // the binary (close-on-exec) go.
  if (CloseAllBut(p.count, view) != 0) FailSpawn(p, kCloseRange, errno);
  syscall(SYS_execveat, view, "", p.argv, p.envp, AT_EMPTY_PATH);
  FailSpawn(p, kExec, errno);
}

}  // namespace

absl::StatusOr<Spawned> SpawnProtected(const std::vector<std::string>& argv,
                                       const SpawnOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("spawn: empty argv");
  std::vector<int> sources = options.fds;
  if (sources.size() < 3) sources.resize(3, -1);
  if (sources.size() > kMaxSpawnFds) {
    return absl::InvalidArgumentError(
        absl::StrCat("spawn ", argv[0], ": more than ", kMaxSpawnFds, " fds"));
  }
  base::UniqueFd own_view;
  int view = options.view;
  if (view < 0) {
    absl::StatusOr<base::UniqueFd> made = ProtectedView(options.exe);
    if (!made.ok()) {
      return absl::Status(made.status().code(),
                          absl::StrCat("spawn ", argv[0], ": ", made.status().message()));
    }
    own_view = *std::move(made);
    view = own_view.get();
  } else if (!OnReadonlyMount(view)) {
    // The whole point of the view (CVE-2019-5736): refuse anything else.
    return absl::FailedPreconditionError(
        absl::StrCat("spawn ", argv[0], ": the binary handed in is writable"));
  }
  base::UniqueFd dev_null(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!dev_null.valid()) return base::ErrnoStatus(errno, "open /dev/null");
  for (size_t i = 0; i < 3; ++i) {
    if (sources[i] < 0) sources[i] = dev_null.get();
  }
  const int count = static_cast<int>(sources.size());
  int high = std::max(count, view + 1);
  for (int fd : sources) high = std::max(high, fd + 1);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  SpawnPlan plan{view, high, sources.data(), count, options.new_session,
                 args.data(), environ, kNone, 0};

  // CLONE_VM | CLONE_VFORK, as posix_spawn: no copy of this process's
  // memory (a fork's page tables, and its copy-on-write faults after) for
  // a child that only execs. Every signal of this thread stays blocked
  // until the child has reset their dispositions.
  constexpr size_t kStack = 64 << 10;
  void* stack = mmap(nullptr, kStack, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return base::ErrnoStatus(errno, "mmap a stack");
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int pidfd = -1;
  pid_t pid = clone(SpawnChild, static_cast<char*>(stack) + kStack,
                    CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &plan, &pidfd);
  const int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  munmap(stack, kStack);
  if (pid < 0) return base::ErrnoStatus(clone_errno, "clone");
  base::UniqueFd owned_pidfd(pidfd);
  if (plan.failed_step == kNone) return Spawned{pid, std::move(owned_pidfd)};
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const int32_t step = plan.failed_step;
  if (step < kDup || step > kExec) {
    return absl::InternalError(
        absl::StrCat("spawn ", argv[0], ": the child died before its exec"));
  }
  return base::ErrnoStatus(plan.failed_errno, "spawn ", argv[0], ": ",
                           kSpawnStepNames[step]);
}

}  // namespace mydocker::runtime
