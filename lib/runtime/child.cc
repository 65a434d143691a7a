// child-safe: everything in this file runs in the container's first process,
// between clone3() and execve().
//
// That process is a copy-on-write copy of the parent, which may have other
// threads: one of them may have held malloc's lock, a mutex or a stdio buffer
// at the instant of the clone, and nothing releases those here. So this file
// calls the kernel through syscall(2) only: no malloc/new, no absl::Status,
// no stdio, no locks, not even glibc's named wrappers (a sanitizer may
// intercept them); the compiler's own memset/memcpy for a struct is all the
// libc it touches. All strings, flags and numbers were computed by the parent
// (plan.cc); a failure leaves as a ChildReport {step, errno, index}, and the
// parent, which has the strings, writes the message.
//
// The order follows runc's standard_init_linux.go and rootfs_linux.go:
//   reset signals -> setns (joined namespaces) -> "ready" -> wait for go
//   -> unshare cgroup ns
//   -> setsid, console/stdio -> rootfs propagation, bind rootfs onto itself
//   -> spec.mounts in order -> /dev nodes and links, /dev/console
//   -> pivot_root -> readonly root -> hostname -> sysctls
//   -> readonly paths -> masked paths -> no_new_privs -> rlimits
//   -> close fds -> chdir -> bounding set, keepcaps, groups, gid, uid
//   -> capset, ambient -> umask -> execve over the PATH candidates.
// A process joining a running container (RunExecChild, exec.h) takes the
// same steps without the root and mount ones: up to 0-2 (Prologue), then
// from no_new_privs on (Epilogue).
#include "lib/runtime/child.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

namespace mydocker::runtime::internal {
namespace {

// The CgroupViewEntry kinds, as they travel in a GoMessage.
constexpr uint8_t kCgroupBind = 0;
constexpr uint8_t kCgroupSymlink = 1;
constexpr uint8_t kCgroup2 = 2;

// The per-mount flags statfs(2) reports that MS_BIND|MS_REMOUNT can change.
constexpr unsigned long kLockableFlags =
    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;

size_t Len(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

[[noreturn]] void Exit(int code) {
  for (;;) syscall(SYS_exit_group, code);
}

[[noreturn]] void Fail(const ChildPlan& p, Step step, int err, int index = 0) {
  ChildReport report{static_cast<int32_t>(step), err,
                     static_cast<int32_t>(index)};
  syscall(SYS_sendto, p.error_fd, &report, sizeof report, MSG_NOSIGNAL, nullptr,
          0);
  Exit(127);
}

void Close(int fd) {
  if (fd >= 0) syscall(SYS_close, fd);
}

long Mount(const char* source, const char* target, const char* fstype,
           unsigned long flags, const void* data) {
  return syscall(SYS_mount, source, target, fstype, flags, data);
}

// "/proc/self/fd/<fd>": mounting onto that path mounts onto exactly what the
// fd refers to, whatever the path it was opened by has become since.
struct FdPath {
  explicit FdPath(int fd) {
    static constexpr char kPrefix[] = "/proc/self/fd/";
    size_t i = 0;
    for (; kPrefix[i] != '\0'; ++i) buf[i] = kPrefix[i];
    char digits[12];
    size_t n = 0;
    unsigned v = static_cast<unsigned>(fd);
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) buf[i++] = digits[--n];
    buf[i] = '\0';
  }
  char buf[32];
};

// openat2() relative to the rootfs with RESOLVE_IN_ROOT: ".." and absolute
// symlinks in the image resolve as if the rootfs were "/", so an image's
// `proc -> /tmp/evil` leads to <rootfs>/tmp/evil, never the host's /tmp/evil.
// RESOLVE_NO_MAGICLINKS refuses /proc/<pid>/fd/-style jumps once a procfs is
// mounted inside. Returns an fd or -1 with errno set.
int OpenResolved(int rootfd, const char* path, uint64_t flags) {
  struct open_how how = {};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    long fd = syscall(SYS_openat2, rootfd, path[0] != '\0' ? path : ".", &how,
                      sizeof how);
    // EAGAIN: a rename or mount raced the lookup; the kernel asks us to retry.
    if (fd >= 0 || errno != EAGAIN || attempt == 16) {
      return static_cast<int>(fd);
    }
  }
}

enum class Create { kNo, kDir, kFile };

// Opens `rel` (cleaned, relative) inside the rootfs as an O_PATH fd,
// creating what is missing: directories for all but the last component, and
// the last one as a directory or an empty file. Every existing component is
// resolved in-root (OpenResolved), every created one is created relative to
// the fd of its resolved parent, never by a path string: the image's symlinks
// cannot redirect a create to the host. A dangling symlink on the way fails
// with EEXIST rather than being followed out. Returns an fd or -errno.
int OpenInRoot(int rootfd, const char* rel, Create create) {
  int fd = OpenResolved(rootfd, rel, O_PATH);
  if (fd >= 0) return fd;
  if (errno != ENOENT || create == Create::kNo) return -errno;

  char prefix[PATH_MAX];
  const size_t n = Len(rel);
  if (n >= sizeof prefix) return -ENAMETOOLONG;
  int dir = OpenResolved(rootfd, "", O_PATH | O_DIRECTORY);
  if (dir < 0) return -errno;
  size_t start = 0;
  while (start < n) {
    size_t end = start;
    while (end < n && rel[end] != '/') ++end;
    const bool last = end == n;
    for (size_t i = 0; i < end; ++i) prefix[i] = rel[i];
    prefix[end] = '\0';
    int next = OpenResolved(rootfd, prefix, O_PATH | (last ? 0 : O_DIRECTORY));
    if (next < 0 && errno == ENOENT) {
      const char* name = prefix + start;
      long r;
      if (last && create == Create::kFile) {
        r = syscall(SYS_openat, dir, name,
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (r >= 0) {
          Close(static_cast<int>(r));
          r = syscall(SYS_openat, dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        }
      } else {
        r = syscall(SYS_mkdirat, dir, name, 0755);
        if (r == 0) {
          r = syscall(SYS_openat, dir, name,
                      O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
      }
      next = static_cast<int>(r);
    }
    if (next < 0) {
      int err = errno;
      Close(dir);
      return -err;
    }
    Close(dir);
    dir = next;
    start = end + 1;
  }
  return dir;
}

bool OnProcfs(int fd) {
  struct statfs st;
  return syscall(SYS_fstatfs, fd, &st) == 0 && st.f_type == PROC_SUPER_MAGIC;
}

unsigned long StatfsFlags(int fd) {
  struct statfs st;
  if (syscall(SYS_fstatfs, fd, &st) != 0) return 0;
  return static_cast<unsigned long>(st.f_flags);
}

// MS_BIND|MS_REMOUNT of the mount at `fd` (a mount's root), keeping what the
// mount already has of `keep`.
long Remount(int fd, unsigned long flags, unsigned long keep) {
  FdPath path(fd);
  flags |= StatfsFlags(fd) & keep;
  return Mount(nullptr, path.buf, nullptr, MS_BIND | MS_REMOUNT | flags,
               nullptr);
}

// The "cgroup" mount: what the parent put in the go message (cgroup_view.h).
void MountCgroupView(const ChildPlan& p, const GoMessage& go, int rootfd,
                     int mount_index, int target) {
  const MountOp& m = p.mounts[mount_index];
  const unsigned long final_flags = m.flags & kLockableFlags;
  int top = target;
  if (go.cgroup_tmpfs != 0) {
    FdPath path(target);
    if (Mount("tmpfs", path.buf, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "mode=755") != 0) {
      Fail(p, Step::kMount, errno, mount_index);
    }
    top = OpenInRoot(rootfd, m.dest, Create::kNo);
    if (top < 0) Fail(p, Step::kMount, -top, mount_index);
  }
  for (uint32_t i = 0; i < go.num_cgroup_entries; ++i) {
    const GoCgroupEntry& e = go.cgroup_entries[i];
    const char* name = go.strings + e.name;
    const char* source = go.strings + e.source;
    const int index = static_cast<int>(i);
    if (e.kind == kCgroupSymlink) {
      if (syscall(SYS_symlinkat, source, top, name) != 0) {
        Fail(p, Step::kCgroupMount, errno, index);
      }
      continue;
    }
    int dir = top;
    if (name[0] != '\0') {
      if (syscall(SYS_mkdirat, top, name, 0755) != 0 && errno != EEXIST) {
        Fail(p, Step::kCgroupMount, errno, index);
      }
      dir = static_cast<int>(
          syscall(SYS_openat, top, name,
                  O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (dir < 0) Fail(p, Step::kCgroupMount, errno, index);
    }
    FdPath dir_path(dir);
    long r =
        e.kind == kCgroup2
            ? Mount("cgroup2", dir_path.buf, "cgroup2",
                    MS_NOSUID | MS_NODEV | MS_NOEXEC | final_flags, nullptr)
            : Mount(source, dir_path.buf, nullptr, MS_BIND | MS_REC, nullptr);
    if (r != 0) Fail(p, Step::kCgroupMount, errno, index);
    if (e.kind == kCgroupBind && final_flags != 0) {
      // Reopen: the fd from before the mount names what it now covers.
      int mounted;
      if (name[0] != '\0') {
        mounted = static_cast<int>(
            syscall(SYS_openat, top, name,
                    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (mounted < 0) mounted = -errno;
      } else {
        mounted = OpenInRoot(rootfd, m.dest, Create::kNo);
      }
      if (mounted < 0) Fail(p, Step::kCgroupMount, -mounted, index);
      if (Remount(mounted, final_flags, kLockableFlags) != 0) {
        Fail(p, Step::kCgroupMount, errno, index);
      }
      Close(mounted);
    }
    if (dir != top) Close(dir);
  }
  if (top != target) {
    if (final_flags != 0 && Remount(top, final_flags, kLockableFlags) != 0) {
      Fail(p, Step::kMountRemount, errno, mount_index);
    }
    Close(top);
  }
}

void DoMount(const ChildPlan& p, const GoMessage& go, int rootfd, int i) {
  const MountOp& m = p.mounts[i];
  int target =
      OpenInRoot(rootfd, m.dest, m.dest_is_file ? Create::kFile : Create::kDir);
  if (target < 0) Fail(p, Step::kMount, -target, i);
  if (!m.dest_may_be_on_proc && OnProcfs(target)) {
    Fail(p, Step::kMountOnProc, EPERM, i);
  }
  FdPath target_path(target);
  switch (m.kind) {
    case MountKind::kFilesystem:
      if (Mount(m.source, target_path.buf, m.fstype, m.flags, m.data) != 0) {
        Fail(p, Step::kMount, errno, i);
      }
      break;
    case MountKind::kBind:
      if (Mount(m.source, target_path.buf, nullptr, m.flags, nullptr) != 0) {
        Fail(p, Step::kMount, errno, i);
      }
      break;
    case MountKind::kCgroup:
      MountCgroupView(p, go, rootfd, i, target);
      break;
  }
  Close(target);
  if (!m.remount && m.propagation == 0) return;
  // Resolve again: the new mount is now on top of what `target` named.
  int mounted = OpenInRoot(rootfd, m.dest, Create::kNo);
  if (mounted < 0) Fail(p, Step::kMountRemount, -mounted, i);
  if (m.remount && Remount(mounted, m.remount_flags, m.keep_flags) != 0) {
    Fail(p, Step::kMountRemount, errno, i);
  }
  if (m.propagation != 0) {
    FdPath path(mounted);
    if (Mount(nullptr, path.buf, nullptr, m.propagation, nullptr) != 0) {
      Fail(p, Step::kMountPropagation, errno, i);
    }
  }
  Close(mounted);
}

void MakeDevices(const ChildPlan& p, int rootfd) {
  for (size_t i = 0; i < p.num_devices; ++i) {
    const DeviceOp& d = p.devices[i];
    const int index = static_cast<int>(i);
    int dir = OpenInRoot(rootfd, d.dir, Create::kDir);
    if (dir < 0) Fail(p, Step::kDevice, -dir, index);
    long r = syscall(SYS_mknodat, dir, d.name, d.mode, d.rdev);
    if (r != 0 && errno == EEXIST) {
      // An image's own /dev/null (a plain file, say) must not stand in.
      if (syscall(SYS_unlinkat, dir, d.name, 0) == 0) {
        r = syscall(SYS_mknodat, dir, d.name, d.mode, d.rdev);
      }
    }
    if (r != 0) Fail(p, Step::kDevice, errno, index);
    if (syscall(SYS_fchownat, dir, d.name, d.uid, d.gid, AT_SYMLINK_NOFOLLOW) !=
        0) {
      Fail(p, Step::kDevice, errno, index);
    }
    Close(dir);
  }
  for (size_t i = 0; i < p.num_dev_symlinks; ++i) {
    const SymlinkOp& s = p.dev_symlinks[i];
    const int index = static_cast<int>(i);
    int dir = OpenInRoot(rootfd, s.dir, Create::kDir);
    if (dir < 0) Fail(p, Step::kDevSymlink, -dir, index);
    if (s.replace && syscall(SYS_unlinkat, dir, s.name, 0) != 0 &&
        errno != ENOENT) {
      Fail(p, Step::kDevSymlink, errno, index);
    }
    if (syscall(SYS_symlinkat, s.target, dir, s.name) != 0 &&
        (s.replace || errno != EEXIST)) {
      Fail(p, Step::kDevSymlink, errno, index);
    }
    Close(dir);
  }
  if (p.console_dest != nullptr && p.console_socket < 0) {
    int target = OpenInRoot(rootfd, p.console_dest, Create::kFile);
    if (target < 0) Fail(p, Step::kConsoleMount, -target);
    FdPath target_path(target);
    if (Mount(p.console_path, target_path.buf, nullptr, MS_BIND, nullptr) !=
        0) {
      Fail(p, Step::kConsoleMount, errno);
    }
    Close(target);
  }
}

// The console of a Stdio::console_socket: a pty from the container's own
// devpts (its ptmx, resolved in the root; the devpts was just mounted), the
// master sent to the caller, the slave made the controlling terminal, 0-2
// and /dev/console. Before pivot_root, while the rootfs is a path.
void AllocateConsole(const ChildPlan& p, int rootfd) {
  int master = OpenResolved(rootfd, "dev/pts/ptmx", O_RDWR | O_NOCTTY);
  if (master < 0) Fail(p, Step::kConsoleAlloc, errno);
  int unlock = 0;
  if (syscall(SYS_ioctl, master, TIOCSPTLCK, &unlock) != 0) {
    Fail(p, Step::kConsoleAlloc, errno);
  }
  if (p.console_rows != 0 && p.console_cols != 0) {
    struct winsize ws = {};
    ws.ws_row = p.console_rows;
    ws.ws_col = p.console_cols;
    if (syscall(SYS_ioctl, master, TIOCSWINSZ, &ws) != 0) {
      Fail(p, Step::kConsoleAlloc, errno);
    }
  }
  // The slave through the master: no path lookup the image could redirect.
  int slave = static_cast<int>(syscall(SYS_ioctl, master, TIOCGPTPEER,
                                       O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (slave < 0) Fail(p, Step::kConsoleAlloc, errno);

  char byte = 0;
  struct iovec iov = {&byte, 1};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  for (size_t i = 0; i < sizeof control; ++i) control[i] = 0;
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  char* data = reinterpret_cast<char*>(CMSG_DATA(c));
  const char* from = reinterpret_cast<const char*>(&master);
  for (size_t i = 0; i < sizeof(int); ++i) data[i] = from[i];
  if (syscall(SYS_sendmsg, p.console_socket, &msg, MSG_NOSIGNAL) != 1) {
    Fail(p, Step::kConsoleAlloc, errno);
  }
  Close(master);
  Close(p.console_socket);

  if (syscall(SYS_ioctl, slave, TIOCSCTTY, 0) != 0) Fail(p, Step::kConsole, errno);
  for (int fd = 0; fd < 3; ++fd) {
    if (syscall(SYS_dup3, slave, fd, 0) < 0) Fail(p, Step::kStdio, errno, fd);
  }
  int target = OpenInRoot(rootfd, p.console_dest, Create::kFile);
  if (target < 0) Fail(p, Step::kConsoleMount, -target);
  // Both fds are of mounts in this mount namespace, so binding by their
  // /proc/self/fd paths works here.
  FdPath source(slave);
  FdPath target_path(target);
  if (Mount(source.buf, target_path.buf, nullptr, MS_BIND, nullptr) != 0) {
    Fail(p, Step::kConsoleMount, errno);
  }
  Close(target);
  Close(slave);
}

// pivot_root(".", ".") stacks the old root on top of the new one, and the
// lazy unmount then drops it: no put_old directory needed inside the image.
void PivotRoot(const ChildPlan& p, int rootfd) {
  int oldroot = static_cast<int>(
      syscall(SYS_openat, AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (oldroot < 0) Fail(p, Step::kPivotRoot, errno);
  if (syscall(SYS_fchdir, rootfd) != 0) Fail(p, Step::kPivotRoot, errno);
  if (syscall(SYS_pivot_root, ".", ".") != 0) Fail(p, Step::kPivotRoot, errno);
  // The kernel leaves "." on the old root today; fchdir says so explicitly.
  if (syscall(SYS_fchdir, oldroot) != 0) Fail(p, Step::kPivotRoot, errno);
  // rslave before the unmount, as runc does: even if the propagation setup
  // above were ever relaxed, the unmount cannot propagate to the host.
  if (Mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0 ||
      syscall(SYS_umount2, ".", MNT_DETACH) != 0 ||
      syscall(SYS_chdir, "/") != 0) {
    Fail(p, Step::kPivotRoot, errno);
  }
  // Both fds name host directories: none may survive (CVE-2024-21626).
  Close(oldroot);
  Close(rootfd);
}

long PathRemountReadonly(const char* path) {
  struct statfs st;
  if (syscall(SYS_statfs, path, &st) != 0) return -1;
  unsigned long keep = static_cast<unsigned long>(st.f_flags) &
                       (MS_NOSUID | MS_NODEV | MS_NOEXEC);
  return Mount(nullptr, path, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | keep,
               nullptr);
}

// After pivot_root only the container's tree is reachable: plain paths are
// fine here, symlinks in them resolve inside the new root.
void ProtectPaths(const ChildPlan& p) {
  for (size_t i = 0; i < p.num_readonly_paths; ++i) {
    const char* path = p.readonly_paths[i];
    if (Mount(path, path, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      if (errno == ENOENT) continue;
      Fail(p, Step::kReadonlyPath, errno, static_cast<int>(i));
    }
    if (PathRemountReadonly(path) != 0) {
      Fail(p, Step::kReadonlyPath, errno, static_cast<int>(i));
    }
  }
  for (size_t i = 0; i < p.num_masked_paths; ++i) {
    const char* path = p.masked_paths[i];
    struct stat st;
    if (syscall(SYS_newfstatat, AT_FDCWD, path, &st, 0) != 0) {
      if (errno == ENOENT) continue;
      Fail(p, Step::kMaskPath, errno, static_cast<int>(i));
    }
    long r = S_ISDIR(st.st_mode)
                 ? Mount("tmpfs", path, "tmpfs",
                         MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr)
                 : Mount("/dev/null", path, nullptr, MS_BIND, nullptr);
    if (r != 0) Fail(p, Step::kMaskPath, errno, static_cast<int>(i));
  }
}

// The kernel's getcwd() prefixes "(unreachable)" when the cwd lies outside
// the process's root: a cwd reached through a leaked host fd
// (CVE-2024-21626) is refused even though chdir() succeeded.
void VerifyCwd(const ChildPlan& p) {
  char buf[PATH_MAX];
  if (syscall(SYS_getcwd, buf, sizeof buf) < 0) Fail(p, Step::kChdir, errno);
  if (buf[0] != '/') Fail(p, Step::kCwdOutsideRoot, ENOENT);
}

void SetCredentials(const ChildPlan& p, bool chdir_after_setuid) {
  for (int cap = 0; cap <= p.cap_last; ++cap) {
    if ((p.cap_bounding & (uint64_t{1} << cap)) != 0) continue;
    if (syscall(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      Fail(p, Step::kCapBounding, errno, cap);
    }
  }
  // Keep the permitted set across setresuid() away from 0; capset() below
  // then trims it to exactly what the spec asks.
  if (syscall(SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
    Fail(p, Step::kKeepCaps, errno);
  }
  if (syscall(SYS_setgroups, p.num_groups, p.groups) != 0) {
    Fail(p, Step::kSetgroups, errno);
  }
  if (syscall(SYS_setresgid, p.gid, p.gid, p.gid) != 0) {
    Fail(p, Step::kSetgid, errno);
  }
  if (syscall(SYS_setresuid, p.uid, p.uid, p.uid) != 0) {
    Fail(p, Step::kSetuid, errno);
  }
  if (chdir_after_setuid) {
    if (syscall(SYS_chdir, p.cwd) != 0) Fail(p, Step::kChdir, errno);
    VerifyCwd(p);
  }
  if (syscall(SYS_prctl, PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
    Fail(p, Step::kKeepCaps, errno);
  }
  struct __user_cap_header_struct header = {};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  struct __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(p.cap_effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(p.cap_permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(p.cap_inheritable >> (32 * i));
  }
  if (syscall(SYS_capset, &header, data) != 0) Fail(p, Step::kCapset, errno);
  if (syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) !=
      0) {
    Fail(p, Step::kCapAmbient, errno, -1);
  }
  for (int cap = 0; cap <= p.cap_last; ++cap) {
    if ((p.cap_ambient & (uint64_t{1} << cap)) == 0) continue;
    if (syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) !=
        0) {
      Fail(p, Step::kCapAmbient, errno, cap);
    }
  }
}

// execvpe()'s rules over the precomputed candidates: EACCES is remembered
// and the search goes on, "not there" errors go on quietly, anything else
// (ENOEXEC, E2BIG, ...) stops the search. No /bin/sh fallback for ENOEXEC:
// neither runc nor Docker has one.
[[noreturn]] void Exec(const ChildPlan& p) {
  bool saw_eacces = false;
  int err = ENOENT;
  for (size_t i = 0; i < p.num_exec_candidates; ++i) {
    syscall(SYS_execve, p.exec_candidates[i], p.argv, p.envp);
    err = errno;
    if (p.num_exec_candidates == 1) break;
    switch (err) {
      case EACCES:
        saw_eacces = true;
        continue;
      case ENOENT:
      case ENOTDIR:
      case ESTALE:
      case ENODEV:
      case ETIMEDOUT:
        continue;
      default:
        Fail(p, Step::kExec, err);
    }
  }
  if (p.num_exec_candidates != 1) err = saw_eacces ? EACCES : ENOENT;
  Fail(p, Step::kExec, err);
}

// The kernel's struct sigaction for rt_sigaction(2) on x86-64 and arm64.
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  uint64_t mask;
};

// A fork inherits the parent's handlers, ignored signals and blocked mask.
// Handlers would run the parent's code here, and SIG_IGN and the mask
// survive execve: a monitor that ignores SIGPIPE or blocks SIGTERM for its
// signalfd must not hand that to the container.
void ResetSignals() {
  KernelSigaction dfl = {};
  dfl.handler = SIG_DFL;
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof dfl.mask);
  }
  uint64_t none = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, sizeof none);
}

// From the fork to 0-2: the steps every process this runtime starts takes,
// a container's first process (RunChild) and one that joins a running
// container (RunExecChild).
// `go` receives the parent's go message.
void Prologue(const ChildPlan& p, GoMessage& go) {
  ResetSignals();
  Close(p.parent_fd);
  // Until execve: a parent that dies mid-setup takes the child with it.
  if (syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
    Fail(p, Step::kPdeathsig, errno);
  }
  for (size_t i = 0; i < p.num_cgroup_tasks; ++i) {
    if (syscall(SYS_write, p.cgroup_tasks[i], "0", 1) != 1) {
      Fail(p, Step::kCgroupJoin, errno, static_cast<int>(i));
    }
    Close(p.cgroup_tasks[i]);
  }
  for (size_t i = 0; i < p.num_joins; ++i) {
    if (syscall(SYS_setns, p.joins[i].fd, p.joins[i].nstype) != 0) {
      Fail(p, Step::kSetns, errno, static_cast<int>(i));
    }
    Close(p.joins[i].fd);
  }

  ChildReport ready{static_cast<int32_t>(Step::kReady), 0, 0};
  if (syscall(SYS_sendto, p.error_fd, &ready, sizeof ready, MSG_NOSIGNAL,
              nullptr, 0) != static_cast<long>(sizeof ready)) {
    Exit(127);
  }
  long got;
  do {
    got =
        syscall(SYS_recvfrom, p.error_fd, &go, sizeof go, 0, nullptr, nullptr);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) Exit(127);  // The parent gave up (on_created failed, ...).
  if (got != static_cast<long>(sizeof go) || go.magic != kGoMagic ||
      go.num_cgroup_entries > kMaxCgroupEntries ||
      go.strings[kGoStringsSize - 1] != '\0') {
    Fail(p, Step::kProtocol, EPROTO);
  }

  // Now that on_created has placed us in our cgroups, a new cgroup namespace
  // is rooted at them.
  if (p.new_cgroup_ns && syscall(SYS_unshare, CLONE_NEWCGROUP) != 0) {
    Fail(p, Step::kUnshareCgroup, errno);
  }
  if (syscall(SYS_setsid) < 0) Fail(p, Step::kSetsid, errno);
  if (p.console_socket >= 0) {
    // 0-2 come with the pty, once the container's devpts is mounted
    // (AllocateConsole).
  } else if (p.console >= 0) {
    if (syscall(SYS_ioctl, p.console, TIOCSCTTY, 0) != 0) {
      Fail(p, Step::kConsole, errno);
    }
    for (int fd = 0; fd < 3; ++fd) {
      if (syscall(SYS_dup3, p.console, fd, 0) < 0) {
        Fail(p, Step::kStdio, errno, fd);
      }
    }
  } else {
    for (int fd = 0; fd < 3; ++fd) {
      if (syscall(SYS_dup3, p.stdio[fd], fd, 0) < 0) {
        Fail(p, Step::kStdio, errno, fd);
      }
    }
  }
}

// From no_new_privs to execve: what makes the process what the spec's
// "process" says, once its root is in place.
[[noreturn]] void Epilogue(const ChildPlan& p) {
  if (p.no_new_privs &&
      syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    Fail(p, Step::kNoNewPrivs, errno);
  }
  for (size_t i = 0; i < p.num_rlimits; ++i) {
    struct rlimit64 limit = {p.rlimits[i].soft, p.rlimits[i].hard};
    if (syscall(SYS_prlimit64, 0, p.rlimits[i].resource, &limit, nullptr) !=
        0) {
      Fail(p, Step::kRlimit, errno, static_cast<int>(i));
    }
  }

  // Only 0-2 reach the container process, and nothing but them is open
  // while we chdir() to a path the image controls: no leaked fd can serve as
  // a way out (CVE-2024-21626). error_fd is close-on-exec.
  if ((p.error_fd > 3 && syscall(SYS_close_range, 3, p.error_fd - 1, 0) != 0) ||
      syscall(SYS_close_range, p.error_fd + 1, ~0U, 0) != 0) {
    Fail(p, Step::kCloseFds, errno);
  }
  // As runc: try as root first (the user may lack search permission on the
  // way to a directory it owns), again after setresuid() on EACCES.
  bool chdir_after_setuid = false;
  if (syscall(SYS_chdir, p.cwd) != 0) {
    if (errno != EACCES) Fail(p, Step::kChdir, errno);
    chdir_after_setuid = true;
  } else {
    VerifyCwd(p);
  }
  SetCredentials(p, chdir_after_setuid);

  syscall(SYS_umask, p.umask);
  syscall(SYS_prctl, PR_SET_PDEATHSIG, 0, 0, 0, 0);
  Exec(p);
}

}  // namespace

[[noreturn]] void RunChild(const ChildPlan& p) {
  GoMessage go;
  Prologue(p, go);
  // Device nodes and created directories get exactly the planned modes.
  syscall(SYS_umask, 0);

  // Nothing mounted from here on may propagate to the host.
  if (Mount(nullptr, "/", nullptr, p.root_propagation, nullptr) != 0) {
    Fail(p, Step::kRootPropagation, errno);
  }
  // pivot_root needs the new root to be a mount point.
  if (Mount(p.rootfs, p.rootfs, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    Fail(p, Step::kRootBind, errno);
  }
  int rootfd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, p.rootfs,
                                        O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (rootfd < 0) Fail(p, Step::kRootBind, errno);

  for (size_t i = 0; i < p.num_mounts; ++i) {
    DoMount(p, go, rootfd, static_cast<int>(i));
  }
  MakeDevices(p, rootfd);
  if (p.console_socket >= 0) AllocateConsole(p, rootfd);
  PivotRoot(p, rootfd);

  if (p.readonly_root && PathRemountReadonly("/") != 0) {
    Fail(p, Step::kReadonlyRoot, errno);
  }
  if (p.hostname != nullptr &&
      syscall(SYS_sethostname, p.hostname, p.hostname_len) != 0) {
    Fail(p, Step::kHostname, errno);
  }
  // Before the readonly paths: /proc/sys is usually one of them.
  for (size_t i = 0; i < p.num_sysctls; ++i) {
    const SysctlOp& s = p.sysctls[i];
    int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, s.path,
                                      O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd < 0 || syscall(SYS_write, fd, s.value, s.value_len) < 0) {
      Fail(p, Step::kSysctl, errno, static_cast<int>(i));
    }
    Close(fd);
  }
  ProtectPaths(p);
  Epilogue(p);
}

[[noreturn]] void RunExecChild(const ChildPlan& p) {
  GoMessage go;
  Prologue(p, go);
  Epilogue(p);
}

}  // namespace mydocker::runtime::internal
