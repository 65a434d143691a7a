#include "lib/engine/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"
#include "lib/cgroup/cgroup.h"
#include "lib/cgroup/layout.h"
#include "lib/container/ids.h"
#include "lib/container/layout.h"
#include "lib/container/runtime_state.h"
#include "lib/container/rw_layer.h"
#include "lib/container/store.h"
#include "lib/engine/attach.h"
#include "lib/engine/container_spec.h"
#include "lib/engine/lifecycle.h"
#include "lib/engine/networking.h"
#include "lib/engine/volumes.h"
#include "lib/init/embedded.h"
#include "lib/logger/json_log.h"
#include "lib/network/kernel.h"
#include "lib/runtime/runtime.h"
#include "lib/spec/builder.h"
#include "lib/spec/spec_json.h"

namespace mydocker::engine {
namespace {

// Output is read in pieces of this size; a client that does not keep up
// makes the monitor stop reading the container's output once this much is
// queued for it (the container then blocks on a full pipe, as under
// Docker).
constexpr size_t kReadChunk = 32 << 10;
constexpr size_t kClientBacklog = 4 << 20;

int ExitStatusOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

void WriteLine(int fd, const std::string& line) {
  absl::string_view rest = line;
  while (!rest.empty()) {
    ssize_t n = write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    rest.remove_prefix(n);
  }
}

bool HasNewNetworkNamespace(const spec::Spec& s) {
  for (const spec::Namespace& ns : s.linux.namespaces) {
    if (ns.type == "network" && ns.path.empty()) return true;
  }
  return false;
}

// The monitor runs for as long as its container with a small loop, but its
// start touched much of the binary's code (parsing, planning, the store),
// and each page the loop touches later maps its neighbours too (the
// kernel's fault-around, 64 KiB): all counted in every monitor's RSS. So
// the read-only file mappings (code and constant data: ours, libc's, the
// loader's, libnftables') are unmapped from this process a second after
// the start, and again whenever the loop has been idle for a second
// (MADV_DONTNEED: the page cache keeps them, shared, and what the loop
// needs faults back in). An idle monitor's VmRSS is then 0.9-1.1 MB
// instead of 2.8 (1.4 with published ports).
//
// The mappings are read anew each time (what is mapped where can change),
// and one holding any private page is left alone: MADV_DONTNEED would throw
// away what was written there (the relocated pointers of a RELRO segment,
// a breakpoint, a uprobe, a text relocation).
using TextRanges = std::vector<std::pair<uintptr_t, size_t>>;

TextRanges FindText() {
  TextRanges ranges;
  absl::StatusOr<std::string> smaps = base::ReadFile("/proc/self/smaps", 4 << 20);
  if (!smaps.ok()) return ranges;
  bool text = false;
  for (absl::string_view line : absl::StrSplit(*smaps, '\n')) {
    // A mapping's header: "start-end perms offset dev inode path"; then
    // "Name: value" lines, among them "Anonymous: N kB".
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.size() >= 5 && absl::StrContains(f[0], '-') &&
        f[0].find(':') == absl::string_view::npos) {
      std::pair<absl::string_view, absl::string_view> range = absl::StrSplit(f[0], '-');
      uint64_t start = 0, end = 0;
      text = f.size() >= 6 && (f[1] == "r-xp" || f[1] == "r--p") && !f[5].empty() &&
             f[5][0] == '/' &&
             absl::SimpleHexAtoi(range.first, &start) &&
             absl::SimpleHexAtoi(range.second, &end) && end > start;
      if (text) ranges.emplace_back(start, end - start);
    } else if (text && f.size() >= 2 && f[0] == "Anonymous:" && f[1] != "0") {
      ranges.pop_back();  // Written to: not only the file's pages.
      text = false;
    }
  }
  return ranges;
}

// `text` is FindText's, kept by the caller: the drop is the last thing
// done, with no destructor to run after it in the text it dropped.
void DropText(TextRanges& text) {
  text = FindText();
  for (const auto& [start, len] : text) {
    madvise(reinterpret_cast<void*>(start), len, MADV_DONTNEED);
  }
}

// How long the loop waits, idle, before it drops the text again.
constexpr int kIdleDropMs = 1000;

void SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// Work of the start done on a thread of its own while the start goes on
// (in place if no thread can start: a pids limit); Wait() gives its result.
template <typename T>
class Background {
 public:
  Background() = default;
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  ~Background() { Join(); }

  // Once: the work starts, on the thread or here.
  void Start(std::function<T()> work) {
    if (started_) return;
    started_ = true;
    work_ = std::move(work);
    try {
      thread_ = std::thread([this] { result_.emplace(work_()); });
    } catch (const std::system_error&) {
      result_.emplace(work_());
    }
  }
  // The work's result once it is done; nullptr if it was never started.
  T* Wait() {
    Join();
    return result_ ? &*result_ : nullptr;
  }

 private:
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  bool started_ = false;
  std::function<T()> work_;
  std::thread thread_;
  std::optional<T> result_;
};

// The container's cgroup and its fds for the child to be born in it (the
// cgroup exists before the container's process, which is much cheaper
// than moving the process there afterwards): a mkdir and a few writes in
// each hierarchy, about half a millisecond.
struct MadeCgroup {
  cgroup::Cgroup cgroup;
  cgroup::Cgroup::JoinFds join;
};

absl::StatusOr<MadeCgroup> MakeCgroup(const std::string& path,
                                      const spec::RunOptions& run,
                                      const spec::HostFeatures& host) {
  ASSIGN_OR_RETURN(cgroup::Layout layout, cgroup::Detect());
  ASSIGN_OR_RETURN(spec::Resources resources, spec::BuildResources(run, host));
  ASSIGN_OR_RETURN(cgroup::Cgroup cg, cgroup::Cgroup::Create(layout, path, resources));
  absl::StatusOr<cgroup::Cgroup::JoinFds> join = cg.OpenForJoin();
  if (!join.ok()) {
    (void)cg.Destroy();
    return join.status();
  }
  return MadeCgroup{std::move(cg), std::move(*join)};
}

// The container's id, a line on `fd`; nullopt at EOF or for anything but
// a full id.
std::optional<std::string> ReadId(int fd) {
  std::string line;
  char buf[80];
  while (line.size() <= 64 && line.find('\n') == std::string::npos) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    line.append(buf, n);
  }
  std::string id = line.substr(0, line.find('\n'));
  if (line.find('\n') == std::string::npos || !container::IsFullId(id)) {
    return std::nullopt;
  }
  return id;
}

// Everything the running phase needs.
struct Running {
  container::Container c;
  runtime::Process process;
  std::optional<cgroup::Cgroup> cgroup;
  base::UniqueFd pty_master;  // With a tty: output and input.
  base::UniqueFd out, err;    // Without: the output pipes ...
  base::UniqueFd in;          // ... and stdin, if open.
  base::UniqueFd log_fd;
  // With a client attached, the container's network namespace, if it has
  // one of its own: held until the exit is sent, so that the kernel's
  // teardown of the namespace (a few ms of a kworker's time) does not
  // compete with the exit's handling for the CPU. (Detached, the teardown
  // starts with the container's exit, as `stop` and `rm -f` wait for it.)
  base::UniqueFd netns;
};

class Monitor {
 public:
  explicit Monitor(const MonitorOptions& o)
      : o_(o), store_(o.root, RuntimeStoreOptions()), client_(o.attach_fd) {
    if (client_) SetNonBlocking(client_.get());
  }

  int Run();

 private:
  // The start, under the container's lock. On failure the record says why,
  // everything made is undone, and the error carries the exit status for
  // the user (127/126 for the command, 125 otherwise).
  absl::StatusOr<Running> Start();
  void UndoStart(container::Container& c, std::optional<cgroup::Cgroup>& cg,
                 bool mounted, const std::string& message, int exit_code);
  void Loop(Running& r);
  void Finish(Running& r);

  void ToClient(FrameType type, absl::string_view data);
  void FlushClient(bool block);
  void DropClient() {
    client_.reset();
    client_out_.clear();
  }
  void HandleClientFrames(Running& r);
  void Output(Running& r, logger::Stream stream, absl::string_view data);
  // What a monitor gives back once its container runs (its footprint is
  // per container): the start's heap, the first time, and its text.
  void Shrink();

  MonitorOptions o_;
  container::Store store_;
  NetnsPreparer early_netns_;  // MonitorOptions::new_netns.
  base::UniqueFd client_;
  std::string client_out_;
  FrameReader client_in_;
  std::optional<logger::JsonLogWriter> log_;
  std::optional<int> wait_status_;
  TextRanges text_;            // DropText's.
  bool text_resident_ = true;  // Whether the loop ran since the last drop.
  bool trimmed_ = false;       // Whether Shrink has trimmed the heap.
  // When the loop shrinks the first time, busy or not.
  absl::Time first_shrink_ = absl::InfiniteFuture();
  int start_exit_code_ = 125;
};

void Monitor::UndoStart(container::Container& c,
                        std::optional<cgroup::Cgroup>& cg, bool mounted,
                        const std::string& message, int exit_code) {
  if (cg) (void)cg->Destroy();
  if (mounted) (void)store_.UnmountRootfs(c);
  ReleaseNetworks(o_.root, c);
  // dockerd records 127/126 for the command, 128 for any other failure.
  container::SetStartFailed(c, message, exit_code == 125 ? 0 : exit_code);
  (void)store_.SaveStateLocked(c);
}

absl::StatusOr<Running> Monitor::Start() {
  ASSIGN_OR_RETURN(base::FileLock lock, store_.LockContainer(o_.id));
  ASSIGN_OR_RETURN(container::Container c, store_.LoadById(o_.id));
  ASSIGN_OR_RETURN(bool refreshed, store_.RefreshState(c));
  (void)refreshed;
  if (c.state.running) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", c.id, " is already running"));
  }
  if (c.state.removal_in_progress || c.state.dead) {
    return absl::FailedPreconditionError(absl::StrCat(
        "container ", c.id, " is marked for removal and cannot be started"));
  }
  std::optional<cgroup::Cgroup> cg;
  bool mounted = false;
  NetworkPlan plan;
  NetnsPreparer netns;  // After `plan`, which its thread reads.
  // The cgroup is made on a thread while this one writes the container's
  // files and mounts its rootfs. (The mount on a third thread gained
  // nothing: two cores, and all three busy.)
  Background<absl::StatusOr<MadeCgroup>> cgroups;
  Background<absl::Status> spec_written;  // config.json, see below.
  auto fail = [&](const absl::Status& s, int exit_code) -> absl::Status {
    // The threads are done before anything is undone.
    (void)netns.Wait();
    (void)spec_written.Wait();
    if (absl::StatusOr<MadeCgroup>* made = cgroups.Wait(); !cg && made && made->ok()) {
      cg.emplace(std::move((*made)->cgroup));
    }
    start_exit_code_ = exit_code;
    UndoStart(c, cg, mounted, std::string(s.message()), exit_code);
    return s;
  };

  absl::Status s;
  absl::StatusOr<NetworkPlan> planned = PrepareNetworks(o_.root, c);
  if (!planned.ok()) return fail(planned.status(), 125);
  plan = std::move(*planned);
  if (!plan.attachments.empty()) {
    // Recorded before any kernel state exists, so that recovery from a
    // monitor killed from here on knows what to release.
    s = store_.SaveStateLocked(c);
    if (!s.ok()) return fail(s, 125);
  }
  // The network namespace is made and wired meanwhile (veths, addresses,
  // NAT rules): the container joins it ready.
  if (HasOwnNetns(c.host_config)) {
    // The namespace begun while the id was awaited, if it was (the
    // monitor of a `run`), is taken once made, without waiting here.
    netns.Start(o_.root, plan, early_netns_.started() ? &early_netns_ : nullptr);
  }
  absl::StatusOr<spec::HostFeatures> host = spec::DetectHostFeatures();
  if (!host.ok()) return fail(host.status(), 125);
  {
    absl::StatusOr<std::pair<spec::ImageConfig, spec::RunOptions>> inputs =
        BuilderInputs(c);
    if (!inputs.ok()) return fail(inputs.status(), 125);
    cgroups.Start([path = CgroupPath(c.id), run = std::move(inputs->second),
                   host = *host] { return MakeCgroup(path, run, host); });
  }
  s = store_.PrepareFirstStart(c, {.container_ips = plan.ips});
  if (!s.ok()) return fail(s, 125);
  s = RefreshOwnHosts(o_.root, c);
  if (!s.ok()) return fail(s, 125);
  absl::StatusOr<container::RootfsPaths> paths = store_.GetRootfsPaths(c);
  if (!paths.ok()) return fail(paths.status(), 125);
  // A --rm container's upper layer never outlives it: no syncs for it.
  s = container::MountRootfs(*paths, /*volatile_upper=*/c.host_config.auto_remove);
  if (!s.ok()) return fail(s, 125);
  mounted = true;
  std::string init_binary;
  if (c.host_config.init.value_or(false)) {
    absl::StatusOr<std::string> p = init::EnsureInitBinary(o_.root);
    if (!p.ok()) return fail(p.status(), 125);
    init_binary = *p;
  }
  absl::StatusOr<spec::Spec> sp =
      ContainerSpec(c, paths->merged_dir, init_binary, *host);
  if (!sp.ok()) return fail(sp.status(), 125);
  // The spec's record (config.json, the bundle's) is written on a thread
  // while the process starts, from a copy: what follows adds the console
  // size and the namespace's path, which are this start's only.
  spec_written.Start([spec = *sp, path = absl::StrCat(
                                      container::ContainerDir(o_.root, c.id),
                                      "/config.json")] {
    return base::WriteFileAtomic(path, spec::ToJson(spec).dump(2), 0600,
                                 base::Durability::kAtomicOnly);
  });

  Running r;
  runtime::Options options;
  base::UniqueFd console_socket, console_peer, out_w, err_w, in_r;
  if (c.config.tty) {
    // The pty comes from the container's own devpts, as with runc's
    // console socket: inside, `tty` names /dev/pts/0.
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
      return fail(base::ErrnoStatus(errno, "socketpair"), 125);
    }
    console_socket.reset(pair[0]);
    console_peer.reset(pair[1]);
    options.stdio.console_socket = console_peer.get();
    if (o_.size) {
      sp->process.console_size =
          spec::ConsoleSize{o_.size->rows, o_.size->cols};
    }
  } else {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return fail(base::ErrnoStatus(errno, "pipe"), 125);
    r.out.reset(p[0]);
    out_w.reset(p[1]);
    if (pipe2(p, O_CLOEXEC) != 0) return fail(base::ErrnoStatus(errno, "pipe"), 125);
    r.err.reset(p[0]);
    err_w.reset(p[1]);
    options.stdio.out = out_w.get();
    options.stdio.err = err_w.get();
    if (c.config.open_stdin) {
      if (pipe2(p, O_CLOEXEC) != 0) return fail(base::ErrnoStatus(errno, "pipe"), 125);
      in_r.reset(p[0]);
      r.in.reset(p[1]);
      options.stdio.in = in_r.get();
    }
  }
  if (!c.log_path.empty()) {
    r.log_fd.reset(open(c.log_path.c_str(),
                        O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (!r.log_fd) {
      return fail(base::ErrnoStatus(errno, "open the log ", c.log_path), 125);
    }
  }

  absl::StatusOr<MadeCgroup>& made = *cgroups.Wait();  // Started above.
  if (!made.ok()) return fail(made.status(), 125);
  cg.emplace(std::move(made->cgroup));
  const cgroup::Cgroup::JoinFds& join = made->join;
  options.cgroup2_dir = join.cgroup2_dir.get();
  for (const base::UniqueFd& fd : join.v1_tasks) {
    options.cgroup_v1_tasks.push_back(fd.get());
  }
  // Last, to give the namespace's thread all the time there is.
  if (HasNewNetworkNamespace(*sp)) {
    if (!netns.started()) {
      return fail(absl::InternalError("no network namespace was prepared"), 125);
    }
    absl::StatusOr<int> fd = netns.Wait();
    if (!fd.ok()) return fail(fd.status(), 125);
    for (spec::Namespace& ns : sp->linux.namespaces) {
      if (ns.type == "network" && ns.path.empty()) {
        ns.path = absl::StrCat("/proc/self/fd/", *fd);
      }
    }
  }
  // The runtime state (state.json: which processes are the container's)
  // is written while its process sets up its mounts and execs
  // (while_setting_up), off the start's path. The record says "running"
  // only once the process has exec'd: `exec` and `kill` go by it, and must
  // not reach a process still on the host's root.
  bool state_written = false;
  absl::Status recorded;
  auto write_state = [&](pid_t pid) {
    state_written = true;
    absl::StatusOr<container::RuntimeState> rs =
        container::ProbeRuntimeState(getpid(), pid);
    recorded = rs.status();
    if (recorded.ok()) recorded = container::WriteRuntimeState(o_.root, c.id, *rs);
  };
  options.while_setting_up = write_state;
  absl::StatusOr<runtime::Process> process = runtime::Start(*sp, std::move(options));
  if (!process.ok()) {
    if (state_written) (void)container::RemoveRuntimeState(o_.root, c.id);
    int code = 125;
    if (std::optional<runtime::StartFailure> f =
            runtime::GetStartFailure(process.status());
        f && f->step == runtime::Step::kExec) {
      code = f->err == ENOENT ? 127 : 126;
    }
    return fail(process.status(), code);
  }
  r.process = std::move(*process);
  auto kill_and_fail = [&](const absl::Status& why) {
    (void)runtime::Signal(r.process, SIGKILL);
    int ws;
    while (waitpid(r.process.pid, &ws, 0) < 0 && errno == EINTR) {
    }
    (void)container::RemoveRuntimeState(o_.root, c.id);
    return fail(why, 125);
  };
  if (!state_written) write_state(r.process.pid);  // Start always calls it; in case.
  if (!recorded.ok()) return kill_and_fail(recorded);
  if (console_socket) {
    absl::StatusOr<base::UniqueFd> master = runtime::ReceiveConsole(console_socket.get());
    if (!master.ok()) return kill_and_fail(master.status());
    r.pty_master = std::move(*master);
  }
  if (absl::Status* written = spec_written.Wait(); written && !written->ok()) {
    return kill_and_fail(*written);
  }
  container::SetRunning(c, r.process.pid, absl::Now());
  if (absl::Status saved = store_.SaveStateLocked(c); !saved.ok()) {
    return kill_and_fail(saved);
  }
  // An attached `run` waits for the exit: see Running::netns.
  if (client_) r.netns = netns.Take();
  r.c = std::move(c);
  r.cgroup = std::move(cg);
  return r;
}

void Monitor::Shrink() {
  if (!trimmed_) {
    // The start's parsing and planning is done for good.
    malloc_trim(0);
    trimmed_ = true;
  }
  DropText(text_);
  text_resident_ = false;
}

void Monitor::ToClient(FrameType type, absl::string_view data) {
  if (!client_) return;
  client_out_ += EncodeFrame(type, data);
  FlushClient(/*block=*/false);
}

void Monitor::FlushClient(bool block) {
  while (client_ && !client_out_.empty()) {
    ssize_t n = write(client_.get(), client_out_.data(), client_out_.size());
    if (n > 0) {
      client_out_.erase(0, n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!block) return;
      pollfd p{client_.get(), POLLOUT, 0};
      if (poll(&p, 1, 5000) <= 0) {
        DropClient();
        return;
      }
      continue;
    }
    DropClient();  // The client went away.
  }
}

void Monitor::Output(Running& r, logger::Stream stream, absl::string_view data) {
  (void)r;
  if (log_) (void)log_->Write(stream, data);
  ToClient(stream == logger::Stream::kStdout ? FrameType::kStdout
                                             : FrameType::kStderr,
           data);
}

void Monitor::HandleClientFrames(Running& r) {
  while (std::optional<Frame> f = client_in_.Next()) {
    switch (f->type) {
      case FrameType::kStdin: {
        int fd = r.pty_master ? r.pty_master.get() : r.in.get();
        if (fd < 0) break;
        absl::string_view rest = f->payload;
        while (!rest.empty()) {
          ssize_t n = write(fd, rest.data(), rest.size());
          if (n > 0) {
            rest.remove_prefix(n);
          } else if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            pollfd p{fd, POLLOUT, 0};
            poll(&p, 1, 100);
          } else {
            break;
          }
        }
        break;
      }
      case FrameType::kStdinClose:
        if (r.pty_master) {
          // A terminal has no "close": send it the EOF character, as a user
          // typing ^D would (only meaningful in canonical mode).
          (void)!write(r.pty_master.get(), "\x04", 1);
        } else {
          r.in.reset();
        }
        break;
      case FrameType::kResize:
        if (r.pty_master && f->payload.size() == 4) {
          auto b = [&](int i) { return static_cast<uint8_t>(f->payload[i]); };
          (void)tty::SetWinsize(r.pty_master.get(),
                                {static_cast<unsigned short>(b(0) << 8 | b(1)),
                                 static_cast<unsigned short>(b(2) << 8 | b(3))});
        }
        break;
      case FrameType::kSignal: {
        uint32_t sig = DecodeU32(f->payload);
        if (sig > 0 && sig < 65) (void)runtime::Signal(r.process, static_cast<int>(sig));
        break;
      }
      default:
        break;
    }
  }
  if (client_in_.broken()) DropClient();
}

void Monitor::Loop(Running& r) {
  // Orphans of the container's processes that are not in its pid
  // namespace (none, normally) come to the monitor as subreaper; SIGCHLD
  // arrives on a signalfd and every child is reaped, the init's status kept.
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  base::UniqueFd sigfd(signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  for (int fd : {r.pty_master.get(), r.out.get(), r.err.get()}) {
    if (fd >= 0) SetNonBlocking(fd);
  }
  auto reap = [&] {
    int ws;
    pid_t p;
    while ((p = waitpid(-1, &ws, WNOHANG)) > 0) {
      if (p == r.process.pid) wait_status_ = ws;
    }
  };
  reap();
  char buf[kReadChunk];
  // Output fds still open: [0] pty or stdout, [1] stderr.
  int outs[2] = {r.pty_master ? r.pty_master.get() : r.out.get(),
                 r.pty_master ? -1 : r.err.get()};
  absl::Time drain_deadline = absl::InfiniteFuture();
  while (true) {
    if (wait_status_ && drain_deadline == absl::InfiniteFuture()) {
      // The init is gone, so is its pid namespace; what it and its
      // children wrote is still in the pipes. Give the last writers a
      // moment to be torn down.
      drain_deadline = absl::Now() + absl::Seconds(2);
    }
    if (wait_status_ && (outs[0] < 0 && outs[1] < 0)) break;
    if (absl::Now() > drain_deadline) break;
    bool backlog = client_out_.size() > kClientBacklog;
    pollfd fds[5] = {
        {sigfd.get(), POLLIN, 0},
        {backlog ? -1 : outs[0], POLLIN, 0},
        {backlog ? -1 : outs[1], POLLIN, 0},
        {client_.get(), static_cast<short>(POLLIN | (client_out_.empty() ? 0 : POLLOUT)), 0},
        {-1, 0, 0},
    };
    // The first shrink comes a second after the start, busy or not; then
    // after each idle second.
    int timeout = -1;
    if (wait_status_) {
      timeout = 100;
    } else if (!trimmed_) {
      timeout = static_cast<int>(std::max<int64_t>(
          0, absl::ToInt64Milliseconds(first_shrink_ - absl::Now()) + 1));
    } else if (text_resident_) {
      timeout = kIdleDropMs;
    }
    int n = poll(fds, 4, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (!wait_status_ &&
        (trimmed_ ? n == 0 && text_resident_ : absl::Now() >= first_shrink_)) {
      Shrink();
      if (n == 0) continue;
    }
    if (n > 0) text_resident_ = true;
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si;
      while (read(sigfd.get(), &si, sizeof(si)) == sizeof(si)) {
      }
      reap();
    }
    for (int i = 0; i < 2; ++i) {
      if (outs[i] < 0 || !(fds[1 + i].revents & (POLLIN | POLLHUP | POLLERR))) {
        continue;
      }
      ssize_t got = read(outs[i], buf, sizeof(buf));
      if (got > 0) {
        Output(r, i == 0 ? logger::Stream::kStdout : logger::Stream::kStderr,
               absl::string_view(buf, got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        // EOF, or EIO from a pty master whose slave side is all closed.
        if (log_) {
          (void)log_->Flush(i == 0 ? logger::Stream::kStdout
                                   : logger::Stream::kStderr);
        }
        outs[i] = -1;
      }
    }
    if (client_ && (fds[3].revents & POLLOUT)) FlushClient(false);
    if (client_ && (fds[3].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = read(client_.get(), buf, sizeof(buf));
      if (got > 0) {
        client_in_.Append(buf, got);
        HandleClientFrames(r);
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        DropClient();
      }
    }
    if (!wait_status_) reap();
  }
  if (!wait_status_) {
    // Output ended first only if the deadline passed; wait for the init.
    int ws;
    while (waitpid(r.process.pid, &ws, 0) < 0 && errno == EINTR) {
    }
    wait_status_ = ws;
  }
}

void Monitor::Finish(Running& r) {
  if (log_) (void)log_->Close();
  int exit_status = ExitStatusOf(*wait_status_);
  bool oom = false;
  // The cgroup goes on a thread (rmdir in each hierarchy, a quarter of a
  // millisecond) while this one unmounts and deregisters the container;
  // both are done before `run` gets its answer.
  Background<absl::Status> cgroup_removed;
  if (r.cgroup) {
    absl::StatusOr<bool> o = r.cgroup->OomKilled();
    oom = o.ok() && *o;
    cgroup_removed.Start([&cg = *r.cgroup] { return cg.Destroy(); });
  }
  r.pty_master.reset();
  r.in.reset();
  (void)store_.UnmountRootfs(r.c);
  bool auto_remove = false;
  // A --rm container leaves the store's view before `run` gets its answer,
  // but its files are deleted after (Store::RemoveExitedLocked): 2 ms of
  // unlinks off every `run --rm`. The container's lock is held until then.
  std::optional<base::FileLock> removing;
  std::vector<std::string> anonymous_volumes;
  std::vector<std::string> veths;
  {
    absl::StatusOr<base::FileLock> lock = store_.LockContainer(o_.id);
    if (lock.ok()) {
      absl::StatusOr<container::Container> c = store_.LoadById(o_.id);
      if (c.ok()) {
        // From the record on disk: `network connect` may have changed it.
        for (const auto& [name, es] : c->network_settings.networks) {
          if (!es.endpoint_id.empty()) veths.push_back(network::HostIfname(es.endpoint_id));
        }
        ReleaseNetworks(o_.root, *c, /*netns_gone=*/true);
        container::SetStopped(*c, exit_status, oom, absl::Now());
        auto_remove = c->host_config.auto_remove;
        anonymous_volumes = AnonymousVolumes(*c);
        if (auto_remove && store_.RemoveExitedLocked(*c).ok()) {
          removing = *std::move(lock);
        } else {
          (void)store_.SaveStateLocked(*c);
        }
      }
      if (!removing) (void)container::RemoveRuntimeState(o_.root, o_.id);
    }
  }
  if (auto_remove && !removing) {
    // The whole removal at once, as `rm` does it. NotFound: `rm -f` got
    // there first.
    if (!store_.Remove(o_.id).ok()) anonymous_volumes.clear();
  }
  // As dockerd's autoremove: with the container's anonymous volumes, gone
  // by the time `run --rm` returns.
  if (auto_remove) {
    for (const std::string& v : anonymous_volumes) (void)RemoveVolume(o_.root, v);
  }
  (void)cgroup_removed.Wait();
  ToClient(FrameType::kExit, EncodeU32(static_cast<uint32_t>(exit_status)));
  r.netns.reset();
  FlushClient(/*block=*/true);
  DropClient();
  if (removing) {
    (void)store_.FinishRemoval(o_.id);
    removing.reset();
  }
  // The kernel deletes the veths with the container's network namespace,
  // in the background. `run` has its answer; `stop` and `rm -f`, which wait
  // for this process to end, find them gone.
  (void)network::WaitForLinksGone(veths, absl::Seconds(2));
}

int Monitor::Run() {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, nullptr);

  if (o_.new_netns) early_netns_.StartBare();
  if (o_.id.empty()) {
    // Spawned ahead of its container: its id comes once `run` has made it.
    std::optional<std::string> id = ReadId(o_.id_fd);
    close(o_.id_fd);
    if (!id) return 0;  // No container after all.
    o_.id = *std::move(id);
  }
  absl::StatusOr<Running> r = Start();
  if (!r.ok()) {
    std::string message(r.status().message());
    absl::StrReplaceAll({{"\n", " "}}, &message);
    WriteLine(o_.report_fd, absl::StrCat("err ", start_exit_code_, " ", message, "\n"));
    close(o_.report_fd);
    // --rm applies to a container that failed to start too.
    absl::StatusOr<container::Container> c = store_.LoadById(o_.id);
    if (c.ok() && c->host_config.auto_remove && !c->state.running) {
      (void)store_.Remove(o_.id);
    }
    return 1;
  }
  WriteLine(o_.report_fd, absl::StrCat("ok ", r->process.pid, "\n"));
  close(o_.report_fd);
  if (r->log_fd) log_.emplace(r->log_fd.get());
  // The start's heap and text are given back a second from now (Shrink),
  // not here: a short-lived container's exit would wait for that work.
  first_shrink_ = absl::Now() + absl::Milliseconds(kIdleDropMs);
  Loop(*r);
  Finish(*r);
  return 0;
}

}  // namespace

int RunMonitor(const MonitorOptions& options) {
  // One malloc arena: the start's threads (the network namespace's, which
  // runs libnftables for published ports) would otherwise each leave an
  // arena of their own behind, 0.85 MB that malloc_trim does not give back
  // and the monitor would carry for as long as its container runs.
  mallopt(M_ARENA_MAX, 1);
  Monitor m(options);
  return m.Run();
}

}  // namespace mydocker::engine
