#include "lib/refstore/refstore.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/store/paths.h"

namespace mydocker::refstore {
namespace {

constexpr char kId1[] =
    "sha256:18117d7e766fb47710dd51ab69b71ccba6f70ef2387ef38e570593876fc89528";
constexpr char kId2[] =
    "sha256:954a0e6f0317679c6ee3b369cc54ba4400d5ec5c99270010607276740e419c5f";
constexpr char kManifest[] =
    "sha256:ebec279225a8d0359736e69e101ae0a21eb65b57f55e065626ec12c767457a9d";

reference::Reference Ref(const std::string& s) {
  return *reference::ParseNormalizedNamed(s);
}
digest::Digest Id(const char* s) { return *digest::Digest::Parse(s); }

// What dockerd 20.10 wrote for these pulls (from a real store).
constexpr char kDockerd[] =
    R"({"Repositories":{"127.0.0.1:5000/library/busybox":{"127.0.0.1:5000/library/busybox:latest":"sha256:18117d7e766fb47710dd51ab69b71ccba6f70ef2387ef38e570593876fc89528","127.0.0.1:5000/library/busybox@sha256:ebec279225a8d0359736e69e101ae0a21eb65b57f55e065626ec12c767457a9d":"sha256:18117d7e766fb47710dd51ab69b71ccba6f70ef2387ef38e570593876fc89528"},"busybox":{"busybox:mytag":"sha256:18117d7e766fb47710dd51ab69b71ccba6f70ef2387ef38e570593876fc89528"},"someuser/thing":{"someuser/thing:latest":"sha256:18117d7e766fb47710dd51ab69b71ccba6f70ef2387ef38e570593876fc89528"}}})";

TEST(RepositoriesTest, SerializesExactlyAsDockerd) {
  Repositories r;
  ASSERT_TRUE(r.Set(Ref("someuser/thing:latest"), Id(kId1)).ok());
  ASSERT_TRUE(r.Set(Ref("busybox:mytag"), Id(kId1)).ok());
  ASSERT_TRUE(r.Set(Ref(std::string("127.0.0.1:5000/library/busybox@") + kManifest), Id(kId1)).ok());
  ASSERT_TRUE(r.Set(Ref("127.0.0.1:5000/library/busybox:latest"), Id(kId1)).ok());
  EXPECT_EQ(r.Serialize(), kDockerd);
  // And parses dockerd's file back to the same thing.
  absl::StatusOr<Repositories> parsed = Repositories::Parse(kDockerd);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->Serialize(), kDockerd);
  EXPECT_EQ(parsed->All().size(), 4u);
}

TEST(RepositoriesTest, SetMovesGetRemove) {
  Repositories r;
  ASSERT_TRUE(r.Set(Ref("docker.io/library/nginx:latest"), Id(kId1)).ok());
  EXPECT_EQ(r.Get(Ref("nginx:latest"))->str(), kId1);
  EXPECT_EQ(r.Set(Ref("nginx"), Id(kId2)).code(),  // Neither tag nor digest.
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(r.Set(Ref("nginx:latest"), Id(kId2)).ok());  // Retag moves it.
  EXPECT_EQ(r.Get(Ref("nginx:latest"))->str(), kId2);
  EXPECT_EQ(r.RefsTo(Id(kId2)).size(), 1u);
  EXPECT_TRUE(r.RefsTo(Id(kId1)).empty());
  EXPECT_TRUE(r.Remove(Ref("nginx:latest")));
  EXPECT_FALSE(r.Remove(Ref("nginx:latest")));
  EXPECT_EQ(r.Serialize(), R"({"Repositories":{}})");
}

TEST(RepositoriesTest, ParseSkipsGarbageEntries) {
  absl::StatusOr<Repositories> r = Repositories::Parse(
      R"({"Repositories":{"x":{"x:1":"nope","BAD:1":")" + std::string(kId1) +
      R"(","x:2":")" + kId1 + R"("},"y":7}})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->All().size(), 1u);
  EXPECT_EQ(r->All()[0].ref.FamiliarString(), "x:2");
  EXPECT_EQ(Repositories::Parse("[").status().code(), absl::StatusCode::kDataLoss);
}

TEST(RefStoreTest, UpdateIsAtomicLockedAndPrivate) {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string root = std::string(tmp ? tmp : "/tmp") + "/refs.XXXXXX";
  ASSERT_NE(mkdtemp(root.data()), nullptr);
  RefStore store(root);
  EXPECT_TRUE(store.Load()->All().empty());
  // Concurrent writers each add their own tag; none is lost.
  std::vector<std::thread> ts;
  for (int i = 0; i < 8; ++i) {
    ts.emplace_back([&, i] {
      ASSERT_TRUE(store.Update([&](Repositories& r) {
        return r.Set(Ref("app:" + std::to_string(i)), Id(kId1));
      }).ok());
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(store.Load()->All().size(), 8u);
  // A failing update changes nothing.
  EXPECT_FALSE(store.Update([](Repositories& r) {
    r.Remove(Ref("app:0"));  // Dropped: the update fails.
    return absl::AbortedError("no");
  }).ok());
  EXPECT_EQ(store.Load()->All().size(), 8u);
  struct stat st;
  ASSERT_EQ(stat(store::RepositoriesJson(root).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace mydocker::refstore
