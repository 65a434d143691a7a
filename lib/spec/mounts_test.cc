#include "lib/spec/mounts.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::spec {
namespace {

using ::testing::ElementsAre;

TEST(CleanPathTest, LikeGoPathClean) {
  EXPECT_EQ(CleanPath(""), ".");
  EXPECT_EQ(CleanPath("/"), "/");
  EXPECT_EQ(CleanPath("//a//b/"), "/a/b");
  EXPECT_EQ(CleanPath("/a/./b/../c"), "/a/c");
  EXPECT_EQ(CleanPath("/../../a"), "/a");
  EXPECT_EQ(CleanPath("a/../../b"), "../b");
  EXPECT_EQ(CleanPath("a/.."), ".");
  EXPECT_EQ(CleanPath("/a/b/.."), "/a");
}

VolumeSpec Parse(const char* raw) {
  absl::StatusOr<VolumeSpec> v = ParseVolume(raw);
  EXPECT_TRUE(v.ok()) << raw << ": " << v.status();
  return v.ok() ? *v : VolumeSpec{};
}

TEST(ParseVolumeTest, BindForms) {
  VolumeSpec v = Parse("/srv/data:/data");
  EXPECT_EQ(v.kind, VolumeKind::kBind);
  EXPECT_EQ(v.source, "/srv/data");
  EXPECT_EQ(v.destination, "/data");
  EXPECT_FALSE(v.read_only);
  EXPECT_EQ(v.propagation, "");

  v = Parse("/srv//data/:/data/../x/:ro");
  EXPECT_EQ(v.source, "/srv/data");
  EXPECT_EQ(v.destination, "/x");
  EXPECT_TRUE(v.read_only);

  v = Parse("/a:/b:rw,z,rshared,delegated");
  EXPECT_FALSE(v.read_only);
  EXPECT_EQ(v.propagation, "rshared");
  EXPECT_EQ(v.mode, "rw,z,rshared,delegated");

  v = Parse("/a:/b:Z,ro,slave");
  EXPECT_TRUE(v.read_only);
  EXPECT_EQ(v.propagation, "slave");
}

TEST(ParseVolumeTest, NamedAndAnonymous) {
  VolumeSpec v = Parse("pgdata:/var/lib/postgresql/data");
  EXPECT_EQ(v.kind, VolumeKind::kNamed);
  EXPECT_EQ(v.source, "pgdata");
  v = Parse("my_vol.1-x:/d:ro,nocopy");
  EXPECT_EQ(v.kind, VolumeKind::kNamed);
  EXPECT_TRUE(v.read_only);
  EXPECT_TRUE(v.no_copy);
  v = Parse("/cache");
  EXPECT_EQ(v.kind, VolumeKind::kAnonymous);
  EXPECT_EQ(v.source, "");
  EXPECT_EQ(v.destination, "/cache");
}

TEST(ParseVolumeTest, DockersErrors) {
  struct Case {
    const char* raw;
    const char* message;
  };
  const Case cases[] = {
      {"", "invalid volume specification: ''"},
      {":/a", "invalid volume specification: ':/a'"},
      {"/a:/b:ro:x", "invalid volume specification: '/a:/b:ro:x'"},
      // A destination and a mode: volumes have no mode.
      {"/foo:rw", "invalid volume specification: '/foo:rw'"},
      {"/foo:", "invalid volume specification: '/foo:'"},
      {"/a:/b:rx", "invalid mode: rx"},
      {"/a:/b:ro,rw", "invalid mode: ro,rw"},
      {"/a:/b:shared,slave", "invalid mode: shared,slave"},
      {"/a:b",
       "invalid volume specification: '/a:b': invalid mount config "
       "for type \"bind\": invalid mount path: 'b' mount path must "
       "be absolute"},
      {"/a:/",
       "invalid volume specification: '/a:/': invalid mount config "
       "for type \"bind\": invalid specification: destination can't "
       "be '/'"},
      {"/a:/b/..",
       "invalid volume specification: '/a:/b/..': invalid mount "
       "config for type \"bind\": invalid specification: "
       "destination can't be '/'"},
      {"/a::ro",
       "invalid volume specification: '/a::ro': invalid mount "
       "config for type \"bind\": field Target must not be empty"},
      {"/a:/b:nocopy",
       "invalid volume specification: '/a:/b:nocopy': invalid "
       "mount config for type \"bind\": field VolumeOptions "
       "must not be specified"},
      {"vol:/b:rshared",
       "invalid volume specification: 'vol:/b:rshared': "
       "invalid mount config for type \"volume\": field "
       "BindOptions must not be specified"},
      {"relative",
       "invalid volume specification: 'relative': invalid mount "
       "config for type \"volume\": invalid mount path: "
       "'relative' mount path must be absolute"},
      {"x:/b",
       "volume name is too short, names should be at least two "
       "alphanumeric characters"},
      {"./data:/b",
       "create ./data: \"./data\" includes invalid characters "
       "for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" "
       "are allowed. If you intended to pass a host directory, "
       "use absolute path"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<VolumeSpec> v = ParseVolume(c.raw);
    ASSERT_FALSE(v.ok()) << c.raw;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << c.raw;
    EXPECT_EQ(v.status().message(), c.message) << c.raw;
  }
}

TEST(BindMountTest, SpecMountOptions) {
  BindMount b = Parse("/srv:/data:ro").ToBindMount("/srv");
  Mount m = b.ToSpecMount();
  EXPECT_EQ(m.destination, "/data");
  EXPECT_EQ(m.type, "bind");
  EXPECT_EQ(m.source, "/srv");
  EXPECT_THAT(m.options, ElementsAre("rbind", "ro", "rprivate"));

  m = Parse("vol:/data")
          .ToBindMount("/var/lib/mydocker/volumes/vol/_data")
          .ToSpecMount();
  EXPECT_EQ(m.source, "/var/lib/mydocker/volumes/vol/_data");
  EXPECT_THAT(m.options, ElementsAre("rbind", "rprivate"));

  b = Parse("/a:/b:rslave").ToBindMount("/a");
  b.non_recursive = true;
  EXPECT_THAT(b.ToSpecMount().options, ElementsAre("bind", "rslave"));
}

TEST(TmpfsTest, ParseAndOptions) {
  absl::StatusOr<TmpfsMount> t = ParseTmpfs("/run:rw,size=64m");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->destination, "/run");
  EXPECT_EQ(t->data, "rw,size=64m");
  absl::StatusOr<Mount> m = t->ToSpecMount();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->type, "tmpfs");
  EXPECT_EQ(m->source, "tmpfs");
  EXPECT_THAT(m->options, ElementsAre("noexec", "nosuid", "nodev", "rprivate",
                                      "rw", "size=64m"));

  t = ParseTmpfs("/tmp/");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->destination, "/tmp");
  EXPECT_THAT(t->ToSpecMount()->options,
              ElementsAre("noexec", "nosuid", "nodev", "rprivate"));

  // exec overrides the default noexec; the last size wins.
  t = ParseTmpfs("/x:exec,size=1m,mode=1777,size=2m,shared");
  EXPECT_THAT(
      t->ToSpecMount()->options,
      ElementsAre("nosuid", "nodev", "exec", "mode=1777", "size=2m", "shared"));
}

TEST(TmpfsTest, Errors) {
  EXPECT_EQ(ParseTmpfs("run").status().message(),
            "invalid mount path: 'run' mount path must be absolute");
  EXPECT_EQ(ParseTmpfs("/:size=1m").status().message(),
            "invalid specification: destination can't be '/'");
  EXPECT_EQ(ParseTmpfs(":size=1m").status().message(),
            "field Target must not be empty");
  EXPECT_EQ(ParseTmpfs("/x:bogus")->ToSpecMount().status().message(),
            "--tmpfs /x: Invalid tmpfs option \"bogus\"");
  EXPECT_FALSE(ParseTmpfs("/x:rw,,size=1m")->ToSpecMount().ok());
  EXPECT_FALSE(ParseTmpfs("/x:label=foo")->ToSpecMount().ok());
}

TEST(MergeTmpfsOptionsTest, LastOfEachKindWins) {
  absl::StatusOr<std::vector<std::string>> got = MergeTmpfsOptions(
      {"defaults", "ro", "nosuid", "rprivate", "rw", "suid", "rshared", "uid=1",
       "gid=2", "uid=3", "noatime", "atime", "nr_inodes=10", "mpol=default"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre("rw", "suid", "rshared", "gid=2", "uid=3",
                                "atime", "nr_inodes=10", "mpol=default"));
}

TEST(SortMountsByDepthTest, ShallowFirstStable) {
  std::vector<Mount> m = {{"/a/b/c", "", "", {}}, {"/z", "", "", {}},
                          {"/a/b", "", "", {}},   {"/a", "", "", {}},
                          {"/y/", "", "", {}},    {"/a/b/../q", "", "", {}}};
  SortMountsByDepth(m);
  std::vector<std::string> dests;
  for (const Mount& x : m) dests.push_back(x.destination);
  EXPECT_THAT(dests,
              ElementsAre("/z", "/a", "/y/", "/a/b", "/a/b/../q", "/a/b/c"));
}

}  // namespace
}  // namespace mydocker::spec
