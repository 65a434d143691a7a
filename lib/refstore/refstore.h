// The tag and digest references of the image store:
// image/overlay2/repositories.json, exactly as dockerd 20.10 keeps it.
//
//   {"Repositories":{"busybox":{"busybox:latest":"sha256:<image id>",
//                               "busybox@sha256:<manifest>":"sha256:<image id>"}}}
//
// Repository keys are familiar names (no docker.io/, no library/ for
// official images), reference keys familiar strings. Go marshals maps with
// sorted keys and no whitespace; so do we, so a store is byte-identical.
//
//   RefStore refs(root);
//   RETURN_IF_ERROR(refs.Update([&](Repositories& r) {
//     r.Set(ref, image_id);
//     return absl::OkStatus();
//   }));
#ifndef MYDOCKER_LIB_REFSTORE_REFSTORE_H_
#define MYDOCKER_LIB_REFSTORE_REFSTORE_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/digest/digest.h"
#include "lib/reference/reference.h"

namespace mydocker::refstore {

// One reference and the image it names.
struct Entry {
  reference::Reference ref;
  digest::Digest image_id;
};

class Repositories {
 public:
  // Points `ref` at `image_id`, replacing what it named before.
  // InvalidArgument if `ref` has neither a tag nor a digest.
  absl::Status Set(const reference::Reference& ref,
                   const digest::Digest& image_id);
  // Removes `ref`; false if it was not there. A repository left empty goes.
  bool Remove(const reference::Reference& ref);
  // The image `ref` names, if any.
  std::optional<digest::Digest> Get(const reference::Reference& ref) const;
  // Every reference, sorted by repository then reference.
  std::vector<Entry> All() const;
  // The references to `image_id`.
  std::vector<reference::Reference> RefsTo(const digest::Digest& image_id) const;

  // repositories.json bytes, as dockerd writes them.
  std::string Serialize() const;
  // Parses repositories.json. Entries that do not parse (a hand-edited file)
  // are skipped rather than making the whole store unreadable.
  static absl::StatusOr<Repositories> Parse(absl::string_view json);

 private:
  // familiar name -> familiar string -> image id ("sha256:...").
  std::map<std::string, std::map<std::string, std::string>> repos_;
};

class RefStore {
 public:
  explicit RefStore(std::string root) : root_(std::move(root)) {}

  // A snapshot; no lock needed, the file is replaced atomically. A missing
  // file is an empty store.
  absl::StatusOr<Repositories> Load() const;

  // Read-modify-write under the repositories lock. `fn`'s error leaves the
  // file untouched.
  absl::Status Update(const std::function<absl::Status(Repositories&)>& fn);

 private:
  std::string root_;
};

}  // namespace mydocker::refstore

#endif  // MYDOCKER_LIB_REFSTORE_REFSTORE_H_
