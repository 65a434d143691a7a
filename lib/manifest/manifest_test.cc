#include "lib/manifest/manifest.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::manifest {
namespace {

using ::testing::HasSubstr;

constexpr char kD1[] =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";
constexpr char kD2[] =
    "sha256:2222222222222222222222222222222222222222222222222222222222222222";

std::string OciManifest() {
  return std::string(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")") +
         kD1 + R"(","size":7},
    "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
         kD2 + R"(","size":100}]})";
}

std::string IndexJson() {
  return std::string(R"({"schemaVersion":2,"manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")") +
         kD1 + R"(","size":10,"platform":{"os":"linux","architecture":"amd64"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
         kD2 + R"(","size":11,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]})";
}

TEST(ManifestTest, ParsesAnOciManifest) {
  absl::StatusOr<ImageManifest> m = ParseManifest(OciManifest());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->config.digest.str(), kD1);
  EXPECT_EQ(m->config.size, 7);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].digest.str(), kD2);
  EXPECT_EQ(*LayerCompression(m->layers[0].media_type), Compression::kGzip);
}

TEST(ManifestTest, ClassifyByHeaderOrBody) {
  EXPECT_EQ(*Classify(kDockerManifest, "{}"), Kind::kManifest);
  EXPECT_EQ(*Classify(std::string(kOciIndex) + "; charset=utf-8", "{}"),
            Kind::kIndex);
  EXPECT_EQ(*Classify("application/json", OciManifest()), Kind::kManifest);
  EXPECT_EQ(*Classify("", IndexJson()), Kind::kIndex);
  absl::StatusOr<Kind> s1 = Classify(kDockerSchema1Signed, "{}");
  EXPECT_EQ(s1.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(s1.status().message(), HasSubstr("schema1"));
  EXPECT_EQ(Classify("application/json", R"({"schemaVersion":1,"fsLayers":[]})")
                .status()
                .code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(Classify("text/html", "<html>").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ManifestTest, SelectsThePlatform) {
  absl::StatusOr<Index> index = ParseIndex(IndexJson());
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(SelectPlatform(*index, {"linux", "amd64", ""})->digest.str(), kD1);
  EXPECT_EQ(SelectPlatform(*index, *Platform::Parse("linux/arm64"))->digest.str(),
            kD2);
  EXPECT_EQ(SelectPlatform(*index, *Platform::Parse("linux/arm64/v8"))->digest.str(),
            kD2);
  absl::StatusOr<Descriptor> none =
      SelectPlatform(*index, *Platform::Parse("linux/s390x"));
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(none.status().message(), HasSubstr("linux/s390x"));
  EXPECT_THAT(none.status().message(), HasSubstr("linux/amd64, linux/arm64/v8"));
  EXPECT_FALSE(SelectPlatform(*index, *Platform::Parse("linux/arm64/v7")).ok());
}

TEST(ManifestTest, PlatformParse) {
  EXPECT_EQ(Platform::Parse("linux/arm/v7")->ToString(), "linux/arm/v7");
  for (const char* bad : {"", "linux", "linux/", "/amd64", "Linux/amd64",
                          "linux/amd64/v8/x", "linux amd64"}) {
    EXPECT_EQ(Platform::Parse(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(Platform::Host().os, "linux");
}

TEST(ManifestTest, RejectsHostileDocuments) {
  EXPECT_FALSE(ParseManifest("not json").ok());
  EXPECT_FALSE(ParseManifest("[]").ok());
  EXPECT_FALSE(ParseManifest(R"({"config":{}})").ok());
  // A digest that would walk out of the blob store.
  std::string evil = OciManifest();
  evil.replace(evil.find(kD2), 71, "sha256:../../../../../etc/passwd");
  absl::StatusOr<ImageManifest> m = ParseManifest(evil);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("invalid digest"));
  // Negative sizes.
  std::string neg = OciManifest();
  neg.replace(neg.find("\"size\":100"), 10, "\"size\":-1");
  EXPECT_FALSE(ParseManifest(neg).ok());
  // Over the size limit.
  EXPECT_FALSE(ParseManifest(std::string(kMaxManifestBytes + 1, ' ')).ok());
  EXPECT_FALSE(LayerCompression("application/x-evil").ok());
}

TEST(ManifestTest, ParsesAConfig) {
  absl::StatusOr<ImageConfig> c = ParseConfig(
      std::string(R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[")") +
      kD1 + "\",\"" + kD2 + "\"]}}");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->architecture, "amd64");
  ASSERT_EQ(c->diff_ids.size(), 2u);
  EXPECT_EQ(c->diff_ids[1].str(), kD2);
  EXPECT_FALSE(ParseConfig(R"({"rootfs":{"diff_ids":["nope"]}})").ok());
  EXPECT_FALSE(ParseConfig(R"({"os":"linux"})").ok());
}

}  // namespace
}  // namespace mydocker::manifest
