// A small declarative command-line parser for the applets.
//
// It accepts both spellings mydocker users type: Docker's
// (`--name web`, `--name=web`, `-it`, `-p 8080:80`, `-p8080:80`) and the
// original tool's single-dash long options (`-image nginx`, `-net my-net`).
// A flag named with one letter is short (`-p`), any longer name is long
// (`--publish`, and also `-publish`).
//
//   cli::FlagSet flags("run");
//   bool tty = false;
//   std::vector<std::string> ports;
//   flags.Bool("t,tty", &tty, "Allocate a pseudo-TTY");
//   flags.StringList("p,publish", &ports, "Publish a container's port");
//   ASSIGN_OR_RETURN(std::vector<std::string> args, flags.Parse(argv));
//
// Parsing stops at `--`; with set_interspersed(false) it also stops at the
// first positional argument, so `run IMAGE sh -c ...` keeps the command's own
// options. Options are parsed left to right and the last value of a String
// flag wins, as in Docker.
#ifndef MYDOCKER_LIB_CLI_FLAGS_H_
#define MYDOCKER_LIB_CLI_FLAGS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace mydocker::cli {

class FlagSet {
 public:
  // `command` names the command in error messages ("pull", "network create").
  explicit FlagSet(std::string command) : command_(std::move(command)) {}

  FlagSet(const FlagSet&) = delete;
  FlagSet& operator=(const FlagSet&) = delete;

  // `names` is a comma-separated list of a flag's spellings without dashes,
  // e.g. "d,detach". The pointed-to variable must outlive Parse and keeps its
  // value unless the flag is given.
  void Bool(absl::string_view names, bool* out, absl::string_view help);
  void String(absl::string_view names, std::string* out,
              absl::string_view help, absl::string_view value_name = "string");
  // Repeatable: each occurrence appends.
  void StringList(absl::string_view names, std::vector<std::string>* out,
                  absl::string_view help,
                  absl::string_view value_name = "list");
  void Int(absl::string_view names, int64_t* out, absl::string_view help);
  // The most general form: `set` receives the raw value and may refuse it;
  // its error is reported naming the flag.
  void Custom(absl::string_view names, absl::string_view help,
              absl::string_view value_name,
              std::function<absl::Status(absl::string_view)> set);

  // Hidden flags parse normally but are left out of Usage().
  void Hide(absl::string_view name);

  void set_interspersed(bool interspersed) { interspersed_ = interspersed; }

  // Parses `args` (without the command name) and returns the positional
  // arguments in order. InvalidArgument, naming the flag, for an unknown
  // flag, a missing value, a value given to a Bool with `=` that is not
  // true/false, or a bad Int.
  absl::StatusOr<std::vector<std::string>> Parse(
      absl::Span<const std::string> args);

  // An aligned table of the visible flags, one per line:
  //   "  -d, --detach             Run container in background"
  std::string Usage() const;

  const std::string& command() const { return command_; }

 private:
  struct Flag {
    std::vector<std::string> names;
    std::string help;
    std::string value_name;  // Empty for a Bool.
    bool hidden = false;
    std::function<absl::Status(absl::string_view)> set;
  };

  void Add(absl::string_view names, absl::string_view help,
           absl::string_view value_name,
           std::function<absl::Status(absl::string_view)> set);
  Flag* Find(absl::string_view name);
  absl::Status Apply(Flag& flag, absl::string_view spelled,
                     absl::string_view value);

  std::string command_;
  std::vector<Flag> flags_;
  bool interspersed_ = true;
};

}  // namespace mydocker::cli

#endif  // MYDOCKER_LIB_CLI_FLAGS_H_
