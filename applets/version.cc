// `mydocker version`: what this binary is and where it keeps its data.
#include <stdio.h>
#include <sys/utsname.h>

#include "applets/applet.h"
#include "nlohmann/json.hpp"

namespace mydocker::applets {

int VersionMain(Invocation& inv) {
  std::string format;
  inv.flags().String("f,format", &format,
                     "Output format: \"json\" or the default text", "string");
  std::optional<std::vector<std::string>> args = inv.Parse(0, 0);
  if (!args) return inv.exit_code();
  if (!format.empty() && format != "json") {
    return inv.Fail(absl::InvalidArgumentError(
                        "--format: only \"json\" is supported"),
                    kExitUsage);
  }
  struct utsname uts;
  std::string kernel = uname(&uts) == 0 ? uts.release : "unknown";
  if (format == "json") {
    nlohmann::json j = {{"Version", std::string(kVersion)},
                        {"KernelVersion", kernel},
                        {"Os", "linux"},
                        {"DataRoot", inv.root()}};
    printf("%s\n", j.dump().c_str());
    return 0;
  }
  printf("mydocker version %s\n", std::string(kVersion).c_str());
  printf(" Kernel:     %s\n", kernel.c_str());
  printf(" Data root:  %s\n", inv.root().c_str());
  return 0;
}

}  // namespace mydocker::applets
