#include "lib/container/create_config.h"

#include <unistd.h>

#include <climits>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "lib/spec/docker_defaults.h"

namespace mydocker::container {
namespace {

absl::string_view EnvKey(absl::string_view kv) {
  return kv.substr(0, kv.find('='));
}

// Healthcheck fields that count as unset when zero or empty.
void MergeHealthcheck(Json& user, const Json& image) {
  if (image.is_null()) return;
  if (user.is_null() || !user.is_object()) {
    user = image;
    return;
  }
  if (!image.is_object()) return;
  auto unset = [&](const char* key) {
    auto it = user.find(key);
    return it == user.end() || it->is_null() ||
           (it->is_array() && it->empty()) ||
           (it->is_number() && it->get<double>() == 0);
  };
  for (const char* key :
       {"Test", "Interval", "Timeout", "StartPeriod", "Retries"}) {
    if (unset(key) && image.contains(key)) user[key] = image[key];
  }
}

}  // namespace

absl::Status MergeImageConfig(Config& user, const Config& image) {
  if (user.user.empty()) user.user = image.user;
  user.exposed_ports.insert(image.exposed_ports.begin(),
                            image.exposed_ports.end());
  if (!user.env || user.env->empty()) {
    user.env = image.env;
  } else if (image.env) {
    for (const std::string& ie : *image.env) {
      bool found = false;
      for (const std::string& ue : *user.env) {
        if (EnvKey(ue) == EnvKey(ie)) {
          found = true;
          break;
        }
      }
      if (!found) user.env->push_back(ie);
    }
  }
  if (!user.labels) user.labels.emplace();
  if (image.labels) {
    for (const auto& [k, v] : *image.labels) user.labels->emplace(k, v);
  }
  if (!user.entrypoint || user.entrypoint->empty()) {
    if (!user.cmd || user.cmd->empty()) user.cmd = image.cmd;
    if (!user.entrypoint) user.entrypoint = image.entrypoint;
  }
  MergeHealthcheck(user.healthcheck, image.healthcheck);
  if (user.working_dir.empty()) user.working_dir = image.working_dir;
  if (!user.volumes || user.volumes->empty()) {
    user.volumes = image.volumes;
  } else if (image.volumes) {
    user.volumes->insert(image.volumes->begin(), image.volumes->end());
  }
  if (user.stop_signal.empty()) user.stop_signal = image.stop_signal;

  if (user.entrypoint && user.entrypoint->size() == 1 &&
      (*user.entrypoint)[0].empty()) {
    user.entrypoint.reset();
  }
  if ((!user.entrypoint || user.entrypoint->empty()) &&
      (!user.cmd || user.cmd->empty())) {
    return absl::InvalidArgumentError("No command specified");
  }
  return absl::OkStatus();
}

void ApplyHostConfigDefaults(HostConfig& h, const DaemonDefaults& d) {
  if (h.network_mode.empty()) h.network_mode = "default";
  if (h.log_config.type.empty()) h.log_config.type = d.log_driver;
  if (!h.log_config.config) h.log_config.config.emplace();
  if (h.memory > 0 && h.memory_swap == 0) h.memory_swap = h.memory * 2;
  if (h.shm_size == 0) h.shm_size = d.shm_size;
  if (h.ipc_mode.empty()) h.ipc_mode = d.ipc_mode;
  // Privileged containers share the host's on v1 only; on v2 everyone
  // gets their own.
  if (h.cgroupns_mode.empty())
    h.cgroupns_mode = d.cgroup_v2 ? "private" : "host";
  if (!h.oom_kill_disable) h.oom_kill_disable = false;
  // The CLI sends -1 and 0 for "not set" (api container_routes.go,
  // daemon.go fixMemorySwappiness).
  if (h.pids_limit && *h.pids_limit <= 0) h.pids_limit.reset();
  if (h.memory_swappiness && *h.memory_swappiness == -1) {
    h.memory_swappiness.reset();
  }
  if (h.runtime.empty()) h.runtime = d.runtime;
  if (!h.masked_paths && !h.privileged) {
    h.masked_paths = spec::DefaultMaskedPaths();
  }
  if (!h.readonly_paths && !h.privileged) {
    h.readonly_paths = spec::DefaultReadonlyPaths();
  }
}

std::pair<std::string, std::vector<std::string>> EntrypointAndArgs(
    const Config& c) {
  std::vector<std::string> words;
  if (c.entrypoint && !c.entrypoint->empty()) {
    words = *c.entrypoint;
    if (c.cmd) words.insert(words.end(), c.cmd->begin(), c.cmd->end());
  } else if (c.cmd) {
    words = *c.cmd;
  }
  if (words.empty()) return {"", {}};
  std::string path = words.front();
  words.erase(words.begin());
  return {path, words};
}

std::string NetworkName(absl::string_view network_mode) {
  if (network_mode.empty() || network_mode == "default") return "bridge";
  if (absl::StartsWith(network_mode, "container:")) return "";
  return std::string(network_mode);
}

NetworkSettings NewNetworkSettings(const HostConfig& h, bool explicit_name) {
  NetworkSettings s;
  s.is_anonymous_endpoint = !explicit_name;
  std::string net = NetworkName(h.network_mode);
  if (!net.empty()) s.networks[net] = EndpointSettings{};
  return s;
}

std::string DefaultHostname(const Config& c, const HostConfig& h,
                            absl::string_view id) {
  if (!c.hostname.empty()) return c.hostname;
  if (h.network_mode == "host") {
    char buf[HOST_NAME_MAX + 1] = {};
    if (gethostname(buf, sizeof(buf) - 1) == 0) return buf;
  }
  return std::string(id.substr(0, 12));
}

}  // namespace mydocker::container
