// Docker's signal names (moby pkg/signal, Linux): for --stop-signal, an
// image's StopSignal and `docker kill --signal`.
//
//   ASSIGN_OR_RETURN(int sig, ParseSignal("SIGQUIT"));  // 3
//   ASSIGN_OR_RETURN(int sig, ParseSignal("quit"));     // 3
//   ASSIGN_OR_RETURN(int sig, ParseSignal("RTMIN+3"));  // 37
#ifndef MYDOCKER_LIB_SPEC_SIGNAL_H_
#define MYDOCKER_LIB_SPEC_SIGNAL_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::spec {

// A signal number ("9"), or a name with or without "SIG" in any case
// ("SIGKILL", "kill", "RTMIN+1", "RTMAX-2"). InvalidArgument "Invalid
// signal: <s>" otherwise. Numbers must be 1..64 (Docker takes any non-zero
// integer here and fails later, when it sends it).
absl::StatusOr<int> ParseSignal(absl::string_view s);

// The signal `docker stop` sends: `flag` (--stop-signal) if given, else
// `image` (the image config's StopSignal) if set, else SIGTERM. ParseSignal's
// errors for the one chosen.
absl::StatusOr<int> StopSignal(absl::string_view flag, absl::string_view image);

}  // namespace mydocker::spec

#endif  // MYDOCKER_LIB_SPEC_SIGNAL_H_
