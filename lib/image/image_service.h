// The image service the applets use: `images`, `rmi`, `tag`, `image
// inspect`, and the rootfs of an image for `run`. It works on a data root
// that dockerd 20.10 could also use (lib/store/DOCKER_LAYOUT.md), on top of
// lib/refstore (repositories.json), lib/imagedb (configs) and lib/layerdb
// (layers), and reproduces the daemon's rules (moby daemon/images/*.go and
// docker/cli formatter, v20.10.24):
//
//   ImageService images(root);
//   ASSIGN_OR_RETURN(std::vector<ImageSummary> rows, images.List({}));
//   ASSIGN_OR_RETURN(digest::Digest id, images.Resolve("busybox"));
//   RETURN_IF_ERROR(images.Tag("busybox", "mybox:v1"));
//   ASSIGN_OR_RETURN(std::vector<std::string> out,
//                    images.Remove("mybox:v1", /*force=*/false));
//   for (const std::string& line : out) std::cout << line << "\n";
//   // Untagged: mybox:v1
//   ASSIGN_OR_RETURN(nlohmann::ordered_json j, images.Inspect("busybox"));
//
// Errors carry dockerd's wording, so the applets can print them as they are
// (`Error response from daemon: ` is the applet's to add): NotFound "No such
// image: busybox:latest", FailedPrecondition "conflict: unable to delete
// 18117d7e766f (must be forced) - ...", InvalidArgument for a malformed
// reference.
//
// Concurrency: commands are separate processes sharing the store through
// its locks, always taken in this order: the layer-store lock, then the
// repositories lock. Reads take no lock: every record is replaced
// atomically. Remove relies on this protocol of the writers: a command that
// adds layers or uses an image (pull, create/run, commit) holds the
// layer-store lock shared from the moment it finds a layer or image present
// until the references, config.v2.json or layerdb/mounts entry that use it
// are written; Tag resolves its source under the repositories lock.
#ifndef MYDOCKER_LIB_IMAGE_IMAGE_SERVICE_H_
#define MYDOCKER_LIB_IMAGE_IMAGE_SERVICE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lib/digest/digest.h"
#include "lib/image/format.h"  // kGoZeroTime
#include "nlohmann/json.hpp"

namespace mydocker::image {

// One row of `docker images`.
struct ImageSummary {
  std::string repository;  // Familiar name ("busybox"), or "<none>".
  std::string tag;         // "latest", or "<none>".
  // The repository's digest ("sha256:...") for this row; only filled in
  // with ListOptions::digests (the DIGEST column shows "<none>" without).
  std::optional<std::string> digest;
  digest::Digest id;
  absl::Time created;  // The config's "created"; kGoZeroTime if it has none.
  int64_t size = 0;    // Bytes: the sum of the sizes of all its layers.
};

struct ListOptions {
  // -a: also list untagged images that are the parent of another image
  // (intermediate build images; pulled images have no parent).
  bool all = false;
  // `docker images PATTERN`: only references whose familiar name or
  // familiar string matches the glob (path.Match syntax: *, ?, [...];
  // matched with fnmatch(FNM_PATHNAME), so a malformed pattern matches
  // nothing where Go reports an error), as
  // "busybox", "busybox:1.*", "*/app". Empty: no filter. An image with no
  // matching reference is left out, dangling ones too.
  std::string filter;
  // --digests (or a format naming .Digest): one row per tag and repo
  // digest, as the CLI expands them.
  bool digests = false;
};

// A container made from an image, as its config.v2.json records it.
struct ContainerUse {
  std::string id;        // The full 64-hex container id.
  bool running = false;  // State.Running.
};

class ImageService {
 public:
  // `root` is the data root (dockerd's --data-root, e.g. /var/lib/docker).
  explicit ImageService(std::string root);

  // What `images` shows, newest image first (ties by id), the rows of one
  // image grouped: its tagged repositories (by name, then tag), then the
  // repositories it has only digests in (tag "<none>"); an image with no
  // reference at all is one `<none> <none>` row. Images whose config or
  // layers cannot be read are left out, as dockerd does not load them.
  absl::StatusOr<std::vector<ImageSummary>> List(
      const ListOptions& options) const;

  // The image `name_or_id` names, as dockerd's GetImage resolves it:
  //  - 64 hex digits or "sha256:<64 hex>": that image id;
  //  - else a reference ("busybox" means busybox:latest; a digest wins over
  //    a tag) found in repositories.json;
  //  - else a prefix of an image id, any length, with or without "sha256:".
  // InvalidArgument (the reference parser's message) for input that is
  // none of these; NotFound "No such image: <familiar ref>" otherwise, also
  // for a prefix matching several images (dockerd says exactly that).
  // An image whose layers are missing still resolves, so rmi can remove it.
  absl::StatusOr<digest::Digest> Resolve(absl::string_view name_or_id) const;

  // `tag SOURCE TARGET`: points TARGET (":latest" if it names no tag) at
  // SOURCE's image, replacing what it named, and records the time in the
  // image's lastUpdated as dockerd does. InvalidArgument if TARGET is not a
  // valid reference ("Error parsing reference: \"X\" is not a valid
  // repository/tag: ..."), has a digest ("refusing to create a tag with a
  // digest reference") or is named "sha256"; Resolve's errors for SOURCE.
  absl::Status Tag(absl::string_view source, absl::string_view target);

  // `rmi [-f] NAME_OR_ID`: what dockerd's ImageDelete does, returning the
  // lines `docker rmi` prints, in its order:
  //   Untagged: busybox:latest
  //   Untagged: busybox@sha256:<manifest digest>
  //   Deleted: sha256:<image id>
  //   Deleted: sha256:<chain id>        (each layer removed, top first)
  // By reference: removes that reference; if that was the repository's last
  // tag, also its digests there; if the image is then unreferenced and no
  // container uses it (or only stopped ones and `force`), deletes it,
  // otherwise quietly keeps it. Refused unless `force` if the reference is
  // the image's only one and a container uses the image.
  // By id or prefix: untags and deletes the image; refused unless `force`
  // if it has references in several repositories (or several tags), or a
  // stopped container uses it; always refused if a running container uses
  // it or another image has it as parent. Refusals are FailedPrecondition
  // with dockerd's one-line "conflict: ..." message.
  // The image itself goes after the references are written, under the
  // layer-store lock held exclusively, then its layers, top down, as long as
  // no other image and no container (layerdb/mounts/*/parent) stands on
  // them. A crash leaves at worst an untagged image or unused layers.
  absl::StatusOr<std::vector<std::string>> Remove(absl::string_view name_or_id,
                                                  bool force);

  // `docker image inspect NAME_OR_ID`: the object dockerd returns, keys in
  // its order (Id, RepoTags, RepoDigests, Parent, Comment, Created,
  // Container, ContainerConfig, DockerVersion, Author, Config,
  // Architecture, [Variant], Os, [OsVersion], Size, VirtualSize,
  // GraphDriver, RootFS, Metadata). The applet wraps it in a list and
  // indents it. Resolve's errors; NotFound if a layer is missing.
  absl::StatusOr<nlohmann::ordered_json> Inspect(
      absl::string_view name_or_id) const;

  // The absolute overlay2 diff directories of the image's layers, top layer
  // first (overlayfs lowerdir order). Empty for an image without layers.
  // NotFound naming the layer if one is not registered.
  absl::StatusOr<std::vector<std::string>> LayerDirs(
      const digest::Digest& image_id) const;

  // The containers whose <root>/containers/<id>/config.v2.json says
  // "Image": "<image_id>", sorted by id; dockerd's containers count too.
  // Unreadable container configs are skipped; no containers dir means none.
  absl::StatusOr<std::vector<ContainerUse>> ContainersUsing(
      const digest::Digest& image_id) const;

 private:
  std::string root_;
};

}  // namespace mydocker::image

#endif  // MYDOCKER_LIB_IMAGE_IMAGE_SERVICE_H_
