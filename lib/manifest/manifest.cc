#include "lib/manifest/manifest.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/status_macros.h"
#include "nlohmann/json.hpp"

namespace mydocker::manifest {

const char kManifestAccept[] =
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.oci.image.index.v1+json";

namespace {

using nlohmann::json;

absl::StatusOr<json> ParseJson(absl::string_view body, absl::string_view what) {
  if (body.size() > kMaxManifestBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": ", body.size(), " bytes is over the limit of ",
        kMaxManifestBytes));
  }
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a JSON object"));
  }
  return j;
}

// The string at `key`, or "" if absent; InvalidArgument if not a string.
absl::StatusOr<std::string> OptString(const json& j, const char* key,
                                      absl::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": \"", key, "\" is not a string"));
  }
  return it->get<std::string>();
}

absl::StatusOr<Platform> ParsePlatformJson(const json& j,
                                           absl::string_view what) {
  if (!j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": bad platform"));
  }
  Platform p;
  ASSIGN_OR_RETURN(p.os, OptString(j, "os", what));
  ASSIGN_OR_RETURN(p.architecture, OptString(j, "architecture", what));
  ASSIGN_OR_RETURN(p.variant, OptString(j, "variant", what));
  return p;
}

absl::StatusOr<Descriptor> ParseDescriptor(const json& j,
                                           absl::string_view what) {
  if (!j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not an object"));
  }
  ASSIGN_OR_RETURN(std::string media_type, OptString(j, "mediaType", what));
  ASSIGN_OR_RETURN(std::string dg, OptString(j, "digest", what));
  absl::StatusOr<digest::Digest> parsed = digest::Digest::Parse(dg);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", parsed.status().message()));
  }
  Descriptor d{std::move(media_type), *std::move(parsed), 0, std::nullopt};
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer() ||
      size->get<int64_t>() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", d.digest.str(), ": missing or bad size"));
  }
  d.size = size->get<int64_t>();
  if (auto p = j.find("platform"); p != j.end()) {
    ASSIGN_OR_RETURN(d.platform, ParsePlatformJson(*p, what));
  }
  return d;
}

absl::StatusOr<std::vector<Descriptor>> ParseDescriptors(
    const json& j, const char* key, absl::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": \"", key, "\" is missing or not a list"));
  }
  std::vector<Descriptor> out;
  for (const json& e : *it) {
    ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor(e, what));
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

absl::StatusOr<Platform> Platform::Parse(absl::string_view s) {
  std::vector<std::string> parts = absl::StrSplit(s, '/');
  bool ok = parts.size() == 2 || parts.size() == 3;
  for (const std::string& p : parts) {
    ok = ok && !p.empty();
    for (char c : p) {
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    }
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid platform \"", s, "\": want os/arch[/variant], e.g. linux/arm64"));
  }
  Platform p{parts[0], parts[1], parts.size() == 3 ? parts[2] : ""};
  return p;
}

Platform Platform::Host() {
#if defined(__x86_64__)
  return {"linux", "amd64", ""};
#elif defined(__aarch64__)
  return {"linux", "arm64", "v8"};
#else
#error "unsupported host architecture"
#endif
}

std::string Platform::ToString() const {
  return variant.empty() ? absl::StrCat(os, "/", architecture)
                         : absl::StrCat(os, "/", architecture, "/", variant);
}

absl::StatusOr<Kind> Classify(absl::string_view content_type,
                              absl::string_view body) {
  // Content-Type may carry parameters ("...+json; charset=utf-8").
  std::string type(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  std::string inner;
  if (type.empty() || type == "application/json" || type == "text/plain") {
    // Some registries label OCI documents loosely: trust the mediaType field,
    // or the shape (an index has "manifests").
    ASSIGN_OR_RETURN(json j, ParseJson(body, "manifest"));
    ASSIGN_OR_RETURN(inner, OptString(j, "mediaType", "manifest"));
    if (inner.empty()) {
      if (j.contains("manifests")) return Kind::kIndex;
      if (j.contains("layers")) return Kind::kManifest;
      if (j.contains("fsLayers")) inner = kDockerSchema1;
    }
    type = inner;
  }
  if (type == kDockerManifest || type == kOciManifest) return Kind::kManifest;
  if (type == kDockerManifestList || type == kOciIndex) return Kind::kIndex;
  if (type == kDockerSchema1 || type == kDockerSchema1Signed) {
    return absl::UnimplementedError(
        "Docker schema1 manifests are not supported (the image must be "
        "pushed again with a current client)");
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported manifest media type \"", type, "\""));
}

absl::StatusOr<ImageManifest> ParseManifest(absl::string_view body) {
  ASSIGN_OR_RETURN(json j, ParseJson(body, "manifest"));
  ASSIGN_OR_RETURN(std::string media_type, OptString(j, "mediaType", "manifest"));
  auto config = j.find("config");
  if (config == j.end()) {
    return absl::InvalidArgumentError("manifest: no \"config\"");
  }
  ASSIGN_OR_RETURN(Descriptor config_desc,
                   ParseDescriptor(*config, "manifest config"));
  ASSIGN_OR_RETURN(std::vector<Descriptor> layers,
                   ParseDescriptors(j, "layers", "manifest layer"));
  return ImageManifest{std::move(media_type), std::move(config_desc),
                       std::move(layers)};
}

absl::StatusOr<Index> ParseIndex(absl::string_view body) {
  ASSIGN_OR_RETURN(json j, ParseJson(body, "manifest list"));
  Index index;
  ASSIGN_OR_RETURN(index.media_type, OptString(j, "mediaType", "manifest list"));
  ASSIGN_OR_RETURN(index.manifests,
                   ParseDescriptors(j, "manifests", "manifest list entry"));
  return index;
}

absl::StatusOr<Descriptor> SelectPlatform(const Index& index,
                                          const Platform& want) {
  auto variant_of = [](const Platform& p) {
    if (p.variant.empty() && p.architecture == "arm64") return std::string("v8");
    return p.variant;
  };
  std::vector<std::string> offered;
  for (const Descriptor& d : index.manifests) {
    if (!d.platform) continue;
    offered.push_back(d.platform->ToString());
    if (d.platform->os != want.os ||
        d.platform->architecture != want.architecture) {
      continue;
    }
    if (!want.variant.empty() && variant_of(*d.platform) != variant_of(want)) {
      continue;
    }
    return d;
  }
  return absl::NotFoundError(absl::StrCat(
      "no matching manifest for ", want.ToString(),
      " in the manifest list entries (it has: ",
      offered.empty() ? "none" : absl::StrJoin(offered, ", "), ")"));
}

absl::StatusOr<Compression> LayerCompression(absl::string_view media_type) {
  static constexpr struct {
    absl::string_view type;
    Compression compression;
  } kLayers[] = {
      {"application/vnd.docker.image.rootfs.diff.tar.gzip", Compression::kGzip},
      {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
       Compression::kGzip},
      {"application/vnd.oci.image.layer.v1.tar", Compression::kNone},
      {"application/vnd.oci.image.layer.v1.tar+gzip", Compression::kGzip},
      {"application/vnd.oci.image.layer.v1.tar+zstd", Compression::kZstd},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar",
       Compression::kNone},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
       Compression::kGzip},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
       Compression::kZstd},
  };
  for (const auto& l : kLayers) {
    if (l.type == media_type) return l.compression;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported layer media type \"", media_type, "\""));
}

absl::StatusOr<ImageConfig> ParseConfig(absl::string_view body) {
  ASSIGN_OR_RETURN(json j, ParseJson(body, "image config"));
  ImageConfig c;
  ASSIGN_OR_RETURN(c.os, OptString(j, "os", "image config"));
  ASSIGN_OR_RETURN(c.architecture, OptString(j, "architecture", "image config"));
  ASSIGN_OR_RETURN(c.variant, OptString(j, "variant", "image config"));
  auto rootfs = j.find("rootfs");
  if (rootfs == j.end() || !rootfs->is_object()) {
    return absl::InvalidArgumentError("image config: no \"rootfs\"");
  }
  auto ids = rootfs->find("diff_ids");
  if (ids == rootfs->end() || !ids->is_array()) {
    return absl::InvalidArgumentError("image config: no \"rootfs.diff_ids\"");
  }
  for (const json& id : *ids) {
    if (!id.is_string()) {
      return absl::InvalidArgumentError("image config: a diff_id is not a string");
    }
    absl::StatusOr<digest::Digest> d = digest::Digest::Parse(id.get<std::string>());
    if (!d.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("image config: diff_id: ", d.status().message()));
    }
    c.diff_ids.push_back(*d);
  }
  return c;
}

}  // namespace mydocker::manifest
