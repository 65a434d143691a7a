// rtnetlink messages as bytes: building a request, walking a reply.
//
// Pure code (no socket, no syscall), so the exact bytes are unit-tested.
// The layout is the kernel's (see netlink(7), rtnetlink(7)):
//
//   nlmsghdr | fixed header (ifinfomsg, ifaddrmsg, rtmsg) | attributes...
//
// every piece padded to 4 bytes. An attribute is {rta_len, rta_type} and its
// payload; rta_len counts the 4-byte header and the payload but not the
// padding after it, except for a nested attribute, whose rta_len runs to the
// end of its last (padded) member. That is what iproute2 sends, and the tests
// pin our bytes to bytes captured from `ip link add`.
//
//   Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
//   m.Append(ifinfomsg{});
//   m.AttrString(IFLA_IFNAME, "br0");
//   size_t info = m.BeginNested(IFLA_LINKINFO);
//   m.Attr(IFLA_INFO_KIND, "bridge", 6);
//   m.EndNested(info);
//   RETURN_IF_ERROR(socket.Request(std::move(m), "create bridge br0"));
//
// Reading goes through views that never read past the bytes they were given:
// a truncated or hostile buffer ends the walk early, it never crashes it.
//
//   for (const Attribute& a : AttributesAfter<ifinfomsg>(reply.payload)) {
//     if (a.type == IFLA_IFNAME) name = AttributeString(a.payload);
//   }
#ifndef MYDOCKER_LIB_NETLINK_MESSAGE_H_
#define MYDOCKER_LIB_NETLINK_MESSAGE_H_

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mydocker::netlink {

// One netlink request under construction. The nlmsghdr's nlmsg_len always
// equals bytes().size(), so bytes() can be sent at any point.
class Message {
 public:
  // A message of `type` (RTM_NEWLINK, ...) with `flags` (NLM_F_CREATE, ...);
  // Socket adds NLM_F_REQUEST, NLM_F_ACK / NLM_F_DUMP and the sequence
  // number when it sends it.
  Message(uint16_t type, uint16_t flags);

  // Appends a fixed-size header (ifinfomsg, ifaddrmsg, rtmsg) byte for byte,
  // padded to NLMSG_ALIGNTO. It goes right after the nlmsghdr, before any
  // attribute; inside a nested attribute it is the peer's ifinfomsg of
  // VETH_INFO_PEER.
  template <class T>
  void Append(const T& fixed) {
    static_assert(std::is_trivially_copyable_v<T>);
    AppendRaw(&fixed, sizeof(T));
  }

  // Appends attribute `type` with `len` bytes of `data` as its payload,
  // then pads to RTA_ALIGNTO.
  void Attr(uint16_t type, const void* data, size_t len);
  void AttrU8(uint16_t type, uint8_t value) { Attr(type, &value, 1); }
  void AttrU32(uint16_t type, uint32_t value) { Attr(type, &value, 4); }
  // The string followed by a NUL, as iproute2 sends IFLA_IFNAME.
  void AttrString(uint16_t type, absl::string_view value);

  // Opens a nested attribute: the attributes appended until the matching
  // EndNested(token) are its payload. Pass NLA_F_NESTED in `type` where the
  // kernel wants it (IFLA_PROTINFO of AF_BRIDGE). Nests may nest.
  size_t BeginNested(uint16_t type);
  void EndNested(size_t token);

  void set_seq(uint32_t seq);
  void set_port(uint32_t port_id);
  // ORs `flags` into nlmsg_flags.
  void add_flags(uint16_t flags);

  uint16_t type() const;
  uint16_t flags() const;
  uint32_t seq() const;

  // False once an attribute or nest outgrew the 16-bit rta_len, or the
  // message outgrew its 32-bit nlmsg_len; such a message is garbage and
  // Socket refuses to send it (InvalidArgument).
  bool ok() const { return ok_; }

  const std::string& bytes() const { return bytes_; }

 private:
  void AppendRaw(const void* data, size_t len);
  void Pad();
  void UpdateLength();
  template <class T>
  T Read(size_t offset) const {
    T v;
    std::memcpy(&v, bytes_.data() + offset, sizeof(T));
    return v;
  }
  template <class T>
  void Write(size_t offset, T v) {
    std::memcpy(bytes_.data() + offset, &v, sizeof(T));
  }

  std::string bytes_;
  bool ok_ = true;
};

// One attribute inside a byte range: its type with the NLA_F_NESTED and
// NLA_F_NET_BYTEORDER bits masked off, and its payload (without padding).
struct Attribute {
  uint16_t type;
  absl::string_view payload;
};

// The attributes packed in `bytes`, in order, for range-for. The walk stops
// at the first attribute whose header or rta_len does not fit in what is
// left (or claims less than its own header): a truncated buffer yields the
// attributes that are whole, never bytes beyond `bytes`. A view: `bytes`
// must outlive it (not `Attributes(reply.substr(16))` in a range-for).
class Attributes {
 public:
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Attribute;
    using difference_type = std::ptrdiff_t;
    using pointer = const Attribute*;
    using reference = const Attribute&;

    Iterator() = default;
    explicit Iterator(absl::string_view rest) : rest_(rest) { Load(); }
    const Attribute& operator*() const { return current_; }
    const Attribute* operator->() const { return &current_; }
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const Iterator& other) const {
      return done_ == other.done_ &&
             (done_ || rest_.data() == other.rest_.data());
    }
    bool operator!=(const Iterator& other) const { return !(*this == other); }

   private:
    void Load();
    absl::string_view rest_;
    Attribute current_{};
    size_t step_ = 0;
    bool done_ = true;
  };

  explicit Attributes(absl::string_view bytes) : bytes_(bytes) {}
  Iterator begin() const { return Iterator(bytes_); }
  Iterator end() const { return Iterator(); }

  // The payload of the first attribute of `type`, if any.
  std::optional<absl::string_view> Find(uint16_t type) const;

 private:
  absl::string_view bytes_;
};

// One netlink message in a received buffer. `payload` is what follows the
// nlmsghdr, nlmsg_len - NLMSG_HDRLEN bytes; `bytes` is the whole message.
struct MessageView {
  uint16_t type;
  uint16_t flags;
  uint32_t seq;
  uint32_t port;
  absl::string_view payload;
  absl::string_view bytes;
};

// The messages packed in one datagram (a dump packs several), for
// range-for. Stops, like Attributes, at the first nlmsghdr that is cut short
// or whose nlmsg_len is smaller than the header.
class Messages {
 public:
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = MessageView;
    using difference_type = std::ptrdiff_t;
    using pointer = const MessageView*;
    using reference = const MessageView&;

    Iterator() = default;
    explicit Iterator(absl::string_view rest) : rest_(rest) { Load(); }
    const MessageView& operator*() const { return current_; }
    const MessageView* operator->() const { return &current_; }
    Iterator& operator++();
    bool operator==(const Iterator& other) const {
      return done_ == other.done_ &&
             (done_ || rest_.data() == other.rest_.data());
    }
    bool operator!=(const Iterator& other) const { return !(*this == other); }

   private:
    void Load();
    absl::string_view rest_;
    MessageView current_{};
    size_t step_ = 0;
    bool done_ = true;
  };

  explicit Messages(absl::string_view bytes) : bytes_(bytes) {}
  Iterator begin() const { return Iterator(bytes_); }
  Iterator end() const { return Iterator(); }

 private:
  absl::string_view bytes_;
};

// `bytes` as a whole message, if it holds at least a complete nlmsghdr whose
// nlmsg_len fits; `payload` is cut at nlmsg_len.
std::optional<MessageView> ParseMessage(absl::string_view bytes);

// The fixed header T at the start of `payload` (a copy: the bytes of a
// buffer need not be aligned for T); nullopt if `payload` is too short.
template <class T>
std::optional<T> ReadFixed(absl::string_view payload) {
  static_assert(std::is_trivially_copyable_v<T>);
  if (payload.size() < sizeof(T)) return std::nullopt;
  T v;
  std::memcpy(&v, payload.data(), sizeof(T));
  return v;
}

// The attributes that follow the fixed header T in `payload` (empty if
// `payload` does not even hold a T).
template <class T>
Attributes AttributesAfter(absl::string_view payload) {
  constexpr size_t kSkip = NLMSG_ALIGN(sizeof(T));
  if (payload.size() < kSkip) return Attributes(absl::string_view());
  return Attributes(payload.substr(kSkip));
}

// Payload decoders; nullopt when the payload has the wrong size.
std::optional<uint8_t> AttributeU8(absl::string_view payload);
std::optional<uint32_t> AttributeU32(absl::string_view payload);
// The payload up to its first NUL (or all of it, if it has none).
std::string AttributeString(absl::string_view payload);

// The status a reply message stands for, given the request it answers was
// `what` ("create veth veth1234"):
//  - anything but NLMSG_ERROR, and NLMSG_ERROR with error 0 (an ACK): OK;
//  - NLMSG_ERROR with -errno: the code of base::ErrnoStatus (EEXIST ->
//    AlreadyExists, ENODEV and ENOENT -> NotFound, EPERM -> PermissionDenied,
//    ...), the message "netlink: <what>: <strerror>", followed by
//    " (<kernel's extended ack text>)" when the kernel sent one, and the
//    errno attached (see KernelErrno);
//  - an NLMSG_ERROR too short for its nlmsgerr, or an error outside
//    [-4095, 0]: DataLoss.
// `message` is one whole message, header included (MessageView::bytes).
absl::Status ErrorFromReply(absl::string_view message, absl::string_view what);

// The status for errno `err` (positive) from the kernel for request `what`,
// with an optional extended-ack text: what ErrorFromReply builds.
absl::Status KernelError(int err, absl::string_view what,
                         absl::string_view extack = {});

// The kernel errno carried by a status from ErrorFromReply/KernelError (and
// so from every Socket and rtnl function), or 0 if it carries none. Lets a
// caller tell EBUSY from EINVAL where the status code alone cannot.
int KernelErrno(const absl::Status& status);

}  // namespace mydocker::netlink

#endif  // MYDOCKER_LIB_NETLINK_MESSAGE_H_
