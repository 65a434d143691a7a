#include "lib/engine/attach.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "lib/base/errno_status.h"
#include "lib/base/status_macros.h"
#include "lib/tty/tty.h"

namespace mydocker::engine {

std::string EncodeU32(uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
               static_cast<char>(v >> 8), static_cast<char>(v)};
  return std::string(b, 4);
}

uint32_t DecodeU32(absl::string_view b) {
  if (b.size() < 4) return 0;
  auto u = [&](int i) { return static_cast<uint32_t>(static_cast<uint8_t>(b[i])); };
  return u(0) << 24 | u(1) << 16 | u(2) << 8 | u(3);
}

std::string EncodeFrame(FrameType type, absl::string_view payload) {
  std::string out;
  out.reserve(5 + payload.size());
  out.push_back(static_cast<char>(type));
  out += EncodeU32(static_cast<uint32_t>(payload.size()));
  out.append(payload.data(), payload.size());
  return out;
}

std::optional<Frame> FrameReader::Next() {
  if (broken_ || buf_.size() - pos_ < 5) return std::nullopt;
  uint32_t len = DecodeU32(absl::string_view(buf_).substr(pos_ + 1, 4));
  if (len > kMaxFramePayload) {
    broken_ = true;
    return std::nullopt;
  }
  if (buf_.size() - pos_ < 5 + len) return std::nullopt;
  Frame f{static_cast<FrameType>(buf_[pos_]), buf_.substr(pos_ + 5, len)};
  pos_ += 5 + len;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > (64 << 10)) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  return f;
}

namespace {

absl::Status WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p{fd, POLLOUT, 0};
        poll(&p, 1, -1);
        continue;
      }
      return base::ErrnoStatus(errno, "write");
    }
    data.remove_prefix(n);
  }
  return absl::OkStatus();
}

std::string ResizePayload(tty::Winsize ws) {
  std::string p;
  p.push_back(static_cast<char>(ws.rows >> 8));
  p.push_back(static_cast<char>(ws.rows));
  p.push_back(static_cast<char>(ws.cols >> 8));
  p.push_back(static_cast<char>(ws.cols));
  return p;
}

}  // namespace

absl::StatusOr<int> RunAttachClient(base::UniqueFd stream, bool tty,
                                    bool forward_stdin, bool sig_proxy) {
  std::optional<tty::RawMode> raw;
  if (tty && isatty(STDIN_FILENO)) {
    if (std::optional<tty::Winsize> ws = tty::GetWinsize(STDIN_FILENO)) {
      RETURN_IF_ERROR(WriteAll(stream.get(), EncodeFrame(FrameType::kResize,
                                                         ResizePayload(*ws))));
    }
    // Raw only when the keys go to the container (-i), as docker does:
    // with -t alone, ^C stays this terminal's.
    if (forward_stdin) {
      ASSIGN_OR_RETURN(tty::RawMode r, tty::RawMode::Enter(STDIN_FILENO));
      raw.emplace(std::move(r));
    }
  }
  // The signals this command relays arrive on a signalfd, so they never
  // interrupt it half-way (and the terminal is always restored).
  sigset_t set;
  sigemptyset(&set);
  if (tty) {
    sigaddset(&set, SIGWINCH);
    // With a terminal the container gets ^C as a byte; a TERM or HUP for
    // this command ends only the attachment, with the terminal restored.
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
  }
  if (sig_proxy && !tty) {
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) {
      sigaddset(&set, s);
    }
  }
  sigaddset(&set, SIGPIPE);
  sigset_t old;
  sigprocmask(SIG_BLOCK, &set, &old);
  base::UniqueFd sigfd(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd) return base::ErrnoStatus(errno, "signalfd");

  FrameReader reader;
  bool stdin_open = forward_stdin;
  std::optional<int> exit_status;
  int ended_by = 0;  // The signal that ended the attachment.
  char buf[32 << 10];
  while (!exit_status && ended_by == 0) {
    pollfd fds[3] = {{stream.get(), POLLIN, 0},
                     {sigfd.get(), POLLIN, 0},
                     {stdin_open ? STDIN_FILENO : -1, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return base::ErrnoStatus(errno, "poll");
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo si;
      while (read(sigfd.get(), &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGPIPE) continue;
        std::string frame;
        if (tty && (si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP)) {
          ended_by = static_cast<int>(si.ssi_signo);
          break;
        }
        if (si.ssi_signo == SIGWINCH) {
          if (std::optional<tty::Winsize> ws = tty::GetWinsize(STDIN_FILENO)) {
            frame = EncodeFrame(FrameType::kResize, ResizePayload(*ws));
          }
        } else {
          frame = EncodeFrame(FrameType::kSignal, EncodeU32(si.ssi_signo));
        }
        if (!frame.empty()) (void)WriteAll(stream.get(), frame);
      }
    }
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
      if (n > 0) {
        (void)WriteAll(stream.get(),
                       EncodeFrame(FrameType::kStdin, absl::string_view(buf, n)));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        stdin_open = false;
        (void)WriteAll(stream.get(), EncodeFrame(FrameType::kStdinClose, ""));
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(stream.get(), buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      reader.Append(buf, n);
      while (std::optional<Frame> f = reader.Next()) {
        switch (f->type) {
          case FrameType::kStdout:
            (void)WriteAll(STDOUT_FILENO, f->payload);
            break;
          case FrameType::kStderr:
            (void)WriteAll(STDERR_FILENO, f->payload);
            break;
          case FrameType::kExit:
            exit_status = static_cast<int>(DecodeU32(f->payload));
            break;
          default:
            break;
        }
      }
      if (reader.broken()) break;
    }
  }
  if (ended_by != 0) {
    raw.reset();
    sigprocmask(SIG_SETMASK, &old, nullptr);
    return 128 + ended_by;
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
  if (!exit_status) {
    return absl::UnavailableError(
        "lost the container's monitor before it reported the exit status");
  }
  return *exit_status;
}

}  // namespace mydocker::engine
