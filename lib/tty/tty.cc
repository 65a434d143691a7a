#include "lib/tty/tty.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <utility>

#include "lib/base/errno_status.h"

namespace mydocker::tty {

std::optional<Winsize> GetWinsize(int fd) {
  struct winsize ws {};
  if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) {
    return std::nullopt;
  }
  return Winsize{ws.ws_row, ws.ws_col};
}

absl::Status SetWinsize(int fd, Winsize w) {
  struct winsize ws {};
  ws.ws_row = w.rows;
  ws.ws_col = w.cols;
  if (ioctl(fd, TIOCSWINSZ, &ws) != 0) {
    return base::ErrnoStatus(errno, "set terminal size");
  }
  return absl::OkStatus();
}

absl::StatusOr<Pty> OpenPty(const char* ptmx) {
  Pty pty;
  pty.master.reset(open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.master) return base::ErrnoStatus(errno, "open ", ptmx);
  int unlock = 0;
  if (ioctl(pty.master.get(), TIOCSPTLCK, &unlock) != 0) {
    return base::ErrnoStatus(errno, "unlock pty");
  }
  // TIOCGPTPEER opens the slave through the master's own devpts instance,
  // without a path lookup that a container could redirect.
  int slave = ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) return base::ErrnoStatus(errno, "open pty slave");
  pty.slave.reset(slave);
  return pty;
}

absl::StatusOr<RawMode> RawMode::Enter(int fd) {
  termios saved{};
  if (tcgetattr(fd, &saved) != 0) {
    return absl::FailedPreconditionError("the input device is not a TTY");
  }
  termios raw = saved;
  cfmakeraw(&raw);
  // Output processing goes too (OPOST): the container's own pty already
  // turned its \n into \r\n.
  if (tcsetattr(fd, TCSADRAIN, &raw) != 0) {
    return base::ErrnoStatus(errno, "set terminal to raw mode");
  }
  return RawMode(fd, saved);
}

RawMode::RawMode(RawMode&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), saved_(other.saved_) {}

RawMode::~RawMode() {
  if (fd_ >= 0) tcsetattr(fd_, TCSADRAIN, &saved_);
}

}  // namespace mydocker::tty
