#include "lib/engine/run_flags.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/status_macros.h"
#include "lib/spec/env.h"
#include "lib/spec/signal.h"
#include "lib/spec/units.h"

namespace mydocker::engine {
namespace {

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// "80", "80/udp" -> "80/tcp", "80/udp"; InvalidArgument otherwise.
absl::StatusOr<std::string> PortKey(absl::string_view port) {
  std::string proto = "tcp";
  if (size_t slash = port.find('/'); slash != absl::string_view::npos) {
    proto = absl::AsciiStrToLower(port.substr(slash + 1));
    port = port.substr(0, slash);
    if (proto != "tcp" && proto != "udp" && proto != "sctp") {
      return Invalid(absl::StrCat("invalid proto: ", proto));
    }
  }
  int n = 0;
  if (!absl::SimpleAtoi(port, &n) || n < 1 || n > 65535) {
    if (absl::StrContains(port, '-')) {
      return absl::UnimplementedError(
          absl::StrCat("port ranges are not supported yet: ", port));
    }
    return Invalid(absl::StrCat("invalid containerPort: ", port));
  }
  return absl::StrCat(n, "/", proto);
}

// -p [ip:][hostPort:]containerPort[/proto], as docker/go-connections
// nat.ParsePortSpec reads it (an IPv6 ip in brackets).
absl::Status AddPublish(absl::string_view spec, container::PortMap& ports,
                        std::set<std::string>& exposed) {
  std::string ip, host_port;
  absl::string_view rest = spec;
  if (absl::StartsWith(rest, "[")) {
    size_t close = rest.find("]:");
    if (close == absl::string_view::npos) {
      return Invalid(absl::StrCat("invalid publish opts format: ", spec));
    }
    ip = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 2);
  }
  std::vector<std::string> parts = absl::StrSplit(rest, ':');
  std::string container_port;
  if (parts.size() == 1) {
    container_port = parts[0];
  } else if (parts.size() == 2) {
    host_port = parts[0];
    container_port = parts[1];
  } else if (parts.size() == 3 && ip.empty()) {
    ip = parts[0];
    host_port = parts[1];
    container_port = parts[2];
  } else {
    return Invalid(absl::StrCat("invalid publish opts format (should be "
                                "name=value but got '", spec, "')"));
  }
  if (container_port.empty()) {
    return Invalid(absl::StrCat("no port specified: ", spec, "<empty>"));
  }
  if (!host_port.empty()) {
    int hp = 0;
    if (!absl::SimpleAtoi(host_port, &hp) || hp < 0 || hp > 65535) {
      if (absl::StrContains(host_port, '-')) {
        return absl::UnimplementedError(
            absl::StrCat("port ranges are not supported yet: ", host_port));
      }
      return Invalid(absl::StrCat("invalid hostPort: ", host_port));
    }
  }
  ASSIGN_OR_RETURN(std::string key, PortKey(container_port));
  exposed.insert(key);
  auto& list = ports[key];
  if (!list) list.emplace();
  container::PortBinding b;
  b.host_ip = ip;
  b.host_port = host_port;
  list->push_back(std::move(b));
  return absl::OkStatus();
}

}  // namespace

bool UsesImageFlag(absl::Span<const std::string> args) {
  for (const std::string& a : args) {
    if (a == "--") return false;
    if (a == "-image" || a == "--image" || absl::StartsWith(a, "-image=") ||
        absl::StartsWith(a, "--image=")) {
      return true;
    }
  }
  return false;
}

size_t WordsAfterDoubleDash(absl::Span<const std::string> args) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") return args.size() - i - 1;
  }
  return 0;
}

absl::StatusOr<std::vector<std::string>> ShellSplit(absl::string_view s) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (ch == ' ' || ch == '\t' || ch == '\n') {
      if (in_word) words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (ch == '\\') {
      if (i + 1 < s.size()) cur.push_back(s[++i]);
    } else if (ch == '\'') {
      size_t end = s.find('\'', i + 1);
      if (end == absl::string_view::npos) {
        return Invalid(absl::StrCat("unterminated quote in \"", s, "\""));
      }
      cur.append(s.data() + i + 1, end - i - 1);
      i = end;
    } else if (ch == '"') {
      size_t j = i + 1;
      for (; j < s.size() && s[j] != '"'; ++j) {
        if (s[j] == '\\' && j + 1 < s.size() &&
            absl::StrContains("\"\\$`", s[j + 1])) {
          ++j;
        }
        cur.push_back(s[j]);
      }
      if (j >= s.size()) {
        return Invalid(absl::StrCat("unterminated quote in \"", s, "\""));
      }
      i = j;
    } else {
      cur.push_back(ch);
    }
  }
  if (in_word) words.push_back(std::move(cur));
  return words;
}

void RunFlags::Declare(cli::FlagSet& f, bool run) {
  f.Custom("image", "Image to run (the original mydocker syntax: every "
           "positional word is then the command)", "string",
           [this](absl::string_view v) {
             image_flag_ = std::string(v);
             image_flag_syntax_ = true;
             return absl::OkStatus();
           });
  if (run) {
    f.Bool("d,detach", &detach_, "Run container in background and print container ID");
    f.Bool("sig-proxy", &sig_proxy_, "Proxy received signals to the process (default true)");
  }
  f.Bool("i,interactive", &interactive_, "Keep STDIN open even if not attached");
  f.Bool("t,tty", &tty_, "Allocate a pseudo-TTY");
  f.Bool("rm", &rm_, "Automatically remove the container when it exits");
  f.String("name", &name_, "Assign a name to the container");
  f.StringList("e,env", &env_, "Set environment variables");
  f.StringList("env-file", &env_files_, "Read in a file of environment variables");
  f.StringList("l,label", &labels_, "Set meta data on a container");
  f.String("u,user", &user_, "Username or UID (format: <name|uid>[:<group|gid>])");
  f.String("w,workdir", &workdir_, "Working directory inside the container");
  f.String("h,hostname", &hostname_, "Container host name");
  f.String("domainname", &domainname_, "Container NIS domain name");
  f.Custom("entrypoint", "Overwrite the default ENTRYPOINT of the image", "string",
           [this](absl::string_view v) {
             entrypoint_ = std::string(v);
             return absl::OkStatus();
           });
  f.Bool("init", &init_, "Run an init inside the container that forwards signals and reaps processes");
  f.Bool("privileged", &privileged_, "Give extended privileges to this container");
  f.StringList("cap-add", &cap_add_, "Add Linux capabilities");
  f.StringList("cap-drop", &cap_drop_, "Drop Linux capabilities");
  f.StringList("security-opt", &security_opt_, "Security Options");
  f.Bool("read-only", &read_only_, "Mount the container's root filesystem as read only");
  f.StringList("v,volume", &volumes_, "Bind mount a volume");
  f.StringList("tmpfs", &tmpfs_, "Mount a tmpfs directory");
  f.String("network,net", &network_, "Connect a container to a network (bridge, host, none or a network's name; default: bridge)");
  f.String("ip", &ip_, "IPv4 address (e.g., 172.30.100.104) on a user-defined network");
  f.StringList("p,publish", &publish_, "Publish a container's port(s) to the host");
  f.Bool("P,publish-all", &publish_all_, "Publish all exposed ports to random ports");
  f.StringList("expose", &expose_, "Expose a port");
  f.StringList("dns", &dns_, "Set custom DNS servers");
  f.StringList("dns-search", &dns_search_, "Set custom DNS search domains");
  f.StringList("dns-option,dns-opt", &dns_option_, "Set DNS options");
  f.StringList("add-host", &add_host_, "Add a custom host-to-IP mapping (host:ip)");
  f.StringList("group-add", &group_add_, "Add additional groups to join");
  f.String("m,memory", &memory_, "Memory limit");
  f.String("memory-swap", &memory_swap_, "Swap limit equal to memory plus swap: '-1' to enable unlimited swap");
  f.String("memory-reservation", &memory_reservation_, "Memory soft limit");
  f.String("cpus", &cpus_, "Number of CPUs");
  f.Int("c,cpu-shares", &cpu_shares_, "CPU shares (relative weight)");
  f.String("cpuset-cpus", &cpuset_cpus_, "CPUs in which to allow execution (0-3, 0,1)");
  f.String("cpuset-mems", &cpuset_mems_, "MEMs in which to allow execution (0-3, 0,1)");
  f.Custom("pids-limit", "Tune container pids limit (set -1 for unlimited)", "int",
           [this](absl::string_view v) {
             if (!absl::SimpleAtoi(v, &pids_limit_)) {
               return Invalid(absl::StrCat("invalid argument \"", v, "\""));
             }
             pids_limit_set_ = true;
             return absl::OkStatus();
           });
  f.Int("oom-score-adj", &oom_score_adj_, "Tune host's OOM preferences (-1000 to 1000)");
  f.String("shm-size", &shm_size_, "Size of /dev/shm");
  f.String("stop-signal", &stop_signal_, "Signal to stop a container");
  f.Custom("stop-timeout", "Timeout (in seconds) to stop a container", "int",
           [this](absl::string_view v) {
             int64_t t = 0;
             if (!absl::SimpleAtoi(v, &t)) {
               return Invalid(absl::StrCat("invalid argument \"", v, "\""));
             }
             stop_timeout_ = t;
             return absl::OkStatus();
           });
  f.String("restart", &restart_, "Restart policy (only \"no\": there is no daemon to restart containers)");
  f.String("log-driver", &log_driver_, "Logging driver for the container (json-file)");
  f.StringList("log-opt", &log_opt_, "Log driver options");
  f.String("cidfile", &cid_file_, "Write the container ID to the file");
}

absl::StatusOr<RunRequest> RunFlags::Finish(
    const std::vector<std::string>& positional,
    const spec::EnvLookup& lookup, size_t verbatim) const {
  RunRequest req;
  std::vector<std::string> command;
  if (image_flag_syntax_) {
    if (image_flag_.empty()) return Invalid("-image: the image name is empty");
    req.image = image_flag_;
    size_t split_until = positional.size() - std::min(verbatim, positional.size());
    for (size_t i = 0; i < positional.size(); ++i) {
      if (i >= split_until) {
        command.push_back(positional[i]);
        continue;
      }
      ASSIGN_OR_RETURN(std::vector<std::string> words, ShellSplit(positional[i]));
      command.insert(command.end(), words.begin(), words.end());
    }
  } else {
    if (positional.empty()) {
      return Invalid("requires at least 1 argument (IMAGE [COMMAND] [ARG...])");
    }
    req.image = positional[0];
    command.assign(positional.begin() + 1, positional.end());
  }
  if (rm_ && restart_ != "no" && !restart_.empty()) {
    return Invalid("Conflicting options: --restart and --rm");
  }
  if (restart_ != "no" && !restart_.empty()) {
    return absl::UnimplementedError(absl::StrCat(
        "--restart ", restart_,
        ": only \"no\" is supported (mydocker has no daemon to restart containers)"));
  }
  if (log_driver_ != "json-file") {
    return absl::UnimplementedError(absl::StrCat(
        "--log-driver ", log_driver_, ": only json-file is supported"));
  }
  if (!log_opt_.empty()) {
    return absl::UnimplementedError("--log-opt: log rotation is not supported yet");
  }
  req.name = name_;
  req.detach = detach_;
  req.interactive = interactive_;
  req.sig_proxy = sig_proxy_;
  req.cid_file = cid_file_;
  req.ip = ip_;
  req.volumes = volumes_;

  container::Config& c = req.config;
  c.image = req.image;
  c.hostname = hostname_;
  c.domainname = domainname_;
  c.user = user_;
  c.working_dir = workdir_;
  c.tty = tty_;
  c.open_stdin = interactive_;
  // What the docker CLI sends: attached to stdout/err unless detached,
  // to stdin (once) with -i.
  c.attach_stdin = interactive_ && !detach_;
  c.attach_stdout = !detach_;
  c.attach_stderr = !detach_;
  c.stdin_once = interactive_ && !detach_;
  if (!command.empty()) c.cmd = command;
  if (entrypoint_) c.entrypoint = std::vector<std::string>{*entrypoint_};
  std::vector<std::string> env;
  for (const std::string& file : env_files_) {
    ASSIGN_OR_RETURN(std::vector<std::string> entries,
                     spec::ReadEnvFile(file, lookup));
    env.insert(env.end(), entries.begin(), entries.end());
  }
  for (const std::string& e : env_) {
    ASSIGN_OR_RETURN(std::string entry, spec::ExpandEnvFlag(e, lookup));
    env.push_back(std::move(entry));
  }
  c.env = env;
  std::map<std::string, std::string> labels;
  for (const std::string& l : labels_) {
    size_t eq = l.find('=');
    labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  c.labels = labels;
  if (!stop_signal_.empty()) {
    RETURN_IF_ERROR(spec::ParseSignal(stop_signal_).status());
    c.stop_signal = stop_signal_;
  }
  c.stop_timeout = stop_timeout_;

  container::HostConfig& h = req.host_config;
  h.network_mode = network_.empty() ? "default" : network_;
  if (h.network_mode == "host" && !hostname_.empty()) {
    return Invalid("Conflicting options: hostname and the network mode");
  }
  h.auto_remove = rm_;
  h.privileged = privileged_;
  h.readonly_rootfs = read_only_;
  h.publish_all_ports = publish_all_;
  if (init_) h.init = true;
  if (!cap_add_.empty()) h.cap_add = cap_add_;
  if (!cap_drop_.empty()) h.cap_drop = cap_drop_;
  if (!security_opt_.empty()) h.security_opt = security_opt_;
  if (!group_add_.empty()) h.group_add = group_add_;
  if (!add_host_.empty()) h.extra_hosts = add_host_;
  h.dns = dns_;
  h.dns_search = dns_search_;
  h.dns_options = dns_option_;
  h.restart_policy.name = "no";
  h.log_config.type = log_driver_;
  h.log_config.config = std::map<std::string, std::string>{};
  h.oom_score_adj = oom_score_adj_;
  if (oom_score_adj_ < -1000 || oom_score_adj_ > 1000) {
    return Invalid(absl::StrCat("Invalid value ", oom_score_adj_,
                                ", range for oom score adj is [-1000, 1000]"));
  }
  if (!volumes_.empty()) h.binds = volumes_;
  if (!tmpfs_.empty()) {
    std::map<std::string, std::string> t;
    for (const std::string& v : tmpfs_) {
      size_t colon = v.find(':');
      t[v.substr(0, colon)] = colon == std::string::npos ? "" : v.substr(colon + 1);
    }
    h.tmpfs = t;
  }
  container::PortMap ports;
  for (const std::string& p : publish_) {
    RETURN_IF_ERROR(AddPublish(p, ports, c.exposed_ports));
  }
  for (const std::string& e : expose_) {
    ASSIGN_OR_RETURN(std::string key, PortKey(e));
    c.exposed_ports.insert(key);
  }
  h.port_bindings = ports;
  if (!memory_.empty()) {
    ASSIGN_OR_RETURN(h.memory, spec::ParseBytes(memory_));
  }
  if (!memory_swap_.empty()) {
    ASSIGN_OR_RETURN(h.memory_swap, spec::ParseMemorySwap(memory_swap_));
  }
  if (!memory_reservation_.empty()) {
    ASSIGN_OR_RETURN(h.memory_reservation, spec::ParseBytes(memory_reservation_));
  }
  if (!cpus_.empty()) {
    ASSIGN_OR_RETURN(h.nano_cpus, spec::ParseCpus(cpus_));
  }
  h.cpu_shares = cpu_shares_;
  h.cpuset_cpus = cpuset_cpus_;
  h.cpuset_mems = cpuset_mems_;
  if (pids_limit_set_) h.pids_limit = pids_limit_;
  if (!shm_size_.empty()) {
    ASSIGN_OR_RETURN(h.shm_size, spec::ParseBytes(shm_size_));
  }
  return req;
}

}  // namespace mydocker::engine
