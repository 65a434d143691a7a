#include "lib/init/init.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mydocker::init {
namespace {

// Signals the kernel raises for a fault of the init's own (and abort()'s
// SIGABRT). Blocking them would change nothing, since the kernel unblocks a
// fault signal to deliver it, so they stay out of the set the init waits
// for and keep killing it as they should.
constexpr int kFaultSignals[] = {SIGABRT, SIGBUS, SIGFPE, SIGILL,
                                 SIGSEGV, SIGSYS, SIGTRAP};

// Writes "docker-init: " and the non-null parts as one line to stderr, with
// one write(2) so that it does not interleave with the command's output.
// Child-safe (no allocation, no stdio): the forked child uses it too. Long
// lines are cut.
void PrintError(const char* a, const char* b = nullptr, const char* c = nullptr,
                const char* d = nullptr) {
  char line[1024];
  size_t n = 0;
  const char* const parts[] = {"docker-init: ", a, b, c, d};
  for (const char* part : parts) {
    for (; part != nullptr && *part != '\0' && n < sizeof line - 1; ++part) {
      line[n++] = *part;
    }
  }
  line[n++] = '\n';
  while (write(STDERR_FILENO, line, n) < 0 && errno == EINTR) {
  }
}

// The forked child, up to execvp. Child-safe.
[[noreturn]] void ExecCommand(char** argv, const sigset_t& original_mask,
                              bool take_terminal) {
  // A process group of its own: a shell running as the command can do job
  // control, and the terminal's ^C and ^Z go to the command's group, not
  // to the init (which would only forward them again).
  setpgid(0, 0);
  // Done here rather than in the parent so the command owns the terminal
  // before it runs. tcsetpgrp from what is now a background group would
  // raise SIGTTOU, but every signal is still blocked, which the kernel
  // accepts as consent. Best effort: a failure costs job control only.
  if (take_terminal) tcsetpgrp(STDIN_FILENO, getpgrp());
  // Blocked signals survive execve; the command gets the mask the init got.
  sigprocmask(SIG_SETMASK, &original_mask, nullptr);
  execvp(argv[0], argv);
  const int err = errno;
  PrintError("exec ", argv[0], ": ", strerror(err));
  _exit(err == ENOENT ? kExitNotFound : kExitCannotExec);
}

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return kExitInitFailure;  // Stopped or continued: not asked for.
}

}  // namespace

int RunInit(int argc, char** argv) {
  if (argc > 0 && strcmp(argv[0], "--") == 0) {
    ++argv;
    --argc;
  }
  if (argc <= 0 || argv[0] == nullptr) {
    PrintError("usage: docker-init [--] COMMAND [ARG...]");
    return kExitInitFailure;
  }

  // Orphans go to the nearest subreaper ancestor, else to PID 1. As PID 1
  // this changes nothing; anywhere else (tests, an init under another
  // process) it makes us reap the command's orphans all the same. It cannot
  // fail on a kernel we run on (>= 3.4), and if it did, PID 1 would not mind.
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  // An inherited SIGCHLD set to SIG_IGN (or SA_NOCLDWAIT) makes the kernel
  // reap children by itself and waitpid fail with ECHILD: the command's
  // status would be lost. SIG_DFL still queues SIGCHLD while it is blocked.
  struct sigaction default_action = {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  sigaction(SIGCHLD, &default_action, nullptr);

  // Blocked before the fork, so that a signal sent as soon as the command
  // exists is queued for sigwaitinfo rather than acted on (for PID 1 in its
  // namespace, a default action is simply dropped).
  sigset_t waited;
  sigfillset(&waited);
  for (int sig : kFaultSignals) sigdelset(&waited, sig);
  sigset_t original_mask;
  if (sigprocmask(SIG_SETMASK, &waited, &original_mask) < 0) {
    PrintError("sigprocmask: ", strerror(errno));
    return kExitInitFailure;
  }

  // Hand the terminal on only if it is ours to give: a foreground init
  // (a container's, whose session owns the tty) gives it to the command; an
  // init started in the background of someone's shell must not take it.
  const bool take_terminal = tcgetpgrp(STDIN_FILENO) == getpgrp();

  const pid_t child = fork();
  if (child < 0) {
    PrintError("fork: ", strerror(errno));
    return kExitInitFailure;
  }
  if (child == 0) ExecCommand(argv, original_mask, take_terminal);

  for (;;) {
    siginfo_t info;
    const int sig = sigwaitinfo(&waited, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;  // Only a stop/continue can cause it.
      PrintError("sigwaitinfo: ", strerror(errno));
      return kExitInitFailure;
    }
    if (sig != SIGCHLD) {
      // Safe by pid: the command is not reaped before we return, so its pid
      // cannot have been reused. A zombie takes the signal without effect.
      kill(child, sig);
      continue;
    }
    // SIGCHLD is a standard signal: several exits queue as one, so reap
    // until nothing is left to reap. An exit after the last waitpid raises
    // a new SIGCHLD, which stays pending for the next sigwaitinfo.
    int exit_code = -1;
    for (;;) {
      int wait_status;
      // __WALL: a reparented child that was cloned with an exit signal other
      // than SIGCHLD is reaped too.
      const pid_t pid = waitpid(-1, &wait_status, WNOHANG | __WALL);
      if (pid <= 0) break;  // 0: none has exited; -1 (ECHILD): none left.
      if (pid == child) exit_code = ExitCodeOf(wait_status);
    }
    // Whatever still runs is killed with us when PID 1 exits in a PID
    // namespace, or is reparented further up outside one.
    if (exit_code >= 0) return exit_code;
  }
}

}  // namespace mydocker::init
