#include "lib/layerdb/layer_store.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/store/paths.h"

namespace mydocker::layerdb {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

digest::Digest D(const char* s) { return *digest::Digest::Parse(s); }

std::string TempRoot() {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string t = std::string(tmp ? tmp : "/tmp") + "/layers.XXXXXX";
  EXPECT_NE(mkdtemp(t.data()), nullptr);
  return t;
}

mode_t Mode(const std::string& p) {
  struct stat st;
  EXPECT_EQ(lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

bool Exists(const std::string& p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0;
}

TEST(ChainIdsTest, MatchesDockerd) {
  // Layers 1 and 2 of the `layers` test image, as dockerd named them.
  std::vector<digest::Digest> ids = ChainIds(
      {D("sha256:beea09495bbc977e8105370060534c84e7a3d85f9167e6b9d3c6415f7c693399"),
       D("sha256:6ff28a736b44bcd30e306df33ae543840a8f2196b648b52b0d1091b4932b7e5c")});
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0].str(),
            "sha256:beea09495bbc977e8105370060534c84e7a3d85f9167e6b9d3c6415f7c693399");
  EXPECT_EQ(ids[1].str(),
            "sha256:47abe4219f7c4de5a604135b02ef3a255646565abecd9b0c4a09941f255b4ab7");
}

TEST(LayerStoreTest, CommitsBaseAndChildInDockerdLayout) {
  std::string root = TempRoot();
  LayerStore store(root);
  digest::Digest d1 = digest::Digest::Of("layer one");
  digest::Digest d2 = digest::Digest::Of("layer two");

  absl::StatusOr<PendingLayer> p1 = store.Begin();
  ASSERT_TRUE(p1.ok()) << p1.status();
  EXPECT_THAT(p1->cache_id(), MatchesRegex("[0-9a-f]{64}"));
  ASSERT_TRUE(base::WriteFileAtomic(p1->diff_dir() + "/file", "12345").ok());
  ASSERT_EQ(link((p1->diff_dir() + "/file").c_str(), (p1->diff_dir() + "/hard").c_str()), 0);
  ASSERT_EQ(symlink("/bin/busybox", (p1->diff_dir() + "/sym").c_str()), 0);
  std::string cache1 = p1->cache_id();
  absl::StatusOr<Layer> l1 = store.Commit(*std::move(p1), d1, std::nullopt);
  ASSERT_TRUE(l1.ok()) << l1.status();
  EXPECT_EQ(l1->chain_id, d1);
  EXPECT_EQ(l1->size, 5 + 12);  // The hard link counts once; the symlink its target's length.

  absl::StatusOr<PendingLayer> p2 = store.Begin();
  ASSERT_TRUE(p2.ok());
  std::string cache2 = p2->cache_id();
  absl::StatusOr<Layer> l2 = store.Commit(*std::move(p2), d2, d1);
  ASSERT_TRUE(l2.ok()) << l2.status();
  EXPECT_EQ(l2->chain_id, ChainIds({d1, d2})[1]);

  // layerdb records: no newlines, dockerd's modes.
  std::string db = store::LayerDbDir(root) + "/sha256/" + std::string(l2->chain_id.hex());
  EXPECT_EQ(*base::ReadFile(db + "/diff"), d2.str());
  EXPECT_EQ(*base::ReadFile(db + "/parent"), d1.str());
  EXPECT_EQ(*base::ReadFile(db + "/cache-id"), cache2);
  EXPECT_EQ(*base::ReadFile(db + "/size"), "0");
  EXPECT_EQ(Mode(db), 0700u);
  EXPECT_EQ(Mode(db + "/diff"), 0644u);
  EXPECT_FALSE(Exists(store::LayerDbDir(root) + "/sha256/" + std::string(d1.hex()) + "/parent"));

  // overlay2 dirs: link, lower (nearest parent first), work, committed.
  std::string o = store::Overlay2Dir(root);
  std::string link1 = *base::ReadFile(o + "/" + cache1 + "/link");
  std::string link2 = *base::ReadFile(o + "/" + cache2 + "/link");
  EXPECT_THAT(link1, MatchesRegex("[A-Z2-7]{26}"));
  EXPECT_FALSE(Exists(o + "/" + cache1 + "/lower"));
  EXPECT_FALSE(Exists(o + "/" + cache1 + "/work"));
  EXPECT_EQ(*base::ReadFile(o + "/" + cache2 + "/lower"), "l/" + link1);
  EXPECT_EQ(Mode(o + "/" + cache2 + "/work"), 0700u);
  EXPECT_TRUE(Exists(o + "/" + cache1 + "/committed"));
  EXPECT_FALSE(Exists(o + "/" + cache2 + "/committed"));
  char target[256] = {0};
  ASSERT_GT(readlink((o + "/l/" + link2).c_str(), target, sizeof target - 1), 0);
  EXPECT_EQ(std::string(target), "../" + cache2 + "/diff");
  EXPECT_EQ(Mode(o + "/" + cache1), 0710u);
  EXPECT_EQ(Mode(o + "/" + cache1 + "/diff"), 0755u);
  EXPECT_EQ(Mode(o), 0710u);
  EXPECT_EQ(Mode(o + "/l"), 0700u);

  // A third layer's lower lists both parents.
  digest::Digest d3 = digest::Digest::Of("three");
  absl::StatusOr<Layer> l3 = store.Commit(*store.Begin(), d3, l2->chain_id);
  ASSERT_TRUE(l3.ok()) << l3.status();
  EXPECT_EQ(*base::ReadFile(o + "/" + l3->cache_id + "/lower"),
            "l/" + link2 + ":l/" + link1);

  EXPECT_TRUE(store.Has(d1));
  EXPECT_EQ(store.List()->size(), 3u);
  EXPECT_EQ(store.Get(l3->chain_id)->parent, l2->chain_id);
}

TEST(LayerStoreTest, SecondCommitOfAChainIdLosesCleanly) {
  std::string root = TempRoot();
  LayerStore store(root);
  digest::Digest d = digest::Digest::Of("same");
  absl::StatusOr<PendingLayer> a = store.Begin();
  absl::StatusOr<PendingLayer> b = store.Begin();
  ASSERT_TRUE(a.ok() && b.ok());
  std::string b_dir = store::Overlay2Dir(root) + "/" + b->cache_id();
  ASSERT_TRUE(store.Commit(*std::move(a), d, std::nullopt).ok());
  absl::StatusOr<Layer> again = store.Commit(*std::move(b), d, std::nullopt);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_FALSE(Exists(b_dir));  // The loser's directories are gone.
  EXPECT_TRUE(store.Has(d));
}

TEST(LayerStoreTest, DroppedPendingLayerLeavesNothing) {
  std::string root = TempRoot();
  LayerStore store(root);
  std::string dir, link;
  {
    absl::StatusOr<PendingLayer> p = store.Begin();
    ASSERT_TRUE(p.ok());
    dir = store::Overlay2Dir(root) + "/" + p->cache_id();
    link = *base::ReadFile(dir + "/link");
    ASSERT_TRUE(base::WriteFileAtomic(p->diff_dir() + "/x", "half").ok());
  }
  EXPECT_FALSE(Exists(dir));
  EXPECT_FALSE(Exists(store::Overlay2Dir(root) + "/l/" + link));
  EXPECT_TRUE(store.List()->empty());
}

TEST(LayerStoreTest, CommitNeedsARegisteredParent) {
  LayerStore store(TempRoot());
  absl::StatusOr<Layer> l = store.Commit(*store.Begin(), digest::Digest::Of("x"),
                                         digest::Digest::Of("no parent"));
  EXPECT_EQ(l.status().code(), absl::StatusCode::kNotFound);
}

TEST(LayerStoreTest, RemoveAndCleanUp) {
  std::string root = TempRoot();
  LayerStore store(root);
  digest::Digest d = digest::Digest::Of("keep");
  absl::StatusOr<Layer> kept = store.Commit(*store.Begin(), d, std::nullopt);
  digest::Digest g = digest::Digest::Of("gone");
  absl::StatusOr<Layer> gone = store.Commit(*store.Begin(), g, std::nullopt);
  ASSERT_TRUE(kept.ok() && gone.ok());
  ASSERT_TRUE(store.Remove(g).ok());
  EXPECT_FALSE(store.Has(g));
  EXPECT_FALSE(Exists(store::Overlay2Dir(root) + "/" + gone->cache_id));

  // What a killed pull leaves: an overlay2 dir, a link, a write set.
  std::string o = store::Overlay2Dir(root);
  ASSERT_TRUE(base::MakeDirs(o + "/deadbeef/diff").ok());
  ASSERT_EQ(symlink("../deadbeef/diff", (o + "/l/DEADLINK").c_str()), 0);
  ASSERT_TRUE(base::MakeDirs(store::LayerDbDir(root) + "/tmp/write-set-1").ok());
  // A container's dirs are in use.
  ASSERT_TRUE(base::MakeDirs(store::LayerDbDir(root) + "/mounts/c1").ok());
  ASSERT_TRUE(base::WriteFileAtomic(store::LayerDbDir(root) + "/mounts/c1/mount-id", "m1").ok());
  ASSERT_TRUE(base::MakeDirs(o + "/m1/diff").ok());
  ASSERT_TRUE(store.CleanUp().ok());
  EXPECT_FALSE(Exists(o + "/deadbeef"));
  EXPECT_FALSE(Exists(o + "/l/DEADLINK"));
  EXPECT_FALSE(Exists(store::LayerDbDir(root) + "/tmp/write-set-1"));
  EXPECT_TRUE(Exists(o + "/m1"));
  EXPECT_TRUE(store.Has(d));
}

TEST(LayerStoreTest, DamagedRecordsAreDataLoss) {
  std::string root = TempRoot();
  LayerStore store(root);
  digest::Digest d = digest::Digest::Of("x");
  ASSERT_TRUE(store.Commit(*store.Begin(), d, std::nullopt).ok());
  std::string db = store::LayerDbDir(root) + "/sha256/" + std::string(d.hex());
  ASSERT_TRUE(base::WriteFileAtomic(db + "/cache-id", "../../../etc").ok());
  absl::StatusOr<Layer> l = store.Get(d);
  EXPECT_EQ(l.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(l.status().message(), HasSubstr("cache-id"));
  EXPECT_EQ(store.Get(digest::Digest::Of("none")).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace mydocker::layerdb
