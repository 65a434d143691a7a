// The applet table and what every applet gets when it runs.
//
// An applet is one user-facing command (`pull`, `run`, `ps`, ...). It is
// thin: it declares its flags on the Invocation, parses, calls the library,
// prints, and maps a Status to an exit code. Errors are printed once, here
// at the boundary:
//
//   int VersionMain(Invocation& inv) {
//     std::optional<std::vector<std::string>> args = inv.Parse(0, 0);
//     if (!args) return inv.exit_code();
//     ...
//     if (!status.ok()) return inv.Fail(status);
//     return 0;
//   }
#ifndef MYDOCKER_APPLETS_APPLET_H_
#define MYDOCKER_APPLETS_APPLET_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "lib/cli/flags.h"

namespace mydocker::applets {

inline constexpr absl::string_view kVersion = "0.1.0";
inline constexpr absl::string_view kDefaultRoot = "/var/lib/mydocker";

// Exit codes shared by every applet. Usage errors exit 125 as Docker's CLI
// does; an unknown applet exits 127 as a shell does for an unknown command.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 125;
inline constexpr int kExitUnknownApplet = 127;

// Options every applet honours, before or after the applet's name:
// `--root DIR` (or MYDOCKER_ROOT), `--log-level LEVEL`, `-D/--debug`.
struct GlobalOptions {
  std::string root;
  std::string log_level;
  bool debug = false;

  // Fills `root` from MYDOCKER_ROOT or the default.
  static GlobalOptions FromEnvironment();
  // Declares the global flags on `flags`, bound to this object.
  void Declare(cli::FlagSet& flags);
  // Validates and applies: makes `root` absolute, sets the log level.
  absl::Status Apply();
};

class Invocation;

struct Applet {
  absl::string_view name;
  absl::string_view args;     // After "mydocker NAME", e.g. "[OPTIONS] NAME".
  absl::string_view summary;  // One line, for `mydocker --help`.
  int (*main)(Invocation& inv);
  // Internal applets (run by mydocker itself) are left out of the help.
  bool hidden = false;
};

// All applets, sorted by name.
absl::Span<const Applet> AllApplets();

// The applet called `name`, or nullptr.
const Applet* FindApplet(absl::string_view name);

// One run of one applet.
class Invocation {
 public:
  Invocation(const Applet& applet, std::vector<std::string> args,
             GlobalOptions globals);

  // The applet's flag set, with the global options already declared.
  cli::FlagSet& flags() { return flags_; }

  // Parses the arguments and returns the positional ones. On `-h/--help`
  // prints the applet's help and returns nullopt with exit_code() 0; on a
  // usage error (bad flag, too few or too many arguments) prints one line
  // and returns nullopt with exit_code() 125.
  std::optional<std::vector<std::string>> Parse(size_t min_args,
                                                size_t max_args = SIZE_MAX);
  int exit_code() const { return exit_code_; }

  // Valid after Parse: the data root, absolute.
  const std::string& root() const { return globals_.root; }

  // Prints "mydocker NAME: <message>" to stderr and returns `code`.
  int Fail(const absl::Status& status, int code = kExitFailure);

  // The applet's full help text.
  std::string Help() const;

  const Applet& applet() const { return applet_; }

  // The arguments as given, before parsing (for applets that pass a
  // command line on, or must look at it before choosing how to parse).
  const std::vector<std::string>& raw_args() const { return args_; }

  // An invocation of a sub-command (`network create`) with these globals.
  Invocation Sub(const Applet& sub, std::vector<std::string> args) const {
    return Invocation(sub, std::move(args), globals_);
  }

 private:
  const Applet& applet_;
  std::vector<std::string> args_;
  GlobalOptions globals_;
  cli::FlagSet flags_;
  bool help_ = false;
  int exit_code_ = 0;
};

// Each applet's entry point, defined in applets/<name>.cc.
int CreateMain(Invocation& inv);
int ExecMain(Invocation& inv);
int HelpMain(Invocation& inv);
int ImagesMain(Invocation& inv);
int InitMain(Invocation& inv);
int InspectMain(Invocation& inv);
int KillMain(Invocation& inv);
int LoginMain(Invocation& inv);
int LogoutMain(Invocation& inv);
int LogsMain(Invocation& inv);
int NetworkMain(Invocation& inv);
int MonitorMain(Invocation& inv);
int NsenterHelperMain(Invocation& inv);
int PsMain(Invocation& inv);
int PullMain(Invocation& inv);
int RmMain(Invocation& inv);
int RmiMain(Invocation& inv);
int RunMain(Invocation& inv);
int StartMain(Invocation& inv);
int StopMain(Invocation& inv);
int TagMain(Invocation& inv);
int VersionMain(Invocation& inv);
int WaitMain(Invocation& inv);

// The help text of a listing applet's --format (list_format.h).
inline constexpr char kListFormatHelp[] =
    "Pretty-print using a Go template ('table {{.ID}}\\t...'), or \"json\"";

// Pulls `name` for a `run`/`create` that did not find it, with docker
// run's messages and progress on stderr (applets/pull.cc).
absl::Status PullForRun(const std::string& root, const std::string& name);

// The top-level help (`mydocker --help`).
std::string MainHelp();

}  // namespace mydocker::applets

#endif  // MYDOCKER_APPLETS_APPLET_H_
