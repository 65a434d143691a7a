// The container's first process, and a process joining a running container,
// from clone3() to execve(). Child-safe: see child.cc.
#ifndef MYDOCKER_LIB_RUNTIME_CHILD_H_
#define MYDOCKER_LIB_RUNTIME_CHILD_H_

#include "lib/runtime/child_plan.h"

namespace mydocker::runtime::internal {

// Child-safe. Runs `plan` in the process clone3() just created and never
// returns: it ends in execve() of the container's command, or in exit_group()
// after reporting {step, errno, index} on plan.error_fd. The protocol on
// plan.error_fd: the child sends {Step::kReady} once it is in all its
// namespaces, then blocks until the parent sends a GoMessage (EOF instead:
// the parent gave up, the child exits quietly).
[[noreturn]] void RunChild(const ChildPlan& plan);

// Child-safe. Runs the process part of `plan` (PlanExecChild) in a process
// forked by one that has joined a running container's namespaces: the same
// protocol and steps as RunChild without the root, mounts, devices,
// hostname, sysctls and paths.
[[noreturn]] void RunExecChild(const ChildPlan& plan);

}  // namespace mydocker::runtime::internal

#endif  // MYDOCKER_LIB_RUNTIME_CHILD_H_
