#include "lib/container/names.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/file_lock.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"
#include "lib/container/ids.h"
#include "lib/container/layout.h"
#include "lib/container/names_data.h"
#include "lib/container/record.h"
#include "lib/store/paths.h"

namespace mydocker::container {
namespace {

constexpr size_t kMaxIndexBytes = 64 << 20;
// Lines the journal may hold beyond twice its live entries before it is
// rewritten (Commit).
constexpr size_t kCompactionSlack = 64;
constexpr size_t kMaxConfigBytes = 16 << 20;

bool ValidNameChar(char c, bool first) {
  return absl::ascii_isalnum(c) ||
         (!first && (c == '_' || c == '.' || c == '-'));
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// The name in a container's config.v2.json; NotFound if it has none yet
// (being created, or not a container), "" if it cannot be read.
absl::StatusOr<std::string> NameOnDisk(const std::string& root,
                                       const std::string& id) {
  absl::StatusOr<std::string> text =
      base::ReadFile(ConfigPath(root, id), kMaxConfigBytes);
  RETURN_IF_ERROR(text.status());
  absl::StatusOr<Container> c = ParseConfigV2(*text);
  if (!c.ok()) return std::string();
  return c->name;
}

// Whether the creator of `id` is at work: it holds the container's lock.
// If nobody does, the lock file of the dead reservation goes too.
bool CreatorAtWork(const std::string& root, const std::string& id) {
  absl::StatusOr<base::FileLock> lock =
      store::TryLock(root, ContainerLockName(id), base::FileLock::kExclusive);
  if (absl::IsUnavailable(lock.status())) return true;
  if (lock.ok()) unlink(lock->path().c_str());
  return false;
}

// Where the previous version kept the index, as one JSON object. Not read:
// reconciling rebuilds it from the containers.
std::string LegacyNameIndexPath(const std::string& root) {
  return absl::StrCat(store::OwnDir(root), "/names.json");
}

std::string SetRecord(absl::string_view id, absl::string_view name) {
  return absl::StrCat("+", id, " ", name, "\n");
}
std::string EraseRecord(absl::string_view id) {
  return absl::StrCat("-", id, "\n");
}

// Applies the journal `text` to `index` line by line; returns the number of
// lines. A malformed line is skipped, and so is a last line without its
// '\n': an append cut short by a crash (or one still being written, for a
// reader without the lock).
size_t ApplyJournal(absl::string_view text,
                    std::map<std::string, std::string>& index) {
  constexpr size_t kIdSize = 64;
  size_t lines = 0;
  for (size_t end; (end = text.find('\n')) != absl::string_view::npos;) {
    absl::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    ++lines;
    if (line.size() < 1 + kIdSize || !IsFullId(line.substr(1, kIdSize))) {
      continue;
    }
    std::string id(line.substr(1, kIdSize));
    if (line[0] == '-' && line.size() == 1 + kIdSize) {
      index.erase(id);
    } else if (line[0] == '+' && line.size() > 2 + kIdSize &&
               line[1 + kIdSize] == ' ') {
      index[id] = std::string(line.substr(2 + kIdSize));
    }
  }
  return lines;
}

// Cuts the journal open as `fd` back to just after its last '\n', so that
// what is appended next starts a line of its own: an append cut short
// leaves a line without one. Usually the last byte is a '\n': one 1-byte
// read.
absl::Status CutTornLine(int fd, const std::string& path) {
  struct stat st;
  if (fstat(fd, &st) < 0) return base::ErrnoStatus(errno, "stat ", path);
  off_t end = st.st_size;
  char buf[4096];
  size_t want = 1;
  while (end > 0) {
    const size_t n = static_cast<size_t>(std::min<off_t>(want, end));
    const ssize_t got = pread(fd, buf, n, end - static_cast<off_t>(n));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return base::ErrnoStatus(errno, "read ", path);
    if (static_cast<size_t>(got) != n) {
      return absl::AbortedError(
          absl::StrCat("read ", path, ": shrank while being read"));
    }
    if (const void* nl = memrchr(buf, '\n', n); nl != nullptr) {
      end -= static_cast<off_t>(n) - (static_cast<const char*>(nl) - buf) - 1;
      break;
    }
    end -= static_cast<off_t>(n);
    want = sizeof(buf);
  }
  if (end == st.st_size) return absl::OkStatus();
  if (ftruncate(fd, end) < 0) {
    return base::ErrnoStatus(errno, "truncate ", path);
  }
  return absl::OkStatus();
}

// Appends `records` (whole lines) to the journal with one write(2), under
// the names lock. O_RDWR rather than O_WRONLY: CutTornLine reads the tail.
// With `create` false a missing journal stays missing: reconciling
// rebuilds it from the containers anyway.
//
// Not fsynced: the index is a cache of what config.v2.json files say,
// reconciled with them at every use, so what a crash loses or tears is
// corrected the next time it is read (a flush less per create and per rm).
absl::Status AppendToJournal(const std::string& path, absl::string_view records,
                             bool create) {
  int flags = O_RDWR | O_APPEND;
  if (create) flags |= O_CREAT;
  absl::StatusOr<base::UniqueFd> fd = base::OpenFile(path, flags, 0600);
  if (!create && absl::IsNotFound(fd.status())) return absl::OkStatus();
  RETURN_IF_ERROR(fd.status());
  RETURN_IF_ERROR(CutTornLine(fd->get(), path));
  return base::WriteAll(fd->get(), records, path);
}

// The index under the names lock: the journal applied and reconciled with
// the containers directory, plus the records for what reconciling (and
// the caller) changed, which Commit writes.
struct Journal {
  std::map<std::string, std::string> index;  // id -> name
  // Lines in the file, and whether it must be written whole (it is
  // missing, or over the size cap).
  size_t lines = 0;
  bool rewrite = false;
  // Records to append.
  std::string pending;
  size_t pending_lines = 0;

  void Set(const std::string& id, const std::string& name) {
    index[id] = name;
    pending += SetRecord(id, name);
    ++pending_lines;
  }
  void Erase(const std::string& id) {
    index.erase(id);
    pending += EraseRecord(id);
    ++pending_lines;
  }
};

absl::StatusOr<Journal> LoadReconciled(const std::string& root) {
  Journal j;
  absl::StatusOr<std::string> text =
      base::ReadFile(NameIndexPath(root), kMaxIndexBytes);
  if (text.ok()) {
    j.lines = ApplyJournal(*text, j.index);
  } else if (absl::IsNotFound(text.status()) ||
             absl::IsFailedPrecondition(text.status())) {
    // A new data root, one the previous version (names.json) used, or a
    // journal over the size cap: rebuilt from the containers.
    j.rewrite = true;
  } else {
    return text.status();
  }

  // Sorted, for binary_search.
  ASSIGN_OR_RETURN(std::vector<std::string> dirs,
                   base::ListDir(store::ContainersDir(root)));
  // Entries whose container directory is gone (removed, or a create that
  // died). Those whose directory is there are trusted without a stat each:
  // that would make every create O(containers). Reserve checks the one
  // entry that matters, the owner of the name asked for.
  std::vector<std::string> gone;
  for (const auto& [id, name] : j.index) {
    if (!std::binary_search(dirs.begin(), dirs.end(), id) &&
        !CreatorAtWork(root, id)) {
      gone.push_back(id);
    }
  }
  for (const std::string& id : gone) j.Erase(id);
  // Containers the index does not know (made by dockerd, or before the
  // index existed).
  for (const std::string& id : dirs) {
    if (j.index.count(id) > 0 || !IsFullId(id)) continue;
    absl::StatusOr<std::string> name = NameOnDisk(root, id);
    if (!name.ok() || name->empty()) continue;  // Not (yet) a container.
    // Not a name anyone can ask for, and it would break the line.
    if (name->find('\n') != std::string::npos) continue;
    j.Set(id, *name);
  }
  return j;
}

// Writes what `j` changed: appends its records, or, when the file is
// missing or holds more than twice as many lines as live entries (plus
// some slack, so that a small index is not rewritten at every other
// create), replaces it with one line per live entry. The replacement is a
// new inode, so it is kept rare.
absl::Status Commit(const std::string& root, const Journal& j) {
  if (j.rewrite ||
      j.lines + j.pending_lines > 2 * j.index.size() + kCompactionSlack) {
    std::string text;
    for (const auto& [id, name] : j.index) text += SetRecord(id, name);
    RETURN_IF_ERROR(base::MakeDirs(store::OwnDir(root), 0700));
    // Not fsynced, like the appends (AppendToJournal).
    RETURN_IF_ERROR(base::WriteFileAtomic(NameIndexPath(root), text, 0600,
                                          base::Durability::kAtomicOnly));
    // Best effort: a names.json left behind is only a stale file.
    (void)unlink(LegacyNameIndexPath(root).c_str());
    return absl::OkStatus();
  }
  if (j.pending.empty()) return absl::OkStatus();
  return AppendToJournal(NameIndexPath(root), j.pending, /*create=*/true);
}

// Frees `name` for `id` in `j`, or NameConflictError with its owner. The
// index trusts its entries, but a conflict is worth a look at the owner: a
// reservation whose creator died before it wrote config.v2.json (and left
// the container directory behind) gives the name up.
absl::Status Claim(const std::string& root, Journal& j, const std::string& id,
                   const std::string& name) {
  std::vector<std::string> owners;
  for (const auto& [i, n] : j.index) {
    if (n == name && i != id) owners.push_back(i);
  }
  for (const std::string& owner : owners) {
    if (Exists(ConfigPath(root, owner)) || CreatorAtWork(root, owner)) {
      return NameConflictError(name, owner);
    }
    j.Erase(owner);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> CanonicalName(absl::string_view name) {
  absl::string_view bare = name;
  if (!bare.empty() && bare[0] == '/') bare.remove_prefix(1);
  bool ok = bare.size() >= 2;
  for (size_t i = 0; ok && i < bare.size(); ++i) {
    ok = ValidNameChar(bare[i], i == 0);
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid container name (", name,
                     "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"));
  }
  return absl::StrCat("/", bare);
}

std::string RandomName(int retry) {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  const auto& left = internal::NameAdjectives();
  const auto& right = internal::NameSurnames();
  auto pick = [&](size_t n) {
    return std::uniform_int_distribution<size_t>(0, n - 1)(gen);
  };
  std::string name;
  do {
    name =
        absl::StrCat(left[pick(left.size())], "_", right[pick(right.size())]);
  } while (name == "boring_wozniak");  // Steve Wozniak is not boring.
  if (retry > 0) absl::StrAppend(&name, pick(10));
  return name;
}

absl::Status NameConflictError(absl::string_view name, absl::string_view id) {
  return absl::AlreadyExistsError(absl::StrFormat(
      "Conflict. The container name \"%s\" is already in use by container "
      "\"%s\". You have to remove (or rename) that container to be able to "
      "reuse that name.",
      name, id));
}

NameIndex::NameIndex(std::string root) : root_(std::move(root)) {}

absl::StatusOr<std::string> NameIndex::Reserve(const std::string& id,
                                               absl::string_view requested) {
  std::string name;
  if (!requested.empty()) {
    ASSIGN_OR_RETURN(name, CanonicalName(requested));
  }
  ASSIGN_OR_RETURN(base::FileLock lock,
                   store::Lock(root_, kNamesLock, base::FileLock::kExclusive));
  ASSIGN_OR_RETURN(Journal j, LoadReconciled(root_));
  if (name.empty()) {
    std::set<std::string> taken;
    for (const auto& [i, n] : j.index) taken.insert(n);
    for (int retry = 0; retry < 6 && name.empty(); ++retry) {
      std::string candidate = absl::StrCat("/", RandomName(retry));
      if (taken.count(candidate) == 0) name = candidate;
    }
    if (name.empty()) name = absl::StrCat("/", id.substr(0, 12));
  }
  if (absl::Status claimed = Claim(root_, j, id, name); !claimed.ok()) {
    // What reconciling found is still worth keeping; the conflict is the
    // answer either way.
    Commit(root_, j).IgnoreError();
    return claimed;
  }
  // For a rename, the new record replaces the old name.
  auto it = j.index.find(id);
  if (it == j.index.end() || it->second != name) j.Set(id, name);
  RETURN_IF_ERROR(Commit(root_, j));
  return name;
}

absl::Status NameIndex::Release(const std::string& id) {
  ASSIGN_OR_RETURN(base::FileLock lock,
                   store::Lock(root_, kNamesLock, base::FileLock::kExclusive));
  // Neither a load nor a listing: the record erases the name when applied,
  // and one for an id the index does not hold is harmless (and goes at the
  // next rewrite).
  return AppendToJournal(NameIndexPath(root_), EraseRecord(id),
                         /*create=*/false);
}

absl::StatusOr<std::string> NameIndex::Lookup(absl::string_view name) const {
  std::map<std::string, std::string> index;
  absl::StatusOr<std::string> text =
      base::ReadFile(NameIndexPath(root_), kMaxIndexBytes);
  if (text.ok()) ApplyJournal(*text, index);
  bool index_wrong = false;
  for (const auto& [id, n] : index) {
    if (n != name) continue;
    absl::StatusOr<std::string> on_disk = NameOnDisk(root_, id);
    if (on_disk.ok() && *on_disk == name) return id;
    // Being created (no config yet) is not a match; a different name
    // means the index is out of date.
    if (on_disk.ok()) index_wrong = true;
  }
  // Containers the index does not know, or all of them if it was wrong.
  ASSIGN_OR_RETURN(std::vector<std::string> dirs,
                   base::ListDir(store::ContainersDir(root_)));
  for (const std::string& id : dirs) {
    if (!IsFullId(id) || (!index_wrong && index.count(id) > 0)) continue;
    absl::StatusOr<std::string> on_disk = NameOnDisk(root_, id);
    if (on_disk.ok() && *on_disk == name) return id;
  }
  return absl::NotFoundError(absl::StrCat("No such container: ", name));
}

absl::StatusOr<std::map<std::string, std::string>> NameIndex::Snapshot() {
  ASSIGN_OR_RETURN(base::FileLock lock,
                   store::Lock(root_, kNamesLock, base::FileLock::kExclusive));
  ASSIGN_OR_RETURN(Journal j, LoadReconciled(root_));
  RETURN_IF_ERROR(Commit(root_, j));
  return std::move(j.index);
}

}  // namespace mydocker::container
