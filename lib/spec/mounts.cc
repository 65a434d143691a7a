#include "lib/spec/mounts.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace mydocker::spec {
namespace {

const std::set<absl::string_view>& PropagationModes() {
  static const auto* const kModes = new std::set<absl::string_view>{
      "private", "rprivate", "shared", "rshared", "slave", "rslave"};
  return *kModes;
}

// linuxValidMountMode: at most one of each kind of mode.
bool ValidMountMode(absl::string_view mode) {
  if (mode.empty()) return true;
  int rw = 0, label = 0, propagation = 0, copy = 0, consistency = 0;
  for (absl::string_view o : absl::StrSplit(mode, ',')) {
    if (o == "rw" || o == "ro") {
      ++rw;
    } else if (o == "z" || o == "Z") {
      ++label;
    } else if (PropagationModes().count(o)) {
      ++propagation;
    } else if (o == "nocopy") {
      ++copy;
    } else if (o == "consistent" || o == "cached" || o == "delegated") {
      ++consistency;
    } else {
      return false;
    }
  }
  return rw <= 1 && label <= 1 && propagation <= 1 && copy <= 1 &&
         consistency <= 1;
}

// moby's volumeNameRegex for the local driver: [a-zA-Z0-9][a-zA-Z0-9_.-]+.
absl::Status ValidateVolumeName(absl::string_view name) {
  if (name.size() == 1) {
    return absl::InvalidArgumentError(
        "volume name is too short, names should be at least two "
        "alphanumeric characters");
  }
  bool ok = absl::ascii_isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name.substr(1)) {
    ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                c == '_' || c == '.' || c == '-');
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "create ", name, ": \"", name,
        "\" includes invalid characters for a local volume name, only "
        "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass "
        "a host directory, use absolute path"));
  }
  return absl::OkStatus();
}

// The checks every mount target gets. "" if fine, else the reason.
std::string TargetProblem(absl::string_view target) {
  if (target.empty()) return "field Target must not be empty";
  if (CleanPath(target) == "/") {
    return "invalid specification: destination can't be '/'";
  }
  if (target[0] != '/') {
    return absl::StrCat("invalid mount path: '", target,
                        "' mount path must be absolute");
  }
  return "";
}

// The mount flag a tmpfs option sets or clears, as the key under which
// MergeTmpfsOptions lets only the last one through; "" if it is no flag.
absl::string_view TmpfsFlagKey(absl::string_view option) {
  static const auto* const kKeys =
      new std::map<absl::string_view, absl::string_view>{
          {"ro", "rdonly"},
          {"rw", "rdonly"},
          {"suid", "nosuid"},
          {"nosuid", "nosuid"},
          {"dev", "nodev"},
          {"nodev", "nodev"},
          {"exec", "noexec"},
          {"noexec", "noexec"},
          {"sync", "sync"},
          {"async", "sync"},
          {"dirsync", "dirsync"},
          {"remount", "remount"},
          {"mand", "mand"},
          {"nomand", "mand"},
          {"atime", "noatime"},
          {"noatime", "noatime"},
          {"diratime", "nodiratime"},
          {"nodiratime", "nodiratime"},
          {"relatime", "relatime"},
          {"norelatime", "relatime"},
          {"strictatime", "strictatime"},
          {"nostrictatime", "strictatime"},
          // There is only one propagation mode (bind and rbind count as one).
          {"bind", "propagation"},
          {"rbind", "propagation"},
          {"unbindable", "propagation"},
          {"runbindable", "propagation"},
          {"private", "propagation"},
          {"rprivate", "propagation"},
          {"shared", "propagation"},
          {"rshared", "propagation"},
          {"slave", "propagation"},
          {"rslave", "propagation"},
      };
  auto it = kKeys->find(option);
  return it == kKeys->end() ? absl::string_view() : it->second;
}

int Depth(const std::string& destination) {
  std::string clean = CleanPath(destination);
  return static_cast<int>(std::count(clean.begin(), clean.end(), '/'));
}

}  // namespace

std::string CleanPath(absl::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  std::vector<absl::string_view> parts;
  for (absl::string_view p : absl::StrSplit(path, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(p);
      }
      continue;
    }
    parts.push_back(p);
  }
  std::string out = absl::StrJoin(parts, "/");
  if (rooted) return absl::StrCat("/", out);
  return out.empty() ? "." : out;
}

Mount BindMount::ToSpecMount() const {
  Mount m;
  m.destination = destination;
  m.type = "bind";
  m.source = source;
  m.options.push_back(non_recursive ? "bind" : "rbind");
  if (read_only) m.options.push_back("ro");
  if (!propagation.empty()) m.options.push_back(propagation);
  return m;
}

BindMount VolumeSpec::ToBindMount(std::string host_path) const {
  BindMount b;
  b.source = std::move(host_path);
  b.destination = destination;
  b.read_only = read_only;
  b.propagation = propagation.empty() ? "rprivate" : propagation;
  return b;
}

absl::StatusOr<VolumeSpec> ParseVolume(absl::string_view raw) {
  auto invalid_spec = [&](absl::string_view why = "") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid volume specification: '", raw, "'",
                     why.empty() ? "" : ": ", why));
  };
  if (std::count(raw.begin(), raw.end(), ':') > 2) return invalid_spec();
  std::vector<absl::string_view> arr = absl::StrSplit(raw, ':');
  if (arr[0].empty()) return invalid_spec();

  VolumeSpec v;
  absl::string_view source, target;
  switch (arr.size()) {
    case 1:
      target = arr[0];
      break;
    case 2:
      // "/foo:rw" is a destination with a mode, which a volume cannot have.
      if (ValidMountMode(arr[1])) return invalid_spec();
      source = arr[0];
      target = arr[1];
      break;
    default:
      source = arr[0];
      target = arr[1];
      v.mode = std::string(arr[2]);
      break;
  }
  if (!ValidMountMode(v.mode)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid mode: ", v.mode));
  }
  v.kind = source.empty()                  ? VolumeKind::kAnonymous
           : absl::StartsWith(source, "/") ? VolumeKind::kBind
                                           : VolumeKind::kNamed;
  for (absl::string_view o : absl::StrSplit(v.mode, ',')) {
    if (o == "ro") v.read_only = true;
    if (o == "nocopy") v.no_copy = true;
    if (PropagationModes().count(o)) v.propagation = std::string(o);
  }

  const char* type = v.kind == VolumeKind::kBind ? "bind" : "volume";
  auto config_error = [&](absl::string_view why) {
    return invalid_spec(
        absl::StrCat("invalid mount config for type \"", type, "\": ", why));
  };
  if (std::string problem = TargetProblem(target); !problem.empty()) {
    return config_error(problem);
  }
  if (v.kind == VolumeKind::kBind && v.no_copy) {
    return config_error("field VolumeOptions must not be specified");
  }
  if (v.kind != VolumeKind::kBind && !v.propagation.empty()) {
    return config_error("field BindOptions must not be specified");
  }
  v.destination = CleanPath(target);
  if (v.kind == VolumeKind::kBind) {
    v.source = CleanPath(source);
  } else if (v.kind == VolumeKind::kNamed) {
    absl::Status name_ok = ValidateVolumeName(source);
    if (!name_ok.ok()) return name_ok;
    v.source = std::string(source);
  }
  return v;
}

absl::StatusOr<Mount> TmpfsMount::ToSpecMount() const {
  std::vector<std::string> options = {"noexec", "nosuid", "nodev", "rprivate"};
  if (!data.empty()) {
    for (absl::string_view o : absl::StrSplit(data, ',')) {
      options.emplace_back(o);
    }
  }
  absl::StatusOr<std::vector<std::string>> merged = MergeTmpfsOptions(options);
  if (!merged.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tmpfs ", destination, ": ", merged.status().message()));
  }
  Mount m;
  m.destination = destination;
  m.type = "tmpfs";
  m.source = "tmpfs";
  m.options = *std::move(merged);
  return m;
}

absl::StatusOr<TmpfsMount> ParseTmpfs(absl::string_view value) {
  TmpfsMount t;
  absl::string_view dest = value;
  if (size_t colon = value.find(':'); colon != absl::string_view::npos) {
    dest = value.substr(0, colon);
    t.data = std::string(value.substr(colon + 1));
  }
  if (std::string problem = TargetProblem(dest); !problem.empty()) {
    return absl::InvalidArgumentError(problem);
  }
  t.destination = CleanPath(dest);
  return t;
}

absl::StatusOr<std::vector<std::string>> MergeTmpfsOptions(
    const std::vector<std::string>& options) {
  static const auto* const kDataKeys = new std::set<absl::string_view>{
      "size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"};
  std::set<std::string> seen_flags, seen_data;
  std::vector<std::string> reversed;
  for (auto it = options.rbegin(); it != options.rend(); ++it) {
    const std::string& option = *it;
    if (option == "defaults") continue;
    if (absl::string_view key = TmpfsFlagKey(option); !key.empty()) {
      if (seen_flags.insert(std::string(key)).second)
        reversed.push_back(option);
      continue;
    }
    size_t eq = option.find('=');
    absl::string_view key = absl::string_view(option).substr(0, eq);
    if (eq == std::string::npos || !kDataKeys->count(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Invalid tmpfs option \"", option, "\""));
    }
    if (seen_data.insert(std::string(key)).second) reversed.push_back(option);
  }
  return std::vector<std::string>(reversed.rbegin(), reversed.rend());
}

void SortMountsByDepth(std::vector<Mount>& mounts) {
  std::stable_sort(mounts.begin(), mounts.end(),
                   [](const Mount& a, const Mount& b) {
                     return Depth(a.destination) < Depth(b.destination);
                   });
}

}  // namespace mydocker::spec
