// The steps the container's first process takes between clone3() and
// execve(). A child that fails reports {step, errno, index} to the parent,
// which names the step (and the mount or path at `index`) in its Status.
//
//   if (std::optional<StartFailure> f = GetStartFailure(status);
//       f && f->step == Step::kExec) {
//     exit_code = f->err == ENOENT ? 127 : 126;  // Docker's convention
//   }
#ifndef MYDOCKER_LIB_RUNTIME_STEP_H_
#define MYDOCKER_LIB_RUNTIME_STEP_H_

#include <cstdint>

namespace mydocker::runtime {

// In the order the child runs them (child.cc). The values cross the
// parent/child socket, so they are fixed.
enum class Step : int32_t {
  kReady = 0,          // Not a failure: "in my namespaces, waiting for go".
  kPdeathsig = 1,      // prctl(PR_SET_PDEATHSIG)
  kSetns = 2,          // setns() into a namespace given by path
  kUnshareCgroup = 3,  // unshare(CLONE_NEWCGROUP), after on_created
  kSetsid = 4,
  kConsole = 5,  // TIOCSCTTY on the console
  kStdio = 6,    // dup3() onto 0-2
  kRootPropagation = 7,
  kRootBind = 8,       // bind the rootfs onto itself
  kMount = 9,          // spec.mounts[index]
  kMountOnProc = 10,   // spec.mounts[index] resolved to a place inside procfs
  kMountRemount = 11,  // the MS_REMOUNT pass of spec.mounts[index]
  kMountPropagation = 12,
  kCgroupMount = 13,   // the cgroup view's entry `index` (see cgroup_view.h)
  kDevice = 14,        // device node `index` (spec.linux.devices + defaults)
  kDevSymlink = 15,    // /dev symlink `index`
  kConsoleMount = 16,  // bind the console onto /dev/console
  kPivotRoot = 17,
  kReadonlyRoot = 18,
  kHostname = 19,
  kSysctl = 20,  // sysctl `index`, in key order
  kReadonlyPath = 21,
  kMaskPath = 22,
  kNoNewPrivs = 23,
  kRlimit = 24,
  kCloseFds = 25,
  kChdir = 26,
  kCwdOutsideRoot = 27,  // chdir() succeeded but the cwd is not under "/"
  kCapBounding = 28,     // index: the capability number
  kKeepCaps = 29,
  kSetgroups = 30,
  kSetgid = 31,
  kSetuid = 32,
  kCapset = 33,
  kCapAmbient = 34,  // index: the capability number
  kExec = 35,
  kProtocol = 36,  // the parent's go message was malformed
  kConsoleAlloc = 37,  // a pty from the container's devpts, sent to the caller
  kCgroupJoin = 38,    // write "0" to cgroup v1 `tasks` file `index`
};

// A short lower-case name: "mount", "pivot_root", "exec".
const char* StepName(Step step);

}  // namespace mydocker::runtime

#endif  // MYDOCKER_LIB_RUNTIME_STEP_H_
