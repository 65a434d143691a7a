// Where streamed bytes go: a callback that takes the next chunk.
//
// The tar-split writer and the gzip stream push their output through a Sink,
// so the same code can fill a string in a test, write a file in the store,
// or feed a hash on the way to a registry.
//
//   std::string out;
//   TarSplitWriter writer(StringSink(&out));
//
//   ASSIGN_OR_RETURN(base::UniqueFd fd, base::OpenFile(tmp, O_WRONLY |
//   O_CREAT)); TarSplitWriter writer(FdSink(fd.get(), tmp));
#ifndef MYDOCKER_LIB_TARSPLIT_SINK_H_
#define MYDOCKER_LIB_TARSPLIT_SINK_H_

#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mydocker::tarsplit {

// Takes the next chunk of output (never empty). An error stops the producer,
// which returns it as is.
using Sink = absl::AnyInvocable<absl::Status(absl::string_view)>;

// Appends to `*out`, which must outlive the sink.
Sink StringSink(std::string* out);

// Writes to `fd` (not owned; it must outlive the sink), retrying short
// writes. Errors name `what` ("write <what>: <strerror>").
Sink FdSink(int fd, std::string what);

}  // namespace mydocker::tarsplit

#endif  // MYDOCKER_LIB_TARSPLIT_SINK_H_
