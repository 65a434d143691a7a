#include "lib/runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/runtime/cgroup_view.h"
#include "lib/runtime/child.h"
#include "lib/runtime/child_plan.h"
#include "lib/runtime/handshake.h"
#include "lib/runtime/plan.h"

namespace mydocker::runtime {
namespace {

using internal::ChildGuard;
using internal::ChildReport;
using internal::GoMessage;
using internal::PlannedChild;

constexpr char kPrefix[] = "starting container: ";

absl::Status Prefixed(const absl::Status& s) {
  absl::Status out(s.code(), absl::StrCat(kPrefix, s.message()));
  s.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    out.SetPayload(url, payload);
  });
  return out;
}

struct Cloned {
  pid_t pid;
  base::UniqueFd pidfd;
};

absl::StatusOr<Cloned> Clone(PlannedChild& pc, int cgroup2_dir,
                             bool* into_cgroup_failed) {
  base::UniqueFd own_pid_ns;
  if (pc.pid_ns.valid()) {
    ASSIGN_OR_RETURN(own_pid_ns,
                     base::OpenFile("/proc/thread-self/ns/pid", O_RDONLY));
    if (setns(pc.pid_ns.get(), CLONE_NEWPID) != 0) {
      return base::ErrnoStatus(errno, "join the pid namespace");
    }
  }
  int pidfd = -1;
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_PIDFD | pc.clone_flags;
  args.pidfd = reinterpret_cast<uintptr_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  if (cgroup2_dir >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup2_dir);
  }
  // Without CLONE_VM this is a fork: the child runs on a copy of this stack
  // and memory, so the plan's pointers stay valid and no stack is needed.
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0 && cgroup2_dir >= 0 && (errno == E2BIG || errno == EINVAL)) {
    // A kernel before 5.7 has no CLONE_INTO_CGROUP: the caller moves the
    // child in the slow way (Cloned::cgroup2_pending).
    args.flags &= ~CLONE_INTO_CGROUP;
    args.cgroup = 0;
    pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid >= 0) *into_cgroup_failed = true;
  }
  if (pid == 0) internal::RunChild(pc.plan);
  const int clone_errno = errno;
  base::UniqueFd owned_pidfd(pid > 0 ? pidfd : -1);
  if (own_pid_ns.valid() && setns(own_pid_ns.get(), CLONE_NEWPID) != 0) {
    // This thread's later children would land in the container's pid
    // namespace; the caller has to treat this as fatal.
    int err = errno;
    if (pid > 0) {
      ChildGuard kill(owned_pidfd.get());
    }
    return absl::InternalError(absl::StrCat(
        "cannot return to the own pid namespace after joining one: ",
        strerror(err)));
  }
  if (pid < 0) return base::ErrnoStatus(clone_errno, "clone3");
  return Cloned{static_cast<pid_t>(pid), std::move(owned_pidfd)};
}

absl::Status FailureStatus(const PlannedChild& pc, const CgroupView* view,
                           const ChildReport& report) {
  const Step step = static_cast<Step>(report.step);
  std::string what;
  if (step == Step::kCgroupMount && view != nullptr && report.index >= 0 &&
      static_cast<size_t>(report.index) < view->entries.size()) {
    const CgroupViewEntry& e = view->entries[static_cast<size_t>(report.index)];
    what =
        absl::StrCat("cgroup view entry \"", e.name, "\" (\"", e.source, "\")");
  } else {
    what = pc.Describe(step, report.index);
  }
  return internal::ReportedFailure(kPrefix, what, report);
}

absl::Status EncodeCgroupView(const CgroupView& view, GoMessage& go) {
  size_t used = 1;  // strings[0] is "", for empty names and sources.
  auto add = [&](const std::string& s) -> std::optional<uint16_t> {
    if (used + s.size() + 1 > internal::kGoStringsSize) return std::nullopt;
    size_t at = used;
    memcpy(go.strings + at, s.c_str(), s.size() + 1);
    used += s.size() + 1;
    return static_cast<uint16_t>(at);
  };
  if (view.entries.size() > internal::kMaxCgroupEntries) {
    return absl::ResourceExhaustedError("too many cgroup hierarchies");
  }
  go.cgroup_tmpfs = view.tmpfs ? 1 : 0;
  for (const CgroupViewEntry& e : view.entries) {
    std::optional<uint16_t> name = add(e.name);
    std::optional<uint16_t> source = add(e.source);
    if (!name || !source) {
      return absl::ResourceExhaustedError("cgroup paths too long");
    }
    go.cgroup_entries[go.num_cgroup_entries++] = {static_cast<uint8_t>(e.kind),
                                                  *name, *source};
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<base::UniqueFd> ReceiveConsole(int socket) {
  char byte;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return base::ErrnoStatus(errno, "receive the console");
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (n != 1 || c == nullptr || c->cmsg_level != SOL_SOCKET ||
      c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) {
    return absl::InternalError("receive the console: no pty master came");
  }
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return base::UniqueFd(fd);
}

absl::StatusOr<Process> Start(const spec::Spec& spec, Options options) {
  absl::StatusOr<std::unique_ptr<PlannedChild>> planned =
      internal::PlanChild(spec,
                          {.in = options.stdio.in,
                           .out = options.stdio.out,
                           .err = options.stdio.err,
                           .console = options.stdio.console,
                           .console_socket = options.stdio.console_socket},
                          options.bundle);
  if (!planned.ok()) return Prefixed(planned.status());
  PlannedChild& pc = **planned;

  absl::StatusOr<internal::ChildSocket> sock = internal::ChildSocket::Make();
  if (!sock.ok()) return Prefixed(sock.status());
  base::UniqueFd parent_end = std::move(sock->parent);
  base::UniqueFd child_end = std::move(sock->child);
  pc.plan.error_fd = child_end.get();
  pc.plan.parent_fd = parent_end.get();

  pc.plan.cgroup_tasks = options.cgroup_v1_tasks.data();
  pc.plan.num_cgroup_tasks = options.cgroup_v1_tasks.size();
  bool into_cgroup_failed = false;
  absl::StatusOr<Cloned> cloned =
      Clone(pc, options.cgroup2_dir, &into_cgroup_failed);
  if (!cloned.ok()) return Prefixed(cloned.status());
  child_end.reset();  // Now only the child holds it: EOF means it exec'd.
  ChildGuard guard(cloned->pidfd.get());
  const pid_t pid = cloned->pid;

  // The host's mounts, for the cgroup view, are read while the child makes
  // its namespaces (the view's other half, the child's cgroups, can only be
  // read once it is placed).
  absl::StatusOr<std::vector<MountInfo>> host_mounts;
  if (pc.has_cgroup_mount) host_mounts = ReadMountInfo("self");

  absl::StatusOr<std::optional<ChildReport>> report =
      internal::ReadReport(parent_end.get());
  if (!report.ok()) return Prefixed(report.status());
  if (!report->has_value()) {
    return absl::InternalError(
        absl::StrCat(kPrefix, "the process died before it was ready"));
  }
  if ((*report)->step != static_cast<int32_t>(Step::kReady)) {
    return FailureStatus(pc, nullptr, **report);
  }

  if (into_cgroup_failed) {
    int procs = openat(options.cgroup2_dir, "cgroup.procs", O_WRONLY | O_CLOEXEC);
    if (procs < 0) return Prefixed(base::ErrnoStatus(errno, "open cgroup.procs"));
    base::UniqueFd owned(procs);
    RETURN_IF_ERROR(base::WriteAll(procs, absl::StrCat(pid), "cgroup.procs"));
  }
  if (options.on_created) {
    if (absl::Status s = options.on_created(pid); !s.ok()) return Prefixed(s);
  }
  if (pc.oom_score_adj) {
    // From the parent: lowering it needs CAP_SYS_RESOURCE, which the
    // container may not keep.
    std::string path = absl::StrCat("/proc/", pid, "/oom_score_adj");
    absl::StatusOr<base::UniqueFd> fd = base::OpenFile(path, O_WRONLY);
    absl::Status s = fd.status();
    if (s.ok()) {
      s = base::WriteAll(fd->get(), absl::StrCat(*pc.oom_score_adj), path);
    }
    if (!s.ok()) return Prefixed(s);
  }

  auto go = std::make_unique<GoMessage>();
  go->magic = internal::kGoMagic;
  std::optional<CgroupView> view;
  if (pc.has_cgroup_mount) {
    if (!host_mounts.ok()) return Prefixed(host_mounts.status());
    absl::StatusOr<CgroupView> v =
        CgroupViewOf(pid, *host_mounts, pc.plan.new_cgroup_ns);
    if (!v.ok()) return Prefixed(v.status());
    view = *std::move(v);
    if (absl::Status s = EncodeCgroupView(*view, *go); !s.ok()) {
      return Prefixed(s);
    }
  }
  if (absl::Status s = internal::SendGo(parent_end.get(), *go); !s.ok()) {
    return Prefixed(s);
  }
  if (options.while_setting_up) options.while_setting_up(pid);

  report = internal::ReadReport(parent_end.get());
  if (!report.ok()) return Prefixed(report.status());
  if (report->has_value()) {
    return FailureStatus(pc, view ? &*view : nullptr, **report);
  }
  guard.Release();
  return Process{pid, std::move(cloned->pidfd)};
}

std::optional<StartFailure> GetStartFailure(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(internal::kFailurePayload);
  if (!payload) return std::nullopt;
  std::vector<std::string> parts = absl::StrSplit(std::string(*payload), ' ');
  int step = 0;
  int err = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &step) ||
      !absl::SimpleAtoi(parts[1], &err)) {
    return std::nullopt;
  }
  return StartFailure{static_cast<Step>(step), err};
}

absl::Status Signal(const Process& process, int sig) {
  if (syscall(SYS_pidfd_send_signal, process.pidfd.get(), sig, nullptr, 0) !=
      0) {
    return base::ErrnoStatus(errno, "signal ", sig, " to process ",
                             process.pid);
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Wait(const Process& process) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  while (waitid(static_cast<idtype_t>(P_PIDFD), process.pidfd.get(), &info,
                WEXITED) != 0) {
    if (errno != EINTR) {
      return base::ErrnoStatus(errno, "wait for process ", process.pid);
    }
  }
  switch (info.si_code) {
    case CLD_EXITED:
      return (info.si_status & 0xff) << 8;
    case CLD_KILLED:
      return info.si_status & 0x7f;
    case CLD_DUMPED:
      return (info.si_status & 0x7f) | 0x80;
    default:
      return absl::InternalError(absl::StrCat("wait for process ", process.pid,
                                              ": unexpected si_code ",
                                              info.si_code));
  }
}

}  // namespace mydocker::runtime
