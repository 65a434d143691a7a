// Cgroup on this host's real cgroup v1 hierarchies (hybrid: plus the cgroup2
// mount), as root: the limits land in the files, and the kernel enforces
// them on real processes (an OOM kill, a fork refused, a device refused).
// Every test works below its own /mydocker-test-<pid>-<time> and TearDown
// removes it in every hierarchy, checking that nothing is left.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "lib/cgroup/cgroup.h"
#include "lib/cgroup/layout.h"
#include "lib/cgroup/testing.h"

namespace mydocker::cgroup {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trimmed(const std::string& path) {
  std::string s = Slurp(path);
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

std::set<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// A forked child that waits until Release(), then runs `body` and exits
// with its result. `body` runs between fork and _exit: raw syscalls only.
// It gets a pipe to report results on; the parent reads them with Read().
// A child still running when the Child goes away is killed and reaped.
class Child {
 public:
  explicit Child(std::function<int(int result_fd)> body) {
    int go[2], results[2];
    EXPECT_EQ(pipe2(go, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(results, O_CLOEXEC), 0);
    pid_ = fork();
    if (pid_ == 0) {
      close(go[1]);
      close(results[0]);
      char c;
      ssize_t n;
      do {
        n = read(go[0], &c, 1);
      } while (n < 0 && errno == EINTR);
      if (n != 1) _exit(100);  // Never released.
      _exit(body(results[1]));
    }
    close(go[0]);
    close(results[1]);
    go_ = go[1];
    results_ = results[0];
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (!waited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (go_ >= 0) close(go_);
    close(results_);
  }

  pid_t pid() const { return pid_; }
  void Release() {
    EXPECT_EQ(write(go_, "x", 1), 1);
    close(go_);
    go_ = -1;
  }
  // Reads exactly `n` bytes the child reported; false at EOF before that.
  bool Read(void* buf, size_t n) {
    char* p = static_cast<char*>(buf);
    while (n > 0) {
      ssize_t got = read(results_, p, n);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      p += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
  // waitpid; the raw status.
  int Wait() {
    int status = 0;
    EXPECT_EQ(waitpid(pid_, &status, 0), pid_);
    waited_ = true;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int go_ = -1;
  int results_ = -1;
  bool waited_ = false;
};

int SleepForever(int) {
  for (;;) pause();
}

std::string SignalStatus(int status) {
  if (WIFSIGNALED(status)) return absl::StrCat("signal ", WTERMSIG(status));
  if (WIFEXITED(status)) return absl::StrCat("exit ", WEXITSTATUS(status));
  return absl::StrCat("status ", status);
}

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

class CgroupV1Test : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "cgroup_v1_test needs root to create cgroups";
    absl::Status s = testing::MountHostCgroups();
    ASSERT_TRUE(s.ok()) << s;
    absl::StatusOr<Layout> l = Detect();
    ASSERT_TRUE(l.ok()) << l.status();
    if (l->version != Version::kV1) {
      GTEST_SKIP() << "this host runs cgroup v2; these tests are for v1";
    }
    layout_ = *l;
    root_ = testing::UniqueTestPath();
    path_ = root_ + "/c1";
  }

  void TearDown() override {
    if (root_.empty()) return;
    // Whatever a test left (processes, cgroups), in every hierarchy.
    absl::StatusOr<Cgroup> all = Cgroup::Open(layout_, root_);
    if (all.ok()) {
      absl::Status s = all->Destroy();
      EXPECT_TRUE(s.ok()) << s;
    } else {
      EXPECT_TRUE(absl::IsNotFound(all.status())) << all.status();
    }
    for (const std::string& dir : AllDirs(root_)) {
      EXPECT_FALSE(Exists(dir)) << dir << " left behind";
    }
  }

  // `path`'s directory in every mounted hierarchy.
  std::vector<std::string> AllDirs(const std::string& path) const {
    std::vector<std::string> out;
    for (const Hierarchy& h : layout_.v1) out.push_back(h.mount_point + path);
    if (layout_.unified) out.push_back(layout_.unified->mount_point + path);
    return out;
  }

  std::string File(const char* controller, const std::string& file) const {
    return absl::StrCat(layout_.FindV1(controller)->mount_point, path_, "/",
                        file);
  }

  Layout layout_;
  std::string root_;
  std::string path_;
};

TEST_F(CgroupV1Test, CreateWritesTheLimits) {
  spec::Resources r;
  r.memory.emplace();
  r.memory->limit = 64 << 20;
  r.memory->reservation = 32 << 20;
  const bool swap = SwapLimitSupported(layout_);
  if (swap) r.memory->swap = 128 << 20;
  r.cpu.emplace();
  r.cpu->shares = 512;
  r.cpu->quota = 50000;  // docker run --cpus 0.5
  r.cpu->period = 100000;
  r.cpu->cpus = "0";
  r.cpu->mems = "0";
  r.pids = spec::Pids{20};
  r.devices = {Rule(false, "a", std::nullopt, std::nullopt, "rwm"),
               Rule(true, "c", 1, 3, "rwm"),
               Rule(true, "c", std::nullopt, std::nullopt, "m"),
               Rule(true, "c", 136, std::nullopt, "rw")};

  absl::StatusOr<Cgroup> cg = Cgroup::Create(layout_, path_, r);
  ASSERT_TRUE(cg.ok()) << cg.status();
  EXPECT_EQ(cg->version(), Version::kV1);
  EXPECT_EQ(cg->Dirs(), AllDirs(path_));  // Every hierarchy, hybrid's too.
  for (const std::string& dir : cg->Dirs()) EXPECT_TRUE(Exists(dir)) << dir;
  EXPECT_EQ(cg->DirFor("memory"),
            layout_.FindV1("memory")->mount_point + path_);
  if (layout_.FindV1("name=systemd") != nullptr) {
    EXPECT_EQ(cg->DirFor("name=systemd"),
              layout_.FindV1("name=systemd")->mount_point + path_);
  }

  EXPECT_EQ(Trimmed(File("memory", "memory.limit_in_bytes")), "67108864");
  EXPECT_EQ(Trimmed(File("memory", "memory.soft_limit_in_bytes")), "33554432");
  if (swap) {
    EXPECT_EQ(Trimmed(File("memory", "memory.memsw.limit_in_bytes")),
              "134217728");
  }
  EXPECT_EQ(Trimmed(File("cpu", "cpu.shares")), "512");
  EXPECT_EQ(Trimmed(File("cpu", "cpu.cfs_quota_us")), "50000");
  EXPECT_EQ(Trimmed(File("cpu", "cpu.cfs_period_us")), "100000");
  EXPECT_EQ(Trimmed(File("cpuset", "cpuset.cpus")), "0");
  EXPECT_EQ(Trimmed(File("cpuset", "cpuset.mems")), "0");
  EXPECT_EQ(Trimmed(File("pids", "pids.max")), "20");
  EXPECT_EQ(Lines(Slurp(File("devices", "devices.list"))),
            (std::set<std::string>{"c 1:3 rwm", "c *:* m", "c 136:* rw"}));
  // The parent made on the way got the root's cpuset, not an empty one.
  const std::string parent_cpus =
      layout_.FindV1("cpuset")->mount_point + root_ + "/cpuset.cpus";
  EXPECT_EQ(Trimmed(parent_cpus),
            Trimmed(layout_.FindV1("cpuset")->mount_point + "/cpuset.cpus"));

  absl::StatusOr<Cgroup> again = Cgroup::Open(layout_, path_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->Dirs(), cg->Dirs());
  EXPECT_TRUE(
      absl::IsNotFound(Cgroup::Open(layout_, root_ + "/nope").status()));

  ASSERT_TRUE(cg->Destroy().ok());
  for (const std::string& dir : AllDirs(path_))
    EXPECT_FALSE(Exists(dir)) << dir;
  // The parent stays (other containers share it); TearDown removes it.
  EXPECT_TRUE(Exists(layout_.FindV1("memory")->mount_point + root_));
}

TEST_F(CgroupV1Test, AddProcessPidsOomKilledDestroy) {
  absl::StatusOr<Cgroup> cg = Cgroup::Create(layout_, path_, {});
  ASSERT_TRUE(cg.ok()) << cg.status();
  Child child(SleepForever);
  ASSERT_TRUE(cg->AddProcess(child.pid()).ok());
  child.Release();

  absl::StatusOr<std::vector<pid_t>> pids = cg->Pids();
  ASSERT_TRUE(pids.ok()) << pids.status();
  EXPECT_EQ(*pids, std::vector<pid_t>{child.pid()});
  EXPECT_EQ(Lines(Slurp(File("memory", "cgroup.procs"))),
            std::set<std::string>{absl::StrCat(child.pid())});

  // The kernel's view: the child is in this cgroup in every hierarchy.
  absl::StatusOr<std::map<std::string, std::string>> in =
      ProcessCgroups(child.pid());
  ASSERT_TRUE(in.ok()) << in.status();
  for (const Hierarchy& h : layout_.v1) {
    EXPECT_EQ((*in)[h.Key()], path_) << h.Key();
    absl::StatusOr<std::string> dir = layout_.DirOfProcessPath(h.Key(), path_);
    ASSERT_TRUE(dir.ok()) << dir.status();
    EXPECT_EQ(*dir, cg->DirFor(h.controllers[0]));
  }
  if (layout_.unified) {
    EXPECT_EQ((*in)[""], path_);
  }

  absl::StatusOr<bool> oom = cg->OomKilled();
  ASSERT_TRUE(oom.ok()) << oom.status();
  EXPECT_FALSE(*oom);

  // Destroy kills it (the child is not reaped yet: a zombie holds no cgroup).
  absl::Status s = cg->Destroy();
  ASSERT_TRUE(s.ok()) << s;
  const int status = child.Wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << SignalStatus(status);
  for (const std::string& dir : AllDirs(path_))
    EXPECT_FALSE(Exists(dir)) << dir;
  EXPECT_TRUE(cg->Destroy().ok());  // Again: nothing to do.
}

TEST_F(CgroupV1Test, OomKillerKillsAProcessOverTheLimit) {
  spec::Resources r;
  r.memory.emplace();
  r.memory->limit = 32 << 20;
  if (SwapLimitSupported(layout_)) r.memory->swap = 32 << 20;  // No swap.
  absl::StatusOr<Cgroup> cg = Cgroup::Create(layout_, path_, r);
  ASSERT_TRUE(cg.ok()) << cg.status();
  Child child([](int) {
    constexpr size_t kSize = size_t{200} << 20;
    void* p = mmap(nullptr, kSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 2;
    volatile char* bytes = static_cast<volatile char*>(p);
    for (size_t i = 0; i < kSize; i += 4096) bytes[i] = 1;
    return 0;  // Not reached: 200 MiB does not fit in 32.
  });
  ASSERT_TRUE(cg->AddProcess(child.pid()).ok());
  child.Release();
  const int status = child.Wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << SignalStatus(status);
  absl::StatusOr<bool> oom = cg->OomKilled();
  ASSERT_TRUE(oom.ok()) << oom.status();
  EXPECT_TRUE(*oom);
  EXPECT_TRUE(cg->Destroy().ok());
}

TEST_F(CgroupV1Test, PidsLimitStopsAForkBomb) {
  spec::Resources r;
  r.pids = spec::Pids{10};
  absl::StatusOr<Cgroup> cg = Cgroup::Create(layout_, path_, r);
  ASSERT_TRUE(cg.ok()) << cg.status();
  struct Report {
    int forked;
    int err;
  };
  Child child([](int out) {
    Report rep = {0, 0};
    for (int i = 0; i < 100; ++i) {
      pid_t p = fork();
      if (p == 0) {
        for (;;) pause();
      }
      if (p < 0) {
        rep.err = errno;
        break;
      }
      ++rep.forked;
    }
    if (write(out, &rep, sizeof(rep)) != sizeof(rep)) return 3;
    for (;;) pause();
  });
  ASSERT_TRUE(cg->AddProcess(child.pid()).ok());
  child.Release();
  Report rep;
  ASSERT_TRUE(child.Read(&rep, sizeof(rep)));
  EXPECT_EQ(rep.forked, 9);  // Ten tasks: the child and nine of its own.
  EXPECT_EQ(rep.err, EAGAIN);
  EXPECT_EQ(Trimmed(File("pids", "pids.current")), "10");
  absl::StatusOr<std::vector<pid_t>> pids = cg->Pids();
  ASSERT_TRUE(pids.ok()) << pids.status();
  EXPECT_EQ(pids->size(), 10u);

  // cgroup.kill on the hybrid mount, or the freezer: either way all ten go,
  // the grandchildren too, though nobody here can reap them.
  absl::Status s = cg->KillAll(SIGKILL);
  ASSERT_TRUE(s.ok()) << s;
  pids = cg->Pids();
  ASSERT_TRUE(pids.ok()) << pids.status();
  EXPECT_TRUE(pids->empty());
  const int status = child.Wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << SignalStatus(status);
}

TEST_F(CgroupV1Test, KillAllThroughTheFreezer) {
  // Without the hybrid cgroup2 mount there is no cgroup.kill: the v1 path.
  Layout v1_only = layout_;
  v1_only.unified.reset();
  absl::StatusOr<Cgroup> cg = Cgroup::Create(v1_only, path_, {});
  ASSERT_TRUE(cg.ok()) << cg.status();
  ASSERT_FALSE(cg->DirFor("freezer").empty());

  std::vector<std::unique_ptr<Child>> children;
  for (int i = 0; i < 3; ++i) {
    children.push_back(std::make_unique<Child>(SleepForever));
    ASSERT_TRUE(cg->AddProcess(children.back()->pid()).ok());
    children.back()->Release();
  }
  absl::Status s = cg->KillAll(SIGTERM);
  ASSERT_TRUE(s.ok()) << s;
  for (auto& c : children) {
    const int status = c->Wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
        << SignalStatus(status);
  }
  EXPECT_EQ(Trimmed(cg->DirFor("freezer") + "/freezer.state"), "THAWED");

  children.clear();
  for (int i = 0; i < 3; ++i) {
    children.push_back(std::make_unique<Child>(SleepForever));
    ASSERT_TRUE(cg->AddProcess(children.back()->pid()).ok());
    children.back()->Release();
  }
  s = cg->KillAll(SIGKILL);
  ASSERT_TRUE(s.ok()) << s;
  absl::StatusOr<std::vector<pid_t>> pids = cg->Pids();
  ASSERT_TRUE(pids.ok()) << pids.status();
  EXPECT_TRUE(pids->empty());
  for (auto& c : children) {
    const int status = c->Wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << SignalStatus(status);
  }
  EXPECT_EQ(Trimmed(cg->DirFor("freezer") + "/freezer.state"), "THAWED");
  EXPECT_TRUE(cg->Destroy().ok());
}

TEST_F(CgroupV1Test, DeviceRulesAreEnforced) {
  spec::Resources r;
  r.devices = {Rule(false, "a", std::nullopt, std::nullopt, "rwm"),
               Rule(true, "c", 1, 3, "rw")};
  absl::StatusOr<Cgroup> cg = Cgroup::Create(layout_, path_, r);
  ASSERT_TRUE(cg.ok()) << cg.status();
  Child child([](int out) {
    int errs[2];
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    errs[0] = fd >= 0 ? 0 : errno;
    if (fd >= 0) close(fd);
    fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    errs[1] = fd >= 0 ? 0 : errno;
    if (fd >= 0) close(fd);
    return write(out, errs, sizeof(errs)) == sizeof(errs) ? 0 : 3;
  });
  ASSERT_TRUE(cg->AddProcess(child.pid()).ok());
  child.Release();
  int errs[2];
  ASSERT_TRUE(child.Read(errs, sizeof(errs)));
  EXPECT_EQ(errs[0], 0) << "/dev/null: " << strerror(errs[0]);
  EXPECT_EQ(errs[1], EPERM) << "/dev/zero: " << strerror(errs[1]);
  EXPECT_EQ(child.Wait(), 0);
}

TEST_F(CgroupV1Test, ExistingCgroupWithAProcessIsRefusedEmptyOneReused) {
  spec::Resources r;
  r.pids = spec::Pids{20};
  absl::StatusOr<Cgroup> cg = Cgroup::Create(layout_, path_, r);
  ASSERT_TRUE(cg.ok()) << cg.status();
  {
    Child child(SleepForever);
    ASSERT_TRUE(cg->AddProcess(child.pid()).ok());
    child.Release();
    absl::Status s = Cgroup::Create(layout_, path_, {}).status();
    EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
    EXPECT_NE(s.message().find(absl::StrCat(child.pid())),
              absl::string_view::npos)
        << s;
  }  // Killed and reaped.
  // A leftover, empty: reused, the new limits applied over it.
  r.pids = spec::Pids{30};
  absl::StatusOr<Cgroup> reused = Cgroup::Create(layout_, path_, r);
  ASSERT_TRUE(reused.ok()) << reused.status();
  EXPECT_EQ(Trimmed(File("pids", "pids.max")), "30");
  EXPECT_TRUE(reused->Destroy().ok());
}

TEST_F(CgroupV1Test, UpdateMemoryAndSwapInEitherDirection) {
  if (!SwapLimitSupported(layout_)) GTEST_SKIP() << "no swap accounting";
  spec::Resources r;
  r.memory.emplace();
  r.memory->limit = 64 << 20;
  r.memory->swap = 128 << 20;
  absl::StatusOr<Cgroup> cg = Cgroup::Create(layout_, path_, r);
  ASSERT_TRUE(cg.ok()) << cg.status();

  // Up: the new limit is above the old memsw, so memsw must go first.
  r.memory->limit = 256 << 20;
  r.memory->swap = 512 << 20;
  absl::Status s = cg->Update(r);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Trimmed(File("memory", "memory.limit_in_bytes")), "268435456");
  EXPECT_EQ(Trimmed(File("memory", "memory.memsw.limit_in_bytes")),
            "536870912");
  // Down: the new memsw is below the old limit, so the limit must go first.
  r.memory->limit = 16 << 20;
  r.memory->swap = 32 << 20;
  s = cg->Update(r);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Trimmed(File("memory", "memory.limit_in_bytes")), "16777216");
  EXPECT_EQ(Trimmed(File("memory", "memory.memsw.limit_in_bytes")), "33554432");
  // Unlimited memory, swap unset: both unlimited (else the kernel refuses).
  r.memory->limit = -1;
  r.memory->swap.reset();
  s = cg->Update(r);
  ASSERT_TRUE(s.ok()) << s;
  const std::string unlimited =
      Trimmed(layout_.FindV1("memory")->mount_point + "/memory.limit_in_bytes");
  EXPECT_EQ(Trimmed(File("memory", "memory.limit_in_bytes")), unlimited);
  EXPECT_EQ(Trimmed(File("memory", "memory.memsw.limit_in_bytes")), unlimited);
  EXPECT_TRUE(cg->Destroy().ok());
}

TEST_F(CgroupV1Test, CpuQuotaAndPeriodUpdates) {
  spec::Resources r;
  r.cpu.emplace();
  r.cpu->quota = 200000;
  r.cpu->period = 100000;
  absl::StatusOr<Cgroup> cg = Cgroup::Create(layout_, path_, r);
  ASSERT_TRUE(cg.ok()) << cg.status();
  r.cpu->quota = 1000;
  r.cpu->period = 1000;
  absl::Status s = cg->Update(r);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Trimmed(File("cpu", "cpu.cfs_quota_us")), "1000");
  EXPECT_EQ(Trimmed(File("cpu", "cpu.cfs_period_us")), "1000");
  r.cpu->quota = -1;
  r.cpu->period.reset();
  ASSERT_TRUE(cg->Update(r).ok());
  EXPECT_EQ(Trimmed(File("cpu", "cpu.cfs_quota_us")), "-1");
  EXPECT_TRUE(cg->Destroy().ok());
}

TEST_F(CgroupV1Test, FailedCreateLeavesNoLeaf) {
  spec::Resources r;
  r.cpu.emplace();
  r.cpu->cpus = "4095";  // No such CPU: the kernel refuses the write.
  absl::Status s = Cgroup::Create(layout_, path_, r).status();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cpuset.cpus"), absl::string_view::npos) << s;
  for (const std::string& dir : AllDirs(path_))
    EXPECT_FALSE(Exists(dir)) << dir;
}

TEST_F(CgroupV1Test, DestroyRemovesCgroupsMadeBelow) {
  absl::StatusOr<Cgroup> cg = Cgroup::Create(layout_, path_, {});
  ASSERT_TRUE(cg.ok()) << cg.status();
  // A container that manages its own cgroups (systemd, docker-in-docker).
  const std::string nested = cg->DirFor("memory") + "/nested/deeper";
  ASSERT_EQ(mkdir((cg->DirFor("memory") + "/nested").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(nested.c_str(), 0755), 0);
  Child child(SleepForever);
  {
    std::ofstream procs(nested + "/cgroup.procs");
    procs << child.pid();
  }
  child.Release();
  absl::StatusOr<std::vector<pid_t>> pids = cg->Pids();
  ASSERT_TRUE(pids.ok()) << pids.status();
  EXPECT_EQ(*pids, std::vector<pid_t>{child.pid()});
  absl::Status s = cg->Destroy();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_FALSE(Exists(cg->DirFor("memory")));
  const int status = child.Wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << SignalStatus(status);
}

}  // namespace
}  // namespace mydocker::cgroup
