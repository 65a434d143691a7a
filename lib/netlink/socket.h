// A NETLINK_ROUTE (or NETLINK_NETFILTER) socket that runs one request at a
// time to completion.
//
// Every call sends one message and reads the kernel's answer to it (matched
// by sequence number and our port id; anything else, or anything not sent by
// the kernel, is skipped). rtnetlink answers in the sender's context, so a
// call never waits on anything but the kernel's own work.
//
//   ASSIGN_OR_RETURN(netlink::Socket sock, netlink::Socket::Open());
//   RETURN_IF_ERROR(sock.Request(std::move(m), "create bridge br0"));
//
//   // The same, in a container's network namespace, from a thread that
//   // stays where it is:
//   ASSIGN_OR_RETURN(netlink::Socket in, netlink::Socket::OpenIn(netns_fd));
//
// Errors are the kernel's errno as a Status (see ErrorFromReply in
// message.h): "netlink: create bridge br0: File exists" is AlreadyExists,
// and KernelErrno(status) gives back EEXIST. The extended ack the kernel
// sends (NETLINK_EXT_ACK) is appended in parentheses when there is one.
//
// A Socket is not thread-safe; use one per thread.
#ifndef MYDOCKER_LIB_NETLINK_SOCKET_H_
#define MYDOCKER_LIB_NETLINK_SOCKET_H_

#include <linux/netlink.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"
#include "lib/netlink/message.h"

namespace mydocker::netlink {

class Socket {
 public:
  // A socket in the calling thread's network namespace, bound to a port id
  // the kernel picks: NETLINK_ROUTE, or another protocol that speaks the
  // same request/ACK/dump rules (NETLINK_NETFILTER for nftables.h).
  static absl::StatusOr<Socket> Open(int protocol = NETLINK_ROUTE);

  // A socket in the network namespace `netns_fd` refers to (an fd of
  // /proc/<pid>/ns/net, or of a bind mount of one). A socket stays in the
  // namespace it was created in, so a short-lived thread enters the
  // namespace, creates it and exits; the calling thread never moves.
  // Needs CAP_SYS_ADMIN over that namespace (PermissionDenied otherwise);
  // InvalidArgument if `netns_fd` is not a network namespace.
  static absl::StatusOr<Socket> OpenIn(int netns_fd);

  Socket(Socket&&) = default;
  Socket& operator=(Socket&&) = default;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() = default;

  // Sends `m` with NLM_F_REQUEST | NLM_F_ACK and the next sequence number,
  // and returns the kernel's verdict on it. `what` names the operation for
  // the error ("create veth veth1234").
  absl::Status Request(Message m, absl::string_view what);

  // As Request, for a request the kernel answers with one message before its
  // ACK (RTM_GETLINK for one link): returns that message, header included.
  // DataLoss if the kernel acknowledged without answering.
  absl::StatusOr<std::string> RequestReply(Message m, absl::string_view what);

  // Sends `m` with NLM_F_REQUEST | NLM_F_DUMP and returns every message of
  // the dump (each one whole, header included) up to NLMSG_DONE. When the
  // kernel flags the dump NLM_F_DUMP_INTR (the table changed while it was
  // being walked, so the result may be inconsistent), the dump is run again,
  // up to 5 times in all; then Aborted.
  absl::StatusOr<std::vector<std::string>> Dump(Message m,
                                                absl::string_view what);

  int fd() const { return fd_.get(); }
  uint32_t port_id() const { return port_id_; }

 private:
  Socket(base::UniqueFd fd, uint32_t port_id);

  // Sends `m` and hands every answer for it (with neither NLMSG_ERROR nor
  // NLMSG_DONE type) to `on_reply` until the exchange ends: with the ACK or
  // error for a request, with NLMSG_DONE (or an error) for a dump.
  // `*interrupted` is set when a reply carries NLM_F_DUMP_INTR.
  absl::Status Exchange(Message& m, bool dump, absl::string_view what,
                        absl::FunctionRef<void(const MessageView&)> on_reply,
                        bool* interrupted);
  // Receives the next datagram sent by the kernel into buf_.
  absl::StatusOr<absl::string_view> Receive(absl::string_view what);

  base::UniqueFd fd_;
  uint32_t port_id_ = 0;
  uint32_t seq_ = 0;
  std::string buf_;
};

}  // namespace mydocker::netlink

#endif  // MYDOCKER_LIB_NETLINK_SOCKET_H_
