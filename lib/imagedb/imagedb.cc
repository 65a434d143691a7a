#include "lib/imagedb/imagedb.h"

#include <dirent.h>
#include <errno.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/store/paths.h"

namespace mydocker::imagedb {
namespace {

constexpr size_t kMaxConfigBytes = 8 << 20;

}  // namespace

std::string FormatRfc3339Nano(absl::Time t) {
  return absl::FormatTime("%E4Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view s) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, s, &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad time \"", s, "\": ", err));
  }
  return t;
}

ImageDb::ImageDb(std::string root) : dir_(store::ImageDbDir(root)) {}

std::string ImageDb::ContentPath(const digest::Digest& id) const {
  return absl::StrCat(dir_, "/content/sha256/", id.hex());
}

std::string ImageDb::MetadataDir(const digest::Digest& id) const {
  return absl::StrCat(dir_, "/metadata/sha256/", id.hex());
}

absl::StatusOr<digest::Digest> ImageDb::Put(absl::string_view config) {
  digest::Digest id = digest::Digest::Of(config);
  if (Exists(id)) return id;
  RETURN_IF_ERROR(base::MakeDirs(absl::StrCat(dir_, "/content/sha256"), 0700));
  RETURN_IF_ERROR(base::MakeDirs(absl::StrCat(dir_, "/metadata/sha256"), 0700));
  RETURN_IF_ERROR(base::WriteFileAtomic(ContentPath(id), config, 0600));
  return id;
}

absl::StatusOr<std::string> ImageDb::Get(const digest::Digest& id) const {
  absl::StatusOr<std::string> bytes = base::ReadFile(ContentPath(id), kMaxConfigBytes);
  if (absl::IsNotFound(bytes.status())) {
    return absl::NotFoundError(absl::StrCat("no such image: ", id.str()));
  }
  if (!bytes.ok()) return bytes.status();
  if (digest::Digest::Of(*bytes) != id) {
    return absl::DataLossError(absl::StrCat(
        "image ", id.str(), ": stored config does not match its id"));
  }
  return bytes;
}

bool ImageDb::Exists(const digest::Digest& id) const {
  return access(ContentPath(id).c_str(), F_OK) == 0;
}

absl::StatusOr<std::vector<digest::Digest>> ImageDb::List() const {
  std::vector<digest::Digest> out;
  ASSIGN_OR_RETURN(std::vector<std::string> names,
                   base::ListDir(absl::StrCat(dir_, "/content/sha256")));
  for (const std::string& name : names) {
    // Anything that is not a 64-hex name (a temp file of an interrupted
    // write, say) is not an image.
    absl::StatusOr<digest::Digest> id =
        digest::Digest::Parse(absl::StrCat("sha256:", name));
    if (id.ok()) out.push_back(*id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::Status ImageDb::Delete(const digest::Digest& id) {
  if (unlink(ContentPath(id).c_str()) < 0 && errno != ENOENT) {
    return base::ErrnoStatus(errno, "remove ", ContentPath(id));
  }
  return base::RemoveAll(MetadataDir(id));
}

absl::Status ImageDb::SetLastUpdated(const digest::Digest& id, absl::Time when) {
  RETURN_IF_ERROR(base::MakeDirs(MetadataDir(id), 0700));
  return base::WriteFileAtomic(absl::StrCat(MetadataDir(id), "/lastUpdated"),
                               FormatRfc3339Nano(when), 0600);
}

absl::StatusOr<absl::Time> ImageDb::GetLastUpdated(const digest::Digest& id) const {
  ASSIGN_OR_RETURN(std::string s,
                   base::ReadFile(absl::StrCat(MetadataDir(id), "/lastUpdated"), 256));
  return ParseRfc3339(s);
}

}  // namespace mydocker::imagedb
