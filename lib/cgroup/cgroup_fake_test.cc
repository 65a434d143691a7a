// Cgroup against a fake cgroupfs: a temp dir with the interface files as
// regular files. This host's controllers are bound to v1, so the v2 formats
// are checked here (what Create and Update write where), and so are the v1
// paths this host cannot take (no swap accounting, an old oom_control).
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/cgroup/cgroup.h"
#include "lib/cgroup/layout.h"

namespace mydocker::cgroup {
namespace {

constexpr char kControllers[] = "cpuset cpu io memory hugetlb pids rdma misc\n";

class FakeCgroupfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ = std::string(tmp ? tmp : "/tmp") + "/cgfs.XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    root_ = templ;
  }

  void TearDown() override { EXPECT_TRUE(base::RemoveAll(root_).ok()); }

  void Put(const std::string& rel, const std::string& content) {
    const std::string path = root_ + rel;
    ASSERT_TRUE(base::MakeDirs(base::Dirname(path)).ok()) << path;
    std::ofstream(path) << content;
  }

  std::string Get(const std::string& rel) {
    std::ifstream in(root_ + rel);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  bool Exists(const std::string& rel) {
    return access((root_ + rel).c_str(), F_OK) == 0;
  }

  std::string root_;
  Layout layout_;
};

class FakeV2Test : public FakeCgroupfsTest {
 protected:
  void SetUp() override {
    FakeCgroupfsTest::SetUp();
    absl::StatusOr<Layout> l = ParseMountinfo(
        absl::StrCat("24 19 0:22 / ", root_,
                     " rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"),
        root_);
    ASSERT_TRUE(l.ok()) << l.status();
    ASSERT_EQ(l->version, Version::kV2);
    layout_ = *l;

    for (const char* dir : {"", "/mydocker"}) {
      Put(absl::StrCat(dir, "/cgroup.controllers"), kControllers);
      Put(absl::StrCat(dir, "/cgroup.subtree_control"), "");
      Put(absl::StrCat(dir, "/cgroup.procs"), "");
    }
    MakeLeaf("/mydocker/c1");
  }

  // The files the kernel creates in a new cgroup whose parent enabled all
  // controllers, with the kernel's defaults.
  void MakeLeaf(const std::string& path) {
    const std::pair<const char*, const char*> files[] = {
        {"cgroup.procs", ""},
        {"cgroup.controllers", kControllers},
        {"cgroup.subtree_control", ""},
        {"cgroup.events", "populated 0\nfrozen 0\n"},
        {"cgroup.freeze", "0\n"},
        {"cgroup.kill", ""},
        {"memory.max", "max\n"},
        {"memory.swap.max", "max\n"},
        {"memory.low", "0\n"},
        {"memory.events",
         "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n"},
        {"cpu.weight", "100\n"},
        {"cpu.max", "max 100000\n"},
        {"cpuset.cpus", ""},
        {"cpuset.mems", ""},
        {"pids.max", "max\n"},
    };
    for (const auto& [name, content] : files) {
      Put(absl::StrCat(path, "/", name), content);
    }
  }

  static spec::Resources DockerLike() {
    spec::Resources r;
    r.memory.emplace();
    r.memory->limit = 64 << 20;
    r.memory->swap = 128 << 20;
    r.memory->reservation = 32 << 20;
    r.cpu.emplace();
    r.cpu->shares = 512;
    r.cpu->quota = 50000;
    r.cpu->period = 100000;
    r.cpu->cpus = "0";
    r.cpu->mems = "0";
    r.pids = spec::Pids{20};
    return r;
  }
};

TEST_F(FakeV2Test, CreateWritesV2Files) {
  absl::StatusOr<Cgroup> cg =
      Cgroup::Create(layout_, "/mydocker/c1", DockerLike());
  ASSERT_TRUE(cg.ok()) << cg.status();
  EXPECT_EQ(cg->version(), Version::kV2);
  EXPECT_EQ(cg->path(), "/mydocker/c1");
  EXPECT_EQ(cg->Dirs(), std::vector<std::string>{root_ + "/mydocker/c1"});
  EXPECT_EQ(cg->DirFor("memory"), root_ + "/mydocker/c1");
  EXPECT_EQ(cg->DirFor("pids"), root_ + "/mydocker/c1");

  EXPECT_EQ(Get("/mydocker/c1/memory.max"), "67108864");
  EXPECT_EQ(Get("/mydocker/c1/memory.swap.max"), "67108864");  // 128m - 64m
  EXPECT_EQ(Get("/mydocker/c1/memory.low"), "33554432");
  EXPECT_EQ(Get("/mydocker/c1/cpu.weight"), "20");
  EXPECT_EQ(Get("/mydocker/c1/cpu.max"), "50000 100000");
  EXPECT_EQ(Get("/mydocker/c1/cpuset.cpus"), "0");
  EXPECT_EQ(Get("/mydocker/c1/cpuset.mems"), "0");
  EXPECT_EQ(Get("/mydocker/c1/pids.max"), "20");
  // Every ancestor hands all its controllers down.
  const std::string all = "+cpuset +cpu +io +memory +hugetlb +pids +rdma +misc";
  EXPECT_EQ(Get("/cgroup.subtree_control"), all);
  EXPECT_EQ(Get("/mydocker/cgroup.subtree_control"), all);
  // The leaf's own subtree_control is left alone: processes live there.
  EXPECT_EQ(Get("/mydocker/c1/cgroup.subtree_control"), "");
}

TEST_F(FakeV2Test, AlreadyEnabledControllersAreNotWrittenAgain) {
  Put("/cgroup.subtree_control", "cpuset cpu io memory hugetlb pids\n");
  ASSERT_TRUE(Cgroup::Create(layout_, "/mydocker/c1", {}).ok());
  EXPECT_EQ(Get("/cgroup.subtree_control"), "+rdma +misc");
}

TEST_F(FakeV2Test, UpdateFormats) {
  absl::StatusOr<Cgroup> cg =
      Cgroup::Create(layout_, "/mydocker/c1", DockerLike());
  ASSERT_TRUE(cg.ok()) << cg.status();

  spec::Resources r;
  r.cpu.emplace();
  r.cpu->period = 200000;  // The quota in the file stays.
  ASSERT_TRUE(cg->Update(r).ok());
  EXPECT_EQ(Get("/mydocker/c1/cpu.max"), "50000 200000");

  r.cpu->period.reset();
  r.cpu->quota = -1;
  r.cpu->shares = 2;
  ASSERT_TRUE(cg->Update(r).ok());
  EXPECT_EQ(Get("/mydocker/c1/cpu.max"), "max 200000");
  EXPECT_EQ(Get("/mydocker/c1/cpu.weight"), "1");

  r = spec::Resources();
  r.pids = spec::Pids{0};
  r.memory.emplace();
  r.memory->limit = -1;  // With swap unset: swap unlimited too.
  ASSERT_TRUE(cg->Update(r).ok());
  EXPECT_EQ(Get("/mydocker/c1/pids.max"), "max");
  EXPECT_EQ(Get("/mydocker/c1/memory.max"), "max");
  EXPECT_EQ(Get("/mydocker/c1/memory.swap.max"), "max");

  // Unset and zero fields leave files alone.
  Put("/mydocker/c1/memory.low", "123");
  r = spec::Resources();
  r.memory.emplace();
  r.memory->reservation = 0;
  r.cpu.emplace();
  ASSERT_TRUE(cg->Update(r).ok());
  EXPECT_EQ(Get("/mydocker/c1/memory.low"), "123");
}

TEST_F(FakeV2Test, InvalidUpdateWritesNothing) {
  absl::StatusOr<Cgroup> cg = Cgroup::Create(layout_, "/mydocker/c1", {});
  ASSERT_TRUE(cg.ok()) << cg.status();
  spec::Resources r;
  r.pids = spec::Pids{5};
  r.devices.push_back(spec::DeviceCgroupRule{
      .allow = true, .type = "x", .major = 1, .minor = 3, .access = "rwm"});
  absl::Status s = cg->Update(r);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_EQ(Get("/mydocker/c1/pids.max"), "max\n");
}

TEST_F(FakeV2Test, DisableOomKillerIsRefused) {
  absl::StatusOr<Cgroup> cg = Cgroup::Create(layout_, "/mydocker/c1", {});
  ASSERT_TRUE(cg.ok()) << cg.status();
  spec::Resources r;
  r.memory.emplace();
  r.memory->disable_oom_killer = true;
  absl::Status s = cg->Update(r);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  r.memory->disable_oom_killer = false;
  EXPECT_TRUE(cg->Update(r).ok());
}

TEST_F(FakeV2Test, MissingControllerFileNamesTheController) {
  ASSERT_EQ(unlink((root_ + "/mydocker/c1/pids.max").c_str()), 0);
  absl::StatusOr<Cgroup> cg = Cgroup::Create(layout_, "/mydocker/c1", {});
  ASSERT_TRUE(cg.ok()) << cg.status();
  spec::Resources r;
  r.pids = spec::Pids{5};
  absl::Status s = cg->Update(r);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find("pids.max"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("pids controller"), absl::string_view::npos) << s;
}

TEST_F(FakeV2Test, OomKilledReadsMemoryEvents) {
  absl::StatusOr<Cgroup> cg = Cgroup::Create(layout_, "/mydocker/c1", {});
  ASSERT_TRUE(cg.ok()) << cg.status();
  absl::StatusOr<bool> oom = cg->OomKilled();
  ASSERT_TRUE(oom.ok()) << oom.status();
  EXPECT_FALSE(*oom);
  Put("/mydocker/c1/memory.events",
      "low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\noom_group_kill 0\n");
  oom = cg->OomKilled();
  ASSERT_TRUE(oom.ok()) << oom.status();
  EXPECT_TRUE(*oom);
  ASSERT_EQ(unlink((root_ + "/mydocker/c1/memory.events").c_str()), 0);
  EXPECT_TRUE(absl::IsFailedPrecondition(cg->OomKilled().status()));
}

TEST_F(FakeV2Test, ExistingCgroupWithProcessesIsRefused) {
  Put("/mydocker/c1/cgroup.procs", "4242\n");
  absl::Status s = Cgroup::Create(layout_, "/mydocker/c1", {}).status();
  EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
  EXPECT_NE(s.message().find("4242"), absl::string_view::npos) << s;

  // A process in a cgroup below counts too.
  Put("/mydocker/c1/cgroup.procs", "");
  Put("/mydocker/c1/sub/cgroup.procs", "77\n");
  s = Cgroup::Create(layout_, "/mydocker/c1", {}).status();
  EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
  EXPECT_TRUE(Exists("/mydocker/c1"));  // Not ours to remove.
}

TEST_F(FakeV2Test, PidsCoversTheSubtreeAndAddProcessWritesProcs) {
  Put("/mydocker/c1/cgroup.procs", "12\n7\n");
  Put("/mydocker/c1/sub/cgroup.procs", "9\n12\n");
  absl::StatusOr<Cgroup> cg = Cgroup::Open(layout_, "/mydocker/c1");
  ASSERT_TRUE(cg.ok()) << cg.status();
  absl::StatusOr<std::vector<pid_t>> pids = cg->Pids();
  ASSERT_TRUE(pids.ok()) << pids.status();
  EXPECT_EQ(*pids, (std::vector<pid_t>{7, 9, 12}));

  ASSERT_TRUE(cg->AddProcess(1234).ok());
  EXPECT_EQ(Get("/mydocker/c1/cgroup.procs"), "1234");

  Put("/mydocker/c1/cgroup.procs", "12\nnope\n");
  EXPECT_TRUE(absl::IsDataLoss(cg->Pids().status()));
}

TEST_F(FakeV2Test, OpenNeedsTheDirectory) {
  EXPECT_TRUE(Cgroup::Open(layout_, "/mydocker/c1").ok());
  EXPECT_TRUE(
      absl::IsNotFound(Cgroup::Open(layout_, "/mydocker/nope").status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(Cgroup::Open(layout_, "mydocker/c1").status()));
}

TEST_F(FakeV2Test, FailedCreateRemovesTheLeafItMade) {
  // A fresh directory in a fake tree has no interface files, so the first
  // resource write fails: the new leaf must go, the parents stay.
  Put("/mydocker/new/cgroup.controllers", kControllers);
  Put("/mydocker/new/cgroup.subtree_control", "");
  absl::Status s =
      Cgroup::Create(layout_, "/mydocker/new/c2", DockerLike()).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find("/mydocker/new/c2/memory.max"),
            absl::string_view::npos)
      << s;
  EXPECT_FALSE(Exists("/mydocker/new/c2"));
  EXPECT_TRUE(Exists("/mydocker/new"));

  // With nothing to write, it is made and kept.
  ASSERT_TRUE(Cgroup::Create(layout_, "/mydocker/new/c2", {}).ok());
  EXPECT_TRUE(Exists("/mydocker/new/c2"));
}

TEST_F(FakeV2Test, DeviceRulesNeedARealCgroup) {
  // The program is attached to the directory: a tmpfs one is refused (or,
  // unprivileged, the load is), and the error names the directory.
  spec::Resources r;
  r.devices.push_back(spec::DeviceCgroupRule{.allow = false,
                                             .type = "a",
                                             .major = std::nullopt,
                                             .minor = std::nullopt,
                                             .access = "rwm"});
  absl::Status s = Cgroup::Create(layout_, "/mydocker/c1", r).status();
  EXPECT_FALSE(s.ok());
  if (geteuid() == 0) {
    EXPECT_NE(s.message().find(root_ + "/mydocker/c1"), absl::string_view::npos)
        << s;
  }
  EXPECT_TRUE(Exists("/mydocker/c1"));  // It was there before: reused, kept.
}

TEST_F(FakeV2Test, KillAllAndDestroyOfAnEmptyCgroup) {
  absl::StatusOr<Cgroup> cg = Cgroup::Create(layout_, "/mydocker/c1", {});
  ASSERT_TRUE(cg.ok()) << cg.status();
  EXPECT_TRUE(cg->KillAll(SIGKILL).ok());
  EXPECT_EQ(Get("/mydocker/c1/cgroup.kill"), "");  // Nothing to kill.
  EXPECT_TRUE(SwapLimitSupported(layout_));
}

// A v1 memory hierarchy alone, from a kernel without swap accounting (no
// memory.memsw.*) and older than 4.13 (no oom_kill in oom_control).
class FakeV1Test : public FakeCgroupfsTest {
 protected:
  void SetUp() override {
    FakeCgroupfsTest::SetUp();
    layout_.version = Version::kV1;
    layout_.v1 = {Hierarchy{root_ + "/memory", "/", {"memory"}}};
    Put("/memory/mydocker/c1/cgroup.procs", "");
    Put("/memory/mydocker/c1/memory.limit_in_bytes", "9223372036854771712\n");
    Put("/memory/mydocker/c1/memory.soft_limit_in_bytes", "");
    Put("/memory/mydocker/c1/memory.oom_control",
        "oom_kill_disable 0\nunder_oom 0\n");
  }
};

TEST_F(FakeV1Test, SwapLimitWithoutSwapAccountingIsRefusedUpFront) {
  EXPECT_FALSE(SwapLimitSupported(layout_));
  spec::Resources r;
  r.memory.emplace();
  r.memory->limit = 64 << 20;
  r.memory->swap = 128 << 20;
  absl::Status s = Cgroup::Create(layout_, "/mydocker/c1", r).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find("memory.memsw.limit_in_bytes"),
            absl::string_view::npos)
      << s;
  EXPECT_NE(s.message().find("swapaccount=1"), absl::string_view::npos) << s;
  // Nothing was written before the refusal.
  EXPECT_EQ(Get("/memory/mydocker/c1/memory.limit_in_bytes"),
            "9223372036854771712\n");

  // Unlimited swap needs no accounting: skipped, the rest applied.
  r.memory->swap = -1;
  r.memory->disable_oom_killer = true;
  absl::StatusOr<Cgroup> cg = Cgroup::Create(layout_, "/mydocker/c1", r);
  ASSERT_TRUE(cg.ok()) << cg.status();
  EXPECT_EQ(Get("/memory/mydocker/c1/memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(Get("/memory/mydocker/c1/memory.oom_control"), "1");
  EXPECT_FALSE(Exists("/memory/mydocker/c1/memory.memsw.limit_in_bytes"));
}

TEST_F(FakeV1Test, OomKilledWithoutACounterSaysSo) {
  absl::StatusOr<Cgroup> cg = Cgroup::Open(layout_, "/mydocker/c1");
  ASSERT_TRUE(cg.ok()) << cg.status();
  absl::Status s = cg->OomKilled().status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find("oom_kill"), absl::string_view::npos) << s;
}

TEST_F(FakeV1Test, MissingHierarchyIsNamed) {
  absl::StatusOr<Cgroup> cg = Cgroup::Open(layout_, "/mydocker/c1");
  ASSERT_TRUE(cg.ok()) << cg.status();
  EXPECT_EQ(cg->DirFor("pids"), "");
  spec::Resources r;
  r.pids = spec::Pids{5};
  absl::Status s = cg->Update(r);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find("no pids hierarchy"), absl::string_view::npos)
      << s;
}

}  // namespace
}  // namespace mydocker::cgroup
