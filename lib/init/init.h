// The container's minimal init (`mydocker run --init`, Docker's docker-init,
// i.e. tini's default mode): it runs one command as its child and stays PID 1
// so that the command is not PID 1 itself. As PID 1 it
//  - reaps every zombie, the command's and those of orphans the kernel
//    reparents to it (it also makes itself a child subreaper, so the same
//    holds outside a PID namespace, e.g. in tests);
//  - forwards every catchable signal it receives except SIGCHLD to the
//    command (a PID 1 without handlers would drop SIGTERM from inside the
//    namespace, and `docker stop` expects the command to get it);
//  - exits with the command's status: its exit code, or 128+N if signal N
//    killed it.
// The command runs in a process group of its own and, when stdin is a
// terminal, in the terminal's foreground group, so ^C reaches it.
//
// The same source builds into the `init` applet of the mydocker binary and,
// statically and without libstdc++ or Abseil, into lib/init:docker-init, the
// file bind-mounted at /sbin/docker-init in containers whose root filesystem
// has none of our libraries. So this file uses libc only: no exceptions, no
// allocation, no std::.
//
//   int main(int argc, char** argv) { return RunInit(argc - 1, argv + 1); }
//   // docker-init -- sh -c 'trap "exit 0" TERM; sleep 100 & wait'
#ifndef MYDOCKER_LIB_INIT_INIT_H_
#define MYDOCKER_LIB_INIT_INIT_H_

namespace mydocker::init {

// Exit codes of the init itself, as a shell reports a command it cannot run.
inline constexpr int kExitInitFailure = 1;   // Usage error, fork failed, ...
inline constexpr int kExitCannotExec = 126;  // The command is not executable.
inline constexpr int kExitNotFound = 127;    // The command does not exist.

// Runs `[--] COMMAND [ARG...]` as above and returns the status to exit with.
// `argv` holds the arguments after the program name (argv[argc] must be
// nullptr, as main's is): one leading "--" is skipped, everything after it
// is the command, looked up in PATH like a shell does (execvp). No other
// option is recognised: without "--", a COMMAND starting with '-' is run
// as is.
//
// Errors go to stderr as one line prefixed "docker-init: " and are mapped to
// exit codes: no command -> 1; "docker-init: exec CMD: <strerror>" -> 127
// for ENOENT, 126 otherwise. Changes process-wide state (the signal mask,
// SIGCHLD's disposition, the subreaper flag): call it as the last thing a
// process does.
int RunInit(int argc, char** argv);

}  // namespace mydocker::init

#endif  // MYDOCKER_LIB_INIT_INIT_H_
