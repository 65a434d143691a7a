#include "lib/spec/spec_json.h"

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

namespace mydocker::spec {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// ---------------------------------------------------------------- writing

ordered_json StringArray(const std::vector<std::string>& v) {
  ordered_json a = ordered_json::array();
  for (const std::string& s : v) a.push_back(s);
  return a;
}

void PutList(ordered_json& o, const char* key,
             const std::vector<std::string>& v) {
  if (!v.empty()) o[key] = StringArray(v);
}

ordered_json UserJson(const User& u) {
  ordered_json o = ordered_json::object();
  o["uid"] = u.uid;
  o["gid"] = u.gid;
  if (u.umask.has_value()) o["umask"] = *u.umask;
  if (!u.additional_gids.empty()) {
    ordered_json a = ordered_json::array();
    for (uint32_t g : u.additional_gids) a.push_back(g);
    o["additionalGids"] = std::move(a);
  }
  return o;
}

ordered_json CapabilitiesJson(const Capabilities& c) {
  ordered_json o = ordered_json::object();
  PutList(o, "bounding", c.bounding);
  PutList(o, "effective", c.effective);
  PutList(o, "inheritable", c.inheritable);
  PutList(o, "permitted", c.permitted);
  PutList(o, "ambient", c.ambient);
  return o;
}

ordered_json ProcessJson(const Process& p) {
  ordered_json o = ordered_json::object();
  if (p.terminal) o["terminal"] = true;
  if (p.console_size.has_value()) {
    o["consoleSize"] = {{"height", p.console_size->height},
                        {"width", p.console_size->width}};
  }
  o["user"] = UserJson(p.user);
  PutList(o, "args", p.args);
  PutList(o, "env", p.env);
  o["cwd"] = p.cwd;
  o["capabilities"] = CapabilitiesJson(p.capabilities);
  if (!p.rlimits.empty()) {
    ordered_json a = ordered_json::array();
    for (const Rlimit& r : p.rlimits) {
      a.push_back({{"type", r.type}, {"hard", r.hard}, {"soft", r.soft}});
    }
    o["rlimits"] = std::move(a);
  }
  if (p.no_new_privileges) o["noNewPrivileges"] = true;
  if (p.oom_score_adj.has_value()) o["oomScoreAdj"] = *p.oom_score_adj;
  return o;
}

ordered_json MountJson(const Mount& m) {
  ordered_json o = ordered_json::object();
  o["destination"] = m.destination;
  if (!m.type.empty()) o["type"] = m.type;
  if (!m.source.empty()) o["source"] = m.source;
  PutList(o, "options", m.options);
  return o;
}

ordered_json RuleJson(const DeviceCgroupRule& r) {
  ordered_json o = ordered_json::object();
  o["allow"] = r.allow;
  if (!r.type.empty()) o["type"] = r.type;
  if (r.major.has_value()) o["major"] = *r.major;
  if (r.minor.has_value()) o["minor"] = *r.minor;
  if (!r.access.empty()) o["access"] = r.access;
  return o;
}

ordered_json ResourcesJson(const Resources& r) {
  ordered_json o = ordered_json::object();
  if (!r.devices.empty()) {
    ordered_json a = ordered_json::array();
    for (const DeviceCgroupRule& d : r.devices) a.push_back(RuleJson(d));
    o["devices"] = std::move(a);
  }
  if (r.memory.has_value()) {
    const Memory& m = *r.memory;
    ordered_json mem = ordered_json::object();
    if (m.limit) mem["limit"] = *m.limit;
    if (m.reservation) mem["reservation"] = *m.reservation;
    if (m.swap) mem["swap"] = *m.swap;
    if (m.disable_oom_killer) mem["disableOOMKiller"] = *m.disable_oom_killer;
    o["memory"] = std::move(mem);
  }
  if (r.cpu.has_value()) {
    const Cpu& c = *r.cpu;
    ordered_json cpu = ordered_json::object();
    if (c.shares) cpu["shares"] = *c.shares;
    if (c.quota) cpu["quota"] = *c.quota;
    if (c.period) cpu["period"] = *c.period;
    if (!c.cpus.empty()) cpu["cpus"] = c.cpus;
    if (!c.mems.empty()) cpu["mems"] = c.mems;
    o["cpu"] = std::move(cpu);
  }
  if (r.pids.has_value()) o["pids"] = {{"limit", r.pids->limit}};
  return o;
}

ordered_json LinuxJson(const Linux& l) {
  ordered_json o = ordered_json::object();
  if (!l.sysctl.empty()) {
    ordered_json s = ordered_json::object();
    for (const auto& [k, v] : l.sysctl) s[k] = v;
    o["sysctl"] = std::move(s);
  }
  if (l.resources.has_value()) o["resources"] = ResourcesJson(*l.resources);
  if (!l.cgroups_path.empty()) o["cgroupsPath"] = l.cgroups_path;
  if (!l.namespaces.empty()) {
    ordered_json a = ordered_json::array();
    for (const Namespace& n : l.namespaces) {
      ordered_json ns = {{"type", n.type}};
      if (!n.path.empty()) ns["path"] = n.path;
      a.push_back(std::move(ns));
    }
    o["namespaces"] = std::move(a);
  }
  if (!l.devices.empty()) {
    ordered_json a = ordered_json::array();
    for (const Device& d : l.devices) {
      ordered_json dev = {{"path", d.path},
                          {"type", d.type},
                          {"major", d.major},
                          {"minor", d.minor}};
      if (d.file_mode) dev["fileMode"] = *d.file_mode;
      if (d.uid) dev["uid"] = *d.uid;
      if (d.gid) dev["gid"] = *d.gid;
      a.push_back(std::move(dev));
    }
    o["devices"] = std::move(a);
  }
  if (!l.rootfs_propagation.empty()) {
    o["rootfsPropagation"] = l.rootfs_propagation;
  }
  PutList(o, "maskedPaths", l.masked_paths);
  PutList(o, "readonlyPaths", l.readonly_paths);
  return o;
}

// ---------------------------------------------------------------- reading

// One JSON value and where it sits ("process.user.uid"), for errors.
class Value {
 public:
  Value(const json& j, std::string path) : j_(j), path_(std::move(path)) {}

  const json& json_value() const { return j_; }
  const std::string& path() const { return path_; }

  absl::Status Error(absl::string_view problem) const {
    return absl::InvalidArgumentError(
        absl::StrCat("config.json: ", path_, ": ", problem));
  }

  // The member `key` of this object; nullopt if absent or null.
  std::optional<Value> Get(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return std::nullopt;
    return Value(*it, path_.empty() ? key : absl::StrCat(path_, ".", key));
  }

  Value At(size_t i) const {
    return Value(j_[i], absl::StrCat(path_, "[", i, "]"));
  }

  absl::Status ExpectObject() const {
    return j_.is_object() ? absl::OkStatus() : Error("not an object");
  }
  absl::Status ExpectArray() const {
    return j_.is_array() ? absl::OkStatus() : Error("not a list");
  }

  absl::StatusOr<std::string> String() const {
    if (!j_.is_string()) return Error("not a string");
    return j_.get<std::string>();
  }
  absl::StatusOr<bool> Bool() const {
    if (!j_.is_boolean()) return Error("not a boolean");
    return j_.get<bool>();
  }
  absl::StatusOr<int64_t> Int64() const {
    if (j_.is_number_unsigned()) {
      if (j_.get<uint64_t>() >
          static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Error("not an int64");
      }
      return static_cast<int64_t>(j_.get<uint64_t>());
    }
    if (!j_.is_number_integer()) return Error("not an int64");
    return j_.get<int64_t>();
  }
  absl::StatusOr<uint64_t> Uint64() const {
    if (j_.is_number_unsigned()) return j_.get<uint64_t>();
    if (j_.is_number_integer() && j_.get<int64_t>() >= 0) {
      return static_cast<uint64_t>(j_.get<int64_t>());
    }
    return Error("not a uint64");
  }
  absl::StatusOr<uint32_t> Uint32() const {
    absl::StatusOr<uint64_t> v = Uint64();
    if (!v.ok() || *v > std::numeric_limits<uint32_t>::max()) {
      return Error("not a uint32");
    }
    return static_cast<uint32_t>(*v);
  }
  absl::StatusOr<int> Int() const {
    absl::StatusOr<int64_t> v = Int64();
    if (!v.ok() || *v < std::numeric_limits<int>::min() ||
        *v > std::numeric_limits<int>::max()) {
      return Error("not an int");
    }
    return static_cast<int>(*v);
  }
  absl::StatusOr<std::vector<std::string>> StringList() const {
    RETURN_IF_ERROR(ExpectArray());
    std::vector<std::string> out;
    for (size_t i = 0; i < j_.size(); ++i) {
      ASSIGN_OR_RETURN(std::string s, At(i).String());
      out.push_back(std::move(s));
    }
    return out;
  }
  absl::StatusOr<std::map<std::string, std::string>> StringMap() const {
    RETURN_IF_ERROR(ExpectObject());
    std::map<std::string, std::string> out;
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      Value v(*it, absl::StrCat(path_, ".", it.key()));
      ASSIGN_OR_RETURN(out[it.key()], v.String());
    }
    return out;
  }

 private:
  const json& j_;
  std::string path_;
};

// Reads member `key` of `v` into `*out` with `read` if it is present.
template <typename T, typename Reader>
absl::Status Optional(const Value& v, const char* key, T* out, Reader read) {
  std::optional<Value> m = v.Get(key);
  if (!m.has_value()) return absl::OkStatus();
  ASSIGN_OR_RETURN(*out, read(*m));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadString(const Value& v) { return v.String(); }
absl::StatusOr<bool> ReadBool(const Value& v) { return v.Bool(); }
absl::StatusOr<int64_t> ReadInt64(const Value& v) { return v.Int64(); }
absl::StatusOr<uint64_t> ReadUint64(const Value& v) { return v.Uint64(); }
absl::StatusOr<uint32_t> ReadUint32(const Value& v) { return v.Uint32(); }
absl::StatusOr<int> ReadInt(const Value& v) { return v.Int(); }
absl::StatusOr<std::vector<std::string>> ReadStringList(const Value& v) {
  return v.StringList();
}

// Calls `each(element)` for every element of the list member `key`.
template <typename Fn>
absl::Status ForEach(const Value& v, const char* key, Fn each) {
  std::optional<Value> list = v.Get(key);
  if (!list.has_value()) return absl::OkStatus();
  RETURN_IF_ERROR(list->ExpectArray());
  for (size_t i = 0; i < list->json_value().size(); ++i) {
    Value e = list->At(i);
    RETURN_IF_ERROR(e.ExpectObject());
    RETURN_IF_ERROR(each(e));
  }
  return absl::OkStatus();
}

absl::Status ReadUser(const Value& v, User& u) {
  RETURN_IF_ERROR(v.ExpectObject());
  RETURN_IF_ERROR(Optional(v, "uid", &u.uid, ReadUint32));
  RETURN_IF_ERROR(Optional(v, "gid", &u.gid, ReadUint32));
  RETURN_IF_ERROR(Optional(v, "umask", &u.umask, ReadUint32));
  std::optional<Value> gids = v.Get("additionalGids");
  if (gids.has_value()) {
    RETURN_IF_ERROR(gids->ExpectArray());
    for (size_t i = 0; i < gids->json_value().size(); ++i) {
      ASSIGN_OR_RETURN(uint32_t g, gids->At(i).Uint32());
      u.additional_gids.push_back(g);
    }
  }
  return absl::OkStatus();
}

absl::Status ReadProcess(const Value& v, Process& p) {
  RETURN_IF_ERROR(v.ExpectObject());
  RETURN_IF_ERROR(Optional(v, "terminal", &p.terminal, ReadBool));
  if (std::optional<Value> box = v.Get("consoleSize")) {
    RETURN_IF_ERROR(box->ExpectObject());
    ConsoleSize size;
    RETURN_IF_ERROR(Optional(*box, "height", &size.height, ReadUint32));
    RETURN_IF_ERROR(Optional(*box, "width", &size.width, ReadUint32));
    p.console_size = size;
  }
  if (std::optional<Value> user = v.Get("user")) {
    RETURN_IF_ERROR(ReadUser(*user, p.user));
  }
  RETURN_IF_ERROR(Optional(v, "args", &p.args, ReadStringList));
  RETURN_IF_ERROR(Optional(v, "env", &p.env, ReadStringList));
  RETURN_IF_ERROR(Optional(v, "cwd", &p.cwd, ReadString));
  if (std::optional<Value> caps = v.Get("capabilities")) {
    RETURN_IF_ERROR(caps->ExpectObject());
    Capabilities& c = p.capabilities;
    RETURN_IF_ERROR(Optional(*caps, "bounding", &c.bounding, ReadStringList));
    RETURN_IF_ERROR(Optional(*caps, "effective", &c.effective, ReadStringList));
    RETURN_IF_ERROR(
        Optional(*caps, "inheritable", &c.inheritable, ReadStringList));
    RETURN_IF_ERROR(Optional(*caps, "permitted", &c.permitted, ReadStringList));
    RETURN_IF_ERROR(Optional(*caps, "ambient", &c.ambient, ReadStringList));
  }
  RETURN_IF_ERROR(ForEach(v, "rlimits", [&](const Value& e) -> absl::Status {
    Rlimit r;
    std::optional<Value> type = e.Get("type");
    if (!type.has_value()) return e.Error("no \"type\"");
    ASSIGN_OR_RETURN(r.type, type->String());
    RETURN_IF_ERROR(Optional(e, "hard", &r.hard, ReadUint64));
    RETURN_IF_ERROR(Optional(e, "soft", &r.soft, ReadUint64));
    p.rlimits.push_back(std::move(r));
    return absl::OkStatus();
  }));
  RETURN_IF_ERROR(
      Optional(v, "noNewPrivileges", &p.no_new_privileges, ReadBool));
  RETURN_IF_ERROR(Optional(v, "oomScoreAdj", &p.oom_score_adj, ReadInt));
  return absl::OkStatus();
}

bool OneOf(const std::string& s, std::initializer_list<const char*> options) {
  for (const char* o : options) {
    if (s == o) return true;
  }
  return false;
}

// "rwm", "r", "mw"...: a non-empty set of r, w, m, each at most once.
bool ValidAccess(const std::string& access) {
  if (access.empty() || access.size() > 3) return false;
  for (size_t i = 0; i < access.size(); ++i) {
    if (!OneOf(std::string(1, access[i]), {"r", "w", "m"})) return false;
    if (access.find(access[i], i + 1) != std::string::npos) return false;
  }
  return true;
}

absl::Status ReadResources(const Value& v, Resources& r) {
  RETURN_IF_ERROR(v.ExpectObject());
  RETURN_IF_ERROR(ForEach(v, "devices", [&](const Value& e) -> absl::Status {
    DeviceCgroupRule rule;
    RETURN_IF_ERROR(Optional(e, "allow", &rule.allow, ReadBool));
    rule.type = "a";
    RETURN_IF_ERROR(Optional(e, "type", &rule.type, ReadString));
    if (!OneOf(rule.type, {"a", "b", "c"})) {
      return e.Error(absl::StrCat("unknown device type \"", rule.type, "\""));
    }
    RETURN_IF_ERROR(Optional(e, "major", &rule.major, ReadInt64));
    RETURN_IF_ERROR(Optional(e, "minor", &rule.minor, ReadInt64));
    // runc's reading: -1 is the wildcard, like an absent number.
    if (rule.major == -1) rule.major.reset();
    if (rule.minor == -1) rule.minor.reset();
    if ((rule.major && *rule.major < 0) || (rule.minor && *rule.minor < 0)) {
      return e.Error("negative device number");
    }
    rule.access = "rwm";
    RETURN_IF_ERROR(Optional(e, "access", &rule.access, ReadString));
    if (!ValidAccess(rule.access)) {
      return e.Error(absl::StrCat("bad access \"", rule.access, "\""));
    }
    r.devices.push_back(std::move(rule));
    return absl::OkStatus();
  }));
  if (std::optional<Value> mem = v.Get("memory")) {
    RETURN_IF_ERROR(mem->ExpectObject());
    Memory m;
    RETURN_IF_ERROR(Optional(*mem, "limit", &m.limit, ReadInt64));
    RETURN_IF_ERROR(Optional(*mem, "reservation", &m.reservation, ReadInt64));
    RETURN_IF_ERROR(Optional(*mem, "swap", &m.swap, ReadInt64));
    RETURN_IF_ERROR(
        Optional(*mem, "disableOOMKiller", &m.disable_oom_killer, ReadBool));
    r.memory = m;
  }
  if (std::optional<Value> cpu = v.Get("cpu")) {
    RETURN_IF_ERROR(cpu->ExpectObject());
    Cpu c;
    RETURN_IF_ERROR(Optional(*cpu, "shares", &c.shares, ReadUint64));
    RETURN_IF_ERROR(Optional(*cpu, "quota", &c.quota, ReadInt64));
    RETURN_IF_ERROR(Optional(*cpu, "period", &c.period, ReadUint64));
    RETURN_IF_ERROR(Optional(*cpu, "cpus", &c.cpus, ReadString));
    RETURN_IF_ERROR(Optional(*cpu, "mems", &c.mems, ReadString));
    r.cpu = c;
  }
  if (std::optional<Value> pids = v.Get("pids")) {
    RETURN_IF_ERROR(pids->ExpectObject());
    Pids p;
    RETURN_IF_ERROR(Optional(*pids, "limit", &p.limit, ReadInt64));
    r.pids = p;
  }
  return absl::OkStatus();
}

absl::Status ReadLinux(const Value& v, Linux& l) {
  RETURN_IF_ERROR(v.ExpectObject());
  if (std::optional<Value> sysctl = v.Get("sysctl")) {
    ASSIGN_OR_RETURN(l.sysctl, sysctl->StringMap());
  }
  if (std::optional<Value> res = v.Get("resources")) {
    l.resources.emplace();
    RETURN_IF_ERROR(ReadResources(*res, *l.resources));
  }
  RETURN_IF_ERROR(Optional(v, "cgroupsPath", &l.cgroups_path, ReadString));
  RETURN_IF_ERROR(ForEach(v, "namespaces", [&](const Value& e) -> absl::Status {
    Namespace ns;
    std::optional<Value> type = e.Get("type");
    if (!type.has_value()) return e.Error("no \"type\"");
    ASSIGN_OR_RETURN(ns.type, type->String());
    if (!OneOf(ns.type,
               {"pid", "network", "mount", "ipc", "uts", "user", "cgroup"})) {
      return e.Error(absl::StrCat("unknown namespace type \"", ns.type, "\""));
    }
    RETURN_IF_ERROR(Optional(e, "path", &ns.path, ReadString));
    l.namespaces.push_back(std::move(ns));
    return absl::OkStatus();
  }));
  RETURN_IF_ERROR(ForEach(v, "devices", [&](const Value& e) -> absl::Status {
    Device d;
    std::optional<Value> path = e.Get("path");
    std::optional<Value> type = e.Get("type");
    if (!path.has_value()) return e.Error("no \"path\"");
    if (!type.has_value()) return e.Error("no \"type\"");
    ASSIGN_OR_RETURN(d.path, path->String());
    ASSIGN_OR_RETURN(d.type, type->String());
    if (!OneOf(d.type, {"c", "b", "u", "p"})) {
      return e.Error(absl::StrCat("unknown device type \"", d.type, "\""));
    }
    RETURN_IF_ERROR(Optional(e, "major", &d.major, ReadInt64));
    RETURN_IF_ERROR(Optional(e, "minor", &d.minor, ReadInt64));
    RETURN_IF_ERROR(Optional(e, "fileMode", &d.file_mode, ReadUint32));
    RETURN_IF_ERROR(Optional(e, "uid", &d.uid, ReadUint32));
    RETURN_IF_ERROR(Optional(e, "gid", &d.gid, ReadUint32));
    l.devices.push_back(std::move(d));
    return absl::OkStatus();
  }));
  RETURN_IF_ERROR(
      Optional(v, "rootfsPropagation", &l.rootfs_propagation, ReadString));
  RETURN_IF_ERROR(Optional(v, "maskedPaths", &l.masked_paths, ReadStringList));
  RETURN_IF_ERROR(
      Optional(v, "readonlyPaths", &l.readonly_paths, ReadStringList));
  return absl::OkStatus();
}

}  // namespace

ordered_json ToJson(const Spec& spec) {
  ordered_json o = ordered_json::object();
  o["ociVersion"] = spec.oci_version;
  o["process"] = ProcessJson(spec.process);
  ordered_json root = {{"path", spec.root.path}};
  if (spec.root.readonly) root["readonly"] = true;
  o["root"] = std::move(root);
  if (!spec.hostname.empty()) o["hostname"] = spec.hostname;
  if (!spec.mounts.empty()) {
    ordered_json a = ordered_json::array();
    for (const Mount& m : spec.mounts) a.push_back(MountJson(m));
    o["mounts"] = std::move(a);
  }
  if (!spec.annotations.empty()) {
    ordered_json a = ordered_json::object();
    for (const auto& [k, v] : spec.annotations) a[k] = v;
    o["annotations"] = std::move(a);
  }
  o["linux"] = LinuxJson(spec.linux);
  return o;
}

absl::StatusOr<Spec> FromJson(absl::string_view text) {
  if (text.size() > kMaxConfigJsonBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("config.json: ", text.size(),
                     " bytes is over the limit of ", kMaxConfigJsonBytes));
  }
  json doc = json::parse(text.begin(), text.end(), nullptr,
                         /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError("config.json: not valid JSON");
  }
  if (!doc.is_object()) {
    return absl::InvalidArgumentError("config.json: not a JSON object");
  }
  Value top(doc, "");
  Spec s;
  std::optional<Value> version = top.Get("ociVersion");
  if (!version.has_value()) {
    return absl::InvalidArgumentError("config.json: no \"ociVersion\"");
  }
  ASSIGN_OR_RETURN(s.oci_version, version->String());
  if (std::optional<Value> p = top.Get("process")) {
    RETURN_IF_ERROR(ReadProcess(*p, s.process));
  }
  if (std::optional<Value> root = top.Get("root")) {
    RETURN_IF_ERROR(root->ExpectObject());
    RETURN_IF_ERROR(Optional(*root, "path", &s.root.path, ReadString));
    RETURN_IF_ERROR(Optional(*root, "readonly", &s.root.readonly, ReadBool));
  }
  RETURN_IF_ERROR(Optional(top, "hostname", &s.hostname, ReadString));
  RETURN_IF_ERROR(ForEach(top, "mounts", [&](const Value& e) -> absl::Status {
    Mount m;
    std::optional<Value> dest = e.Get("destination");
    if (!dest.has_value()) return e.Error("no \"destination\"");
    ASSIGN_OR_RETURN(m.destination, dest->String());
    RETURN_IF_ERROR(Optional(e, "type", &m.type, ReadString));
    RETURN_IF_ERROR(Optional(e, "source", &m.source, ReadString));
    RETURN_IF_ERROR(Optional(e, "options", &m.options, ReadStringList));
    s.mounts.push_back(std::move(m));
    return absl::OkStatus();
  }));
  if (std::optional<Value> ann = top.Get("annotations")) {
    ASSIGN_OR_RETURN(s.annotations, ann->StringMap());
  }
  if (std::optional<Value> linux_value = top.Get("linux")) {
    RETURN_IF_ERROR(ReadLinux(*linux_value, s.linux));
  }
  return s;
}

}  // namespace mydocker::spec
