#include "lib/image/image_service.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/file_lock.h"
#include "lib/base/status_macros.h"
#include "lib/image/container_config.h"
#include "lib/image/format.h"
#include "lib/imagedb/imagedb.h"
#include "lib/layerdb/layer_store.h"
#include "lib/manifest/manifest.h"
#include "lib/reference/reference.h"
#include "lib/refstore/refstore.h"
#include "lib/store/paths.h"

namespace mydocker::image {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using reference::Reference;

constexpr size_t kMaxContainerConfigBytes = 16 << 20;
constexpr int kMaxLayerDepth = 256;  // Guards the walk up a damaged chain.

// ---------------------------------------------------------------- time

// A time as Go's encoding/json reads an RFC 3339 string: the instant and
// the UTC offset it was written with, which Go keeps for printing.
struct GoTime {
  absl::Time time = kGoZeroTime;
  int offset_seconds = 0;
};

std::optional<GoTime> ParseGoTime(absl::string_view s) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, s, &t, &err)) return std::nullopt;
  GoTime out{t, 0};
  if (!s.empty() && (s.back() == 'Z' || s.back() == 'z')) return out;
  // absl accepted it, so it ends in "+hh:mm" or "-hh:mm".
  absl::string_view zone = s.substr(s.size() - 6);
  int hh = 0, mm = 0;
  if (absl::SimpleAtoi(zone.substr(1, 2), &hh) &&
      absl::SimpleAtoi(zone.substr(4, 2), &mm)) {
    out.offset_seconds = (zone[0] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
  }
  return out;
}

// Go's time.Format(time.RFC3339Nano): 4-digit year, fraction without
// trailing zeros (none at all if zero), "Z" for a zero offset.
std::string FormatGoTime(const GoTime& t) {
  absl::TimeZone tz = absl::FixedTimeZone(t.offset_seconds);
  absl::CivilSecond cs = absl::ToCivilSecond(t.time, tz);
  std::string out =
      absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d", cs.year(), cs.month(),
                      cs.day(), cs.hour(), cs.minute(), cs.second());
  int64_t nanos = absl::ToInt64Nanoseconds(t.time - absl::FromCivil(cs, tz));
  if (nanos > 0) {
    std::string frac = absl::StrFormat("%09d", nanos);
    while (frac.back() == '0') frac.pop_back();
    absl::StrAppend(&out, ".", frac);
  }
  if (t.offset_seconds == 0) return absl::StrCat(out, "Z");
  int off = t.offset_seconds < 0 ? -t.offset_seconds : t.offset_seconds;
  return absl::StrCat(
      out, absl::StrFormat("%c%02d:%02d", t.offset_seconds < 0 ? '-' : '+',
                           off / 3600, off / 60 % 60));
}

// ---------------------------------------------------------------- files


// Lexical path.Clean of an absolute path: "." and ".." resolved, no
// doubled or trailing slashes.
std::string CleanPath(absl::string_view path) {
  std::vector<absl::string_view> parts;
  for (absl::string_view p : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (p == ".") continue;
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(p);
  }
  return absl::StrCat("/", absl::StrJoin(parts, "/"));
}

// ---------------------------------------------------------------- images

// The parts of an image config this file uses.
struct Config {
  json doc;  // The whole config, parsed.
  std::vector<digest::Digest> diff_ids;
  GoTime created;
};

absl::StatusOr<Config> LoadConfig(const imagedb::ImageDb& db,
                                  const digest::Digest& id) {
  ASSIGN_OR_RETURN(std::string bytes, db.Get(id));
  absl::StatusOr<manifest::ImageConfig> parsed = manifest::ParseConfig(bytes);
  if (!parsed.ok()) {
    return absl::DataLossError(
        absl::StrCat("image ", id.str(), ": ", parsed.status().message()));
  }
  Config c;
  c.doc = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  c.diff_ids = std::move(parsed->diff_ids);
  if (auto it = c.doc.find("created"); it != c.doc.end() && it->is_string()) {
    // Go would refuse the image for a bad time; showing none is kinder.
    if (std::optional<GoTime> t = ParseGoTime(it->get<std::string>()))
      c.created = *t;
  }
  return c;
}

// The layers of an image, base first. NotFound naming the first missing one.
absl::StatusOr<std::vector<layerdb::Layer>> ImageLayers(
    const layerdb::LayerStore& layers,
    const std::vector<digest::Digest>& diff_ids) {
  std::vector<layerdb::Layer> out;
  for (const digest::Digest& chain : layerdb::ChainIds(diff_ids)) {
    ASSIGN_OR_RETURN(layerdb::Layer l, layers.Get(chain));
    out.push_back(std::move(l));
  }
  return out;
}

std::string MetadataPath(const std::string& root, const digest::Digest& id,
                         absl::string_view key) {
  return absl::StrCat(store::ImageDbDir(root), "/metadata/sha256/", id.hex(),
                      "/", key);
}

// imagedb/metadata/sha256/<id>/parent, which only `build`/`commit` write.
// (Belongs in ImageDb; read here until it has an accessor.)
std::optional<digest::Digest> ParentOf(const std::string& root,
                                       const digest::Digest& id) {
  absl::StatusOr<std::string> s =
      base::ReadFile(MetadataPath(root, id, "parent"), 256);
  if (!s.ok()) return std::nullopt;
  absl::StatusOr<digest::Digest> d =
      digest::Digest::Parse(absl::StripAsciiWhitespace(*s));
  if (!d.ok()) return std::nullopt;
  return *d;
}

// The ids some image in `ids` names as its parent.
std::set<digest::Digest> ImagesWithChildren(
    const std::string& root, const std::vector<digest::Digest>& ids) {
  std::set<digest::Digest> out;
  for (const digest::Digest& id : ids) {
    if (std::optional<digest::Digest> p = ParentOf(root, id)) out.insert(*p);
  }
  return out;
}

// ---------------------------------------------------------------- references

bool IsHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

// The key a reference is stored under: with both a tag and a digest,
// dockerd keeps (and looks up) only the digest.
Reference StoreKey(Reference ref) {
  if (ref.digest) ref.tag.clear();
  return ref;
}

// Every reference to `id`, in dockerd's order (by full normalized string).
std::vector<Reference> SortedRefsTo(const refstore::Repositories& refs,
                                    const digest::Digest& id) {
  std::vector<Reference> out = refs.RefsTo(id);
  std::sort(out.begin(), out.end(), [](const Reference& a, const Reference& b) {
    return a.String() < b.String();
  });
  return out;
}

// dockerd's GetImage over a snapshot of the references.
absl::StatusOr<digest::Digest> ResolveIn(const refstore::Repositories& refs,
                                         const imagedb::ImageDb& db,
                                         absl::string_view input) {
  // An id: that image or nothing.
  std::optional<digest::Digest> as_id;
  if (IsHex64(input)) {
    as_id = *digest::Digest::Parse(absl::StrCat("sha256:", input));
  } else if (absl::StatusOr<digest::Digest> d = digest::Digest::Parse(input);
             d.ok()) {
    as_id = *d;
  }
  if (as_id) {
    if (db.Exists(*as_id)) return *as_id;
    return absl::NotFoundError(absl::StrCat("No such image: ", as_id->str()));
  }

  ASSIGN_OR_RETURN(Reference ref, reference::ParseNormalized(input));
  if (std::optional<digest::Digest> id = refs.Get(StoreKey(ref));
      id && db.Exists(*id)) {
    return *id;
  }

  // A prefix of an id, as distribution's digestset.Lookup takes it: hex
  // digits, or "sha256:" and hex digits; any other "alg:" never matches.
  absl::string_view prefix = input;
  bool searchable =
      absl::ConsumePrefix(&prefix, "sha256:") || !absl::StrContains(input, ':');
  std::optional<digest::Digest> found;
  bool ambiguous = false;
  if (searchable && !prefix.empty()) {
    ASSIGN_OR_RETURN(std::vector<digest::Digest> ids, db.List());
    for (const digest::Digest& id : ids) {
      if (!absl::StartsWith(id.hex(), prefix)) continue;
      if (found) ambiguous = true;
      found = id;
    }
  }
  // dockerd reports an ambiguous prefix as not found, with the same words.
  if (!found || ambiguous) {
    return absl::NotFoundError(
        absl::StrCat("No such image: ", ref.FamiliarString()));
  }
  return *found;
}

// Whether `input` is what ParseAnyReference accepts: an id or a reference.
absl::Status CheckSyntax(absl::string_view input) {
  if (IsHex64(input) || digest::Digest::Parse(input).ok())
    return absl::OkStatus();
  return reference::ParseNormalized(input).status();
}

absl::Status NotAValidReference(absl::string_view input,
                                const absl::Status& why) {
  return absl::InvalidArgumentError(
      absl::StrCat("Error parsing reference: \"", input,
                   "\" is not a valid repository/tag: ", why.message()));
}

// FamiliarMatch of distribution/reference: the glob against the familiar
// string, then against the familiar name. glibc's fnmatch with
// FNM_PATHNAME has Go's path.Match syntax ('*' stops at '/').
bool FamiliarMatch(const std::string& pattern, const Reference& ref) {
  return fnmatch(pattern.c_str(), ref.FamiliarString().c_str(), FNM_PATHNAME) ==
             0 ||
         fnmatch(pattern.c_str(), ref.FamiliarName().c_str(), FNM_PATHNAME) ==
             0;
}

// isSingleReference of daemon/images/image_delete.go: all references in
// one repository, and at most one of them a tag. False for none.
bool IsSingleReference(const std::vector<Reference>& refs) {
  if (refs.size() <= 1) return refs.size() == 1;
  const Reference* single = nullptr;
  std::set<std::string> digest_repos;
  for (const Reference& r : refs) {
    if (r.digest) {
      digest_repos.insert(r.Name());
    } else if (single == nullptr) {
      single = &r;
    } else {
      return false;
    }
  }
  if (single == nullptr) single = &refs[0];
  return digest_repos.size() == 1 && digest_repos.count(single->Name()) == 1;
}

// isImageIDPrefix: whether the user typed (a prefix of) the id itself.
bool IsImageIdPrefix(const digest::Digest& id, absl::string_view input) {
  return absl::StartsWith(id.str(), input) || absl::StartsWith(id.hex(), input);
}

// ---------------------------------------------------------------- rmi

// dockerd's conflict kinds; hard ones cannot be forced.
constexpr unsigned kDependentChild = 1;
constexpr unsigned kRunningContainer = 2;
constexpr unsigned kActiveReference = 4;
constexpr unsigned kStoppedContainer = 8;
constexpr unsigned kHard = kDependentChild | kRunningContainer;
constexpr unsigned kSoft = kActiveReference | kStoppedContainer;

struct Conflict {
  bool hard = false;
  bool used = false;  // A container is the reason.
  std::string message;
};

absl::Status ConflictError(const digest::Digest& id, const Conflict& c) {
  return absl::FailedPreconditionError(absl::StrCat(
      "conflict: unable to delete ", ShortId(id), " (",
      c.hard ? "cannot be forced" : "must be forced", ") - ", c.message));
}

// checkImageDeleteConflict, for the kinds in `mask`.
std::optional<Conflict> CheckDeleteConflict(
    unsigned mask, bool has_children, bool has_refs,
    const std::vector<ContainerUse>& users) {
  if ((mask & kDependentChild) && has_children) {
    return Conflict{true, false, "image has dependent child images"};
  }
  if (mask & kRunningContainer) {
    for (const ContainerUse& c : users) {
      if (c.running) {
        return Conflict{
            true, true,
            absl::StrCat("image is being used by running container ",
                         TruncateId(c.id))};
      }
    }
  }
  if ((mask & kActiveReference) && has_refs) {
    return Conflict{false, false,
                    "image is referenced in multiple repositories"};
  }
  if (mask & kStoppedContainer) {
    for (const ContainerUse& c : users) {
      if (!c.running) {
        return Conflict{
            false, true,
            absl::StrCat("image is being used by stopped container ",
                         TruncateId(c.id))};
      }
    }
  }
  return std::nullopt;
}

// Every chain id something still stands on: all layers of every image in
// the store, and the image layer under every container's own layer (with
// its ancestors). A config that cannot be read is skipped, as dockerd
// would not have loaded that image.
absl::StatusOr<std::set<digest::Digest>> UsedChains(
    const std::string& root, const imagedb::ImageDb& db,
    const layerdb::LayerStore& layers) {
  std::set<digest::Digest> used;
  ASSIGN_OR_RETURN(std::vector<digest::Digest> ids, db.List());
  for (const digest::Digest& id : ids) {
    absl::StatusOr<Config> c = LoadConfig(db, id);
    if (!c.ok()) continue;
    for (const digest::Digest& chain : layerdb::ChainIds(c->diff_ids))
      used.insert(chain);
  }
  std::string mounts = absl::StrCat(store::LayerDbDir(root), "/mounts");
  ASSIGN_OR_RETURN(std::vector<std::string> containers, base::ListDir(mounts));
  for (const std::string& c : containers) {
    absl::StatusOr<std::string> parent =
        base::ReadFile(absl::StrCat(mounts, "/", c, "/parent"), 256);
    if (!parent.ok()) continue;  // A container made from no image (scratch).
    absl::StatusOr<digest::Digest> chain =
        digest::Digest::Parse(absl::StripAsciiWhitespace(*parent));
    for (int depth = 0; chain.ok() && depth < kMaxLayerDepth; ++depth) {
      if (!used.insert(*chain).second) break;  // Its ancestors are in already.
      absl::StatusOr<layerdb::Layer> l = layers.Get(*chain);
      if (!l.ok() || !l->parent) break;
      chain = *l->parent;
    }
  }
  return used;
}

}  // namespace

ImageService::ImageService(std::string root) : root_(std::move(root)) {}

absl::StatusOr<std::vector<ImageSummary>> ImageService::List(
    const ListOptions& options) const {
  imagedb::ImageDb db(root_);
  layerdb::LayerStore layers(root_);
  ASSIGN_OR_RETURN(refstore::Repositories refs,
                   refstore::RefStore(root_).Load());
  ASSIGN_OR_RETURN(std::vector<digest::Digest> ids, db.List());
  std::set<digest::Digest> parents = ImagesWithChildren(root_, ids);

  struct Group {
    absl::Time created;
    digest::Digest id;
    std::vector<ImageSummary> rows;
  };
  std::vector<Group> groups;
  for (const digest::Digest& id : ids) {
    absl::StatusOr<Config> config = LoadConfig(db, id);
    if (!config.ok()) continue;
    absl::StatusOr<std::vector<layerdb::Layer>> chain =
        ImageLayers(layers, config->diff_ids);
    if (!chain.ok()) continue;
    int64_t size = 0;
    for (const layerdb::Layer& l : *chain) size += l.size;

    // Familiar repository -> tags / digests, as the CLI groups them.
    std::map<std::string, std::vector<std::string>> tags, digests;
    for (const Reference& ref : SortedRefsTo(refs, id)) {
      if (!options.filter.empty() && !FamiliarMatch(options.filter, ref))
        continue;
      if (ref.digest) {
        digests[ref.FamiliarName()].push_back(ref.digest->str());
      } else {
        tags[ref.FamiliarName()].push_back(ref.tag);
      }
    }
    Group g{config->created.time, id, {}};
    auto add = [&](std::string repo, std::string tag,
                   std::optional<std::string> dgst) {
      g.rows.push_back(ImageSummary{std::move(repo), std::move(tag),
                                    std::move(dgst), id, config->created.time,
                                    size});
    };
    if (tags.empty() && digests.empty()) {
      // Untagged: hidden when filtering by name, and, without -a, when it is
      // an intermediate image (another image's parent).
      if (!options.filter.empty() || (!options.all && parents.count(id) > 0))
        continue;
      add("<none>", "<none>", std::nullopt);
    }
    for (const auto& [repo, repo_tags] : tags) {
      auto d = digests.find(repo);
      for (const std::string& tag : repo_tags) {
        if (!options.digests || d == digests.end()) {
          add(repo, tag, std::nullopt);
          continue;
        }
        for (const std::string& dgst : d->second) add(repo, tag, dgst);
      }
    }
    for (const auto& [repo, repo_digests] : digests) {
      if (tags.count(repo) > 0) continue;  // Shown on its tags' rows.
      if (!options.digests) {
        add(repo, "<none>", std::nullopt);
        continue;
      }
      for (const std::string& dgst : repo_digests) add(repo, "<none>", dgst);
    }
    groups.push_back(std::move(g));
  }
  std::sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
    if (a.created != b.created) return a.created > b.created;
    return a.id < b.id;
  });
  std::vector<ImageSummary> out;
  for (Group& g : groups) {
    for (ImageSummary& r : g.rows) out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<digest::Digest> ImageService::Resolve(
    absl::string_view name_or_id) const {
  ASSIGN_OR_RETURN(refstore::Repositories refs,
                   refstore::RefStore(root_).Load());
  return ResolveIn(refs, imagedb::ImageDb(root_), name_or_id);
}

absl::Status ImageService::Tag(absl::string_view source,
                               absl::string_view target) {
  // The client's checks first, in its order, then the daemon's.
  if (absl::Status s = CheckSyntax(source); !s.ok())
    return NotAValidReference(source, s);
  absl::StatusOr<Reference> ref = reference::ParseNormalizedNamed(target);
  if (!ref.ok()) return NotAValidReference(target, ref.status());
  if (ref->digest) {
    return absl::InvalidArgumentError(
        "refusing to create a tag with a digest reference");
  }
  if (ref->tag.empty()) ref->tag = std::string(reference::kDefaultTag);

  imagedb::ImageDb db(root_);
  return refstore::RefStore(root_).Update([&](refstore::Repositories& refs) {
    // Resolved under the lock: a concurrent rmi deletes images only while
    // holding it, so the image cannot vanish before the tag is written.
    ASSIGN_OR_RETURN(digest::Digest id, ResolveIn(refs, db, source));
    if (ref->FamiliarName() == "sha256") {
      return absl::InvalidArgumentError(
          "refusing to create an ambiguous tag using digest algorithm as name");
    }
    RETURN_IF_ERROR(refs.Set(*ref, id));
    return db.SetLastUpdated(id, absl::Now());
  });
}

absl::StatusOr<std::vector<std::string>> ImageService::Remove(
    absl::string_view name_or_id, bool force) {
  imagedb::ImageDb db(root_);
  layerdb::LayerStore layers(root_);
  refstore::RefStore ref_store(root_);
  std::vector<std::string> lines;
  std::optional<digest::Digest>
      doomed;  // The image to delete, if it comes to that.

  // 1. References, and the decision, under the repositories lock
  //    (daemon/images/image_delete.go ImageDelete + imageDeleteHelper).
  RETURN_IF_ERROR(ref_store.Update([&](refstore::Repositories& refs)
                                       -> absl::Status {
    ASSIGN_OR_RETURN(digest::Digest id, ResolveIn(refs, db, name_or_id));
    std::vector<Reference> repo_refs = SortedRefsTo(refs, id);
    ASSIGN_OR_RETURN(std::vector<ContainerUse> users, ContainersUsing(id));
    ASSIGN_OR_RETURN(std::vector<digest::Digest> ids, db.List());
    const bool has_children = ImagesWithChildren(root_, ids).count(id) > 0;
    auto untag = [&](const Reference& r) {
      refs.Remove(StoreKey(r));
      lines.push_back(absl::StrCat("Untagged: ", r.FamiliarString()));
    };

    bool quiet = false;
    if (!IsImageIdPrefix(id, name_or_id)) {
      // By reference: only that reference goes, unless it leaves the image
      // dangling under a container's feet.
      if (!force && IsSingleReference(repo_refs) && !users.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "conflict: unable to remove repository reference \"", name_or_id,
            "\" (must force) - container ", TruncateId(users.front().id),
            " is using its referenced image ", ShortId(id)));
      }
      ASSIGN_OR_RETURN(Reference ref, reference::ParseNormalized(name_or_id));
      if (!refs.Get(StoreKey(ref))) {
        return absl::NotFoundError(
            absl::StrCat("No such image: ", ref.FamiliarString()));
      }
      untag(ref);
      repo_refs = SortedRefsTo(refs, id);
      // A repository's last tag gone: its digests there go with it.
      if (!ref.digest) {
        bool tag_left = std::any_of(
            repo_refs.begin(), repo_refs.end(), [&](const Reference& r) {
              return !r.digest && r.Name() == ref.Name();
            });
        if (!tag_left) {
          std::vector<Reference> remaining;
          for (const Reference& r : repo_refs) {
            if (r.digest && r.Name() == ref.Name()) {
              untag(r);
            } else {
              remaining.push_back(r);
            }
          }
          repo_refs = std::move(remaining);
        }
      }
      if (!repo_refs.empty()) return absl::OkStatus();
      quiet = true;  // The image goes only if nothing at all objects.
    } else if (IsSingleReference(repo_refs)) {
      // By id, all references in one repository: they go, unless a
      // container objects.
      unsigned mask = kHard | (force ? 0u : kStoppedContainer);
      if (std::optional<Conflict> c =
              CheckDeleteConflict(mask, has_children, false, users)) {
        return ConflictError(id, *c);
      }
      for (const Reference& r : repo_refs) untag(r);
    }

    // imageDeleteHelper.
    const bool has_refs = !refs.RefsTo(id).empty();
    unsigned mask = kHard | (force ? 0u : kSoft);
    if (std::optional<Conflict> c =
            CheckDeleteConflict(mask, has_children, has_refs, users)) {
      const bool dangling = !has_refs && !has_children;
      if (quiet && (!dangling || c->used)) return absl::OkStatus();
      return ConflictError(id, *c);
    }
    for (const Reference& r : SortedRefsTo(refs, id))
      untag(r);  // -f, several repos.
    doomed = id;
    return absl::OkStatus();
  }));
  if (!doomed) return lines;

  // 2. The image. With the layer-store lock no pull is between reusing
  //    this image or its layers and referencing them; with the repositories
  //    lock no tag is. The references were written first: a crash from
  //    here on leaves at worst an untagged image or unused layers, never a
  //    reference to something missing.
  ASSIGN_OR_RETURN(
      base::FileLock layer_lock,
      store::Lock(root_, store::kLayerStoreLock, base::FileLock::kExclusive));
  std::optional<digest::Digest> top;
  bool deleted = false;
  RETURN_IF_ERROR(
      ref_store.Update([&](refstore::Repositories& refs) -> absl::Status {
        // Between the two locks someone may have tagged it again, or (holding
        // the layer-store lock shared, as every command that adds layers does)
        // made a container or a child image of it: then it stays, untagged.
        if (!refs.RefsTo(*doomed).empty()) return absl::OkStatus();
        ASSIGN_OR_RETURN(std::vector<ContainerUse> users,
                         ContainersUsing(*doomed));
        ASSIGN_OR_RETURN(std::vector<digest::Digest> ids, db.List());
        const bool has_children =
            ImagesWithChildren(root_, ids).count(*doomed) > 0;
        if (CheckDeleteConflict(kHard | (force ? 0u : kStoppedContainer),
                                has_children,
                                /*has_refs=*/false, users)) {
          return absl::OkStatus();
        }
        if (absl::StatusOr<Config> c = LoadConfig(db, *doomed);
            c.ok() && !c->diff_ids.empty()) {
          top = layerdb::ChainIds(c->diff_ids).back();
        }
        RETURN_IF_ERROR(db.Delete(*doomed));
        deleted = true;
        return absl::OkStatus();
      }));
  if (!deleted) return lines;
  lines.push_back(absl::StrCat("Deleted: ", doomed->str()));

  // 3. Its layers, top down, as long as nothing else stands on them.
  if (!top) return lines;
  ASSIGN_OR_RETURN(std::set<digest::Digest> used,
                   UsedChains(root_, db, layers));
  std::optional<digest::Digest> chain = top;
  for (int depth = 0;
       chain && used.count(*chain) == 0 && depth < kMaxLayerDepth; ++depth) {
    absl::StatusOr<layerdb::Layer> l = layers.Get(*chain);
    if (absl::IsNotFound(l.status())) break;
    RETURN_IF_ERROR(l.status());
    RETURN_IF_ERROR(layers.Remove(*chain));
    lines.push_back(absl::StrCat("Deleted: ", chain->str()));
    chain = l->parent;
  }
  return lines;
}

absl::StatusOr<ordered_json> ImageService::Inspect(
    absl::string_view name_or_id) const {
  imagedb::ImageDb db(root_);
  layerdb::LayerStore layers(root_);
  ASSIGN_OR_RETURN(refstore::Repositories refs,
                   refstore::RefStore(root_).Load());
  ASSIGN_OR_RETURN(digest::Digest id, ResolveIn(refs, db, name_or_id));
  ASSIGN_OR_RETURN(Config config, LoadConfig(db, id));
  ASSIGN_OR_RETURN(std::vector<layerdb::Layer> chain,
                   ImageLayers(layers, config.diff_ids));
  const json& doc = config.doc;
  auto str = [&](const char* key) -> std::string {
    auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
  };

  ordered_json tags = ordered_json::array(), digests = ordered_json::array();
  for (const Reference& ref : SortedRefsTo(refs, id)) {
    (ref.digest ? digests : tags).push_back(ref.FamiliarString());
  }
  std::string comment = str("comment");
  if (auto h = doc.find("history");
      comment.empty() && h != doc.end() && h->is_array() && !h->empty()) {
    const json& last = h->back();
    if (auto c = last.find("comment");
        last.is_object() && c != last.end() && c->is_string()) {
      comment = c->get<std::string>();
    }
  }
  int64_t size = 0;
  for (const layerdb::Layer& l : chain) size += l.size;

  ordered_json driver_data = nullptr;
  if (!chain.empty()) {
    // overlay2's GetMetadata for the top layer.
    std::string overlay2 = store::Overlay2Dir(root_);
    std::string dir = absl::StrCat(overlay2, "/", chain.back().cache_id);
    struct stat st;
    if (stat(dir.c_str(), &st) < 0)
      return base::ErrnoStatus(errno, "stat ", dir);
    driver_data = ordered_json::object();
    absl::StatusOr<std::string> lower =
        base::ReadFile(dir + "/lower", 64 << 10);
    if (lower.ok()) {
      std::vector<std::string> dirs;
      for (absl::string_view l : absl::StrSplit(*lower, ':')) {
        std::string link = absl::StrCat(overlay2, "/", l);
        char target[4096];
        ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
        if (n < 0) return base::ErrnoStatus(errno, "readlink ", link);
        dirs.push_back(CleanPath(
            absl::StrCat(overlay2, "/l/", absl::string_view(target, n))));
      }
      driver_data["LowerDir"] = absl::StrJoin(dirs, ":");
    } else if (!absl::IsNotFound(lower.status())) {
      return lower.status();
    }
    driver_data["MergedDir"] = dir + "/merged";
    driver_data["UpperDir"] = dir + "/diff";
    driver_data["WorkDir"] = dir + "/work";
  }

  GoTime last_tag;
  absl::StatusOr<absl::Time> last_updated = db.GetLastUpdated(id);
  if (last_updated.ok()) {
    last_tag.time = *last_updated;
  } else if (!absl::IsNotFound(last_updated.status())) {
    return last_updated.status();
  }

  ordered_json out = ordered_json::object();
  out["Id"] = id.str();
  out["RepoTags"] = std::move(tags);
  out["RepoDigests"] = std::move(digests);
  std::optional<digest::Digest> parent = ParentOf(root_, id);
  out["Parent"] = parent ? parent->str() : "";
  out["Comment"] = comment;
  out["Created"] = FormatGoTime(config.created);
  out["Container"] = str("container");
  auto cc = doc.find("container_config");
  out["ContainerConfig"] = ContainerConfigToApi(cc != doc.end() ? *cc : json());
  out["DockerVersion"] = str("docker_version");
  out["Author"] = str("author");
  auto c = doc.find("config");
  out["Config"] = c != doc.end() && c->is_object() ? ContainerConfigToApi(*c)
                                                   : ordered_json();
  out["Architecture"] = str("architecture");
  if (std::string v = str("variant"); !v.empty()) out["Variant"] = v;
  std::string os = str("os");
  out["Os"] = os.empty() ? "linux" : os;
  if (std::string v = str("os.version"); !v.empty()) out["OsVersion"] = v;
  out["Size"] = size;
  out["VirtualSize"] = size;
  out["GraphDriver"] = {{"Data", std::move(driver_data)}, {"Name", "overlay2"}};
  ordered_json rootfs = ordered_json::object();
  rootfs["Type"] = "";
  if (auto r = doc.find("rootfs"); r != doc.end() && r->is_object()) {
    auto type = r->find("type");
    if (type != r->end() && type->is_string())
      rootfs["Type"] = type->get<std::string>();
  }
  if (!config.diff_ids.empty()) {
    ordered_json ids = ordered_json::array();
    for (const digest::Digest& d : config.diff_ids) ids.push_back(d.str());
    rootfs["Layers"] = std::move(ids);
  }
  out["RootFS"] = std::move(rootfs);
  out["Metadata"] = {{"LastTagTime", FormatGoTime(last_tag)}};
  return out;
}

absl::StatusOr<std::vector<std::string>> ImageService::LayerDirs(
    const digest::Digest& image_id) const {
  imagedb::ImageDb db(root_);
  layerdb::LayerStore layers(root_);
  ASSIGN_OR_RETURN(Config config, LoadConfig(db, image_id));
  ASSIGN_OR_RETURN(std::vector<layerdb::Layer> chain,
                   ImageLayers(layers, config.diff_ids));
  std::vector<std::string> out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    out.push_back(layers.DiffDir(it->cache_id));
  }
  return out;
}

absl::StatusOr<std::vector<ContainerUse>> ImageService::ContainersUsing(
    const digest::Digest& image_id) const {
  std::string dir = store::ContainersDir(root_);
  ASSIGN_OR_RETURN(std::vector<std::string> names, base::ListDir(dir));
  std::vector<ContainerUse> out;
  for (const std::string& name : names) {
    absl::StatusOr<std::string> text =
        base::ReadFile(absl::StrCat(dir, "/", name, "/config.v2.json"),
                       kMaxContainerConfigBytes);
    if (!text.ok()) continue;  // Not a container directory, or half made.
    json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) continue;
    auto image = j.find("Image");
    if (image == j.end() || !image->is_string() || *image != image_id.str())
      continue;
    ContainerUse use{name, false};
    if (auto id = j.find("ID"); id != j.end() && id->is_string()) {
      use.id = id->get<std::string>();
    }
    if (auto state = j.find("State"); state != j.end() && state->is_object()) {
      auto running = state->find("Running");
      use.running = running != state->end() && running->is_boolean() &&
                    running->get<bool>();
    }
    out.push_back(std::move(use));
  }
  std::sort(
      out.begin(), out.end(),
      [](const ContainerUse& a, const ContainerUse& b) { return a.id < b.id; });
  return out;
}

}  // namespace mydocker::image
