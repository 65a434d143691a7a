#include "lib/container/rw_layer.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/base/file_lock.h"
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

// --- Spares: the layers of a --rm container, kept for the next one.

constexpr char kId2[] =
    "0b1f2e3d4c5b6a79880706f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e3d2c1b";
constexpr char kId3[] =
    "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9";

class SparesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = NewTempDir("spares");
    absl::StatusOr<TestImage> img = MakeImage(root_, kBusybox);
    ASSERT_TRUE(img.ok()) << img.status();
    img_.emplace(*img);
    ov_ = store::Overlay2Dir(root_);
  }

  std::string Spares() const {
    return absl::StrCat(store::SparesDir(root_), "/", img_->chain_ids.back().hex());
  }
  std::vector<std::string> Kept() const {
    absl::StatusOr<std::vector<std::string>> k = base::ListDir(Spares());
    return k.ok() ? *k : std::vector<std::string>{};
  }
  std::vector<std::string> Overlay2() const { return *base::ListDir(ov_); }

  // Container `id`'s layers, as its exit leaves them: its record moved out
  // of layerdb/mounts (Store::RemoveExitedLocked), and overlayfs'
  // "volatile" leftovers in the work directory.
  std::string Exited(const std::string& id, const RwLayer& l) {
    const std::string work = absl::StrCat(ov_, "/", l.mount_id, "/work/work");
    EXPECT_TRUE(base::MakeDirs(work + "/incompat/volatile", 0700).ok());
    EXPECT_TRUE(
        base::WriteFileAtomic(work + "/incompat/volatile/dirty", "", 0600).ok());
    std::string to = absl::StrCat(root_, "/exited-", id);
    EXPECT_EQ(rename(MountDbDir(root_, id).c_str(), to.c_str()), 0);
    return to;
  }

  std::string root_;
  std::string ov_;
  std::optional<TestImage> img_;
};

TEST_F(SparesTest, PristineLayersServeTheNextContainerOnTheImage) {
  absl::StatusOr<RwLayer> first = CreateRwLayer(root_, kId, img_->chain_ids.back());
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string rw = absl::StrCat(ov_, "/", first->mount_id);
  const std::string init = absl::StrCat(ov_, "/", first->init_id);
  const std::string rw_tree = TreeListing(rw);
  const std::string init_tree = TreeListing(init);
  const std::string db = Exited(kId, *first);

  ASSERT_TRUE(KeepOrRemoveRwLayerRecordedIn(root_, db, kId).ok());
  // The record is the image's spare now; the layers are as they were made,
  // without volatile's leftovers.
  struct stat st;
  EXPECT_NE(lstat(db.c_str(), &st), 0);
  EXPECT_EQ(Kept(), std::vector<std::string>{first->mount_id});
  EXPECT_EQ(TreeListing(rw), rw_tree);
  EXPECT_EQ(TreeListing(init), init_tree);

  // The next container on the image takes them: no layer made.
  const std::vector<std::string> dirs = Overlay2();
  const std::string links = TreeListing(ov_ + "/l");
  absl::StatusOr<RwLayer> second = CreateRwLayer(root_, kId2, img_->chain_ids.back());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->mount_id, first->mount_id);
  EXPECT_EQ(second->init_id, first->init_id);
  EXPECT_EQ(second->parent, img_->chain_ids.back());
  EXPECT_EQ(Overlay2(), dirs);
  EXPECT_EQ(TreeListing(ov_ + "/l"), links);
  EXPECT_TRUE(Kept().empty());
  EXPECT_EQ(Read(MountDbDir(root_, kId2) + "/mount-id"), first->mount_id);
  EXPECT_EQ(Read(MountDbDir(root_, kId2) + "/parent"), img_->chain_ids.back().str());
  absl::StatusOr<RootfsPaths> p = GetRootfsPaths(root_, kId2);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->upper_dir, rw + "/diff");
  // With none left, the next one gets layers of its own.
  absl::StatusOr<RwLayer> third = CreateRwLayer(root_, kId3, img_->chain_ids.back());
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_NE(third->mount_id, first->mount_id);
}

TEST_F(SparesTest, WhatAContainerWroteIsNeverPassedOn) {
  const std::vector<std::pair<std::string, std::function<void(const std::string&)>>>
      writes = {
          {"a file", [](const std::string& diff) {
             ASSERT_TRUE(base::WriteFileAtomic(diff + "/f", "x", 0644).ok());
           }},
          {"a directory", [](const std::string& diff) {
             ASSERT_EQ(mkdir((diff + "/d").c_str(), 0755), 0);
           }},
          {"a fifo", [](const std::string& diff) {
             ASSERT_EQ(mknod((diff + "/w").c_str(), S_IFIFO | 0600, 0), 0);
           }},
      };
  for (const auto& [what, write] : writes) {
    absl::StatusOr<RwLayer> l = CreateRwLayer(root_, kId, img_->chain_ids.back());
    ASSERT_TRUE(l.ok()) << l.status();
    write(absl::StrCat(ov_, "/", l->mount_id, "/diff"));
    const std::string db = Exited(kId, *l);
    ASSERT_TRUE(KeepOrRemoveRwLayerRecordedIn(root_, db, kId).ok()) << what;
    EXPECT_TRUE(Kept().empty()) << what;
    struct stat st;
    EXPECT_NE(lstat(absl::StrCat(ov_, "/", l->mount_id).c_str(), &st), 0) << what;
    EXPECT_NE(lstat(absl::StrCat(ov_, "/", l->init_id).c_str(), &st), 0) << what;
    EXPECT_NE(lstat(db.c_str(), &st), 0) << what;
  }
}

TEST_F(SparesTest, ASpareGetsAFreshUpperDirectory) {
  absl::StatusOr<RwLayer> l = CreateRwLayer(root_, kId, img_->chain_ids.back());
  ASSERT_TRUE(l.ok()) << l.status();
  const std::string diff = absl::StrCat(ov_, "/", l->mount_id, "/diff");
  // What a container can set on "/" without writing a file.
  ASSERT_EQ(chmod(diff.c_str(), 0700), 0);
  ASSERT_EQ(lsetxattr(diff.c_str(), "user.x", "1", 1, 0), 0);
  if (geteuid() == 0) {
    ASSERT_EQ(chown(diff.c_str(), 1000, 1000), 0);
  }
  struct stat before;
  ASSERT_EQ(lstat(diff.c_str(), &before), 0);
  // And something that still holds the old upper: a detached overlay that
  // a process keeps alive writes there.
  const int held = open(diff.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(held, 0);
  ASSERT_TRUE(KeepOrRemoveRwLayerRecordedIn(root_, Exited(kId, *l), kId).ok());
  EXPECT_EQ(Kept(), std::vector<std::string>{l->mount_id});
  struct stat after;
  ASSERT_EQ(lstat(diff.c_str(), &after), 0);
  EXPECT_NE(after.st_ino, before.st_ino);
  EXPECT_EQ(TreeListing(absl::StrCat(ov_, "/", l->mount_id)),
            "diff d0755 0:0\n"
            "link -0644 0:0 26\n" +
                absl::StrCat("lower -0644 0:0 ",
                             Read(absl::StrCat(ov_, "/", l->mount_id, "/lower")).size()) +
                "\nwork d0700 0:0\nwork/work d0000 0:0");
  EXPECT_EQ(llistxattr(diff.c_str(), nullptr, 0), 0);
  // The old one is gone: nothing written through it reaches the spare.
  EXPECT_LT(openat(held, "planted", O_WRONLY | O_CREAT | O_CLOEXEC, 0644), 0);
  EXPECT_EQ(errno, ENOENT);
  close(held);
  absl::StatusOr<RwLayer> next = CreateRwLayer(root_, kId2, img_->chain_ids.back());
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->mount_id, l->mount_id);
  EXPECT_EQ(TreeListing(diff), "");
}

TEST_F(SparesTest, NoneKeptWhileTheLayerStoreIsBeingCleaned) {
  absl::StatusOr<RwLayer> l = CreateRwLayer(root_, kId, img_->chain_ids.back());
  ASSERT_TRUE(l.ok()) << l.status();
  const std::string db = Exited(kId, *l);
  {
    // An rmi or a pull's clean-up at work.
    absl::StatusOr<base::FileLock> cleaning =
        store::Lock(root_, store::kLayerStoreLock, base::FileLock::kExclusive);
    ASSERT_TRUE(cleaning.ok()) << cleaning.status();
    ASSERT_TRUE(KeepOrRemoveRwLayerRecordedIn(root_, db, kId).ok());
  }
  EXPECT_TRUE(Kept().empty());
  struct stat st;
  EXPECT_NE(lstat(absl::StrCat(ov_, "/", l->mount_id).c_str(), &st), 0);
}

TEST_F(SparesTest, ThePullsCleanUpLeavesTheLayersOfContainersInTheTrash) {
  absl::StatusOr<RwLayer> l = CreateRwLayer(root_, kId, img_->chain_ids.back());
  ASSERT_TRUE(l.ok()) << l.status();
  const std::string trashed = absl::StrCat(store::TrashDir(root_), "/", kId);
  ASSERT_TRUE(base::MakeDirs(trashed, 0700).ok());
  const std::string db = absl::StrCat(trashed, "/", store::kTrashedLayerRecord);
  ASSERT_EQ(rename(MountDbDir(root_, kId).c_str(), db.c_str()), 0);
  const std::vector<std::string> dirs = Overlay2();
  ASSERT_TRUE(layerdb::LayerStore(root_).CleanUp().ok());
  EXPECT_EQ(Overlay2(), dirs);
  ASSERT_TRUE(KeepOrRemoveRwLayerRecordedIn(root_, db, kId).ok());
  EXPECT_EQ(Kept(), std::vector<std::string>{l->mount_id});
}

TEST_F(SparesTest, AFewPerImage) {
  std::vector<std::pair<std::string, RwLayer>> made;
  for (int i = 0; i < 6; ++i) {
    std::string id = absl::StrCat(std::string(62, 'c'), absl::Hex(i, absl::kZeroPad2));
    absl::StatusOr<RwLayer> l = CreateRwLayer(root_, id, img_->chain_ids.back());
    ASSERT_TRUE(l.ok()) << l.status();
    made.emplace_back(id, *l);
  }
  for (const auto& [id, l] : made) {
    ASSERT_TRUE(KeepOrRemoveRwLayerRecordedIn(root_, Exited(id, l), id).ok());
  }
  EXPECT_EQ(Kept().size(), 4u);
  // The image's two layers, and two per spare.
  EXPECT_EQ(Overlay2().size(), 1u + 2u + 2u * 4u);
}

TEST_F(SparesTest, ASpareThatNoLongerFitsIsDeleted) {
  for (const std::string what : {"init lower", "upper", "link"}) {
    absl::StatusOr<RwLayer> l = CreateRwLayer(root_, kId, img_->chain_ids.back());
    ASSERT_TRUE(l.ok()) << l.status();
    ASSERT_TRUE(KeepOrRemoveRwLayerRecordedIn(root_, Exited(kId, *l), kId).ok());
    ASSERT_EQ(Kept().size(), 1u);
    const std::string rw = absl::StrCat(ov_, "/", l->mount_id);
    const std::string init = absl::StrCat(ov_, "/", l->init_id);
    if (what == "init lower") {
      // The image's layers were pulled again: other links.
      ASSERT_TRUE(base::WriteFileAtomic(init + "/lower", "l/OTHER", 0644).ok());
    } else if (what == "upper") {
      ASSERT_TRUE(base::WriteFileAtomic(rw + "/diff/late", "x", 0644).ok());
    } else {
      ASSERT_EQ(unlink(absl::StrCat(ov_, "/l/", Read(init + "/link")).c_str()), 0);
    }
    absl::StatusOr<RwLayer> next = CreateRwLayer(root_, kId2, img_->chain_ids.back());
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_NE(next->mount_id, l->mount_id) << what;
    EXPECT_TRUE(Kept().empty()) << what;
    struct stat st;
    EXPECT_NE(lstat(rw.c_str(), &st), 0) << what;
    EXPECT_NE(lstat(init.c_str(), &st), 0) << what;
    ASSERT_TRUE(RemoveRwLayer(root_, kId2).ok());
  }
}

TEST_F(SparesTest, TheCleanUpDropsSparesOfLayersDockerdRemoved) {
  absl::StatusOr<RwLayer> l = CreateRwLayer(root_, kId, img_->chain_ids.back());
  ASSERT_TRUE(l.ok()) << l.status();
  ASSERT_TRUE(KeepOrRemoveRwLayerRecordedIn(root_, Exited(kId, *l), kId).ok());
  // dockerd removed the image's top layer (it knows nothing of spares).
  ASSERT_TRUE(base::RemoveAll(absl::StrCat(store::LayerDbDir(root_), "/sha256/",
                                           img_->chain_ids.back().hex()))
                  .ok());
  ASSERT_TRUE(layerdb::LayerStore(root_).CleanUp().ok());
  struct stat st;
  EXPECT_NE(lstat(Spares().c_str(), &st), 0);
  EXPECT_NE(lstat(absl::StrCat(ov_, "/", l->mount_id).c_str(), &st), 0);
  EXPECT_NE(lstat(absl::StrCat(ov_, "/", l->init_id).c_str(), &st), 0);
}

TEST_F(SparesTest, OnlyForTheirImage) {
  absl::StatusOr<TestImage> other =
      MakeImage(root_, {{{"etc/other", "x"}}});
  ASSERT_TRUE(other.ok()) << other.status();
  absl::StatusOr<RwLayer> l = CreateRwLayer(root_, kId, img_->chain_ids.back());
  ASSERT_TRUE(l.ok()) << l.status();
  ASSERT_TRUE(KeepOrRemoveRwLayerRecordedIn(root_, Exited(kId, *l), kId).ok());
  absl::StatusOr<RwLayer> on_other = CreateRwLayer(root_, kId2, other->chain_ids.back());
  ASSERT_TRUE(on_other.ok()) << on_other.status();
  EXPECT_NE(on_other->mount_id, l->mount_id);
  EXPECT_EQ(Kept().size(), 1u);
}

TEST_F(SparesTest, ThePullsCleanUpKeepsThemTheLayersRemovalTakesThem) {
  absl::StatusOr<RwLayer> l = CreateRwLayer(root_, kId, img_->chain_ids.back());
  ASSERT_TRUE(l.ok()) << l.status();
  ASSERT_TRUE(KeepOrRemoveRwLayerRecordedIn(root_, Exited(kId, *l), kId).ok());
  const std::vector<std::string> dirs = Overlay2();
  layerdb::LayerStore layers(root_);
  ASSERT_TRUE(layers.CleanUp().ok());
  EXPECT_EQ(Overlay2(), dirs);
  EXPECT_EQ(Kept().size(), 1u);
  // Removing the image's layers (rmi) takes the spares on them.
  ASSERT_TRUE(layers.Remove(img_->chain_ids[1]).ok());
  ASSERT_TRUE(layers.Remove(img_->chain_ids[0]).ok());
  EXPECT_EQ(Overlay2(), std::vector<std::string>{"l"});
  EXPECT_EQ(TreeListing(ov_ + "/l"), "");
  struct stat st;
  EXPECT_NE(lstat(Spares().c_str(), &st), 0);
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

TEST_F(MountTest, ASpareMountsAgainAfterAVolatileMount) {
  std::string root = NewTempDir("mnt");
  absl::StatusOr<TestImage> img = MakeImage(root, kBusybox);
  ASSERT_TRUE(img.ok()) << img.status();
  absl::StatusOr<RwLayer> first = CreateRwLayer(root, kId, img->chain_ids.back());
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<RootfsPaths> p = GetRootfsPaths(root, kId);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(MountRootfs(*p, /*volatile_upper=*/true).ok());
  EXPECT_EQ(Read(p->merged_dir + "/etc/os-release"), "ID=test\n");
  // Exited: unmounted by KeepOrRemove, its record out of layerdb/mounts.
  const std::string db = root + "/exited";
  ASSERT_EQ(rename(MountDbDir(root, kId).c_str(), db.c_str()), 0);
  ASSERT_TRUE(KeepOrRemoveRwLayerRecordedIn(root, db, kId).ok());
  EXPECT_FALSE(MountedAt(p->merged_dir));
  absl::StatusOr<RwLayer> second = CreateRwLayer(root, kId2, img->chain_ids.back());
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->mount_id, first->mount_id);
  absl::StatusOr<RootfsPaths> q = GetRootfsPaths(root, kId2);
  ASSERT_TRUE(q.ok());
  absl::Status s = MountRootfs(*q, /*volatile_upper=*/true);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Read(q->merged_dir + "/etc/os-release"), "ID=test\n");
  ASSERT_TRUE(RemoveRwLayer(root, kId2).ok());
  EXPECT_FALSE(MountedAt(q->merged_dir));
}

}  // namespace
}  // namespace mydocker::container
