#include "lib/image/container_config.h"

#include <string>

#include "absl/strings/match.h"

namespace mydocker::image {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// encoding/json's key matching: the exact field name wins, otherwise any
// key equal to it ignoring (ASCII) case. nullptr if none, or if `obj` is not
// an object.
const json* Field(const json& obj, const char* name) {
  if (!obj.is_object()) return nullptr;
  if (auto it = obj.find(name); it != obj.end()) return &*it;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (absl::EqualsIgnoreCase(it.key(), name)) return &*it;
  }
  return nullptr;
}

std::string String(const json* v) {
  return v != nullptr && v->is_string() ? v->get<std::string>() : "";
}

bool Bool(const json* v) {
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

bool AllStrings(const json& arr) {
  for (const json& e : arr) {
    if (!e.is_string()) return false;
  }
  return true;
}

// []string: null unless a list of strings.
ordered_json StringList(const json* v) {
  if (v == nullptr || !v->is_array() || !AllStrings(*v)) return nullptr;
  ordered_json out = ordered_json::array();
  for (const json& e : *v) out.push_back(e.get<std::string>());
  return out;
}

// strslice.StrSlice: a list of strings, or one string taken as a list.
ordered_json StrSlice(const json* v) {
  if (v != nullptr && v->is_string()) {
    return ordered_json::array({v->get<std::string>()});
  }
  return StringList(v);
}

// map[string]struct{} (Volumes, nat.PortSet): keys kept, values {}.
// nlohmann's object iterates in key order, which is also Go's map order.
ordered_json StringSet(const json* v) {
  if (v == nullptr || !v->is_object()) return nullptr;
  ordered_json out = ordered_json::object();
  for (auto it = v->begin(); it != v->end(); ++it) {
    out[it.key()] = ordered_json::object();
  }
  return out;
}

// map[string]string (Labels); a JSON null value reads as "".
ordered_json StringMap(const json* v) {
  if (v == nullptr || !v->is_object()) return nullptr;
  ordered_json out = ordered_json::object();
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (it->is_null()) {
      out[it.key()] = "";
    } else if (it->is_string()) {
      out[it.key()] = it->get<std::string>();
    } else {
      return nullptr;
    }
  }
  return out;
}

bool IsEmpty(const ordered_json& v) {
  return v.is_null() || ((v.is_array() || v.is_object()) && v.empty());
}

// Go's `json:",omitempty"` on a slice, map or string.
void PutOmitEmpty(ordered_json& out, const char* key, ordered_json v) {
  if (!IsEmpty(v) && !(v.is_string() && v.get<std::string>().empty())) {
    out[key] = std::move(v);
  }
}

// An integer field (int, int64, time.Duration) with omitempty.
void PutIntOmitEmpty(ordered_json& out, const char* key, const json* v) {
  if (v != nullptr && v->is_number_integer() && v->get<int64_t>() != 0) {
    out[key] = v->get<int64_t>();
  }
}

// *HealthConfig: present (even as {}) unless absent or null.
void PutHealthcheck(ordered_json& out, const json* v) {
  if (v == nullptr || !v->is_object()) return;
  ordered_json h = ordered_json::object();
  PutOmitEmpty(h, "Test", StringList(Field(*v, "Test")));
  PutIntOmitEmpty(h, "Interval", Field(*v, "Interval"));
  PutIntOmitEmpty(h, "Timeout", Field(*v, "Timeout"));
  PutIntOmitEmpty(h, "StartPeriod", Field(*v, "StartPeriod"));
  PutIntOmitEmpty(h, "Retries", Field(*v, "Retries"));
  out["Healthcheck"] = std::move(h);
}

}  // namespace

ordered_json ContainerConfigToApi(const json& in) {
  auto f = [&](const char* name) { return Field(in, name); };
  ordered_json out = ordered_json::object();
  out["Hostname"] = String(f("Hostname"));
  out["Domainname"] = String(f("Domainname"));
  out["User"] = String(f("User"));
  out["AttachStdin"] = Bool(f("AttachStdin"));
  out["AttachStdout"] = Bool(f("AttachStdout"));
  out["AttachStderr"] = Bool(f("AttachStderr"));
  PutOmitEmpty(out, "ExposedPorts", StringSet(f("ExposedPorts")));
  out["Tty"] = Bool(f("Tty"));
  out["OpenStdin"] = Bool(f("OpenStdin"));
  out["StdinOnce"] = Bool(f("StdinOnce"));
  out["Env"] = StringList(f("Env"));
  out["Cmd"] = StrSlice(f("Cmd"));
  PutHealthcheck(out, f("Healthcheck"));
  if (Bool(f("ArgsEscaped"))) out["ArgsEscaped"] = true;
  out["Image"] = String(f("Image"));
  out["Volumes"] = StringSet(f("Volumes"));
  out["WorkingDir"] = String(f("WorkingDir"));
  out["Entrypoint"] = StrSlice(f("Entrypoint"));
  if (Bool(f("NetworkDisabled"))) out["NetworkDisabled"] = true;
  PutOmitEmpty(out, "MacAddress", String(f("MacAddress")));
  out["OnBuild"] = StringList(f("OnBuild"));
  out["Labels"] = StringMap(f("Labels"));
  PutOmitEmpty(out, "StopSignal", String(f("StopSignal")));
  if (const json* t = f("StopTimeout");
      t != nullptr && t->is_number_integer()) {
    out["StopTimeout"] = t->get<int64_t>();  // *int: kept even when 0.
  }
  PutOmitEmpty(out, "Shell", StrSlice(f("Shell")));
  return out;
}

}  // namespace mydocker::image
