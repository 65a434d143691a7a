// Device access control for cgroup v2.
//
// cgroup v2 has no devices controller. Instead, a BPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup is asked about every
// mknod and every open of a device node by a process in it (or below it), and
// returns 1 to allow or 0 to deny (EPERM). This file turns an OCI device rule
// list into such a program, hand-assembled (no clang, no libbpf), and puts it
// in place with the bpf(2) syscall.
//
// Semantics, the same as cgroup v1's devices.allow/deny written in order:
// rules are read in order and for each access (mknod, read, write) the last
// rule that matches the device and names that access decides; an "a" rule
// matches every device and every access, as v1 treats it; with no matching
// rule the access is allowed (a fresh v1 cgroup allows everything). A
// request for several accesses (open O_RDWR asks for read and write) is
// allowed only if each of them is. Docker's lists start with "deny a", so
// they allow exactly what follows.
//
//   RETURN_IF_ERROR(SetDeviceFilter("/sys/fs/cgroup/mydocker/<id>", rules));
//
// The program also works on a hybrid host's cgroup2 mount, which has no
// controllers but runs attached device programs all the same; the tests use
// that.
#ifndef MYDOCKER_LIB_CGROUP_DEVICE_FILTER_H_
#define MYDOCKER_LIB_CGROUP_DEVICE_FILTER_H_

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/base/unique_fd.h"
#include "lib/spec/spec.h"

namespace mydocker::cgroup {

// The program for `rules`, which ValidateResources (resources.h) accepted.
// Pure: builds instructions, loads nothing. The program runs one decision
// chain per access bit (mknod, read, write) that the request
// (struct bpf_cgroup_dev_ctx) asks for; it has no loops and no dead code,
// and the verifier's work grows linearly with the rules.
std::vector<bpf_insn> DeviceFilterProgram(
    const std::vector<spec::DeviceCgroupRule>& rules);

// Loads DeviceFilterProgram(rules) into the kernel and returns the program's
// fd. Needs CAP_SYS_ADMIN (CAP_BPF); on a verifier refusal the error carries
// the tail of the verifier's log.
absl::StatusOr<base::UniqueFd> LoadDeviceFilter(
    const std::vector<spec::DeviceCgroupRule>& rules);

// Makes `rules` the device policy of the cgroup2 directory `dir`: loads the
// program, attaches it with BPF_F_ALLOW_MULTI (as systemd and runc do, so a
// parent's policy keeps applying and a child may add its own), then detaches
// every other device program attached directly to `dir`. Between the two
// steps both programs run and each must allow, so the policy never widens
// beyond either one. An empty `rules` detaches all (no restriction). The
// attachment lives as long as the cgroup; no fd needs to stay open.
absl::Status SetDeviceFilter(const std::string& dir,
                             const std::vector<spec::DeviceCgroupRule>& rules);

// The ids of the device programs attached directly to the cgroup2 directory
// `dir` (not inherited from its parents), in the order they run.
absl::StatusOr<std::vector<uint32_t>> AttachedDeviceFilters(
    const std::string& dir);

}  // namespace mydocker::cgroup

#endif  // MYDOCKER_LIB_CGROUP_DEVICE_FILTER_H_
