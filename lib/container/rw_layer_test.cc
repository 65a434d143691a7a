#include "lib/container/rw_layer.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/container/layout.h"
#include "lib/container/testing.h"
#include "lib/layerdb/layer_store.h"
#include "lib/store/paths.h"

namespace mydocker::container {
namespace {

using ::testing::HasSubstr;
using testing::LayerFiles;
using testing::MakeImage;
using ::testing::MatchesRegex;
using testing::NewTempDir;
using ::testing::Not;
using testing::TestImage;
using testing::TreeListing;

constexpr char kId[] =
    "6c908a9b3600b862c1df71d8621e5d29b19bfccf4d19bea1ffa2485b100f3d1a";

std::string Read(const std::string& path) {
  absl::StatusOr<std::string> s = base::ReadFile(path);
  return s.ok() ? *s : "<" + std::string(s.status().message()) + ">";
}

std::string Link(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

// busybox-like: the base has the usual top-level dirs, the top one file.
const std::vector<LayerFiles> kBusybox = {
    {{"bin/sh", "#!"},
     {"dev/", ""},
     {"etc/", ""},
     {"proc/", ""},
     {"sys/", ""},
     {"etc/passwd", "root:x:0:0::/root:/bin/sh\n"}},
    {{"etc/os-release", "ID=test\n"}}};

TEST(RwLayerTest, LayoutIsDockerds) {
  std::string root = NewTempDir("rw");
  absl::StatusOr<TestImage> img = MakeImage(root, kBusybox);
  ASSERT_TRUE(img.ok()) << img.status();
  absl::StatusOr<RwLayer> l = CreateRwLayer(root, kId, img->chain_ids.back());
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_THAT(l->mount_id, MatchesRegex("[0-9a-f]{64}"));
  EXPECT_EQ(l->init_id, l->mount_id + "-init");

  const std::string ov = store::Overlay2Dir(root);
  const std::string top = absl::StrCat(ov, "/", img->cache_ids[1]);
  const std::string bottom = absl::StrCat(ov, "/", img->cache_ids[0]);
  const std::string init = absl::StrCat(ov, "/", l->init_id);
  const std::string rw = absl::StrCat(ov, "/", l->mount_id);

  // The init layer, as `find` showed dockerd's (§6.2).
  EXPECT_EQ(
      TreeListing(init),
      absl::StrJoin(
          {std::string("committed -0600 0:0 0"), std::string("diff d0755 0:0"),
           std::string("diff/.dockerenv -0755 0:0 0"),
           std::string("diff/dev d0755 0:0"),
           std::string("diff/dev/console -0755 0:0 0"),
           std::string("diff/dev/pts d0755 0:0"),
           std::string("diff/dev/shm d0755 0:0"),
           std::string("diff/etc d0755 0:0"),
           std::string("diff/etc/hostname -0755 0:0 0"),
           std::string("diff/etc/hosts -0755 0:0 0"),
           std::string("diff/etc/mtab l0777 0:0 -> /proc/mounts"),
           std::string("diff/etc/resolv.conf -0755 0:0 0"),
           std::string("link -0644 0:0 26"),
           absl::StrCat("lower -0644 0:0 ", Read(init + "/lower").size()),
           std::string("work d0700 0:0"), std::string("work/work d0000 0:0")},
          "\n"));
  const std::string top_link = Read(top + "/link");
  const std::string bottom_link = Read(bottom + "/link");
  EXPECT_EQ(Read(init + "/lower"),
            absl::StrCat("l/", top_link, ":l/", bottom_link));
  // The RW layer (§6.3): no committed, lower = init + the image's.
  EXPECT_EQ(
      TreeListing(rw),
      absl::StrJoin(
          {std::string("diff d0755 0:0"), std::string("link -0644 0:0 26"),
           absl::StrCat("lower -0644 0:0 ", Read(rw + "/lower").size()),
           std::string("work d0700 0:0"), std::string("work/work d0000 0:0")},
          "\n"));
  const std::string init_link = Read(init + "/link");
  const std::string rw_link = Read(rw + "/link");
  EXPECT_EQ(Read(rw + "/lower"),
            absl::StrCat("l/", init_link, ":l/", top_link, ":l/", bottom_link));
  EXPECT_EQ(Link(absl::StrCat(ov, "/l/", init_link)),
            absl::StrCat("../", l->init_id, "/diff"));
  EXPECT_EQ(Link(absl::StrCat(ov, "/l/", rw_link)),
            absl::StrCat("../", l->mount_id, "/diff"));
  // The image's top layer is marked as having a child.
  EXPECT_EQ(
      TreeListing(top),
      absl::StrCat("committed -0600 0:0 0\n", "diff d0755 0:0\n",
                   "diff/etc d0755 0:0\n", "diff/etc/os-release -0644 0:0 8\n",
                   "link -0644 0:0 26\n", "lower -0644 0:0 28\n",
                   "work d0700 0:0"));
  // layerdb/mounts/<id> (§6.1): no newlines.
  const std::string db = MountDbDir(root, kId);
  EXPECT_EQ(TreeListing(db),
            "init-id -0644 0:0 69\nmount-id -0644 0:0 64\n"
            "parent -0644 0:0 71");
  EXPECT_EQ(Read(db + "/mount-id"), l->mount_id);
  EXPECT_EQ(Read(db + "/init-id"), l->init_id);
  EXPECT_EQ(Read(db + "/parent"), img->chain_ids.back().str());
  struct stat st;
  ASSERT_EQ(stat(db.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);

  absl::StatusOr<RwLayer> got = GetRwLayer(root, kId);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->mount_id, l->mount_id);
  EXPECT_EQ(got->parent, img->chain_ids.back());

  absl::StatusOr<RootfsPaths> p = GetRootfsPaths(root, kId);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->lower_dirs,
            (std::vector<std::string>{absl::StrCat(ov, "/l/", init_link),
                                      absl::StrCat(ov, "/l/", top_link),
                                      absl::StrCat(ov, "/l/", bottom_link)}));
  EXPECT_EQ(p->lower_diff_dirs,
            (std::vector<std::string>{init + "/diff", top + "/diff",
                                      bottom + "/diff"}));
  EXPECT_EQ(p->upper_dir, rw + "/diff");
  EXPECT_EQ(p->work_dir, rw + "/work");
  EXPECT_EQ(p->merged_dir, rw + "/merged");
  std::string data = OverlayMountData(*p, false);
  EXPECT_THAT(data, HasSubstr(absl::StrCat("lowerdir=", ov, "/l/", init_link,
                                           ":", ov, "/l/", top_link)));
  EXPECT_THAT(data, HasSubstr(absl::StrCat(",upperdir=", rw,
                                           "/diff,workdir=", rw, "/work")));
  EXPECT_THAT(
      OverlayMountData(*p, true),
      HasSubstr(absl::StrCat("lowerdir=l/", init_link, ":l/", top_link, ":l/",
                             bottom_link, ",upperdir=", l->mount_id,
                             "/diff,workdir=", l->mount_id, "/work")));

  ASSERT_TRUE(RemoveRwLayer(root, kId).ok());
  EXPECT_FALSE(base::ReadFile(init + "/link").ok());
  EXPECT_FALSE(base::ReadFile(rw + "/link").ok());
  EXPECT_NE(lstat(absl::StrCat(ov, "/l/", init_link).c_str(), &st), 0);
  EXPECT_NE(lstat(absl::StrCat(ov, "/l/", rw_link).c_str(), &st), 0);
  EXPECT_NE(lstat(db.c_str(), &st), 0);
  EXPECT_TRUE(absl::IsNotFound(GetRwLayer(root, kId).status()));
  // Removing again is fine.
  EXPECT_TRUE(RemoveRwLayer(root, kId).ok());
}

TEST(RwLayerTest, InitLayerCopiesImageDirsAndFillsGaps) {
  std::string root = NewTempDir("rw");
  // No /proc, /sys, /dev; an /etc of its own mode and owner; an image
  // /etc/hosts that the init layer replaces.
  absl::StatusOr<TestImage> img =
      MakeImage(root, {{{"etc/hosts", "1.1.1.1 x\n"}}});
  ASSERT_TRUE(img.ok()) << img.status();
  const std::string etc = absl::StrCat(store::Overlay2Dir(root), "/",
                                       img->cache_ids[0], "/diff/etc");
  ASSERT_EQ(chmod(etc.c_str(), 0750), 0);
  ASSERT_EQ(chown(etc.c_str(), 7, 8), 0);
  absl::StatusOr<RwLayer> l = CreateRwLayer(root, kId, img->chain_ids.back());
  ASSERT_TRUE(l.ok()) << l.status();
  std::string diff =
      absl::StrCat(store::Overlay2Dir(root), "/", l->init_id, "/diff");
  std::string tree = TreeListing(diff);
  EXPECT_THAT(tree, HasSubstr("etc d0750 7:8\n"));
  EXPECT_THAT(tree, HasSubstr("etc/hosts -0755 0:0 0\n"));
  EXPECT_THAT(tree, HasSubstr("proc d0755 0:0\n"));
  EXPECT_THAT(tree, HasSubstr("sys d0755 0:0"));
  EXPECT_THAT(tree, HasSubstr("dev/pts d0755 0:0\n"));
}

TEST(RwLayerTest, ImageWithoutLayers) {
  std::string root = NewTempDir("rw");
  absl::StatusOr<RwLayer> l = CreateRwLayer(root, kId, std::nullopt);
  ASSERT_TRUE(l.ok()) << l.status();
  const std::string ov = store::Overlay2Dir(root);
  struct stat st;
  EXPECT_NE(stat(absl::StrCat(ov, "/", l->init_id, "/lower").c_str(), &st), 0);
  EXPECT_EQ(
      Read(absl::StrCat(ov, "/", l->mount_id, "/lower")),
      absl::StrCat("l/", Read(absl::StrCat(ov, "/", l->init_id, "/link"))));
  EXPECT_NE(stat(absl::StrCat(MountDbDir(root, kId), "/parent").c_str(), &st),
            0);
  absl::StatusOr<RootfsPaths> p = GetRootfsPaths(root, kId);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->lower_dirs.size(), 1u);
}

TEST(RwLayerTest, MissingParentLeavesNothing) {
  std::string root = NewTempDir("rw");
  absl::StatusOr<TestImage> img = MakeImage(root, kBusybox);
  ASSERT_TRUE(img.ok());
  std::string before = TreeListing(root);
  absl::StatusOr<RwLayer> l =
      CreateRwLayer(root, kId, digest::Digest::Of("no such layer"));
  EXPECT_TRUE(absl::IsNotFound(l.status())) << l.status();
  EXPECT_EQ(TreeListing(root), before);
}

// --- The overlay mount, as root, in a mount namespace of the test's own.

bool PrivateMountNamespace() {
  if (geteuid() != 0) return false;
  if (unshare(CLONE_NEWNS) < 0) return false;
  return mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
}

bool MountedAt(const std::string& path) {
  absl::StatusOr<std::string> info = base::ReadFile("/proc/self/mountinfo");
  if (!info.ok()) return false;
  for (absl::string_view line : absl::StrSplit(*info, '\n')) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    if (f.size() > 4 && f[4] == path) return true;
  }
  return false;
}

class MountTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { private_ns_ = PrivateMountNamespace(); }
  void SetUp() override {
    ASSERT_TRUE(private_ns_) << "needs root (CAP_SYS_ADMIN) for a private mount namespace";
  }
  static bool private_ns_;
};
bool MountTest::private_ns_ = false;

TEST_F(MountTest, MergedShowsImageAndInitLayerThenUnmountsClean) {
  std::string root = NewTempDir("mnt");
  absl::StatusOr<TestImage> img = MakeImage(root, kBusybox);
  ASSERT_TRUE(img.ok()) << img.status();
  ASSERT_TRUE(CreateRwLayer(root, kId, img->chain_ids.back()).ok());
  absl::StatusOr<RootfsPaths> p = GetRootfsPaths(root, kId);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(MountRootfs(*p).ok());
  EXPECT_TRUE(IsRootfsMounted(*p));
  EXPECT_TRUE(MountedAt(p->merged_dir));
  EXPECT_EQ(MountRootfs(*p).code(), absl::StatusCode::kFailedPrecondition);
  // A file of each image layer, and the init layer's.
  EXPECT_EQ(Read(p->merged_dir + "/etc/os-release"), "ID=test\n");
  EXPECT_EQ(Read(p->merged_dir + "/bin/sh"), "#!");
  EXPECT_EQ(Read(p->merged_dir + "/.dockerenv"), "");
  EXPECT_EQ(Link(p->merged_dir + "/etc/mtab"), "/proc/mounts");
  // Writes land in the RW layer.
  ASSERT_TRUE(base::WriteFileAtomic(p->merged_dir + "/new", "x", 0644).ok());
  EXPECT_EQ(Read(p->upper_dir + "/new"), "x");

  ASSERT_TRUE(UnmountRootfs(*p).ok());
  EXPECT_FALSE(MountedAt(p->merged_dir));
  struct stat st;
  EXPECT_NE(stat(p->merged_dir.c_str(), &st), 0);  // merged/ removed too.
  EXPECT_TRUE(UnmountRootfs(*p).ok());             // Idempotent.
  EXPECT_EQ(Read(p->upper_dir + "/new"), "x");
}

TEST_F(MountTest, VolatileUpperForContainersThatDieWithTheirLayer) {
  std::string root = NewTempDir("mnt");
  absl::StatusOr<TestImage> img = MakeImage(root, kBusybox);
  ASSERT_TRUE(img.ok()) << img.status();
  ASSERT_TRUE(CreateRwLayer(root, kId, img->chain_ids.back()).ok());
  absl::StatusOr<RootfsPaths> p = GetRootfsPaths(root, kId);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(absl::StartsWith(OverlayMountData(*p, false, true), "volatile,"));
  EXPECT_FALSE(absl::StrContains(OverlayMountData(*p, false, false), "volatile"));
  ASSERT_TRUE(MountRootfs(*p, /*volatile_upper=*/true).ok());
  std::string mountinfo = Read("/proc/self/mountinfo");
  EXPECT_TRUE(absl::StrContains(mountinfo, "volatile")) << mountinfo;
  ASSERT_TRUE(base::WriteFileAtomic(p->merged_dir + "/new", "x", 0644).ok());
  EXPECT_EQ(Read(p->upper_dir + "/new"), "x");
  ASSERT_TRUE(UnmountRootfs(*p).ok());
  EXPECT_FALSE(MountedAt(p->merged_dir));
}

TEST_F(MountTest, ManyLayersUseRelativePathsLikeDockerd) {
  // Enough layers that absolute lowerdirs overflow a page.
  std::string root = NewTempDir(std::string(60, 'p'));
  std::vector<LayerFiles> layers;
  const int n = 4096 / static_cast<int>(root.size() + 38) + 2;
  for (int i = 0; i < n; ++i) layers.push_back({{absl::StrCat("f", i), "x"}});
  absl::StatusOr<TestImage> img = MakeImage(root, layers);
  ASSERT_TRUE(img.ok()) << img.status();
  ASSERT_TRUE(CreateRwLayer(root, kId, img->chain_ids.back()).ok());
  absl::StatusOr<RootfsPaths> p = GetRootfsPaths(root, kId);
  ASSERT_TRUE(p.ok());
  ASSERT_GT(OverlayMountData(*p, false).size(), 4095u);
  char cwd_before[4096];
  ASSERT_NE(getcwd(cwd_before, sizeof(cwd_before)), nullptr);
  absl::Status s = MountRootfs(*p);
  ASSERT_TRUE(s.ok()) << s;
  char cwd_after[4096];
  ASSERT_NE(getcwd(cwd_after, sizeof(cwd_after)), nullptr);
  EXPECT_STREQ(cwd_before, cwd_after);
  EXPECT_EQ(Read(p->merged_dir + "/f0"), "x");
  EXPECT_EQ(Read(absl::StrCat(p->merged_dir, "/f", n - 1)), "x");
  ASSERT_TRUE(UnmountRootfs(*p).ok());
  EXPECT_FALSE(MountedAt(p->merged_dir));
}

TEST_F(MountTest, RemoveUnmountsFirst) {
  std::string root = NewTempDir("mnt");
  absl::StatusOr<TestImage> img = MakeImage(root, kBusybox);
  ASSERT_TRUE(img.ok());
  ASSERT_TRUE(CreateRwLayer(root, kId, img->chain_ids.back()).ok());
  absl::StatusOr<RootfsPaths> p = GetRootfsPaths(root, kId);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(MountRootfs(*p).ok());
  ASSERT_TRUE(RemoveRwLayer(root, kId).ok());
  EXPECT_FALSE(MountedAt(p->merged_dir));
  // The image is untouched.
  EXPECT_EQ(Read(absl::StrCat(store::Overlay2Dir(root), "/", img->cache_ids[1],
                              "/diff/etc/os-release")),
            "ID=test\n");
}

}  // namespace
}  // namespace mydocker::container
