#include "lib/runtime/capabilities.h"

#include <linux/capability.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"

namespace mydocker::runtime {
namespace {

struct Named {
  const char* name;
  int number;
};

#define MYDOCKER_CAP(x) \
  { "CAP_" #x, CAP_##x }
constexpr Named kCapabilities[] = {
    MYDOCKER_CAP(CHOWN),
    MYDOCKER_CAP(DAC_OVERRIDE),
    MYDOCKER_CAP(DAC_READ_SEARCH),
    MYDOCKER_CAP(FOWNER),
    MYDOCKER_CAP(FSETID),
    MYDOCKER_CAP(KILL),
    MYDOCKER_CAP(SETGID),
    MYDOCKER_CAP(SETUID),
    MYDOCKER_CAP(SETPCAP),
    MYDOCKER_CAP(LINUX_IMMUTABLE),
    MYDOCKER_CAP(NET_BIND_SERVICE),
    MYDOCKER_CAP(NET_BROADCAST),
    MYDOCKER_CAP(NET_ADMIN),
    MYDOCKER_CAP(NET_RAW),
    MYDOCKER_CAP(IPC_LOCK),
    MYDOCKER_CAP(IPC_OWNER),
    MYDOCKER_CAP(SYS_MODULE),
    MYDOCKER_CAP(SYS_RAWIO),
    MYDOCKER_CAP(SYS_CHROOT),
    MYDOCKER_CAP(SYS_PTRACE),
    MYDOCKER_CAP(SYS_PACCT),
    MYDOCKER_CAP(SYS_ADMIN),
    MYDOCKER_CAP(SYS_BOOT),
    MYDOCKER_CAP(SYS_NICE),
    MYDOCKER_CAP(SYS_RESOURCE),
    MYDOCKER_CAP(SYS_TIME),
    MYDOCKER_CAP(SYS_TTY_CONFIG),
    MYDOCKER_CAP(MKNOD),
    MYDOCKER_CAP(LEASE),
    MYDOCKER_CAP(AUDIT_WRITE),
    MYDOCKER_CAP(AUDIT_CONTROL),
    MYDOCKER_CAP(SETFCAP),
    MYDOCKER_CAP(MAC_OVERRIDE),
    MYDOCKER_CAP(MAC_ADMIN),
    MYDOCKER_CAP(SYSLOG),
    MYDOCKER_CAP(WAKE_ALARM),
    MYDOCKER_CAP(BLOCK_SUSPEND),
    MYDOCKER_CAP(AUDIT_READ),
    MYDOCKER_CAP(PERFMON),
    MYDOCKER_CAP(BPF),
    MYDOCKER_CAP(CHECKPOINT_RESTORE),
};
#undef MYDOCKER_CAP

}  // namespace

absl::StatusOr<int> CapabilityNumber(absl::string_view name) {
  for (const Named& c : kCapabilities) {
    if (name == c.name) return c.number;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown capability \"", name, "\""));
}

std::string CapabilityName(int number) {
  for (const Named& c : kCapabilities) {
    if (number == c.number) return c.name;
  }
  return absl::StrCat("CAP_", number);
}

absl::StatusOr<uint64_t> CapabilityMask(const std::vector<std::string>& names,
                                        int last_cap) {
  uint64_t mask = 0;
  for (const std::string& name : names) {
    ASSIGN_OR_RETURN(int number, CapabilityNumber(name));
    if (number <= last_cap && number < 64) mask |= uint64_t{1} << number;
  }
  return mask;
}

absl::StatusOr<int> LastCapability() {
  constexpr char kPath[] = "/proc/sys/kernel/cap_last_cap";
  ASSIGN_OR_RETURN(std::string text, base::ReadFile(kPath, 64));
  int last = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &last) || last < 0 ||
      last > 63) {
    return absl::DataLossError(
        absl::StrCat(kPath, ": not a capability number: \"", text, "\""));
  }
  return last;
}

}  // namespace mydocker::runtime
