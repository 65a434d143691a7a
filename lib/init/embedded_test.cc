#include "lib/init/embedded.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"

namespace mydocker::init {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string BuiltInitPath() {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/",
                      workspace ? workspace : "mydocker",
                      "/lib/init/docker-init");
}

struct stat Stat(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st;
}

std::string Contents(const std::string& path) {
  absl::StatusOr<std::string> s = base::ReadFile(path, 16 << 20);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : "";
}

class EmbeddedTest : public testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    root_ = absl::StrCat(tmp ? tmp : "/tmp", "/embedded_test.XXXXXX");
    ASSERT_NE(mkdtemp(root_.data()), nullptr);
  }
  void TearDown() override { ASSERT_TRUE(base::RemoveAll(root_).ok()); }

  // Ensures and checks the result is the genuine file; returns its path.
  std::string EnsureAndCheck() {
    absl::StatusOr<std::string> path = EnsureInitBinary(root_);
    EXPECT_TRUE(path.ok()) << path.status();
    if (!path.ok()) return "";
    EXPECT_EQ(*path, root_ + "/mydocker/bin/docker-init");
    struct stat st = Stat(*path);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0555u);
    EXPECT_EQ(st.st_uid, geteuid());
    EXPECT_TRUE(Contents(*path) == built_) << "content differs";
    EXPECT_THAT(*base::ListDir(root_ + "/mydocker/bin"),
                ElementsAre("docker-init"));  // No temp file left.
    return *path;
  }

  std::string root_;
  const std::string built_ = Contents(BuiltInitPath());
};

TEST_F(EmbeddedTest, EmbedsTheBuiltBinary) {
  ASSERT_GT(built_.size(), 100000u);  // A static binary, not a stub.
  EXPECT_TRUE(EmbeddedInitBinary() == built_);
}

TEST_F(EmbeddedTest, WritesAnExecutableInit) {
  std::string path = EnsureAndCheck();
  EXPECT_EQ(Stat(root_ + "/mydocker/bin").st_mode & 07777, 0700u);

  pid_t pid = fork();
  if (pid == 0) {
    execl(path.c_str(), path.c_str(), "--", "sh", "-c", "exit 9", nullptr);
    _exit(99);
  }
  int status;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 9);
}

TEST_F(EmbeddedTest, LeavesACurrentFileAlone) {
  std::string path = EnsureAndCheck();
  struct stat before = Stat(path);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(EnsureAndCheck(), path);
  struct stat after = Stat(path);
  EXPECT_EQ(after.st_ino, before.st_ino);  // Not rewritten.
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
}

TEST_F(EmbeddedTest, ReplacesATamperedFileOfTheSameSize) {
  std::string path = EnsureAndCheck();
  ino_t first = Stat(path).st_ino;
  ASSERT_EQ(chmod(path.c_str(), 0755), 0);
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  char c = ~built_[built_.size() / 2];
  ASSERT_EQ(pwrite(fd, &c, 1, built_.size() / 2), 1);
  close(fd);
  ASSERT_EQ(chmod(path.c_str(), 0555), 0);
  ASSERT_EQ(Stat(path).st_size, static_cast<off_t>(built_.size()));

  EnsureAndCheck();
  EXPECT_NE(Stat(path).st_ino, first);  // A new file, renamed in.
}

TEST_F(EmbeddedTest, ReplacesATruncatedFile) {
  std::string path = EnsureAndCheck();
  ASSERT_EQ(truncate(path.c_str(), 100), 0);
  EnsureAndCheck();
}

TEST_F(EmbeddedTest, ReplacesAFileWithTheWrongMode) {
  std::string path = EnsureAndCheck();
  ASSERT_EQ(chmod(path.c_str(), 04755), 0);
  EnsureAndCheck();
}

TEST_F(EmbeddedTest, ReplacesASymlinkWithoutTouchingItsTarget) {
  ASSERT_TRUE(base::MakeDirs(root_ + "/mydocker/bin", 0700).ok());
  std::string target = root_ + "/target";
  ASSERT_TRUE(base::WriteFileAtomic(target, built_, 0555).ok());
  std::string path = root_ + "/mydocker/bin/docker-init";
  ASSERT_EQ(symlink(target.c_str(), path.c_str()), 0);

  EnsureAndCheck();
  EXPECT_TRUE(S_ISREG(Stat(path).st_mode));
  EXPECT_TRUE(Contents(target) == built_);
}

TEST_F(EmbeddedTest, FailsNamingThePath) {
  // <root>/mydocker is a file, so bin/ cannot be made.
  ASSERT_TRUE(base::WriteFileAtomic(root_ + "/mydocker", "x").ok());
  absl::StatusOr<std::string> path = EnsureInitBinary(root_);
  ASSERT_FALSE(path.ok());
  EXPECT_THAT(path.status().message(), HasSubstr(root_ + "/mydocker"));
}

// Not a benchmark: a guard that the hot path stays a compare, not a write.
TEST_F(EmbeddedTest, HotPathIsCheap) {
  ASSERT_TRUE(EnsureInitBinary(root_).ok());
  auto start = std::chrono::steady_clock::now();
  constexpr int kCalls = 100;
  for (int i = 0; i < kCalls; ++i) ASSERT_TRUE(EnsureInitBinary(root_).ok());
  auto per_call = (std::chrono::steady_clock::now() - start) / kCalls;
  // Typically ~0.1 ms; a generous bound for a loaded CI machine.
  EXPECT_LT(per_call, std::chrono::milliseconds(20));
  printf("EnsureInitBinary, file current: %lld us per call\n",
         static_cast<long long>(
             std::chrono::duration_cast<std::chrono::microseconds>(per_call)
                 .count()));
}

}  // namespace
}  // namespace mydocker::init
