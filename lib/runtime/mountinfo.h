// /proc/<pid>/mountinfo, parsed: base/mountinfo.h, under the names this
// package has always used.
#ifndef MYDOCKER_LIB_RUNTIME_MOUNTINFO_H_
#define MYDOCKER_LIB_RUNTIME_MOUNTINFO_H_

#include "lib/base/mountinfo.h"

namespace mydocker::runtime {

using base::MountInfo;
using base::ParseMountInfo;
using base::ReadMountInfo;

}  // namespace mydocker::runtime

#endif  // MYDOCKER_LIB_RUNTIME_MOUNTINFO_H_
