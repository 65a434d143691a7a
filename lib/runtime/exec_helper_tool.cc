// What exec_test runs as the nsenter-helper, from a read-only mount
// (SpawnProtected): a binary other than the test, so that nothing but the
// mount keeps a container from writing to it once it has exited.
//
// fd 3: the request (EncodeExecRequest), read to EOF. fd 4: the report, one
// line, "ok <pid> <dumpable>" or "err <exit status> <message>". fd 5 (with
// process.terminal): a unix socket the pty master is sent over. Its 0-2 are
// the process's. Exits with the process's exit status (128+N for a signal).
//
// Run as `/proc/self/exe SCRIPT` (the kernel's doing for a
// `#!/proc/self/exe` script run inside a container): the CVE's exploit,
// which reports "evil protected <0|1> write <errno|ok>" and lingers
// 200 ms for an attacker to find it.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "lib/runtime/exec.h"
#include "lib/runtime/runtime.h"
#include "lib/runtime/self_exec.h"

namespace {

using mydocker::base::UniqueFd;
namespace runtime = mydocker::runtime;

int Evil() {
  int fd = open("/proc/self/exe", O_WRONLY | O_CLOEXEC);
  int err = fd >= 0 ? 0 : errno;
  printf("evil protected %d write %s\n", runtime::RunningProtected() ? 1 : 0,
         err == 0 ? "ok" : std::to_string(err).c_str());
  fflush(stdout);
  timespec ts = {0, 200 * 1000 * 1000};
  nanosleep(&ts, nullptr);
  return 0;
}

absl::Status SendFd(int sock, int fd) {
  char byte = 'm';
  iovec iov = {&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1) {
    return absl::ErrnoToStatus(errno, "send the pty master");
  }
  return absl::OkStatus();
}

}  // namespace

// Under --config=asan: LeakSanitizer's exit-time check stops the world
// through /proc/self/task, which a process in the container's mount
// namespace (and so its procfs, where it is not) cannot see; it would spin.
extern "C" int __lsan_is_turned_off() { return 1; }

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[0]) == "/proc/self/exe") return Evil();
  std::string request;
  char buf[4096];
  ssize_t n;
  while ((n = read(3, buf, sizeof buf)) > 0) request.append(buf, n);
  close(3);
  auto report = [](const std::string& line) {
    dprintf(4, "%s\n", line.c_str());
    close(4);
  };
  absl::StatusOr<runtime::ExecRequest> r = runtime::DecodeExecRequest(request);
  if (!r.ok()) {
    report("err 125 " + std::string(r.status().message()));
    return 125;
  }
  runtime::ExecOptions options;
  options.stdio = {0, 1, 2, -1};
  options.on_console = [](UniqueFd master) { return SendFd(5, master.get()); };
  absl::StatusOr<runtime::Process> p =
      runtime::Exec(r->target, r->process, std::move(options));
  if (!p.ok()) {
    int code = runtime::ExecFailureExitCode(p.status());
    report("err " + std::to_string(code) + " " +
           std::string(p.status().message()));
    return code;
  }
  report("ok " + std::to_string(p->pid) + " " +
         std::to_string(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0)));
  // The process's output pipes reach EOF when it (not this) is done.
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd) dup2(null, fd);
  close(5);
  absl::StatusOr<int> status = runtime::Wait(*p);
  if (!status.ok()) return 125;
  return WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
}
