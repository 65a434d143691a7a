// `mydocker --install [-s] DIR`: links every applet name in DIR to the
// running binary, so `pull nginx` works as a command.
#ifndef MYDOCKER_APPLETS_INSTALL_H_
#define MYDOCKER_APPLETS_INSTALL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace mydocker::applets {

// Links DIR/<applet> to `binary` for every applet: hard links, or symbolic
// links if `symbolic`. A name already linked to `binary` is kept (or
// refreshed, for a symlink to an older path); a name that is something else
// is never replaced: it is reported in `skipped` and left alone.
absl::Status InstallLinks(const std::string& binary, const std::string& dir,
                          bool symbolic, std::vector<std::string>* skipped);

// The command-line front end: `args` are the words after `--install`.
int InstallMain(const std::vector<std::string>& args);

}  // namespace mydocker::applets

#endif  // MYDOCKER_APPLETS_INSTALL_H_
