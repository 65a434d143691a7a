#include "lib/image/image_service.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/image/format.h"
#include "lib/imagedb/imagedb.h"
#include "lib/layerdb/layer_store.h"
#include "lib/refstore/refstore.h"
#include "lib/store/paths.h"

namespace mydocker::image {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

digest::Digest D(absl::string_view s) { return *digest::Digest::Parse(s); }

std::string TempRoot() {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string t = std::string(tmp ? tmp : "/tmp") + "/images.XXXXXX";
  EXPECT_NE(mkdtemp(t.data()), nullptr);
  return t;
}

std::string ReadRunfile(const std::string& path) {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  std::string full =
      absl::StrCat(srcdir ? srcdir : ".", "/",
                   workspace ? workspace : "mydocker", "/", path);
  std::ifstream in(full, std::ios::binary);
  EXPECT_TRUE(in) << full;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool Exists(const std::string& p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0;
}

// Builds stores through the real layerdb / imagedb / refstore APIs.
class Store {
 public:
  Store() : root_(TempRoot()), layers_(root_), db_(root_), refs_(root_) {}

  const std::string& root() const { return root_; }
  layerdb::LayerStore& layers() { return layers_; }
  imagedb::ImageDb& db() { return db_; }

  // Registers the layer `diff_id` on `parent` (unless that chain exists)
  // holding one sparse file of `size` bytes, as lib/layerdb would after a
  // pull; returns its chain id.
  digest::Digest AddLayer(const digest::Digest& diff_id,
                          const std::optional<digest::Digest>& parent,
                          int64_t size) {
    digest::Digest chain = parent ? digest::Digest::Of(absl::StrCat(
                                        parent->str(), " ", diff_id.str()))
                                  : diff_id;
    if (layers_.Get(chain).ok()) return chain;
    absl::StatusOr<layerdb::PendingLayer> p = layers_.Begin();
    EXPECT_TRUE(p.ok()) << p.status();
    if (size > 0) {
      std::string file = p->diff_dir() + "/data";
      int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      EXPECT_GE(fd, 0);
      EXPECT_EQ(ftruncate(fd, size), 0);
      close(fd);
    }
    absl::StatusOr<layerdb::Layer> l =
        layers_.Commit(*std::move(p), diff_id, parent);
    EXPECT_TRUE(l.ok()) << l.status();
    EXPECT_EQ(l->chain_id, chain);
    return chain;
  }

  // An image whose layers are `layers` (name -> size, base first; the diff
  // id of a layer is the digest of its name) and whose config has `extra`
  // merged in.
  digest::Digest AddImage(
      const std::vector<std::pair<std::string, int64_t>>& layers,
      const json& extra = json::object()) {
    json config = {
        {"architecture", "amd64"},
        {"os", "linux"},
        {"created", "2023-11-14T22:13:20Z"},
        {"config", {{"Cmd", {"sh"}}}},
        {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}};
    std::optional<digest::Digest> parent;
    for (const auto& [name, size] : layers) {
      digest::Digest diff = digest::Digest::Of(name);
      config["rootfs"]["diff_ids"].push_back(diff.str());
      parent = AddLayer(diff, parent, size);
    }
    config.merge_patch(extra);
    absl::StatusOr<digest::Digest> id = db_.Put(config.dump());
    EXPECT_TRUE(id.ok()) << id.status();
    return *id;
  }

  void Ref(const std::string& ref, const digest::Digest& id) {
    ASSERT_TRUE(refs_
                    .Update([&](refstore::Repositories& r) {
                      return r.Set(*reference::ParseNormalizedNamed(ref), id);
                    })
                    .ok());
  }

  std::vector<std::string> Refs() {
    std::vector<std::string> out;
    for (const refstore::Entry& e : refs_.Load()->All()) {
      out.push_back(
          absl::StrCat(e.ref.FamiliarString(), " -> ", ShortId(e.image_id)));
    }
    return out;
  }

  // A container as dockerd leaves it: containers/<id>/config.v2.json and,
  // for its read-write layer, layerdb/mounts/<id>/parent.
  void AddContainer(const std::string& id, const digest::Digest& image,
                    const std::optional<digest::Digest>& top_chain,
                    bool running) {
    std::string dir = absl::StrCat(store::ContainersDir(root_), "/", id);
    ASSERT_TRUE(base::MakeDirs(dir, 0710).ok());
    json config = {
        {"StreamConfig", json::object()},
        {"State",
         {{"Running", running}, {"Paused", false}, {"Pid", running ? 42 : 0}}},
        {"ID", id},
        {"Created", "2026-11-30T09:00:00.123Z"},
        {"Path", "sh"},
        {"Image", image.str()},
        {"Name", "/happy_turing"},
        {"Driver", "overlay2"}};
    ASSERT_TRUE(
        base::WriteFileAtomic(dir + "/config.v2.json", config.dump(), 0600)
            .ok());
    if (top_chain) {
      std::string mount =
          absl::StrCat(store::LayerDbDir(root_), "/mounts/", id);
      ASSERT_TRUE(base::MakeDirs(mount, 0755).ok());
      ASSERT_TRUE(
          base::WriteFileAtomic(mount + "/parent", top_chain->str()).ok());
      ASSERT_TRUE(
          base::WriteFileAtomic(mount + "/mount-id", std::string(64, 'c'))
              .ok());
    }
  }

 private:
  std::string root_;
  layerdb::LayerStore layers_;
  imagedb::ImageDb db_;
  refstore::RefStore refs_;
};

// ------------------------------------------------------------ dockerd's store

constexpr char kBusybox[] =
    "sha256:18117d7e766fb47710dd51ab69b71ccba6f70ef2387ef38e570593876fc89528";
constexpr char kLayersImage[] =
    "sha256:8b0dcc2e8984e62295f02846f1394eb06ec863aa29322669225be5e642dcd61d";
constexpr char kNginx[] =
    "sha256:954a0e6f0317679c6ee3b369cc54ba4400d5ec5c99270010607276740e419c5f";
constexpr char kWeird[] =
    "sha256:b36216e7bcb61663163a4da53a2da94142f3e4bfd51582a3c4ee97c1cff3c156";

struct DockerdLayer {
  const char* chain;
  const char* diff;
  const char* parent;  // "" for a base layer.
  int64_t size;
};

// layerdb/sha256/* of that store: chain id, diff, parent, size.
constexpr DockerdLayer kDockerdLayers[] = {
    {"beea09495bbc977e8105370060534c84e7a3d85f9167e6b9d3c6415f7c693399",
     "beea09495bbc977e8105370060534c84e7a3d85f9167e6b9d3c6415f7c693399", "",
     1985648},
    {"47abe4219f7c4de5a604135b02ef3a255646565abecd9b0c4a09941f255b4ab7",
     "6ff28a736b44bcd30e306df33ae543840a8f2196b648b52b0d1091b4932b7e5c",
     "beea09495bbc977e8105370060534c84e7a3d85f9167e6b9d3c6415f7c693399", 132},
    {"e4e556e2e7ba572a52523f595a1d37dc90f9276de0b9b7976812a29ae531fe61",
     "f9789a2a27cf283f940eab1915d921e1c10907edb87eff22418e50e849036802",
     "47abe4219f7c4de5a604135b02ef3a255646565abecd9b0c4a09941f255b4ab7", 21},
    {"ee1d8c8df8ce822ee8138d313d25ea24234761c35cafadac6d40435594c5a9c1",
     "b414b7374c27e658a94b676c660fd245f0f31f785deb60734bc91be0631a9534",
     "e4e556e2e7ba572a52523f595a1d37dc90f9276de0b9b7976812a29ae531fe61", 26},
    {"b6d941d5d734431c729c8876bb5be45e60ced2facf9e66c664ab6baba6a520d2",
     "b6d941d5d734431c729c8876bb5be45e60ced2facf9e66c664ab6baba6a520d2", "",
     10516161},
    {"8d73e891785d494fe8dc96316e237c439558f6a7d52369f8a9801af62ba7a70f",
     "82b66f8c14107dcad6d46cb53d496ed6854fb3ee0c32f9cc3a9a67c757534eca",
     "b6d941d5d734431c729c8876bb5be45e60ced2facf9e66c664ab6baba6a520d2",
     1290810},
    {"f1c6b138650d3fe09e28bfa13899341ee4717db5aa89af1f4de434e575e2bb9b",
     "519e817488e39e3dd3a5ec4bd9e240ed2b41d18132724469cf973821de4cc6e9",
     "8d73e891785d494fe8dc96316e237c439558f6a7d52369f8a9801af62ba7a70f", 1257},
    {"96524d311f2910535348560a6fd89ba2fbf147e93bff2f01c67778c2e2bb238f",
     "96524d311f2910535348560a6fd89ba2fbf147e93bff2f01c67778c2e2bb238f", "",
     14},
    {"b1b9bad5b3fc822b6d2a8f066aa33ddda61542fbf6332d60c4ffd139f8440edf",
     "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
     "96524d311f2910535348560a6fd89ba2fbf147e93bff2f01c67778c2e2bb238f", 0},
    {"662947ef7e0173b22a43db43558423d27d4b8993b2bed2adb5ed6b94d231474d",
     "7cf43acf69d82ff8a1d514de0d5548272970de8c52b45c06cef56bf9a68ffda7",
     "b1b9bad5b3fc822b6d2a8f066aa33ddda61542fbf6332d60c4ffd139f8440edf", 19},
};

std::string Sha(absl::string_view hex) { return absl::StrCat("sha256:", hex); }

// The store dockerd made in lib/store/DOCKER_LAYOUT.md, rebuilt: its
// configs and repositories.json verbatim, its layers with dockerd's chain
// ids and sizes.
void LoadDockerdStore(Store& s) {
  for (const DockerdLayer& l : kDockerdLayers) {
    std::optional<digest::Digest> parent;
    if (*l.parent) parent = D(Sha(l.parent));
    EXPECT_EQ(s.AddLayer(D(Sha(l.diff)), parent, l.size), D(Sha(l.chain)));
  }
  for (const char* id : {kBusybox, kLayersImage, kNginx, kWeird}) {
    std::string config =
        ReadRunfile(absl::StrCat("lib/image/testdata/dockerd/config-",
                                 D(id).hex().substr(0, 12), ".json"));
    EXPECT_EQ(*s.db().Put(config), D(id));
  }
  ASSERT_TRUE(base::MakeDirs(store::ImageDir(s.root()), 0700).ok());
  ASSERT_TRUE(base::WriteFileAtomic(
                  store::RepositoriesJson(s.root()),
                  ReadRunfile("lib/image/testdata/dockerd/repositories.json"),
                  0600)
                  .ok());
  ASSERT_TRUE(s.db()
                  .SetLastUpdated(
                      D(kBusybox),
                      *imagedb::ParseRfc3339("2026-11-30T08:58:00.28677087Z"))
                  .ok());
}

std::string Row(const ImageSummary& r) {
  return absl::StrCat(r.repository, " ", r.tag, " ", ShortId(r.id), " ",
                      HumanSize(r.size),
                      r.digest ? absl::StrCat(" ", *r.digest) : std::string());
}

std::vector<std::string> Rows(const std::vector<ImageSummary>& rows) {
  std::vector<std::string> out;
  for (const ImageSummary& r : rows) out.push_back(Row(r));
  return out;
}

std::vector<std::string> Rows(const ImageService& images,
                              const ListOptions& o = {}) {
  absl::StatusOr<std::vector<ImageSummary>> rows = images.List(o);
  EXPECT_TRUE(rows.ok()) << rows.status();
  return rows.ok() ? Rows(*rows) : std::vector<std::string>{};
}

std::string CacheDir(Store& s, absl::string_view chain_hex) {
  return absl::StrCat(store::Overlay2Dir(s.root()), "/",
                      s.layers().Get(D(Sha(chain_hex)))->cache_id);
}

TEST(DockerdStoreTest, ListShowsWhatDockerImagesShowed) {
  Store s;
  LoadDockerdStore(s);
  ImageService images(s.root());
  // The rows of testdata/dockerd/README.md. All four images were created in
  // the same second: dockerd's order among them is random, ours by id; so
  // is the order within an image, ours by repository.
  EXPECT_THAT(
      Rows(images),
      ElementsAre(
          "127.0.0.1:5000/library/busybox latest 18117d7e766f 1.99MB",
          "127.0.0.1:5000/library/multiarch latest 18117d7e766f 1.99MB",
          "busybox mytag 18117d7e766f 1.99MB", "mybox v1 18117d7e766f 1.99MB",
          "someuser/thing latest 18117d7e766f 1.99MB",
          "127.0.0.1:5000/library/busybox-zstd <none> 18117d7e766f 1.99MB",
          "127.0.0.1:5000/library/layers latest 8b0dcc2e8984 1.99MB",
          "127.0.0.1:5000/library/nginx latest 954a0e6f0317 11.8MB",
          "127.0.0.1:5000/library/weird latest b36216e7bcb6 33B"));
  absl::StatusOr<std::vector<ImageSummary>> rows = images.List({});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].size, 1985648);
  EXPECT_EQ((*rows)[0].created,
            absl::FromUnixSeconds(1700000000));  // 2023-11-14T22:13:20Z
  EXPECT_EQ((*rows)[6].size, 1985648 + 132 + 21 + 26);
  EXPECT_EQ((*rows)[7].size, 11808228);
}

TEST(DockerdStoreTest, ListWithDigestsExpandsRowsAsTheCli) {
  Store s;
  LoadDockerdStore(s);
  ImageService images(s.root());
  ListOptions o;
  o.digests = true;
  o.filter = "127.0.0.1:5000/library/*";
  EXPECT_THAT(
      Rows(images, o),
      ElementsAre(
          "127.0.0.1:5000/library/busybox latest 18117d7e766f 1.99MB "
          "sha256:"
          "ebec279225a8d0359736e69e101ae0a21eb65b57f55e065626ec12c767457a9d",
          "127.0.0.1:5000/library/multiarch latest 18117d7e766f 1.99MB "
          "sha256:"
          "ad4a28063aad5fe5e337a0b2ebaf00b677e7c900de8d2345734d774cb430c9f5",
          "127.0.0.1:5000/library/busybox-zstd <none> 18117d7e766f 1.99MB "
          "sha256:"
          "22ad2124d0eb3c458d129be287f73e73a4b0e837dfe084f25043f4ab9ff2f680",
          "127.0.0.1:5000/library/layers latest 8b0dcc2e8984 1.99MB "
          "sha256:"
          "7fa6955e50f1014c47b5db331969ebc2a34519806e8984af7376e3903d925e75",
          "127.0.0.1:5000/library/nginx latest 954a0e6f0317 11.8MB "
          "sha256:"
          "e66bcd8c39bb1439a124f5594d5f248b076c3d2b602ea24d1d003591a5faba67",
          "127.0.0.1:5000/library/weird latest b36216e7bcb6 33B "
          "sha256:"
          "65fc6b5ae5210df1c67cab810e44666e5bbb74ae0f2db0eef8699c32c1463d46"));
  // A repository with a tag but no digest gets none.
  o.filter = "busybox";
  EXPECT_THAT(Rows(images, o),
              ElementsAre("busybox mytag 18117d7e766f 1.99MB"));
}

TEST(DockerdStoreTest, ListFilterMatchesFamiliarNameOrString) {
  Store s;
  LoadDockerdStore(s);
  ImageService images(s.root());
  auto rows = [&](const std::string& filter) {
    ListOptions o;
    o.filter = filter;
    return Rows(images, o);
  };
  EXPECT_THAT(rows("busybox"),
              ElementsAre("busybox mytag 18117d7e766f 1.99MB"));
  EXPECT_THAT(rows("busybox:my*"),
              ElementsAre("busybox mytag 18117d7e766f 1.99MB"));
  EXPECT_THAT(rows("busybox:latest"), ElementsAre());
  EXPECT_THAT(rows("*/thing"),
              ElementsAre("someuser/thing latest 18117d7e766f 1.99MB"));
  EXPECT_THAT(
      rows("*"),
      ElementsAre("busybox mytag 18117d7e766f 1.99MB",
                  "mybox v1 18117d7e766f 1.99MB"));  // '*' stops at '/'.
  // A digest reference matches by name: its repository shows as <none>.
  EXPECT_THAT(
      rows("127.0.0.1:5000/library/busybox-zstd"),
      ElementsAre(
          "127.0.0.1:5000/library/busybox-zstd <none> 18117d7e766f 1.99MB"));
  EXPECT_THAT(rows("nothing"), ElementsAre());
}

TEST(DockerdStoreTest, InspectMatchesDockerd) {
  Store s;
  LoadDockerdStore(s);
  ImageService images(s.root());
  absl::StatusOr<ordered_json> got =
      images.Inspect("127.0.0.1:5000/library/busybox:latest");
  ASSERT_TRUE(got.ok()) << got.status();

  // dockerd's output, with the paths of this store.
  ordered_json want = ordered_json::parse(
      ReadRunfile("lib/image/testdata/dockerd/inspect-busybox.json"))[0];
  std::string dir = CacheDir(
      s, "beea09495bbc977e8105370060534c84e7a3d85f9167e6b9d3c6415f7c693399");
  want["GraphDriver"]["Data"]["MergedDir"] = dir + "/merged";
  want["GraphDriver"]["Data"]["UpperDir"] = dir + "/diff";
  want["GraphDriver"]["Data"]["WorkDir"] = dir + "/work";
  EXPECT_EQ(got->dump(4), want.dump(4));
  // Any spelling of the same image gives the same.
  EXPECT_EQ(images.Inspect("18117d")->dump(), got->dump());
  EXPECT_EQ(images.Inspect("busybox:mytag")->dump(), got->dump());
}

TEST(DockerdStoreTest, InspectMultiLayerImage) {
  Store s;
  LoadDockerdStore(s);
  ImageService images(s.root());
  absl::StatusOr<ordered_json> got =
      images.Inspect("127.0.0.1:5000/library/layers");
  ASSERT_TRUE(got.ok()) << got.status();
  std::string top = CacheDir(
      s, "ee1d8c8df8ce822ee8138d313d25ea24234761c35cafadac6d40435594c5a9c1");
  // LowerDir: the layers below, nearest first, as overlay2 resolves l/ links.
  std::string lower = absl::StrJoin(
      {CacheDir(
           s,
           "e4e556e2e7ba572a52523f595a1d37dc90f9276de0b9b7976812a29ae531fe61") +
           "/diff",
       CacheDir(
           s,
           "47abe4219f7c4de5a604135b02ef3a255646565abecd9b0c4a09941f255b4ab7") +
           "/diff",
       CacheDir(
           s,
           "beea09495bbc977e8105370060534c84e7a3d85f9167e6b9d3c6415f7c693399") +
           "/diff"},
      ":");
  EXPECT_EQ((*got)["GraphDriver"].dump(),
            ordered_json({{"Data",
                           {{"LowerDir", lower},
                            {"MergedDir", top + "/merged"},
                            {"UpperDir", top + "/diff"},
                            {"WorkDir", top + "/work"}}},
                          {"Name", "overlay2"}})
                .dump());
  EXPECT_EQ(
      (*got)["RootFS"].dump(),
      R"({"Type":"layers","Layers":["sha256:beea09495bbc977e8105370060534c84e7a3d85f9167e6b9d3c6415f7c693399",)"
      R"("sha256:6ff28a736b44bcd30e306df33ae543840a8f2196b648b52b0d1091b4932b7e5c",)"
      R"("sha256:f9789a2a27cf283f940eab1915d921e1c10907edb87eff22418e50e849036802",)"
      R"("sha256:b414b7374c27e658a94b676c660fd245f0f31f785deb60734bc91be0631a9534"]})");
  EXPECT_EQ((*got)["Size"], 1985827);
  EXPECT_EQ((*got)["VirtualSize"], 1985827);
  EXPECT_EQ((*got)["RepoTags"].dump(),
            R"(["127.0.0.1:5000/library/layers:latest"])");
  EXPECT_EQ(
      (*got)["RepoDigests"].dump(),
      R"(["127.0.0.1:5000/library/layers@sha256:7fa6955e50f1014c47b5db331969ebc2a34519806e8984af7376e3903d925e75"])");
  EXPECT_EQ((*got)["Metadata"].dump(),
            R"({"LastTagTime":"0001-01-01T00:00:00Z"})");

  // nginx's config: ExposedPorts and StopSignal in Go's struct order.
  absl::StatusOr<ordered_json> nginx =
      images.Inspect("127.0.0.1:5000/library/nginx");
  ASSERT_TRUE(nginx.ok());
  EXPECT_EQ(
      (*nginx)["Config"].dump(),
      R"({"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,)"
      R"("AttachStderr":false,"ExposedPorts":{"80/tcp":{}},"Tty":false,"OpenStdin":false,)"
      R"("StdinOnce":false,"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],)"
      R"("Cmd":["nginx","-g","daemon off;"],"Image":"","Volumes":null,"WorkingDir":"",)"
      R"("Entrypoint":["/docker-entrypoint.sh"],"OnBuild":null,"Labels":null,"StopSignal":"SIGQUIT"})");
}

TEST(DockerdStoreTest, LayerDirsTopFirst) {
  Store s;
  LoadDockerdStore(s);
  ImageService images(s.root());
  absl::StatusOr<std::vector<std::string>> dirs =
      images.LayerDirs(D(kLayersImage));
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  EXPECT_THAT(*dirs, ElementsAre(CacheDir(s,
                                          "ee1d8c8df8ce822ee8138d313d25ea242347"
                                          "61c35cafadac6d40435594c5a9c1") +
                                     "/diff",
                                 CacheDir(s,
                                          "e4e556e2e7ba572a52523f595a1d37dc90f9"
                                          "276de0b9b7976812a29ae531fe61") +
                                     "/diff",
                                 CacheDir(s,
                                          "47abe4219f7c4de5a604135b02ef3a255646"
                                          "565abecd9b0c4a09941f255b4ab7") +
                                     "/diff",
                                 CacheDir(s,
                                          "beea09495bbc977e8105370060534c84e7a3"
                                          "d85f9167e6b9d3c6415f7c693399") +
                                     "/diff"));
  for (const std::string& d : *dirs) EXPECT_TRUE(Exists(d)) << d;
  EXPECT_EQ(images.LayerDirs(D(Sha(std::string(64, 'a')))).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(DockerdStoreTest, ResolveLikeGetImage) {
  Store s;
  LoadDockerdStore(s);
  ImageService images(s.root());
  auto resolve = [&](absl::string_view in) -> std::string {
    absl::StatusOr<digest::Digest> id = images.Resolve(in);
    return id.ok() ? std::string(id->str())
                   : std::string(id.status().ToString());
  };
  EXPECT_EQ(resolve("busybox:mytag"), kBusybox);
  EXPECT_EQ(resolve("docker.io/library/busybox:mytag"), kBusybox);
  EXPECT_EQ(resolve("127.0.0.1:5000/library/nginx"), kNginx);  // :latest added.
  EXPECT_EQ(
      resolve(
          "127.0.0.1:5000/library/busybox@sha256:"
          "ebec279225a8d0359736e69e101ae0a21eb65b57f55e065626ec12c767457a9d"),
      kBusybox);
  // With a tag and a digest, the digest decides.
  EXPECT_EQ(
      resolve(
          "127.0.0.1:5000/library/busybox:gone@sha256:"
          "ebec279225a8d0359736e69e101ae0a21eb65b57f55e065626ec12c767457a9d"),
      kBusybox);
  EXPECT_EQ(resolve(kWeird), kWeird);
  EXPECT_EQ(resolve(D(kWeird).hex()), kWeird);
  EXPECT_EQ(resolve("b36216e7bcb6"), kWeird);
  EXPECT_EQ(resolve("9"), kNginx);  // Any prefix length, as dockerd.
  EXPECT_EQ(resolve("sha256:8b0d"), kLayersImage);

  EXPECT_EQ(resolve("busybox"), "NOT_FOUND: No such image: busybox:latest");
  EXPECT_EQ(resolve("c"), "NOT_FOUND: No such image: c:latest");
  EXPECT_EQ(resolve(std::string(64, 'c')),
            "NOT_FOUND: No such image: sha256:" + std::string(64, 'c'));
  EXPECT_EQ(resolve(Sha(std::string(64, 'c'))),
            "NOT_FOUND: No such image: sha256:" + std::string(64, 'c'));
  EXPECT_EQ(images.Resolve("Busybox").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(images.Resolve("").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ------------------------------------------------------------ small stores

TEST(ResolveTest, AmbiguousPrefixIsNotFound) {
  Store s;
  // 17 images: two of them share a first hex digit.
  std::map<char, std::vector<digest::Digest>> by_first;
  for (int i = 0; i < 17; ++i) {
    digest::Digest id =
        s.AddImage({{"base", 10}}, {{"comment", absl::StrCat("image ", i)}});
    by_first[id.hex()[0]].push_back(id);
  }
  ImageService images(s.root());
  for (const auto& [c, ids] : by_first) {
    if (ids.size() < 2) continue;
    absl::StatusOr<digest::Digest> r = images.Resolve(std::string(1, c));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(r.status().message(),
              absl::StrCat("No such image: ", std::string(1, c), ":latest"));
    // A longer prefix tells them apart.
    EXPECT_EQ(*images.Resolve(ids[0].hex().substr(0, 20)), ids[0]);
  }
}

TEST(ListTest, NewestFirstDanglingAndIntermediate) {
  Store s;
  digest::Digest old_img =
      s.AddImage({{"base", 1000}}, {{"created", "2020-01-01T00:00:00Z"}});
  digest::Digest new_img =
      s.AddImage({{"base", 1000}, {"app", 500}},
                 {{"created", "2024-05-01T10:00:00.5+02:00"}});
  digest::Digest no_time = s.AddImage({{"other", 7}}, {{"created", nullptr}});
  s.Ref("app:1", new_img);
  s.Ref("app:2", new_img);
  ImageService images(s.root());
  EXPECT_THAT(Rows(images),
              ElementsAre("app 1 " + ShortId(new_img) + " 1.5kB",
                          "app 2 " + ShortId(new_img) + " 1.5kB",
                          "<none> <none> " + ShortId(old_img) + " 1kB",
                          "<none> <none> " + ShortId(no_time) + " 7B"));
  absl::StatusOr<std::vector<ImageSummary>> rows = images.List({});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].created, absl::FromUnixMillis(1714550400500));
  EXPECT_EQ((*rows)[3].created, kGoZeroTime);

  // An untagged image that is another's parent is an intermediate one:
  // shown only with `all`.
  std::string parent_file =
      absl::StrCat(store::ImageDbDir(s.root()), "/metadata/sha256/",
                   new_img.hex(), "/parent");
  ASSERT_TRUE(base::MakeDirs(base::Dirname(parent_file), 0700).ok());
  ASSERT_TRUE(base::WriteFileAtomic(parent_file, old_img.str()).ok());
  EXPECT_EQ(Rows(images).size(), 3u);
  ListOptions all;
  all.all = true;
  EXPECT_EQ(Rows(images, all).size(), 4u);

  // An image whose layers are gone is not listed (dockerd would not load it).
  ASSERT_TRUE(s.layers().Remove(digest::Digest::Of("other")).ok());
  EXPECT_EQ(Rows(images, all).size(), 3u);
  // But it can still be removed.
  absl::StatusOr<std::vector<std::string>> out =
      images.Remove(ShortId(no_time), false);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(*out, ElementsAre("Deleted: " + no_time.str()));
  EXPECT_FALSE(s.db().Exists(no_time));
}

TEST(TagTest, TagsAndRecordsLastUpdated) {
  Store s;
  digest::Digest a = s.AddImage({{"a", 10}}, {{"comment", "a"}});
  digest::Digest b = s.AddImage({{"b", 10}}, {{"comment", "b"}});
  s.Ref("app:1", a);
  ImageService images(s.root());
  absl::Time before = absl::Now();
  ASSERT_TRUE(images.Tag("app:1", "registry:5000/team/app").ok());
  absl::StatusOr<absl::Time> when = s.db().GetLastUpdated(a);
  ASSERT_TRUE(when.ok()) << when.status();
  EXPECT_GE(*when, before);
  EXPECT_LE(*when, absl::Now());
  ASSERT_TRUE(images.Tag(std::string(b.hex().substr(0, 5)), "app:1")
                  .ok());  // Moves app:1.
  EXPECT_THAT(s.Refs(),
              ElementsAre("app:1 -> " + ShortId(b),
                          "registry:5000/team/app:latest -> " + ShortId(a)));
  absl::StatusOr<ordered_json> j = images.Inspect("registry:5000/team/app");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["Metadata"]["LastTagTime"], imagedb::FormatRfc3339Nano(*when));

  absl::Status st = images.Tag("app:1", "app@sha256:" + std::string(64, 'a'));
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "refusing to create a tag with a digest reference");
  st = images.Tag("app:1", "Bad/Name");
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("Error parsing reference: \"Bad/Name\" "
                                      "is not a valid repository/tag: "));
  st = images.Tag("app:1", "sha256:abc");
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      st.message(),
      "refusing to create an ambiguous tag using digest algorithm as name");
  st = images.Tag("nope", "x:1");
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(st.message(), "No such image: nope:latest");
  EXPECT_EQ(s.Refs().size(), 2u);  // None of those wrote anything.
}

// ------------------------------------------------------------ rmi

TEST(DockerdStoreTest, RemoveTagKeepsImageWithOtherTags) {
  Store s;
  LoadDockerdStore(s);
  ImageService images(s.root());
  absl::StatusOr<std::vector<std::string>> out =
      images.Remove("mybox:v1", false);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(*out, ElementsAre("Untagged: mybox:v1"));
  // The last tag of a repository takes the repository's digests along.
  out = images.Remove("127.0.0.1:5000/library/busybox", false);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(
      *out,
      ElementsAre(
          "Untagged: 127.0.0.1:5000/library/busybox:latest",
          "Untagged: 127.0.0.1:5000/library/busybox@sha256:"
          "ebec279225a8d0359736e69e101ae0a21eb65b57f55e065626ec12c767457a9d"));
  EXPECT_TRUE(s.db().Exists(D(kBusybox)));
  // A digest reference alone goes alone.
  out = images.Remove(
      "127.0.0.1:5000/library/"
      "busybox-zstd@sha256:"
      "22ad2124d0eb3c458d129be287f73e73a4b0e837dfe084f25043f4ab9ff2f680",
      false);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(
      *out,
      ElementsAre(
          "Untagged: 127.0.0.1:5000/library/busybox-zstd@sha256:"
          "22ad2124d0eb3c458d129be287f73e73a4b0e837dfe084f25043f4ab9ff2f680"));
  EXPECT_EQ(images.Remove("mybox:v1", false).status().message(),
            "No such image: mybox:v1");
}

TEST(DockerdStoreTest, RemoveLastReferenceDeletesImageAndLayers) {
  Store s;
  LoadDockerdStore(s);
  ImageService images(s.root());
  std::string base_dir = CacheDir(
      s, "b6d941d5d734431c729c8876bb5be45e60ced2facf9e66c664ab6baba6a520d2");
  absl::StatusOr<std::vector<std::string>> out =
      images.Remove("127.0.0.1:5000/library/nginx", false);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(
      *out,
      ElementsAre(
          "Untagged: 127.0.0.1:5000/library/nginx:latest",
          "Untagged: 127.0.0.1:5000/library/nginx@sha256:"
          "e66bcd8c39bb1439a124f5594d5f248b076c3d2b602ea24d1d003591a5faba67",
          std::string("Deleted: ") + kNginx,
          "Deleted: "
          "sha256:"
          "f1c6b138650d3fe09e28bfa13899341ee4717db5aa89af1f4de434e575e2bb9b",
          "Deleted: "
          "sha256:"
          "8d73e891785d494fe8dc96316e237c439558f6a7d52369f8a9801af62ba7a70f",
          "Deleted: "
          "sha256:"
          "b6d941d5d734431c729c8876bb5be45e60ced2facf9e66c664ab6baba6a520d2"));
  EXPECT_FALSE(s.db().Exists(D(kNginx)));
  EXPECT_FALSE(Exists(base_dir));
  EXPECT_EQ(s.layers().List()->size(), 7u);
  EXPECT_EQ(images.Resolve("127.0.0.1:5000/library/nginx").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(DockerdStoreTest, SharedBaseLayerStaysWhileUsed) {
  Store s;
  LoadDockerdStore(s);
  ImageService images(s.root());
  // `layers` sits on busybox's layer: its own three go, the base stays.
  absl::StatusOr<std::vector<std::string>> out =
      images.Remove("8b0dcc2e8984", false);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(
      *out,
      ElementsAre(
          "Untagged: 127.0.0.1:5000/library/layers:latest",
          "Untagged: 127.0.0.1:5000/library/layers@sha256:"
          "7fa6955e50f1014c47b5db331969ebc2a34519806e8984af7376e3903d925e75",
          std::string("Deleted: ") + kLayersImage,
          "Deleted: "
          "sha256:"
          "ee1d8c8df8ce822ee8138d313d25ea24234761c35cafadac6d40435594c5a9c1",
          "Deleted: "
          "sha256:"
          "e4e556e2e7ba572a52523f595a1d37dc90f9276de0b9b7976812a29ae531fe61",
          "Deleted: "
          "sha256:"
          "47abe4219f7c4de5a604135b02ef3a255646565abecd9b0c4a09941f255b4ab7"));
  EXPECT_TRUE(s.layers().Has(D(Sha(
      "beea09495bbc977e8105370060534c84e7a3d85f9167e6b9d3c6415f7c693399"))));

  // busybox by id: references in several repositories need -f.
  absl::StatusOr<std::vector<std::string>> refused =
      images.Remove("18117d7e766f", false);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            "conflict: unable to delete 18117d7e766f (must be forced) - image "
            "is referenced in "
            "multiple repositories");
  // With -f every reference goes (in dockerd's order: by full name), then
  // the image and, now unused, its layer.
  out = images.Remove("18117d7e766f", true);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(
      *out,
      ElementsAre(
          "Untagged: 127.0.0.1:5000/library/busybox-zstd@sha256:"
          "22ad2124d0eb3c458d129be287f73e73a4b0e837dfe084f25043f4ab9ff2f680",
          "Untagged: 127.0.0.1:5000/library/busybox:latest",
          "Untagged: 127.0.0.1:5000/library/busybox@sha256:"
          "ebec279225a8d0359736e69e101ae0a21eb65b57f55e065626ec12c767457a9d",
          "Untagged: 127.0.0.1:5000/library/multiarch:latest",
          "Untagged: 127.0.0.1:5000/library/multiarch@sha256:"
          "ad4a28063aad5fe5e337a0b2ebaf00b677e7c900de8d2345734d774cb430c9f5",
          "Untagged: busybox:mytag", "Untagged: mybox:v1",
          "Untagged: someuser/thing:latest",
          std::string("Deleted: ") + kBusybox,
          "Deleted: "
          "sha256:"
          "beea09495bbc977e8105370060534c84e7a3d85f9167e6b9d3c6415f7c693399"));
  EXPECT_EQ(s.layers().List()->size(), 6u);
  EXPECT_THAT(
      Rows(images),
      ElementsAre("127.0.0.1:5000/library/nginx latest 954a0e6f0317 11.8MB",
                  "127.0.0.1:5000/library/weird latest b36216e7bcb6 33B"));
}

TEST(RemoveTest, DanglingImageById) {
  Store s;
  digest::Digest id = s.AddImage({{"base", 10}, {"top", 5}});
  ImageService images(s.root());
  absl::StatusOr<std::vector<std::string>> out = images.Remove(id.str(), false);
  ASSERT_TRUE(out.ok()) << out.status();
  std::vector<digest::Digest> chains = layerdb::ChainIds(
      {digest::Digest::Of("base"), digest::Digest::Of("top")});
  EXPECT_THAT(*out,
              ElementsAre("Deleted: " + id.str(), "Deleted: " + chains[1].str(),
                          "Deleted: " + chains[0].str()));
  EXPECT_TRUE(s.layers().List()->empty());
  EXPECT_TRUE(s.db().List()->empty());
  EXPECT_EQ(images.Remove(id.str(), false).status().message(),
            "No such image: " + id.str());
}

TEST(RemoveTest, TagInAnotherRepositoryKeepsImageForContainer) {
  Store s;
  digest::Digest id = s.AddImage({{"base", 10}});
  s.Ref("a:1", id);
  s.Ref("b:1", id);
  s.AddContainer(std::string(64, 'f'), id, digest::Digest::Of("base"), false);
  ImageService images(s.root());
  // Not the only reference: no container check, and the image keeps b:1.
  absl::StatusOr<std::vector<std::string>> out = images.Remove("a:1", false);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(*out, ElementsAre("Untagged: a:1"));
  // Now it is: refused.
  out = images.Remove("b:1", false);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(out.status().message(),
            "conflict: unable to remove repository reference \"b:1\" (must "
            "force) - container "
            "ffffffffffff is using its referenced image " +
                ShortId(id));
  EXPECT_THAT(s.Refs(), ElementsAre("b:1 -> " + ShortId(id)));
}

TEST(RemoveTest, StoppedContainerNeedsForceAndKeepsItsLayers) {
  Store s;
  digest::Digest id = s.AddImage({{"base", 10}, {"top", 5}});
  std::vector<digest::Digest> chains = layerdb::ChainIds(
      {digest::Digest::Of("base"), digest::Digest::Of("top")});
  s.Ref("app:latest", id);
  std::string cid = "3f2a" + std::string(60, '0');
  s.AddContainer(cid, id, chains[1], /*running=*/false);
  ImageService images(s.root());

  absl::StatusOr<std::vector<ContainerUse>> users = images.ContainersUsing(id);
  ASSERT_TRUE(users.ok()) << users.status();
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ((*users)[0].id, cid);
  EXPECT_FALSE((*users)[0].running);

  absl::StatusOr<std::vector<std::string>> out = images.Remove("app", false);
  EXPECT_EQ(out.status().message(),
            "conflict: unable to remove repository reference \"app\" (must "
            "force) - container "
            "3f2a00000000 is using its referenced image " +
                ShortId(id));
  out = images.Remove(ShortId(id), false);
  EXPECT_EQ(out.status().message(),
            "conflict: unable to delete " + ShortId(id) +
                " (must be forced) - image is being used by stopped "
                "container 3f2a00000000");
  EXPECT_THAT(s.Refs(), ElementsAre("app:latest -> " + ShortId(id)));

  // -f: untagged and deleted, but the container still stands on the layers.
  out = images.Remove("app", true);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(*out,
              ElementsAre("Untagged: app:latest", "Deleted: " + id.str()));
  EXPECT_TRUE(s.layers().Has(chains[0]));
  EXPECT_TRUE(s.layers().Has(chains[1]));
}

TEST(RemoveTest, RunningContainer) {
  Store s;
  digest::Digest id = s.AddImage({{"base", 10}});
  s.Ref("app:1", id);
  std::string cid = "9" + std::string(63, 'e');
  s.AddContainer(cid, id, digest::Digest::Of("base"), /*running=*/true);
  ImageService images(s.root());
  // By id even -f cannot.
  absl::StatusOr<std::vector<std::string>> out = images.Remove(id.str(), true);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(out.status().message(),
            "conflict: unable to delete " + ShortId(id) +
                " (cannot be forced) - image is being used by running "
                "container 9eeeeeeeeeee");
  // By reference -f untags it and quietly keeps the image.
  out = images.Remove("app:1", true);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(*out, ElementsAre("Untagged: app:1"));
  EXPECT_TRUE(s.db().Exists(id));
  EXPECT_THAT(Rows(images),
              ElementsAre("<none> <none> " + ShortId(id) + " 10B"));
}

TEST(RemoveTest, ParentImageCannotBeDeleted) {
  Store s;
  digest::Digest parent = s.AddImage({{"base", 10}});
  digest::Digest child = s.AddImage({{"base", 10}, {"more", 1}});
  s.Ref("child:1", child);
  std::string parent_file = absl::StrCat(
      store::ImageDbDir(s.root()), "/metadata/sha256/", child.hex(), "/parent");
  ASSERT_TRUE(base::MakeDirs(base::Dirname(parent_file), 0700).ok());
  ASSERT_TRUE(base::WriteFileAtomic(parent_file, parent.str()).ok());
  ImageService images(s.root());
  absl::StatusOr<std::vector<std::string>> out =
      images.Remove(parent.str(), true);
  EXPECT_EQ(out.status().message(),
            "conflict: unable to delete " + ShortId(parent) +
                " (cannot be forced) - image has dependent child images");
  absl::StatusOr<ordered_json> j = images.Inspect("child:1");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["Parent"], parent.str());
  // The child goes, and with it its own layer only.
  out = images.Remove("child:1", false);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->size(), 3u);
  EXPECT_EQ((*out)[2],
            "Deleted: " + layerdb::ChainIds({digest::Digest::Of("base"),
                                             digest::Digest::Of("more")})[1]
                              .str());
  EXPECT_TRUE(s.layers().Has(digest::Digest::Of("base")));
}

TEST(ContainersUsingTest, NoContainersDirectory) {
  Store s;
  digest::Digest id = s.AddImage({{"base", 10}});
  ImageService images(s.root());
  absl::StatusOr<std::vector<ContainerUse>> users = images.ContainersUsing(id);
  ASSERT_TRUE(users.ok()) << users.status();
  EXPECT_TRUE(users->empty());
  // Other images' containers and junk do not count.
  s.AddContainer(std::string(64, '1'), D(kBusybox), std::nullopt, true);
  ASSERT_TRUE(base::MakeDirs(store::ContainersDir(s.root()) + "/junk").ok());
  ASSERT_TRUE(
      base::WriteFileAtomic(
          store::ContainersDir(s.root()) + "/junk/config.v2.json", "{not json")
          .ok());
  s.AddContainer(std::string(64, '2'), id, std::nullopt, true);
  users = images.ContainersUsing(id);
  ASSERT_TRUE(users.ok()) << users.status();
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ((*users)[0].id, std::string(64, '2'));
  EXPECT_TRUE((*users)[0].running);
}

TEST(InspectTest, ConfigFieldsAsDockerdShowsThem) {
  Store s;
  digest::Digest id = s.AddImage(
      {}, {{"created", "2024-05-01T10:00:00.500+02:00"},
           {"variant", "v8"},
           {"architecture", "arm64"},
           {"os", nullptr},
           {"os.version", "10.0.17763.1"},
           {"author", "me"},
           {"docker_version", "20.10.24"},
           {"container", "abc"},
           {"container_config", {{"Cmd", "/bin/sh -c #(nop) CMD [\"sh\"]"}}},
           {"config", nullptr},
           {"history", {{{"created_by", "x"}}, {{"comment", "last"}}}}});
  s.Ref("scratchy:1", id);
  s.Ref("scratchy@sha256:" + std::string(64, 'd'), id);
  ImageService images(s.root());
  absl::StatusOr<ordered_json> j = images.Inspect("scratchy:1");
  ASSERT_TRUE(j.ok()) << j.status();
  std::vector<std::string> keys;
  for (auto it = j->begin(); it != j->end(); ++it) keys.push_back(it.key());
  EXPECT_THAT(keys,
              ElementsAre("Id", "RepoTags", "RepoDigests", "Parent", "Comment",
                          "Created", "Container", "ContainerConfig",
                          "DockerVersion", "Author", "Config", "Architecture",
                          "Variant", "Os", "OsVersion", "Size", "VirtualSize",
                          "GraphDriver", "RootFS", "Metadata"));
  EXPECT_EQ((*j)["Created"],
            "2024-05-01T10:00:00.5+02:00");  // Go keeps the offset.
  EXPECT_EQ((*j)["Comment"], "last");        // From the history.
  EXPECT_EQ((*j)["Os"], "linux");
  EXPECT_EQ((*j)["Variant"], "v8");
  EXPECT_EQ((*j)["Container"], "abc");
  EXPECT_EQ((*j)["ContainerConfig"]["Cmd"].dump(),
            R"(["/bin/sh -c #(nop) CMD [\"sh\"]"])");
  EXPECT_TRUE((*j)["Config"].is_null());
  EXPECT_EQ((*j)["RepoDigests"].dump(),
            R"(["scratchy@sha256:)" + std::string(64, 'd') + "\"]");
  // No layers: no driver data, no Layers list, size 0.
  EXPECT_EQ((*j)["GraphDriver"].dump(), R"({"Data":null,"Name":"overlay2"})");
  EXPECT_EQ((*j)["RootFS"].dump(), R"({"Type":"layers"})");
  EXPECT_EQ((*j)["Size"], 0);

  EXPECT_EQ(images.Inspect("nope").status().message(),
            "No such image: nope:latest");
}

}  // namespace
}  // namespace mydocker::image
