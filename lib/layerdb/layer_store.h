// The layer store: image/overlay2/layerdb plus the overlay2 driver's
// directories, in dockerd 20.10's layout, so that either tool can use layers
// the other pulled.
//
//   layerdb/sha256/<chain id hex>/{diff,parent,size,cache-id,tar-split.json.gz}
//   overlay2/<cache-id>/{diff/,link,lower,work/,committed}
//   overlay2/l/<link id> -> ../<cache-id>/diff
//
// A layer is added in two steps, so that extraction (slow, parallel) never
// exposes anything half done:
//
//   ASSIGN_OR_RETURN(PendingLayer p, store.Begin());
//   ... extract into p.diff_dir(), write p.tar_split_path() ...
//   ASSIGN_OR_RETURN(Layer l, store.Commit(std::move(p), diff_id, parent));
//
// Until Commit renames the finished layerdb entry into place, nothing lists
// the layer; a PendingLayer dropped without Commit removes what it made, and
// CleanUp() removes what a killed process left behind.
#ifndef MYDOCKER_LIB_LAYERDB_LAYER_STORE_H_
#define MYDOCKER_LIB_LAYERDB_LAYER_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/digest/digest.h"

namespace mydocker::layerdb {

// chain id of layer n: diff id for the base, then
// sha256("<chain id of n-1> <diff id of n>").
std::vector<digest::Digest> ChainIds(const std::vector<digest::Digest>& diff_ids);

struct Layer {
  digest::Digest chain_id;
  digest::Digest diff_id;
  std::optional<digest::Digest> parent;  // Chain id of the parent layer.
  std::string cache_id;                  // overlay2/<cache_id>
  int64_t size = 0;                      // Bytes of the layer's own files.
};

// A layer being made. Move-only; if destroyed before Commit, removes its
// directories.
class PendingLayer {
 public:
  PendingLayer(PendingLayer&&) noexcept;
  PendingLayer& operator=(PendingLayer&&) noexcept;
  PendingLayer(const PendingLayer&) = delete;
  PendingLayer& operator=(const PendingLayer&) = delete;
  ~PendingLayer();

  // The empty directory to extract the layer into.
  const std::string& diff_dir() const { return diff_dir_; }
  // Where to write the layer's tar-split.json.gz.
  std::string tar_split_path() const;
  const std::string& cache_id() const { return cache_id_; }

 private:
  friend class LayerStore;
  PendingLayer(std::string root, std::string cache_id, std::string link,
               std::string write_set);
  void Discard();

  std::string root_;
  std::string cache_id_;
  std::string link_;
  std::string write_set_;  // layerdb/tmp/write-set-<random>
  std::string diff_dir_;
  bool live_ = false;
};

class LayerStore {
 public:
  explicit LayerStore(std::string root);

  // Whether `chain_id` is registered and its overlay2 directory exists.
  bool Has(const digest::Digest& chain_id) const;

  // The registered layer. NotFound if it is not; DataLoss if its record is
  // damaged.
  absl::StatusOr<Layer> Get(const digest::Digest& chain_id) const;

  // Every registered chain id.
  absl::StatusOr<std::vector<digest::Digest>> List() const;

  // Creates the directories of a new layer: overlay2/<new cache id>/diff,
  // its link, and a layerdb write set.
  absl::StatusOr<PendingLayer> Begin();

  // Registers `pending` as the layer `diff_id` on top of `parent` (a chain id
  // that must be registered, or nullopt for a base layer): writes lower,
  // work/, the parent's committed marker, computes the size, and renames the
  // layerdb entry into place. AlreadyExists if another process registered
  // the same chain id first (then `pending` is discarded and the caller uses
  // Get).
  absl::StatusOr<Layer> Commit(PendingLayer pending,
                               const digest::Digest& diff_id,
                               const std::optional<digest::Digest>& parent);

  // Unregisters `chain_id` and removes its directories, and the spare
  // container layers kept on it (store::SparesDir). The caller has made
  // sure nothing uses it.
  absl::Status Remove(const digest::Digest& chain_id);

  // Removes what interrupted commands left: layerdb write sets, overlay2
  // directories no registered layer, container or spare uses, dangling l/
  // links.
  // Only safe while nothing else is adding layers: callers hold the
  // layer-store lock exclusively.
  absl::Status CleanUp();

  // The absolute overlay2 diff dir of a layer ("<root>/overlay2/<cache>/diff").
  std::string DiffDir(const std::string& cache_id) const;

 private:
  // Removes overlay2/<name> and its l/ link.
  absl::Status RemoveOverlayDir(const std::string& name);

  std::string root_;
  std::string layerdb_;
  std::string overlay2_;
};

// du of an extracted layer as dockerd counts it: the st_size of every
// non-directory, each inode once.
absl::StatusOr<int64_t> DiffSize(const std::string& dir);

}  // namespace mydocker::layerdb

#endif  // MYDOCKER_LIB_LAYERDB_LAYER_STORE_H_
