// Docker's --cap-add / --cap-drop / --privileged rules (moby
// oci/caps/utils.go, v20.10): which capabilities a container's process
// gets.
//
//   ASSIGN_OR_RETURN(std::vector<std::string> caps,
//                    TweakCapabilities({"net_admin"}, {"CAP_MKNOD"},
//                                      /*privileged=*/false, last_cap));
//   // Docker's 14 defaults without CAP_MKNOD, then CAP_NET_ADMIN.
#ifndef MYDOCKER_LIB_SPEC_CAPS_H_
#define MYDOCKER_LIB_SPEC_CAPS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::spec {

// Upper-cases each name and adds the "CAP_" prefix if missing; "ALL" (any
// case) stays "ALL". `field` names the flag in errors ("CapAdd"):
// InvalidArgument `invalid CapAdd: unknown capability: "CAP_FOO"` for a
// name not in AllCapabilities(last_cap).
absl::StatusOr<std::vector<std::string>> NormalizeCapabilities(
    const std::vector<std::string>& names, int last_cap,
    absl::string_view field);

// The capability set of a container:
//  - privileged: every capability the kernel has (adds and drops are
//    still validated, then ignored, as dockerd does);
//  - "ALL" added: every capability except the dropped ones;
//  - "ALL" dropped: exactly the added ones;
//  - otherwise Docker's 14 defaults minus the dropped, then the added.
// The result has no duplicates and keeps first-seen order.
// NormalizeCapabilities' errors.
absl::StatusOr<std::vector<std::string>> TweakCapabilities(
    const std::vector<std::string>& add, const std::vector<std::string>& drop,
    bool privileged, int last_cap);

}  // namespace mydocker::spec

#endif  // MYDOCKER_LIB_SPEC_CAPS_H_
