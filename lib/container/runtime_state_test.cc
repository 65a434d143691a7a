#include "lib/container/runtime_state.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/container/layout.h"
#include "lib/container/testing.h"

namespace mydocker::container {
namespace {

using testing::NewTempDir;

constexpr char kId[] =
    "6c908a9b3600b862c1df71d8621e5d29b19bfccf4d19bea1ffa2485b100f3d1a";

// A fake /proc: <pid>/stat files and a boot id.
class FakeHost {
 public:
  FakeHost() : dir_(NewTempDir("proc")) {
    probe_.proc_dir = dir_;
    probe_.boot_id_path = dir_ + "/boot_id";
    SetBootId("8c3a2b1d-0000-4000-8000-000000000001");
  }
  void SetBootId(const std::string& id) {
    ASSERT_TRUE(base::WriteFileAtomic(probe_.boot_id_path, id + "\n").ok());
  }
  void AddProcess(int pid, char state, uint64_t start) {
    ASSERT_TRUE(base::MakeDirs(absl::StrCat(dir_, "/", pid)).ok());
    // The command name may hold spaces and parentheses.
    std::string stat =
        absl::StrCat(pid, " (my (odd) cmd) ", std::string(1, state),
                     " 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 ", start,
                     " 1234567 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 "
                     "17 3 0 0 0 0 0\n");
    ASSERT_TRUE(
        base::WriteFileAtomic(absl::StrCat(dir_, "/", pid, "/stat"), stat)
            .ok());
  }
  void Kill(int pid) {
    ASSERT_TRUE(base::RemoveAll(absl::StrCat(dir_, "/", pid)).ok());
  }
  const HostProbe& probe() const { return probe_; }

 private:
  std::string dir_;
  HostProbe probe_;
};

TEST(ProcStatTest, ReadsStateAndStartTime) {
  FakeHost host;
  host.AddProcess(42, 'S', 123456);
  absl::StatusOr<ProcStat> st = ReadProcStat(42, host.probe());
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->start_time, 123456u);
  EXPECT_TRUE(absl::IsNotFound(ReadProcStat(43, host.probe()).status()));
  EXPECT_TRUE(absl::IsNotFound(ReadProcStat(0, host.probe()).status()));
  // The real /proc: this process.
  absl::StatusOr<ProcStat> self = ReadProcStat(getpid(), HostProbe{});
  ASSERT_TRUE(self.ok()) << self.status();
  EXPECT_EQ(self->state, 'R');
  EXPECT_GT(self->start_time, 0u);
  EXPECT_TRUE(ReadBootId(HostProbe{}).ok());
}

TEST(RuntimeStateTest, WriteReadRemove) {
  std::string root = NewTempDir("state");
  RuntimeState s{812, 4711, 815, 4720, "boot"};
  ASSERT_TRUE(WriteRuntimeState(root, kId, s).ok());
  EXPECT_EQ(*base::ReadFile(StateJsonPath(root, kId)),
            "{\"MonitorPid\":812,\"MonitorStartTime\":4711,\"Pid\":815,"
            "\"PidStartTime\":4720,\"BootId\":\"boot\"}\n");
  absl::StatusOr<RuntimeState> r = ReadRuntimeState(root, kId);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pid, 815);
  EXPECT_EQ(r->monitor_start_time, 4711u);
  EXPECT_EQ(r->boot_id, "boot");
  ASSERT_TRUE(
      base::WriteFileAtomic(StateJsonPath(root, kId), "{\"Pid\":1}").ok());
  EXPECT_EQ(ReadRuntimeState(root, kId).status().code(),
            absl::StatusCode::kDataLoss);
  ASSERT_TRUE(RemoveRuntimeState(root, kId).ok());
  EXPECT_TRUE(absl::IsNotFound(ReadRuntimeState(root, kId).status()));
  EXPECT_TRUE(RemoveRuntimeState(root, kId).ok());
}

TEST(RuntimeStateTest, ProbeRecordsTheLiveProcesses) {
  FakeHost host;
  host.AddProcess(10, 'S', 500);
  host.AddProcess(11, 'S', 501);
  absl::StatusOr<RuntimeState> s = ProbeRuntimeState(10, 11, host.probe());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->monitor_start_time, 500u);
  EXPECT_EQ(s->pid_start_time, 501u);
  EXPECT_EQ(s->boot_id, "8c3a2b1d-0000-4000-8000-000000000001");
  EXPECT_FALSE(ProbeRuntimeState(10, 12, host.probe()).ok());
}

TEST(JudgeTest, Verdicts) {
  FakeHost host;
  host.AddProcess(10, 'S', 500);  // Monitor.
  host.AddProcess(11, 'S', 501);  // Container init.
  absl::StatusOr<RuntimeState> s = ProbeRuntimeState(10, 11, host.probe());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Judge(*s, host.probe()), Liveness::kAlive);
  // The init exited, the monitor is about to record it: still alive.
  host.Kill(11);
  EXPECT_EQ(Judge(*s, host.probe()), Liveness::kAlive);
  // Monitor gone too.
  host.Kill(10);
  EXPECT_EQ(Judge(*s, host.probe()), Liveness::kGone);
  // Monitor gone, init alive: orphaned.
  host.AddProcess(11, 'S', 501);
  EXPECT_EQ(Judge(*s, host.probe()), Liveness::kOrphaned);
  // The init's pid reused by another process (other start time): gone.
  host.AddProcess(11, 'S', 9999);
  EXPECT_EQ(Judge(*s, host.probe()), Liveness::kGone);
  // The monitor's pid reused, the init a zombie: gone.
  host.AddProcess(10, 'S', 8888);
  host.AddProcess(11, 'Z', 501);
  EXPECT_EQ(Judge(*s, host.probe()), Liveness::kGone);
  // Everything in place, but after a reboot.
  host.AddProcess(10, 'S', 500);
  host.AddProcess(11, 'S', 501);
  EXPECT_EQ(Judge(*s, host.probe()), Liveness::kAlive);
  host.SetBootId("8c3a2b1d-0000-4000-8000-000000000002");
  EXPECT_EQ(Judge(*s, host.probe()), Liveness::kRebooted);
  // No record.
  EXPECT_EQ(Judge(absl::NotFoundError("x"), host.probe()), Liveness::kNoRecord);
}

}  // namespace
}  // namespace mydocker::container
