#include "lib/spec/caps.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/spec/docker_defaults.h"

namespace mydocker::spec {
namespace {

constexpr char kAll[] = "ALL";

bool Contains(const std::vector<std::string>& v, absl::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::vector<std::string> Dedup(const std::vector<std::string>& in) {
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (const std::string& s : in) {
    if (seen.insert(s).second) out.push_back(s);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> NormalizeCapabilities(
    const std::vector<std::string>& names, int last_cap,
    absl::string_view field) {
  const std::vector<std::string> valid = AllCapabilities(last_cap);
  std::vector<std::string> out;
  out.reserve(names.size());
  for (const std::string& name : names) {
    std::string c = absl::AsciiStrToUpper(name);
    if (c == kAll) {
      out.push_back(std::move(c));
      continue;
    }
    if (!absl::StartsWith(c, "CAP_")) c = absl::StrCat("CAP_", c);
    if (!Contains(valid, c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid ", field, ": unknown capability: \"", c, "\""));
    }
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> TweakCapabilities(
    const std::vector<std::string>& add, const std::vector<std::string>& drop,
    bool privileged, int last_cap) {
  ASSIGN_OR_RETURN(std::vector<std::string> cap_add,
                   NormalizeCapabilities(add, last_cap, "CapAdd"));
  ASSIGN_OR_RETURN(std::vector<std::string> cap_drop,
                   NormalizeCapabilities(drop, last_cap, "CapDrop"));
  if (privileged) return AllCapabilities(last_cap);

  std::vector<std::string> caps;
  if (Contains(cap_add, kAll)) {
    for (const std::string& c : AllCapabilities(last_cap)) {
      if (!Contains(cap_drop, c)) caps.push_back(c);
    }
  } else if (Contains(cap_drop, kAll)) {
    caps = std::move(cap_add);
  } else {
    for (const std::string& c : DefaultCapabilities()) {
      if (!Contains(cap_drop, c)) caps.push_back(c);
    }
    caps.insert(caps.end(), cap_add.begin(), cap_add.end());
  }
  return Dedup(caps);
}

}  // namespace mydocker::spec
