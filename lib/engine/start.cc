#include "lib/engine/start.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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

// The monitor's fds: 3 the report pipe, 4 the attach stream.
constexpr int kReportFd = 3;
constexpr int kAttachFd = 4;

[[noreturn]] void ExecMonitor(const std::vector<std::string>& argv, int report,
                              int attach) {
  // Its own session: the user's terminal and its signals (^C, hangup) are
  // not the monitor's business.
  setsid();
  // fds 3/4 from the caller's fds, whatever numbers those have.
  int r = fcntl(report, F_DUPFD_CLOEXEC, 10);
  int a = attach >= 0 ? fcntl(attach, F_DUPFD_CLOEXEC, 10) : -1;
  if (r < 0 || dup2(r, kReportFd) < 0) _exit(125);
  if (a >= 0 && dup2(a, kAttachFd) < 0) _exit(125);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) _exit(125);
  for (int fd = 0; fd < 3; ++fd) dup2(null, fd);
  // Nothing else of the caller's (its shell's fds included) reaches the
  // monitor, and so the container.
  syscall(SYS_close_range, a >= 0 ? kAttachFd + 1 : kReportFd + 1, ~0U, 0);
  // From a read-only mount of this binary: the container this monitor
  // starts must never reach a writable host binary (CVE-2019-5736).
  absl::Status s = runtime::ExecSelfProtected(argv);
  dprintf(kReportFd, "err 125 start the monitor: %s\n",
          std::string(s.message()).c_str());
  _exit(125);
}

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

absl::StatusOr<Started> StartContainer(const std::string& root,
                                       const std::string& id,
                                       const StartOptions& options) {
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return base::ErrnoStatus(errno, "pipe");
  base::UniqueFd report_r(report[0]), report_w(report[1]);
  base::UniqueFd stream, stream_peer;
  if (options.attach) {
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
      return base::ErrnoStatus(errno, "socketpair");
    }
    stream.reset(sp[0]);
    stream_peer.reset(sp[1]);
  }
  std::vector<std::string> argv = {"mydocker", "--root", root, "monitor",
                                   absl::StrCat("--report-fd=", kReportFd)};
  if (options.attach) argv.push_back(absl::StrCat("--attach-fd=", kAttachFd));
  if (options.size) {
    argv.push_back(absl::StrCat("--size=", options.size->rows, "x",
                                options.size->cols));
  }
  argv.push_back(id);

  // Fork twice so the monitor is nobody's child here: it outlives this
  // command and nothing has to reap it.
  pid_t pid = fork();
  if (pid < 0) return base::ErrnoStatus(errno, "fork");
  if (pid == 0) {
    pid_t grandchild = fork();
    if (grandchild != 0) _exit(grandchild < 0 ? 1 : 0);
    ExecMonitor(argv, report_w.get(), stream_peer.get());
  }
  report_w.reset();
  stream_peer.reset();
  int ws = 0;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
    return absl::InternalError("could not fork the container's monitor");
  }
  std::string line;
  char buf[4096];
  while (true) {
    ssize_t n = read(report_r.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    line.append(buf, n);
  }
  absl::string_view text = absl::StripSuffix(line, "\n");
  if (absl::ConsumePrefix(&text, "ok ")) {
    Started s;
    if (!absl::SimpleAtoi(text, &s.pid)) {
      return absl::InternalError(absl::StrCat("monitor: bad report: ", line));
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

}  // namespace mydocker::engine
