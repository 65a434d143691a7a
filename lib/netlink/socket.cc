#include "lib/netlink/socket.h"

#include <errno.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/base/errno_status.h"
#include "lib/base/status_macros.h"

namespace mydocker::netlink {
namespace {

constexpr int kDumpAttempts = 5;
constexpr size_t kMinReceive = 32768;

// Best effort: without these (kernels before 4.12 / 4.3) errors just come
// without the kernel's text, and with the request echoed back.
void EnableExtendedAck(int fd) {
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
}

}  // namespace

Socket::Socket(base::UniqueFd fd, uint32_t port_id)
    : fd_(std::move(fd)), port_id_(port_id) {
  // Start somewhere else than 1 each time, so replies meant for an earlier
  // socket that got our port id back cannot pass for ours.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  seq_ = static_cast<uint32_t>(ts.tv_nsec ^ ts.tv_sec);
}

absl::StatusOr<Socket> Socket::Open(int protocol) {
  base::UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol));
  if (!fd) {
    return base::ErrnoStatus(errno, "netlink: open socket of protocol ", protocol);
  }
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return base::ErrnoStatus(errno, "netlink: bind socket of protocol ", protocol);
  }
  socklen_t len = sizeof(addr);
  if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return base::ErrnoStatus(errno, "netlink: getsockname");
  }
  EnableExtendedAck(fd.get());
  return Socket(std::move(fd), addr.nl_pid);
}

absl::StatusOr<Socket> Socket::OpenIn(int netns_fd) {
  if (netns_fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "netlink: open socket in network namespace: bad fd ", netns_fd));
  }
  absl::StatusOr<Socket> result = absl::InternalError("unreachable");
  // setns() moves only the calling thread, and this one dies right after.
  auto body = [&result, netns_fd] {
    if (setns(netns_fd, CLONE_NEWNET) != 0) {
      result = base::ErrnoStatus(errno, "netlink: enter network namespace fd ",
                                 netns_fd);
      return;
    }
    result = Open();
  };
  try {
    std::thread(body).join();
  } catch (const std::system_error& e) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "netlink: open socket in network namespace: start thread: ", e.what()));
  }
  return result;
}

absl::StatusOr<absl::string_view> Socket::Receive(absl::string_view what) {
  for (;;) {
    // Learn the datagram's size first, as iproute2 does: a datagram read
    // short is lost for good, and a link with many VFs can make one larger
    // than any fixed buffer. Reading with at least 32 KiB of room also tells
    // the kernel to fill dump parts up to that size, not one page each.
    ssize_t size = recv(fd_.get(), nullptr, 0, MSG_PEEK | MSG_TRUNC);
    if (size < 0) {
      if (errno == EINTR) continue;
      return base::ErrnoStatus(errno, "netlink: ", what, ": receive");
    }
    buf_.resize(std::max<size_t>(static_cast<size_t>(size), kMinReceive));
    sockaddr_nl from{};
    socklen_t from_len = sizeof(from);
    ssize_t n = recvfrom(fd_.get(), buf_.data(), buf_.size(), 0,
                         reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::ErrnoStatus(errno, "netlink: ", what, ": receive");
    }
    // Any process may send to our port id; only the kernel (port 0) speaks
    // for the kernel.
    if (from_len < sizeof(from) || from.nl_family != AF_NETLINK ||
        from.nl_pid != 0) {
      continue;
    }
    return absl::string_view(buf_.data(), static_cast<size_t>(n));
  }
}

absl::Status Socket::Exchange(
    Message& m, bool dump, absl::string_view what,
    absl::FunctionRef<void(const MessageView&)> on_reply, bool* interrupted) {
  if (!m.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("netlink: ", what, ": message too large"));
  }
  uint32_t seq = ++seq_;
  m.set_seq(seq);
  m.add_flags(NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK));
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (;;) {
    ssize_t n =
        sendto(fd_.get(), m.bytes().data(), m.bytes().size(), 0,
               reinterpret_cast<const sockaddr*>(&kernel), sizeof(kernel));
    if (n >= 0) break;
    if (errno != EINTR) {
      return base::ErrnoStatus(errno, "netlink: ", what, ": send");
    }
  }
  for (;;) {
    ASSIGN_OR_RETURN(absl::string_view datagram, Receive(what));
    size_t consumed = 0;
    for (const MessageView& reply : Messages(datagram)) {
      consumed += NLMSG_ALIGN(reply.bytes.size());
      if (reply.seq != seq || reply.port != port_id_) continue;  // Stale.
      switch (reply.type) {
        case NLMSG_ERROR:
          // The ACK (error 0) of a request, or any failure.
          return ErrorFromReply(reply.bytes, what);
        case NLMSG_DONE: {
          // A dump that failed half-way says so here, as a negative int.
          std::optional<uint32_t> err =
              AttributeU32(reply.payload.substr(0, 4));
          int e = err ? static_cast<int>(*err) : 0;
          if (e < 0 && e >= -4095) return KernelError(-e, what);
          return absl::OkStatus();
        }
        case NLMSG_NOOP:
          continue;
        case NLMSG_OVERRUN:
          return absl::DataLossError(
              absl::StrCat("netlink: ", what, ": overrun"));
        default:
          if (reply.flags & NLM_F_DUMP_INTR) *interrupted = true;
          on_reply(reply);
      }
    }
    if (consumed < datagram.size()) {
      return absl::DataLossError(
          absl::StrCat("netlink: ", what, ": malformed reply (",
                       datagram.size() - consumed, " bytes left over)"));
    }
  }
}

absl::Status Socket::Request(Message m, absl::string_view what) {
  bool interrupted = false;
  return Exchange(
      m, /*dump=*/false, what, [](const MessageView&) {}, &interrupted);
}

absl::StatusOr<std::string> Socket::RequestReply(Message m,
                                                 absl::string_view what) {
  std::optional<std::string> answer;
  bool interrupted = false;
  RETURN_IF_ERROR(Exchange(
      m, /*dump=*/false, what,
      [&answer](const MessageView& reply) {
        if (!answer) answer.emplace(reply.bytes);
      },
      &interrupted));
  if (!answer) {
    return absl::DataLossError(
        absl::StrCat("netlink: ", what, ": acknowledged without an answer"));
  }
  return *std::move(answer);
}

absl::StatusOr<std::vector<std::string>> Socket::Dump(Message m,
                                                      absl::string_view what) {
  for (int attempt = 0; attempt < kDumpAttempts; ++attempt) {
    Message copy = m;
    std::vector<std::string> replies;
    bool interrupted = false;
    RETURN_IF_ERROR(Exchange(
        copy, /*dump=*/true, what,
        [&replies](const MessageView& reply) {
          replies.emplace_back(reply.bytes);
        },
        &interrupted));
    if (!interrupted) return replies;
  }
  return absl::AbortedError(absl::StrCat("netlink: ", what,
                                         ": dump interrupted by concurrent "
                                         "changes ",
                                         kDumpAttempts, " times in a row"));
}

}  // namespace mydocker::netlink
