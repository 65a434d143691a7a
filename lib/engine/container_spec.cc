#include "lib/engine/container_spec.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/spec/mounts.h"

namespace mydocker::engine {

absl::StatusOr<std::pair<spec::ImageConfig, spec::RunOptions>> BuilderInputs(
    const container::Container& c) {
  const container::Config& config = c.config;
  const container::HostConfig& h = c.host_config;
  spec::ImageConfig image;
  image.cmd.push_back(c.path);
  if (c.args) image.cmd.insert(image.cmd.end(), c.args->begin(), c.args->end());
  if (config.env) {
    // An entry without "=" is set in the config but not passed on.
    for (const std::string& e : *config.env) {
      if (absl::StrContains(e, '=')) image.env.push_back(e);
    }
  }
  image.user = config.user;
  image.working_dir = config.working_dir;
  image.stop_signal = config.stop_signal;

  spec::RunOptions run;
  run.lookup_env = [](const std::string&) -> std::optional<std::string> {
    return std::nullopt;  // The record's env is complete.
  };
  run.init = h.init.value_or(false);
  run.tty = config.tty;
  run.hostname = config.hostname;
  run.domainname = config.domainname;
  if (h.group_add) run.group_add = *h.group_add;
  if (h.cap_add) run.cap_add = *h.cap_add;
  if (h.cap_drop) run.cap_drop = *h.cap_drop;
  run.privileged = h.privileged;
  if (h.security_opt) {
    for (const std::string& opt : *h.security_opt) {
      RETURN_IF_ERROR(spec::ApplySecurityOpt(opt, run));
    }
  }
  run.read_only = h.readonly_rootfs;
  run.oom_score_adj = static_cast<int>(h.oom_score_adj);
  if (h.tmpfs) {
    for (const auto& [dest, data] : *h.tmpfs) {
      run.tmpfs.push_back(data.empty() ? dest : absl::StrCat(dest, ":", data));
    }
  }
  if (c.mount_points) {
    for (const auto& [dest, mp] : *c.mount_points) {
      spec::BindMount b;
      b.source = mp.source;
      b.destination = mp.destination;
      b.read_only = !mp.rw;
      if (!mp.propagation.empty()) b.propagation = mp.propagation;
      run.binds.push_back(std::move(b));
    }
  }
  run.shm_size = h.shm_size;
  run.network = h.network_mode.empty() ? "default" : h.network_mode;
  run.memory = h.memory;
  run.memory_reservation = h.memory_reservation;
  run.memory_swap = h.memory_swap;
  run.nano_cpus = h.nano_cpus;
  run.cpu_shares = h.cpu_shares;
  run.cpuset_cpus = h.cpuset_cpus;
  run.cpuset_mems = h.cpuset_mems;
  run.pids_limit = h.pids_limit;
  return std::make_pair(std::move(image), std::move(run));
}

absl::Status VerifyCreate(const container::Config& config,
                          const container::HostConfig& host_config) {
  container::Container c;
  c.config = config;
  c.host_config = host_config;
  ASSIGN_OR_RETURN(auto inputs, BuilderInputs(c));
  ASSIGN_OR_RETURN(spec::HostFeatures host, spec::DetectHostFeatures());
  return spec::CheckRunOptions(inputs.second, host);
}

std::string CgroupPath(const std::string& id) {
  return absl::StrCat("/mydocker/", id);
}

absl::StatusOr<spec::Spec> ContainerSpec(const container::Container& c,
                                         const std::string& rootfs,
                                         const std::string& init_binary,
                                         const spec::HostFeatures& host) {
  ASSIGN_OR_RETURN(auto inputs, BuilderInputs(c));
  spec::Paths paths;
  paths.container_id = c.id;
  paths.rootfs = rootfs;
  paths.hostname_file = c.hostname_path;
  paths.hosts_file = c.hosts_path;
  paths.resolv_conf_file = c.resolv_conf_path;
  paths.init_binary = init_binary;
  paths.cgroups_path = CgroupPath(c.id);
  return spec::Build(inputs.first, inputs.second, paths, host);
}

}  // namespace mydocker::engine
