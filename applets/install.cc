#include "applets/install.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "applets/applet.h"
#include "lib/base/errno_status.h"
#include "lib/base/status_macros.h"

namespace mydocker::applets {
namespace {

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

absl::Status InstallLinks(const std::string& binary, const std::string& dir,
                          bool symbolic, std::vector<std::string>* skipped) {
  struct stat bin;
  if (stat(binary.c_str(), &bin) < 0) {
    return base::ErrnoStatus(errno, "stat ", binary);
  }
  struct stat d;
  if (stat(dir.c_str(), &d) < 0) return base::ErrnoStatus(errno, "--install ", dir);
  if (!S_ISDIR(d.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--install ", dir, ": not a directory"));
  }
  for (const Applet& a : AllApplets()) {
    // Internal applets get no link: an `init` or `monitor` on the PATH
    // would only confuse.
    if (a.hidden) continue;
    std::string path = absl::StrCat(dir, "/", a.name);
    struct stat cur;
    if (lstat(path.c_str(), &cur) == 0) {
      struct stat target;
      bool ours = stat(path.c_str(), &target) == 0 && SameFile(target, bin);
      // A dangling or foreign name is someone else's: never replace it.
      // Only our own links are refreshed, so a symlink install can follow a
      // moved binary and a hard link can become a symlink.
      if (!ours) {
        skipped->push_back(path);
        continue;
      }
      bool right_kind = symbolic ? S_ISLNK(cur.st_mode) : !S_ISLNK(cur.st_mode);
      if (right_kind) continue;
      if (unlink(path.c_str()) < 0) {
        return base::ErrnoStatus(errno, "replace ", path);
      }
    } else if (errno != ENOENT) {
      return base::ErrnoStatus(errno, "stat ", path);
    }
    int rc = symbolic ? symlink(binary.c_str(), path.c_str())
                      : link(binary.c_str(), path.c_str());
    if (rc < 0 && errno == EXDEV) {
      return absl::FailedPreconditionError(absl::StrCat(
          "link ", path, ": ", dir, " is on another filesystem than ", binary,
          "; hard links cannot cross it (use --install -s)"));
    }
    if (rc < 0) return base::ErrnoStatus(errno, "link ", path);
  }
  return absl::OkStatus();
}

int InstallMain(const std::vector<std::string>& args) {
  bool symbolic = false;
  std::vector<std::string> dirs;
  for (const std::string& a : args) {
    if (a == "-s") {
      symbolic = true;
    } else {
      dirs.push_back(a);
    }
  }
  if (dirs.size() != 1 || dirs[0].empty() || dirs[0][0] == '-') {
    fprintf(stderr, "mydocker: usage: mydocker --install [-s] DIR\n");
    return kExitUsage;
  }
  // Link to the binary that is running, wherever it was called from.
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n < 0) {
    fprintf(stderr, "mydocker: --install: cannot find this binary: %s\n",
            strerror(errno));
    return kExitFailure;
  }
  self[n] = '\0';
  std::vector<std::string> skipped;
  absl::Status s = InstallLinks(self, dirs[0], symbolic, &skipped);
  for (const std::string& path : skipped) {
    fprintf(stderr, "mydocker: --install: %s exists and is not mydocker; "
                    "left alone\n", path.c_str());
  }
  if (!s.ok()) {
    fprintf(stderr, "mydocker: %s\n", std::string(s.message()).c_str());
    return kExitFailure;
  }
  return 0;
}

}  // namespace mydocker::applets
