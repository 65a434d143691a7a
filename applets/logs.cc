// `mydocker logs [OPTIONS] CONTAINER`: a container's json-file log as
// `docker logs` prints it, read by lib/logger (json_log_reader.h for what is
// read and followed, log_printer.h for how it is printed, time_spec.h for
// --since/--until).
#include <unistd.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "applets/applet.h"
#include "lib/base/log.h"
#include "lib/base/status_macros.h"
#include "lib/container/layout.h"
#include "lib/container/store.h"
#include "lib/engine/lifecycle.h"
#include "lib/logger/json_log_reader.h"
#include "lib/logger/log_printer.h"
#include "lib/logger/time_spec.h"

namespace mydocker::applets {
namespace {

struct LogsOptions {
  bool follow = false;
  bool timestamps = false;
  bool details = false;
  std::string since;
  std::string until;
  std::string tail = "all";
};

absl::Status ShowLogs(const std::string& root, const std::string& ref,
                      const LogsOptions& opts) {
  container::Store store(root, engine::RuntimeStoreOptions());
  ASSIGN_OR_RETURN(container::Container c, store.Load(ref));
  // A record left "running" by a dead monitor is not followed forever.
  RETURN_IF_ERROR(store.RefreshState(c).status());

  // In the order docker's CLI and dockerd check them.
  absl::Time now = absl::Now();
  logger::ReadOptions read;
  ASSIGN_OR_RETURN(read.since, logger::ParseSince(opts.since, now));
  ASSIGN_OR_RETURN(read.until, logger::ParseUntil(opts.until, now));
  if (c.state.removal_in_progress || c.state.dead) {
    return absl::FailedPreconditionError(
        "can not get logs from container which is dead or marked for removal");
  }
  const std::string& driver = c.host_config.log_config.type;
  if (!driver.empty() && driver != "json-file") {
    return absl::FailedPreconditionError(
        "configured logging driver does not support reading");
  }
  read.tail = logger::ParseTail(opts.tail);
  read.attrs = opts.details;

  // dockerd reads <id>-json.log of the container's directory; LogPath says
  // the same once the container has started.
  std::string path = c.log_path.empty()
                         ? absl::StrCat(container::ContainerDir(root, c.id), "/",
                                        c.id, "-json.log")
                         : c.log_path;
  ASSIGN_OR_RETURN(logger::JsonLogReader log, logger::JsonLogReader::Open(path, read));
  // A tty container's log is one stream, which the CLI copies to stdout.
  logger::LogPrinter out(STDOUT_FILENO, c.config.tty ? STDOUT_FILENO : STDERR_FILENO,
                         {.timestamps = opts.timestamps, .details = opts.details});
  RETURN_IF_ERROR(log.ReadAll(out));

  // dockerd follows only a running container, and stops when it stops: a
  // restart (a new StartedAt) ends it too, as the log driver is closed then.
  if (opts.follow && c.state.running) {
    const absl::Time started = c.state.started_at;
    RETURN_IF_ERROR(log.Follow(out, [&]() -> absl::StatusOr<bool> {
      absl::StatusOr<container::Container> now = store.LoadById(c.id);
      if (absl::IsNotFound(now.status())) return false;  // Removed.
      if (!now.ok()) return now.status();
      RETURN_IF_ERROR(store.RefreshState(*now).status());
      return now->state.running && now->state.started_at == started;
    }));
  }
  // dockerd logs this in its own log; we are our own daemon.
  if (log.damaged_lines() > 0) {
    base::LogWarn("%s: skipped %d damaged lines", path, log.damaged_lines());
  }
  return absl::OkStatus();
}

}  // namespace

int LogsMain(Invocation& inv) {
  LogsOptions opts;
  inv.flags().Bool("f,follow", &opts.follow, "Follow log output");
  inv.flags().String("since", &opts.since,
                     "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or "
                     "relative (e.g. 42m for 42 minutes)");
  inv.flags().String("until", &opts.until,
                     "Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or "
                     "relative (e.g. 42m for 42 minutes)");
  inv.flags().Bool("t,timestamps", &opts.timestamps, "Show timestamps");
  inv.flags().Bool("details", &opts.details, "Show extra details provided to logs");
  inv.flags().String("n,tail", &opts.tail,
                     "Number of lines to show from the end of the logs (default \"all\")");
  std::optional<std::vector<std::string>> args = inv.Parse(1, 1);
  if (!args) return inv.exit_code();
  absl::Status s = ShowLogs(inv.root(), (*args)[0], opts);
  if (!s.ok()) return inv.Fail(s);
  return 0;
}

}  // namespace mydocker::applets
