// Test helpers for code that touches real cgroups. testonly.
//
// tools/bazel runs Bazel, and so every test, under `ip netns exec`, which
// puts the process in a new mount namespace with a fresh sysfs on /sys: the
// cgroup hierarchies are not mounted at /sys/fs/cgroup there. A test that
// needs them calls MountHostCgroups() first; it mounts the same hierarchies
// the host (pid 1) has, at the same places, in a mount namespace private to
// the test process, so nothing outlives the test.
//
//   TEST(CgroupTest, X) {
//     ASSERT_EQ(geteuid(), 0u) << "needs root";
//     ASSERT_TRUE(testing::MountHostCgroups().ok());
//     absl::StatusOr<Layout> layout = Detect();
//     const std::string path = testing::UniqueTestPath();
#ifndef MYDOCKER_LIB_CGROUP_TESTING_H_
#define MYDOCKER_LIB_CGROUP_TESTING_H_

#include <string>

#include "absl/status/status.h"

namespace mydocker::cgroup::testing {

// OK at once if this process already sees cgroups at /sys/fs/cgroup.
// Otherwise (root only) unshares the mount namespace of the calling thread,
// which must be the only one, and mounts what /proc/1/mountinfo shows under
// /sys/fs/cgroup: a tmpfs with each v1 hierarchy (the same hierarchy: a v1
// mount with the same controllers joins the existing one) and any cgroup2
// mount, or the cgroup2 root. Errors name the mount that failed.
absl::Status MountHostCgroups();

// A cgroup path no other test run uses: "/mydocker-test-<pid>-<nanoseconds>".
std::string UniqueTestPath();

}  // namespace mydocker::cgroup::testing

#endif  // MYDOCKER_LIB_CGROUP_TESTING_H_
