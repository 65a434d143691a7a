#include "lib/engine/inspect.h"

#include "absl/strings/str_join.h"
#include "lib/base/status_macros.h"
#include "lib/container/summary.h"

namespace mydocker::engine {

using container::Json;

absl::StatusOr<Json> InspectContainer(const container::Store& store,
                                      const container::Container& c) {
  const container::State& s = c.state;
  Json state = {
      {"Status", container::StateString(s)},
      {"Running", s.running},
      {"Paused", s.paused},
      {"Restarting", s.restarting},
      {"OOMKilled", s.oom_killed},
      {"Dead", s.dead},
      {"Pid", s.pid},
      {"ExitCode", s.exit_code},
      {"Error", s.error},
      {"StartedAt", container::FormatGoTime(s.started_at)},
      {"FinishedAt", container::FormatGoTime(s.finished_at)},
  };
  Json graph = {{"Data", nullptr}, {"Name", c.driver}};
  if (absl::StatusOr<container::RootfsPaths> p = store.GetRootfsPaths(c); p.ok()) {
    graph["Data"] = {
        {"LowerDir", absl::StrJoin(p->lower_diff_dirs, ":")},
        {"MergedDir", p->merged_dir},
        {"UpperDir", p->upper_dir},
        {"WorkDir", p->work_dir},
    };
  }
  Json mounts = Json::array();
  if (c.mount_points) {
    for (const auto& [dest, mp] : *c.mount_points) {
      Json m = {{"Type", mp.type}};
      if (!mp.name.empty()) m["Name"] = mp.name;
      m["Source"] = mp.source;
      m["Destination"] = mp.destination;
      if (!mp.driver.empty()) m["Driver"] = mp.driver;
      m["Mode"] = mp.mode;
      m["RW"] = mp.rw;
      m["Propagation"] = mp.propagation;
      mounts.push_back(std::move(m));
    }
  }
  Json net = container::ConfigV2ToJson(c)["NetworkSettings"];
  Json networks = net.contains("Networks") ? net["Networks"] : Json::object();
  Json settings = {
      {"Bridge", c.network_settings.bridge},
      {"SandboxID", c.network_settings.sandbox_id},
      {"HairpinMode", c.network_settings.hairpin_mode},
      {"LinkLocalIPv6Address", c.network_settings.link_local_ipv6_address},
      {"LinkLocalIPv6PrefixLen", c.network_settings.link_local_ipv6_prefix_len},
      {"Ports", net.contains("Ports") && !net["Ports"].is_null() ? net["Ports"]
                                                                  : Json::object()},
      {"SandboxKey", c.network_settings.sandbox_key},
      {"SecondaryIPAddresses", nullptr},
      {"SecondaryIPv6Addresses", nullptr},
      {"EndpointID", ""},
      {"Gateway", ""},
      {"GlobalIPv6Address", ""},
      {"GlobalIPv6PrefixLen", 0},
      {"IPAddress", ""},
      {"IPPrefixLen", 0},
      {"IPv6Gateway", ""},
      {"MacAddress", ""},
      {"Networks", networks},
  };
  // The default bridge's fields are mirrored at the top level.
  if (auto it = c.network_settings.networks.find("bridge");
      it != c.network_settings.networks.end()) {
    settings["EndpointID"] = it->second.endpoint_id;
    settings["Gateway"] = it->second.gateway;
    settings["IPAddress"] = it->second.ip_address;
    settings["IPPrefixLen"] = it->second.ip_prefix_len;
    settings["MacAddress"] = it->second.mac_address;
  }
  Json args = Json::array();
  if (c.args) {
    for (const std::string& a : *c.args) args.push_back(a);
  }
  Json out = {
      {"Id", c.id},
      {"Created", container::FormatGoTime(c.created)},
      {"Path", c.path},
      {"Args", args},
      {"State", state},
      {"Image", c.image},
      {"ResolvConfPath", c.resolv_conf_path},
      {"HostnamePath", c.hostname_path},
      {"HostsPath", c.hosts_path},
      {"LogPath", c.log_path},
      {"Name", c.name},
      {"RestartCount", c.restart_count},
      {"Driver", c.driver},
      {"Platform", c.os},
      {"MountLabel", c.mount_label},
      {"ProcessLabel", c.process_label},
      {"AppArmorProfile", c.app_armor_profile},
      {"ExecIDs", nullptr},
      {"HostConfig", container::HostConfigToJson(c.host_config)},
      {"GraphDriver", graph},
      {"Mounts", mounts},
      {"Config", container::ConfigToJson(c.config)},
      {"NetworkSettings", settings},
  };
  return out;
}

}  // namespace mydocker::engine
