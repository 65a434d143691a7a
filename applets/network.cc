// `network create|ls|list|rm|inspect|connect|disconnect|prune`: Docker's
// network commands over lib/network (the records and kernel state) and
// lib/engine/networking (a running container's endpoints).
#include <stdio.h>
#include <unistd.h>

#include <array>
#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "applets/applet.h"
#include "applets/list_format.h"
#include "lib/cli/go_template.h"
#include "applets/table.h"
#include "lib/container/store.h"
#include "lib/engine/lifecycle.h"
#include "lib/engine/networking.h"
#include "lib/network/kernel.h"
#include "lib/network/store.h"
#include "nlohmann/json.hpp"

namespace mydocker::applets {
namespace {

using network::Network;
using network::NetworkStore;

std::function<bool(const std::string&)> StaleFn(const std::string& root) {
  return [root](const std::string& id) { return engine::IsStaleOwner(root, id); };
}

// "k=v" options and labels.
absl::Status AddPairs(const std::vector<std::string>& in,
                      std::map<std::string, std::string>& out,
                      absl::string_view flag) {
  for (const std::string& kv : in) {
    size_t eq = kv.find('=');
    if (eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid ", flag, " \"", kv, "\": empty key"));
    }
    if (eq == std::string::npos) {
      out[kv] = "";
    } else {
      out[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  return absl::OkStatus();
}

int CreateCmd(Invocation& inv) {
  network::CreateRequest r;
  std::vector<std::string> opts, labels;
  inv.flags().String("d,driver", &r.driver, "Driver to manage the Network (bridge)");
  inv.flags().String("subnet", &r.subnet, "Subnet in CIDR format that represents a network segment");
  inv.flags().String("gateway", &r.gateway, "IPv4 Gateway for the master subnet");
  inv.flags().String("ip-range", &r.ip_range, "Allocate container ip from a sub-range");
  inv.flags().Bool("internal", &r.internal, "Restrict external access to the network");
  inv.flags().Bool("attachable", &r.attachable, "Enable manual container attachment");
  inv.flags().StringList("o,opt", &opts, "Set driver specific options (com.docker.network.bridge.name=NAME)", "map");
  inv.flags().StringList("label", &labels, "Set metadata on a network", "list");
  std::optional<std::vector<std::string>> args = inv.Parse(1, 1);
  if (!args) return inv.exit_code();
  r.name = (*args)[0];
  if (absl::Status s = AddPairs(opts, r.options, "--opt"); !s.ok()) {
    return inv.Fail(s, kExitUsage);
  }
  if (absl::Status s = AddPairs(labels, r.labels, "--label"); !s.ok()) {
    return inv.Fail(s, kExitUsage);
  }
  NetworkStore store(inv.root(), network::RealHost());
  absl::StatusOr<Network> n = store.Create(r);
  if (!n.ok()) return inv.Fail(n.status());
  printf("%s\n", n->id.c_str());
  return 0;
}

int ListCmd(Invocation& inv) {
  bool quiet = false, no_trunc = false;
  std::string format;
  inv.flags().Bool("q,quiet", &quiet, "Only display network IDs");
  inv.flags().Bool("no-trunc", &no_trunc, "Do not truncate the output");
  inv.flags().String("format", &format, kListFormatHelp);
  std::optional<std::vector<std::string>> args = inv.Parse(0, 0);
  if (!args) return inv.exit_code();
  absl::StatusOr<ListFormat> list_format = ListFormat::Parse(format);
  if (!list_format.ok()) return inv.Fail(list_format.status(), kExitUsage);
  NetworkStore store(inv.root(), network::RealHost());
  absl::StatusOr<std::vector<Network>> nets = store.List();
  if (!nets.ok()) return inv.Fail(nets.status());
  auto id = [&](const Network& n) { return no_trunc ? n.id : n.id.substr(0, 12); };
  if (quiet && list_format->is_default()) {
    for (const Network& n : *nets) printf("%s\n", id(n).c_str());
    return 0;
  }
  if (!list_format->is_default()) {
    std::vector<nlohmann::ordered_json> out;
    for (const Network& n : *nets) {
      std::string labels;
      for (const auto& [k, v] : n.labels) {
        absl::StrAppend(&labels, labels.empty() ? "" : ",", k, "=", v);
      }
      out.push_back({
          {"CreatedAt", absl::FormatTime("%Y-%m-%d %H:%M:%E*S %z %Z", n.created,
                                         absl::LocalTimeZone())},
          {"Driver", n.driver},
          {"ID", id(n)},
          {"IPv6", n.enable_ipv6 ? "true" : "false"},
          {"Internal", n.internal ? "true" : "false"},
          {"Labels", labels},
          {"Name", n.name},
          {"Scope", n.scope},
      });
    }
    // docker's column names for these fields.
    static const auto* kHeaders = new nlohmann::ordered_json{
        {"CreatedAt", "CREATED AT"}, {"Driver", "DRIVER"}, {"ID", "NETWORK ID"},
        {"IPv6", "IPV6"},            {"Internal", "INTERNAL"}, {"Labels", "LABELS"},
        {"Name", "NAME"},            {"Scope", "SCOPE"},
    };
    absl::StatusOr<std::string> text = list_format->Render(out, *kHeaders);
    if (!text.ok()) return inv.Fail(text.status());
    fputs(text->c_str(), stdout);
    return 0;
  }
  Table t({"NETWORK ID", "NAME", "DRIVER", "SCOPE"});
  for (const Network& n : *nets) t.Add({id(n), n.name, n.driver, n.scope});
  fputs(t.Render().c_str(), stdout);
  return 0;
}

int RemoveCmd(Invocation& inv) {
  std::optional<std::vector<std::string>> args = inv.Parse(1);
  if (!args) return inv.exit_code();
  NetworkStore store(inv.root(), network::RealHost());
  int rc = 0;
  for (const std::string& ref : *args) {
    absl::Status s = store.Remove(ref, StaleFn(inv.root()));
    if (!s.ok()) {
      rc = inv.Fail(s);
      continue;
    }
    printf("%s\n", ref.c_str());
  }
  return rc;
}

// The live endpoints of `n` (those of stopped or vanished containers are
// left out, as they hold nothing).
std::map<std::string, network::EndpointView> LiveEndpoints(
    NetworkStore& store, const Network& n, const std::string& root) {
  std::map<std::string, network::EndpointView> out;
  absl::StatusOr<std::map<std::string, network::EndpointView>> eps = store.Endpoints(n);
  if (!eps.ok()) return out;
  for (const auto& [id, e] : *eps) {
    if (!engine::IsStaleOwner(root, id)) out[id] = e;
  }
  return out;
}

int InspectCmd(Invocation& inv) {
  std::string format;
  inv.flags().String("f,format", &format, "Format the output using the given Go template");
  std::optional<std::vector<std::string>> args = inv.Parse(1);
  if (!args) return inv.exit_code();
  std::optional<cli::GoTemplate> tmpl;
  if (!format.empty()) {
    absl::StatusOr<cli::GoTemplate> t = cli::GoTemplate::Parse(format);
    if (!t.ok()) return inv.Fail(t.status(), kExitUsage);
    tmpl = std::move(*t);
  }
  NetworkStore store(inv.root(), network::RealHost());
  nlohmann::json out = nlohmann::json::array();
  int rc = 0;
  for (const std::string& ref : *args) {
    absl::StatusOr<Network> n = store.Get(ref);
    if (!n.ok()) {
      rc = inv.Fail(absl::IsNotFound(n.status())
                        ? absl::NotFoundError(absl::StrCat("No such network: ", ref))
                        : n.status());
      continue;
    }
    out.push_back(network::InspectJson(*n, LiveEndpoints(store, *n, inv.root())));
  }
  if (tmpl) {
    for (const nlohmann::json& j : out) {
      absl::StatusOr<std::string> text =
          tmpl->Execute(nlohmann::ordered_json::parse(j.dump()));
      if (!text.ok()) {
        rc = inv.Fail(text.status());
        continue;
      }
      printf("%s\n", text->c_str());
    }
  } else {
    printf("%s\n", out.dump(4).c_str());  // "[]" when none was found, as docker
  }
  return rc;
}

// Runs `f` on container `ref` under its lock, then saves its record.
int WithContainer(Invocation& inv, const std::string& ref,
                  const std::function<absl::Status(container::Container&)>& f) {
  container::Store store(inv.root(), engine::RuntimeStoreOptions());
  absl::StatusOr<container::Container> found = store.Load(ref);
  if (!found.ok()) return inv.Fail(found.status());
  absl::StatusOr<base::FileLock> lock = store.LockContainer(found->id);
  if (!lock.ok()) return inv.Fail(lock.status());
  absl::StatusOr<container::Container> c = store.LoadById(found->id);
  if (!c.ok()) return inv.Fail(c.status());
  absl::StatusOr<bool> refreshed = store.RefreshState(*c);
  if (!refreshed.ok()) return inv.Fail(refreshed.status());
  if (absl::Status s = f(*c); !s.ok()) return inv.Fail(s);
  if (absl::Status s = store.SaveStateLocked(*c); !s.ok()) return inv.Fail(s);
  return 0;
}

// The network args[0] and, under its lock, the container args[1]: what
// connect and disconnect act on.
int OnNetworkAndContainer(
    Invocation& inv, const std::vector<std::string>& args,
    const std::function<absl::Status(container::Container&, const Network&)>& f) {
  NetworkStore store(inv.root(), network::RealHost());
  absl::StatusOr<Network> n = store.Get(args[0]);
  if (!n.ok()) return inv.Fail(n.status());
  return WithContainer(inv, args[1],
                       [&](container::Container& c) { return f(c, *n); });
}

int ConnectCmd(Invocation& inv) {
  std::string ip;
  inv.flags().String("ip", &ip, "IPv4 address (e.g., 172.30.100.104)");
  std::optional<std::vector<std::string>> args = inv.Parse(2, 2);
  if (!args) return inv.exit_code();
  return OnNetworkAndContainer(
      inv, *args, [&](container::Container& c, const Network& n) {
        return engine::ConnectRunning(inv.root(), c, n, ip);
      });
}

int DisconnectCmd(Invocation& inv) {
  bool force = false;
  // Accepted for docker's sake: a disconnect here never needs forcing.
  inv.flags().Bool("f,force", &force, "Accepted for compatibility (a disconnect never needs it)");
  std::optional<std::vector<std::string>> args = inv.Parse(2, 2);
  if (!args) return inv.exit_code();
  return OnNetworkAndContainer(
      inv, *args, [&](container::Container& c, const Network& n) {
        return engine::DisconnectRunning(inv.root(), c, n);
      });
}

int PruneCmd(Invocation& inv) {
  bool force = false;
  inv.flags().Bool("f,force", &force, "Do not prompt for confirmation");
  std::optional<std::vector<std::string>> args = inv.Parse(0, 0);
  if (!args) return inv.exit_code();
  if (!force) {
    fputs("WARNING! This will remove all custom networks not used by at least one container.\n"
          "Are you sure you want to continue? [y/N] ",
          stdout);
    fflush(stdout);
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") return 0;
  }
  NetworkStore store(inv.root(), network::RealHost());
  absl::StatusOr<std::vector<Network>> nets = store.List();
  if (!nets.ok()) return inv.Fail(nets.status());
  std::vector<std::string> deleted;
  for (const Network& n : *nets) {
    if (n.IsPredefined()) continue;
    if (store.Remove(n.id, StaleFn(inv.root())).ok()) deleted.push_back(n.name);
  }
  if (!deleted.empty()) {
    printf("Deleted Networks:\n");
    for (const std::string& name : deleted) printf("%s\n", name.c_str());
  }
  return 0;
}

constexpr std::array kCommands = {
    Applet{"network connect", "[OPTIONS] NETWORK CONTAINER",
           "Connect a container to a network", ConnectCmd},
    Applet{"network create", "[OPTIONS] NETWORK", "Create a network", CreateCmd},
    Applet{"network disconnect", "[OPTIONS] NETWORK CONTAINER",
           "Disconnect a container from a network", DisconnectCmd},
    Applet{"network inspect", "NETWORK [NETWORK...]",
           "Display detailed information on one or more networks", InspectCmd},
    Applet{"network ls", "[OPTIONS]", "List networks", ListCmd},
    Applet{"network prune", "[OPTIONS]", "Remove all unused networks", PruneCmd},
    Applet{"network rm", "NETWORK [NETWORK...]", "Remove one or more networks",
           RemoveCmd},
};

std::string NetworkHelp() {
  std::string out =
      "Usage:  mydocker network COMMAND\n\nManage networks\n\nCommands:\n";
  for (const Applet& a : kCommands) {
    std::string name(a.name.substr(8));
    absl::StrAppend(&out, "  ", name, std::string(13 - name.size(), ' '), a.summary, "\n");
  }
  return out;
}

}  // namespace

int NetworkMain(Invocation& inv) {
  std::vector<std::string> rest = inv.raw_args();
  // The sub-command: the first word that is not an option (global options
  // may come before it: `network --root DIR ls`).
  size_t at = 0;
  while (at < rest.size() && absl::StartsWith(rest[at], "-")) {
    if (rest[at] == "-h" || rest[at] == "--help") {
      fputs(NetworkHelp().c_str(), stdout);
      return 0;
    }
    bool takes_value = rest[at] == "--root" || rest[at] == "--log-level";
    at += takes_value ? 2 : 1;
  }
  if (at >= rest.size()) {
    fputs(NetworkHelp().c_str(), stderr);
    return kExitUsage;
  }
  std::string cmd = rest[at];
  if (cmd == "list") cmd = "ls";
  if (cmd == "remove") cmd = "rm";
  rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(at));
  for (const Applet& a : kCommands) {
    if (a.name.substr(8) != cmd) continue;
    Invocation sub = inv.Sub(a, std::move(rest));
    return a.main(sub);
  }
  return inv.Fail(absl::InvalidArgumentError(absl::StrCat(
                      "unknown command \"", cmd, "\" (see 'mydocker network --help')")),
                  kExitUsage);
}

}  // namespace mydocker::applets
