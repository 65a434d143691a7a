// spec::Spec <-> config.json (OCI runtime-spec 1.0.2 field names).
//
// ToJson writes the fields in the order of runtime-spec's Go types
// (specs-go/config.go) and leaves out what they mark omitempty, so the
// output reads like what runc and dockerd write. FromJson reads any valid
// config.json, including one `runc spec` made.
//
//   nlohmann::ordered_json j = ToJson(spec);
//   RETURN_IF_ERROR(base::WriteFileAtomic(bundle + "/config.json",
//                                         j.dump(2), 0600));
//   ASSIGN_OR_RETURN(std::string text, base::ReadFile(bundle +
//   "/config.json")); ASSIGN_OR_RETURN(Spec s, FromJson(text));
//
// What the Spec struct does not model (hooks, seccomp, uid/gid mappings,
// apparmor, selinux, blockIO, ...) is ignored when reading, as the
// runtime-spec asks of unknown properties; ToJson never writes it.
#ifndef MYDOCKER_LIB_SPEC_SPEC_JSON_H_
#define MYDOCKER_LIB_SPEC_SPEC_JSON_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/spec/spec.h"
#include "nlohmann/json.hpp"

namespace mydocker::spec {

// config.json files larger than this are refused.
inline constexpr size_t kMaxConfigJsonBytes = 16 << 20;

// The config.json object for `spec`. "process.capabilities" is always
// written, even with every set empty: an absent object would mean "leave
// the capabilities alone" to runc, an empty one means "none". A device
// cgroup rule without major/minor is written without them (any), as the
// spec has it.
nlohmann::ordered_json ToJson(const Spec& spec);

// Parses a config.json. InvalidArgument "config.json: <path>: <problem>"
// (e.g. "config.json: process.user.uid: not a uint32") for malformed JSON,
// a missing "ociVersion", a value of the wrong type or out of range, or an
// unknown namespace/device/rule type or access string. Absent optional
// fields keep the Spec defaults; an absent "process.capabilities" reads as
// no capabilities at all (the safe reading). A device rule's major/minor
// of -1 or absent means any; an absent rule type means "a".
absl::StatusOr<Spec> FromJson(absl::string_view text);

}  // namespace mydocker::spec

#endif  // MYDOCKER_LIB_SPEC_SPEC_JSON_H_
