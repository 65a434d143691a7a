// The parent's side of the protocol with a child running child.cc: the
// socketpair, the reports, the go message, and the Status a failure becomes.
// Shared by Start (runtime.h) and Exec (exec.h).
//
//   ASSIGN_OR_RETURN(ChildSocket sock, ChildSocket::Make());
//   planned->plan.error_fd = sock.child.get(); ... clone3 ...
//   ChildGuard guard(pidfd);
//   ASSIGN_OR_RETURN(std::optional<ChildReport> r, ReadReport(sock.parent));
#ifndef MYDOCKER_LIB_RUNTIME_HANDSHAKE_H_
#define MYDOCKER_LIB_RUNTIME_HANDSHAKE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"
#include "lib/runtime/child_plan.h"
#include "lib/runtime/step.h"

namespace mydocker::runtime::internal {

// The payload GetStartFailure (runtime.h) reads: "<step> <errno>".
inline constexpr char kFailurePayload[] = "type.mydocker/runtime.StartFailure";

// A SOCK_SEQPACKET|SOCK_CLOEXEC socketpair, both ends >= 3 (the child
// dup3()s onto 0-2 and must not clobber its end).
struct ChildSocket {
  base::UniqueFd parent;
  base::UniqueFd child;
  static absl::StatusOr<ChildSocket> Make();
};

// Kills (SIGKILL) and reaps the child unless released: every early return
// leaves no process behind.
class ChildGuard {
 public:
  explicit ChildGuard(int pidfd) : pidfd_(pidfd) {}
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  ~ChildGuard();
  void Release() { pidfd_ = -1; }

 private:
  int pidfd_;
};

// The next report from the child; nullopt at EOF (it exec'd, or died).
absl::StatusOr<std::optional<ChildReport>> ReadReport(int fd);

// Sends `go` (GoMessage) to the child.
absl::Status SendGo(int fd, const GoMessage& go);

// The Status for a failure the child reported while doing `what` (as
// PlannedChild::Describe says it): "<prefix><what>: <strerror>", with the
// errno's code, and the payload that GetStartFailure reads.
absl::Status ReportedFailure(absl::string_view prefix, const std::string& what,
                             const ChildReport& report);

}  // namespace mydocker::runtime::internal

#endif  // MYDOCKER_LIB_RUNTIME_HANDSHAKE_H_
