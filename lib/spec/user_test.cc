#include "lib/spec/user.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/base/unique_fd.h"

namespace mydocker::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kPasswd[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "  nginx:x:101:101:nginx user:/var/cache/nginx:/sbin/nologin  \n"
    "\n"
    "alice:x:1000:1000:Alice:/home/alice:/bin/sh\r\n"
    "1234:x:2000:2000::/home/numeric:/bin/sh\n"
    "broken:x:notanumber:7\n"
    "alice2:x:1000:1000:Alice again:/home/alice2:/bin/sh\n"
    "short\n";

constexpr char kGroup[] =
    "root:x:0:\n"
    "daemon:x:1:\n"
    "wheel:x:10:alice,bob\n"
    "nginx:x:101:\n"
    "alice:x:1000:\n"
    "docker:x:999:bob,alice\n"
    "5000:x:42:\n"
    "audio:x:29:nginx\n";

ExecUser Resolve(const char* spec) {
  absl::StatusOr<ExecUser> u =
      ResolveUserFromFiles(spec, std::string(kPasswd), std::string(kGroup));
  EXPECT_TRUE(u.ok()) << spec << ": " << u.status();
  return u.ok() ? *u : ExecUser{};
}

TEST(ResolveUserTest, EmptyIsRootsEntry) {
  ExecUser u = Resolve("");
  EXPECT_EQ(u.uid, 0u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_THAT(u.sgids, IsEmpty());
  EXPECT_EQ(u.home, "/root");
}

TEST(ResolveUserTest, NameGivesItsIdsAndSupplementaryGroups) {
  ExecUser u = Resolve("alice");
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 1000u);
  EXPECT_THAT(u.sgids, ElementsAre(10u, 999u));
  EXPECT_EQ(u.home, "/home/alice");
  // Passwd lines are trimmed.
  u = Resolve("nginx");
  EXPECT_EQ(u.uid, 101u);
  EXPECT_THAT(u.sgids, ElementsAre(29u));
  EXPECT_EQ(u.home, "/var/cache/nginx");
}

TEST(ResolveUserTest, NumericUidIsAlwaysAUid) {
  ExecUser u = Resolve("1000");
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 1000u);
  EXPECT_THAT(u.sgids, ElementsAre(10u, 999u));  // Its entry is alice's.
  // "1234" is a user name in the file, but a number is a uid.
  u = Resolve("1234");
  EXPECT_EQ(u.uid, 1234u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_EQ(u.home, "/");
}

TEST(ResolveUserTest, UnknownUidIsFineWithGidZero) {
  ExecUser u = Resolve("4242");
  EXPECT_EQ(u.uid, 4242u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_THAT(u.sgids, IsEmpty());
  EXPECT_EQ(u.home, "/");
  u = Resolve("4242:4343");
  EXPECT_EQ(u.uid, 4242u);
  EXPECT_EQ(u.gid, 4343u);
}

TEST(ResolveUserTest, ExplicitGroupReplacesGidAndSupplementaryGroups) {
  ExecUser u = Resolve("alice:docker");
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 999u);
  EXPECT_THAT(u.sgids, IsEmpty());
  u = Resolve("alice:0");
  EXPECT_EQ(u.gid, 0u);
  u = Resolve("1000:wheel");
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 10u);
  // A numeric group is a gid, even though a group is named "5000".
  u = Resolve("alice:5000");
  EXPECT_EQ(u.gid, 5000u);
  // Anything after a second colon is ignored.
  u = Resolve("alice:wheel:junk");
  EXPECT_EQ(u.gid, 10u);
}

TEST(ResolveUserTest, GroupOnlyIsRootWithThatGroup) {
  ExecUser u = Resolve(":docker");
  EXPECT_EQ(u.uid, 0u);
  EXPECT_EQ(u.gid, 999u);
  EXPECT_EQ(u.home, "/root");
  u = Resolve(":77");
  EXPECT_EQ(u.gid, 77u);
}

TEST(ResolveUserTest, FirstMatchWins) {
  // alice2 has alice's uid: by uid, alice's entry comes first.
  ExecUser u = Resolve("alice2");
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.home, "/home/alice");  // HOME is found by uid, as runc does.
}

TEST(ResolveUserTest, MisbehavingLinesReadAsZero) {
  // "broken:x:notanumber:7" has uid 0, which runc reads the same way; it
  // comes after root, so root's entry still wins for "".
  ExecUser u = Resolve("broken");
  EXPECT_EQ(u.uid, 0u);
  EXPECT_EQ(u.gid, 7u);
  u = Resolve("short");
  EXPECT_EQ(u.uid, 0u);
  EXPECT_EQ(u.gid, 0u);
}

TEST(ResolveUserTest, Errors) {
  absl::StatusOr<ExecUser> u =
      ResolveUserFromFiles("xyz", std::string(kPasswd), std::string(kGroup));
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(u.status().message(),
            "unable to find user xyz: no matching entries in passwd file");

  u = ResolveUserFromFiles("alice:nogroup", std::string(kPasswd),
                           std::string(kGroup));
  EXPECT_EQ(u.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(u.status().message(),
            "unable to find group nogroup: no matching entries in group file");

  for (const char* spec : {"-1", "2147483648", "0:-5", "1:4294967296"}) {
    u = ResolveUserFromFiles(spec, std::string(kPasswd), std::string(kGroup));
    ASSERT_FALSE(u.ok()) << spec;
    EXPECT_EQ(u.status().code(), absl::StatusCode::kInvalidArgument) << spec;
    EXPECT_EQ(u.status().message(),
              "uids and gids must be in range 0-2147483647");
  }
  // A uid in the image's own file beyond uint32 is refused, not truncated.
  u = ResolveUserFromFiles("big", std::string("big:x:4294967296:0::/:/\n"),
                           std::nullopt);
  EXPECT_EQ(u.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ResolveUserTest, NoFiles) {
  absl::StatusOr<ExecUser> u =
      ResolveUserFromFiles("1000:1000", std::nullopt, std::nullopt);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_EQ(u->gid, 1000u);
  u = ResolveUserFromFiles("", std::nullopt, std::nullopt);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 0u);
  EXPECT_EQ(u->home, "/");
  u = ResolveUserFromFiles("root", std::nullopt, std::nullopt);
  EXPECT_EQ(u.status().message(),
            "unable to find user root: no matching entries in passwd file");
}

TEST(ResolveGroupsTest, NamesAndNumbers) {
  absl::StatusOr<std::vector<uint32_t>> g = ResolveGroupsFromFile(
      {"wheel", "999", "12345", "audio", "10", "5000"}, std::string(kGroup));
  ASSERT_TRUE(g.ok()) << g.status();
  // "5000" names the group with gid 42 (runc matches the name first).
  EXPECT_THAT(*g, ElementsAre(10u, 999u, 12345u, 29u, 42u));
  EXPECT_EQ(
      ResolveGroupsFromFile({"nosuch"}, std::string(kGroup)).status().message(),
      "Unable to find group nosuch");
  g = ResolveGroupsFromFile({"7"}, std::nullopt);
  ASSERT_TRUE(g.ok());
  EXPECT_THAT(*g, ElementsAre(7u));
}

// A container rootfs in a temp dir, and a "host" file outside it.
class RootfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ = std::string(tmp ? tmp : "/tmp") + "/user_test.XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    root_ = dir_ + "/rootfs";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir((root_ + "/etc").c_str(), 0755), 0);
    // What a hostile image would like to read: the host's secrets.
    ASSERT_EQ(mkdir((dir_ + "/host").c_str(), 0755), 0);
    Write(dir_ + "/host/shadow", "evil:x:0:0:host secret:/:/bin/sh\n");
  }
  void TearDown() override { (void)base::RemoveAll(dir_); }

  void Write(const std::string& path, const std::string& data) {
    ASSERT_TRUE(base::WriteFileAtomic(path, data, 0644).ok()) << path;
  }
  absl::StatusOr<ExecUser> ResolveIn(const char* spec) {
    return ResolveUser(root_, spec);
  }

  std::string dir_;
  std::string root_;
};

TEST_F(RootfsTest, ReadsTheContainersFiles) {
  Write(root_ + "/etc/passwd", kPasswd);
  Write(root_ + "/etc/group", kGroup);
  absl::StatusOr<ExecUser> u = ResolveIn("alice");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_THAT(u->sgids, ElementsAre(10u, 999u));

  int fd = open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  base::UniqueFd root(fd);
  absl::StatusOr<std::vector<uint32_t>> g =
      ResolveGroups(root.get(), {"docker", "3"});
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_THAT(*g, ElementsAre(999u, 3u));
}

TEST_F(RootfsTest, NoEtcFilesNumericUserIsFine) {
  ASSERT_EQ(rmdir((root_ + "/etc").c_str()), 0);
  absl::StatusOr<ExecUser> u = ResolveIn("1000:1000");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_EQ(ResolveIn("alice").status().code(), absl::StatusCode::kNotFound);
  // /etc being a file is "no passwd file" too.
  Write(root_ + "/etc", "not a directory");
  EXPECT_TRUE(ResolveIn("5").ok());
}

TEST_F(RootfsTest, AbsoluteSymlinkOutOfTheRootStaysInside) {
  // etc/passwd -> <host path of the secret>: resolved inside the rootfs,
  // where that path does not exist, so there is no passwd file at all.
  ASSERT_EQ(
      symlink((dir_ + "/host/shadow").c_str(), (root_ + "/etc/passwd").c_str()),
      0);
  absl::StatusOr<ExecUser> u = ResolveIn("evil");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().message(),
            "unable to find user evil: no matching entries in passwd file");
}

TEST_F(RootfsTest, DotDotSymlinkIsClampedAtTheRoot) {
  ASSERT_EQ(
      symlink("../../../../../../host/shadow", (root_ + "/etc/passwd").c_str()),
      0);
  EXPECT_EQ(ResolveIn("evil").status().code(), absl::StatusCode::kNotFound);
  // Had it escaped, ../host/shadow from the rootfs would have been found.
  ASSERT_EQ(unlink((root_ + "/etc/passwd").c_str()), 0);
  ASSERT_EQ(symlink("../../host/shadow", (root_ + "/etc/passwd").c_str()), 0);
  EXPECT_EQ(ResolveIn("evil").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RootfsTest, SymlinkToAFileInsideTheRootIsFollowed) {
  // The same absolute target, but the image has a file there.
  ASSERT_EQ(mkdir((root_ + "/lib").c_str(), 0755), 0);
  Write(root_ + "/lib/passwd.real", "inner:x:77:78::/inner:/bin/sh\n");
  ASSERT_EQ(symlink("/lib/passwd.real", (root_ + "/etc/passwd").c_str()), 0);
  absl::StatusOr<ExecUser> u = ResolveIn("inner");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->uid, 77u);
  EXPECT_EQ(u->gid, 78u);
  EXPECT_EQ(u->home, "/inner");
  // A symlinked /etc directory resolves inside the root too.
  ASSERT_EQ(unlink((root_ + "/etc/passwd").c_str()), 0);
  ASSERT_EQ(rmdir((root_ + "/etc").c_str()), 0);
  ASSERT_EQ(mkdir((root_ + "/real-etc").c_str(), 0755), 0);
  Write(root_ + "/real-etc/passwd", "viaetc:x:5:5::/:/\n");
  ASSERT_EQ(symlink("/real-etc", (root_ + "/etc").c_str()), 0);
  u = ResolveIn("viaetc");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->uid, 5u);
}

TEST_F(RootfsTest, ProcMagicLinkPathDoesNotLeaveTheRoot) {
  ASSERT_EQ(
      symlink("/proc/self/root/etc/passwd", (root_ + "/etc/passwd").c_str()),
      0);
  // /proc inside the rootfs is just an (absent) directory of the image.
  EXPECT_EQ(ResolveIn("root").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RootfsTest, FifoIsRefusedWithoutBlocking) {
  Write(root_ + "/etc/passwd", kPasswd);
  ASSERT_EQ(mkfifo((root_ + "/etc/group").c_str(), 0644), 0);
  // No writer will ever open the FIFO: a blocking open would hang here.
  absl::StatusOr<ExecUser> u = ResolveIn("alice");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(u.status().message(),
            "etc/group in the container is not a regular file");
}

TEST_F(RootfsTest, DirectoryAndDeviceAreRefused) {
  ASSERT_EQ(mkdir((root_ + "/etc/passwd").c_str(), 0755), 0);
  EXPECT_EQ(ResolveIn("1").status().message(),
            "etc/passwd in the container is not a regular file");
  ASSERT_EQ(rmdir((root_ + "/etc/passwd").c_str()), 0);
  // A symlink to a host device resolves inside the root: not found there.
  ASSERT_EQ(symlink("/dev/zero", (root_ + "/etc/passwd").c_str()), 0);
  EXPECT_TRUE(ResolveIn("1").ok());
}

TEST_F(RootfsTest, HugeFileIsRefused) {
  Write(root_ + "/etc/passwd", std::string(kMaxUserFileBytes + 1, '#'));
  absl::StatusOr<ExecUser> u = ResolveIn("1");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(u.status().message(),
            "etc/passwd in the container is larger than the limit of 1048576 "
            "bytes");
  // Exactly at the limit is fine.
  Write(root_ + "/etc/passwd", std::string(kMaxUserFileBytes, '\n'));
  EXPECT_TRUE(ResolveIn("1").ok());
}

TEST_F(RootfsTest, ReadFileInRootReportsAbsence) {
  int fd = open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  base::UniqueFd root(fd);
  absl::StatusOr<std::optional<std::string>> f =
      ReadFileInRoot(root.get(), "etc/nothing");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_FALSE(f->has_value());
  Write(root_ + "/etc/x", "data");
  f = ReadFileInRoot(root.get(), "etc/x");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(**f, "data");
  f = ReadFileInRoot(root.get(), "etc/x", /*max_bytes=*/3);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RootfsTest, MissingRootfs) {
  absl::StatusOr<ExecUser> u = ResolveUser(dir_ + "/nope", "root");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(u.status().message()),
              ::testing::HasSubstr(dir_ + "/nope"));
}

}  // namespace
}  // namespace mydocker::spec
