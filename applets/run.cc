// `run`, `create`, `start`, `stop`, `kill`, `wait` and the hidden `monitor`:
// the container lifecycle over lib/engine.
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <optional>
#include <system_error>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "applets/applet.h"
#include "lib/base/file.h"
#include "lib/container/store.h"
#include "lib/engine/attach.h"
#include "lib/engine/container_spec.h"
#include "lib/engine/lifecycle.h"
#include "lib/engine/monitor.h"
#include "lib/engine/networking.h"
#include "lib/engine/run_flags.h"
#include "lib/engine/start.h"
#include "lib/engine/volumes.h"
#include "lib/image/image_service.h"
#include "lib/spec/signal.h"
#include "lib/tty/tty.h"

namespace mydocker::applets {
namespace {

// `run` spawns the container's monitor on a thread while it creates the
// container (start.h PendingMonitor): the monitor's own start (the spawn
// from a protected view of this binary, its exec and loader, the network
// namespace it makes at once) overlaps the create.
struct EarlyMonitor {
  std::thread spawner;
  absl::StatusOr<engine::PendingMonitor> monitor = absl::UnknownError("not spawned");

  ~EarlyMonitor() { Join(); }
  void Start(const std::string& root, const engine::StartOptions& options) {
    try {
      spawner = std::thread([this, root, options] {
        monitor = engine::PendingMonitor::Spawn(root, options);
      });
    } catch (const std::system_error&) {
      // No thread: the monitor is spawned once the container exists.
    }
  }
  void Join() {
    if (spawner.joinable()) spawner.join();
  }
};

// The monitor's options for `c` (or the request for it).
engine::StartOptions MonitorOptionsFor(const container::Config& config,
                                       const container::HostConfig& host,
                                       bool attach) {
  engine::StartOptions o;
  o.attach = attach;
  if (config.tty) o.size = tty::GetWinsize(STDIN_FILENO);
  o.new_netns = engine::HasOwnNetns(host);
  return o;
}

// Parses `run`/`create` and creates the container, starting `early`'s
// work (run) once the request is known good. nullopt after printing the
// error (exit code in `rc`).
std::optional<std::pair<engine::RunRequest, container::Container>> Create(
    Invocation& inv, bool run, int& rc, EarlyMonitor* early = nullptr) {
  engine::RunFlags flags;
  flags.Declare(inv.flags(), run);
  // Docker's syntax stops at the image so the command keeps its options;
  // the original tool's (-image) takes options anywhere.
  // Invocation::Parse applies the FlagSet as configured.
  inv.flags().set_interspersed(engine::UsesImageFlag(inv.raw_args()));
  std::optional<std::vector<std::string>> args = inv.Parse(0);
  if (!args) {
    rc = inv.exit_code();
    return std::nullopt;
  }
  const std::vector<std::string>& raw = inv.raw_args();
  absl::StatusOr<engine::RunRequest> req = flags.Finish(
      *args, spec::ProcessEnvLookup(),
      engine::UsesImageFlag(raw) ? engine::WordsAfterDoubleDash(raw) : 0);
  if (!req.ok()) {
    rc = inv.Fail(req.status(), kExitUsage);
    return std::nullopt;
  }
  if (req->config.tty && req->interactive && !req->detach &&
      !isatty(STDIN_FILENO)) {
    rc = inv.Fail(absl::FailedPreconditionError("the input device is not a TTY"),
                  kExitUsage);
    return std::nullopt;
  }
  image::ImageService images(inv.root());
  absl::StatusOr<digest::Digest> image_id = images.Resolve(req->image);
  if (absl::IsNotFound(image_id.status()) && absl::StrContains(image_id.status().message(), "No such image")) {
    // As docker run: a missing image is pulled.
    absl::Status pulled = PullForRun(inv.root(), req->image);
    if (!pulled.ok()) {
      rc = inv.Fail(pulled, kExitUsage);
      return std::nullopt;
    }
    image_id = images.Resolve(req->image);
  }
  if (!image_id.ok()) {
    rc = inv.Fail(image_id.status(), kExitUsage);
    return std::nullopt;
  }
  // What dockerd refuses at create (a 1k memory limit...) is refused
  // before anything is made.
  if (absl::Status s = engine::VerifyCreate(req->config, req->host_config); !s.ok()) {
    rc = inv.Fail(s, kExitUsage);
    return std::nullopt;
  }
  if (absl::Status s = engine::VerifyNetwork(inv.root(), req->host_config, req->ip);
      !s.ok()) {
    rc = inv.Fail(s, kExitUsage);
    return std::nullopt;
  }
  // The monitor is spawned meanwhile, on the other core.
  if (early != nullptr) {
    early->Start(inv.root(), MonitorOptionsFor(req->config, req->host_config,
                                               /*attach=*/!req->detach));
  }
  if ((req->host_config.network_mode == "host" ||
       req->host_config.network_mode == "none") &&
      req->host_config.port_bindings && !req->host_config.port_bindings->empty()) {
    // As docker: the ports are kept in the record, and have no effect.
    fprintf(stderr, "WARNING: Published ports are discarded when using %s network mode\n",
            req->host_config.network_mode.c_str());
  }
  container::Store store(inv.root(), engine::RuntimeStoreOptions());
  container::CreateRequest create;
  create.ipv4_address = req->ip;
  create.name = req->name;
  create.image_id = *image_id;
  create.config = req->config;
  create.host_config = req->host_config;
  absl::StatusOr<engine::MadeMounts> mounts =
      engine::MakeMountPoints(inv.root(), req->volumes);
  if (!mounts.ok()) {
    rc = inv.Fail(mounts.status(), kExitUsage);
    return std::nullopt;
  }
  create.mount_points = std::move(mounts->mount_points);
  absl::StatusOr<container::Container> c = store.Create(std::move(create));
  if (!c.ok()) {
    for (const std::string& v : mounts->new_volumes) {
      (void)engine::RemoveVolume(inv.root(), v);
    }
    rc = inv.Fail(c.status(), kExitUsage);
    return std::nullopt;
  }
  if (!req->cid_file.empty()) {
    absl::Status s = base::WriteFileAtomic(req->cid_file, c->id, 0644);
    if (!s.ok()) {
      rc = inv.Fail(s, kExitUsage);
      return std::nullopt;
    }
  }
  return std::make_pair(std::move(*req), std::move(*c));
}

// Starts `c` (with the monitor `early` spawned, if any) and, if `attach`,
// stays attached until it exits; returns the exit status for this command.
int StartAndAttach(Invocation& inv, const container::Container& c, bool attach,
                   bool forward_stdin, bool sig_proxy, EarlyMonitor* early = nullptr) {
  absl::StatusOr<engine::Started> started = absl::UnknownError("not started");
  if (early != nullptr) early->Join();
  if (early != nullptr && early->monitor.ok()) {
    started = early->monitor->Start(c.id);
  } else {
    // Spawned now, and what failed early fails again here, reported.
    started = engine::StartContainer(inv.root(), c.id,
                                     MonitorOptionsFor(c.config, c.host_config, attach));
  }
  if (!started.ok()) {
    return inv.Fail(started.status(), engine::ExitCodeOf(started.status(), 125));
  }
  if (!attach) return 0;
  absl::StatusOr<int> status = engine::RunAttachClient(
      std::move(started->stream), c.config.tty, forward_stdin, sig_proxy);
  if (!status.ok()) return inv.Fail(status.status(), 125);
  return *status;
}

}  // namespace

int RunMain(Invocation& inv) {
  int rc = 0;
  EarlyMonitor early;
  auto created = Create(inv, /*run=*/true, rc, &early);
  if (!created) return rc;
  auto& [req, c] = *created;
  if (req.detach) {
    rc = StartAndAttach(inv, c, false, false, false, &early);
    if (rc == 0) printf("%s\n", c.id.c_str());
    return rc;
  }
  return StartAndAttach(inv, c, true, req.interactive, req.sig_proxy, &early);
}

int CreateMain(Invocation& inv) {
  int rc = 0;
  auto created = Create(inv, /*run=*/false, rc);
  if (!created) return rc;
  printf("%s\n", created->second.id.c_str());
  return 0;
}

int StartMain(Invocation& inv) {
  bool attach = false, interactive = false;
  inv.flags().Bool("a,attach", &attach, "Attach STDOUT/STDERR and forward signals");
  inv.flags().Bool("i,interactive", &interactive, "Attach container's STDIN");
  std::optional<std::vector<std::string>> args = inv.Parse(1);
  if (!args) return inv.exit_code();
  if ((attach || interactive) && args->size() > 1) {
    return inv.Fail(absl::InvalidArgumentError(
                        "you cannot start and attach multiple containers at once"),
                    kExitUsage);
  }
  container::Store store(inv.root(), engine::RuntimeStoreOptions());
  int rc = 0;
  for (const std::string& ref : *args) {
    absl::StatusOr<container::Container> c = store.Load(ref);
    if (c.ok()) {
      absl::StatusOr<bool> refreshed = store.RefreshState(*c);
      if (!refreshed.ok()) c = refreshed.status();
    }
    if (!c.ok()) {
      rc = inv.Fail(c.status());
      continue;
    }
    if (c->state.running) {
      // docker start of a running container is a no-op.
      if (!attach) printf("%s\n", ref.c_str());
      continue;
    }
    if (attach || interactive) {
      return StartAndAttach(inv, *c, true, interactive, true);
    }
    int code = StartAndAttach(inv, *c, false, false, false);
    if (code != 0) {
      rc = 1;
      continue;
    }
    printf("%s\n", ref.c_str());
  }
  return rc;
}

int StopMain(Invocation& inv) {
  int64_t seconds = -1;
  inv.flags().Int("t,time", &seconds, "Seconds to wait for stop before killing it");
  std::optional<std::vector<std::string>> args = inv.Parse(1);
  if (!args) return inv.exit_code();
  std::optional<absl::Duration> timeout;
  if (seconds >= 0) timeout = absl::Seconds(seconds);
  container::Store store(inv.root(), engine::RuntimeStoreOptions());
  int rc = 0;
  for (const std::string& ref : *args) {
    absl::Status s = engine::StopContainer(store, ref, timeout);
    if (!s.ok()) {
      rc = inv.Fail(s);
      continue;
    }
    printf("%s\n", ref.c_str());
  }
  return rc;
}

int KillMain(Invocation& inv) {
  std::string signal = "KILL";
  inv.flags().String("s,signal", &signal, "Signal to send to the container");
  std::optional<std::vector<std::string>> args = inv.Parse(1);
  if (!args) return inv.exit_code();
  absl::StatusOr<int> sig = spec::ParseSignal(signal);
  if (!sig.ok()) return inv.Fail(sig.status(), kExitUsage);
  container::Store store(inv.root(), engine::RuntimeStoreOptions());
  int rc = 0;
  for (const std::string& ref : *args) {
    absl::Status s = engine::KillContainer(store, ref, *sig);
    if (!s.ok()) {
      rc = inv.Fail(s);
      continue;
    }
    printf("%s\n", ref.c_str());
  }
  return rc;
}

int WaitMain(Invocation& inv) {
  std::optional<std::vector<std::string>> args = inv.Parse(1);
  if (!args) return inv.exit_code();
  container::Store store(inv.root(), engine::RuntimeStoreOptions());
  int rc = 0;
  for (const std::string& ref : *args) {
    absl::StatusOr<container::Container> c = engine::WaitForExit(store, ref);
    if (!c.ok()) {
      rc = inv.Fail(c.status());
      continue;
    }
    printf("%lld\n", static_cast<long long>(c->state.exit_code));
    fflush(stdout);
  }
  return rc;
}

int MonitorMain(Invocation& inv) {
  engine::MonitorOptions o;
  int64_t report_fd = -1, attach_fd = -1, id_fd = -1;
  std::string size;
  inv.flags().Int("report-fd", &report_fd, "Where the start is reported");
  inv.flags().Int("id-fd", &id_fd, "Where the container's id comes from, if not given");
  inv.flags().Int("attach-fd", &attach_fd, "The attach stream");
  inv.flags().Bool("new-netns", &o.new_netns, "Make the container's network namespace at once");
  inv.flags().String("size", &size, "The terminal size, ROWSxCOLS");
  std::optional<std::vector<std::string>> args = inv.Parse(0, 1);
  if (!args) return inv.exit_code();
  o.root = inv.root();
  if (!args->empty()) o.id = (*args)[0];
  o.report_fd = static_cast<int>(report_fd);
  o.id_fd = static_cast<int>(id_fd);
  o.attach_fd = static_cast<int>(attach_fd);
  // Inherited without FD_CLOEXEC (the spawn put them in place): nothing
  // this process starts later may carry them.
  for (int fd : {o.report_fd, o.id_fd, o.attach_fd}) {
    if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  std::pair<std::string, std::string> rc = absl::StrSplit(size, 'x');
  unsigned rows = 0, cols = 0;
  if (absl::SimpleAtoi(rc.first, &rows) && absl::SimpleAtoi(rc.second, &cols) &&
      rows > 0 && cols > 0 && rows < 65536 && cols < 65536) {
    o.size = tty::Winsize{static_cast<unsigned short>(rows),
                          static_cast<unsigned short>(cols)};
  }
  if (o.report_fd < 0 || (o.id.empty() && o.id_fd < 0)) {
    return inv.Fail(absl::InvalidArgumentError(
                        "monitor is run by mydocker itself (run, start)"),
                    kExitUsage);
  }
  return engine::RunMonitor(o);
}

}  // namespace mydocker::applets
