#include "lib/runtime/handshake.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "lib/base/errno_status.h"

namespace mydocker::runtime::internal {
namespace {

absl::StatusOr<base::UniqueFd> Above2(base::UniqueFd fd) {
  if (fd.get() >= 3) return fd;
  int copy = fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (copy < 0) return base::ErrnoStatus(errno, "dup");
  return base::UniqueFd(copy);
}

}  // namespace

absl::StatusOr<ChildSocket> ChildSocket::Make() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return base::ErrnoStatus(errno, "socketpair");
  }
  base::UniqueFd parent(sv[0]);
  base::UniqueFd child(sv[1]);
  ChildSocket out;
  absl::StatusOr<base::UniqueFd> p = Above2(std::move(parent));
  if (!p.ok()) return p.status();
  absl::StatusOr<base::UniqueFd> c = Above2(std::move(child));
  if (!c.ok()) return c.status();
  out.parent = *std::move(p);
  out.child = *std::move(c);
  return out;
}

ChildGuard::~ChildGuard() {
  if (pidfd_ < 0) return;
  syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);
  siginfo_t info;
  while (waitid(static_cast<idtype_t>(P_PIDFD), pidfd_, &info, WEXITED) != 0 &&
         errno == EINTR) {
  }
}

absl::StatusOr<std::optional<ChildReport>> ReadReport(int fd) {
  ChildReport report;
  for (;;) {
    ssize_t n = recv(fd, &report, sizeof report, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return base::ErrnoStatus(errno, "read from the container process");
    }
    if (n == 0) return std::nullopt;
    if (n != static_cast<ssize_t>(sizeof report)) {
      return absl::DataLossError("short report from the container process");
    }
    return report;
  }
}

absl::Status SendGo(int fd, const GoMessage& go) {
  ssize_t sent;
  do {
    sent = send(fd, &go, sizeof go, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent != static_cast<ssize_t>(sizeof go)) {
    return base::ErrnoStatus(sent < 0 ? errno : EMSGSIZE,
                             "send go to the container process");
  }
  return absl::OkStatus();
}

absl::Status ReportedFailure(absl::string_view prefix, const std::string& what,
                             const ChildReport& report) {
  const Step step = static_cast<Step>(report.step);
  absl::Status status;
  if (step == Step::kMountOnProc) {
    status = absl::PermissionDeniedError(absl::StrCat(
        prefix, what, ": the destination resolves to a place inside procfs"));
  } else if (step == Step::kCwdOutsideRoot) {
    status = absl::PermissionDeniedError(absl::StrCat(
        prefix, what, ": the directory is outside the container's root"));
  } else {
    status = base::ErrnoStatus(report.err, prefix, what);
  }
  status.SetPayload(kFailurePayload,
                    absl::Cord(absl::StrCat(report.step, " ", report.err)));
  return status;
}

}  // namespace mydocker::runtime::internal
