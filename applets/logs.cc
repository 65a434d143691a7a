// Placeholder until the applet lands (this session).
#include "applets/applet.h"
namespace mydocker::applets {
int LogsMain(Invocation& inv) { return inv.Fail(absl::UnimplementedError("not yet")); }
}  // namespace mydocker::applets
