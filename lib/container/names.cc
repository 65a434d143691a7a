#include "lib/container/names.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/base/file.h"
#include "lib/base/file_lock.h"
#include "lib/base/status_macros.h"
#include "lib/container/go_json.h"
#include "lib/container/ids.h"
#include "lib/container/layout.h"
#include "lib/container/names_data.h"
#include "lib/container/record.h"
#include "lib/store/paths.h"
#include "nlohmann/json.hpp"

namespace mydocker::container {
namespace {

constexpr size_t kMaxIndexBytes = 64 << 20;
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

absl::StatusOr<std::map<std::string, std::string>> NameIndex::LoadReconciled(
    bool* changed) const {
  std::map<std::string, std::string> index;
  *changed = false;
  absl::StatusOr<std::string> text =
      base::ReadFile(NameIndexPath(root_), kMaxIndexBytes);
  if (text.ok()) {
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_object()) {
      for (const auto& [id, name] : j.items()) {
        if (name.is_string() && IsFullId(id))
          index[id] = name.get<std::string>();
      }
    } else {
      *changed = true;  // Damaged: rebuilt from the containers.
    }
  } else if (absl::IsNotFound(text.status())) {
    *changed = true;
  } else {
    return text.status();
  }

  ASSIGN_OR_RETURN(std::vector<std::string> dirs,
                   base::ListDir(store::ContainersDir(root_)));
  std::set<std::string> on_disk(dirs.begin(), dirs.end());
  // Entries whose container is gone (removed, or a create that died).
  for (auto it = index.begin(); it != index.end();) {
    const bool complete =
        on_disk.count(it->first) > 0 && Exists(ConfigPath(root_, it->first));
    if (complete || CreatorAtWork(root_, it->first)) {
      ++it;
    } else {
      it = index.erase(it);
      *changed = true;
    }
  }
  // Containers the index does not know (made by dockerd, or before the
  // index existed).
  for (const std::string& id : dirs) {
    if (index.count(id) > 0 || !IsFullId(id)) continue;
    absl::StatusOr<std::string> name = NameOnDisk(root_, id);
    if (!name.ok() || name->empty()) continue;  // Not (yet) a container.
    index[id] = *name;
    *changed = true;
  }
  return index;
}

absl::Status NameIndex::Write(
    const std::map<std::string, std::string>& index) const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [id, name] : index) j[id] = name;
  RETURN_IF_ERROR(base::MakeDirs(store::OwnDir(root_), 0700));
  // Not fsynced: the index is a cache of what config.v2.json files say,
  // reconciled with them at every use, so an older version after a crash
  // is corrected the next time it is read (two flushes less per create
  // and per rm).
  return base::WriteFileAtomic(NameIndexPath(root_), GoJsonLine(j), 0600,
                               base::Durability::kAtomicOnly);
}

absl::StatusOr<std::string> NameIndex::Reserve(const std::string& id,
                                               absl::string_view requested) {
  std::string name;
  if (!requested.empty()) {
    ASSIGN_OR_RETURN(name, CanonicalName(requested));
  }
  ASSIGN_OR_RETURN(base::FileLock lock,
                   store::Lock(root_, kNamesLock, base::FileLock::kExclusive));
  bool changed = false;
  ASSIGN_OR_RETURN(auto index, LoadReconciled(&changed));
  std::map<std::string, std::string> owner;  // name -> id
  for (const auto& [i, n] : index) owner.emplace(n, i);

  if (!name.empty()) {
    auto it = owner.find(name);
    if (it != owner.end() && it->second != id) {
      return NameConflictError(name, it->second);
    }
  } else {
    for (int retry = 0; retry < 6 && name.empty(); ++retry) {
      std::string candidate = absl::StrCat("/", RandomName(retry));
      if (owner.count(candidate) == 0) name = candidate;
    }
    if (name.empty()) {
      name = absl::StrCat("/", id.substr(0, 12));
      auto it = owner.find(name);
      if (it != owner.end() && it->second != id) {
        return NameConflictError(name, it->second);
      }
    }
  }
  index[id] = name;
  RETURN_IF_ERROR(Write(index));
  return name;
}

absl::Status NameIndex::Release(const std::string& id) {
  ASSIGN_OR_RETURN(base::FileLock lock,
                   store::Lock(root_, kNamesLock, base::FileLock::kExclusive));
  bool changed = false;
  ASSIGN_OR_RETURN(auto index, LoadReconciled(&changed));
  if (index.erase(id) == 0 && !changed) return absl::OkStatus();
  return Write(index);
}

absl::StatusOr<std::string> NameIndex::Lookup(absl::string_view name) const {
  std::map<std::string, std::string> index;
  absl::StatusOr<std::string> text =
      base::ReadFile(NameIndexPath(root_), kMaxIndexBytes);
  if (text.ok()) {
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_object()) {
      for (const auto& [id, n] : j.items()) {
        if (n.is_string() && IsFullId(id)) index[id] = n.get<std::string>();
      }
    }
  }
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
  bool changed = false;
  ASSIGN_OR_RETURN(auto index, LoadReconciled(&changed));
  if (changed) RETURN_IF_ERROR(Write(index));
  return index;
}

}  // namespace mydocker::container
