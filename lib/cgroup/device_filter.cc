#include "lib/cgroup/device_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/cgroup/resources.h"

namespace mydocker::cgroup {
namespace {

// Registers. R1 holds the context on entry, R0 the verdict on exit.
constexpr uint8_t kR0 = 0;
constexpr uint8_t kCtx = 1;
constexpr uint8_t kAccess = 2;  // BPF_DEVCG_ACC_* bits requested.
constexpr uint8_t kType = 3;    // BPF_DEVCG_DEV_BLOCK or _CHAR.
constexpr uint8_t kMajor = 4;
constexpr uint8_t kMinor = 5;

bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off,
              int32_t imm) {
  bpf_insn i;
  std::memset(&i, 0, sizeof(i));
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

// A tiny assembler: instructions plus forward jumps to labels, patched at
// the end (a BPF jump offset counts from the instruction after the jump).
class Assembler {
 public:
  int NewLabel() {
    labels_.push_back(-1);
    return static_cast<int>(labels_.size()) - 1;
  }
  void Bind(int label) { labels_[label] = static_cast<int64_t>(code_.size()); }
  void Emit(const bpf_insn& insn) { code_.push_back(insn); }
  // `op` is BPF_JA, or a conditional jump comparing `reg` with `imm`.
  void Jump(uint8_t op, uint8_t reg, int32_t imm, int label) {
    fixups_.emplace_back(code_.size(), label);
    Emit(Insn(BPF_JMP | op | BPF_K, reg, 0, 0, imm));
  }
  std::vector<bpf_insn> Finish() && {
    for (const auto& [at, label] : fixups_) {
      code_[at].off =
          static_cast<int16_t>(labels_[label] - static_cast<int64_t>(at) - 1);
    }
    return std::move(code_);
  }

 private:
  std::vector<bpf_insn> code_;
  std::vector<int64_t> labels_;
  std::vector<std::pair<size_t, int>> fixups_;
};

void EmitReturn(Assembler& a, int32_t verdict) {
  a.Emit(Insn(BPF_ALU64 | BPF_MOV | BPF_K, kR0, 0, 0, verdict));
  a.Emit(Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

struct AccessBit {
  int32_t bit;
  char letter;
};
constexpr AccessBit kAccessBits[] = {
    {BPF_DEVCG_ACC_MKNOD, 'm'},
    {BPF_DEVCG_ACC_READ, 'r'},
    {BPF_DEVCG_ACC_WRITE, 'w'},
};

long Bpf(int cmd, bpf_attr* attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

uint64_t Ptr(const void* p) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
}

absl::StatusOr<base::UniqueFd> OpenDir(const std::string& dir) {
  return base::OpenFile(dir, O_RDONLY | O_DIRECTORY);
}

absl::StatusOr<uint32_t> ProgramId(int prog_fd) {
  bpf_prog_info info;
  std::memset(&info, 0, sizeof(info));
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.info.bpf_fd = static_cast<uint32_t>(prog_fd);
  attr.info.info_len = sizeof(info);
  attr.info.info = Ptr(&info);
  if (Bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0) {
    return base::ErrnoStatus(errno, "bpf: get the id of a device program");
  }
  return info.id;
}

absl::StatusOr<std::vector<uint32_t>> QueryAttached(int dir_fd,
                                                    const std::string& dir) {
  // The kernel caps a cgroup's programs per attach type at 64; grow anyway
  // if it says the buffer was short.
  std::vector<uint32_t> ids(64);
  for (;;) {
    bpf_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = static_cast<uint32_t>(dir_fd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = Ptr(ids.data());
    attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
    if (Bpf(BPF_PROG_QUERY, &attr) < 0) {
      if (errno == ENOSPC && ids.size() < 65536) {
        ids.resize(ids.size() * 4);
        continue;
      }
      return base::ErrnoStatus(errno, "bpf: query the device programs of ",
                               dir);
    }
    ids.resize(attr.query.prog_cnt);
    return ids;
  }
}

absl::Status Detach(int dir_fd, const std::string& dir, uint32_t id) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.prog_id = id;
  long fd = Bpf(BPF_PROG_GET_FD_BY_ID, &attr);
  if (fd < 0) {
    if (errno == ENOENT) return absl::OkStatus();  // Already gone.
    return base::ErrnoStatus(errno, "bpf: open device program ", id, " of ",
                             dir);
  }
  base::UniqueFd prog(static_cast<int>(fd));
  std::memset(&attr, 0, sizeof(attr));
  attr.target_fd = static_cast<uint32_t>(dir_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (Bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT) {
    return base::ErrnoStatus(errno, "bpf: detach device program ", id, " from ",
                             dir);
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<bpf_insn> DeviceFilterProgram(
    const std::vector<spec::DeviceCgroupRule>& rules) {
  Assembler a;
  for (const AccessBit& access : kAccessBits) {
    const int next_bit = a.NewLabel();
    // access_type is (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*. 32-bit loads
    // and ALU ops zero the upper halves, so the 64-bit compares are exact.
    a.Emit(Insn(BPF_LDX | BPF_MEM | BPF_W, kAccess, kCtx, 0, 0));
    a.Emit(Insn(BPF_ALU | BPF_RSH | BPF_K, kAccess, 0, 0, 16));
    a.Emit(Insn(BPF_ALU | BPF_AND | BPF_K, kAccess, 0, 0, access.bit));
    a.Jump(BPF_JEQ, kAccess, 0, next_bit);  // This access not requested.
    auto decide = [&](bool allow) {
      if (allow) {
        a.Jump(BPF_JA, 0, 0, next_bit);
      } else {
        EmitReturn(a, 0);
      }
    };
    // The last matching rule wins: test them from the end, first hit decides.
    for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
      const spec::DeviceCgroupRule& rule = *it;
      if (rule.type == "a") {
        // Matches everything: the rules before it cannot be reached.
        decide(rule.allow);
        break;
      }
      if (!absl::StrContains(DeviceAccess(rule), access.letter)) continue;
      // Each rule loads the fields it compares, so no register is live
      // where the paths through the rules meet: the verifier's states merge
      // there, and its work grows with the rules, not with the ways of
      // (mis)matching them (which exceeds its limit at a few hundred rules).
      const int next_rule = a.NewLabel();
      a.Emit(Insn(BPF_LDX | BPF_MEM | BPF_W, kType, kCtx, 0, 0));
      a.Emit(Insn(BPF_ALU | BPF_AND | BPF_K, kType, 0, 0, 0xffff));
      a.Jump(BPF_JNE, kType,
             rule.type == "b" ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
             next_rule);
      if (rule.major.has_value()) {
        a.Emit(Insn(BPF_LDX | BPF_MEM | BPF_W, kMajor, kCtx, 4, 0));
        a.Jump(BPF_JNE, kMajor, static_cast<int32_t>(*rule.major), next_rule);
      }
      if (rule.minor.has_value()) {
        a.Emit(Insn(BPF_LDX | BPF_MEM | BPF_W, kMinor, kCtx, 8, 0));
        a.Jump(BPF_JNE, kMinor, static_cast<int32_t>(*rule.minor), next_rule);
      }
      decide(rule.allow);
      a.Bind(next_rule);
    }
    // No rule matched: allowed, by falling through to the next access.
    a.Bind(next_bit);
  }
  EmitReturn(a, 1);
  return std::move(a).Finish();
}

absl::StatusOr<base::UniqueFd> LoadDeviceFilter(
    const std::vector<spec::DeviceCgroupRule>& rules) {
  const std::vector<bpf_insn> insns = DeviceFilterProgram(rules);
  static constexpr char kLicense[] = "Apache-2.0";
  static constexpr char kName[] = "mydocker_dev";
  auto load = [&](char* log, uint32_t log_size) {
    bpf_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = Ptr(insns.data());
    attr.insn_cnt = static_cast<uint32_t>(insns.size());
    attr.license = Ptr(kLicense);
    static_assert(sizeof(kName) <= sizeof(attr.prog_name));
    std::memcpy(attr.prog_name, kName, sizeof(kName));
    if (log != nullptr) {
      attr.log_buf = Ptr(log);
      attr.log_size = log_size;
      attr.log_level = 1;
    }
    return Bpf(BPF_PROG_LOAD, &attr);
  };
  long fd = load(nullptr, 0);
  if (fd >= 0) return base::UniqueFd(static_cast<int>(fd));
  const int err = errno;
  const std::string what =
      absl::StrCat("bpf: load a device program of ", insns.size(),
                   " instructions for ", rules.size(), " rules");
  if (err != EINVAL && err != EACCES && err != E2BIG) {
    return base::ErrnoStatus(err, what);
  }
  // Ask again with the verifier's log, which says which instruction failed.
  std::string log(256 << 10, '\0');
  fd = load(log.data(), static_cast<uint32_t>(log.size()));
  if (fd >= 0) return base::UniqueFd(static_cast<int>(fd));
  log.resize(std::strlen(log.c_str()));
  if (log.size() > 2000) log = "..." + log.substr(log.size() - 2000);
  return base::ErrnoStatus(err, what, " (verifier: ", log, ")");
}

absl::Status SetDeviceFilter(const std::string& dir,
                             const std::vector<spec::DeviceCgroupRule>& rules) {
  ASSIGN_OR_RETURN(base::UniqueFd dir_fd, OpenDir(dir));
  uint32_t keep = 0;  // Program ids start at 1.
  if (!rules.empty()) {
    ASSIGN_OR_RETURN(base::UniqueFd prog, LoadDeviceFilter(rules));
    ASSIGN_OR_RETURN(keep, ProgramId(prog.get()));
    bpf_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.target_fd = static_cast<uint32_t>(dir_fd.get());
    attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (Bpf(BPF_PROG_ATTACH, &attr) < 0) {
      return base::ErrnoStatus(errno, "bpf: attach the device program to ",
                               dir);
    }
  }
  ASSIGN_OR_RETURN(std::vector<uint32_t> ids, QueryAttached(dir_fd.get(), dir));
  for (uint32_t id : ids) {
    if (id != keep) RETURN_IF_ERROR(Detach(dir_fd.get(), dir, id));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint32_t>> AttachedDeviceFilters(
    const std::string& dir) {
  ASSIGN_OR_RETURN(base::UniqueFd dir_fd, OpenDir(dir));
  return QueryAttached(dir_fd.get(), dir);
}

}  // namespace mydocker::cgroup
