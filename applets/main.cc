// mydocker's entry point: busybox-style multi-call dispatch.
//
// `mydocker APPLET ARGS...` runs APPLET; so does a link to the binary named
// after the applet (`ln -s mydocker pull; ./pull nginx`). Global options may
// come before the applet name; `--list`, `--install`, `--help` and
// `--version` are handled here.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "applets/applet.h"
#include "applets/install.h"
#include "lib/base/file.h"

namespace mydocker::applets {
namespace {

int Usage(absl::string_view message) {
  fprintf(stderr, "mydocker: %s (see 'mydocker --help')\n",
          std::string(message).c_str());
  return kExitUsage;
}

int RunApplet(const Applet& applet, std::vector<std::string> args,
              GlobalOptions globals) {
  Invocation inv(applet, std::move(args), std::move(globals));
  return applet.main(inv);
}

// `mydocker [GLOBAL OPTIONS] APPLET ARGS...` and the multi-call options.
int MultiCall(std::vector<std::string> args) {
  GlobalOptions globals = GlobalOptions::FromEnvironment();
  size_t i = 0;
  // Global options before the applet name. They take a value as the next
  // word or after '='.
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](absl::string_view flag, std::string* out) -> bool {
      if (absl::StartsWith(a, absl::StrCat(flag, "="))) {
        *out = a.substr(flag.size() + 1);
        return true;
      }
      if (a != flag) return false;
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    if (value("--root", &globals.root) ||
        value("--log-level", &globals.log_level) ||
        value("-l", &globals.log_level)) {
      continue;
    }
    if (a == "--root" || a == "--log-level" || a == "-l") {
      return Usage(absl::StrCat("flag needs an argument: ", a));
    }
    if (a == "-D" || a == "--debug") {
      globals.debug = true;
      continue;
    }
    break;
  }
  if (i == args.size()) {
    fputs(MainHelp().c_str(), stdout);
    return 0;
  }
  const std::string& first = args[i];
  std::vector<std::string> rest(args.begin() + i + 1, args.end());
  if (first == "--help" || first == "-h") {
    fputs(MainHelp().c_str(), stdout);
    return 0;
  }
  if (first == "--version" || first == "-v") {
    printf("mydocker version %s\n", std::string(kVersion).c_str());
    return 0;
  }
  if (first == "--list") {
    for (const Applet& a : AllApplets()) {
      if (a.hidden) continue;
      printf("%s\n", std::string(a.name).c_str());
    }
    return 0;
  }
  if (first == "--install") return InstallMain(rest);
  if (absl::StartsWith(first, "-")) {
    return Usage(absl::StrCat("unknown flag: ", first));
  }
  const Applet* applet = FindApplet(first);
  if (applet == nullptr) {
    fprintf(stderr, "mydocker: unknown applet '%s' (see 'mydocker --list')\n",
            first.c_str());
    return kExitUnknownApplet;
  }
  return RunApplet(*applet, std::move(rest), std::move(globals));
}

}  // namespace
}  // namespace mydocker::applets

int main(int argc, char** argv) {
  using namespace mydocker::applets;  // NOLINT(build/namespaces): main only.
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string name =
      argc > 0 ? mydocker::base::Basename(argv[0]) : std::string("mydocker");
  // Called through a link named after an applet: that applet, no name needed.
  if (const Applet* applet = FindApplet(name)) {
    return RunApplet(*applet, std::move(args),
                     GlobalOptions::FromEnvironment());
  }
  return MultiCall(std::move(args));
}
