#include "lib/base/file_lock.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace mydocker::base {
namespace {

std::string TempPath(const char* name) {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string templ = std::string(tmp ? tmp : "/tmp") + "/lock_test.XXXXXX";
  EXPECT_NE(mkdtemp(templ.data()), nullptr);
  return templ + "/" + name;
}

TEST(FileLockTest, ExclusiveExcludesAndReleasesOnDestruction) {
  std::string p = TempPath("lock");
  {
    absl::StatusOr<FileLock> a = FileLock::Acquire(p, FileLock::kExclusive);
    ASSERT_TRUE(a.ok()) << a.status();
    absl::StatusOr<FileLock> b = FileLock::TryAcquire(p, FileLock::kExclusive);
    EXPECT_EQ(b.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_NE(b.status().message().find(p), std::string::npos);
    EXPECT_FALSE(FileLock::TryAcquire(p, FileLock::kShared).ok());
  }
  EXPECT_TRUE(FileLock::TryAcquire(p, FileLock::kExclusive).ok());
}

TEST(FileLockTest, SharedLocksCoexist) {
  std::string p = TempPath("lock");
  absl::StatusOr<FileLock> a = FileLock::Acquire(p, FileLock::kShared);
  absl::StatusOr<FileLock> b = FileLock::TryAcquire(p, FileLock::kShared);
  EXPECT_TRUE(a.ok());
  EXPECT_TRUE(b.ok());
  EXPECT_FALSE(FileLock::TryAcquire(p, FileLock::kExclusive).ok());
}

TEST(FileLockTest, AcquireWaitsForTheHolder) {
  std::string p = TempPath("lock");
  auto held = std::make_unique<FileLock>(
      *FileLock::Acquire(p, FileLock::kExclusive));
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    absl::StatusOr<FileLock> l = FileLock::Acquire(p, FileLock::kExclusive);
    got = l.ok();
  });
  usleep(100 * 1000);
  EXPECT_FALSE(got.load());  // Still blocked behind `held`.
  held.reset();
  waiter.join();
  EXPECT_TRUE(got.load());
}

TEST(FileLockTest, LockDiesWithItsProcess) {
  std::string p = TempPath("lock");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<FileLock> l = FileLock::Acquire(p, FileLock::kExclusive);
    char c = l.ok() ? 'y' : 'n';
    (void)!write(ready[1], &c, 1);
    pause();
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  EXPECT_FALSE(FileLock::TryAcquire(p, FileLock::kExclusive).ok());
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_TRUE(FileLock::TryAcquire(p, FileLock::kExclusive).ok());
  close(ready[0]);
  close(ready[1]);
}

TEST(FileLockTest, RefusesASymlinkedLockFile) {
  std::string p = TempPath("lock");
  ASSERT_EQ(symlink("/etc/passwd", p.c_str()), 0);
  EXPECT_FALSE(FileLock::Acquire(p, FileLock::kExclusive).ok());
}

}  // namespace
}  // namespace mydocker::base
