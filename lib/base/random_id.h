// Random identifiers as dockerd makes them.
//
//   ASSIGN_OR_RETURN(std::string id, RandomHexId());    // container ids, cache ids
//   ASSIGN_OR_RETURN(std::string link, RandomLinkId()); // overlay2/l/ names
#ifndef MYDOCKER_LIB_BASE_RANDOM_ID_H_
#define MYDOCKER_LIB_BASE_RANDOM_ID_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace mydocker::base {

// `n` bytes from getrandom(2).
absl::StatusOr<std::string> RandomBytes(size_t n);

// 64 lower-case hex characters, as stringid.GenerateRandomID: an id whose
// first 12 characters are all digits is drawn again (it would read as a
// number where a short id is expected).
absl::StatusOr<std::string> RandomHexId();

// 26 characters of base32 (A-Z, 2-7), as overlay2's GenerateID(26).
absl::StatusOr<std::string> RandomLinkId();

}  // namespace mydocker::base

#endif  // MYDOCKER_LIB_BASE_RANDOM_ID_H_
