#include "lib/base/mountinfo.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"

namespace mydocker::base {
namespace {

// The kernel escapes space, tab, newline and backslash as \ooo.
std::string Unescape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' &&
        s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
        s[i + 3] >= '0' && s[i + 3] <= '7') {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 +
                                      (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<MountInfo>> ParseMountInfo(absl::string_view text) {
  std::vector<MountInfo> mounts;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    auto bad = [&] {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed mountinfo line \"", line, "\""));
    };
    // 6 fixed fields, optional ones, "-", then 3 more.
    size_t dash = 6;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (dash + 3 >= f.size()) return bad();
    MountInfo m;
    if (!absl::SimpleAtoi(f[0], &m.id) ||
        !absl::SimpleAtoi(f[1], &m.parent_id)) {
      return bad();
    }
    m.root = Unescape(f[3]);
    m.mount_point = Unescape(f[4]);
    m.options = std::string(f[5]);
    m.optional = absl::StrJoin(f.begin() + 6, f.begin() + dash, " ");
    m.fstype = Unescape(f[dash + 1]);
    m.source = Unescape(f[dash + 2]);
    m.super_options = Unescape(f[dash + 3]);
    mounts.push_back(std::move(m));
  }
  return mounts;
}

absl::StatusOr<std::vector<MountInfo>> ReadMountInfo(absl::string_view pid) {
  ASSIGN_OR_RETURN(
      std::string text,
      base::ReadFile(absl::StrCat("/proc/", pid, "/mountinfo"), 16 << 20));
  return ParseMountInfo(text);
}

}  // namespace mydocker::base
