#include "applets/applet.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "lib/base/log.h"
#include "lib/base/status_macros.h"

namespace mydocker::applets {
namespace {

// Sorted by name: FindApplet binary-searches it, and a test checks the order.
constexpr std::array kApplets = {
    Applet{"create", "[OPTIONS] IMAGE [COMMAND] [ARG...]",
           "Create a new container", CreateMain},
    Applet{"exec", "[OPTIONS] CONTAINER COMMAND [ARG...]",
           "Run a command in a running container", ExecMain},
    Applet{"help", "[APPLET]", "Show help for mydocker or one of its applets",
           HelpMain},
    Applet{"images", "[OPTIONS] [REPOSITORY[:TAG]]", "List images", ImagesMain},
    Applet{"init", "[--] COMMAND [ARG...]",
           "Minimal init for containers: reap zombies, forward signals",
           InitMain, /*hidden=*/true},
    Applet{"inspect", "NAME|ID [NAME|ID...]",
           "Display detailed information on containers or images", InspectMain},
    Applet{"kill", "[OPTIONS] CONTAINER [CONTAINER...]",
           "Kill one or more running containers", KillMain},
    Applet{"login", "[OPTIONS] [SERVER]", "Log in to a registry", LoginMain},
    Applet{"logout", "[SERVER]", "Log out from a registry", LogoutMain},
    Applet{"logs", "[OPTIONS] CONTAINER", "Fetch the logs of a container",
           LogsMain},
    Applet{"monitor", "[CONTAINER]",
           "(internal) Start a container and stay its parent", MonitorMain,
           /*hidden=*/true},
    Applet{"network", "COMMAND",
           "Manage networks (create, ls, rm, inspect, connect, disconnect, prune)",
           NetworkMain},
    Applet{"nsenter-helper", "",
           "(internal) Enter a running container for exec", NsenterHelperMain,
           /*hidden=*/true},
    Applet{"ps", "[OPTIONS]", "List containers", PsMain},
    Applet{"pull", "[OPTIONS] NAME[:TAG|@DIGEST]",
           "Download an image from a registry", PullMain},
    Applet{"rm", "[OPTIONS] CONTAINER [CONTAINER...]",
           "Remove one or more containers", RmMain},
    Applet{"rmi", "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images",
           RmiMain},
    Applet{"run", "[OPTIONS] IMAGE [COMMAND] [ARG...]",
           "Run a command in a new container", RunMain},
    Applet{"start", "[OPTIONS] CONTAINER [CONTAINER...]",
           "Start one or more stopped containers", StartMain},
    Applet{"stop", "[OPTIONS] CONTAINER [CONTAINER...]",
           "Stop one or more running containers", StopMain},
    Applet{"tag", "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
           "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", TagMain},
    Applet{"version", "[OPTIONS]", "Show the mydocker version information",
           VersionMain},
    Applet{"wait", "CONTAINER [CONTAINER...]",
           "Block until one or more containers stop, then print their exit codes",
           WaitMain},
};

static_assert(std::is_sorted(kApplets.begin(), kApplets.end(),
                             [](const Applet& a, const Applet& b) {
                               return a.name < b.name;
                             }),
              "kApplets must stay sorted by name");

}  // namespace

absl::Span<const Applet> AllApplets() { return kApplets; }

const Applet* FindApplet(absl::string_view name) {
  auto it = std::lower_bound(
      kApplets.begin(), kApplets.end(), name,
      [](const Applet& a, absl::string_view n) { return a.name < n; });
  return it != kApplets.end() && it->name == name ? &*it : nullptr;
}

GlobalOptions GlobalOptions::FromEnvironment() {
  GlobalOptions g;
  const char* env = getenv("MYDOCKER_ROOT");
  g.root = env != nullptr && *env != '\0' ? env : std::string(kDefaultRoot);
  return g;
}

void GlobalOptions::Declare(cli::FlagSet& flags) {
  flags.String("root", &root,
               "Root of the mydocker data (default /var/lib/mydocker, "
               "or $MYDOCKER_ROOT)",
               "dir");
  flags.String("l,log-level", &log_level,
               "Log level: debug, info, warn or error", "level");
  flags.Bool("D,debug", &debug, "Enable debug output");
}

absl::Status GlobalOptions::Apply() {
  if (root.empty()) {
    return absl::InvalidArgumentError("--root: empty data root");
  }
  if (root[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == nullptr) {
      return absl::FailedPreconditionError(
          "--root: relative path and the working directory is unknown");
    }
    root = absl::StrCat(cwd, "/", root);
  }
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  base::LogLevel level = base::LogLevel::kWarn;
  if (!log_level.empty()) {
    ASSIGN_OR_RETURN(level, base::ParseLogLevel(log_level));
  }
  if (debug) level = base::LogLevel::kDebug;
  base::SetLogLevel(level);
  return absl::OkStatus();
}

Invocation::Invocation(const Applet& applet, std::vector<std::string> args,
                       GlobalOptions globals)
    : applet_(applet),
      args_(std::move(args)),
      globals_(std::move(globals)),
      flags_(std::string(applet.name)) {
  globals_.Declare(flags_);
  for (absl::string_view hidden : {"root", "log-level", "debug"}) {
    flags_.Hide(hidden);  // Listed once, in `mydocker --help`.
  }
  flags_.Bool("h,help", &help_, "Print usage");
}

std::optional<std::vector<std::string>> Invocation::Parse(size_t min_args,
                                                          size_t max_args) {
  absl::StatusOr<std::vector<std::string>> positional = flags_.Parse(args_);
  if (positional.ok() && help_) {
    fputs(Help().c_str(), stdout);
    exit_code_ = 0;
    return std::nullopt;
  }
  absl::Status status = positional.status();
  if (status.ok()) status = globals_.Apply();
  if (status.ok() && positional->size() < min_args) {
    status = absl::InvalidArgumentError(absl::StrCat(
        "requires at least ", min_args, min_args == 1 ? " argument" :
        " arguments"));
  }
  if (status.ok() && positional->size() > max_args) {
    status = absl::InvalidArgumentError(
        max_args == 0 ? std::string("accepts no arguments")
                      : absl::StrCat("accepts at most ", max_args,
                                     max_args == 1 ? " argument" :
                                     " arguments"));
  }
  if (!status.ok()) {
    fprintf(stderr, "mydocker %s: %s (see 'mydocker %s --help')\n",
            std::string(applet_.name).c_str(),
            std::string(status.message()).c_str(),
            std::string(applet_.name).c_str());
    exit_code_ = kExitUsage;
    return std::nullopt;
  }
  return *std::move(positional);
}

int Invocation::Fail(const absl::Status& status, int code) {
  fprintf(stderr, "mydocker %s: %s\n", std::string(applet_.name).c_str(),
          std::string(status.message()).c_str());
  return code;
}

std::string Invocation::Help() const {
  return absl::StrCat("Usage:  mydocker ", applet_.name, " ", applet_.args,
                      "\n\n", applet_.summary, "\n\nOptions:\n",
                      flags_.Usage());
}

std::string MainHelp() {
  std::string out = absl::StrCat(
      "Usage:  mydocker [GLOBAL OPTIONS] APPLET [ARGS...]\n"
      "        APPLET [ARGS...]        (through a link named after it)\n\n"
      "A daemonless, Docker-compatible container engine.\n\n"
      "Applets:\n");
  for (const Applet& a : AllApplets()) {
    if (a.hidden) continue;
    absl::StrAppend(&out, "  ", a.name,
                    std::string(12 - std::min<size_t>(a.name.size(), 11), ' '),
                    a.summary, "\n");
  }
  absl::StrAppend(
      &out,
      "\nGlobal options (before or after the applet name):\n"
      "  --root DIR           Data root (default /var/lib/mydocker, or "
      "$MYDOCKER_ROOT)\n"
      "  -l, --log-level LVL  debug, info, warn (default) or error\n"
      "  -D, --debug          Same as --log-level debug\n"
      "\nMulti-call options:\n"
      "  --list               List the applet names\n"
      "  --install [-s] DIR   Link every applet name in DIR to this binary\n"
      "                       (hard links; symbolic with -s)\n"
      "  --help               This help; 'mydocker APPLET --help' for one "
      "applet\n"
      "  --version            Print the version\n");
  return out;
}

}  // namespace mydocker::applets
