// Where layers came from: image/overlay2/distribution, as dockerd keeps it,
// so a later pull (by either tool) knows a blob's uncompressed diff id
// without downloading it, and a push knows where a layer already exists.
//
//   diffid-by-digest/sha256/<blob hex>      "sha256:<diff id>"
//   v2metadata-by-diffid/sha256/<diff hex>  [{"Digest":"sha256:<blob>",
//                                             "SourceRepository":"docker.io/library/nginx",
//                                             "HMAC":""}]
#ifndef MYDOCKER_LIB_IMAGEDB_DISTRIBUTION_H_
#define MYDOCKER_LIB_IMAGEDB_DISTRIBUTION_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "lib/digest/digest.h"

namespace mydocker::imagedb {

class DistributionMetadata {
 public:
  explicit DistributionMetadata(std::string root);

  // Records that blob `blob` of repository `source_repository` (a full name,
  // "docker.io/library/nginx") uncompresses to `diff_id`. Keeps earlier
  // sources of the same diff id, most recent last, without duplicates.
  absl::Status Add(const digest::Digest& blob, const digest::Digest& diff_id,
                   const std::string& source_repository);

  // The diff id recorded for `blob`, if any.
  std::optional<digest::Digest> DiffIdOf(const digest::Digest& blob) const;

 private:
  std::string root_;
  std::string dir_;  // <root>/image/overlay2/distribution
};

}  // namespace mydocker::imagedb

#endif  // MYDOCKER_LIB_IMAGEDB_DISTRIBUTION_H_
