#include "lib/engine/start.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/errno_status.h"
#include "lib/runtime/self_exec.h"

namespace mydocker::engine {
namespace {

constexpr char kExitCodePayload[] = "mydocker.dev/exit-code";

// The monitor's fds: 3 the report pipe, 4 where the id comes from, then
// the attach stream if there is one.
constexpr int kReportFd = 3;
constexpr int kIdFd = 4;

}  // namespace

absl::Status WithExitCode(absl::Status status, int code) {
  status.SetPayload(kExitCodePayload, absl::Cord(absl::StrCat(code)));
  return status;
}

int ExitCodeOf(const absl::Status& status, int fallback) {
  auto p = status.GetPayload(kExitCodePayload);
  int code = 0;
  if (p && absl::SimpleAtoi(std::string(*p), &code)) return code;
  return fallback;
}

absl::StatusOr<PendingMonitor> PendingMonitor::Spawn(const std::string& root,
                                                    const StartOptions& options) {
  PendingMonitor m;
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return base::ErrnoStatus(errno, "pipe");
  m.report_.reset(report[0]);
  base::UniqueFd report_w(report[1]);
  // A socket, not a pipe: a monitor that died makes the id's send fail
  // with EPIPE (MSG_NOSIGNAL), not kill this process.
  int idp[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, idp) != 0) {
    return base::ErrnoStatus(errno, "socketpair");
  }
  m.id_.reset(idp[0]);
  base::UniqueFd id_r(idp[1]);
  base::UniqueFd stream_peer;
  if (options.attach) {
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
      return base::ErrnoStatus(errno, "socketpair");
    }
    m.stream_.reset(sp[0]);
    stream_peer.reset(sp[1]);
  }
  std::vector<std::string> argv = {"mydocker", "--root", root, "monitor",
                                   absl::StrCat("--report-fd=", kReportFd),
                                   absl::StrCat("--id-fd=", kIdFd)};
  runtime::SpawnOptions spawn;
  spawn.fds = {-1, -1, -1, report_w.get(), id_r.get()};
  if (options.attach) {
    argv.push_back(absl::StrCat("--attach-fd=", spawn.fds.size()));
    spawn.fds.push_back(stream_peer.get());
  }
  if (options.new_netns) argv.push_back("--new-netns");
  if (options.size) {
    argv.push_back(absl::StrCat("--size=", options.size->rows, "x",
                                options.size->cols));
  }

  // Its own session (the user's terminal and its signals are not its
  // business), nothing of ours but the fds above, and run from a read-only
  // view of this binary: the container this monitor starts must never
  // reach a writable host binary (CVE-2019-5736). It outlives this command,
  // which never reaps it; once we exit, init does.
  absl::StatusOr<runtime::Spawned> spawned = runtime::SpawnProtected(argv, spawn);
  if (!spawned.ok()) return WithExitCode(spawned.status(), 125);
  return m;
}

absl::StatusOr<Started> PendingMonitor::Start(const std::string& id) {
  const std::string line = id + "\n";
  ssize_t sent;
  do {
    sent = send(id_.get(), line.data(), line.size(), MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  id_.reset();
  // A failed send (the monitor is gone) shows as a missing report below.
  std::string report;
  char buf[4096];
  while (true) {
    ssize_t n = read(report_.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    report.append(buf, n);
  }
  absl::string_view text = absl::StripSuffix(report, "\n");
  if (absl::ConsumePrefix(&text, "ok ")) {
    Started s;
    if (!absl::SimpleAtoi(text, &s.pid)) {
      return absl::InternalError(absl::StrCat("monitor: bad report: ", report));
    }
    s.stream = std::move(stream_);
    return s;
  }
  if (absl::ConsumePrefix(&text, "err ")) {
    std::pair<std::string, std::string> parts =
        absl::StrSplit(text, absl::MaxSplits(' ', 1));
    int code = 125;
    if (!absl::SimpleAtoi(parts.first, &code)) code = 125;
    absl::StatusCode sc = code == 127   ? absl::StatusCode::kNotFound
                          : code == 126 ? absl::StatusCode::kPermissionDenied
                                        : absl::StatusCode::kFailedPrecondition;
    return WithExitCode(absl::Status(sc, parts.second), code);
  }
  return WithExitCode(
      absl::InternalError("the container's monitor died before it reported"),
      125);
}

absl::StatusOr<Started> StartContainer(const std::string& root,
                                       const std::string& id,
                                       const StartOptions& options) {
  absl::StatusOr<PendingMonitor> m = PendingMonitor::Spawn(root, options);
  if (!m.ok()) return m.status();
  return m->Start(id);
}

}  // namespace mydocker::engine
