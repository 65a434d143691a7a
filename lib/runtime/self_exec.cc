#include "lib/runtime/self_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <signal.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/base/errno_status.h"

extern char** environ;

namespace mydocker::runtime {
namespace {

bool OnReadonlyMount(int fd) {
  struct statfs st;
  return fstatfs(fd, &st) == 0 && (st.f_flags & ST_RDONLY) != 0;
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
  base::UniqueFd file(static_cast<int>(syscall(
      SYS_open_tree, AT_FDCWD, exe.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
  if (file.valid()) {
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    if (syscall(SYS_mount_setattr, file.get(), "", AT_EMPTY_PATH, &attr,
                sizeof attr) != 0) {
      return base::ErrnoStatus(errno, what, "mount_setattr");
    }
  } else {
    const int err = errno;
    // The kernel clones no mount outside the caller's namespace (EINVAL),
    // such as the detached one a protected process runs from. That file is
    // as safe to run again as it is.
    base::UniqueFd same(open(exe.c_str(), O_PATH | O_CLOEXEC));
    if (err != EINVAL || !same.valid() || !OnReadonlyMount(same.get())) {
      return base::ErrnoStatus(err, what, "open_tree");
    }
    file = std::move(same);
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  syscall(SYS_execveat, file.get(), "", args.data(), environ, AT_EMPTY_PATH);
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
