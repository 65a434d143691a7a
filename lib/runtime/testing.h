// Test helpers for the tests that run real containers (needs root): a
// rootfs holding the static :probe, Docker-like specs, and the probe's
// report parsed. testonly.
//
//   ASSERT_TRUE(testing::MakeProbeRootfs(dir + "/rootfs").ok());
//   spec::Spec s = testing::DefaultSpec(dir + "/rootfs");
//   s.process.args = {"/bin/probe", "report"};
//   ... run it, collect stdout ...
//   testing::Output o(out);
//   EXPECT_EQ(o.Get("uid"), "0 0 0");
#ifndef MYDOCKER_LIB_RUNTIME_TESTING_H_
#define MYDOCKER_LIB_RUNTIME_TESTING_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/runtime/mountinfo.h"
#include "lib/spec/spec.h"

namespace mydocker::runtime::testing {

// A file of the test's runfiles: "lib/runtime/probe_static".
std::string Runfile(absl::string_view relative);

// The whole file, or "" if it cannot be read.
std::string ReadAll(const std::string& path);

// readlink(2), or "".
std::string Link(const std::string& path);

// Makes `rootfs` (which must not exist) with /bin/probe (the static probe),
// /bin/notexec and /noexec/probe (the probe without the x bits), empty
// /proc, /sys, /dev, /tmp, /etc (with etc/file), /home/user (owned by
// 1000:1000).
absl::Status MakeProbeRootfs(const std::string& rootfs);

// Docker's defaults for a container on `rootfs`, less the seccomp and
// AppArmor parts: /proc, /dev, /dev/pts, /sys, /sys/fs/cgroup, mqueue, shm,
// masked and readonly paths; pid, network, mount, ipc and uts namespaces;
// hostname "box"; runs "/bin/probe report" as root with no capabilities.
spec::Spec DefaultSpec(const std::string& rootfs);

// Everything from the fds `a` (returned) and `b` (into *b_text) until both
// reach EOF.
std::string Drain(int a, int b, std::string* b_text);

// What the probe printed, by first word.
class Output {
 public:
  explicit Output(const std::string& text);
  // The rest of the first line whose first word is `key`.
  std::string Get(absl::string_view key) const;
  std::vector<std::string> All(absl::string_view key) const;
  // The container's mounts, by mount point (the last one wins).
  std::map<std::string, MountInfo> Mounts() const;

 private:
  std::vector<std::pair<std::string, std::string>> lines_;
};

}  // namespace mydocker::runtime::testing

#endif  // MYDOCKER_LIB_RUNTIME_TESTING_H_
