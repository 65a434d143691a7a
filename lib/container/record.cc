#include "lib/container/record.h"

#include <concepts>
#include <type_traits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/container/go_json.h"

namespace mydocker::container {
namespace {

// Field options: Go's `json:",omitempty"`, and strslice.StrSlice (a string
// is read as a one-element list).
enum : unsigned { kPlain = 0, kOmitEmpty = 1, kStrSlice = 2 };

template <class S, class T>
concept Is = std::same_as<std::remove_const_t<S>, T>;

// The structs that are written as JSON objects field by field.
template <class T>
struct IsRecord : std::false_type {};
template <>
struct IsRecord<State> : std::true_type {};
template <>
struct IsRecord<Config> : std::true_type {};
template <>
struct IsRecord<LogConfig> : std::true_type {};
template <>
struct IsRecord<RestartPolicy> : std::true_type {};
template <>
struct IsRecord<PortBinding> : std::true_type {};
template <>
struct IsRecord<HostConfig> : std::true_type {};
template <>
struct IsRecord<EndpointSettings> : std::true_type {};
template <>
struct IsRecord<NetworkSettings> : std::true_type {};
template <>
struct IsRecord<MountPoint> : std::true_type {};
template <>
struct IsRecord<LocalLogCacheMeta> : std::true_type {};
template <>
struct IsRecord<Container> : std::true_type {};

// A Go struct without exported fields: written {}, whatever was read.
struct EmptyObject {};

// ---------------------------------------------------------------------------
// The field lists, in Go's struct order. One list drives both directions:
// `v` is a Writer (S const) or a Reader (S mutable).

template <class S, class V>
requires Is<S, State>
void Fields(S& s, V& v) {
  v("Running", s.running);
  v("Paused", s.paused);
  v("Restarting", s.restarting);
  v("OOMKilled", s.oom_killed);
  v("RemovalInProgress", s.removal_in_progress);
  v("Dead", s.dead);
  v("Pid", s.pid);
  v("ExitCode", s.exit_code);
  v("Error", s.error);
  v("StartedAt", s.started_at);
  v("FinishedAt", s.finished_at);
  v("Health", s.health);
}

template <class S, class V>
requires Is<S, Config>
void Fields(S& s, V& v) {
  v("Hostname", s.hostname);
  v("Domainname", s.domainname);
  v("User", s.user);
  v("AttachStdin", s.attach_stdin);
  v("AttachStdout", s.attach_stdout);
  v("AttachStderr", s.attach_stderr);
  v("ExposedPorts", s.exposed_ports, kOmitEmpty);
  v("Tty", s.tty);
  v("OpenStdin", s.open_stdin);
  v("StdinOnce", s.stdin_once);
  v("Env", s.env);
  v("Cmd", s.cmd, kStrSlice);
  v("Healthcheck", s.healthcheck, kOmitEmpty);
  v("ArgsEscaped", s.args_escaped, kOmitEmpty);
  v("Image", s.image);
  v("Volumes", s.volumes);
  v("WorkingDir", s.working_dir);
  v("Entrypoint", s.entrypoint, kStrSlice);
  v("NetworkDisabled", s.network_disabled, kOmitEmpty);
  v("MacAddress", s.mac_address, kOmitEmpty);
  v("OnBuild", s.on_build);
  v("Labels", s.labels);
  v("StopSignal", s.stop_signal, kOmitEmpty);
  v("StopTimeout", s.stop_timeout, kOmitEmpty);
  v("Shell", s.shell, kOmitEmpty | kStrSlice);
}

template <class S, class V>
requires Is<S, LogConfig>
void Fields(S& s, V& v) {
  v("Type", s.type);
  v("Config", s.config);
}

template <class S, class V>
requires Is<S, RestartPolicy>
void Fields(S& s, V& v) {
  v("Name", s.name);
  v("MaximumRetryCount", s.maximum_retry_count);
}

template <class S, class V>
requires Is<S, PortBinding>
void Fields(S& s, V& v) {
  v("HostIp", s.host_ip);
  v("HostPort", s.host_port);
}

template <class S, class V>
requires Is<S, HostConfig>
void Fields(S& s, V& v) {
  v("Binds", s.binds);
  v("ContainerIDFile", s.container_id_file);
  v("LogConfig", s.log_config);
  v("NetworkMode", s.network_mode);
  v("PortBindings", s.port_bindings);
  v("RestartPolicy", s.restart_policy);
  v("AutoRemove", s.auto_remove);
  v("VolumeDriver", s.volume_driver);
  v("VolumesFrom", s.volumes_from);
  v("CapAdd", s.cap_add, kStrSlice);
  v("CapDrop", s.cap_drop, kStrSlice);
  v("CgroupnsMode", s.cgroupns_mode);
  v("Dns", s.dns);
  v("DnsOptions", s.dns_options);
  v("DnsSearch", s.dns_search);
  v("ExtraHosts", s.extra_hosts);
  v("GroupAdd", s.group_add);
  v("IpcMode", s.ipc_mode);
  v("Cgroup", s.cgroup);
  v("Links", s.links);
  v("OomScoreAdj", s.oom_score_adj);
  v("PidMode", s.pid_mode);
  v("Privileged", s.privileged);
  v("PublishAllPorts", s.publish_all_ports);
  v("ReadonlyRootfs", s.readonly_rootfs);
  v("SecurityOpt", s.security_opt);
  v("StorageOpt", s.storage_opt, kOmitEmpty);
  v("Tmpfs", s.tmpfs, kOmitEmpty);
  v("UTSMode", s.uts_mode);
  v("UsernsMode", s.userns_mode);
  v("ShmSize", s.shm_size);
  v("Sysctls", s.sysctls, kOmitEmpty);
  v("Runtime", s.runtime, kOmitEmpty);
  v("ConsoleSize", s.console_size);
  v("Isolation", s.isolation);
  v("CpuShares", s.cpu_shares);
  v("Memory", s.memory);
  v("NanoCpus", s.nano_cpus);
  v("CgroupParent", s.cgroup_parent);
  v("BlkioWeight", s.blkio_weight);
  v("BlkioWeightDevice", s.blkio_weight_device);
  v("BlkioDeviceReadBps", s.blkio_device_read_bps);
  v("BlkioDeviceWriteBps", s.blkio_device_write_bps);
  v("BlkioDeviceReadIOps", s.blkio_device_read_iops);
  v("BlkioDeviceWriteIOps", s.blkio_device_write_iops);
  v("CpuPeriod", s.cpu_period);
  v("CpuQuota", s.cpu_quota);
  v("CpuRealtimePeriod", s.cpu_realtime_period);
  v("CpuRealtimeRuntime", s.cpu_realtime_runtime);
  v("CpusetCpus", s.cpuset_cpus);
  v("CpusetMems", s.cpuset_mems);
  v("Devices", s.devices);
  v("DeviceCgroupRules", s.device_cgroup_rules);
  v("DeviceRequests", s.device_requests);
  v("KernelMemory", s.kernel_memory);
  v("KernelMemoryTCP", s.kernel_memory_tcp);
  v("MemoryReservation", s.memory_reservation);
  v("MemorySwap", s.memory_swap);
  v("MemorySwappiness", s.memory_swappiness);
  v("OomKillDisable", s.oom_kill_disable);
  v("PidsLimit", s.pids_limit);
  v("Ulimits", s.ulimits);
  v("CpuCount", s.cpu_count);
  v("CpuPercent", s.cpu_percent);
  v("IOMaximumIOps", s.io_maximum_iops);
  v("IOMaximumBandwidth", s.io_maximum_bandwidth);
  v("Mounts", s.mounts, kOmitEmpty);
  v("MaskedPaths", s.masked_paths);
  v("ReadonlyPaths", s.readonly_paths);
  v("Init", s.init, kOmitEmpty);
}

template <class S, class V>
requires Is<S, EndpointSettings>
void Fields(S& s, V& v) {
  v("IPAMConfig", s.ipam_config);
  v("Links", s.links);
  v("Aliases", s.aliases);
  v("NetworkID", s.network_id);
  v("EndpointID", s.endpoint_id);
  v("Gateway", s.gateway);
  v("IPAddress", s.ip_address);
  v("IPPrefixLen", s.ip_prefix_len);
  v("IPv6Gateway", s.ipv6_gateway);
  v("GlobalIPv6Address", s.global_ipv6_address);
  v("GlobalIPv6PrefixLen", s.global_ipv6_prefix_len);
  v("MacAddress", s.mac_address);
  v("DriverOpts", s.driver_opts);
  v("IPAMOperational", s.ipam_operational);
}

template <class S, class V>
requires Is<S, NetworkSettings>
void Fields(S& s, V& v) {
  v("Bridge", s.bridge);
  v("SandboxID", s.sandbox_id);
  v("HairpinMode", s.hairpin_mode);
  v("LinkLocalIPv6Address", s.link_local_ipv6_address);
  v("LinkLocalIPv6PrefixLen", s.link_local_ipv6_prefix_len);
  v("Networks", s.networks);
  v("Service", s.service);
  v("Ports", s.ports);
  v("SandboxKey", s.sandbox_key);
  v("SecondaryIPAddresses", s.secondary_ip_addresses);
  v("SecondaryIPv6Addresses", s.secondary_ipv6_addresses);
  v("IsAnonymousEndpoint", s.is_anonymous_endpoint);
  v("HasSwarmEndpoint", s.has_swarm_endpoint);
}

template <class S, class V>
requires Is<S, MountPoint>
void Fields(S& s, V& v) {
  v("Source", s.source);
  v("Destination", s.destination);
  v("RW", s.rw);
  v("Name", s.name);
  v("Driver", s.driver);
  v("Type", s.type, kOmitEmpty);
  v("Relabel", s.mode, kOmitEmpty);
  v("Propagation", s.propagation, kOmitEmpty);
  v("ID", s.id, kOmitEmpty);
  v("Spec", s.spec);
  v("SkipMountpointCreation", s.skip_mountpoint_creation);
}

template <class S, class V>
requires Is<S, LocalLogCacheMeta>
void Fields(S& s, V& v) { v("HaveNotifyEnabled", s.have_notify_enabled); }

template <class S, class V>
requires Is<S, Container>
void Fields(S& s, V& v) {
  // stream.Config has no exported fields: always {}. Read and dropped.
  static EmptyObject stream_config;
  v("StreamConfig", stream_config);
  v("State", s.state);
  v("ID", s.id);
  v("Created", s.created);
  v("Managed", s.managed);
  v("Path", s.path);
  v("Args", s.args);
  v("Config", s.config);
  v("Image", s.image);
  v("NetworkSettings", s.network_settings);
  v("LogPath", s.log_path);
  v("Name", s.name);
  v("Driver", s.driver);
  v("OS", s.os);
  v("MountLabel", s.mount_label);
  v("ProcessLabel", s.process_label);
  v("RestartCount", s.restart_count);
  v("HasBeenStartedBefore", s.has_been_started_before);
  v("HasBeenManuallyStopped", s.has_been_manually_stopped);
  v("MountPoints", s.mount_points);
  v("SecretReferences", s.secret_references);
  v("ConfigReferences", s.config_references);
  v("AppArmorProfile", s.app_armor_profile);
  v("HostnamePath", s.hostname_path);
  v("HostsPath", s.hosts_path);
  v("ShmPath", s.shm_path);
  v("ResolvConfPath", s.resolv_conf_path);
  v("SeccompProfile", s.seccomp_profile);
  v("NoNewPrivileges", s.no_new_privileges);
  v("LocalLogCacheMeta", s.local_log_cache_meta);
}

// ---------------------------------------------------------------------------
// Writing: straight to text, as Go's encoder does.

void Put(const std::string& s, std::string& out) {
  AppendGoJsonString(s, &out);
}
void Put(bool b, std::string& out) { out += b ? "true" : "false"; }
void Put(int64_t n, std::string& out) { absl::StrAppend(&out, n); }
void Put(absl::Time t, std::string& out) {
  out.push_back('"');
  out += FormatGoTime(t);
  out.push_back('"');
}
void Put(const Json& j, std::string& out) { out += GoJson(j); }
void Put(const EmptyObject&, std::string& out) { out += "{}"; }
void Put(const std::set<std::string>& s, std::string& out) {
  out.push_back('{');
  bool first = true;
  for (const std::string& k : s) {
    if (!first) out.push_back(',');
    first = false;
    AppendGoJsonString(k, &out);
    out += ":{}";
  }
  out.push_back('}');
}
void Put(const std::array<int64_t, 2>& a, std::string& out) {
  absl::StrAppend(&out, "[", a[0], ",", a[1], "]");
}
template <class T>
void Put(const std::vector<T>& v, std::string& out);
template <class T>
void Put(const std::optional<T>& o, std::string& out);
template <class T>
void Put(const std::map<std::string, T>& m, std::string& out);
template <class T>
requires IsRecord<T>::value void Put(const T& r, std::string& out);

// Go's omitempty: false, 0, "", nil pointer, nil or empty slice or map.
bool IsEmpty(const std::string& s) { return s.empty(); }
bool IsEmpty(bool b) { return !b; }
bool IsEmpty(int64_t n) { return n == 0; }
bool IsEmpty(const std::set<std::string>& s) { return s.empty(); }
// A JSON value stands for a pointer (null when nil) or a slice.
bool IsEmpty(const Json& j) {
  return j.is_null() || (j.is_array() && j.empty());
}
template <class T>
bool IsEmpty(const std::optional<T>& o) {
  if (!o) return true;
  if constexpr (requires { o->empty(); }) {
    return o->empty();
  } else {
    return false;  // A pointer to a scalar: only nil is empty.
  }
}

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) { out_.push_back('{'); }

  template <size_t N, class T>
  void operator()(const char (&key)[N], const T& value,
                  unsigned opts = kPlain) {
    if constexpr (std::is_same_v<T, Json> || std::is_same_v<T, std::string> ||
                  std::is_same_v<T, bool> || std::is_same_v<T, int64_t> ||
                  std::is_same_v<T, std::set<std::string>> ||
                  requires { value.has_value(); }) {
      if ((opts & kOmitEmpty) && IsEmpty(value)) return;
    }
    Key(absl::string_view(key, N - 1));
    Put(value, out_);
  }

  // Unknown keys read from the file, after the known ones.
  void Finish(const Json& extra) {
    if (extra.is_object()) {
      for (const auto& [k, v] : extra.items()) {
        bool known = false;
        for (absl::string_view w : written_) known = known || k == w;
        if (known) continue;
        Key(k);
        out_ += GoJson(v);
      }
    }
    out_.push_back('}');
  }

 private:
  void Key(absl::string_view key) {
    if (!written_.empty()) out_.push_back(',');
    written_.push_back(key);
    AppendGoJsonString(key, &out_);
    out_.push_back(':');
  }
  std::string& out_;
  std::vector<absl::string_view> written_;
};

template <class T>
void Put(const std::vector<T>& v, std::string& out) {
  out.push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out.push_back(',');
    Put(v[i], out);
  }
  out.push_back(']');
}
template <class T>
void Put(const std::optional<T>& o, std::string& out) {
  if (o) {
    Put(*o, out);
  } else {
    out += "null";
  }
}
template <class T>
void Put(const std::map<std::string, T>& m, std::string& out) {
  out.push_back('{');
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out.push_back(',');
    first = false;
    AppendGoJsonString(k, &out);
    out.push_back(':');
    Put(v, out);
  }
  out.push_back('}');
}
template <class T>
requires IsRecord<T>::value void Put(const T& r, std::string& out) {
  Writer w(out);
  Fields(r, w);
  w.Finish(r.extra);
}

// ---------------------------------------------------------------------------
// Reading: a small recursive-descent JSON reader that fills the structs
// directly (a DOM would cost more than `ps` may spend), with
// encoding/json's rules.

constexpr int kMaxDepth = 512;

// Bytes that stand for themselves in a JSON string: printable ASCII but
// the quote and the backslash.
constexpr std::array<bool, 256> kPlainByte = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[c] = c != '"' && c != '\\';
  return t;
}();

class Cursor {
 public:
  explicit Cursor(absl::string_view text) : s_(text) {}

  // The next non-space character, or 0 at the end.
  char Peek() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' ||
                              s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
    }
    return i_ < s_.size() ? s_[i_] : 0;
  }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++i_;
    return true;
  }
  bool ConsumeWord(absl::string_view w) {
    Peek();
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  size_t pos() const { return i_; }
  absl::string_view Slice(size_t from) const {
    return s_.substr(from, i_ - from);
  }

  // A string literal (Peek() == '"'), unescaped; invalid UTF-8 and lone
  // surrogates become U+FFFD, as Go reads them.
  bool String(std::string* out) {
    if (!Consume('"')) return false;
    out->clear();
    while (i_ < s_.size()) {
      const unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (++i_ >= s_.size()) return false;
        const char e = s_[i_++];
        switch (e) {
          case '"':
            out->push_back('"');
            break;
          case '\\':
            out->push_back('\\');
            break;
          case '/':
            out->push_back('/');
            break;
          case 'b':
            out->push_back('\b');
            break;
          case 'f':
            out->push_back('\f');
            break;
          case 'n':
            out->push_back('\n');
            break;
          case 'r':
            out->push_back('\r');
            break;
          case 't':
            out->push_back('\t');
            break;
          case 'u': {
            uint32_t r;
            if (!Hex4(&r)) return false;
            if (r >= 0xd800 && r < 0xdc00) {
              // A high surrogate: a low one must follow to make a pair.
              uint32_t lo;
              size_t save = i_;
              if (i_ + 1 < s_.size() && s_[i_] == '\\' && s_[i_ + 1] == 'u') {
                i_ += 2;
                if (Hex4(&lo) && lo >= 0xdc00 && lo < 0xe000) {
                  AppendRune(0x10000 + ((r - 0xd800) << 10) + (lo - 0xdc00),
                             out);
                  break;
                }
              }
              i_ = save;
              r = 0xfffd;
            }
            AppendRune(r, out);
            break;
          }
          default:
            return false;
        }
        continue;
      }
      if (c < 0x80) {
        // A run of plain ASCII in one go.
        size_t j = i_ + 1;
        while (j < s_.size() && kPlainByte[static_cast<unsigned char>(s_[j])]) {
          ++j;
        }
        out->append(s_.data() + i_, j - i_);
        i_ = j;
        continue;
      }
      size_t len;
      if (DecodeRune(s_.substr(i_), &len) < 0) {
        AppendRune(0xfffd, out);
      } else {
        out->append(s_.data() + i_, len);
      }
      i_ += len;
    }
    return false;
  }

  // A number literal; `integral` says whether it has no fraction or
  // exponent.
  bool Number(absl::string_view* text, bool* integral) {
    Peek();
    const size_t from = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (!Digits()) return false;
    *integral = true;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (!Digits()) return false;
      *integral = false;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!Digits()) return false;
      *integral = false;
    }
    *text = s_.substr(from, i_ - from);
    return true;
  }

  // Skips one value of any kind.
  bool Skip(int depth = 0) {
    if (depth > kMaxDepth) return false;
    std::string scratch;
    switch (Peek()) {
      case '"':
        return String(&scratch);
      case '{':
        ++i_;
        if (Consume('}')) return true;
        do {
          if (Peek() != '"' || !String(&scratch) || !Consume(':') ||
              !Skip(depth + 1)) {
            return false;
          }
        } while (Consume(','));
        return Consume('}');
      case '[':
        ++i_;
        if (Consume(']')) return true;
        do {
          if (!Skip(depth + 1)) return false;
        } while (Consume(','));
        return Consume(']');
      case 't':
        return ConsumeWord("true");
      case 'f':
        return ConsumeWord("false");
      case 'n':
        return ConsumeWord("null");
      default: {
        absl::string_view t;
        bool integral;
        return Number(&t, &integral);
      }
    }
  }

 private:
  bool Digits() {
    const size_t from = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    return i_ > from;
  }
  bool Hex4(uint32_t* r) {
    if (i_ + 4 > s_.size()) return false;
    *r = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = s_[i_++];
      *r <<= 4;
      if (h >= '0' && h <= '9') {
        *r |= static_cast<uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        *r |= static_cast<uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        *r |= static_cast<uint32_t>(h - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }

  absl::string_view s_;
  size_t i_ = 0;
};

// The field being read, for error messages ("config.v2.json.State.Pid"),
// spelled out only when there is an error.
struct Path {
  enum Kind { kRoot, kField, kIndex, kKey };
  const Path* parent;
  absl::string_view name;
  Kind kind;
  size_t index;

  std::string Render() const {
    std::string head = parent ? parent->Render() : "";
    switch (kind) {
      case kRoot:
        return std::string(name);
      case kField:
        return absl::StrCat(head, ".", name);
      case kIndex:
        return absl::StrCat(head, "[", index, "]");
      case kKey:
        return absl::StrCat(head, "[\"", name, "\"]");
    }
    return head;
  }
};

Path Field(const Path& p, absl::string_view name) {
  return Path{&p, name, Path::kField, 0};
}
Path Index(const Path& p, size_t i) { return Path{&p, {}, Path::kIndex, i}; }
Path Key(const Path& p, absl::string_view k) {
  return Path{&p, k, Path::kKey, 0};
}

// Where reading stands: the cursor, the path of the field (for errors),
// and the first error.
struct Ctx {
  Cursor cur;
  std::string error;
  int depth = 0;

  bool Fail(const Path& path, absl::string_view what) {
    if (error.empty()) error = absl::StrCat(path.Render(), ": ", what);
    return false;
  }
  bool Syntax(const Path& path) {
    return Fail(path, absl::StrCat("malformed JSON at byte ", cur.pos()));
  }
  // What the next value is, for type errors.
  const char* Kind() {
    switch (cur.Peek()) {
      case '"':
        return "a string";
      case '{':
        return "an object";
      case '[':
        return "an array";
      case 't':
      case 'f':
        return "a boolean";
      case 'n':
        return "null";
      default:
        return "a number";
    }
  }
  bool WrongType(const Path& path, absl::string_view want) {
    return Fail(path, absl::StrCat("cannot read ", Kind(), " as ", want));
  }
  // Consumes a null; Go leaves most values alone on one.
  bool Null() { return cur.Peek() == 'n' && cur.ConsumeWord("null"); }
};

bool Read(Ctx& x, std::string& out, unsigned, const Path& path);
bool Read(Ctx& x, bool& out, unsigned, const Path& path);
bool Read(Ctx& x, int64_t& out, unsigned, const Path& path);
bool Read(Ctx& x, absl::Time& out, unsigned, const Path& path);
bool Read(Ctx& x, Json& out, unsigned, const Path& path);
bool Read(Ctx& x, EmptyObject&, unsigned, const Path& path);
bool Read(Ctx& x, std::set<std::string>& out, unsigned, const Path& path);
bool Read(Ctx& x, std::array<int64_t, 2>& out, unsigned, const Path& path);
template <class T>
bool Read(Ctx& x, std::vector<T>& out, unsigned opts, const Path& path);
template <class T>
bool Read(Ctx& x, std::optional<T>& out, unsigned opts, const Path& path);
template <class T>
bool Read(Ctx& x, std::map<std::string, T>& out, unsigned opts,
          const Path& path);
template <class T>
requires IsRecord<T>::value bool Read(Ctx& x, T& out, unsigned opts,
                                      const Path& path);

bool Read(Ctx& x, std::string& out, unsigned, const Path& path) {
  if (x.Null()) return true;
  if (x.cur.Peek() != '"') return x.WrongType(path, "a string");
  return x.cur.String(&out) || x.Syntax(path);
}

bool Read(Ctx& x, bool& out, unsigned, const Path& path) {
  if (x.Null()) return true;
  if (x.cur.ConsumeWord("true")) {
    out = true;
  } else if (x.cur.ConsumeWord("false")) {
    out = false;
  } else {
    return x.WrongType(path, "a boolean");
  }
  return true;
}

bool Read(Ctx& x, int64_t& out, unsigned, const Path& path) {
  if (x.Null()) return true;
  const char c = x.cur.Peek();
  if (c != '-' && (c < '0' || c > '9')) return x.WrongType(path, "an integer");
  absl::string_view text;
  bool integral;
  if (!x.cur.Number(&text, &integral)) return x.Syntax(path);
  if (!integral || !absl::SimpleAtoi(text, &out)) {
    return x.Fail(
        path, absl::StrCat("cannot read the number ", text, " as an integer"));
  }
  return true;
}

bool Read(Ctx& x, absl::Time& out, unsigned, const Path& path) {
  if (x.Null()) return true;
  if (x.cur.Peek() != '"') return x.WrongType(path, "a time");
  std::string s;
  if (!x.cur.String(&s)) return x.Syntax(path);
  absl::StatusOr<absl::Time> t = ParseGoTime(s);
  if (!t.ok()) return x.Fail(path, t.status().message());
  out = *t;
  return true;
}

// `raw` with every byte that is not valid UTF-8 replaced by U+FFFD (in
// JSON text they can only be inside strings), as Go reads them.
std::string FixUtf8(absl::string_view raw) {
  std::string out;
  for (size_t i = 0; i < raw.size();) {
    size_t len;
    if (DecodeRune(raw.substr(i), &len) < 0) {
      AppendRune(0xfffd, &out);
    } else {
      out.append(raw.data() + i, len);
    }
    i += len;
  }
  return out;
}

// Kept as JSON: parsed on its own (rare, and mostly null).
bool Read(Ctx& x, Json& out, unsigned, const Path& path) {
  if (x.Null()) {
    out = nullptr;
    return true;
  }
  x.cur.Peek();
  const size_t from = x.cur.pos();
  if (!x.cur.Skip()) return x.Syntax(path);
  absl::string_view raw = x.cur.Slice(from);
  out =
      Json::parse(raw.begin(), raw.end(), nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) {
    out = Json::parse(FixUtf8(raw), nullptr, /*allow_exceptions=*/false);
  }
  if (out.is_discarded()) {
    out = nullptr;
    return x.Syntax(path);
  }
  return true;
}

bool Read(Ctx& x, EmptyObject&, unsigned, const Path& path) {
  return x.cur.Skip() || x.Syntax(path);
}

bool Read(Ctx& x, std::set<std::string>& out, unsigned, const Path& path) {
  out.clear();
  if (x.Null()) return true;
  if (!x.cur.Consume('{')) return x.WrongType(path, "an object");
  if (x.cur.Consume('}')) return true;
  std::string key;
  do {
    if (x.cur.Peek() != '"' || !x.cur.String(&key) || !x.cur.Consume(':') ||
        !x.cur.Skip()) {
      return x.Syntax(path);
    }
    out.insert(key);
  } while (x.cur.Consume(','));
  return x.cur.Consume('}') || x.Syntax(path);
}

bool Read(Ctx& x, std::array<int64_t, 2>& out, unsigned opts,
          const Path& path) {
  if (x.Null()) return true;
  if (!x.cur.Consume('[')) return x.WrongType(path, "an array");
  out = {0, 0};
  if (x.cur.Consume(']')) return true;
  size_t i = 0;
  do {
    if (i < out.size()) {
      if (!Read(x, out[i], opts, Index(path, i))) return false;
    } else if (!x.cur.Skip()) {
      return x.Syntax(path);
    }
    ++i;
  } while (x.cur.Consume(','));
  return x.cur.Consume(']') || x.Syntax(path);
}

template <class T>
bool Read(Ctx& x, std::vector<T>& out, unsigned opts, const Path& path) {
  out.clear();
  if (x.Null()) return true;
  if constexpr (std::is_same_v<T, std::string>) {
    if ((opts & kStrSlice) && x.cur.Peek() == '"') {
      out.emplace_back();
      return x.cur.String(&out.back()) || x.Syntax(path);
    }
  }
  if (!x.cur.Consume('[')) return x.WrongType(path, "an array");
  if (x.cur.Consume(']')) return true;
  if (++x.depth > kMaxDepth) return x.Fail(path, "nested too deep");
  do {
    out.emplace_back();
    if (!Read(x, out.back(), kPlain, Index(path, out.size() - 1))) {
      return false;
    }
  } while (x.cur.Consume(','));
  --x.depth;
  return x.cur.Consume(']') || x.Syntax(path);
}

// A nil-able Go value (slice, map, pointer): null makes it nil.
template <class T>
bool Read(Ctx& x, std::optional<T>& out, unsigned opts, const Path& path) {
  if (x.Null()) {
    out.reset();
    return true;
  }
  out.emplace();
  return Read(x, *out, opts, path);
}

template <class T>
bool Read(Ctx& x, std::map<std::string, T>& out, unsigned, const Path& path) {
  out.clear();
  if (x.Null()) return true;
  if (!x.cur.Consume('{')) return x.WrongType(path, "an object");
  if (x.cur.Consume('}')) return true;
  if (++x.depth > kMaxDepth) return x.Fail(path, "nested too deep");
  std::string key;
  do {
    if (x.cur.Peek() != '"' || !x.cur.String(&key) || !x.cur.Consume(':')) {
      return x.Syntax(path);
    }
    if (!Read(x, out[key], kPlain, Key(path, key))) {
      return false;
    }
  } while (x.cur.Consume(','));
  --x.depth;
  return x.cur.Consume('}') || x.Syntax(path);
}

// One field of a record being read: its name and how to read into it.
struct Slot {
  absl::string_view key;
  ptrdiff_t offset;  // Of the member in the record ...
  void* fixed;       // ... or a target outside it (StreamConfig's).
  bool (*read)(Ctx&, void*, unsigned, const Path&);
  unsigned opts;
};

template <class T>
bool ReadInto(Ctx& x, void* target, unsigned opts, const Path& path) {
  return Read(x, *static_cast<T*>(target), opts, path);
}

// Collects a record's fields (the visitor side of Fields()) relative to
// the record's address.
class Slots {
 public:
  Slots(const void* base, size_t size)
      : base_(static_cast<const char*>(base)), size_(size) {}
  template <size_t N, class T>
  void operator()(const char (&key)[N], T& target, unsigned opts = kPlain) {
    const char* p = reinterpret_cast<const char*>(&target);
    const bool inside = p >= base_ && p < base_ + size_;
    slots.push_back(Slot{absl::string_view(key, N - 1), inside ? p - base_ : 0,
                         inside ? nullptr : &target, &ReadInto<T>, opts});
  }
  std::vector<Slot> slots;

 private:
  const char* base_;
  size_t size_;
};

// The fields of record type T, worked out once.
template <class T>
const std::vector<Slot>& SlotsOf() {
  static const std::vector<Slot>* const kSlots = [] {
    T probe;
    Slots s(&probe, sizeof(probe));
    Fields(probe, s);
    return new std::vector<Slot>(std::move(s.slots));
  }();
  return *kSlots;
}

// The field for `key`: encoding/json's matching, the exact name first,
// else ignoring case. Files are normally in field order, so the field after
// the last one found is tried first.
const Slot* Match(const std::vector<Slot>& slots, absl::string_view key,
                  size_t* next) {
  if (*next < slots.size() && key == slots[*next].key) {
    return &slots[(*next)++];
  }
  for (size_t i = 0; i < slots.size(); ++i) {
    if (key == slots[i].key) {
      *next = i + 1;
      return &slots[i];
    }
  }
  for (size_t i = 0; i < slots.size(); ++i) {
    if (absl::EqualsIgnoreCase(key, slots[i].key)) {
      *next = i + 1;
      return &slots[i];
    }
  }
  return nullptr;
}

template <class T>
requires IsRecord<T>::value bool Read(Ctx& x, T& out, unsigned,
                                      const Path& path) {
  if (x.Null()) return true;
  if (!x.cur.Consume('{')) return x.WrongType(path, "an object");
  out.extra = nullptr;
  if (x.cur.Consume('}')) return true;
  if (++x.depth > kMaxDepth) return x.Fail(path, "nested too deep");
  const std::vector<Slot>& fields = SlotsOf<T>();
  char* const base = reinterpret_cast<char*>(&out);
  size_t next = 0;
  std::string key;
  do {
    if (x.cur.Peek() != '"' || !x.cur.String(&key) || !x.cur.Consume(':')) {
      return x.Syntax(path);
    }
    const Slot* slot = Match(fields, key, &next);
    if (slot != nullptr) {
      void* target = slot->fixed ? slot->fixed : base + slot->offset;
      if (!slot->read(x, target, slot->opts, Field(path, slot->key))) {
        return false;
      }
      continue;
    }
    // Unknown: kept, in the file's order.
    Json value;
    if (!Read(x, value, kPlain, Field(path, key))) return false;
    if (out.extra.is_null()) out.extra = Json::object();
    out.extra[key] = std::move(value);
  } while (x.cur.Consume(','));
  --x.depth;
  return x.cur.Consume('}') || x.Syntax(path);
}

// encoding/json's Decoder.Decode: one value; what follows it is not read.
template <class T>
absl::StatusOr<T> ParseRecord(absl::string_view text, absl::string_view file) {
  Ctx x{Cursor(text), "", 0};
  const Path path{nullptr, file, Path::kRoot, 0};
  if (x.cur.Peek() != '{') {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": not a JSON object"));
  }
  T out;
  if (!Read(x, out, kPlain, path)) {
    return absl::InvalidArgumentError(x.error);
  }
  return out;
}

template <class T>
std::string Text(const T& r) {
  std::string out;
  out.reserve(4096);
  Put(r, out);
  return out;
}

}  // namespace

std::string FormatGoTime(absl::Time t) {
  // Go's times have nanoseconds; absl's are finer.
  t = absl::UnixEpoch() +
      absl::Floor(t - absl::UnixEpoch(), absl::Nanoseconds(1));
  return absl::FormatTime("%E4Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseGoTime(absl::string_view s) {
  absl::Time t;
  std::string why;
  if (!absl::ParseTime(absl::RFC3339_full, s, &t, &why)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad time \"", s, "\": ", why));
  }
  return t;
}

absl::StatusOr<Container> ParseConfigV2(absl::string_view text) {
  return ParseRecord<Container>(text, "config.v2.json");
}

absl::StatusOr<HostConfig> ParseHostConfig(absl::string_view text) {
  return ParseRecord<HostConfig>(text, "hostconfig.json");
}

absl::StatusOr<Config> ConfigFromJson(const Json& j, absl::string_view what) {
  if (j.is_null()) return Config{};
  return ParseRecord<Config>(GoJson(j), what);
}

Json ConfigV2ToJson(const Container& c) {
  return Json::parse(Text(c), nullptr, /*allow_exceptions=*/false);
}
Json HostConfigToJson(const HostConfig& h) {
  return Json::parse(Text(h), nullptr, /*allow_exceptions=*/false);
}
Json ConfigToJson(const Config& c) {
  return Json::parse(Text(c), nullptr, /*allow_exceptions=*/false);
}

std::string SerializeConfigV2(const Container& c) { return Text(c) + "\n"; }

void SetRunning(Container& c, int64_t pid, absl::Time now) {
  c.state.error.clear();
  c.state.paused = false;
  c.state.running = true;
  c.state.restarting = false;
  c.state.exit_code = 0;
  c.state.pid = pid;
  c.state.started_at = now;
  c.has_been_started_before = true;
}

void SetStopped(Container& c, int64_t exit_code, bool oom_killed,
                absl::Time at) {
  c.state.running = false;
  c.state.paused = false;
  c.state.restarting = false;
  c.state.pid = 0;
  c.state.finished_at = at;
  c.state.exit_code = exit_code;
  c.state.oom_killed = oom_killed;
}

void SetStartFailed(Container& c, absl::string_view message,
                    int64_t exit_code) {
  c.state.error = std::string(message);
  c.state.exit_code = exit_code != 0 ? exit_code : 128;
}

std::string SerializeHostConfig(const HostConfig& h) { return Text(h) + "\n"; }

}  // namespace mydocker::container
