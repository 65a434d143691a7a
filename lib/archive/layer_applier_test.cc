#include "lib/archive/layer_applier.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/tar/entry.h"

namespace mydocker::archive {
namespace {

using tar::EntryType;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kMtime = 1'600'000'000;

// One tar entry and its content, built fluently:
//   File("etc/passwd", "root:x:0:0").Owner(0, 0).Mode(0644)
struct Item {
  tar::Entry entry;
  std::string content;

  Item& Owner(int64_t uid, int64_t gid) {
    entry.uid = uid;
    entry.gid = gid;
    return *this;
  }
  Item& Mode(uint32_t mode) {
    entry.mode = mode;
    return *this;
  }
  Item& Mtime(int64_t sec, int32_t nsec) {
    entry.mtime_sec = sec;
    entry.mtime_nsec = nsec;
    return *this;
  }
  Item& Xattr(std::string name, std::string value) {
    entry.xattrs.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

Item Make(std::string name, EntryType type, uint32_t mode) {
  Item item;
  item.entry.name = std::move(name);
  item.entry.type = type;
  item.entry.mode = mode;
  item.entry.mtime_sec = kMtime;
  return item;
}

Item File(std::string name, std::string content = "", uint32_t mode = 0644) {
  Item item = Make(std::move(name), EntryType::kRegular, mode);
  item.entry.size = static_cast<int64_t>(content.size());
  item.content = std::move(content);
  return item;
}

Item Dir(std::string name, uint32_t mode = 0755) {
  return Make(std::move(name), EntryType::kDirectory, mode);
}

Item Symlink(std::string name, std::string target) {
  Item item = Make(std::move(name), EntryType::kSymlink, 0777);
  item.entry.linkname = std::move(target);
  return item;
}

Item Hardlink(std::string name, std::string target) {
  Item item = Make(std::move(name), EntryType::kHardlink, 0644);
  item.entry.linkname = std::move(target);
  return item;
}

Item Node(std::string name, EntryType type, uint32_t mode, uint32_t major = 0,
          uint32_t minor = 0) {
  Item item = Make(std::move(name), type, mode);
  item.entry.devmajor = major;
  item.entry.devminor = minor;
  return item;
}

struct stat Lstat(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path << ": " << strerror(errno);
  return st;
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::string ReadAll(const std::string& path) {
  std::string data;
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  EXPECT_GE(fd, 0) << path;
  if (fd < 0) return data;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) data.append(buf, n);
  close(fd);
  return data;
}

std::string ReadLink(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
  return n < 0 ? "<error>" : std::string(buf, n);
}

// The value of xattr `name` on `path` itself (not following a symlink), or
// "<none>".
std::string Xattr(const std::string& path, const std::string& name) {
  char buf[4096];
  ssize_t n = lgetxattr(path.c_str(), name.c_str(), buf, sizeof(buf));
  return n < 0 ? "<none>" : std::string(buf, n);
}

std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  EXPECT_NE(d, nullptr) << dir;
  if (d == nullptr) return names;
  while (const dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// Everything a layer could change about `path`: type and mode, owner, mtime
// and ctime (any chmod/chown/xattr write bumps ctime, even to the same
// value), content or link target, xattrs.
std::string Describe(const std::string& path) {
  struct stat st = Lstat(path);
  std::string d = absl::StrFormat(
      "mode=%o uid=%d gid=%d mtime=%d.%09d ctime=%d.%09d nlink=%d", st.st_mode,
      st.st_uid, st.st_gid, st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
      st.st_ctim.tv_sec, st.st_ctim.tv_nsec, st.st_nlink);
  if (S_ISREG(st.st_mode)) absl::StrAppend(&d, " content=", ReadAll(path));
  if (S_ISLNK(st.st_mode)) absl::StrAppend(&d, " target=", ReadLink(path));
  char names[4096];
  ssize_t n = llistxattr(path.c_str(), names, sizeof(names));
  std::vector<std::string> xattrs;
  for (ssize_t i = 0; i < n; i += strlen(names + i) + 1) {
    xattrs.push_back(
        absl::StrCat(names + i, "=", Xattr(path, std::string(names + i))));
  }
  std::sort(xattrs.begin(), xattrs.end());
  for (const std::string& x : xattrs) absl::StrAppend(&d, " ", x);
  return d;
}

void Snapshot(const std::string& root, const std::string& rel,
              std::map<std::string, std::string>* out) {
  const std::string path = rel.empty() ? root : absl::StrCat(root, "/", rel);
  (*out)[rel.empty() ? "." : rel] = Describe(path);
  if (!S_ISDIR(Lstat(path).st_mode)) return;
  for (const std::string& name : List(path)) {
    Snapshot(root, rel.empty() ? name : absl::StrCat(rel, "/", name), out);
  }
}

std::map<std::string, std::string> Snapshot(const std::string& root) {
  std::map<std::string, std::string> out;
  Snapshot(root, "", &out);
  return out;
}

void SetMtime(const std::string& path, int64_t sec) {
  const timespec ts[2] = {{sec, 0}, {sec, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW), 0);
}

// Each test gets  <tmp>/diff  (the empty layer directory) and, next to it,
//  <tmp>/canary  holding a file and a directory that no layer may touch.
class LayerApplierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Extraction is root's job (chown, mknod, trusted.* xattrs); tools/test
    // and CI run as root. Fail loudly rather than pass without checking.
    ASSERT_EQ(geteuid(), 0u) << "layer_applier_test needs root";
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ = absl::StrCat(tmp ? tmp : "/tmp", "/layer.XXXXXX");
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    tmp_ = templ;
    ASSERT_EQ(chmod(tmp_.c_str(), 0755), 0);
    diff_ = tmp_ + "/diff";
    canary_ = tmp_ + "/canary";
    ASSERT_EQ(mkdir(diff_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(canary_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir((canary_ + "/dir").c_str(), 0750), 0);
    for (const char* f : {"/file", "/dir/inner"}) {
      const std::string p = canary_ + f;
      int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
      ASSERT_GE(fd, 0);
      ASSERT_EQ(write(fd, "canary", 6), 6);
      close(fd);
      ASSERT_EQ(chown(p.c_str(), 4321, 4321), 0);
      ASSERT_EQ(chmod(p.c_str(), 0640), 0);
      ASSERT_EQ(lsetxattr(p.c_str(), "user.canary", "1", 1, 0), 0);
      SetMtime(p, 1'000'000'000);
    }
    SetMtime(canary_ + "/dir", 1'000'000'000);
    SetMtime(canary_, 1'000'000'000);
    canary_before_ = Snapshot(canary_);
  }

  // The canary is exactly as it was and nothing new sits beside diff/.
  void ExpectContained() {
    EXPECT_EQ(Snapshot(canary_), canary_before_);
    EXPECT_THAT(List(tmp_), ElementsAre("canary", "diff"));
  }

  // Feeds `items` to a fresh applier on diff_ as the pull pipeline would,
  // content in `chunk`-byte writes; returns the first error.
  absl::Status Apply(const std::vector<Item>& items, Limits limits = {},
                     size_t chunk = 4096) {
    absl::StatusOr<LayerApplier> applier = LayerApplier::Create(diff_, limits);
    if (!applier.ok()) return applier.status();
    for (const Item& item : items) {
      if (absl::Status s = applier->Begin(item.entry); !s.ok()) return s;
      for (size_t off = 0; off < item.content.size(); off += chunk) {
        absl::string_view part =
            absl::string_view(item.content).substr(off, chunk);
        if (absl::Status s = applier->Write(part); !s.ok()) return s;
      }
      if (absl::Status s = applier->End(); !s.ok()) return s;
    }
    return applier->Finish();
  }

  std::string D(absl::string_view rel) { return absl::StrCat(diff_, "/", rel); }

  std::string tmp_, diff_, canary_;
  std::map<std::string, std::string> canary_before_;
};

// ---------------------------------------------------------------------------
// Hostile layers: each must fail with the given code, the message must name
// the offending entry, and nothing outside diff/ may change.

struct HostileCase {
  std::string name;
  // Builds the layer; gets the canary's absolute path.
  std::function<std::vector<Item>(const std::string& canary)> items;
  absl::StatusCode code;
  std::string entry;  // As it must appear, quoted, in the message.
  std::string detail = "";
  Limits limits = {};
};

void PrintTo(const HostileCase& c, std::ostream* os) { *os << c.name; }

std::vector<HostileCase> HostileCases() {
  using C = std::string;
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  const auto kDenied = absl::StatusCode::kPermissionDenied;
  const auto kExhausted = absl::StatusCode::kResourceExhausted;
  return {
      {"DotDot", [](C) { return std::vector<Item>{File("../x", "evil")}; },
       kInvalid, "../x", "\"..\" component"},
      {"DotDotInside",
       [](C) { return std::vector<Item>{File("a/../../x", "evil")}; }, kInvalid,
       "a/../../x", "\"..\" component"},
      {"DotDotIntoCanary",
       [](C) { return std::vector<Item>{File("../canary/file", "evil")}; },
       kInvalid, "../canary/file"},
      {"Absolute", [](C) { return std::vector<Item>{File("/etc/x", "evil")}; },
       kInvalid, "/etc/x", "absolute"},
      {"AbsoluteIntoCanary",
       [](C c) { return std::vector<Item>{File(c + "/file", "evil")}; },
       kInvalid, "", "absolute"},
      {"EmptyName", [](C) { return std::vector<Item>{File("", "x")}; },
       kInvalid, "", "empty name"},
      {"NulInName",
       [](C) { return std::vector<Item>{File(std::string("a\0z", 3))}; },
       kInvalid, "a\\x00z", "NUL"},
      {"RootAsFile", [](C) { return std::vector<Item>{File("./", "x")}; },
       kInvalid, "./", "layer root"},
      {"FileThroughAbsoluteSymlink",
       [](C c) {
         return std::vector<Item>{Symlink("a", c), File("a/x", "evil")};
       },
       kDenied, "a/x", "\"a\" is a symlink"},
      {"FileThroughRelativeSymlink",
       [](C) {
         return std::vector<Item>{Symlink("a", "../canary"),
                                  File("a/file", "evil")};
       },
       kDenied, "a/file", "\"a\" is a symlink"},
      {"FileThroughNestedSymlink",
       [](C) {
         return std::vector<Item>{Dir("d"), Symlink("d/l", "../../canary"),
                                  File("d/l/dir/inner", "evil")};
       },
       kDenied, "d/l/dir/inner", "\"d/l\" is a symlink"},
      {"FileThroughSymlinkToRoot",
       [](C c) {
         // Were "r" followed, the file would land in the canary.
         return std::vector<Item>{Symlink("r", "/"),
                                  File("r" + c + "/x", "evil")};
       },
       kDenied, "", "\"r\" is a symlink"},
      {"DirThroughSymlink",
       [](C) {
         return std::vector<Item>{Symlink("a", "../canary"),
                                  Dir("a/new").Mode(0777)};
       },
       kDenied, "a/new"},
      {"SymlinkThroughSymlink",
       [](C) {
         return std::vector<Item>{Symlink("a", "../canary"),
                                  Symlink("a/l", "/etc/shadow")};
       },
       kDenied, "a/l"},
      {"FifoThroughSymlink",
       [](C) {
         return std::vector<Item>{Symlink("a", "../canary"),
                                  Node("a/p", EntryType::kFifo, 0666)};
       },
       kDenied, "a/p"},
      {"HardlinkThroughSymlink",
       [](C) {
         return std::vector<Item>{File("f", "x"), Symlink("a", "../canary"),
                                  Hardlink("a/h", "f")};
       },
       kDenied, "a/h"},
      {"HardlinkTargetOutside",
       [](C) { return std::vector<Item>{Hardlink("h", "../canary/file")}; },
       kInvalid, "h", "hardlink target \"../canary/file\""},
      {"HardlinkTargetAbsolute",
       [](C c) { return std::vector<Item>{Hardlink("h", c + "/file")}; },
       kInvalid, "h", "absolute"},
      {"HardlinkTargetAbsoluteEtc",
       [](C) { return std::vector<Item>{Hardlink("h", "/etc/passwd")}; },
       kInvalid, "h", "absolute"},
      {"HardlinkTargetMissing",
       [](C) { return std::vector<Item>{Hardlink("h", "missing")}; }, kInvalid,
       "h", "not an earlier entry of this layer"},
      {"HardlinkTargetInMissingDir",
       [](C) { return std::vector<Item>{Hardlink("h", "no/such/file")}; },
       kInvalid, "h", "not an earlier entry of this layer"},
      {"HardlinkTargetThroughSymlink",
       [](C) {
         return std::vector<Item>{Symlink("a", "../canary"),
                                  Hardlink("h", "a/file")};
       },
       kDenied, "h", "\"a\" is a symlink"},
      {"HardlinkTargetIsDirectory",
       [](C) {
         return std::vector<Item>{Dir("d"), Hardlink("h", "d")};
       },
       kInvalid, "h", "is a directory"},
      {"HardlinkToItself",
       [](C) {
         return std::vector<Item>{File("f"), Hardlink("f", "./f")};
       },
       kInvalid, "f", "links to itself"},
      {"WhiteoutOfDot", [](C) { return std::vector<Item>{File(".wh..")}; },
       kInvalid, ".wh..", "names no file"},
      {"WhiteoutOfNothing", [](C) { return std::vector<Item>{File(".wh.")}; },
       kInvalid, ".wh.", "names no file"},
      {"WhiteoutOfDotDot",
       [](C) { return std::vector<Item>{File("a/.wh...")}; }, kInvalid,
       "a/.wh...", "names no file"},
      {"WhiteoutOutside",
       [](C) { return std::vector<Item>{File("../.wh.canary")}; }, kInvalid,
       "../.wh.canary", "\"..\" component"},
      {"WhiteoutUnderSymlink",
       [](C) {
         return std::vector<Item>{Symlink("link", "../canary"),
                                  File("link/.wh.file")};
       },
       kDenied, "link/.wh.file", "\"link\" is a symlink"},
      {"OpaqueUnderSymlink",
       [](C) {
         return std::vector<Item>{Symlink("link", "../canary"),
                                  File("link/.wh..wh..opq")};
       },
       kDenied, "link/.wh..wh..opq", "\"link\" is a symlink"},
      {"WhiteoutAsDirectory",
       [](C) { return std::vector<Item>{File("a/.wh.b/c")}; }, kInvalid,
       "a/.wh.b/c", "used as a directory"},
      {"ParentIsAFile",
       [](C) {
         return std::vector<Item>{File("f"), File("f/x")};
       },
       kInvalid, "f/x", "\"f\" is not a directory"},
      {"EmptySymlinkTarget",
       [](C) { return std::vector<Item>{Symlink("l", "")}; }, kInvalid, "l",
       "invalid symlink target"},
      {"ContentOnSymlink",
       [](C) {
         Item l = Symlink("l", "x");
         l.entry.size = 3;
         l.content = "abc";
         return std::vector<Item>{l};
       },
       kInvalid, "l", "not a regular file"},
      {"UidMinusOne",
       [](C) { return std::vector<Item>{File("f").Owner(-1, 0)}; }, kInvalid,
       "f", "uid -1"},
      {"GidKeepOwner",
       [](C) { return std::vector<Item>{File("f").Owner(0, 4294967295)}; },
       kInvalid, "f", "gid 4294967295"},
      {"MtimeUtimeNow",
       [](C) { return std::vector<Item>{File("f").Mtime(0, (1 << 30) - 1)}; },
       kInvalid, "f", "nanoseconds"},
      {"XattrEmptyName",
       [](C) { return std::vector<Item>{File("f").Xattr("", "v")}; }, kInvalid,
       "f", "invalid xattr name"},
      {"BombOneFile",
       [](C) { return std::vector<Item>{File("big", std::string(1025, 'z'))}; },
       kExhausted, "big", "1024 bytes (max_bytes)", Limits{1024, 100}},
      {"BombTotal",
       [](C) {
         return std::vector<Item>{File("a", std::string(600, 'a')),
                                  File("b", std::string(600, 'b'))};
       },
       kExhausted, "b", "max_bytes", Limits{1024, 100}},
      {"BombEntries",
       [](C) {
         std::vector<Item> items;
         for (int i = 0; i < 11; ++i) {
           items.push_back(Dir(absl::StrCat("d", i)));
         }
         return items;
       },
       kExhausted, "d10", "more than 10 entries (max_entries)",
       Limits{1 << 20, 10}},
      {"BombEntriesSkippedCountToo",
       [](C) {
         std::vector<Item> items;
         for (int i = 0; i < 11; ++i) {
           items.push_back(File(absl::StrCat(".wh..wh.plnk/", i)));
         }
         return items;
       },
       kExhausted, ".wh..wh.plnk/10", "max_entries", Limits{1 << 20, 10}},
  };
}

class HostileLayerTest : public LayerApplierTest,
                         public ::testing::WithParamInterface<HostileCase> {};

TEST_P(HostileLayerTest, RefusedAndContained) {
  const HostileCase& c = GetParam();
  std::vector<Item> items = c.items(canary_);
  // Cases whose entry name holds the canary path (known only now) leave
  // `entry` empty: the last entry is the one refused.
  std::string entry = c.entry.empty() && !items.back().entry.name.empty()
                          ? items.back().entry.name
                          : c.entry;
  absl::Status s = Apply(items, c.limits);
  EXPECT_EQ(s.code(), c.code) << s;
  EXPECT_THAT(s.message(), HasSubstr(absl::StrCat("entry \"", entry, "\"")));
  EXPECT_THAT(s.message(), HasSubstr(c.detail));
  ExpectContained();
}

INSTANTIATE_TEST_SUITE_P(All, HostileLayerTest,
                         ::testing::ValuesIn(HostileCases()),
                         [](const ::testing::TestParamInfo<HostileCase>& info) {
                           return info.param.name;
                         });

// ---------------------------------------------------------------------------
// Hostile layers that are valid: the later entry replaces the symlink, or the
// operation lands on the symlink itself. Either way the target is untouched.

// CVE-2021-32760: a later entry at a symlink's path must not chmod (or chown,
// or write) the symlink's target.
TEST_F(LayerApplierTest, LaterEntryReplacesSymlinkInsteadOfFollowingIt) {
  ASSERT_TRUE(Apply({
                        Symlink("f", "../canary/file"),
                        File("f", "mine", 04777).Owner(1, 1),
                        Symlink("d", "../canary/dir"),
                        Dir("d", 0777).Owner(1, 1),
                        Symlink("p", canary_ + "/file"),
                        Node("p", EntryType::kFifo, 0777),
                        Symlink("x", "../canary/file"),
                        Dir("x", 0777),
                    })
                  .ok());
  struct stat st = Lstat(D("f"));
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 04777u);
  EXPECT_EQ(ReadAll(D("f")), "mine");
  EXPECT_TRUE(S_ISDIR(Lstat(D("d")).st_mode));
  EXPECT_EQ(Lstat(D("d")).st_mode & 07777, 0777u);
  EXPECT_TRUE(S_ISFIFO(Lstat(D("p")).st_mode));
  EXPECT_TRUE(S_ISDIR(Lstat(D("x")).st_mode));
  ExpectContained();
}

TEST_F(LayerApplierTest, SymlinkMetadataLandsOnTheLinkItself) {
  ASSERT_TRUE(Apply({
                        Symlink("rel", "../canary/file")
                            .Owner(1234, 5678)
                            .Mtime(1'234'567'890, 123'456'789)
                            .Xattr("trusted.mydocker", "on-the-link"),
                        Symlink("abs", canary_ + "/dir")
                            .Owner(1234, 5678)
                            .Xattr("trusted.mydocker", "on-the-link"),
                    })
                  .ok());
  for (const char* l : {"rel", "abs"}) {
    struct stat st = Lstat(D(l));
    EXPECT_TRUE(S_ISLNK(st.st_mode)) << l;
    EXPECT_EQ(st.st_uid, 1234u) << l;
    EXPECT_EQ(st.st_gid, 5678u) << l;
    EXPECT_EQ(Xattr(D(l), "trusted.mydocker"), "on-the-link") << l;
  }
  EXPECT_EQ(Lstat(D("rel")).st_mtim.tv_sec, 1'234'567'890);
  EXPECT_EQ(Lstat(D("rel")).st_mtim.tv_nsec, 123'456'789);
  EXPECT_EQ(ReadLink(D("abs")), canary_ + "/dir");  // Kept verbatim.
  ExpectContained();
}

TEST_F(LayerApplierTest, HardlinkToSymlinkLinksTheSymlink) {
  ASSERT_TRUE(Apply({Symlink("s", "../canary/file"), Hardlink("h", "s")}).ok());
  EXPECT_TRUE(S_ISLNK(Lstat(D("h")).st_mode));
  EXPECT_EQ(ReadLink(D("h")), "../canary/file");
  EXPECT_EQ(Lstat(D("h")).st_ino, Lstat(D("s")).st_ino);
  ExpectContained();
}

TEST_F(LayerApplierTest, WhiteoutOfThisLayersSymlinkLeavesIt) {
  ASSERT_TRUE(
      Apply({Symlink("w", "../canary/file"), File(".wh.w"), File("dir/.wh.x")})
          .ok());
  EXPECT_TRUE(S_ISLNK(Lstat(D("w")).st_mode));
  ExpectContained();
}

// ---------------------------------------------------------------------------
// Good layers.

TEST_F(LayerApplierTest, EveryEntryType) {
  ASSERT_TRUE(Apply({
                        Dir("etc"),
                        File("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
                        File("etc/empty"),
                        Dir("bin"),
                        Symlink("bin/sh", "/bin/busybox"),
                        Symlink("bin/ash", "sh"),
                        Hardlink("bin/passwd-copy", "etc/passwd"),
                        Dir("dev"),
                        Node("dev/fifo", EntryType::kFifo, 0600),
                        Node("dev/null", EntryType::kCharDevice, 0666, 1, 3),
                        Node("dev/loop0", EntryType::kBlockDevice, 0660, 7, 0),
                    })
                  .ok());
  EXPECT_EQ(ReadAll(D("etc/passwd")), "root:x:0:0:root:/root:/bin/sh\n");
  EXPECT_TRUE(S_ISREG(Lstat(D("etc/empty")).st_mode));
  EXPECT_EQ(Lstat(D("etc/empty")).st_size, 0);
  EXPECT_EQ(ReadLink(D("bin/sh")), "/bin/busybox");
  EXPECT_EQ(ReadLink(D("bin/ash")), "sh");
  EXPECT_EQ(Lstat(D("bin/passwd-copy")).st_ino, Lstat(D("etc/passwd")).st_ino);
  EXPECT_EQ(Lstat(D("etc/passwd")).st_nlink, 2u);
  EXPECT_TRUE(S_ISFIFO(Lstat(D("dev/fifo")).st_mode));
  struct stat null = Lstat(D("dev/null"));
  EXPECT_TRUE(S_ISCHR(null.st_mode));
  EXPECT_EQ(null.st_rdev, makedev(1, 3));
  struct stat loop = Lstat(D("dev/loop0"));
  EXPECT_TRUE(S_ISBLK(loop.st_mode));
  EXPECT_EQ(loop.st_rdev, makedev(7, 0));
  EXPECT_THAT(List(diff_), ElementsAre("bin", "dev", "etc"));
  ExpectContained();
}

TEST_F(LayerApplierTest, OwnersAndModesExactly) {
  ASSERT_TRUE(
      Apply({
                File("suid", "#!", 04755).Owner(1234, 5678),
                File("sgid", "#!", 02711).Owner(1234, 5678),
                File("odd", "", 0641).Owner(1234, 5678),
                Dir("tmp", 01777).Owner(1234, 5678),
                Dir("shared", 02775).Owner(0, 5678),
                File("shared/f", "", 0600).Owner(1234, 1234),
                Node("fifo", EntryType::kFifo, 04640).Owner(1234, 5678),
                Node("tty", EntryType::kCharDevice, 0620, 4, 1).Owner(0, 5),
                Symlink("link", "suid").Owner(1234, 5678),
            })
          .ok());
  auto expect = [&](const char* rel, mode_t mode, uid_t uid, gid_t gid) {
    struct stat st = Lstat(D(rel));
    EXPECT_EQ(st.st_mode & 07777, mode) << rel;
    EXPECT_EQ(st.st_uid, uid) << rel;
    EXPECT_EQ(st.st_gid, gid) << rel;
  };
  expect("suid", 04755, 1234, 5678);
  expect("sgid", 02711, 1234, 5678);
  expect("odd", 0641, 1234, 5678);
  expect("tmp", 01777, 1234, 5678);
  expect("shared", 02775, 0, 5678);
  expect("shared/f", 0600, 1234, 1234);  // Not the setgid dir's group.
  expect("fifo", 04640, 1234, 5678);
  expect("tty", 0620, 0, 5);
  EXPECT_EQ(Lstat(D("link")).st_uid, 1234u);
  EXPECT_EQ(Lstat(D("link")).st_gid, 5678u);
}

TEST_F(LayerApplierTest, UmaskDoesNotChangeModes) {
  const mode_t old = umask(077);
  absl::Cleanup restore = [old] { umask(old); };
  ASSERT_TRUE(Apply({
                        File("f", "x", 0644),
                        Dir("d", 0775),
                        Node("p", EntryType::kFifo, 0666),
                        File("implied/parent/f", "", 0664),
                    })
                  .ok());
  EXPECT_EQ(Lstat(D("f")).st_mode & 07777, 0644u);
  EXPECT_EQ(Lstat(D("d")).st_mode & 07777, 0775u);
  EXPECT_EQ(Lstat(D("p")).st_mode & 07777, 0666u);
  EXPECT_EQ(Lstat(D("implied")).st_mode & 07777, 0755u);
  EXPECT_EQ(Lstat(D("implied/parent")).st_mode & 07777, 0755u);
  EXPECT_EQ(Lstat(D("implied/parent/f")).st_mode & 07777, 0664u);
}

TEST_F(LayerApplierTest, MissingParentsAreCreatedRootOwned0755) {
  ASSERT_TRUE(Apply({
                        File("x/y/z/f", "deep"),
                        // Inside a setgid directory a new subdirectory would
                        // inherit its group and setgid bit; implied ones don't.
                        Dir("s", 02775).Owner(1234, 5678),
                        File("s/p/f"),
                    })
                  .ok());
  for (const char* rel : {"x", "x/y", "x/y/z", "s/p"}) {
    struct stat st = Lstat(D(rel));
    EXPECT_TRUE(S_ISDIR(st.st_mode)) << rel;
    EXPECT_EQ(st.st_mode & 07777, 0755u) << rel;
    EXPECT_EQ(st.st_uid, 0u) << rel;
    EXPECT_EQ(st.st_gid, 0u) << rel;
  }
  EXPECT_EQ(ReadAll(D("x/y/z/f")), "deep");
}

TEST_F(LayerApplierTest, MtimesWithNanoseconds) {
  ASSERT_TRUE(Apply({
                        Dir("d").Mtime(1'111'111'111, 111'111'111),
                        File("d/f", "x").Mtime(1'222'222'222, 222'222'222),
                        Dir("d/sub").Mtime(1'333'333'333, 333'333'333),
                        // Created after d/sub's entry: would bump its mtime.
                        File("d/sub/late").Mtime(1'444'444'444, 0),
                        Symlink("d/l", "f").Mtime(1'555'555'555, 555'555'555),
                        Node("d/p", EntryType::kFifo, 0644)
                            .Mtime(1'666'666'666, 666'666'666),
                        // A repeated directory entry: the last mtime wins.
                        Dir("e").Mtime(1, 1),
                        Dir("e").Mtime(1'777'777'777, 777'777'777),
                        File("e/late"),
                    })
                  .ok());
  auto expect = [&](const char* rel, int64_t sec, int64_t nsec) {
    struct stat st = Lstat(D(rel));
    EXPECT_EQ(st.st_mtim.tv_sec, sec) << rel;
    EXPECT_EQ(st.st_mtim.tv_nsec, nsec) << rel;
  };
  expect("d", 1'111'111'111, 111'111'111);
  expect("d/f", 1'222'222'222, 222'222'222);
  expect("d/sub", 1'333'333'333, 333'333'333);
  expect("d/sub/late", 1'444'444'444, 0);
  expect("d/l", 1'555'555'555, 555'555'555);
  expect("d/p", 1'666'666'666, 666'666'666);
  expect("e", 1'777'777'777, 777'777'777);
}

TEST_F(LayerApplierTest, XattrsKeptExceptOverlayOnes) {
  ASSERT_TRUE(Apply({
                        File("f", "x")
                            .Owner(1234, 5678)
                            .Xattr("user.mydocker", "test")
                            .Xattr("trusted.overlay.foo", "bar")
                            .Xattr("trusted.overlay.redirect", "/etc")
                            .Xattr("user.overlay.opaque", "y")
                            .Xattr("trusted.other", std::string("\0\1", 2)),
                        Dir("d")
                            .Xattr("user.mydocker", "dir")
                            .Xattr("trusted.overlay.opaque", "y"),
                        Node("p", EntryType::kFifo, 0644)
                            .Xattr("trusted.mydocker", "fifo"),
                    })
                  .ok());
  EXPECT_EQ(Xattr(D("f"), "user.mydocker"), "test");
  EXPECT_EQ(Xattr(D("f"), "trusted.other"), std::string("\0\1", 2));
  EXPECT_EQ(Xattr(D("f"), "trusted.overlay.foo"), "<none>");
  EXPECT_EQ(Xattr(D("f"), "trusted.overlay.redirect"), "<none>");
  EXPECT_EQ(Xattr(D("f"), "user.overlay.opaque"), "<none>");
  EXPECT_EQ(Xattr(D("d"), "user.mydocker"), "dir");
  EXPECT_EQ(Xattr(D("d"), "trusted.overlay.opaque"), "<none>");
  EXPECT_EQ(Xattr(D("p"), "trusted.mydocker"), "fifo");
}

TEST_F(LayerApplierTest, WhiteoutBecomesZeroZeroCharDevice) {
  ASSERT_TRUE(Apply({
                        Dir("a"),
                        File("a/.wh.b").Owner(1234, 5678),
                        File(".wh.top"),
                        File("implied/.wh.x"),
                    })
                  .ok());
  for (const char* rel : {"a/b", "top", "implied/x"}) {
    struct stat st = Lstat(D(rel));
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << rel;
    EXPECT_EQ(st.st_rdev, makedev(0, 0)) << rel;
    EXPECT_EQ(st.st_mode & 07777, 0u) << rel;
  }
  EXPECT_EQ(Lstat(D("a/b")).st_uid, 1234u);
  EXPECT_EQ(Lstat(D("a/b")).st_gid, 5678u);
  EXPECT_FALSE(Exists(D("a/.wh.b")));
  EXPECT_EQ(Lstat(D("implied")).st_mode & 07777, 0755u);
}

TEST_F(LayerApplierTest, OpaqueMarkerSetsOverlayXattr) {
  ASSERT_TRUE(Apply({
                        Dir("a", 0700),
                        File("a/.wh..wh..opq"),
                        File("a/kept"),
                        // The marker may come before its directory's entry.
                        File("b/.wh..wh..opq"),
                        Dir("b", 0711).Owner(5, 6),
                    })
                  .ok());
  EXPECT_EQ(Xattr(D("a"), "trusted.overlay.opaque"), "y");
  EXPECT_FALSE(Exists(D("a/.wh..wh..opq")));
  EXPECT_THAT(List(D("a")), ElementsAre("kept"));
  EXPECT_EQ(Xattr(D("b"), "trusted.overlay.opaque"), "y");
  EXPECT_EQ(Lstat(D("b")).st_mode & 07777, 0711u);
  EXPECT_EQ(Lstat(D("b")).st_uid, 5u);
  EXPECT_THAT(List(D("b")), IsEmpty());
}

TEST_F(LayerApplierTest, OpaqueMarkerAtTheRoot) {
  ASSERT_TRUE(Apply({File(".wh..wh..opq")}).ok());
  EXPECT_EQ(Xattr(diff_, "trusted.overlay.opaque"), "y");
  EXPECT_THAT(List(diff_), IsEmpty());
  ExpectContained();
}

TEST_F(LayerApplierTest, AufsMetadataIsSkipped) {
  ASSERT_TRUE(Apply({
                        Dir(".wh..wh.plnk"),
                        File(".wh..wh.plnk/1234.5678", "hardlink store"),
                        File(".wh..wh.aufs"),
                        File("usr/.wh..wh.orph"),
                    })
                  .ok());
  // Skipped outright: not even usr/, the last entry's implied parent.
  EXPECT_THAT(List(diff_), IsEmpty());
}

// A whiteout and an entry at the same path in one layer: the whiteout deletes
// the lower layers' node, the entry is this layer's new one (OCI layer spec).
TEST_F(LayerApplierTest, WhiteoutAndEntryAtTheSamePath) {
  ASSERT_TRUE(Apply({
                        File(".wh.d1"),
                        Dir("d1"),
                        File("d1/new"),
                        Dir("d2"),
                        File("d2/new"),
                        File(".wh.d2"),
                        File(".wh.d3"),
                        File("d3/new"),  // Implied d3.
                        File(".wh.f1"),
                        File("f1", "file"),
                        File("f2", "file"),
                        File(".wh.f2"),
                    })
                  .ok());
  for (const char* d : {"d1", "d2", "d3"}) {
    EXPECT_TRUE(S_ISDIR(Lstat(D(d)).st_mode)) << d;
    // Replaces the lower directory: its old contents must not show through.
    EXPECT_EQ(Xattr(D(d), "trusted.overlay.opaque"), "y") << d;
    EXPECT_THAT(List(D(d)), ElementsAre("new")) << d;
  }
  EXPECT_EQ(ReadAll(D("f1")), "file");
  EXPECT_EQ(ReadAll(D("f2")), "file");
}

TEST_F(LayerApplierTest, LaterEntryReplacesEarlier) {
  ASSERT_TRUE(Apply({
                        // File over file: a new inode; a hard link to the old
                        // one keeps the old content.
                        File("f", "one", 0600),
                        Hardlink("f-link", "f"),
                        File("f", "two", 0644).Owner(7, 7),
                        // File then directory.
                        File("x", "file"),
                        Dir("x", 0750),
                        File("x/child"),
                        // Directory tree then file (its deferred mtimes go).
                        Dir("y").Mtime(1, 1),
                        Dir("y/sub").Mtime(1, 1),
                        File("y/sub/deep", "deep"),
                        Symlink("y/sub/link", "/"),
                        File("y", "now a file").Mtime(1'500'000'000, 5),
                        // Directory over directory: metadata only, contents
                        // stay.
                        Dir("m", 0755),
                        File("m/keep", "kept"),
                        Dir("m", 0700).Owner(42, 43),
                        // Symlink over file and file over symlink.
                        File("s", "file"),
                        Symlink("s", "target"),
                        Symlink("t", "target"),
                        File("t", "file"),
                    })
                  .ok());
  EXPECT_EQ(ReadAll(D("f")), "two");
  EXPECT_EQ(Lstat(D("f")).st_mode & 07777, 0644u);
  EXPECT_EQ(Lstat(D("f")).st_uid, 7u);
  EXPECT_EQ(ReadAll(D("f-link")), "one");
  EXPECT_TRUE(S_ISDIR(Lstat(D("x")).st_mode));
  EXPECT_EQ(Lstat(D("x")).st_mode & 07777, 0750u);
  EXPECT_TRUE(S_ISREG(Lstat(D("y")).st_mode));
  EXPECT_EQ(ReadAll(D("y")), "now a file");
  EXPECT_EQ(Lstat(D("y")).st_mtim.tv_sec, 1'500'000'000);
  EXPECT_EQ(Lstat(D("y")).st_mtim.tv_nsec, 5);
  EXPECT_EQ(ReadAll(D("m/keep")), "kept");
  EXPECT_EQ(Lstat(D("m")).st_mode & 07777, 0700u);
  EXPECT_EQ(Lstat(D("m")).st_uid, 42u);
  EXPECT_EQ(ReadLink(D("s")), "target");
  EXPECT_EQ(ReadAll(D("t")), "file");
}

TEST_F(LayerApplierTest, RootEntryIsIgnoredAndDotSlashNamesWork) {
  ASSERT_TRUE(Apply({
                        Dir("./", 0700).Owner(99, 99),
                        Dir("./etc/"),
                        File("./etc//hostname", "box\n"),
                    })
                  .ok());
  struct stat st = Lstat(diff_);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(ReadAll(D("etc/hostname")), "box\n");
}

TEST_F(LayerApplierTest, ContentInManySmallWritesAndExactLimits) {
  std::string big;
  for (int i = 0; i < 100'000; ++i) {
    big.push_back(static_cast<char>('a' + i % 26));
  }
  ASSERT_TRUE(Apply({File("big", big), File("small", "12345")},
                    Limits{100'005, 2}, /*chunk=*/999)
                  .ok());
  EXPECT_EQ(ReadAll(D("big")), big);
  EXPECT_EQ(ReadAll(D("small")), "12345");
}

TEST_F(LayerApplierTest, ContentBeyondTheHeaderSizeIsRefused) {
  absl::StatusOr<LayerApplier> a = LayerApplier::Create(diff_);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(a->Begin(File("f", "abc").entry).ok());
  ASSERT_TRUE(a->Write("ab").ok());
  absl::Status s = a->Write("cd");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("entry \"f\": content longer than the 3"));
  // Spent after a failure.
  EXPECT_EQ(a->End().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(a->Finish().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(LayerApplierTest, ShortContentIsRefusedAtEnd) {
  absl::StatusOr<LayerApplier> a = LayerApplier::Create(diff_);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(a->Begin(File("f", "abc").entry).ok());
  ASSERT_TRUE(a->Write("ab").ok());
  absl::Status s = a->End();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("entry \"f\": ended after 2 of 3"));
}

TEST_F(LayerApplierTest, CallsOutOfOrderAreRefused) {
  {
    absl::StatusOr<LayerApplier> a = LayerApplier::Create(diff_);
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->Write("x").code(), absl::StatusCode::kFailedPrecondition);
  }
  {
    absl::StatusOr<LayerApplier> a = LayerApplier::Create(diff_);
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->End().code(), absl::StatusCode::kFailedPrecondition);
  }
  {
    absl::StatusOr<LayerApplier> a = LayerApplier::Create(diff_);
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(a->Begin(Dir("d").entry).ok());
    absl::Status s = a->Begin(Dir("e").entry);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(s.message(), HasSubstr("before End of entry \"d\""));
  }
  ASSERT_EQ(rmdir(D("d").c_str()), 0);
  {
    absl::StatusOr<LayerApplier> a = LayerApplier::Create(diff_);
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(a->Begin(File("f", "x").entry).ok());
    EXPECT_EQ(a->Finish().code(), absl::StatusCode::kFailedPrecondition);
  }
  ASSERT_EQ(unlink(D("f").c_str()), 0);
  {
    absl::StatusOr<LayerApplier> a = LayerApplier::Create(diff_);
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(a->Finish().ok());
    EXPECT_EQ(a->Begin(Dir("d").entry).code(),
              absl::StatusCode::kFailedPrecondition);
  }
}

TEST_F(LayerApplierTest, CreateWantsAnEmptyDirectory) {
  EXPECT_EQ(LayerApplier::Create(tmp_ + "/missing").status().code(),
            absl::StatusCode::kNotFound);
  absl::Status s = LayerApplier::Create(tmp_).status();  // Holds diff, canary.
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("is not empty"));
  EXPECT_FALSE(LayerApplier::Create(canary_ + "/file").ok());
  ASSERT_EQ(symlink(diff_.c_str(), (tmp_ + "/diff-link").c_str()), 0);
  EXPECT_FALSE(LayerApplier::Create(tmp_ + "/diff-link").ok());
  ASSERT_EQ(unlink((tmp_ + "/diff-link").c_str()), 0);
}

TEST_F(LayerApplierTest, WhiteoutContentIsConsumedAndDiscarded) {
  ASSERT_TRUE(
      Apply({File(".wh.x", "ignored"), File(".wh..wh.plnk/1", "z")}).ok());
  EXPECT_TRUE(S_ISCHR(Lstat(D("x")).st_mode));
  EXPECT_THAT(List(diff_), ElementsAre("x"));
}

}  // namespace
}  // namespace mydocker::archive
