#include "lib/runtime/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/cgroup/cgroup.h"
#include "lib/cgroup/layout.h"
#include "lib/runtime/child.h"
#include "lib/runtime/handshake.h"
#include "lib/runtime/plan.h"
#include "lib/spec/spec_json.h"
#include "nlohmann/json.hpp"

namespace mydocker::runtime {
namespace {

using internal::ChildReport;
using internal::PlannedChild;

// Every namespace a container of this runtime can have (no user
// namespace: the spec carries no id maps). setns() on a pidfd joins them
// all at once, and one the caller already shares is simply kept.
constexpr int kNamespaces = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
                            CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;

// /dev/ptmx as devpts makes it (TTYAUX_MAJOR, 2).
constexpr unsigned kPtmxMajor = 5;
constexpr unsigned kPtmxMinor = 2;

std::string Who(pid_t pid) { return absl::StrCat("container process ", pid); }

// A pidfd of target.pid, checked to be the process that started at
// target.start_time and not a zombie.
absl::StatusOr<base::UniqueFd> OpenTarget(const ExecTarget& target) {
  if (target.pid <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("bad pid ", target.pid));
  }
  base::UniqueFd pidfd(
      static_cast<int>(syscall(SYS_pidfd_open, target.pid, 0)));
  if (!pidfd.valid()) {
    if (errno == ESRCH) {
      return absl::NotFoundError(absl::StrCat(Who(target.pid), " has exited"));
    }
    return base::ErrnoStatus(errno, "pidfd_open ", target.pid);
  }
  // Read after pidfd_open: if the stat is still the expected process's, so
  // is the pidfd.
  const std::string path = absl::StrCat("/proc/", target.pid, "/stat");
  absl::StatusOr<std::string> stat = base::ReadFile(path, 4096);
  if (!stat.ok()) {
    if (absl::IsNotFound(stat.status())) {
      return absl::NotFoundError(absl::StrCat(Who(target.pid), " has exited"));
    }
    return stat.status();
  }
  // "pid (comm) S ppid ...": the comm may hold spaces and parentheses.
  size_t close = stat->rfind(')');
  std::vector<absl::string_view> fields;
  if (close != std::string::npos && close + 2 < stat->size()) {
    fields = absl::StrSplit(absl::string_view(*stat).substr(close + 2), ' ');
  }
  uint64_t start_time = 0;
  // fields[0] is field 3 (state), so field 22 is fields[19].
  if (fields.size() < 20 || !absl::SimpleAtoi(fields[19], &start_time)) {
    return absl::DataLossError(absl::StrCat(path, ": cannot parse"));
  }
  if (fields[0] == "Z" || fields[0] == "X") {
    return absl::NotFoundError(absl::StrCat(Who(target.pid), " has exited"));
  }
  if (target.start_time != 0 && start_time != target.start_time) {
    return absl::NotFoundError(absl::StrCat(
        Who(target.pid), " has exited (the pid now belongs to another process)"));
  }
  return pidfd;
}

// Whatever was opened through /proc/<pid>/ before this returned OK was the
// target's: a live process keeps its pid.
absl::Status StillThere(int pidfd, pid_t pid) {
  if (syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) != 0) {
    if (errno == ESRCH) {
      return absl::NotFoundError(absl::StrCat(Who(pid), " has exited"));
    }
    return base::ErrnoStatus(errno, "pidfd_send_signal ", pid);
  }
  return absl::OkStatus();
}

absl::StatusOr<base::UniqueFd> OpenRootOf(int pidfd, pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/root");
  absl::StatusOr<base::UniqueFd> root =
      base::OpenFile(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (!root.ok()) return root.status();
  RETURN_IF_ERROR(StillThere(pidfd, pid));
  return root;
}

struct Pty {
  base::UniqueFd master;
  base::UniqueFd slave;
};

// A new pty from the container's own devpts: its /dev/ptmx, resolved inside
// its root (its symlinks cannot lead out, nor to a /proc magic link), and
// refused unless it is a ptmx: the container's root user controls /dev and
// could put a FIFO (an open that blocks) or another device there.
absl::StatusOr<Pty> OpenContainerPty(int root) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  Pty pty;
  long fd;
  do {
    fd = syscall(SYS_openat2, root, "dev/ptmx", &how, sizeof how);
  } while (fd < 0 && errno == EAGAIN);
  if (fd < 0) return base::ErrnoStatus(errno, "open the container's /dev/ptmx");
  pty.master.reset(static_cast<int>(fd));
  struct stat st;
  if (fstat(pty.master.get(), &st) != 0) {
    return base::ErrnoStatus(errno, "stat the container's /dev/ptmx");
  }
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != kPtmxMajor ||
      minor(st.st_rdev) != kPtmxMinor) {
    return absl::FailedPreconditionError(
        "the container's /dev/ptmx is not a pty multiplexer");
  }
  int flags = fcntl(pty.master.get(), F_GETFL);
  int unlock = 0;
  if (flags < 0 || fcntl(pty.master.get(), F_SETFL, flags & ~O_NONBLOCK) != 0 ||
      ioctl(pty.master.get(), TIOCSPTLCK, &unlock) != 0) {
    return base::ErrnoStatus(errno, "set up the pty");
  }
  // The slave through the master's own devpts instance: no path lookup.
  int slave = ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) return base::ErrnoStatus(errno, "open the pty's slave");
  pty.slave.reset(slave);
  return pty;
}

// The write ends of the cgroup.procs files of the target's cgroup, opened
// now: once Exec has joined the container's mount namespace the host's
// cgroupfs is out of sight.
absl::StatusOr<std::vector<std::pair<std::string, base::UniqueFd>>>
OpenCgroupProcs(const std::string& cgroups_path) {
  std::vector<std::pair<std::string, base::UniqueFd>> out;
  if (cgroups_path.empty()) return out;
  ASSIGN_OR_RETURN(cgroup::Layout layout, cgroup::Detect());
  ASSIGN_OR_RETURN(cgroup::Cgroup cg, cgroup::Cgroup::Open(layout, cgroups_path));
  for (const std::string& dir : cg.Dirs()) {
    std::string path = absl::StrCat(dir, "/cgroup.procs");
    ASSIGN_OR_RETURN(base::UniqueFd fd,
                     base::OpenFile(path, O_WRONLY | O_CLOEXEC));
    out.emplace_back(std::move(path), std::move(fd));
  }
  return out;
}

struct Cloned {
  pid_t pid;
  base::UniqueFd pidfd;
};

absl::StatusOr<Cloned> Clone(PlannedChild& pc) {
  int pidfd = -1;
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uintptr_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) internal::RunExecChild(pc.plan);
  if (pid < 0) return base::ErrnoStatus(errno, "clone3");
  return Cloned{static_cast<pid_t>(pid), base::UniqueFd(pidfd)};
}

}  // namespace

absl::StatusOr<base::UniqueFd> OpenRoot(const ExecTarget& target) {
  ASSIGN_OR_RETURN(base::UniqueFd pidfd, OpenTarget(target));
  return OpenRootOf(pidfd.get(), target.pid);
}

absl::StatusOr<Process> Exec(const ExecTarget& target,
                             const spec::Process& process,
                             ExecOptions options) {
  // First: a non-dumpable process's /proc/<pid>/ files (exe, mem, fd,
  // root, ...) are closed to the container's processes, and its child
  // inherits that until it execs.
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return base::ErrnoStatus(errno, "prctl(PR_SET_DUMPABLE)");
  }
  ASSIGN_OR_RETURN(base::UniqueFd pidfd, OpenTarget(target));

  // Everything the container's files decide, and the plan, before joining.
  std::optional<Pty> pty;
  if (process.terminal) {
    if (!options.on_console) {
      return absl::InvalidArgumentError(
          "process.terminal is set but nobody takes the console");
    }
    ASSIGN_OR_RETURN(base::UniqueFd root, OpenRootOf(pidfd.get(), target.pid));
    ASSIGN_OR_RETURN(pty, OpenContainerPty(root.get()));
  }
  ASSIGN_OR_RETURN(
      std::unique_ptr<PlannedChild> planned,
      internal::PlanExecChild(process, {.in = options.stdio.in,
                                        .out = options.stdio.out,
                                        .err = options.stdio.err,
                                        .console = pty ? pty->slave.get() : -1}));
  PlannedChild& pc = *planned;
  ASSIGN_OR_RETURN(auto procs, OpenCgroupProcs(target.cgroups_path));
  if (pc.oom_score_adj) {
    // Inherited by the child. From here: lowering it needs privileges the
    // process may not keep.
    constexpr char kPath[] = "/proc/self/oom_score_adj";
    ASSIGN_OR_RETURN(base::UniqueFd fd,
                     base::OpenFile(kPath, O_WRONLY | O_CLOEXEC));
    RETURN_IF_ERROR(
        base::WriteAll(fd.get(), absl::StrCat(*pc.oom_score_adj), kPath));
  }
  ASSIGN_OR_RETURN(internal::ChildSocket sock, internal::ChildSocket::Make());
  pc.plan.error_fd = sock.child.get();
  pc.plan.parent_fd = sock.parent.get();
  if (pty) {
    pty->slave.reset();  // The plan has its own copy.
    RETURN_IF_ERROR(options.on_console(std::move(pty->master)));
  }

  RETURN_IF_ERROR(StillThere(pidfd.get(), target.pid));
  if (setns(pidfd.get(), kNamespaces) != 0) {
    return base::ErrnoStatus(errno, "join the namespaces of ", Who(target.pid));
  }

  ASSIGN_OR_RETURN(Cloned cloned, Clone(pc));
  sock.child.reset();  // Now only the child holds it: EOF means it exec'd.
  internal::ChildGuard guard(cloned.pidfd.get());
  ASSIGN_OR_RETURN(std::optional<ChildReport> report,
                   internal::ReadReport(sock.parent.get()));
  if (!report) {
    return absl::InternalError("the process died before it was ready");
  }
  if (report->step != static_cast<int32_t>(Step::kReady)) {
    return internal::ReportedFailure(
        "", pc.Describe(static_cast<Step>(report->step), report->index),
        *report);
  }
  // Into the container's cgroup before it runs anything of its own.
  for (auto& [path, fd] : procs) {
    RETURN_IF_ERROR(base::WriteAll(fd.get(), absl::StrCat(cloned.pid),
                                   absl::StrCat("join ", path)));
  }
  auto go = std::make_unique<internal::GoMessage>();
  go->magic = internal::kGoMagic;
  RETURN_IF_ERROR(internal::SendGo(sock.parent.get(), *go));
  ASSIGN_OR_RETURN(report, internal::ReadReport(sock.parent.get()));
  if (report) {
    return internal::ReportedFailure(
        "", pc.Describe(static_cast<Step>(report->step), report->index),
        *report);
  }
  guard.Release();
  return Process{cloned.pid, std::move(cloned.pidfd)};
}

int ExecFailureExitCode(const absl::Status& status) {
  std::optional<StartFailure> f = GetStartFailure(status);
  if (f && f->step == Step::kExec && f->err == ENOENT) return 127;
  return 126;
}

std::string EncodeExecRequest(const ExecRequest& request) {
  spec::Spec spec;
  spec.process = request.process;
  nlohmann::ordered_json j = {
      {"target",
       {{"pid", request.target.pid},
        {"pidStartTime", request.target.start_time},
        {"cgroupsPath", request.target.cgroups_path}}},
      {"attachStdin", request.attach_stdin},
      {"spec", spec::ToJson(spec)},
  };
  return j.dump();
}

absl::StatusOr<ExecRequest> DecodeExecRequest(absl::string_view json) {
  auto bad = [](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("exec request: ", why));
  };
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  auto target = j.find("target");
  auto spec = j.find("spec");
  if (target == j.end() || !target->is_object() || spec == j.end() ||
      !spec->is_object()) {
    return bad("needs \"target\" and \"spec\" objects");
  }
  ExecRequest out;
  auto pid = target->find("pid");
  auto start = target->find("pidStartTime");
  auto cgroups = target->find("cgroupsPath");
  if (pid == target->end() || !pid->is_number_integer() ||
      start == target->end() || !start->is_number_unsigned() ||
      cgroups == target->end() || !cgroups->is_string()) {
    return bad("target needs pid, pidStartTime and cgroupsPath");
  }
  out.target.pid = pid->get<pid_t>();
  out.target.start_time = start->get<uint64_t>();
  out.target.cgroups_path = cgroups->get<std::string>();
  if (auto attach = j.find("attachStdin"); attach != j.end()) {
    if (!attach->is_boolean()) return bad("attachStdin is not a boolean");
    out.attach_stdin = attach->get<bool>();
  }
  absl::StatusOr<spec::Spec> s = spec::FromJson(spec->dump());
  if (!s.ok()) return bad(s.status().message());
  out.process = std::move(s->process);
  return out;
}

}  // namespace mydocker::runtime
