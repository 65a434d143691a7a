#include "lib/tarsplit/reassemble.h"

#include "lib/compress/decompressor.h"
#include "lib/base/status_macros.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"
#include "lib/tarsplit/crc64.h"
#include "lib/tarsplit/format.h"
#include "lib/tarsplit/gzip.h"

namespace mydocker::tarsplit {
namespace {

constexpr size_t kReadSize = 256 << 10;
// One JSON line holds one segment: a header with its records (bounded by
// tar::Limits when we wrote it) or 1 MiB of trailing bytes, in base64.
constexpr size_t kMaxLineSize = 64 << 20;

std::string Q(absl::string_view name) {
  return absl::StrCat("\"", absl::CHexEscape(name), "\"");
}

// Opens regular file `name` below `root_fd` without following symlinks and
// without leaving the directory.
absl::StatusOr<base::UniqueFd> OpenBeneath(int root_fd, const std::string& root,
                                           absl::string_view name) {
  std::string clean = CleanPath(name);
  std::vector<std::string> parts =
      absl::StrSplit(clean, '/', absl::SkipEmpty());
  if (parts.empty() || parts[0] == ".." || parts[0] == ".") {
    return absl::InvalidArgumentError(absl::StrCat(
        "tar-split file entry ", Q(name), " is not a path inside ", root));
  }
  base::UniqueFd dir;
  int at = root_fd;
  for (size_t i = 0; i < parts.size(); ++i) {
    const bool last = i + 1 == parts.size();
    int flags =
        O_CLOEXEC | O_NOFOLLOW |
        (last ? O_RDONLY | O_NOCTTY | O_NONBLOCK : O_PATH | O_DIRECTORY);
    int fd;
    do {
      fd = ::openat(at, parts[i].c_str(), flags);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
      int err = errno;
      std::string path = absl::StrCat(root, "/", clean);
      if (err == ELOOP || err == ENOTDIR) {
        return absl::FailedPreconditionError(absl::StrCat(
            "open ", path, ": a component is a symlink or not a directory"));
      }
      return base::ErrnoStatus(err, "open ", path);
    }
    if (last) {
      base::UniqueFd file(fd);
      struct stat st;
      if (fstat(file.get(), &st) < 0) {
        return base::ErrnoStatus(errno, "stat ", root, "/", clean);
      }
      if (!S_ISREG(st.st_mode)) {
        return absl::FailedPreconditionError(
            absl::StrCat(root, "/", clean,
                         ": not a regular file, but the tar-split "
                         "records content for it"));
      }
      return file;
    }
    dir = base::UniqueFd(fd);
    at = dir.get();
  }
  return absl::InternalError("unreachable");
}

class Reassembler {
 public:
  Reassembler(base::UniqueFd root_fd, std::string root, Sink sink)
      : root_fd_(std::move(root_fd)),
        root_(std::move(root)),
        sink_(std::move(sink)) {}

  absl::Status Feed(absl::string_view compressed) {
    RETURN_IF_ERROR(Start());
    return gunzip_->Feed(compressed);
  }

  absl::Status Finish() {
    RETURN_IF_ERROR(Start());
    RETURN_IF_ERROR(gunzip_->Finish());
    if (!line_.empty()) RETURN_IF_ERROR(OnLine(line_));
    return absl::OkStatus();
  }

 private:
  absl::Status Start() {
    if (gunzip_ != nullptr) return absl::OkStatus();
    ASSIGN_OR_RETURN(gunzip_, compress::Decompressor::Create(
                                  manifest::Compression::kGzip,
                                  [this](absl::string_view plain) {
                                    return OnJson(plain);
                                  }));
    return absl::OkStatus();
  }

  absl::Status OnJson(absl::string_view plain) {
    while (!plain.empty()) {
      size_t nl = plain.find('\n');
      absl::string_view part = plain.substr(0, nl);
      if (line_.size() + part.size() > kMaxLineSize) {
        return absl::InvalidArgumentError(absl::StrCat(
            "tar-split: a line longer than ", kMaxLineSize, " bytes"));
      }
      if (nl == absl::string_view::npos) {
        line_.append(part.data(), part.size());
        return absl::OkStatus();
      }
      if (line_.empty()) {
        RETURN_IF_ERROR(OnLine(part));
      } else {
        line_.append(part.data(), part.size());
        RETURN_IF_ERROR(OnLine(line_));
        line_.clear();
      }
      plain.remove_prefix(nl + 1);
    }
    return absl::OkStatus();
  }

  absl::Status OnLine(absl::string_view line) {
    if (line.find_first_not_of(" \t\r") == absl::string_view::npos) {
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(Entry e, DecodeEntry(line));
    if (e.type == EntryType::kSegment) {
      if (e.payload.has_value() && !e.payload->empty()) {
        RETURN_IF_ERROR(sink_(*e.payload));
      }
      return absl::OkStatus();
    }
    if (!seen_.insert(CleanPath(e.name)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("tar-split: two entries for path ", Q(e.name)));
    }
    if (e.size == 0) return absl::OkStatus();  // No content in the tar.
    if (!e.payload.has_value() || e.payload->size() != 8) {
      return absl::InvalidArgumentError(
          absl::StrCat("tar-split file entry ", Q(e.name), " of ", e.size,
                       " bytes has no 8-byte CRC"));
    }
    return CopyFile(e);
  }

  absl::Status CopyFile(const Entry& e) {
    ASSIGN_OR_RETURN(base::UniqueFd fd,
                     OpenBeneath(root_fd_.get(), root_, e.name));
    const std::string path = absl::StrCat(root_, "/", CleanPath(e.name));
    buffer_.resize(kReadSize);
    Crc64 crc;
    int64_t copied = 0;
    for (;;) {
      ssize_t n = ::read(fd.get(), buffer_.data(), buffer_.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return base::ErrnoStatus(errno, "read ", path);
      }
      if (n == 0) break;
      if (n > e.size - copied) {
        return absl::DataLossError(
            absl::StrCat(path, ": larger than the ", e.size,
                         " bytes the tar-split records for it"));
      }
      absl::string_view chunk(buffer_.data(), static_cast<size_t>(n));
      crc.Update(chunk);
      RETURN_IF_ERROR(sink_(chunk));
      copied += n;
    }
    if (copied != e.size) {
      return absl::DataLossError(absl::StrCat(
          path, ": ", copied, " bytes, but the tar-split records ", e.size));
    }
    if (crc.BigEndianBytes() != *e.payload) {
      return absl::DataLossError(absl::StrCat(
          path, ": content does not match the CRC-64 in the tar-split"));
    }
    return absl::OkStatus();
  }

  base::UniqueFd root_fd_;
  std::string root_;
  Sink sink_;
  std::unique_ptr<compress::Decompressor> gunzip_;
  std::string line_;
  std::set<std::string> seen_;
  std::string buffer_;
};

absl::Status Annotate(const absl::Status& s, const std::string& path) {
  return absl::Status(s.code(),
                      absl::StrCat("reassemble ", path, ": ", s.message()));
}

absl::StatusOr<base::UniqueFd> OpenRoot(const std::string& diff_dir) {
  return base::OpenFile(diff_dir, O_RDONLY | O_DIRECTORY);
}

}  // namespace

absl::Status Reassemble(absl::string_view tar_split_json_gz,
                        const std::string& diff_dir, Sink sink) {
  ASSIGN_OR_RETURN(base::UniqueFd root, OpenRoot(diff_dir));
  Reassembler r(std::move(root), diff_dir, std::move(sink));
  RETURN_IF_ERROR(r.Feed(tar_split_json_gz));
  return r.Finish();
}

absl::Status ReassembleFile(const std::string& tar_split_path,
                            const std::string& diff_dir, Sink sink) {
  ASSIGN_OR_RETURN(base::UniqueFd in,
                   base::OpenFile(tar_split_path, O_RDONLY | O_NOCTTY));
  ASSIGN_OR_RETURN(base::UniqueFd root, OpenRoot(diff_dir));
  Reassembler r(std::move(root), diff_dir, std::move(sink));
  std::string buffer(kReadSize, '\0');
  for (;;) {
    ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::ErrnoStatus(errno, "read ", tar_split_path);
    }
    if (n == 0) break;
    absl::Status s =
        r.Feed(absl::string_view(buffer.data(), static_cast<size_t>(n)));
    if (!s.ok()) return Annotate(s, tar_split_path);
  }
  absl::Status s = r.Finish();
  if (!s.ok()) return Annotate(s, tar_split_path);
  return absl::OkStatus();
}

}  // namespace mydocker::tarsplit
