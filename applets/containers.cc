// `mydocker ps` and `mydocker rm`: the container store as a user sees it,
// over lib/container. (Containers are created by `run`/`create`; until they
// land, these list and remove what is in the store, dockerd's included.)
#include <stdio.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "applets/applet.h"
#include "applets/list_format.h"
#include "applets/table.h"
#include "lib/container/go_json.h"
#include "lib/container/store.h"
#include "lib/container/summary.h"
#include "lib/engine/lifecycle.h"
#include "lib/engine/volumes.h"
#include "lib/image/format.h"
#include "nlohmann/json.hpp"

namespace mydocker::applets {

int PsMain(Invocation& inv) {
  bool all = false, quiet = false, no_trunc = false;
  int64_t last = -1;
  std::string format;
  inv.flags().Bool("a,all", &all, "Show all containers (default shows just running)");
  inv.flags().Bool("q,quiet", &quiet, "Only display container IDs");
  inv.flags().Bool("no-trunc", &no_trunc, "Don't truncate output");
  inv.flags().Int("n,last", &last, "Show n last created containers (includes all states)");
  inv.flags().String("format", &format, kListFormatHelp);
  std::optional<std::vector<std::string>> args = inv.Parse(0, 0);
  if (!args) return inv.exit_code();
  absl::StatusOr<ListFormat> list_format = ListFormat::Parse(format);
  if (!list_format.ok()) return inv.Fail(list_format.status(), kExitUsage);
  container::Store store(inv.root(), engine::RuntimeStoreOptions());
  absl::Time now = absl::Now();
  absl::StatusOr<std::vector<container::Summary>> rows = store.ListSummaries(now);
  if (!rows.ok()) return inv.Fail(rows.status());
  // Newest first; -n keeps the n newest of every state, as docker does.
  std::vector<container::Summary> shown;
  for (const container::Summary& s : *rows) {
    bool running = s.state == "running" || s.state == "restarting" || s.state == "paused";
    if (all || last >= 0 || running) shown.push_back(s);
  }
  if (last >= 0 && shown.size() > static_cast<size_t>(last)) shown.resize(last);

  auto id_text = [&](const std::string& id) {
    return no_trunc ? id : image::TruncateId(id);
  };
  if (quiet) {
    if (!format.empty()) {
      fprintf(stderr, "WARNING: Ignoring custom format, because both --format and --quiet are set.\n");
    }
    for (const container::Summary& s : shown) printf("%s\n", id_text(s.id).c_str());
    return 0;
  }
  if (!list_format->is_default()) {
    std::vector<nlohmann::ordered_json> out;
    for (const container::Summary& s : shown) {
      out.push_back({
          {"Command", container::FormatCommand(s.command, !no_trunc)},
          {"CreatedAt", absl::FormatTime("%Y-%m-%d %H:%M:%S %z %Z", s.created,
                                         absl::LocalTimeZone())},
          {"ID", id_text(s.id)},
          {"Image", container::FormatImage(s, !no_trunc)},
          {"Labels", [&] {
             std::string out;
             for (const auto& [k, v] : s.labels) {
               absl::StrAppend(&out, out.empty() ? "" : ",", k, "=", v);
             }
             return out;
           }()},
          {"LocalVolumes", "0"},
          {"Mounts", ""},
          {"Names", container::FormatNames(s.names, !no_trunc)},
          {"Networks", ""},
          {"Ports", container::FormatPorts(s.ports)},
          {"RunningFor", container::FormatRunningFor(s.created, now)},
          {"Size", ""},
          {"State", s.state},
          {"Status", s.status},
      });
    }
    // docker's column names for these fields.
    static const auto* kHeaders = new nlohmann::ordered_json{
        {"Command", "COMMAND"},  {"CreatedAt", "CREATED AT"},
        {"ID", "CONTAINER ID"},  {"Image", "IMAGE"},
        {"Labels", "LABELS"},    {"LocalVolumes", "LOCAL VOLUMES"},
        {"Mounts", "MOUNTS"},    {"Names", "NAMES"},
        {"Networks", "NETWORKS"}, {"Ports", "PORTS"},
        {"RunningFor", "CREATED"}, {"Size", "SIZE"},
        {"State", "STATE"},      {"Status", "STATUS"},
    };
    absl::StatusOr<std::string> text = list_format->Render(out, *kHeaders);
    if (!text.ok()) return inv.Fail(text.status());
    fputs(text->c_str(), stdout);
    return 0;
  }
  Table table({"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"});
  for (const container::Summary& s : shown) {
    table.Add({id_text(s.id), container::FormatImage(s, !no_trunc),
               container::FormatCommand(s.command, !no_trunc),
               container::FormatRunningFor(s.created, now), s.status,
               container::FormatPorts(s.ports),
               container::FormatNames(s.names, !no_trunc)});
  }
  fputs(table.Render().c_str(), stdout);
  return 0;
}

int RmMain(Invocation& inv) {
  bool force = false, volumes = false;
  inv.flags().Bool("f,force", &force, "Force the removal of a running container (uses SIGKILL)");
  inv.flags().Bool("v,volumes", &volumes, "Remove anonymous volumes associated with the container");
  std::optional<std::vector<std::string>> args = inv.Parse(1);
  if (!args) return inv.exit_code();
  container::Store store(inv.root(), engine::RuntimeStoreOptions());
  int rc = 0;
  for (const std::string& name : *args) {
    std::vector<std::string> anonymous;
    if (volumes) {
      absl::StatusOr<container::Container> c = store.Load(name);
      if (c.ok()) anonymous = engine::AnonymousVolumes(*c);
    }
    absl::Status s = engine::RemoveContainer(store, name, force);
    if (!s.ok()) {
      rc = inv.Fail(s);
      continue;
    }
    for (const std::string& v : anonymous) {
      absl::Status vs = engine::RemoveVolume(inv.root(), v);
      if (!vs.ok()) rc = inv.Fail(vs);
    }
    printf("%s\n", name.c_str());
  }
  return rc;
}

}  // namespace mydocker::applets
