#include "lib/archive/entry_name.h"

#include <limits.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/status_macros.h"

namespace mydocker::archive {
namespace {

// Splits a relative path into its components, dropping "." and empty ones.
// Checks only what holds for every name: not empty, relative, no NUL, no
// "..", lengths the kernel would refuse anyway (refusing them here keeps the
// message about the entry, and bounds how deep a layer can nest directories).
absl::StatusOr<std::vector<std::string>> SplitChecked(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("empty name");
  if (name.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("NUL byte in name");
  }
  if (name.front() == '/') {
    return absl::InvalidArgumentError(
        "absolute name (layer paths are relative to the layer root)");
  }
  std::vector<std::string> components;
  size_t total = 0;
  for (absl::string_view c : absl::StrSplit(name, '/')) {
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      return absl::InvalidArgumentError(
          "\"..\" component (a layer may only write below its root)");
    }
    if (c.size() > NAME_MAX) {
      return absl::InvalidArgumentError(
          absl::StrCat("component longer than ", NAME_MAX, " bytes"));
    }
    total += c.size() + 1;
    if (total >= PATH_MAX) {
      return absl::InvalidArgumentError(
          absl::StrCat("name of ", PATH_MAX, " bytes or more"));
    }
    components.emplace_back(c);
  }
  return components;
}

}  // namespace

absl::StatusOr<EntryName> ParseEntryName(absl::string_view name) {
  EntryName parsed;
  ASSIGN_OR_RETURN(parsed.components, SplitChecked(name));
  std::vector<std::string>& c = parsed.components;
  if (c.empty()) {
    parsed.kind = NameKind::kRoot;
    return parsed;
  }
  // Directories above the last component.
  for (size_t i = 0; i + 1 < c.size(); ++i) {
    if (absl::StartsWith(c[i], kWhiteoutMetaPrefix)) {
      parsed.kind = NameKind::kAufsMeta;
      return parsed;
    }
    if (absl::StartsWith(c[i], kWhiteoutPrefix)) {
      return absl::InvalidArgumentError(
          absl::StrCat("whiteout marker \"", c[i], "\" used as a directory"));
    }
  }
  std::string& last = c.back();
  if (last == kWhiteoutOpaque) {
    parsed.kind = NameKind::kOpaque;
    c.pop_back();
    return parsed;
  }
  if (absl::StartsWith(last, kWhiteoutMetaPrefix)) {
    parsed.kind = NameKind::kAufsMeta;
    return parsed;
  }
  if (absl::StartsWith(last, kWhiteoutPrefix)) {
    std::string target = last.substr(kWhiteoutPrefix.size());
    if (target.empty() || target == "." || target == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("whiteout \"", last, "\" names no file"));
    }
    parsed.kind = NameKind::kWhiteout;
    last = std::move(target);
    return parsed;
  }
  parsed.kind = NameKind::kPath;
  return parsed;
}

absl::StatusOr<std::vector<std::string>> ParseHardlinkTarget(
    absl::string_view linkname) {
  ASSIGN_OR_RETURN(std::vector<std::string> c, SplitChecked(linkname));
  if (c.empty()) {
    return absl::InvalidArgumentError("hardlink target is the layer root");
  }
  return c;
}

std::string JoinComponents(const std::vector<std::string>& components) {
  if (components.empty()) return ".";
  return absl::StrJoin(components, "/");
}

}  // namespace mydocker::archive
