#include "lib/base/random_id.h"

#include <errno.h>
#include <sys/random.h>

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "lib/base/errno_status.h"
#include "lib/base/status_macros.h"

namespace mydocker::base {

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  size_t have = 0;
  while (have < n) {
    ssize_t got = getrandom(out.data() + have, n - have, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "getrandom");
    }
    have += static_cast<size_t>(got);
  }
  return out;
}

absl::StatusOr<std::string> RandomHexId() {
  for (;;) {
    ASSIGN_OR_RETURN(std::string raw, RandomBytes(32));
    std::string id = absl::BytesToHexString(raw);
    bool numeric = true;
    for (int i = 0; i < 12; ++i) {
      numeric = numeric && absl::ascii_isdigit(id[i]);
    }
    if (!numeric) return id;
  }
}

absl::StatusOr<std::string> RandomLinkId() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  ASSIGN_OR_RETURN(std::string raw, RandomBytes(17));
  std::string out;
  uint64_t acc = 0;
  int bits = 0;
  for (unsigned char c : raw) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 5 && out.size() < 26) {
      out.push_back(kAlphabet[(acc >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  return out;
}

}  // namespace mydocker::base
