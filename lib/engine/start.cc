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
#include "lib/base/status_macros.h"
#include "lib/runtime/self_exec.h"

namespace mydocker::engine {
namespace {

constexpr char kExitCodePayload[] = "mydocker.dev/exit-code";

// The monitor's fds: 3 the report pipe, then where the id comes from and
// the attach stream, each if there is one.
constexpr int kReportFd = 3;

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

namespace {

// The monitor's end of things, spawned: for the container `id`, or, with
// `id_r`, for the one whose id comes from there.
absl::Status SpawnMonitor(const std::string& root, const StartOptions& options,
                          const std::string& id, int report_w, int id_r,
                          int stream_peer) {
  std::vector<std::string> argv = {"mydocker", "--root", root, "monitor",
                                   absl::StrCat("--report-fd=", kReportFd)};
  runtime::SpawnOptions spawn;
  spawn.fds = {-1, -1, -1, report_w};
  if (id_r >= 0) {
    argv.push_back(absl::StrCat("--id-fd=", spawn.fds.size()));
    spawn.fds.push_back(id_r);
    // Its start makes the namespace itself, in parallel, when it has the id.
    if (options.new_netns) argv.push_back("--new-netns");
  }
  if (stream_peer >= 0) {
    argv.push_back(absl::StrCat("--attach-fd=", spawn.fds.size()));
    spawn.fds.push_back(stream_peer);
  }
  if (options.size) {
    argv.push_back(absl::StrCat("--size=", options.size->rows, "x",
                                options.size->cols));
  }
  if (!id.empty()) argv.push_back(id);

  // Its own session (the user's terminal and its signals are not its
  // business), nothing of ours but the fds above, and run from a read-only
  // view of this binary: the container this monitor starts must never
  // reach a writable host binary (CVE-2019-5736). It outlives this command,
  // which never reaps it; once we exit, init does.
  absl::StatusOr<runtime::Spawned> spawned = runtime::SpawnProtected(argv, spawn);
  if (!spawned.ok()) return WithExitCode(spawned.status(), 125);
  return absl::OkStatus();
}

// The monitor's report, read to its end.
absl::StatusOr<Started> ReadReport(int fd, base::UniqueFd stream) {
  std::string report;
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
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
    s.stream = std::move(stream);
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

// A pipe (close-on-exec), as its read and write ends.
absl::StatusOr<std::pair<base::UniqueFd, base::UniqueFd>> Pipe() {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return base::ErrnoStatus(errno, "pipe");
  return std::make_pair(base::UniqueFd(p[0]), base::UniqueFd(p[1]));
}

// A connected pair of stream sockets (close-on-exec).
absl::StatusOr<std::pair<base::UniqueFd, base::UniqueFd>> SocketPair() {
  int p[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) != 0) {
    return base::ErrnoStatus(errno, "socketpair");
  }
  return std::make_pair(base::UniqueFd(p[0]), base::UniqueFd(p[1]));
}

}  // namespace

absl::StatusOr<PendingMonitor> PendingMonitor::Spawn(const std::string& root,
                                                    const StartOptions& options) {
  PendingMonitor m;
  ASSIGN_OR_RETURN(auto report, Pipe());
  // A socket, not a pipe: a monitor that died makes the id's send fail
  // with EPIPE (MSG_NOSIGNAL), not kill this process.
  ASSIGN_OR_RETURN(auto id, SocketPair());
  std::pair<base::UniqueFd, base::UniqueFd> stream;
  if (options.attach) {
    ASSIGN_OR_RETURN(stream, SocketPair());
  }
  RETURN_IF_ERROR(SpawnMonitor(root, options, "", report.second.get(),
                               id.second.get(), stream.second.get()));
  m.report_ = std::move(report.first);
  m.id_ = std::move(id.first);
  m.stream_ = std::move(stream.first);
  return m;
}

absl::StatusOr<Started> PendingMonitor::Start(const std::string& id) {
  const std::string line = id + "\n";
  size_t sent = 0;
  while (sent < line.size()) {
    ssize_t n = send(id_.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return WithExitCode(base::ErrnoStatus(errno, "send the container's id to its monitor"),
                          125);
    }
    sent += static_cast<size_t>(n);
  }
  id_.reset();
  return ReadReport(report_.get(), std::move(stream_));
}

absl::StatusOr<Started> StartContainer(const std::string& root,
                                       const std::string& id,
                                       const StartOptions& options) {
  ASSIGN_OR_RETURN(auto report, Pipe());
  std::pair<base::UniqueFd, base::UniqueFd> stream;
  if (options.attach) {
    ASSIGN_OR_RETURN(stream, SocketPair());
  }
  RETURN_IF_ERROR(SpawnMonitor(root, options, id, report.second.get(), -1,
                               stream.second.get()));
  report.second.reset();
  stream.second.reset();
  return ReadReport(report.first.get(), std::move(stream.first));
}

}  // namespace mydocker::engine
