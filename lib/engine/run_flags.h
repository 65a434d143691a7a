// The flags of `run` and `create`, in both spellings users type:
//
//   Docker's:           run [OPTIONS] IMAGE [COMMAND] [ARG...]
//   the original tool:  run -it -image mysql /bin/bash
//                       run -p 91:80 -image nginx ./docker-entrypoint.sh
//                           'nginx -g "daemon off;"' -net my-network
//
// With -image (or --image) the image is named by the flag, every positional
// word is part of the command, and options may follow the command (`-net`
// above); `--` still ends the options. The original tool split its command
// on spaces, so a command word holding spaces is split here as a shell
// would split it (quotes group, no expansion): the nginx line above runs
// ./docker-entrypoint.sh nginx -g "daemon off;". Words after `--` are taken
// as they are (`run -image busybox -- sh -c 'echo $0'`), and so are options
// the command would otherwise lose to mydocker (`-c` is --cpu-shares before
// `--`). Without -image, parsing
// stops at the image name, so the command keeps its own options
// (`run busybox ls -l`).
//
//   RunFlags f;
//   cli::FlagSet flags("run");
//   f.Declare(flags, /*run=*/true);
//   flags.set_interspersed(!UsesImageFlag(args) ? false : true);
//   ASSIGN_OR_RETURN(std::vector<std::string> pos, flags.Parse(args));
//   ASSIGN_OR_RETURN(RunRequest req, f.Finish(pos, env_lookup));
#ifndef MYDOCKER_LIB_ENGINE_RUN_FLAGS_H_
#define MYDOCKER_LIB_ENGINE_RUN_FLAGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "lib/cli/flags.h"
#include "lib/container/record.h"
#include "lib/spec/env.h"

namespace mydocker::engine {

// A parsed `run`/`create`: what the CLI would send to dockerd, plus what
// the CLI itself does (detach, attach).
struct RunRequest {
  std::string image;  // As typed.
  std::string name;   // --name, "" for a generated one.
  container::Config config;
  container::HostConfig host_config;
  // -v: "/host:/ctr[:mode]", "name:/ctr[:mode]" and "/ctr", as typed (the
  // caller makes the volumes and mount points: volumes.h).
  std::vector<std::string> volumes;
  bool detach = false;       // -d
  bool interactive = false;  // -i
  bool sig_proxy = true;     // --sig-proxy
  std::string cid_file;      // --cidfile
  std::string ip;            // --ip: the address on the network (as typed)
};

// Whether `args` name the image with -image/--image (before any `--`).
bool UsesImageFlag(absl::Span<const std::string> args);

// How many of `args` follow the first `--` (0 if there is none).
size_t WordsAfterDoubleDash(absl::Span<const std::string> args);

// Splits one command word as a POSIX shell splits words: blanks separate,
// '...' and "..." group (with \" \\ \$ \` escapes inside "..."), a
// backslash escapes outside quotes. InvalidArgument for an unterminated
// quote.
absl::StatusOr<std::vector<std::string>> ShellSplit(absl::string_view word);

class RunFlags {
 public:
  // Declares the flags on `flags`, bound to this object. `run` adds -d,
  // --rm's attach flags and --sig-proxy (create has no attach).
  void Declare(cli::FlagSet& flags, bool run);

  // The request from the parsed flags and the positional arguments
  // (IMAGE [COMMAND...], or the command alone with -image). `lookup` finds
  // a bare `-e K`'s value in the caller's environment. InvalidArgument with
  // Docker's message for a bad value ("invalid publish opts format ...",
  // "Conflicting options: --rm and --restart").
  // With -image, the last `verbatim` positional words (those after `--`)
  // are not split.
  absl::StatusOr<RunRequest> Finish(const std::vector<std::string>& positional,
                                    const spec::EnvLookup& lookup,
                                    size_t verbatim = 0) const;

 private:
  std::string image_flag_;
  bool image_flag_syntax_ = false;
  bool detach_ = false, interactive_ = false, tty_ = false, rm_ = false;
  bool privileged_ = false, read_only_ = false, init_ = false;
  bool sig_proxy_ = true, publish_all_ = false;
  std::string name_, user_, workdir_, hostname_, domainname_, network_, ip_;
  std::optional<std::string> entrypoint_;
  std::string memory_, memory_swap_, memory_reservation_, cpus_, shm_size_;
  int64_t cpu_shares_ = 0, pids_limit_ = 0, oom_score_adj_ = 0;
  bool pids_limit_set_ = false;
  std::optional<int64_t> stop_timeout_;
  std::string cpuset_cpus_, cpuset_mems_, stop_signal_, restart_ = "no";
  std::string log_driver_ = "json-file", cid_file_;
  std::vector<std::string> env_, env_files_, labels_, volumes_, tmpfs_;
  std::vector<std::string> cap_add_, cap_drop_, security_opt_, publish_;
  std::vector<std::string> expose_, dns_, dns_search_, dns_option_;
  std::vector<std::string> add_host_, group_add_, log_opt_;
};

}  // namespace mydocker::engine

#endif  // MYDOCKER_LIB_ENGINE_RUN_FLAGS_H_
