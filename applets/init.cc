// `mydocker init [--] COMMAND [ARG...]`: the container init (lib/init) as an
// applet. Containers run the static copy (lib/init:docker-init); this one is
// for a host whose rootfs has our libraries, and runs the same code. Its
// arguments are a command line, so they skip the flag parser: `-h` or
// `--root` after `init` belong to the command.
#include <string>
#include <vector>

#include "applets/applet.h"
#include "lib/init/init.h"

namespace mydocker::applets {

int InitMain(Invocation& inv) {
  const std::vector<std::string>& args = inv.raw_args();
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  // RunInit takes C's argv; it does not write through the pointers.
  for (const std::string& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  return init::RunInit(static_cast<int>(args.size()), argv.data());
}

}  // namespace mydocker::applets
