// Container names, by Docker's rules (moby daemon/names.go,
// daemon/names/names.go, pkg/namesgenerator, v20.10.24):
//
//  - a name is `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, optionally typed with a
//    leading "/"; it is stored with the "/" ("/web");
//  - without --name, a container gets a random "adjective_surname"
//    ("focused_turing"; never "boring_wozniak"); if that is taken, up to 5
//    more tries with a random digit appended, then the id's first 12 chars;
//  - names are unique: the conflict error is dockerd's, word for word.
//
// Uniqueness across processes comes from the name index,
// <root>/mydocker/names, a journal of lines "+<id> /name" (`id` is called
// "/name", replacing any name it had) and "-<id>" (it has none), applied
// in order. It is changed only under the names lock, by appending one
// record with one write(2): no new inode, and no rewrite of what is
// already there, per create or rm. When it holds more than twice as many
// lines as live entries it is replaced, atomically, by one line per entry.
// The index is a cache of what containers/*/config.v2.json say, reconciled
// with the containers directory whenever it is used, so containers
// dockerd made (or an index that was lost, or the previous version's
// names.json) are picked up: a container directory the index does not
// know is read, an entry whose container directory is gone is dropped -
// unless its creator is still at work (it holds the container's lock until
// config.v2.json is written). The entries of the containers that are there
// are trusted without a look at each, but the owner of a name asked for is
// checked: a reservation whose creator died before writing config.v2.json
// gives the name up. So a `docker rename` done by dockerd on a shared data
// root is seen once the index is rebuilt (remove mydocker/names).
//
//   NameIndex names(root);
//   ASSIGN_OR_RETURN(std::string name, names.Reserve(id, "web"));  // "/web"
//   ASSIGN_OR_RETURN(std::string owner, names.Lookup("/web"));     // id
//   RETURN_IF_ERROR(names.Release(id));
#ifndef MYDOCKER_LIB_CONTAINER_NAMES_H_
#define MYDOCKER_LIB_CONTAINER_NAMES_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::container {

// `name` with its leading "/" ("web" and "/web" give "/web").
// InvalidArgument with dockerd's message for a name that breaks the rule:
// "Invalid container name (x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed".
absl::StatusOr<std::string> CanonicalName(absl::string_view name);

// namesgenerator.GetRandomName(retry): "adjective_surname", plus one random
// digit when `retry` > 0. Without "/". Thread-safe (a generator per thread,
// seeded from the kernel; like Docker's math/rand, not for secrets).
std::string RandomName(int retry);

// dockerd's name conflict, as AlreadyExists: `Conflict. The container name
// "/x" is already in use by container "<id>". You have to remove (or
// rename) that container to be able to reuse that name.`
absl::Status NameConflictError(absl::string_view name, absl::string_view id);

class NameIndex {
 public:
  // `root` is the data root.
  explicit NameIndex(std::string root);

  // Reserves a name for the container `id`, which the caller is creating
  // and whose lock (layout.h ContainerLockName) it holds until the
  // container's config.v2.json is written or the reservation released.
  // For an existing container it is a rename: its old name is freed.
  // `requested` is the --name value ("" for a generated name). Returns the
  // stored form ("/web"). Errors: CanonicalName's, NameConflictError, or
  // the file system's.
  absl::StatusOr<std::string> Reserve(const std::string& id,
                                      absl::string_view requested);

  // Drops `id`'s name (OK if it has none).
  absl::Status Release(const std::string& id);

  // The id of the container called `name` ("/web"), reading the index and
  // the containers it names without any lock (and without writing).
  // NotFound if no container has that name.
  absl::StatusOr<std::string> Lookup(absl::string_view name) const;

  // id -> name for every container, reconciled, under the lock; writes
  // what reconciling changed to the index.
  absl::StatusOr<std::map<std::string, std::string>> Snapshot();

 private:
  std::string root_;
};

}  // namespace mydocker::container

#endif  // MYDOCKER_LIB_CONTAINER_NAMES_H_
