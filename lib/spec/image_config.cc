#include "lib/spec/image_config.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "nlohmann/json.hpp"

namespace mydocker::spec {
namespace {

using nlohmann::json;

// encoding/json's key matching: the exact name, else the first key equal
// to it ignoring ASCII case. nullptr if none (or null).
const json* Field(const json& obj, const char* name) {
  const json* found = nullptr;
  if (auto it = obj.find(name); it != obj.end()) {
    found = &*it;
  } else {
    for (auto it2 = obj.begin(); it2 != obj.end(); ++it2) {
      if (absl::EqualsIgnoreCase(it2.key(), name)) {
        found = &*it2;
        break;
      }
    }
  }
  return found != nullptr && !found->is_null() ? found : nullptr;
}

absl::Status WrongType(const char* field, const char* want) {
  return absl::InvalidArgumentError(
      absl::StrCat("image config: \"config\".\"", field, "\" is not ", want));
}

absl::StatusOr<std::string> String(const json& obj, const char* field) {
  const json* v = Field(obj, field);
  if (v == nullptr) return std::string();
  if (!v->is_string()) return WrongType(field, "a string");
  return v->get<std::string>();
}

absl::StatusOr<std::vector<std::string>> StringList(const json& obj,
                                                    const char* field,
                                                    bool one_string_ok) {
  const json* v = Field(obj, field);
  if (v == nullptr) return std::vector<std::string>();
  if (one_string_ok && v->is_string()) {
    return std::vector<std::string>{v->get<std::string>()};
  }
  if (!v->is_array()) return WrongType(field, "a list of strings");
  std::vector<std::string> out;
  for (const json& e : *v) {
    if (!e.is_string()) return WrongType(field, "a list of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> Keys(const json& obj,
                                              const char* field) {
  const json* v = Field(obj, field);
  if (v == nullptr) return std::vector<std::string>();
  if (!v->is_object()) return WrongType(field, "an object");
  std::vector<std::string> out;
  for (auto it = v->begin(); it != v->end(); ++it) out.push_back(it.key());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

absl::StatusOr<ImageConfig> ParseImageConfig(absl::string_view blob) {
  if (blob.size() > kMaxImageConfigBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("image config: ", blob.size(),
                     " bytes is over the limit of ", kMaxImageConfigBytes));
  }
  json doc = json::parse(blob.begin(), blob.end(), nullptr,
                         /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError("image config: not a JSON object");
  }
  ImageConfig c;
  const json* config = Field(doc, "config");
  if (config == nullptr) return c;
  if (!config->is_object()) {
    return absl::InvalidArgumentError(
        "image config: \"config\" is not an object");
  }
  const json& o = *config;
  ASSIGN_OR_RETURN(c.user, String(o, "User"));
  ASSIGN_OR_RETURN(c.env, StringList(o, "Env", /*one_string_ok=*/false));
  ASSIGN_OR_RETURN(c.entrypoint,
                   StringList(o, "Entrypoint", /*one_string_ok=*/true));
  ASSIGN_OR_RETURN(c.cmd, StringList(o, "Cmd", /*one_string_ok=*/true));
  ASSIGN_OR_RETURN(c.working_dir, String(o, "WorkingDir"));
  ASSIGN_OR_RETURN(c.stop_signal, String(o, "StopSignal"));
  ASSIGN_OR_RETURN(c.exposed_ports, Keys(o, "ExposedPorts"));
  ASSIGN_OR_RETURN(c.volumes, Keys(o, "Volumes"));
  if (const json* labels = Field(o, "Labels"); labels != nullptr) {
    if (!labels->is_object()) return WrongType("Labels", "an object");
    for (auto it = labels->begin(); it != labels->end(); ++it) {
      if (it->is_null()) {
        c.labels[it.key()] = "";
      } else if (it->is_string()) {
        c.labels[it.key()] = it->get<std::string>();
      } else {
        return WrongType("Labels", "a map of strings");
      }
    }
  }
  return c;
}

}  // namespace mydocker::spec
