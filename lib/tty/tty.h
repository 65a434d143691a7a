// Terminals: the user's side of `run -it` and `exec -it`, and the pty a
// container gets.
//
//   ASSIGN_OR_RETURN(Pty pty, OpenPty());           // master + slave
//   std::optional<Winsize> ws = GetWinsize(STDIN_FILENO);
//   if (ws) RETURN_IF_ERROR(SetWinsize(pty.master.get(), *ws));
//   {
//     ASSIGN_OR_RETURN(RawMode raw, RawMode::Enter(STDIN_FILENO));
//     ... relay ...
//   }  // the terminal is restored here, on every exit path
#ifndef MYDOCKER_LIB_TTY_TTY_H_
#define MYDOCKER_LIB_TTY_TTY_H_

#include <termios.h>

#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/base/unique_fd.h"

namespace mydocker::tty {

struct Winsize {
  unsigned short rows = 0;
  unsigned short cols = 0;
};

// The window size of the terminal `fd`, or nullopt if it is not one (or
// reports 0x0).
std::optional<Winsize> GetWinsize(int fd);
absl::Status SetWinsize(int fd, Winsize ws);

// A pseudo-terminal pair, both ends close-on-exec. The slave is opened
// without becoming anyone's controlling terminal.
struct Pty {
  base::UniqueFd master;
  base::UniqueFd slave;
};

// Opens a new pty from `ptmx` (the host's /dev/ptmx by default).
absl::StatusOr<Pty> OpenPty(const char* ptmx = "/dev/ptmx");

// Puts the terminal `fd` in raw mode (cfmakeraw) and restores the saved
// settings when destroyed. Move-only.
class RawMode {
 public:
  // FailedPrecondition if `fd` is not a terminal.
  static absl::StatusOr<RawMode> Enter(int fd);

  RawMode(RawMode&& other) noexcept;
  RawMode& operator=(RawMode&&) = delete;
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;
  ~RawMode();

 private:
  RawMode(int fd, const termios& saved) : fd_(fd), saved_(saved) {}
  int fd_ = -1;
  termios saved_{};
};

}  // namespace mydocker::tty

#endif  // MYDOCKER_LIB_TTY_TTY_H_
