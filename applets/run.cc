// Placeholder until the applet lands (this session).
#include "applets/applet.h"
namespace mydocker::applets {
int CreateMain(Invocation& inv) { return inv.Fail(absl::UnimplementedError("not yet")); }
int StartMain(Invocation& inv) { return inv.Fail(absl::UnimplementedError("not yet")); }
int StopMain(Invocation& inv) { return inv.Fail(absl::UnimplementedError("not yet")); }
int KillMain(Invocation& inv) { return inv.Fail(absl::UnimplementedError("not yet")); }
int WaitMain(Invocation& inv) { return inv.Fail(absl::UnimplementedError("not yet")); }
int RunMain(Invocation& inv) { return inv.Fail(absl::UnimplementedError("not yet")); }
int MonitorMain(Invocation& inv) { return inv.Fail(absl::UnimplementedError("not yet")); }
}  // namespace mydocker::applets
