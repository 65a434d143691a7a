// What self_exec_test runs: a binary other than the test itself, so that
// once it has exited nothing executes its file and a write open of it is
// refused only by its mount (EROFS), never by ETXTBSY.
//
//   self_exec_tool report [wait]   "protected 0|1", "write <errno>|ok",
//                                  "fds <n>...", then (wait) reads stdin
//                                  until EOF
//   self_exec_tool again ARGS...   ExecSelfProtected(self_exec_tool ARGS)
//   self_exec_tool shebang SCRIPT  execs SCRIPT (`#!/proc/self/exe`), which
//                                  runs this binary as `/proc/self/exe
//                                  SCRIPT`: it reports as `report`
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "lib/runtime/self_exec.h"

namespace {

void Report(bool wait) {
  printf("protected %d\n", mydocker::runtime::RunningProtected() ? 1 : 0);
  int fd = open("/proc/self/exe", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    printf("write ok\n");
    close(fd);
  } else {
    printf("write %d\n", errno);
  }
  printf("fds");
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d)) {
        printf(" %s", e->d_name);
      }
    }
    closedir(d);
  }
  printf("\n");
  fflush(stdout);
  if (wait) {
    char buf[64];
    while (read(0, buf, sizeof buf) > 0) {
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return 2;
  if (args[0] == "report") {
    Report(args.size() > 1 && args[1] == "wait");
    return 0;
  }
  if (args[0] == "again") {
    std::vector<std::string> next = {"self_exec_tool"};
    next.insert(next.end(), args.begin() + 1, args.end());
    fprintf(stderr, "%s\n",
            std::string(mydocker::runtime::ExecSelfProtected(next).message())
                .c_str());
    return 1;
  }
  if (args[0] == "shebang" && args.size() == 2) {
    char* script[] = {const_cast<char*>(args[1].c_str()), nullptr};
    execv(script[0], script);
    perror("execv");
    return 1;
  }
  if (argv[0] == std::string("/proc/self/exe")) {  // Run as an interpreter.
    Report(false);
    return 0;
  }
  return 2;
}
