#include "lib/imagedb/distribution.h"

#include "absl/strings/str_cat.h"
#include "lib/base/file.h"
#include "lib/base/file_lock.h"
#include "lib/base/status_macros.h"
#include "lib/store/paths.h"
#include "nlohmann/json.hpp"

namespace mydocker::imagedb {

DistributionMetadata::DistributionMetadata(std::string root)
    : root_(std::move(root)), dir_(store::DistributionDir(root_)) {}

absl::Status DistributionMetadata::Add(const digest::Digest& blob,
                                       const digest::Digest& diff_id,
                                       const std::string& source_repository) {
  using nlohmann::ordered_json;
  std::string by_digest = absl::StrCat(dir_, "/diffid-by-digest/sha256");
  std::string by_diffid = absl::StrCat(dir_, "/v2metadata-by-diffid/sha256");
  RETURN_IF_ERROR(base::MakeDirs(dir_, 0700));
  RETURN_IF_ERROR(base::MakeDirs(by_digest, 0755));
  RETURN_IF_ERROR(base::MakeDirs(by_diffid, 0755));
  RETURN_IF_ERROR(base::WriteFileAtomic(absl::StrCat(by_digest, "/", blob.hex()),
                                        diff_id.str(), 0644));
  // Read-modify-write of a file concurrent pulls share.
  ASSIGN_OR_RETURN(base::FileLock lock,
                   store::Lock(root_, "distribution", base::FileLock::kExclusive));

  // Field order as Go marshals the struct: Digest, SourceRepository, HMAC.
  std::string meta_path = absl::StrCat(by_diffid, "/", diff_id.hex());
  ordered_json list = ordered_json::array();
  if (absl::StatusOr<std::string> old = base::ReadFile(meta_path, 1 << 20); old.ok()) {
    ordered_json j = ordered_json::parse(*old, nullptr, /*allow_exceptions=*/false);
    if (j.is_array()) list = std::move(j);
  }
  ordered_json entry = {{"Digest", blob.str()},
                        {"SourceRepository", source_repository},
                        {"HMAC", ""}};
  ordered_json kept = ordered_json::array();
  for (const ordered_json& e : list) {
    if (e != entry) kept.push_back(e);
  }
  kept.push_back(std::move(entry));
  return base::WriteFileAtomic(meta_path, kept.dump(), 0644);
}

std::optional<digest::Digest> DistributionMetadata::DiffIdOf(
    const digest::Digest& blob) const {
  absl::StatusOr<std::string> s = base::ReadFile(
      absl::StrCat(dir_, "/diffid-by-digest/sha256/", blob.hex()), 256);
  if (!s.ok()) return std::nullopt;
  absl::StatusOr<digest::Digest> d = digest::Digest::Parse(*s);
  if (!d.ok()) return std::nullopt;
  return *d;
}

}  // namespace mydocker::imagedb
