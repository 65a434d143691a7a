// Image manifests, indexes and configs as registries serve them: Docker
// schema2 and OCI, single-platform manifests and multi-platform lists.
//
//   ASSIGN_OR_RETURN(Kind kind, Classify(content_type, bytes));
//   if (kind == Kind::kIndex) {
//     ASSIGN_OR_RETURN(Index index, ParseIndex(bytes));
//     ASSIGN_OR_RETURN(Descriptor d, SelectPlatform(index, Platform::Host()));
//     ... fetch d.digest ...
//   }
//   ASSIGN_OR_RETURN(ImageManifest m, ParseManifest(bytes));
//
// Everything parsed here came from the network: every field is checked
// (digests are valid sha256, sizes non-negative) before anyone uses it.
#ifndef MYDOCKER_LIB_MANIFEST_MANIFEST_H_
#define MYDOCKER_LIB_MANIFEST_MANIFEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/digest/digest.h"

namespace mydocker::manifest {

inline constexpr char kDockerManifest[] =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr char kDockerManifestList[] =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr char kDockerSchema1[] =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr char kDockerSchema1Signed[] =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
inline constexpr char kOciManifest[] =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr char kOciIndex[] = "application/vnd.oci.image.index.v1+json";
inline constexpr char kDockerConfig[] =
    "application/vnd.docker.container.image.v1+json";
inline constexpr char kOciConfig[] = "application/vnd.oci.image.config.v1+json";

// The Accept header value for manifest requests: every kind we can use.
// Schema1 is left out, so a registry that could convert serves schema2.
extern const char kManifestAccept[];

// Manifests and configs larger than this are refused.
inline constexpr size_t kMaxManifestBytes = 4 << 20;

struct Platform {
  std::string os;            // "linux"
  std::string architecture;  // "amd64", "arm64"
  std::string variant;       // "v8", or empty

  // "os/arch[/variant]", as --platform takes it. InvalidArgument otherwise.
  static absl::StatusOr<Platform> Parse(absl::string_view s);
  // The platform this binary runs on (linux/amd64 here).
  static Platform Host();
  std::string ToString() const;
};

struct Descriptor {
  std::string media_type;
  digest::Digest digest;
  int64_t size = 0;
  std::optional<Platform> platform;  // Index entries only.
};

enum class Kind { kManifest, kIndex };

// Decides what `body` is from the Content-Type and the document's own
// mediaType. Unimplemented for schema1 ("not supported"), InvalidArgument
// for anything else that is not a manifest or index.
absl::StatusOr<Kind> Classify(absl::string_view content_type,
                              absl::string_view body);

struct ImageManifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct Index {
  std::string media_type;
  std::vector<Descriptor> manifests;
};

absl::StatusOr<ImageManifest> ParseManifest(absl::string_view body);
absl::StatusOr<Index> ParseIndex(absl::string_view body);

// The entry of `index` for `want`: os and architecture must match; the
// variant too when `want` names one (arm64 defaults to v8 as in Docker).
// NotFound naming the platform when there is none.
absl::StatusOr<Descriptor> SelectPlatform(const Index& index,
                                          const Platform& want);

enum class Compression { kNone, kGzip, kZstd };

// The compression a layer media type implies. InvalidArgument for a media
// type that is not a layer we can apply.
absl::StatusOr<Compression> LayerCompression(absl::string_view media_type);

// The parts of an image config the store needs.
struct ImageConfig {
  std::string os;
  std::string architecture;
  std::string variant;
  std::vector<digest::Digest> diff_ids;  // rootfs.diff_ids, base layer first.
};

absl::StatusOr<ImageConfig> ParseConfig(absl::string_view body);

}  // namespace mydocker::manifest

#endif  // MYDOCKER_LIB_MANIFEST_MANIFEST_H_
