// The static docker-init that mydocker carries inside itself, and the file
// it is written to for containers to run.
//
// `run --init` bind-mounts a host file at /sbin/docker-init. Shipping it
// inside the mydocker binary means that the one binary is the whole install
// and that the init always matches the mydocker that starts the container.
//
//   ASSIGN_OR_RETURN(paths.init_binary, init::EnsureInitBinary(root));
#ifndef MYDOCKER_LIB_INIT_EMBEDDED_H_
#define MYDOCKER_LIB_INIT_EMBEDDED_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::init {

// The embedded static docker-init (lib/init:docker-init), byte for byte.
absl::string_view EmbeddedInitBinary();

// Where EnsureInitBinary keeps it: <data_root>/mydocker/bin/docker-init.
std::string InitBinaryPath(absl::string_view data_root);

// Makes InitBinaryPath(data_root) a regular file holding exactly the
// embedded bytes, mode 0555 and owned by the effective user (root, for
// mydocker), and returns its path. When the file already is that, it is left
// alone: one open, fstat and read-compare of ~700 KB from the page cache,
// well under a millisecond. Anything else (missing, other size, other bytes,
// other mode or owner, a symlink) is replaced atomically, by a temp file
// renamed over it, so a container started meanwhile binds either the old
// inode or the new one, never a half-written file, and a running init is
// never written to (no ETXTBSY). Creates <data_root>/mydocker/bin with mode
// 0700 if needed. Safe to call concurrently: racing writers rename
// identical files. Errors name the path.
absl::StatusOr<std::string> EnsureInitBinary(const std::string& data_root);

}  // namespace mydocker::init

#endif  // MYDOCKER_LIB_INIT_EMBEDDED_H_
