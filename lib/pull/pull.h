// `pull`: from an image reference to an image in the store, the way Docker
// does it, in one streaming pass per layer.
//
//   network -> sha256(blob) -> gunzip/unzstd -> sha256(diff id)
//           -> tar reader -> { layer applier (overlay2/<id>/diff),
//                              tar-split writer (layerdb) }
//
// Layers download and extract in parallel (Options::max_concurrent_downloads)
// and are registered in order, parent first. Nothing becomes visible until it
// is complete and verified: a layer is registered only after its blob digest,
// size and diff id check out; the image is recorded only after all its layers
// are; the tags last. A failed or killed pull leaves nothing `images` shows,
// and its leftovers are removed by the next command that cleans the store.
//
//   pull::Options opts{.root = root, .config = cfg};
//   ASSIGN_OR_RETURN(pull::Result r, pull::Pull(ref, opts, &progress));
#ifndef MYDOCKER_LIB_PULL_PULL_H_
#define MYDOCKER_LIB_PULL_PULL_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "lib/archive/layer_applier.h"
#include "lib/digest/digest.h"
#include "lib/manifest/manifest.h"
#include "lib/reference/reference.h"
#include "lib/registry/config.h"

namespace mydocker::pull {

struct Options {
  std::string root;  // The data root.
  manifest::Platform platform = manifest::Platform::Host();
  registry::RegistryConfig config;
  std::string credentials_path = registry::ClientConfigPath();
  archive::Limits limits;
};

// What the pull reports as it goes, from several threads at once (the
// implementation serialises the calls).
class Progress {
 public:
  enum class State {
    kWaiting,        // Queued behind other downloads.
    kAlreadyExists,  // In the store already: nothing to fetch.
    kDownloading,    // Bytes arriving (and being extracted as they come).
    kExtracting,     // All bytes in; finishing, verifying, registering.
    kRetrying,       // A transient error; starting the layer again.
    kComplete,
  };
  virtual ~Progress() = default;
  // A line of its own ("latest: Pulling from library/nginx").
  virtual void Message(const std::string& line) = 0;
  // `layer` is the 12-hex short form of the layer's blob digest.
  virtual void Layer(const std::string& layer, State state, int64_t current,
                     int64_t total) = 0;
};

struct Result {
  reference::Reference ref;       // What was pulled, normalized.
  digest::Digest manifest_digest; // Of the manifest or index resolved.
  digest::Digest image_id;
  bool new_image = false;         // False: the reference named it already.
};

// Pulls `ref`. Errors name the reference and the failing object:
// "docker.io/library/nginx:latest: layer sha256:ab12...: digest mismatch".
absl::StatusOr<Result> Pull(const reference::Reference& ref,
                            const Options& options, Progress* progress);

}  // namespace mydocker::pull

#endif  // MYDOCKER_LIB_PULL_PULL_H_
