#include "lib/layerdb/layer_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/random_id.h"
#include "lib/base/status_macros.h"
#include "lib/store/paths.h"

namespace mydocker::layerdb {
namespace {

constexpr int kMaxDepth = 128;  // overlay2's own limit on lower layers.

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

absl::Status MakeDir(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) < 0) return base::ErrnoStatus(errno, "mkdir ", path);
  if (chmod(path.c_str(), mode) < 0) return base::ErrnoStatus(errno, "chmod ", path);
  return absl::OkStatus();
}

// dockerd trims spaces when it reads these files; so do we.
absl::StatusOr<std::string> ReadSmall(const std::string& path) {
  ASSIGN_OR_RETURN(std::string s, base::ReadFile(path, 4096));
  return std::string(absl::StripAsciiWhitespace(s));
}

}  // namespace

std::vector<digest::Digest> ChainIds(const std::vector<digest::Digest>& diff_ids) {
  std::vector<digest::Digest> out;
  for (const digest::Digest& d : diff_ids) {
    out.push_back(out.empty() ? d
                              : digest::Digest::Of(absl::StrCat(
                                    out.back().str(), " ", d.str())));
  }
  return out;
}

absl::StatusOr<int64_t> DiffSize(const std::string& dir) {
  std::set<std::pair<dev_t, ino_t>> seen;
  int64_t total = 0;
  std::vector<std::string> stack = {dir};
  while (!stack.empty()) {
    std::string d = std::move(stack.back());
    stack.pop_back();
    int fd = open(d.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return base::ErrnoStatus(errno, "open ", d);
    DIR* dp = fdopendir(fd);
    if (dp == nullptr) {
      close(fd);
      return base::ErrnoStatus(errno, "open ", d);
    }
    while (dirent* e = readdir(dp)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      struct stat st;
      if (fstatat(fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
        absl::Status s = base::ErrnoStatus(errno, "stat ", d, "/", n);
        closedir(dp);
        return s;
      }
      if (S_ISDIR(st.st_mode)) {
        stack.push_back(absl::StrCat(d, "/", n));
      } else if (st.st_size > 0 && seen.insert({st.st_dev, st.st_ino}).second) {
        total += st.st_size;
      }
    }
    closedir(dp);
  }
  return total;
}

PendingLayer::PendingLayer(std::string root, std::string cache_id,
                           std::string link, std::string write_set)
    : root_(std::move(root)),
      cache_id_(std::move(cache_id)),
      link_(std::move(link)),
      write_set_(std::move(write_set)),
      diff_dir_(absl::StrCat(store::Overlay2Dir(root_), "/", cache_id_, "/diff")),
      live_(true) {}

PendingLayer::PendingLayer(PendingLayer&& o) noexcept
    : root_(std::move(o.root_)),
      cache_id_(std::move(o.cache_id_)),
      link_(std::move(o.link_)),
      write_set_(std::move(o.write_set_)),
      diff_dir_(std::move(o.diff_dir_)),
      live_(std::exchange(o.live_, false)) {}

PendingLayer& PendingLayer::operator=(PendingLayer&& o) noexcept {
  if (this != &o) {
    Discard();
    root_ = std::move(o.root_);
    cache_id_ = std::move(o.cache_id_);
    link_ = std::move(o.link_);
    write_set_ = std::move(o.write_set_);
    diff_dir_ = std::move(o.diff_dir_);
    live_ = std::exchange(o.live_, false);
  }
  return *this;
}

PendingLayer::~PendingLayer() { Discard(); }

std::string PendingLayer::tar_split_path() const {
  return absl::StrCat(write_set_, "/tar-split.json.gz");
}

void PendingLayer::Discard() {
  if (!live_) return;
  live_ = false;
  // Best effort: whatever stays is found by LayerStore::CleanUp.
  base::RemoveAll(write_set_).IgnoreError();
  unlink(absl::StrCat(store::Overlay2Dir(root_), "/l/", link_).c_str());
  base::RemoveAll(absl::StrCat(store::Overlay2Dir(root_), "/", cache_id_))
      .IgnoreError();
}

LayerStore::LayerStore(std::string root)
    : root_(std::move(root)),
      layerdb_(store::LayerDbDir(root_)),
      overlay2_(store::Overlay2Dir(root_)) {}

std::string LayerStore::DiffDir(const std::string& cache_id) const {
  return absl::StrCat(overlay2_, "/", cache_id, "/diff");
}

bool LayerStore::Has(const digest::Digest& chain_id) const {
  absl::StatusOr<Layer> l = Get(chain_id);
  return l.ok() && Exists(absl::StrCat(overlay2_, "/", l->cache_id));
}

absl::StatusOr<Layer> LayerStore::Get(const digest::Digest& chain_id) const {
  std::string dir = absl::StrCat(layerdb_, "/sha256/", chain_id.hex());
  absl::StatusOr<std::string> diff = ReadSmall(dir + "/diff");
  if (absl::IsNotFound(diff.status())) {
    return absl::NotFoundError(absl::StrCat("no such layer: ", chain_id.str()));
  }
  RETURN_IF_ERROR(diff.status());
  auto damaged = [&](absl::string_view what) {
    return absl::DataLossError(
        absl::StrCat("layer ", chain_id.str(), ": bad ", what, " record in ", dir));
  };
  absl::StatusOr<digest::Digest> diff_id = digest::Digest::Parse(*diff);
  if (!diff_id.ok()) return damaged("diff");
  ASSIGN_OR_RETURN(std::string cache_id, ReadSmall(dir + "/cache-id"));
  // The cache id names a directory: it must not be able to name another.
  if (cache_id.empty() || cache_id.find('/') != std::string::npos ||
      cache_id == "." || cache_id == ".." || cache_id == "l") {
    return damaged("cache-id");
  }
  Layer layer{chain_id, *diff_id, std::nullopt, cache_id, 0};
  absl::StatusOr<std::string> size = base::ReadFile(dir + "/size", 64);
  if (!size.ok() || !absl::SimpleAtoi(*size, &layer.size)) return damaged("size");
  absl::StatusOr<std::string> parent = ReadSmall(dir + "/parent");
  if (parent.ok()) {
    absl::StatusOr<digest::Digest> p = digest::Digest::Parse(*parent);
    if (!p.ok()) return damaged("parent");
    layer.parent = *p;
  } else if (!absl::IsNotFound(parent.status())) {
    return parent.status();
  }
  return layer;
}

absl::StatusOr<std::vector<digest::Digest>> LayerStore::List() const {
  std::vector<digest::Digest> out;
  ASSIGN_OR_RETURN(std::vector<std::string> names,
                   base::ListDir(absl::StrCat(layerdb_, "/sha256")));
  for (const std::string& n : names) {
    absl::StatusOr<digest::Digest> d = digest::Digest::Parse(absl::StrCat("sha256:", n));
    if (d.ok()) out.push_back(*d);
  }
  return out;
}

absl::StatusOr<PendingLayer> LayerStore::Begin() {
  RETURN_IF_ERROR(base::MakeDirs(store::ImageDir(root_), 0700));
  RETURN_IF_ERROR(base::MakeDirs(layerdb_, 0700));
  RETURN_IF_ERROR(base::MakeDirs(absl::StrCat(layerdb_, "/tmp"), 0755));
  RETURN_IF_ERROR(base::MakeDirs(overlay2_, 0710));
  RETURN_IF_ERROR(base::MakeDirs(absl::StrCat(overlay2_, "/l"), 0700));

  ASSIGN_OR_RETURN(std::string cache_id, base::RandomHexId());
  ASSIGN_OR_RETURN(std::string link, base::RandomLinkId());
  ASSIGN_OR_RETURN(std::string suffix, base::RandomHexId());
  std::string write_set =
      absl::StrCat(layerdb_, "/tmp/write-set-", suffix.substr(0, 24));
  // From here on, the PendingLayer owns (and on failure removes) all of it.
  PendingLayer p(root_, cache_id, link, write_set);
  std::string dir = absl::StrCat(overlay2_, "/", cache_id);
  RETURN_IF_ERROR(MakeDir(write_set, 0700));
  RETURN_IF_ERROR(MakeDir(dir, 0710));
  RETURN_IF_ERROR(MakeDir(dir + "/diff", 0755));
  std::string target = absl::StrCat("../", cache_id, "/diff");
  std::string link_path = absl::StrCat(overlay2_, "/l/", link);
  if (symlink(target.c_str(), link_path.c_str()) < 0) {
    return base::ErrnoStatus(errno, "symlink ", link_path);
  }
  RETURN_IF_ERROR(base::WriteFileAtomic(dir + "/link", link, 0644));
  return p;
}

absl::StatusOr<Layer> LayerStore::Commit(PendingLayer pending,
                                         const digest::Digest& diff_id,
                                         const std::optional<digest::Digest>& parent) {
  digest::Digest chain_id =
      parent ? digest::Digest::Of(absl::StrCat(parent->str(), " ", diff_id.str()))
             : diff_id;
  std::string dir = absl::StrCat(overlay2_, "/", pending.cache_id_);
  Layer layer{chain_id, diff_id, parent, pending.cache_id_, 0};

  if (parent) {
    ASSIGN_OR_RETURN(Layer p, Get(*parent));
    std::string pdir = absl::StrCat(overlay2_, "/", p.cache_id);
    ASSIGN_OR_RETURN(std::string plink, ReadSmall(pdir + "/link"));
    std::string lower = absl::StrCat("l/", plink);
    absl::StatusOr<std::string> plower = ReadSmall(pdir + "/lower");
    if (plower.ok() && !plower->empty()) absl::StrAppend(&lower, ":", *plower);
    if (std::vector<std::string>(absl::StrSplit(lower, ':')).size() > kMaxDepth) {
      return absl::FailedPreconditionError(absl::StrCat(
          "layer ", chain_id.str(), ": more than ", kMaxDepth, " layers"));
    }
    RETURN_IF_ERROR(base::WriteFileAtomic(dir + "/lower", lower, 0644));
    if (!Exists(dir + "/work")) RETURN_IF_ERROR(MakeDir(dir + "/work", 0700));
    // dockerd marks a layer that has a child; its mount code reads it.
    RETURN_IF_ERROR(base::WriteFileAtomic(pdir + "/committed", "", 0600));
  }
  ASSIGN_OR_RETURN(layer.size, DiffSize(pending.diff_dir()));

  const std::string& ws = pending.write_set_;
  RETURN_IF_ERROR(base::WriteFileAtomic(ws + "/diff", diff_id.str(), 0644));
  RETURN_IF_ERROR(base::WriteFileAtomic(ws + "/size", absl::StrCat(layer.size), 0644));
  RETURN_IF_ERROR(base::WriteFileAtomic(ws + "/cache-id", layer.cache_id, 0644));
  if (parent) {
    RETURN_IF_ERROR(base::WriteFileAtomic(ws + "/parent", parent->str(), 0644));
  }
  RETURN_IF_ERROR(base::SyncDir(ws));
  std::string sha_dir = absl::StrCat(layerdb_, "/sha256");
  RETURN_IF_ERROR(base::MakeDirs(sha_dir, 0755));
  std::string final_dir = absl::StrCat(sha_dir, "/", chain_id.hex());
  if (rename(ws.c_str(), final_dir.c_str()) < 0) {
    if (errno == EEXIST || errno == ENOTEMPTY) {
      return absl::AlreadyExistsError(
          absl::StrCat("layer ", chain_id.str(), " is already registered"));
    }
    return base::ErrnoStatus(errno, "rename ", ws, " to ", final_dir);
  }
  pending.live_ = false;  // Registered: the directories are the layer's now.
  RETURN_IF_ERROR(base::SyncDir(sha_dir));
  return layer;
}

absl::Status LayerStore::Remove(const digest::Digest& chain_id) {
  ASSIGN_OR_RETURN(Layer layer, Get(chain_id));
  std::string dir = absl::StrCat(layerdb_, "/sha256/", chain_id.hex());
  // Unregister first: a half-removed layer must not look usable.
  ASSIGN_OR_RETURN(std::string suffix, base::RandomHexId());
  std::string doomed = absl::StrCat(layerdb_, "/tmp/remove-", suffix.substr(0, 24));
  RETURN_IF_ERROR(base::MakeDirs(absl::StrCat(layerdb_, "/tmp"), 0755));
  if (rename(dir.c_str(), doomed.c_str()) < 0) {
    return base::ErrnoStatus(errno, "rename ", dir);
  }
  absl::Status status = base::RemoveAll(doomed);
  // The spare container layers standing on it (container/rw_layer.h), best
  // effort: what stays is garbage a pull's clean-up finds (CleanUp).
  const std::string spares =
      absl::StrCat(store::SparesDir(root_), "/", chain_id.hex());
  absl::StatusOr<std::vector<std::string>> kept = base::ListDir(spares);
  for (const std::string& k : kept.ok() ? *kept : std::vector<std::string>()) {
    const std::string record = absl::StrCat(spares, "/", k);
    for (const char* f : {"/mount-id", "/init-id"}) {
      absl::StatusOr<std::string> id = ReadSmall(record + f);
      if (id.ok()) (void)RemoveOverlayDir(*id);
    }
    (void)base::RemoveAll(record);
  }
  (void)rmdir(spares.c_str());
  status.Update(RemoveOverlayDir(layer.cache_id));
  return status;
}

absl::Status LayerStore::RemoveOverlayDir(const std::string& name) {
  if (name.empty() || name == "l" || name == "." || name == ".." ||
      name.find('/') != std::string::npos) {
    return absl::OkStatus();  // Not a name this directory could hold.
  }
  std::string dir = absl::StrCat(overlay2_, "/", name);
  absl::StatusOr<std::string> link = ReadSmall(dir + "/link");
  if (link.ok() && !link->empty() && *link != "." && *link != ".." &&
      link->find('/') == std::string::npos) {
    unlink(absl::StrCat(overlay2_, "/l/", *link).c_str());
  }
  return base::RemoveAll(dir);
}

absl::Status LayerStore::CleanUp() {
  absl::Status status;
  // Write sets and removals that never finished.
  ASSIGN_OR_RETURN(std::vector<std::string> tmp,
                   base::ListDir(absl::StrCat(layerdb_, "/tmp")));
  for (const std::string& n : tmp) {
    status.Update(base::RemoveAll(absl::StrCat(layerdb_, "/tmp/", n)));
  }
  // overlay2 dirs that no layer and no container mount names.
  std::set<std::string> used;
  ASSIGN_OR_RETURN(std::vector<digest::Digest> layers, List());
  for (const digest::Digest& id : layers) {
    absl::StatusOr<Layer> l = Get(id);
    if (l.ok()) used.insert(l->cache_id);
  }
  // Containers' layer records, those of --rm containers being removed (in
  // the trash: their layers may yet become spares), and the spare ones
  // (container/rw_layer.h).
  std::vector<std::string> records;
  ASSIGN_OR_RETURN(std::vector<std::string> mounts,
                   base::ListDir(absl::StrCat(layerdb_, "/mounts")));
  for (const std::string& m : mounts) {
    records.push_back(absl::StrCat(layerdb_, "/mounts/", m));
  }
  absl::StatusOr<std::vector<std::string>> trashed =
      base::ListDir(store::TrashDir(root_));
  for (const std::string& t : trashed.ok() ? *trashed : std::vector<std::string>()) {
    records.push_back(
        absl::StrCat(store::TrashDir(root_), "/", t, "/", store::kTrashedLayerRecord));
  }
  // Spares on a layer that is gone (dockerd removed it) go now.
  const std::string spares = store::SparesDir(root_);
  absl::StatusOr<std::vector<std::string>> images = base::ListDir(spares);
  if (!images.ok() && !absl::IsNotFound(images.status())) return images.status();
  for (const std::string& i : images.ok() ? *images : std::vector<std::string>()) {
    const std::string dir = absl::StrCat(spares, "/", i);
    const bool on_a_layer = Exists(absl::StrCat(layerdb_, "/sha256/", i));
    absl::StatusOr<std::vector<std::string>> kept = base::ListDir(dir);
    if (!kept.ok()) continue;
    for (const std::string& k : *kept) {
      if (on_a_layer) records.push_back(absl::StrCat(dir, "/", k));
    }
    if (!on_a_layer) status.Update(base::RemoveAll(dir));
  }
  for (const std::string& r : records) {
    for (const char* f : {"/mount-id", "/init-id"}) {
      absl::StatusOr<std::string> id = ReadSmall(r + f);
      if (id.ok()) used.insert(*id);
    }
  }
  ASSIGN_OR_RETURN(std::vector<std::string> dirs, base::ListDir(overlay2_));
  for (const std::string& n : dirs) {
    if (n == "l" || used.count(n) > 0) continue;
    status.Update(base::RemoveAll(absl::StrCat(overlay2_, "/", n)));
  }
  // Short links whose layer is gone.
  ASSIGN_OR_RETURN(std::vector<std::string> links, base::ListDir(overlay2_ + "/l"));
  for (const std::string& n : links) {
    std::string path = absl::StrCat(overlay2_, "/l/", n);
    struct stat st;
    if (stat(path.c_str(), &st) < 0 && errno == ENOENT) unlink(path.c_str());
  }
  return status;
}

}  // namespace mydocker::layerdb
