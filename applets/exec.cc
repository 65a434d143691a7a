// Placeholder until the applet lands (this session).
#include "applets/applet.h"
namespace mydocker::applets {
int ExecMain(Invocation& inv) { return inv.Fail(absl::UnimplementedError("not yet")); }
int NsenterHelperMain(Invocation& inv) { return inv.Fail(absl::UnimplementedError("not yet")); }
}  // namespace mydocker::applets
