#include "lib/refstore/refstore.h"

#include "absl/strings/str_cat.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/store/paths.h"
#include "nlohmann/json.hpp"

namespace mydocker::refstore {
namespace {

using nlohmann::json;

std::string Key(const reference::Reference& ref) {
  return ref.FamiliarString();
}

}  // namespace

absl::Status Repositories::Set(const reference::Reference& ref,
                               const digest::Digest& image_id) {
  if (ref.tag.empty() && !ref.digest) {
    return absl::InvalidArgumentError(absl::StrCat(
        "reference ", ref.FamiliarName(), " has neither a tag nor a digest"));
  }
  repos_[ref.FamiliarName()][Key(ref)] = image_id.str();
  return absl::OkStatus();
}

bool Repositories::Remove(const reference::Reference& ref) {
  auto repo = repos_.find(ref.FamiliarName());
  if (repo == repos_.end()) return false;
  bool erased = repo->second.erase(Key(ref)) > 0;
  if (repo->second.empty()) repos_.erase(repo);
  return erased;
}

std::optional<digest::Digest> Repositories::Get(
    const reference::Reference& ref) const {
  auto repo = repos_.find(ref.FamiliarName());
  if (repo == repos_.end()) return std::nullopt;
  auto it = repo->second.find(Key(ref));
  if (it == repo->second.end()) return std::nullopt;
  absl::StatusOr<digest::Digest> d = digest::Digest::Parse(it->second);
  if (!d.ok()) return std::nullopt;
  return *d;
}

std::vector<Entry> Repositories::All() const {
  std::vector<Entry> out;
  for (const auto& [name, refs] : repos_) {
    for (const auto& [key, id] : refs) {
      absl::StatusOr<reference::Reference> ref =
          reference::ParseNormalizedNamed(key);
      absl::StatusOr<digest::Digest> d = digest::Digest::Parse(id);
      if (ref.ok() && d.ok()) out.push_back({*ref, *d});
    }
  }
  return out;
}

std::vector<reference::Reference> Repositories::RefsTo(
    const digest::Digest& image_id) const {
  std::vector<reference::Reference> out;
  for (const Entry& e : All()) {
    if (e.image_id == image_id) out.push_back(e.ref);
  }
  return out;
}

std::string Repositories::Serialize() const {
  json repos = json::object();
  for (const auto& [name, refs] : repos_) {
    json r = json::object();
    for (const auto& [key, id] : refs) r[key] = id;
    repos[name] = std::move(r);
  }
  json top = {{"Repositories", std::move(repos)}};
  return top.dump();
}

absl::StatusOr<Repositories> Repositories::Parse(absl::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr,
                       /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError("repositories.json: not a JSON object");
  }
  Repositories out;
  auto repos = j.find("Repositories");
  if (repos == j.end() || !repos->is_object()) return out;
  for (auto r = repos->begin(); r != repos->end(); ++r) {
    if (!r->is_object()) continue;
    for (auto e = r->begin(); e != r->end(); ++e) {
      if (!e->is_string()) continue;
      absl::StatusOr<reference::Reference> ref =
          reference::ParseNormalizedNamed(e.key());
      absl::StatusOr<digest::Digest> id = digest::Digest::Parse(e->get<std::string>());
      if (!ref.ok() || !id.ok() || (ref->tag.empty() && !ref->digest)) continue;
      out.Set(*ref, *id).IgnoreError();  // Has a tag or digest: checked above.
    }
  }
  return out;
}

absl::StatusOr<Repositories> RefStore::Load() const {
  absl::StatusOr<std::string> text =
      base::ReadFile(store::RepositoriesJson(root_), 64 << 20);
  if (absl::IsNotFound(text.status())) return Repositories();
  if (!text.ok()) return text.status();
  return Repositories::Parse(*text);
}

absl::Status RefStore::Update(
    const std::function<absl::Status(Repositories&)>& fn) {
  ASSIGN_OR_RETURN(base::FileLock lock,
                   store::Lock(root_, store::kRepositoriesLock,
                               base::FileLock::kExclusive));
  ASSIGN_OR_RETURN(Repositories repos, Load());
  RETURN_IF_ERROR(fn(repos));
  RETURN_IF_ERROR(base::MakeDirs(store::ImageDir(root_), 0700));
  return base::WriteFileAtomic(store::RepositoriesJson(root_),
                               repos.Serialize(), 0600);
}

}  // namespace mydocker::refstore
