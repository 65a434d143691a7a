#include "lib/cgroup/device_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/cgroup/layout.h"
#include "lib/cgroup/resources.h"
#include "lib/cgroup/testing.h"

namespace mydocker::cgroup {
namespace {

using Rules = std::vector<spec::DeviceCgroupRule>;
constexpr std::nullopt_t kAny = std::nullopt;

spec::DeviceCgroupRule Rule(bool allow, std::string type,
                            std::optional<int64_t> major,
                            std::optional<int64_t> minor, std::string access) {
  spec::DeviceCgroupRule r;
  r.allow = allow;
  r.type = std::move(type);
  r.major = major;
  r.minor = minor;
  r.access = std::move(access);
  return r;
}

// Docker's default list (moby's oci/defaults.go), abridged.
Rules DockerDefault() {
  return {
      Rule(false, "a", kAny, kAny, "rwm"), Rule(true, "c", kAny, kAny, "m"),
      Rule(true, "b", kAny, kAny, "m"),    Rule(true, "c", 1, 3, "rwm"),
      Rule(true, "c", 1, 5, "rwm"),        Rule(true, "c", 1, 9, "rwm"),
      Rule(true, "c", 5, 0, "rwm"),        Rule(true, "c", 136, kAny, "rwm"),
      Rule(true, "c", 10, 200, "rwm")};
}

// Rule lists with different shapes: default allow with exceptions, an "a"
// rule in the middle, overlapping rules, nothing at all.
std::vector<Rules> AllRuleSets() {
  return {
      DockerDefault(),
      {},
      {Rule(false, "a", kAny, kAny, "rwm")},
      {Rule(true, "a", kAny, kAny, ""), Rule(false, "c", 1, 3, "w"),
       Rule(false, "b", kAny, kAny, "rwm")},
      {Rule(false, "a", kAny, kAny, "rwm"), Rule(true, "c", 1, 3, "r"),
       Rule(true, "a", kAny, kAny, "rwm"), Rule(false, "c", 1, 5, "rw")},
      {Rule(false, "a", kAny, kAny, "rwm"), Rule(true, "c", 1, kAny, "rw"),
       Rule(false, "c", 1, 3, "w"), Rule(true, "c", kAny, 3, "m"),
       Rule(true, "b", 8, 0, "")},
      {Rule(false, "a", kAny, kAny, ""), Rule(true, "c", INT32_MAX, 0, "r")},
  };
}

constexpr uint32_t kMknod = BPF_DEVCG_ACC_MKNOD;
constexpr uint32_t kRead = BPF_DEVCG_ACC_READ;
constexpr uint32_t kWrite = BPF_DEVCG_ACC_WRITE;

// The intended semantics, written the other way round from the program:
// forwards, each matching rule overriding the one before, per access bit.
bool Reference(const Rules& rules, char type, uint32_t major, uint32_t minor,
               uint32_t access) {
  for (auto [bit, letter] : {std::pair{kMknod, 'm'}, std::pair{kRead, 'r'},
                             std::pair{kWrite, 'w'}}) {
    if ((access & bit) == 0) continue;
    bool allowed = true;
    for (const spec::DeviceCgroupRule& r : rules) {
      const bool match =
          r.type == "a" ||
          (r.type[0] == type && (!r.major || *r.major == major) &&
           (!r.minor || *r.minor == minor) &&
           DeviceAccess(r).find(letter) != std::string::npos);
      if (match) allowed = r.allow;
    }
    if (!allowed) return false;
  }
  return true;
}

// Runs the program on one request, for the instructions the generator
// emits; fails the test on anything else, on a backward jump (a loop the
// verifier would refuse) or on running off the end.
uint64_t Interpret(const std::vector<bpf_insn>& prog, uint32_t access_type,
                   uint32_t major, uint32_t minor) {
  const uint32_t ctx[3] = {access_type, major, minor};
  uint64_t r[11] = {};
  bool set[11] = {};
  set[1] = true;
  for (size_t pc = 0; pc < prog.size();) {
    const bpf_insn& i = prog[pc++];
    const uint64_t imm = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
    auto use = [&](int reg) {
      EXPECT_TRUE(set[reg]) << "r" << reg << " read before set at " << pc - 1;
      return r[reg];
    };
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W:
        EXPECT_EQ(i.src_reg, 1);
        EXPECT_EQ(i.imm, 0);
        EXPECT_TRUE(i.off == 0 || i.off == 4 || i.off == 8) << i.off;
        r[i.dst_reg] = ctx[i.off / 4];
        break;
      case BPF_ALU | BPF_MOV | BPF_X:
        r[i.dst_reg] = static_cast<uint32_t>(use(i.src_reg));
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        r[i.dst_reg] = static_cast<uint32_t>(use(i.dst_reg) & imm);
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        r[i.dst_reg] = static_cast<uint32_t>(use(i.dst_reg)) >> i.imm;
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        r[i.dst_reg] = imm;
        break;
      case BPF_JMP | BPF_JA:
        EXPECT_GE(i.off, 0);
        pc += i.off;
        continue;
      case BPF_JMP | BPF_JEQ | BPF_K:
        EXPECT_GE(i.off, 0);
        if (use(i.dst_reg) == imm) pc += i.off;
        continue;
      case BPF_JMP | BPF_JNE | BPF_K:
        EXPECT_GE(i.off, 0);
        if (use(i.dst_reg) != imm) pc += i.off;
        continue;
      case BPF_JMP | BPF_EXIT:
        return use(0);
      default:
        ADD_FAILURE() << "unexpected opcode " << int{i.code} << " at "
                      << pc - 1;
        return 99;
    }
    set[i.dst_reg] = true;
  }
  ADD_FAILURE() << "ran off the end";
  return 99;
}

// Every instruction can be reached (the verifier refuses dead code).
void ExpectAllReachable(const std::vector<bpf_insn>& prog) {
  std::vector<bool> seen(prog.size());
  std::vector<size_t> todo = {0};
  while (!todo.empty()) {
    size_t pc = todo.back();
    todo.pop_back();
    if (pc >= prog.size() || seen[pc]) continue;
    seen[pc] = true;
    const bpf_insn& i = prog[pc];
    if (i.code == (BPF_JMP | BPF_EXIT)) continue;
    if (i.code == (BPF_JMP | BPF_JA)) {
      todo.push_back(pc + 1 + i.off);
      continue;
    }
    if (BPF_CLASS(i.code) == BPF_JMP) todo.push_back(pc + 1 + i.off);
    todo.push_back(pc + 1);
  }
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    EXPECT_TRUE(seen[pc]) << "instruction " << pc << " is unreachable";
  }
}

uint32_t AccessType(char type, uint32_t access) {
  return (access << 16) |
         (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
}

TEST(DeviceFilterProgramTest, DockerDefaultDecisions) {
  const std::vector<bpf_insn> prog = DeviceFilterProgram(DockerDefault());
  auto allowed = [&](char type, uint32_t maj, uint32_t min, uint32_t acc) {
    return Interpret(prog, AccessType(type, acc), maj, min);
  };
  EXPECT_EQ(allowed('c', 1, 3, kRead | kWrite), 1u);     // /dev/null
  EXPECT_EQ(allowed('c', 136, 7, kRead | kWrite), 1u);   // /dev/pts/7
  EXPECT_EQ(allowed('c', 10, 200, kRead), 1u);           // /dev/net/tun
  EXPECT_EQ(allowed('c', 4, 0, kMknod), 1u);             // mknod any char dev
  EXPECT_EQ(allowed('b', 8, 0, kMknod), 1u);             // mknod any block dev
  EXPECT_EQ(allowed('b', 8, 0, kRead), 0u);              // but not use it
  EXPECT_EQ(allowed('c', 4, 0, kWrite), 0u);             // /dev/tty0
  EXPECT_EQ(allowed('c', 1, 4, kRead), 0u);              // /dev/port
  EXPECT_EQ(allowed('b', 1, 3, kRead), 0u);              // type matters
  EXPECT_EQ(allowed('c', 10, 229, kRead | kWrite), 0u);  // /dev/fuse
}

TEST(DeviceFilterProgramTest, MatchesReferenceSemanticsEverywhere) {
  for (const Rules& rules : AllRuleSets()) {
    SCOPED_TRACE(::testing::Message() << rules.size() << " rules");
    const std::vector<bpf_insn> prog = DeviceFilterProgram(rules);
    ExpectAllReachable(prog);
    for (char type : {'b', 'c'}) {
      for (uint32_t maj : {0u, 1u, 5u, 8u, 136u, uint32_t{INT32_MAX}}) {
        for (uint32_t min : {0u, 3u, 5u, 9u}) {
          for (uint32_t acc = 1; acc <= 7; ++acc) {
            EXPECT_EQ(Interpret(prog, AccessType(type, acc), maj, min),
                      Reference(rules, type, maj, min, acc) ? 1u : 0u)
                << type << " " << maj << ":" << min << " access " << acc;
          }
        }
      }
    }
  }
}

TEST(DeviceFilterProgramTest, ReadAndWriteMustBothBeAllowed) {
  // Read allowed, write denied: an O_RDWR open asks for both and fails.
  Rules rules = {Rule(false, "a", kAny, kAny, ""), Rule(true, "c", 1, 3, "r")};
  const std::vector<bpf_insn> prog = DeviceFilterProgram(rules);
  EXPECT_EQ(Interpret(prog, AccessType('c', kRead), 1, 3), 1u);
  EXPECT_EQ(Interpret(prog, AccessType('c', kRead | kWrite), 1, 3), 0u);
}

bool IsRoot() { return geteuid() == 0; }

TEST(LoadDeviceFilterTest, KernelVerifierAcceptsEveryShape) {
  ASSERT_TRUE(IsRoot()) << "loading a BPF program needs root";
  for (const Rules& rules : AllRuleSets()) {
    absl::StatusOr<base::UniqueFd> fd = LoadDeviceFilter(rules);
    ASSERT_TRUE(fd.ok()) << rules.size() << " rules: " << fd.status();
    EXPECT_TRUE(fd->valid());
  }
  Rules many;
  many.push_back(Rule(false, "a", kAny, kAny, ""));
  for (int i = 0; i + 1 < static_cast<int>(kMaxDeviceRules); ++i) {
    many.push_back(Rule(i % 2 == 0, i % 3 == 0 ? "b" : "c", i,
                        i % 5 == 0 ? std::nullopt : std::optional<int64_t>(i),
                        i % 4 == 0 ? "rw" : "rwm"));
  }
  absl::StatusOr<base::UniqueFd> fd = LoadDeviceFilter(many);
  ASSERT_TRUE(fd.ok()) << fd.status();
}

// What a process in a cgroup gets from open(2) on a device node.
struct OpenResult {
  int null_rdwr;   // errno of open("/dev/null", O_RDWR), 0 on success
  int zero_read;   // errno of open("/dev/zero", O_RDONLY)
  int zero_write;  // errno of open("/dev/zero", O_WRONLY)
};

// Forks a child that joins the cgroup at `dir` (cgroup.procs "0" is the
// writer itself) and tries the opens. Child-side: raw syscalls only.
OpenResult OpenInCgroup(const std::string& dir) {
  const std::string procs = dir + "/cgroup.procs";
  int pipefd[2];
  EXPECT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
  pid_t pid = fork();
  if (pid == 0) {
    int results[3] = {-1, -1, -1};
    int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0 && write(fd, "0", 1) == 1) {
      close(fd);
      const struct {
        const char* path;
        int flags;
      } tries[3] = {{"/dev/null", O_RDWR},
                    {"/dev/zero", O_RDONLY},
                    {"/dev/zero", O_WRONLY}};
      for (int i = 0; i < 3; ++i) {
        int d = open(tries[i].path, tries[i].flags | O_CLOEXEC);
        results[i] = d >= 0 ? 0 : errno;
        if (d >= 0) close(d);
      }
    }
    (void)!write(pipefd[1], results, sizeof(results));
    _exit(0);
  }
  close(pipefd[1]);
  int results[3] = {-2, -2, -2};
  EXPECT_EQ(read(pipefd[0], results, sizeof(results)),
            static_cast<ssize_t>(sizeof(results)));
  close(pipefd[0]);
  int status;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return {results[0], results[1], results[2]};
}

TEST(SetDeviceFilterTest, EnforcedOnARealCgroup2Directory) {
  ASSERT_TRUE(IsRoot()) << "attaching a BPF program needs root";
  absl::Status mounted = testing::MountHostCgroups();
  ASSERT_TRUE(mounted.ok()) << mounted;
  absl::StatusOr<Layout> layout = Detect();
  ASSERT_TRUE(layout.ok()) << layout.status();
  ASSERT_TRUE(layout->unified.has_value())
      << "no cgroup2 mount (v2 or hybrid) on this host";
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const std::string dir =
      absl::StrCat(layout->unified->mount_point, "/mydocker-test-", getpid(),
                   "-", ts.tv_nsec);
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir << ": " << strerror(errno);
  struct RemoveDir {
    std::string dir;
    ~RemoveDir() { EXPECT_EQ(rmdir(dir.c_str()), 0) << dir; }
  } remove_dir{dir};

  // Before: everything opens.
  OpenResult r = OpenInCgroup(dir);
  EXPECT_EQ(r.null_rdwr, 0);
  EXPECT_EQ(r.zero_read, 0);

  Rules rules = {Rule(false, "a", kAny, kAny, "rwm"),
                 Rule(true, "c", 1, 3, "rw")};
  absl::Status s = SetDeviceFilter(dir, rules);
  ASSERT_TRUE(s.ok()) << s;
  absl::StatusOr<std::vector<uint32_t>> ids = AttachedDeviceFilters(dir);
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_EQ(ids->size(), 1u);
  const uint32_t first = (*ids)[0];
  r = OpenInCgroup(dir);
  EXPECT_EQ(r.null_rdwr, 0);
  EXPECT_EQ(r.zero_read, EPERM);
  EXPECT_EQ(r.zero_write, EPERM);

  // An update replaces the program: one attached, a different one.
  rules.push_back(Rule(true, "c", 1, 5, "r"));
  s = SetDeviceFilter(dir, rules);
  ASSERT_TRUE(s.ok()) << s;
  ids = AttachedDeviceFilters(dir);
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_EQ(ids->size(), 1u);
  EXPECT_NE((*ids)[0], first);
  r = OpenInCgroup(dir);
  EXPECT_EQ(r.null_rdwr, 0);
  EXPECT_EQ(r.zero_read, 0);
  EXPECT_EQ(r.zero_write, EPERM);

  // No rules: no program, no restriction.
  s = SetDeviceFilter(dir, {});
  ASSERT_TRUE(s.ok()) << s;
  ids = AttachedDeviceFilters(dir);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_TRUE(ids->empty());
  EXPECT_EQ(OpenInCgroup(dir).zero_write, 0);
}

TEST(SetDeviceFilterTest, NotACgroupDirectory) {
  ASSERT_TRUE(IsRoot()) << "loading a BPF program needs root";
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string dir = tmp != nullptr ? tmp : "/tmp";
  absl::Status s = SetDeviceFilter(dir, {Rule(false, "a", kAny, kAny, "rwm")});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(dir), absl::string_view::npos) << s;
}

}  // namespace
}  // namespace mydocker::cgroup
