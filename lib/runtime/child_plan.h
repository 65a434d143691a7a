// The plain-old-data plan the container's first process executes.
//
// The parent (plan.cc) computes everything before clone3(): cleaned
// destinations, mount(2) flags and data strings, device numbers, capability
// masks, ids, argv/envp and every path execve() should try. The child
// (child.cc) only reads this struct and issues syscalls. clone3() without
// CLONE_VM copies the parent's memory, so the pointers here stay valid in the
// child; the parent keeps the pointed-to storage alive (PlannedChild) until
// the child has exec'd or died.
//
// Paths named `dest`/`dir`/`path` in the pre-pivot ops are relative to the
// rootfs and cleaned ("dev/pts", never "/dev/pts" or "a/../b"): the child
// resolves them itself, inside the rootfs. Paths in the post-pivot ops
// (sysctls, masked and readonly paths, cwd) are absolute container paths.
#ifndef MYDOCKER_LIB_RUNTIME_CHILD_PLAN_H_
#define MYDOCKER_LIB_RUNTIME_CHILD_PLAN_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "lib/runtime/step.h"

namespace mydocker::runtime::internal {

enum class MountKind : uint8_t {
  kFilesystem,  // mount(source, target, fstype, flags, data)
  kBind,        // mount(source, target, NULL, MS_BIND[|MS_REC]), then remount
  kCgroup,      // the cgroup view the parent sends after on_created
};

struct MountOp {
  MountKind kind;
  // The target is created as an empty file, not a directory, if missing
  // (a bind of a non-directory).
  bool dest_is_file;
  // runc's allow-list: this destination may lie inside procfs (lxcfs-style
  // binds over /proc/meminfo, ...). Anything else that resolves into a procfs
  // is refused: a mount there could cover /proc/self/attr and the like.
  bool dest_may_be_on_proc;
  const char* source;
  const char* fstype;  // kFilesystem only.
  const char* dest;
  const char* data;     // nullptr: none.
  unsigned long flags;  // The first mount(2) call.
  // kBind and kCgroup: a second pass, mount(NULL, target, NULL,
  // MS_BIND|MS_REMOUNT|remount_flags|(statfs flags & keep_flags)) when
  // `remount` is set. keep_flags carries the source's ro/nosuid/nodev/noexec
  // into the remount unless the spec cleared them explicitly: a remount
  // without them would silently drop them.
  bool remount;
  unsigned long remount_flags;
  unsigned long keep_flags;
  unsigned long propagation;  // 0, or MS_PRIVATE/MS_SLAVE/... [|MS_REC].
};

struct DeviceOp {
  const char* dir;   // "dev"
  const char* name;  // "null"
  mode_t mode;       // S_IFCHR|0666, ...
  dev_t rdev;
  uid_t uid;
  gid_t gid;
};

struct SymlinkOp {
  const char* dir;
  const char* name;
  const char* target;
  bool replace;  // Remove what is there first (ptmx); otherwise EEXIST is OK.
};

struct SysctlOp {
  const char* path;  // "/proc/sys/net/ipv4/ip_forward"
  const char* value;
  size_t value_len;
};

struct RlimitOp {
  int resource;
  uint64_t soft;
  uint64_t hard;
};

struct NsJoin {
  int fd;
  int nstype;  // CLONE_NEWNET, ...
};

struct ChildPlan {
  // The child's end of the SOCK_SEQPACKET|SOCK_CLOEXEC socketpair, and the
  // parent's end, which the child closes first thing (else it would never
  // see EOF when the parent dies).
  int error_fd = -1;
  int parent_fd = -1;

  // All fds here are >= 3, so dup3() onto 0-2 never clobbers one of them.
  int stdio[3] = {-1, -1, -1};
  int console = -1;  // A pty slave, or -1.
  // Or: a socket to send the master of a pty the child opens from the
  // container's own devpts (after the mounts) to; its slave becomes the
  // console. With the window size to give it (0: leave it).
  int console_socket = -1;
  unsigned short console_rows = 0;
  unsigned short console_cols = 0;

  // Cgroup v1 `tasks` files the child moves itself into first thing, by
  // writing "0" (itself) to each: a task moving itself skips the global
  // threadgroup lock, whose write side waits out an RCU grace period
  // (5-15 ms) when the parent moves it by pid through cgroup.procs.
  const int* cgroup_tasks = nullptr;
  size_t num_cgroup_tasks = 0;

  const NsJoin* joins = nullptr;
  size_t num_joins = 0;
  bool new_cgroup_ns = false;  // unshare()d after on_created (cgroup placed).

  const char* rootfs = nullptr;  // Absolute, canonical host path.
  unsigned long root_propagation = 0;
  bool readonly_root = false;

  const MountOp* mounts = nullptr;
  size_t num_mounts = 0;

  const DeviceOp* devices = nullptr;
  size_t num_devices = 0;
  const SymlinkOp* dev_symlinks = nullptr;
  size_t num_dev_symlinks = 0;
  // With a console: "dev/console", and the pty slave's path in the parent's
  // mount namespace (which the child's is a copy of). A bind needs a path:
  // the kernel refuses /proc/self/fd/N of a mount outside the caller's
  // namespace (EINVAL), and the console fd was opened in the parent's.
  const char* console_dest = nullptr;
  const char* console_path = nullptr;

  const char* hostname = nullptr;  // nullptr: leave it.
  size_t hostname_len = 0;
  const SysctlOp* sysctls = nullptr;
  size_t num_sysctls = 0;
  const char* const* readonly_paths = nullptr;
  size_t num_readonly_paths = 0;
  const char* const* masked_paths = nullptr;
  size_t num_masked_paths = 0;

  bool no_new_privs = false;
  const RlimitOp* rlimits = nullptr;
  size_t num_rlimits = 0;

  const char* cwd = "/";

  uid_t uid = 0;
  gid_t gid = 0;
  const gid_t* groups = nullptr;
  size_t num_groups = 0;
  int cap_last = 0;  // /proc/sys/kernel/cap_last_cap
  uint64_t cap_bounding = 0;
  uint64_t cap_effective = 0;
  uint64_t cap_permitted = 0;
  uint64_t cap_inheritable = 0;
  uint64_t cap_ambient = 0;
  mode_t umask = 022;

  char* const* argv = nullptr;
  char* const* envp = nullptr;
  // What execve() tries, in order: args[0] itself if it has a '/', else
  // args[0] joined to each entry of the container's PATH.
  const char* const* exec_candidates = nullptr;
  size_t num_exec_candidates = 0;
};

// child -> parent: a failure, or {kReady, 0, 0} once in the namespaces.
struct ChildReport {
  int32_t step;
  int32_t err;
  int32_t index;
};

// parent -> child, after on_created: "go", with the cgroup view (known only
// now: on_created may have moved the child into its cgroups).
inline constexpr uint32_t kGoMagic = 0x6d79676f;  // "mygo"
inline constexpr size_t kMaxCgroupEntries = 32;
inline constexpr size_t kGoStringsSize = 8192;

struct GoCgroupEntry {
  uint8_t kind;   // CgroupViewEntry::Kind
  uint16_t name;  // Offsets into GoMessage::strings, NUL-terminated.
  uint16_t source;
};

struct GoMessage {
  uint32_t magic = 0;
  uint32_t cgroup_tmpfs = 0;  // Mount a tmpfs at the destination first.
  uint32_t num_cgroup_entries = 0;
  GoCgroupEntry cgroup_entries[kMaxCgroupEntries] = {};
  char strings[kGoStringsSize] = {};
};

}  // namespace mydocker::runtime::internal

#endif  // MYDOCKER_LIB_RUNTIME_CHILD_PLAN_H_
