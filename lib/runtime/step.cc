#include "lib/runtime/step.h"

namespace mydocker::runtime {

const char* StepName(Step step) {
  switch (step) {
    case Step::kReady:
      return "ready";
    case Step::kPdeathsig:
      return "prctl(PR_SET_PDEATHSIG)";
    case Step::kSetns:
      return "setns";
    case Step::kUnshareCgroup:
      return "unshare(CLONE_NEWCGROUP)";
    case Step::kSetsid:
      return "setsid";
    case Step::kConsole:
      return "ioctl(TIOCSCTTY)";
    case Step::kStdio:
      return "dup3";
    case Step::kRootPropagation:
      return "root propagation";
    case Step::kRootBind:
      return "bind rootfs";
    case Step::kMount:
      return "mount";
    case Step::kMountOnProc:
      return "mount";
    case Step::kMountRemount:
      return "remount";
    case Step::kMountPropagation:
      return "mount propagation";
    case Step::kCgroupMount:
      return "cgroup mount";
    case Step::kDevice:
      return "mknod";
    case Step::kDevSymlink:
      return "symlink";
    case Step::kConsoleMount:
      return "mount console";
    case Step::kPivotRoot:
      return "pivot_root";
    case Step::kReadonlyRoot:
      return "remount root read-only";
    case Step::kHostname:
      return "sethostname";
    case Step::kSysctl:
      return "sysctl";
    case Step::kReadonlyPath:
      return "readonly path";
    case Step::kMaskPath:
      return "mask path";
    case Step::kNoNewPrivs:
      return "prctl(PR_SET_NO_NEW_PRIVS)";
    case Step::kRlimit:
      return "setrlimit";
    case Step::kCloseFds:
      return "close_range";
    case Step::kChdir:
      return "chdir";
    case Step::kCwdOutsideRoot:
      return "chdir";
    case Step::kCapBounding:
      return "drop bounding capability";
    case Step::kKeepCaps:
      return "prctl(PR_SET_KEEPCAPS)";
    case Step::kSetgroups:
      return "setgroups";
    case Step::kSetgid:
      return "setresgid";
    case Step::kSetuid:
      return "setresuid";
    case Step::kCapset:
      return "capset";
    case Step::kCapAmbient:
      return "raise ambient capability";
    case Step::kExec:
      return "exec";
    case Step::kProtocol:
      return "protocol";
    case Step::kConsoleAlloc:
      return "console";
    case Step::kCgroupJoin:
      return "cgroup join";
  }
  return "unknown step";
}

}  // namespace mydocker::runtime
