#include "lib/base/file.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace mydocker::base {
namespace {

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ = std::string(tmp ? tmp : "/tmp") + "/file_test.XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }

  std::vector<std::string> List() {
    std::vector<std::string> names;
    DIR* d = opendir(dir_.c_str());
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
    return names;
  }

  std::string dir_;
};

TEST_F(FileTest, WriteAtomicThenRead) {
  std::string p = dir_ + "/rec.json";
  ASSERT_TRUE(WriteFileAtomic(p, "first", 0600).ok());
  ASSERT_TRUE(WriteFileAtomic(p, "second", 0640).ok());
  absl::StatusOr<std::string> got = ReadFile(p);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "second");
  struct stat st;
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);  // Exactly the mode, umask or not.
  EXPECT_EQ(List(), std::vector<std::string>{"rec.json"});  // No temp left.
}

TEST_F(FileTest, WriteAtomicFailureLeavesOldFileAndNoTemp) {
  std::string p = dir_ + "/rec";
  ASSERT_TRUE(WriteFileAtomic(p, "old").ok());
  // Renaming a file over a non-empty directory fails: the old target stays.
  std::string d = dir_ + "/sub";
  ASSERT_EQ(mkdir(d.c_str(), 0755), 0);
  ASSERT_TRUE(WriteFileAtomic(d + "/x", "x").ok());
  absl::Status s = WriteFileAtomic(d, "new");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(d), std::string::npos) << s;
  EXPECT_EQ(*ReadFile(p), "old");
  std::vector<std::string> names = List();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"rec", "sub"}));
}

TEST_F(FileTest, AtomicFilesAppearOnlyAtCommit) {
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/b", "old b").ok());
  AtomicFiles files;
  ASSERT_TRUE(files.Stage(dir_ + "/a", "new a", 0600).ok());
  ASSERT_TRUE(files.Stage(dir_ + "/b", "new b", 0640).ok());
  // Staged: two hidden temp files, the old content still in place.
  std::vector<std::string> names = List();
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(std::count_if(names.begin(), names.end(),
                          [](const std::string& n) { return n[0] == '.'; }),
            2);
  EXPECT_EQ(*ReadFile(dir_ + "/b"), "old b");
  EXPECT_FALSE(ReadFile(dir_ + "/a").ok());

  ASSERT_TRUE(files.Commit().ok());
  EXPECT_EQ(*ReadFile(dir_ + "/a"), "new a");
  EXPECT_EQ(*ReadFile(dir_ + "/b"), "new b");
  struct stat st;
  ASSERT_EQ(stat((dir_ + "/b").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  names = List();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
}

TEST_F(FileTest, AtomicFilesNotCommittedLeaveNothing) {
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/b", "old b").ok());
  {
    AtomicFiles files;
    ASSERT_TRUE(files.Stage(dir_ + "/a", "new a").ok());
    ASSERT_TRUE(files.Stage(dir_ + "/b", "new b").ok());
  }
  EXPECT_EQ(List(), std::vector<std::string>{"b"});
  EXPECT_EQ(*ReadFile(dir_ + "/b"), "old b");
  // Staging in a missing directory fails and stages nothing.
  AtomicFiles files;
  EXPECT_TRUE(absl::IsNotFound(files.Stage(dir_ + "/nope/a", "x")));
  EXPECT_TRUE(files.Commit().ok());
  EXPECT_EQ(List(), std::vector<std::string>{"b"});
}

TEST_F(FileTest, WriteAtomicInMissingDirIsNotFound) {
  absl::Status s = WriteFileAtomic(dir_ + "/nope/rec", "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
}

TEST_F(FileTest, ReadFileEnforcesTheLimit) {
  std::string p = dir_ + "/big";
  ASSERT_TRUE(WriteFileAtomic(p, std::string(100, 'a')).ok());
  EXPECT_TRUE(ReadFile(p, 100).ok());
  absl::StatusOr<std::string> r = ReadFile(p, 99);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find(p), std::string::npos);
}

TEST_F(FileTest, ReadFileErrors) {
  EXPECT_EQ(ReadFile(dir_ + "/missing").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadFile(dir_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadFile("/dev/zero").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FileTest, MakeDirs) {
  std::string p = dir_ + "/a/b/c";
  ASSERT_TRUE(MakeDirs(p, 0700).ok());
  struct stat st;
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_TRUE(MakeDirs(p).ok());  // Idempotent.
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/f", "").ok());
  EXPECT_EQ(MakeDirs(dir_ + "/f/g").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(FileTest, RemoveAllRemovesTreesButNeverFollowsSymlinks) {
  std::string keep = dir_ + "/keep";
  ASSERT_TRUE(MakeDirs(keep + "/inner").ok());
  ASSERT_TRUE(WriteFileAtomic(keep + "/inner/file", "precious").ok());
  std::string tree = dir_ + "/tree";
  ASSERT_TRUE(MakeDirs(tree + "/a/b/c").ok());
  ASSERT_TRUE(WriteFileAtomic(tree + "/a/b/c/f", "x").ok());
  ASSERT_TRUE(WriteFileAtomic(tree + "/top", "x").ok());
  ASSERT_EQ(symlink(keep.c_str(), (tree + "/a/link").c_str()), 0);
  ASSERT_EQ(symlink("/nonexistent", (tree + "/dangling").c_str()), 0);
  ASSERT_TRUE(RemoveAll(tree).ok());
  struct stat st;
  EXPECT_NE(lstat(tree.c_str(), &st), 0);
  EXPECT_EQ(*ReadFile(keep + "/inner/file"), "precious");
  EXPECT_TRUE(RemoveAll(tree).ok());  // Already gone.
  // A symlink given as the path itself is removed, not followed.
  ASSERT_EQ(symlink(keep.c_str(), (dir_ + "/l").c_str()), 0);
  ASSERT_TRUE(RemoveAll(dir_ + "/l").ok());
  EXPECT_EQ(*ReadFile(keep + "/inner/file"), "precious");
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/plain", "x").ok());
  ASSERT_TRUE(RemoveAll(dir_ + "/plain").ok());
  EXPECT_NE(lstat((dir_ + "/plain").c_str(), &st), 0);
}

TEST(PathTest, DirnameAndBasename) {
  EXPECT_EQ(Dirname("/a/b/c"), "/a/b");
  EXPECT_EQ(Dirname("/a/b/"), "/a");
  EXPECT_EQ(Dirname("/a"), "/");
  EXPECT_EQ(Dirname("a"), ".");
  EXPECT_EQ(Dirname("/"), "/");
  EXPECT_EQ(Basename("/a/b/c"), "c");
  EXPECT_EQ(Basename("/a/b/"), "b");
  EXPECT_EQ(Basename("c"), "c");
  EXPECT_EQ(Basename("/"), "/");
}

}  // namespace
}  // namespace mydocker::base
