#include "lib/container/runtime_state.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/container/go_json.h"
#include "lib/container/layout.h"
#include "nlohmann/json.hpp"

namespace mydocker::container {

absl::StatusOr<ProcStat> ReadProcStat(int64_t pid, const HostProbe& probe) {
  if (pid <= 0) {
    return absl::NotFoundError(absl::StrCat("no process ", pid));
  }
  std::string path = absl::StrCat(probe.proc_dir, "/", pid, "/stat");
  absl::StatusOr<std::string> text = base::ReadFile(path, 8192);
  if (absl::IsNotFound(text.status())) {
    return absl::NotFoundError(absl::StrCat("no process ", pid));
  }
  RETURN_IF_ERROR(text.status());
  // "pid (comm) S ppid ...": comm may hold spaces and parentheses.
  size_t close = text->rfind(')');
  if (close == std::string::npos) {
    return absl::DataLossError(absl::StrCat(path, ": no command field"));
  }
  std::vector<absl::string_view> f = absl::StrSplit(
      absl::string_view(*text).substr(close + 1), ' ', absl::SkipEmpty());
  ProcStat out;
  // f[0] is field 3 (state), so field 22 (starttime) is f[19].
  if (f.size() < 20 || f[0].size() != 1 ||
      !absl::SimpleAtoi(f[19], &out.start_time)) {
    return absl::DataLossError(absl::StrCat(path, ": cannot parse"));
  }
  out.state = f[0][0];
  return out;
}

absl::StatusOr<std::string> ReadBootId(const HostProbe& probe) {
  ASSIGN_OR_RETURN(std::string id, base::ReadFile(probe.boot_id_path, 256));
  return std::string(absl::StripAsciiWhitespace(id));
}

absl::StatusOr<RuntimeState> ProbeRuntimeState(int64_t monitor_pid, int64_t pid,
                                               const HostProbe& probe) {
  RuntimeState s;
  s.monitor_pid = monitor_pid;
  s.pid = pid;
  ASSIGN_OR_RETURN(ProcStat m, ReadProcStat(monitor_pid, probe));
  s.monitor_start_time = m.start_time;
  ASSIGN_OR_RETURN(ProcStat p, ReadProcStat(pid, probe));
  s.pid_start_time = p.start_time;
  ASSIGN_OR_RETURN(s.boot_id, ReadBootId(probe));
  return s;
}

absl::Status WriteRuntimeState(const std::string& root, const std::string& id,
                               const RuntimeState& s) {
  nlohmann::ordered_json j = {{"MonitorPid", s.monitor_pid},
                              {"MonitorStartTime", s.monitor_start_time},
                              {"Pid", s.pid},
                              {"PidStartTime", s.pid_start_time},
                              {"BootId", s.boot_id}};
  RETURN_IF_ERROR(base::MakeDirs(OwnContainerDir(root, id), 0700));
  // Only meaningful until the next reboot (its boot id says which).
  return base::WriteFileAtomic(StateJsonPath(root, id), GoJsonLine(j), 0600,
                               base::Durability::kAtomicOnly);
}

absl::StatusOr<RuntimeState> ReadRuntimeState(const std::string& root,
                                              const std::string& id) {
  const std::string path = StateJsonPath(root, id);
  ASSIGN_OR_RETURN(std::string text, base::ReadFile(path, 64 << 10));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  auto bad = [&] {
    return absl::DataLossError(absl::StrCat(path, ": damaged"));
  };
  if (!j.is_object()) return bad();
  RuntimeState s;
  auto num = [&](const char* key, auto* out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) return false;
    *out = it->get<std::remove_pointer_t<decltype(out)>>();
    return true;
  };
  auto boot = j.find("BootId");
  if (!num("MonitorPid", &s.monitor_pid) ||
      !num("MonitorStartTime", &s.monitor_start_time) || !num("Pid", &s.pid) ||
      !num("PidStartTime", &s.pid_start_time) || boot == j.end() ||
      !boot->is_string()) {
    return bad();
  }
  s.boot_id = boot->get<std::string>();
  return s;
}

absl::Status RemoveRuntimeState(const std::string& root,
                                const std::string& id) {
  return base::RemoveAll(OwnContainerDir(root, id));
}

namespace {

bool Running(int64_t pid, uint64_t start_time, const HostProbe& probe) {
  absl::StatusOr<ProcStat> st = ReadProcStat(pid, probe);
  return st.ok() && st->state != 'Z' && st->state != 'X' &&
         st->start_time == start_time;
}

}  // namespace

Liveness Judge(const absl::StatusOr<RuntimeState>& state,
               const HostProbe& probe) {
  if (!state.ok()) return Liveness::kNoRecord;
  absl::StatusOr<std::string> boot = ReadBootId(probe);
  if (!boot.ok() || *boot != state->boot_id) return Liveness::kRebooted;
  if (Running(state->monitor_pid, state->monitor_start_time, probe)) {
    return Liveness::kAlive;
  }
  if (Running(state->pid, state->pid_start_time, probe)) {
    return Liveness::kOrphaned;
  }
  return Liveness::kGone;
}

}  // namespace mydocker::container
