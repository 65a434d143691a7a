// `mydocker exec` and the hidden `nsenter-helper` it runs.
//
// exec (this command, in the user's session) finds the running container,
// builds the process as dockerd builds an exec's (its record's Env, User,
// WorkingDir; -e, --env-file, -u, -w, --privileged), resolving the user in
// the container's own /etc/passwd, then starts `mydocker nsenter-helper`
// from a read-only mount of this binary (runtime::SpawnProtected) with:
//   fd 3  the report: one line, "ok <pid>" or "err <exit status> <message>"
//   fd 4  the attach stream (lib/engine/attach.h frames), unless -d
//   fd 5  the request (runtime::EncodeExecRequest), read to EOF
// The helper joins the container (runtime::Exec), reports, relays the
// process's pipes or pty over the stream (exec's end is the same client as
// `run`'s: raw mode, window size, stdin) and sends its exit status.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "applets/applet.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"
#include "lib/container/layout.h"
#include "lib/container/runtime_state.h"
#include "lib/container/store.h"
#include "lib/engine/attach.h"
#include "lib/engine/lifecycle.h"
#include "lib/runtime/capabilities.h"
#include "lib/runtime/exec.h"
#include "lib/runtime/runtime.h"
#include "lib/runtime/self_exec.h"
#include "lib/spec/docker_defaults.h"
#include "lib/spec/env.h"
#include "lib/spec/spec_json.h"
#include "lib/spec/user.h"
#include "lib/tty/tty.h"

namespace mydocker::applets {
namespace {

constexpr int kReportFd = 3;
constexpr int kStreamFd = 4;
constexpr int kRequestFd = 5;

// What an exec failure before the command runs exits with.
constexpr int kExitCannotRun = 126;

struct ExecFlags {
  bool interactive = false;
  bool tty = false;
  bool detach = false;
  bool privileged = false;
  std::vector<std::string> env;
  std::vector<std::string> env_files;
  std::string workdir;
  std::string user;
  std::string detach_keys;
};

std::optional<std::string> EnvValue(const std::vector<std::string>& env,
                                    absl::string_view key) {
  for (const std::string& e : env) {
    if (spec::EnvKey(e) == key && e.size() > key.size()) {
      return e.substr(key.size() + 1);
    }
  }
  return std::nullopt;
}

// -e and --env-file as the CLI sends them: the files' entries, then -e's,
// a bare name taken from this environment.
absl::StatusOr<std::vector<std::string>> UserEnv(const ExecFlags& f) {
  std::vector<std::string> env;
  spec::EnvLookup lookup = spec::ProcessEnvLookup();
  for (const std::string& file : f.env_files) {
    ASSIGN_OR_RETURN(std::vector<std::string> entries,
                     spec::ReadEnvFile(file, lookup));
    env.insert(env.end(), entries.begin(), entries.end());
  }
  for (const std::string& e : f.env) {
    ASSIGN_OR_RETURN(std::string entry, spec::ExpandEnvFlag(e, lookup));
    env.push_back(std::move(entry));
  }
  return env;
}

// The exec's process, as dockerd makes it (daemon/exec.go, v20.10): the
// container's own process (capabilities, rlimits, no_new_privs, umask), with
// the command, dockerd's environment for an exec, the exec's or the
// container's user and working directory, and all capabilities with
// --privileged. `root` is the container's root (runtime::OpenRoot).
absl::StatusOr<spec::Process> BuildProcess(
    const container::Container& c, const spec::Spec& spec, int root,
    const ExecFlags& f, const std::vector<std::string>& user_env,
    std::vector<std::string> command) {
  spec::Process p = spec.process;
  p.args = std::move(command);
  p.terminal = f.tty;
  p.console_size.reset();
  if (f.tty) {
    if (std::optional<tty::Winsize> ws = tty::GetWinsize(STDIN_FILENO)) {
      p.console_size = spec::ConsoleSize{ws->rows, ws->cols};
    }
  }
  p.cwd = !f.workdir.empty()              ? f.workdir
          : !c.config.working_dir.empty() ? c.config.working_dir
                                          : "/";

  // CreateDaemonEnvironment, then the container's Env, then the exec's.
  std::vector<std::string> env = {
      absl::StrCat("PATH=", spec::kDefaultPathEnv),
      absl::StrCat("HOSTNAME=", c.config.hostname)};
  if (f.tty) env.push_back("TERM=xterm");
  env = spec::ReplaceOrAppendEnv(std::move(env),
                                 c.config.env.value_or(std::vector<std::string>{}));
  p.env = spec::ReplaceOrAppendEnv(std::move(env), user_env);

  // The user: -u, else the container's; resolved in the container's own
  // files, with its --group-add groups (oci_linux.go getUser).
  const std::string& user = !f.user.empty() ? f.user : c.config.user;
  std::string home;
  if (!user.empty()) {
    ASSIGN_OR_RETURN(spec::ExecUser u, spec::ResolveUser(root, user));
    ASSIGN_OR_RETURN(std::vector<uint32_t> added,
                     spec::ResolveGroups(
                         root, c.host_config.group_add.value_or(
                                   std::vector<std::string>{})));
    p.user.uid = u.uid;
    p.user.gid = u.gid;
    // The primary group too, as dockerd 20.10.24 (CVE-2023-25173) and run.
    std::vector<uint32_t> gids = {u.gid};
    gids.insert(gids.end(), u.sgids.begin(), u.sgids.end());
    gids.insert(gids.end(), added.begin(), added.end());
    p.user.additional_gids.clear();
    for (uint32_t g : gids) {
      if (std::find(p.user.additional_gids.begin(),
                    p.user.additional_gids.end(),
                    g) == p.user.additional_gids.end()) {
        p.user.additional_gids.push_back(g);
      }
    }
    home = u.home;
  }
  // As runc: HOME from the user's passwd entry unless the environment
  // has one.
  if (!EnvValue(p.env, "HOME")) {
    if (home.empty()) {
      absl::StatusOr<spec::ExecUser> u =
          spec::ResolveUser(root, std::to_string(p.user.uid));
      home = u.ok() ? u->home : "/";
    }
    p.env.push_back(absl::StrCat("HOME=", home));
  }

  if (f.privileged) {
    // Every capability, as dockerd gives; but only those this command's
    // own bounding set still has: a host (or a container mydocker runs in)
    // that dropped some cannot hand them out, and asking for them would
    // fail the exec (as it does dockerd's).
    ASSIGN_OR_RETURN(int last, runtime::LastCapability());
    std::vector<std::string> all;
    for (int cap = 0; cap <= last; ++cap) {
      if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) {
        all.push_back(runtime::CapabilityName(cap));
      }
    }
    p.capabilities.bounding = p.capabilities.effective =
        p.capabilities.permitted = p.capabilities.inheritable = all;
  }
  return p;
}

// An fd holding `data` from its start, for the helper's fd 5.
absl::StatusOr<base::UniqueFd> DataFd(const std::string& data) {
  base::UniqueFd fd(memfd_create("mydocker-exec-request", MFD_CLOEXEC));
  if (!fd) return base::ErrnoStatus(errno, "memfd_create");
  RETURN_IF_ERROR(base::WriteAll(fd.get(), data, "exec request"));
  if (lseek(fd.get(), 0, SEEK_SET) != 0) return base::ErrnoStatus(errno, "lseek");
  return fd;
}

// The helper's report line; an error Status (with the exit status to use)
// for "err", or if the helper died without a word.
absl::StatusOr<pid_t> ReadReport(int fd, int* exit_code) {
  std::string line;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::ErrnoStatus(errno, "read the exec helper's report");
    line.append(buf, n);
  }
  if (!line.empty() && line.back() == '\n') line.pop_back();
  std::vector<std::string> words =
      absl::StrSplit(line, absl::MaxSplits(' ', 2));
  pid_t pid = 0;
  if (words.size() >= 2 && words[0] == "ok" && absl::SimpleAtoi(words[1], &pid)) {
    return pid;
  }
  if (words.size() == 3 && words[0] == "err" &&
      absl::SimpleAtoi(words[1], exit_code)) {
    return absl::UnknownError(words[2]);
  }
  *exit_code = kExitCannotRun;
  return absl::InternalError("the exec helper exited without a report");
}

// Reaps the helper if it exits within `ms` (it does right after its last
// word); one still waiting for a process this command no longer follows
// (its attachment ended by a signal) is left to finish on its own.
void ReapHelper(const runtime::Spawned& helper, int ms) {
  pollfd p = {helper.pidfd.get(), POLLIN, 0};
  while (poll(&p, 1, ms) < 0 && errno == EINTR) {
  }
  siginfo_t info = {};
  waitid(static_cast<idtype_t>(P_PIDFD), helper.pidfd.get(), &info,
         WEXITED | WNOHANG);
}

}  // namespace

int ExecMain(Invocation& inv) {
  ExecFlags f;
  cli::FlagSet& flags = inv.flags();
  flags.set_interspersed(false);  // The command's own options stay its own.
  flags.Bool("i,interactive", &f.interactive, "Keep STDIN open even if not attached");
  flags.Bool("t,tty", &f.tty, "Allocate a pseudo-TTY");
  flags.Bool("d,detach", &f.detach, "Detached mode: run command in the background");
  flags.StringList("e,env", &f.env, "Set environment variables");
  flags.StringList("env-file", &f.env_files, "Read in a file of environment variables");
  flags.String("w,workdir", &f.workdir, "Working directory inside the container");
  flags.String("u,user", &f.user,
               "Username or UID (format: <name|uid>[:<group|gid>])");
  flags.Bool("privileged", &f.privileged, "Give extended privileges to the command");
  flags.String("detach-keys", &f.detach_keys, "Override the key sequence for detaching a container");
  flags.Hide("detach-keys");  // Accepted; detaching from an exec is not.
  std::optional<std::vector<std::string>> args = inv.Parse(2);
  if (!args) return inv.exit_code();
  const std::string ref = (*args)[0];
  std::vector<std::string> command(args->begin() + 1, args->end());
  if (f.detach) f.interactive = f.tty = false;
  if (f.interactive && f.tty && !isatty(STDIN_FILENO)) {
    return inv.Fail(absl::FailedPreconditionError("the input device is not a TTY"));
  }
  absl::StatusOr<std::vector<std::string>> user_env = UserEnv(f);
  if (!user_env.ok()) return inv.Fail(user_env.status());

  // The container, and the process that is its init.
  container::Store store(inv.root(), engine::RuntimeStoreOptions());
  absl::StatusOr<container::Container> c = store.Load(ref);
  if (!c.ok()) return inv.Fail(c.status());
  if (absl::StatusOr<bool> r = store.RefreshState(*c); !r.ok()) {
    return inv.Fail(r.status());
  }
  auto not_running = [&] {
    return inv.Fail(absl::FailedPreconditionError(
        absl::StrCat("Container ", c->id, " is not running")));
  };
  if (!c->state.running) return not_running();
  if (c->state.paused) {
    return inv.Fail(absl::FailedPreconditionError(absl::StrCat(
        "Container ", ref, " is paused, unpause the container before exec")));
  }
  if (c->state.restarting) {
    return inv.Fail(absl::FailedPreconditionError(
        absl::StrCat("Container ", c->id,
                     " is restarting, wait until the container is running")));
  }
  absl::StatusOr<container::RuntimeState> rs =
      container::ReadRuntimeState(inv.root(), c->id);
  if (!rs.ok()) return not_running();
  absl::StatusOr<std::string> config = base::ReadFile(
      absl::StrCat(container::ContainerDir(inv.root(), c->id), "/config.json"),
      spec::kMaxConfigJsonBytes);
  if (!config.ok()) return inv.Fail(config.status());
  absl::StatusOr<spec::Spec> spec = spec::FromJson(*config);
  if (!spec.ok()) return inv.Fail(spec.status());
  runtime::ExecTarget target{static_cast<pid_t>(rs->pid), rs->pid_start_time,
                             spec->linux.cgroups_path};
  absl::StatusOr<base::UniqueFd> root = runtime::OpenRoot(target);
  if (absl::IsNotFound(root.status())) return not_running();
  if (!root.ok()) return inv.Fail(root.status());

  // What fails here (the user is not in the container's passwd, ...) is
  // an exec that cannot start, for dockerd too.
  absl::StatusOr<spec::Process> process = BuildProcess(
      *c, *spec, root->get(), f, *user_env, std::move(command));
  if (!process.ok()) return inv.Fail(process.status(), kExitCannotRun);
  root->reset();

  // The helper.
  absl::StatusOr<base::UniqueFd> request = DataFd(runtime::EncodeExecRequest(
      {target, *std::move(process), f.interactive}));
  if (!request.ok()) return inv.Fail(request.status());
  int report[2], stream[2] = {-1, -1};
  if (pipe2(report, O_CLOEXEC) != 0 ||
      (!f.detach &&
       socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stream) != 0)) {
    return inv.Fail(base::ErrnoStatus(errno, "pipe"));
  }
  base::UniqueFd report_r(report[0]), report_w(report[1]);
  base::UniqueFd stream_mine(stream[0]), stream_theirs(stream[1]);
  absl::StatusOr<runtime::Spawned> helper = runtime::SpawnProtected(
      {"mydocker", "nsenter-helper"},
      {.fds = {-1, -1, -1, report_w.get(), stream_theirs.get(), request->get()}});
  if (!helper.ok()) return inv.Fail(helper.status());
  report_w.reset();
  stream_theirs.reset();
  request->reset();
  int code = kExitFailure;
  absl::StatusOr<pid_t> pid = ReadReport(report_r.get(), &code);
  if (!pid.ok()) {
    ReapHelper(*helper, 1000);
    // dockerd 20.10 says 126 for any exec that cannot start, a command
    // not found (127 from runc) included: its ContainerExecStart's deferred
    // default overrides the status it set first. -d reports it as the
    // daemon error it is there (1).
    if (code == 127) code = kExitCannotRun;
    return inv.Fail(pid.status(), f.detach ? kExitFailure : code);
  }
  if (f.detach) return 0;  // The helper stays, to reap the process.
  // The user's terminal goes raw only when it feeds the process (-it), as
  // docker's: with -t alone a ^C still ends this command. (RunAttachClient
  // then forwards no window size changes either, only the initial size
  // reaches the pty.)
  absl::StatusOr<int> status = engine::RunAttachClient(
      std::move(stream_mine), f.tty && f.interactive, f.interactive,
      /*sig_proxy=*/false);
  ReapHelper(*helper, 1000);
  if (!status.ok()) return inv.Fail(status.status());
  return *status;
}

// ---------------------------------------------------------------------------
// nsenter-helper

namespace {

// The process's side of the attachment: its pty master, or its pipes.
struct Io {
  base::UniqueFd master;
  base::UniqueFd in_w, out_r, err_r;
};

absl::Status SendFrame(int stream, engine::FrameType type,
                       absl::string_view payload) {
  if (stream < 0) return absl::OkStatus();
  return base::WriteAll(stream, engine::EncodeFrame(type, payload), "attach stream");
}

// Relays between the attach stream and the process until it exits and
// everything it wrote is sent. A client that goes away only ends the relay
// (`stream` is reset): the process keeps running, its output discarded.
void Relay(base::UniqueFd& stream, Io& io, const runtime::Process& process) {
  engine::FrameReader frames;
  std::string to_process;
  bool close_stdin = false;
  int in_fd = io.master ? io.master.get() : io.in_w.get();
  if (in_fd >= 0) fcntl(in_fd, F_SETFL, fcntl(in_fd, F_GETFL) | O_NONBLOCK);
  struct Out {
    int fd;
    engine::FrameType type;
  };
  std::vector<Out> outs;
  if (io.master) {
    outs.push_back({io.master.get(), engine::FrameType::kStdout});
  } else {
    outs.push_back({io.out_r.get(), engine::FrameType::kStdout});
    outs.push_back({io.err_r.get(), engine::FrameType::kStderr});
  }
  char buf[32 << 10];
  // Forwards what `o` has; false once it is done (EOF, or EIO for a pty
  // whose last slave closed) or, non-blocking, empty.
  auto pump = [&](Out& o) {
    ssize_t n;
    do {
      n = read(o.fd, buf, sizeof buf);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    if (!SendFrame(stream.get(), o.type, absl::string_view(buf, n)).ok()) {
      stream.reset();
    }
    return true;
  };
  bool exited = false;
  while (!exited) {
    std::vector<pollfd> p;
    p.push_back({process.pidfd.get(), POLLIN, 0});
    p.push_back({stream && to_process.empty() ? stream.get() : -1, POLLIN, 0});
    p.push_back({!to_process.empty() ? in_fd : -1, POLLOUT, 0});
    for (const Out& o : outs) p.push_back({o.fd, POLLIN, 0});
    if (poll(p.data(), p.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    exited = p[0].revents != 0;
    for (size_t i = 0; i < outs.size(); ++i) {
      if (outs[i].fd >= 0 && p[3 + i].revents != 0 && !pump(outs[i])) {
        outs[i].fd = -1;
      }
    }
    if (p[2].revents != 0) {
      ssize_t n = write(in_fd, to_process.data(), to_process.size());
      if (n > 0) {
        to_process.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        to_process.clear();  // It closed its stdin.
      }
    }
    if (p[1].revents != 0) {
      ssize_t n = read(stream.get(), buf, sizeof buf);
      if (n > 0) {
        frames.Append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        stream.reset();  // The client is gone: so is the process's stdin.
        close_stdin = true;
      }
      while (std::optional<engine::Frame> fr = frames.Next()) {
        switch (fr->type) {
          case engine::FrameType::kStdin:
            if (in_fd >= 0 && !close_stdin) to_process += fr->payload;
            break;
          case engine::FrameType::kStdinClose:
            // A terminal has no "close": ^D, as the user would type it.
            if (io.master) {
              to_process += '\x04';
            } else {
              close_stdin = true;
            }
            break;
          case engine::FrameType::kResize:
            if (io.master && fr->payload.size() == 4) {
              auto b = [&](int i) {
                return static_cast<uint8_t>(fr->payload[static_cast<size_t>(i)]);
              };
              (void)tty::SetWinsize(
                  io.master.get(),
                  {static_cast<unsigned short>(b(0) << 8 | b(1)),
                   static_cast<unsigned short>(b(2) << 8 | b(3))});
            }
            break;
          default:
            break;
        }
      }
      if (frames.broken()) stream.reset();
    }
    if (close_stdin && to_process.empty() && io.in_w) {
      io.in_w.reset();
      in_fd = -1;
    }
  }
  // All it wrote before it exited is there: drain without blocking (a
  // non-blocking read of a pty master first flushes what is in flight).
  for (Out& o : outs) {
    if (o.fd < 0) continue;
    fcntl(o.fd, F_SETFL, fcntl(o.fd, F_GETFL) | O_NONBLOCK);
    while (pump(o)) {
    }
  }
}

int ExitStatus(int wait_status) {
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status)
                                : 128 + WTERMSIG(wait_status);
}

}  // namespace

int NsenterHelperMain(Invocation& inv) {
  if (!inv.Parse(0, 0)) return inv.exit_code();
  // Before anything of the container's can look at this process.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // A client that went away must not kill the helper (and with it the
  // process's output pipes). The process's own dispositions are reset.
  signal(SIGPIPE, SIG_IGN);
  base::UniqueFd report(kReportFd);
  base::UniqueFd stream(fcntl(kStreamFd, F_GETFD) >= 0 ? kStreamFd : -1);
  for (int fd : {kReportFd, kStreamFd, kRequestFd}) fcntl(fd, F_SETFD, FD_CLOEXEC);
  auto fail = [&](const absl::Status& s, int code) {
    std::string message = absl::StrReplaceAll(s.message(), {{"\n", " "}});
    dprintf(report.get(), "err %d %s\n", code, message.c_str());
    return code;
  };
  absl::StatusOr<std::string> text = [] () -> absl::StatusOr<std::string> {
    base::UniqueFd fd(kRequestFd);
    std::string out;
    char buf[16 << 10];
    ssize_t n;
    while ((n = read(fd.get(), buf, sizeof buf)) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return base::ErrnoStatus(errno, "read the exec request");
      out.append(buf, n);
      if (out.size() > spec::kMaxConfigJsonBytes) {
        return absl::InvalidArgumentError("exec request too large");
      }
    }
    return out;
  }();
  if (!text.ok()) return fail(text.status(), kExitCannotRun);
  absl::StatusOr<runtime::ExecRequest> request =
      runtime::DecodeExecRequest(*text);
  if (!request.ok()) return fail(request.status(), kExitCannotRun);

  // The process's stdio: a pty (set up by Exec) or pipes, when attached.
  Io io;
  base::UniqueFd in_r, out_w, err_w;
  runtime::ExecOptions options;
  if (stream && !request->process.terminal) {
    int in[2], out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
      return fail(base::ErrnoStatus(errno, "pipe"), kExitCannotRun);
    }
    io.out_r.reset(out[0]);
    out_w.reset(out[1]);
    io.err_r.reset(err[0]);
    err_w.reset(err[1]);
    if (request->attach_stdin) {
      if (pipe2(in, O_CLOEXEC) != 0) {
        return fail(base::ErrnoStatus(errno, "pipe"), kExitCannotRun);
      }
      in_r.reset(in[0]);
      io.in_w.reset(in[1]);
    }
    options.stdio = {in_r.get(), out_w.get(), err_w.get(), -1};
  }
  options.on_console = [&](base::UniqueFd master) {
    io.master = std::move(master);
    return absl::OkStatus();
  };
  absl::StatusOr<runtime::Process> process =
      runtime::Exec(request->target, request->process, std::move(options));
  if (!process.ok()) {
    const int code = runtime::ExecFailureExitCode(process.status());
    const std::string& arg0 = request->process.args[0];
    if (code == 127 && arg0.find('/') == std::string::npos) {
      // What runc says, and so Docker.
      return fail(absl::NotFoundError(absl::StrCat(
                      "exec: \"", arg0, "\": executable file not found in $PATH")),
                  code);
    }
    return fail(process.status(), code);
  }
  dprintf(report.get(), "ok %d\n", process->pid);
  report.reset();
  // Only the process holds its ends now: EOF on the pipes is its own.
  in_r.reset();
  out_w.reset();
  err_w.reset();
  if (stream) Relay(stream, io, *process);
  absl::StatusOr<int> wait_status = runtime::Wait(*process);
  const int code = wait_status.ok() ? ExitStatus(*wait_status) : kExitCannotRun;
  (void)SendFrame(stream.get(), engine::FrameType::kExit,
                  engine::EncodeU32(static_cast<uint32_t>(code)));
  return code;
}

}  // namespace mydocker::applets
