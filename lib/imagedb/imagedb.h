// The image store proper: image/overlay2/imagedb, as dockerd 20.10 keeps it.
// An image is its config JSON, stored verbatim under its own sha256 (the
// image id), plus a little metadata:
//
//   imagedb/content/sha256/<id>                  config bytes, 0600
//   imagedb/metadata/sha256/<id>/lastUpdated     RFC 3339 time of the pull
//
//   ImageDb db(root);
//   ASSIGN_OR_RETURN(digest::Digest id, db.Put(config_bytes));
//   ASSIGN_OR_RETURN(std::string config, db.Get(id));   // verified
#ifndef MYDOCKER_LIB_IMAGEDB_IMAGEDB_H_
#define MYDOCKER_LIB_IMAGEDB_IMAGEDB_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/digest/digest.h"

namespace mydocker::imagedb {

class ImageDb {
 public:
  explicit ImageDb(std::string root);

  // Stores `config` (if not there yet) and returns its id, sha256(config).
  // Crash-safe: the file appears whole or not at all.
  absl::StatusOr<digest::Digest> Put(absl::string_view config);

  // The config of image `id`, checked against the id (DataLoss if the file
  // was altered), NotFound if there is no such image.
  absl::StatusOr<std::string> Get(const digest::Digest& id) const;

  bool Exists(const digest::Digest& id) const;

  // Every image id in the store.
  absl::StatusOr<std::vector<digest::Digest>> List() const;

  // Removes the image's config and metadata. OK if it is already gone.
  absl::Status Delete(const digest::Digest& id);

  // Sets or reads metadata/<id>/lastUpdated.
  absl::Status SetLastUpdated(const digest::Digest& id, absl::Time when);
  absl::StatusOr<absl::Time> GetLastUpdated(const digest::Digest& id) const;

 private:
  std::string ContentPath(const digest::Digest& id) const;
  std::string MetadataDir(const digest::Digest& id) const;

  std::string dir_;  // <root>/image/overlay2/imagedb
};

// Go's time.RFC3339Nano in UTC, trailing zeros of the fraction trimmed:
// "2026-11-30T08:58:00.28677087Z", as dockerd writes lastUpdated.
std::string FormatRfc3339Nano(absl::Time t);
absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view s);

}  // namespace mydocker::imagedb

#endif  // MYDOCKER_LIB_IMAGEDB_IMAGEDB_H_
