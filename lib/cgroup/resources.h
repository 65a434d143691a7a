// How a spec::Resources becomes the values written into cgroupfs files, for
// cgroup v1 and v2, with runc's semantics (which is what Docker users see):
//
//   spec                     v1 file                       v2 file
//   memory.limit             memory.limit_in_bytes         memory.max
//   memory.swap (mem+swap)   memory.memsw.limit_in_bytes   memory.swap.max
//                                                          (= swap - limit)
//   memory.reservation       memory.soft_limit_in_bytes    memory.low
//   memory.disable_oom_killer memory.oom_control           (none)
//   cpu.shares               cpu.shares                    cpu.weight
//   cpu.quota, cpu.period    cpu.cfs_quota_us, _period_us  cpu.max
//   cpu.cpus, cpu.mems       cpuset.cpus, cpuset.mems      cpuset.cpus, .mems
//   pids.limit               pids.max                      pids.max
//   devices                  devices.deny, devices.allow   a BPF program
//
// As in runc, a memory or cpu field that is 0 means "not set"; -1 means
// unlimited. Everything here is pure; Cgroup (cgroup.h) does the writing.
//
//   RETURN_IF_ERROR(ValidateResources(resources));
//   Write("cpu.weight", absl::StrCat(CpuWeightFromShares(*cpu.shares)));
#ifndef MYDOCKER_LIB_CGROUP_RESOURCES_H_
#define MYDOCKER_LIB_CGROUP_RESOURCES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/spec/spec.h"

namespace mydocker::cgroup {

// The most device rules one Resources may carry; far above Docker's
// default list (about a dozen), low enough to keep the v2 program's jumps
// within their 16-bit offsets.
inline constexpr size_t kMaxDeviceRules = 1024;

// Checks what any cgroup version would reject, before anything is written,
// so a bad request changes nothing: a memory or cpu quota value below -1; a
// finite swap without a finite memory limit, or below it; cpus/mems that are
// not a list of numbers and ranges; a device rule whose type is not "a", "b"
// or "c", whose access has a letter other than r, w, m, or whose major or
// minor is negative or above INT32_MAX; more than kMaxDeviceRules rules.
// InvalidArgument naming the field otherwise.
absl::Status ValidateResources(const spec::Resources& r);

// `v` unless it is unset or 0, which runc (and so Docker) treat as "leave
// alone".
std::optional<int64_t> SetValue(const std::optional<int64_t>& v);
std::optional<uint64_t> SetValue(const std::optional<uint64_t>& v);

// The line that cgroup v1's devices.allow / devices.deny take for a rule
// ValidateResources accepted: "a" (the kernel ignores the rest of an "a"
// rule), "c 1:3 rwm", "b *:* m". An empty access means "rwm".
std::string V1DeviceRule(const spec::DeviceCgroupRule& rule);

// The rule's access letters, "rwm" when empty.
std::string DeviceAccess(const spec::DeviceCgroupRule& rule);

// cpu.weight (v2, 1..10000) for cpu.shares (v1, 2..262144) by the linear map
// runc and crun use: 1 + (shares - 2) * 9999 / 262142. Shares outside the
// range are clamped into it first, as the v1 kernel clamps what it is given.
uint64_t CpuWeightFromShares(uint64_t shares);

// memory.swap.max for the spec's memory+swap value `swap` (non-zero) and
// memory limit `limit`: "max" when swap is -1, else swap - limit.
// InvalidArgument if a finite swap comes without a finite limit or below it.
absl::StatusOr<std::string> V2SwapMax(std::optional<int64_t> limit,
                                      int64_t swap);

// The new content of cpu.max ("$QUOTA $PERIOD", quota "max" when unlimited)
// for a non-zero quota and/or period. A field not given keeps its value from
// `current`, the file's present content ("max 100000" on a fresh cgroup), so
// that updating the period alone keeps the quota.
std::string V2CpuMax(std::optional<int64_t> quota,
                     std::optional<uint64_t> period, absl::string_view current);

// A v2 limit value: "max" for a negative (unlimited) value, else the number.
std::string V2Limit(int64_t v);

}  // namespace mydocker::cgroup

#endif  // MYDOCKER_LIB_CGROUP_RESOURCES_H_
