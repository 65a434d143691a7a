// `mydocker help [APPLET]`.
#include <stdio.h>

#include "absl/strings/str_cat.h"
#include "applets/applet.h"

namespace mydocker::applets {

int HelpMain(Invocation& inv) {
  std::optional<std::vector<std::string>> args = inv.Parse(0, 1);
  if (!args) return inv.exit_code();
  if (args->empty()) {
    fputs(MainHelp().c_str(), stdout);
    return 0;
  }
  const Applet* applet = FindApplet((*args)[0]);
  if (applet == nullptr) {
    return inv.Fail(absl::NotFoundError(
                        absl::StrCat("unknown applet '", (*args)[0], "'")),
                    kExitUnknownApplet);
  }
  // The applet declares its flags when it runs; `--help` makes it print
  // them and stop before doing anything.
  Invocation other(*applet, {"--help"}, GlobalOptions::FromEnvironment());
  return applet->main(other);
}

}  // namespace mydocker::applets
