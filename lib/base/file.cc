#include "lib/base/file.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "lib/base/errno_status.h"
#include "lib/base/status_macros.h"

namespace mydocker::base {

absl::StatusOr<UniqueFd> OpenFile(const std::string& path, int flags,
                                  mode_t mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus(errno, "open ", path);
  return UniqueFd(fd);
}

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     size_t max_size) {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(path, O_RDONLY | O_NOCTTY));
  struct stat st;
  if (fstat(fd.get(), &st) < 0) return ErrnoStatus(errno, "stat ", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("read ", path, ": not a regular file"));
  }
  auto too_big = [&] {
    return absl::FailedPreconditionError(absl::StrCat(
        "read ", path, ": larger than the limit of ", max_size, " bytes"));
  };
  if (static_cast<size_t>(st.st_size) > max_size) return too_big();

  std::string data;
  data.resize(static_cast<size_t>(st.st_size));
  size_t have = 0;
  // The file may grow or shrink while we read: read until EOF, within bounds.
  for (;;) {
    if (have == data.size()) {
      if (data.size() >= max_size + 1) return too_big();
      data.resize(std::min(max_size + 1, data.size() * 2 + 4096));
    }
    ssize_t n = ::read(fd.get(), data.data() + have, data.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "read ", path);
    }
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  if (have > max_size) return too_big();
  data.resize(have);
  return data;
}

absl::Status WriteAll(int fd, absl::string_view data,
                      absl::string_view what_for_errors) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write ", what_for_errors);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status SyncDir(const std::string& dir) {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(dir, O_RDONLY | O_DIRECTORY));
  if (fsync(fd.get()) < 0) return ErrnoStatus(errno, "fsync ", dir);
  return absl::OkStatus();
}

namespace {

// `data` in a new temp file next to `path`, with `mode`, fsynced if
// `durable`; its name, or nothing left behind.
absl::StatusOr<std::string> WriteTemp(const std::string& path,
                                      absl::string_view data, mode_t mode,
                                      bool durable) {
  // mkstemp keeps the name unpredictable and the create exclusive; the leading
  // dot keeps half-written records out of directory listings that skip them.
  std::string tmp =
      absl::StrCat(Dirname(path), "/.", Basename(path), ".tmp-XXXXXX");
  int raw = mkostemp(tmp.data(), O_CLOEXEC);
  if (raw < 0) return ErrnoStatus(errno, "create temp file for ", path);
  UniqueFd fd(raw);
  bool written = false;
  absl::Cleanup remove_tmp = [&] {
    if (!written) ::unlink(tmp.c_str());
  };
  RETURN_IF_ERROR(WriteAll(fd.get(), data, tmp));
  if (fchmod(fd.get(), mode) < 0) return ErrnoStatus(errno, "chmod ", tmp);
  if (durable && fsync(fd.get()) < 0) return ErrnoStatus(errno, "fsync ", tmp);
  if (::close(fd.release()) < 0) return ErrnoStatus(errno, "close ", tmp);
  written = true;
  return tmp;
}

}  // namespace

absl::Status WriteFileAtomic(const std::string& path, absl::string_view data,
                             mode_t mode, Durability durability) {
  const bool durable = durability == Durability::kDurable;
  ASSIGN_OR_RETURN(std::string tmp, WriteTemp(path, data, mode, durable));
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoStatus(err, "rename ", tmp, " to ", path);
  }
  return durable ? SyncDir(Dirname(path)) : absl::OkStatus();
}

AtomicFiles::~AtomicFiles() {
  for (const Staged& s : staged_) ::unlink(s.tmp.c_str());
}

absl::Status AtomicFiles::Stage(const std::string& path, absl::string_view data,
                                mode_t mode) {
  ASSIGN_OR_RETURN(std::string tmp, WriteTemp(path, data, mode, /*durable=*/true));
  staged_.push_back({std::move(tmp), path});
  return absl::OkStatus();
}

absl::Status AtomicFiles::Commit() {
  std::vector<std::string> dirs;
  while (!staged_.empty()) {
    const Staged& s = staged_.front();
    if (::rename(s.tmp.c_str(), s.path.c_str()) < 0) {
      return ErrnoStatus(errno, "rename ", s.tmp, " to ", s.path);
    }
    std::string dir = Dirname(s.path);
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) {
      dirs.push_back(std::move(dir));
    }
    staged_.erase(staged_.begin());
  }
  for (const std::string& dir : dirs) RETURN_IF_ERROR(SyncDir(dir));
  return absl::OkStatus();
}

absl::Status MakeDirs(const std::string& path, mode_t mode) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("mkdir ", path, ": exists and is not a directory"));
  }
  if (errno != ENOENT) return ErrnoStatus(errno, "stat ", path);
  std::string parent = Dirname(path);
  if (parent != path) RETURN_IF_ERROR(MakeDirs(parent, mode));
  if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST) {
    return ErrnoStatus(errno, "mkdir ", path);
  }
  // mkdir(2) applies the umask; the store's modes must not depend on it.
  if (::chmod(path.c_str(), mode) < 0) return ErrnoStatus(errno, "chmod ", path);
  return absl::OkStatus();
}

namespace {

// Empties the directory open as `dirfd` (named `path` in errors).
absl::Status RemoveContentsAt(int dirfd, const std::string& path) {
  int dup = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return ErrnoStatus(errno, "dup ", path);
  DIR* d = fdopendir(dup);
  if (d == nullptr) {
    ::close(dup);
    return ErrnoStatus(errno, "open ", path);
  }
  absl::Status status;
  std::vector<std::string> subdirs;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) continue;
    if (errno == EISDIR || errno == EPERM) {
      subdirs.push_back(std::move(name));
    } else {
      status.Update(ErrnoStatus(errno, "remove ", path, "/", name));
    }
  }
  closedir(d);
  for (const std::string& name : subdirs) {
    std::string child = absl::StrCat(path, "/", name);
    int fd = openat(dirfd, name.c_str(),
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno != ENOENT) status.Update(ErrnoStatus(errno, "open ", child));
      continue;
    }
    UniqueFd sub(fd);
    status.Update(RemoveContentsAt(sub.get(), child));
    if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) {
      status.Update(ErrnoStatus(errno, "remove ", child));
    }
  }
  return status;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return out;
    return ErrnoStatus(errno, "open ", dir);
  }
  errno = 0;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(std::move(n));
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

absl::Status RemoveAll(const std::string& path) {
  std::string parent = Dirname(path);
  std::string name = Basename(path);
  int pfd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pfd < 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoStatus(errno, "open ", parent);
  }
  UniqueFd pdir(pfd);
  if (unlinkat(pdir.get(), name.c_str(), 0) == 0 || errno == ENOENT) {
    return absl::OkStatus();
  }
  if (errno != EISDIR && errno != EPERM) return ErrnoStatus(errno, "remove ", path);
  int fd = openat(pdir.get(), name.c_str(),
                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoStatus(errno, "open ", path);
  }
  UniqueFd dir(fd);
  absl::Status status = RemoveContentsAt(dir.get(), path);
  if (unlinkat(pdir.get(), name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) {
    status.Update(ErrnoStatus(errno, "remove ", path));
  }
  return status;
}

std::string Dirname(absl::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return ".";
  absl::string_view dir = path.substr(0, slash);
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  return dir.empty() ? "/" : std::string(dir);
}

std::string Basename(absl::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos || path == "/") return std::string(path);
  return std::string(path.substr(slash + 1));
}

}  // namespace mydocker::base
