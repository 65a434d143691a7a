#include "lib/cgroup/resources.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mydocker::cgroup {
namespace {

constexpr uint64_t kMinShares = 2;
constexpr uint64_t kMaxShares = 262144;
constexpr uint64_t kMaxWeight = 10000;
constexpr char kDefaultCpuPeriod[] = "100000";

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("resources: ", field, ": ", why));
}

absl::Status CheckUnlimitedOrPositive(absl::string_view field,
                                      const std::optional<int64_t>& v) {
  if (v.has_value() && *v < -1) {
    return Invalid(field, absl::StrCat(*v,
                                       " is neither -1 (unlimited) nor "
                                       "a positive value"));
  }
  return absl::OkStatus();
}

// A cpuset list: "0-3,8,10-11". The kernel parses it; this only keeps
// characters out that would change what a write means (a newline, a space).
absl::Status CheckCpuList(absl::string_view field, absl::string_view list) {
  for (char c : list) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != ',' &&
        c != '-') {
      return Invalid(field, absl::StrCat("\"", list,
                                         "\" is not a list of numbers and "
                                         "ranges such as 0-3,8"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDeviceRule(size_t i, const spec::DeviceCgroupRule& rule) {
  const std::string field = absl::StrCat("devices[", i, "]");
  if (rule.type != "a" && rule.type != "b" && rule.type != "c") {
    return Invalid(
        field, absl::StrCat("type \"", rule.type, "\" is not one of a, b, c"));
  }
  for (char c : rule.access) {
    if (c != 'r' && c != 'w' && c != 'm') {
      return Invalid(field, absl::StrCat("access \"", rule.access,
                                         "\" has a letter other than r, w, m"));
    }
  }
  for (const auto& [name, v] :
       {std::pair<const char*, std::optional<int64_t>>{"major", rule.major},
        {"minor", rule.minor}}) {
    if (v.has_value() && (*v < 0 || *v > INT32_MAX)) {
      return Invalid(field, absl::StrCat(name, " ", *v, " is out of range"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateResources(const spec::Resources& r) {
  if (r.memory.has_value()) {
    const spec::Memory& m = *r.memory;
    if (absl::Status s = CheckUnlimitedOrPositive("memory.limit", m.limit);
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            CheckUnlimitedOrPositive("memory.reservation", m.reservation);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckUnlimitedOrPositive("memory.swap", m.swap);
        !s.ok()) {
      return s;
    }
    if (std::optional<int64_t> swap = SetValue(m.swap); swap.has_value()) {
      if (absl::StatusOr<std::string> v = V2SwapMax(SetValue(m.limit), *swap);
          !v.ok()) {
        return v.status();
      }
    }
  }
  if (r.cpu.has_value()) {
    const spec::Cpu& c = *r.cpu;
    if (absl::Status s = CheckUnlimitedOrPositive("cpu.quota", c.quota);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckCpuList("cpu.cpus", c.cpus); !s.ok()) return s;
    if (absl::Status s = CheckCpuList("cpu.mems", c.mems); !s.ok()) return s;
  }
  if (r.devices.size() > kMaxDeviceRules) {
    return Invalid("devices", absl::StrCat(r.devices.size(),
                                           " rules, more than the limit of ",
                                           kMaxDeviceRules));
  }
  for (size_t i = 0; i < r.devices.size(); ++i) {
    if (absl::Status s = CheckDeviceRule(i, r.devices[i]); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::optional<int64_t> SetValue(const std::optional<int64_t>& v) {
  if (!v.has_value() || *v == 0) return std::nullopt;
  return v;
}

std::optional<uint64_t> SetValue(const std::optional<uint64_t>& v) {
  if (!v.has_value() || *v == 0) return std::nullopt;
  return v;
}

std::string DeviceAccess(const spec::DeviceCgroupRule& rule) {
  return rule.access.empty() ? "rwm" : rule.access;
}

std::string V1DeviceRule(const spec::DeviceCgroupRule& rule) {
  if (rule.type == "a") return "a";
  auto num = [](const std::optional<int64_t>& v) {
    return v.has_value() ? absl::StrCat(*v) : std::string("*");
  };
  return absl::StrCat(rule.type, " ", num(rule.major), ":", num(rule.minor),
                      " ", DeviceAccess(rule));
}

uint64_t CpuWeightFromShares(uint64_t shares) {
  shares = std::clamp(shares, kMinShares, kMaxShares);
  return 1 +
         (shares - kMinShares) * (kMaxWeight - 1) / (kMaxShares - kMinShares);
}

absl::StatusOr<std::string> V2SwapMax(std::optional<int64_t> limit,
                                      int64_t swap) {
  if (swap == -1) return std::string("max");
  if (swap < 0) {
    return Invalid("memory.swap", absl::StrCat(swap, " is not valid"));
  }
  if (!limit.has_value() || *limit < 0) {
    return Invalid("memory.swap",
                   "a swap limit needs a memory limit in the same request");
  }
  if (swap < *limit) {
    return Invalid("memory.swap",
                   absl::StrCat("memory+swap ", swap,
                                " is below the memory limit ", *limit));
  }
  return absl::StrCat(swap - *limit);
}

std::string V2CpuMax(std::optional<int64_t> quota,
                     std::optional<uint64_t> period,
                     absl::string_view current) {
  std::vector<absl::string_view> cur = absl::StrSplit(
      absl::StripAsciiWhitespace(current), ' ', absl::SkipEmpty());
  std::string q = cur.size() >= 1 ? std::string(cur[0]) : "max";
  std::string p = cur.size() >= 2 ? std::string(cur[1]) : kDefaultCpuPeriod;
  if (quota.has_value()) q = V2Limit(*quota);
  if (period.has_value()) p = absl::StrCat(*period);
  return absl::StrCat(q, " ", p);
}

std::string V2Limit(int64_t v) {
  return v < 0 ? std::string("max") : absl::StrCat(v);
}

}  // namespace mydocker::cgroup
