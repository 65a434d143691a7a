#include "lib/runtime/self_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <signal.h>
#include <limits.h>
#include <stdlib.h>
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

// What a failed spawn sends back before the child exits.
struct SpawnFailure {
  int32_t code;  // absl::StatusCode
  char message[1024];
};

[[noreturn]] void FailSpawn(int fd, absl::StatusCode code, const char* what) {
  SpawnFailure failure;
  memset(&failure, 0, sizeof failure);
  failure.code = static_cast<int32_t>(code);
  strncpy(failure.message, what, sizeof failure.message - 1);
  (void)!write(fd, &failure, sizeof failure);
  _exit(125);
}

[[noreturn]] void FailSpawn(int fd, int err, const char* what) {
  FailSpawn(fd, absl::ErrnoToStatus(err, "").code(),
            absl::StrCat(what, ": ", strerror(err)).c_str());
}

}  // namespace

absl::Status ExecProtected(const std::string& exe,
                           const std::vector<std::string>& argv) {
  const std::string what = absl::StrCat("protect \"", exe, "\": ");
  if (argv.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, "empty argv"));
  }
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
  base::UniqueFd view;
  if (reachable) {
    absl::StatusOr<base::UniqueFd> overlay = OverlayView(real, st);
    if (overlay.ok()) {
      view = *std::move(overlay);
    } else if (absl::IsDataLoss(overlay.status())) {
      return absl::Status(overlay.status().code(),
                          absl::StrCat(what, overlay.status().message()));
    } else {
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
      view = *std::move(bind);
    }
  } else if (OnReadonlyMount(file.get())) {
    view = std::move(file);
  } else {
    return absl::FailedPreconditionError(absl::StrCat(
        what, "the binary was replaced or removed since it started"));
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  syscall(SYS_execveat, view.get(), "", args.data(), environ, AT_EMPTY_PATH);
  return base::ErrnoStatus(errno, what, "execveat");
}

absl::Status ExecSelfProtected(const std::vector<std::string>& argv) {
  return ExecProtected("/proc/self/exe", argv);
}

bool RunningProtected() {
  base::UniqueFd self(open("/proc/self/exe", O_PATH | O_CLOEXEC));
  return self.valid() && OnReadonlyMount(self.get());
}

absl::StatusOr<Spawned> SpawnProtected(const std::vector<std::string>& argv,
                                       const SpawnOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("spawn: empty argv");
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) != 0) return base::ErrnoStatus(errno, "pipe");
  base::UniqueFd err_r(errpipe[0]), err_w(errpipe[1]);
  base::UniqueFd dev_null(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!dev_null.valid()) return base::ErrnoStatus(errno, "open /dev/null");
  // Planned before the fork.
  std::vector<int> sources = options.fds;
  if (sources.size() < 3) sources.resize(3, -1);
  for (size_t i = 0; i < 3; ++i) {
    if (sources[i] < 0) sources[i] = dev_null.get();
  }
  const int count = static_cast<int>(sources.size());
  // Above every target and every source: moving the sources up there first
  // means no dup2() into place clobbers a source still to be moved.
  int high = std::max(count, err_w.get() + 1);
  for (int fd : sources) high = std::max(high, fd + 1);

  pid_t pid = fork();
  if (pid < 0) return base::ErrnoStatus(errno, "fork");
  if (pid == 0) {
    const int err_fd = fcntl(err_w.get(), F_DUPFD_CLOEXEC, high);
    if (err_fd < 0) _exit(125);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
    }
    if (options.new_session && setsid() < 0) FailSpawn(err_fd, errno, "setsid");
    for (int i = 0; i < count; ++i) {
      int& fd = sources[static_cast<size_t>(i)];
      if (fd < 0) continue;
      fd = fcntl(fd, F_DUPFD_CLOEXEC, err_fd + 1 + i);
      if (fd < 0) FailSpawn(err_fd, errno, "dup");
    }
    for (int i = 0; i < count; ++i) {
      const int fd = sources[static_cast<size_t>(i)];
      if (fd < 0) {
        close(i);  // A gap in the fds asked for: none of the caller's.
      } else if (dup2(fd, i) < 0) {
        FailSpawn(err_fd, errno, "dup2");
      }
    }
    // Nothing else of the caller's reaches the child: all but 0..count-1
    // and the error pipe (close-on-exec) go.
    if ((count < err_fd &&
         syscall(SYS_close_range, count, err_fd - 1, 0) != 0) ||
        syscall(SYS_close_range, err_fd + 1, ~0U, 0) != 0) {
      FailSpawn(err_fd, errno, "close_range");
    }
    absl::Status s = ExecProtected(options.exe, argv);
    FailSpawn(err_fd, s.code(), std::string(s.message()).c_str());
  }
  err_w.reset();
  base::UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  const int pidfd_errno = errno;
  SpawnFailure failure;
  ssize_t got;
  do {
    got = read(err_r.get(), &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  if (got == 0 && pidfd.valid()) return Spawned{pid, std::move(pidfd)};
  // Without a pidfd the caller could not tell this child from a later
  // process with its pid: it goes.
  if (got == 0) kill(pid, SIGKILL);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (got == 0) return base::ErrnoStatus(pidfd_errno, "pidfd_open");
  if (got != static_cast<ssize_t>(sizeof failure)) {
    return absl::InternalError(
        absl::StrCat("spawn ", argv[0], ": the child died before its exec"));
  }
  failure.message[sizeof failure.message - 1] = '\0';
  return absl::Status(static_cast<absl::StatusCode>(failure.code),
                      absl::StrCat("spawn ", argv[0], ": ", failure.message));
}

}  // namespace mydocker::runtime
