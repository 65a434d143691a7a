// The attach stream between a container's monitor and the command that
// started it (`run` without -d, `start -a`): a SOCK_STREAM socketpair
// carrying frames of
//
//   type (1 byte) | length (4 bytes, big-endian) | payload
//
// Monitor -> client: kStdout/kStderr (the container's output, as written),
// kExit (payload: the exit status, 4 bytes big-endian) once the exit is
// recorded (and, with --rm, the container removed).
// Client -> monitor: kStdin (bytes for the container's stdin), kStdinClose,
// kResize (rows, cols: 2 bytes each), kSignal (4 bytes: a signal for the
// container's init, the CLI's --sig-proxy).
//
//   FrameReader r;
//   r.Append(buf, n);
//   while (std::optional<Frame> f = r.Next()) ...
#ifndef MYDOCKER_LIB_ENGINE_ATTACH_H_
#define MYDOCKER_LIB_ENGINE_ATTACH_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"

namespace mydocker::engine {

enum class FrameType : uint8_t {
  kStdout = 1,
  kStderr = 2,
  kExit = 3,
  kStdin = 16,
  kStdinClose = 17,
  kResize = 18,
  kSignal = 19,
};

// Frames larger than this are refused (the reader reports a broken stream).
inline constexpr uint32_t kMaxFramePayload = 1 << 20;

struct Frame {
  FrameType type;
  std::string payload;
};

std::string EncodeFrame(FrameType type, absl::string_view payload);
std::string EncodeU32(uint32_t v);
uint32_t DecodeU32(absl::string_view four);

// Splits a byte stream into frames.
class FrameReader {
 public:
  void Append(const char* data, size_t n) { buf_.append(data, n); }
  // The next complete frame, or nullopt if more bytes are needed. Sets
  // broken() for an oversized frame.
  std::optional<Frame> Next();
  bool broken() const { return broken_; }

 private:
  std::string buf_;
  size_t pos_ = 0;
  bool broken_ = false;
};

// What the attached command does with the stream: copies the container's
// output to its stdout/stderr, its own stdin (if `forward_stdin`) to the
// container, with `tty` its size (at start and on SIGWINCH) and, when
// forwarding stdin, the terminal in raw mode; without `tty`, the signals a user sends (INT, TERM,
// HUP, QUIT, USR1, USR2) to the container (`sig_proxy`). Returns the
// container's exit status, or an error if the monitor went away without
// sending one.
absl::StatusOr<int> RunAttachClient(base::UniqueFd stream, bool tty,
                                    bool forward_stdin, bool sig_proxy);

}  // namespace mydocker::engine

#endif  // MYDOCKER_LIB_ENGINE_ATTACH_H_
