#include "lib/init/embedded.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"
#include "lib/init/docker_init_blob.h"
#include "lib/store/paths.h"

namespace mydocker::init {
namespace {

constexpr mode_t kBinaryMode = 0555;
constexpr mode_t kDirMode = 0700;

// Whether `path` already is the file EnsureInitBinary would write. Any
// error reads as "no": the caller rewrites the file, and reports the error
// of that if there is a real problem.
//
// Why compare every byte rather than keep a digest or trust size and mtime:
// the file must be exactly ours, since every --init container runs it as
// PID 1, and anything short of reading it cannot tell a tampered or
// corrupted file of the right size from ours. Reading 700 KB that is nearly
// always in the page cache costs far less than anything else a container
// start does, and a digest file would be one more thing to get out of step.
bool IsCurrent(const std::string& path, absl::string_view want) {
  int raw = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
  if (raw < 0) return false;
  base::UniqueFd fd(raw);
  struct stat st;
  if (fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode) ||
      (st.st_mode & 07777) != kBinaryMode || st.st_uid != geteuid() ||
      static_cast<size_t>(st.st_size) != want.size()) {
    return false;
  }
  char buf[64 << 10];
  size_t have = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return have == want.size();
    const size_t got = static_cast<size_t>(n);
    // Grown since the fstat: not ours.
    if (got > want.size() - have) return false;
    if (memcmp(buf, want.data() + have, got) != 0) return false;
    have += got;
  }
}

}  // namespace

absl::string_view EmbeddedInitBinary() {
  return absl::string_view(internal::kDockerInit, internal::kDockerInitSize);
}

std::string InitBinaryPath(absl::string_view data_root) {
  return absl::StrCat(store::OwnDir(data_root), "/bin/docker-init");
}

absl::StatusOr<std::string> EnsureInitBinary(const std::string& data_root) {
  std::string path = InitBinaryPath(data_root);
  const absl::string_view binary = EmbeddedInitBinary();
  if (IsCurrent(path, binary)) return path;
  RETURN_IF_ERROR(base::MakeDirs(base::Dirname(path), kDirMode));
  // rename(2) replaces a symlink itself, not its target, and a directory in
  // the way fails the rename with a message naming it.
  RETURN_IF_ERROR(base::WriteFileAtomic(path, binary, kBinaryMode));
  return path;
}

}  // namespace mydocker::init
