#include "lib/container/ids.h"

#include "lib/base/random_id.h"

#include <errno.h>
#include <sys/random.h>

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "lib/base/errno_status.h"
#include "lib/base/status_macros.h"

namespace mydocker::container {

absl::StatusOr<std::string> RandomBytes(size_t n) { return base::RandomBytes(n); }

absl::StatusOr<std::string> NewRandomId() { return base::RandomHexId(); }

absl::StatusOr<std::string> NewLinkId() { return base::RandomLinkId(); }

bool IsFullId(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

}  // namespace mydocker::container
