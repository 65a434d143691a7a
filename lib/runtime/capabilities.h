// Linux capability names as the OCI spec spells them, and their numbers.
//
//   ASSIGN_OR_RETURN(int last, LastCapability());
//   ASSIGN_OR_RETURN(uint64_t mask, CapabilityMask({"CAP_CHOWN"}, last));
//   // mask == 1 << CAP_CHOWN
#ifndef MYDOCKER_LIB_RUNTIME_CAPABILITIES_H_
#define MYDOCKER_LIB_RUNTIME_CAPABILITIES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::runtime {

// The number of "CAP_CHOWN" ... "CAP_CHECKPOINT_RESTORE". InvalidArgument for
// a name this table does not know.
absl::StatusOr<int> CapabilityNumber(absl::string_view name);

// "CAP_CHOWN" for 0; "CAP_<n>" for a number the table does not know.
std::string CapabilityName(int number);

// The bit mask of `names`. Capabilities above `last_cap` (newer than the
// running kernel) are left out, as runc does: the kernel could not grant
// them anyway. InvalidArgument naming the first unknown name.
absl::StatusOr<uint64_t> CapabilityMask(const std::vector<std::string>& names,
                                        int last_cap);

// The running kernel's highest capability, from
// /proc/sys/kernel/cap_last_cap.
absl::StatusOr<int> LastCapability();

}  // namespace mydocker::runtime

#endif  // MYDOCKER_LIB_RUNTIME_CAPABILITIES_H_
