// Random ids as dockerd makes them.
//
//   ASSIGN_OR_RETURN(std::string id, NewRandomId());  // 64 hex
//   ASSIGN_OR_RETURN(std::string link, NewLinkId());  // "IDZ2V52BCQ..."
#ifndef MYDOCKER_LIB_CONTAINER_IDS_H_
#define MYDOCKER_LIB_CONTAINER_IDS_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::container {

// `n` bytes from getrandom(2). Internal if the kernel refuses.
absl::StatusOr<std::string> RandomBytes(size_t n);

// 64 lower-case hex digits from 32 random bytes, as moby's
// stringid.GenerateRandomID: container ids and mount ids. An id whose
// first 12 characters are all digits is drawn again (its short form would
// read as a number).
absl::StatusOr<std::string> NewRandomId();

// 26 characters of base32 (A-Z, 2-7): overlay2's GenerateID(26), the name of
// a layer's link in overlay2/l/.
absl::StatusOr<std::string> NewLinkId();

// Whether `s` is a full id: exactly 64 lower-case hex digits.
bool IsFullId(absl::string_view s);

}  // namespace mydocker::container

#endif  // MYDOCKER_LIB_CONTAINER_IDS_H_
