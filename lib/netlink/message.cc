#include "lib/netlink/message.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"
#include "lib/base/errno_status.h"

namespace mydocker::netlink {
namespace {

// Where the kernel errno rides on a Status.
constexpr absl::string_view kErrnoPayload = "mydocker.netlink/errno";

constexpr size_t kHeaderLen = NLMSG_HDRLEN;
static_assert(kHeaderLen == sizeof(nlmsghdr));

}  // namespace

Message::Message(uint16_t type, uint16_t flags) {
  nlmsghdr h{};
  h.nlmsg_len = sizeof(h);
  h.nlmsg_type = type;
  h.nlmsg_flags = flags;
  bytes_.assign(reinterpret_cast<const char*>(&h), sizeof(h));
}

void Message::AppendRaw(const void* data, size_t len) {
  bytes_.append(static_cast<const char*>(data), len);
  Pad();
}

void Message::Pad() {
  bytes_.resize(NLMSG_ALIGN(bytes_.size()), '\0');
  UpdateLength();
}

void Message::UpdateLength() {
  if (bytes_.size() > std::numeric_limits<uint32_t>::max()) {
    ok_ = false;
    return;
  }
  Write<uint32_t>(offsetof(nlmsghdr, nlmsg_len),
                  static_cast<uint32_t>(bytes_.size()));
}

void Message::Attr(uint16_t type, const void* data, size_t len) {
  if (RTA_LENGTH(len) > std::numeric_limits<uint16_t>::max()) {
    ok_ = false;
    return;
  }
  rtattr a{};
  a.rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
  a.rta_type = type;
  bytes_.append(reinterpret_cast<const char*>(&a), sizeof(a));
  if (len > 0) bytes_.append(static_cast<const char*>(data), len);
  Pad();
}

void Message::AttrString(uint16_t type, absl::string_view value) {
  std::string with_nul(value);
  Attr(type, with_nul.c_str(), with_nul.size() + 1);
}

size_t Message::BeginNested(uint16_t type) {
  size_t token = bytes_.size();
  Attr(type, nullptr, 0);
  return token;
}

void Message::EndNested(size_t token) {
  if (token + sizeof(rtattr) > bytes_.size()) {
    ok_ = false;  // Not a token of ours.
    return;
  }
  size_t len = bytes_.size() - token;
  if (len > std::numeric_limits<uint16_t>::max()) {
    ok_ = false;
    return;
  }
  Write<uint16_t>(token + offsetof(rtattr, rta_len),
                  static_cast<uint16_t>(len));
}

void Message::set_seq(uint32_t seq) {
  Write<uint32_t>(offsetof(nlmsghdr, nlmsg_seq), seq);
}

void Message::set_port(uint32_t port_id) {
  Write<uint32_t>(offsetof(nlmsghdr, nlmsg_pid), port_id);
}

void Message::add_flags(uint16_t flags) {
  Write<uint16_t>(offsetof(nlmsghdr, nlmsg_flags), this->flags() | flags);
}

uint16_t Message::type() const {
  return Read<uint16_t>(offsetof(nlmsghdr, nlmsg_type));
}

uint16_t Message::flags() const {
  return Read<uint16_t>(offsetof(nlmsghdr, nlmsg_flags));
}

uint32_t Message::seq() const {
  return Read<uint32_t>(offsetof(nlmsghdr, nlmsg_seq));
}

void Attributes::Iterator::Load() {
  done_ = true;
  if (rest_.size() < sizeof(rtattr)) return;
  rtattr a;
  std::memcpy(&a, rest_.data(), sizeof(a));
  if (a.rta_len < sizeof(rtattr) || a.rta_len > rest_.size()) return;
  current_.type = a.rta_type & NLA_TYPE_MASK;
  current_.payload = rest_.substr(sizeof(rtattr), a.rta_len - sizeof(rtattr));
  // The last attribute's padding may be missing (the kernel does not cut
  // a buffer short, but a hostile one might).
  step_ = std::min<size_t>(RTA_ALIGN(a.rta_len), rest_.size());
  done_ = false;
}

Attributes::Iterator& Attributes::Iterator::operator++() {
  if (!done_) {
    rest_.remove_prefix(step_);
    Load();
  }
  return *this;
}

std::optional<absl::string_view> Attributes::Find(uint16_t type) const {
  for (const Attribute& a : *this) {
    if (a.type == type) return a.payload;
  }
  return std::nullopt;
}

std::optional<MessageView> ParseMessage(absl::string_view bytes) {
  if (bytes.size() < kHeaderLen) return std::nullopt;
  nlmsghdr h;
  std::memcpy(&h, bytes.data(), sizeof(h));
  if (h.nlmsg_len < kHeaderLen || h.nlmsg_len > bytes.size()) {
    return std::nullopt;
  }
  MessageView v;
  v.type = h.nlmsg_type;
  v.flags = h.nlmsg_flags;
  v.seq = h.nlmsg_seq;
  v.port = h.nlmsg_pid;
  v.bytes = bytes.substr(0, h.nlmsg_len);
  v.payload = v.bytes.substr(kHeaderLen);
  return v;
}

void Messages::Iterator::Load() {
  done_ = true;
  std::optional<MessageView> v = ParseMessage(rest_);
  if (!v) return;
  current_ = *v;
  step_ = std::min<size_t>(NLMSG_ALIGN(v->bytes.size()), rest_.size());
  done_ = false;
}

Messages::Iterator& Messages::Iterator::operator++() {
  if (!done_) {
    rest_.remove_prefix(step_);
    Load();
  }
  return *this;
}

std::optional<uint8_t> AttributeU8(absl::string_view payload) {
  if (payload.size() != 1) return std::nullopt;
  return static_cast<uint8_t>(payload[0]);
}

std::optional<uint32_t> AttributeU32(absl::string_view payload) {
  if (payload.size() != 4) return std::nullopt;
  uint32_t v;
  std::memcpy(&v, payload.data(), 4);
  return v;
}

std::string AttributeString(absl::string_view payload) {
  return std::string(payload.substr(0, payload.find('\0')));
}

absl::Status KernelError(int err, absl::string_view what,
                         absl::string_view extack) {
  absl::Status s = base::ErrnoStatus(err, "netlink: ", what);
  if (!extack.empty()) {
    s = absl::Status(s.code(), absl::StrCat(s.message(), " (", extack, ")"));
  }
  s.SetPayload(kErrnoPayload, absl::Cord(absl::StrCat(err)));
  return s;
}

int KernelErrno(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kErrnoPayload);
  int err = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &err)) return 0;
  return err;
}

absl::Status ErrorFromReply(absl::string_view message, absl::string_view what) {
  std::optional<MessageView> v = ParseMessage(message);
  if (!v) {
    return absl::DataLossError(
        absl::StrCat("netlink: ", what, ": truncated reply"));
  }
  if (v->type != NLMSG_ERROR) return absl::OkStatus();
  std::optional<nlmsgerr> e = ReadFixed<nlmsgerr>(v->payload);
  if (!e) {
    return absl::DataLossError(
        absl::StrCat("netlink: ", what, ": truncated error reply"));
  }
  if (e->error == 0) return absl::OkStatus();
  if (e->error > 0 || e->error < -4095) {
    return absl::DataLossError(absl::StrCat(
        "netlink: ", what, ": error reply with bad errno ", e->error));
  }
  // With NETLINK_EXT_ACK the kernel appends attributes (NLMSGERR_ATTR_*)
  // after the echoed request: after its header alone when NLM_F_CAPPED
  // (NETLINK_CAP_ACK), after the whole request otherwise.
  absl::string_view extack;
  if (v->flags & NLM_F_ACK_TLVS) {
    size_t offset = sizeof(nlmsgerr);
    if (!(v->flags & NLM_F_CAPPED) && e->msg.nlmsg_len > kHeaderLen) {
      offset += e->msg.nlmsg_len - kHeaderLen;
    }
    offset = NLMSG_ALIGN(offset);
    if (offset <= v->payload.size()) {
      Attributes tlvs(v->payload.substr(offset));
      if (std::optional<absl::string_view> text =
              tlvs.Find(NLMSGERR_ATTR_MSG)) {
        extack = *text;
        extack = extack.substr(0, extack.find('\0'));
      }
    }
  }
  return KernelError(-e->error, what, extack);
}

}  // namespace mydocker::netlink
