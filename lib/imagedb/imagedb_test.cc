#include "lib/imagedb/imagedb.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/imagedb/distribution.h"
#include "lib/store/paths.h"

namespace mydocker::imagedb {
namespace {

std::string TempRoot() {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string t = std::string(tmp ? tmp : "/tmp") + "/imagedb.XXXXXX";
  EXPECT_NE(mkdtemp(t.data()), nullptr);
  return t;
}

TEST(ImageDbTest, PutGetListDelete) {
  std::string root = TempRoot();
  ImageDb db(root);
  EXPECT_TRUE(db.List()->empty());
  const std::string config = R"({"architecture":"amd64","os":"linux"})";
  absl::StatusOr<digest::Digest> id = db.Put(config);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, digest::Digest::Of(config));
  EXPECT_EQ(*db.Get(*id), config);
  EXPECT_EQ(*db.Put(config), *id);  // Idempotent.
  ASSERT_EQ(db.List()->size(), 1u);
  std::string path = store::ImageDbDir(root) + "/content/sha256/" + std::string(id->hex());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A temp file left by an interrupted write is not an image.
  ASSERT_TRUE(base::WriteFileAtomic(store::ImageDbDir(root) + "/content/sha256/.x.tmp-1", "").ok());
  EXPECT_EQ(db.List()->size(), 1u);
  ASSERT_TRUE(db.SetLastUpdated(*id, absl::FromUnixNanos(1796029080286770870)).ok());
  EXPECT_EQ(*db.GetLastUpdated(*id), absl::FromUnixNanos(1796029080286770870));
  ASSERT_TRUE(db.Delete(*id).ok());
  EXPECT_EQ(db.Get(*id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(db.List()->empty());
  EXPECT_TRUE(db.Delete(*id).ok());
}

TEST(ImageDbTest, TamperedConfigIsDataLoss) {
  std::string root = TempRoot();
  ImageDb db(root);
  digest::Digest id = *db.Put("{}");
  ASSERT_TRUE(base::WriteFileAtomic(
      store::ImageDbDir(root) + "/content/sha256/" + std::string(id.hex()), "{ }").ok());
  EXPECT_EQ(db.Get(id).status().code(), absl::StatusCode::kDataLoss);
}

TEST(TimeTest, MatchesGoRfc3339Nano) {
  // What dockerd wrote for a pull: trailing zeros of the fraction trimmed.
  EXPECT_EQ(FormatRfc3339Nano(absl::FromUnixNanos(1796029080286770870)),
            "2026-11-30T08:58:00.28677087Z");
  EXPECT_EQ(FormatRfc3339Nano(absl::FromUnixSeconds(1796029080)),
            "2026-11-30T08:58:00Z");
  // Go's zero time, as inspect shows a missing LastTagTime.
  EXPECT_EQ(FormatRfc3339Nano(absl::FromUnixSeconds(-62135596800)),
            "0001-01-01T00:00:00Z");
  EXPECT_EQ(*ParseRfc3339("2026-11-30T08:58:00.28677087Z"),
            absl::FromUnixNanos(1796029080286770870));
  EXPECT_FALSE(ParseRfc3339("yesterday").ok());
}

TEST(DistributionTest, WritesDockerdFormat) {
  std::string root = TempRoot();
  DistributionMetadata meta(root);
  digest::Digest blob = digest::Digest::Of("blob");
  digest::Digest diff = digest::Digest::Of("diff");
  ASSERT_TRUE(meta.Add(blob, diff, "127.0.0.1:5000/library/nginx").ok());
  ASSERT_TRUE(meta.Add(blob, diff, "127.0.0.1:5000/library/nginx").ok());
  ASSERT_TRUE(meta.Add(blob, diff, "docker.io/library/nginx").ok());
  EXPECT_EQ(*meta.DiffIdOf(blob), diff);
  EXPECT_FALSE(meta.DiffIdOf(diff).has_value());
  std::string dir = store::DistributionDir(root);
  EXPECT_EQ(*base::ReadFile(dir + "/diffid-by-digest/sha256/" + std::string(blob.hex())),
            diff.str());
  EXPECT_EQ(*base::ReadFile(dir + "/v2metadata-by-diffid/sha256/" + std::string(diff.hex())),
            "[{\"Digest\":\"" + blob.str() +
                "\",\"SourceRepository\":\"127.0.0.1:5000/library/nginx\",\"HMAC\":\"\"},"
                "{\"Digest\":\"" + blob.str() +
                "\",\"SourceRepository\":\"docker.io/library/nginx\",\"HMAC\":\"\"}]");
}

}  // namespace
}  // namespace mydocker::imagedb
