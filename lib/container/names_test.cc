#include "lib/container/names.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/base/file_lock.h"
#include "lib/container/layout.h"
#include "lib/container/record.h"
#include "lib/container/testing.h"
#include "lib/store/paths.h"

namespace mydocker::container {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr char kId1[] =
    "6c908a9b3600b862c1df71d8621e5d29b19bfccf4d19bea1ffa2485b100f3d1a";
constexpr char kId2[] =
    "750f56516cf951adb7d0597f9520e5083db29d88c9ccb9ad456881a6b56713a2";
constexpr char kId3[] =
    "9fa7656d23c9cb5bb13bf4272e0cf18ad83a478fcc2bf49b3815cad17665dcb1";

// A container directory with just enough of a config.v2.json.
void WriteContainer(const std::string& root, const std::string& id,
                    const std::string& name) {
  ASSERT_TRUE(base::MakeDirs(ContainerDir(root, id), 0710).ok());
  Container c;
  c.id = id;
  c.name = name;
  ASSERT_TRUE(
      base::WriteFileAtomic(ConfigPath(root, id), SerializeConfigV2(c), 0600)
          .ok());
}

// Journal records, as the index writes them.
std::string Set(const std::string& id, const std::string& name) {
  return absl::StrCat("+", id, " ", name, "\n");
}
std::string Erase(const std::string& id) { return absl::StrCat("-", id, "\n"); }

// Appends `data` to `path` as is, like an append that a crash cut short.
void AppendRaw(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(fd, 0) << path;
  EXPECT_EQ(write(fd, data.data(), data.size()),
            static_cast<ssize_t>(data.size()));
  close(fd);
}

ino_t Inode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

TEST(CanonicalNameTest, DockersRule) {
  EXPECT_EQ(*CanonicalName("web"), "/web");
  EXPECT_EQ(*CanonicalName("/web"), "/web");
  EXPECT_EQ(*CanonicalName("a1_b.c-d"), "/a1_b.c-d");
  EXPECT_EQ(*CanonicalName("9x"), "/9x");
  for (const char* bad : {"", "/", "a", "/a", "_x", "-x", ".x", "a b", "a/b",
                          "//ab", "x:y", "\xc3\xa9t\xc3\xa9"}) {
    absl::StatusOr<std::string> n = CanonicalName(bad);
    ASSERT_FALSE(n.ok()) << bad;
    EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(n.status().message(),
              absl::StrCat("Invalid container name (", bad,
                           "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"));
  }
}

TEST(RandomNameTest, AdjectiveSurnameNeverBoringWozniak) {
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {
    std::string n = RandomName(0);
    EXPECT_THAT(n, MatchesRegex("[a-z]+_[a-z]+")) << n;
    EXPECT_NE(n, "boring_wozniak");
    seen.insert(n);
  }
  EXPECT_GT(seen.size(), 4000u);  // 108 x 236 combinations.
  EXPECT_THAT(RandomName(1), MatchesRegex("[a-z]+_[a-z]+[0-9]"));
  // The lists are Docker's: both ends of each.
  bool admiring = false, zhukovsky = false;
  for (int i = 0; i < 200000 && !(admiring && zhukovsky); ++i) {
    std::string n = RandomName(0);
    admiring = admiring || n.rfind("admiring_", 0) == 0;
    zhukovsky =
        zhukovsky || (n.size() > 10 && n.substr(n.size() - 10) == "_zhukovsky");
  }
  EXPECT_TRUE(admiring && zhukovsky);
}

TEST(NameConflictTest, DockersWords) {
  absl::Status s = NameConflictError("/x", kId1);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(
      s.message(),
      absl::StrCat("Conflict. The container name \"/x\" is already in use "
                   "by container \"",
                   kId1,
                   "\". You have to remove (or rename) that container to "
                   "be able to reuse that name."));
}

TEST(NameIndexTest, ReserveLookupRelease) {
  std::string root = testing::NewTempDir("names");
  NameIndex names(root);
  // The creator holds the container's lock while it works.
  absl::StatusOr<base::FileLock> lock =
      store::Lock(root, ContainerLockName(kId1), base::FileLock::kExclusive);
  ASSERT_TRUE(lock.ok());
  absl::StatusOr<std::string> n = names.Reserve(kId1, "web");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, "/web");
  // Reserved but not created yet: in use, but not found.
  absl::Status conflict = names.Reserve(kId2, "/web").status();
  EXPECT_EQ(conflict, NameConflictError("/web", kId1));
  EXPECT_TRUE(absl::IsNotFound(names.Lookup("/web").status()));

  WriteContainer(root, kId1, "/web");
  EXPECT_EQ(*names.Lookup("/web"), kId1);
  EXPECT_EQ(*base::ReadFile(NameIndexPath(root)), Set(kId1, "/web"));
  // Released: free again.
  ASSERT_TRUE(names.Release(kId1).ok());
  absl::StatusOr<std::string> again = names.Reserve(kId2, "web");
  // kId1 still has its config.v2.json, so reconciling puts its name back.
  EXPECT_EQ(again.status(), NameConflictError("/web", kId1));
}

TEST(NameIndexTest, DeadReservationsAreDropped) {
  std::string root = testing::NewTempDir("names");
  NameIndex names(root);
  {
    absl::StatusOr<base::FileLock> lock =
        store::Lock(root, ContainerLockName(kId1), base::FileLock::kExclusive);
    ASSERT_TRUE(names.Reserve(kId1, "web").ok());
  }  // The creator died without making the container.
  absl::StatusOr<std::string> n = names.Reserve(kId2, "web");
  ASSERT_TRUE(n.ok()) << n.status();
  // Its lock file went with the reservation.
  struct stat st;
  EXPECT_NE(stat(ContainerLockPath(root, kId1).c_str(), &st), 0);
}

TEST(NameIndexTest, PicksUpContainersItDoesNotKnow) {
  std::string root = testing::NewTempDir("names");
  // Containers dockerd made, and no index at all.
  WriteContainer(root, kId1, "/plain");
  WriteContainer(root, kId2, "/full");
  NameIndex names(root);
  EXPECT_EQ(*names.Lookup("/full"), kId2);
  EXPECT_TRUE(absl::IsNotFound(names.Lookup("/nope").status()));
  EXPECT_EQ(names.Reserve(kId3, "plain").status(),
            NameConflictError("/plain", kId1));
  absl::StatusOr<std::map<std::string, std::string>> all = names.Snapshot();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  // A container removed behind the index's back frees its name.
  ASSERT_TRUE(base::RemoveAll(ContainerDir(root, kId1)).ok());
  EXPECT_TRUE(names.Reserve(kId3, "plain").ok());
  // A damaged index is rebuilt: its garbage lines are skipped.
  ASSERT_TRUE(base::WriteFileAtomic(
                  NameIndexPath(root),
                  absl::StrCat("{nonsense\n+", kId2, "/full\n+abc /full\n-",
                               kId2, " \n*", kId2, " /x\n"),
                  0600)
                  .ok());
  EXPECT_EQ(names.Reserve(kId1, "full").status(),
            NameConflictError("/full", kId2));
  // An entry naming a container that now has another name is not trusted.
  ASSERT_TRUE(
      base::WriteFileAtomic(NameIndexPath(root), Set(kId2, "/old"), 0600).ok());
  EXPECT_TRUE(absl::IsNotFound(names.Lookup("/old").status()));
}

TEST(NameIndexTest, ReserveAndReleaseAppend) {
  std::string root = testing::NewTempDir("names");
  NameIndex names(root);
  std::vector<base::FileLock> creators;
  for (const char* id : {kId1, kId2, kId3}) {
    absl::StatusOr<base::FileLock> lock =
        store::Lock(root, ContainerLockName(id), base::FileLock::kExclusive);
    ASSERT_TRUE(lock.ok());
    creators.push_back(*std::move(lock));
  }
  ASSERT_TRUE(names.Reserve(kId1, "web").ok());
  const std::string path = NameIndexPath(root);
  const ino_t inode = Inode(path);
  ASSERT_TRUE(names.Reserve(kId2, "db").ok());
  ASSERT_TRUE(names.Release(kId1).ok());
  ASSERT_TRUE(names.Reserve(kId3, "web").ok());
  // A rename frees the old name.
  ASSERT_TRUE(names.Reserve(kId3, "www").ok());
  ASSERT_TRUE(names.Reserve(kId1, "web").ok());
  ASSERT_TRUE(names.Release(kId2).ok());
  EXPECT_EQ(Inode(path), inode);
  EXPECT_EQ(*base::ReadFile(path),
            absl::StrCat(Set(kId1, "/web"), Set(kId2, "/db"), Erase(kId1),
                         Set(kId3, "/web"), Set(kId3, "/www"),
                         Set(kId1, "/web"), Erase(kId2)));
  absl::StatusOr<std::map<std::string, std::string>> all = names.Snapshot();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, (std::map<std::string, std::string>{{kId1, "/web"},
                                                      {kId3, "/www"}}));
  EXPECT_EQ(Inode(path), inode);
}

TEST(NameIndexTest, TornLastLineIsIgnored) {
  std::string root = testing::NewTempDir("names");
  NameIndex names(root);
  WriteContainer(root, kId1, "/web");
  ASSERT_TRUE(names.Snapshot().ok());  // Writes the journal.
  const std::string path = NameIndexPath(root);
  ASSERT_EQ(*base::ReadFile(path), Set(kId1, "/web"));
  // An append cut short: applied, it would rename kId1 (an entry whose
  // container is there is trusted).
  AppendRaw(path, absl::StrCat("+", kId1, " /other"));
  EXPECT_EQ(*names.Lookup("/web"), kId1);
  EXPECT_EQ(names.Reserve(kId2, "web").status(),
            NameConflictError("/web", kId1));
  absl::StatusOr<base::FileLock> lock =
      store::Lock(root, ContainerLockName(kId3), base::FileLock::kExclusive);
  ASSERT_TRUE(lock.ok());
  ASSERT_TRUE(names.Reserve(kId3, "other").ok());
  // The torn line was cut before the record was appended.
  absl::StatusOr<std::string> text = base::ReadFile(path);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, absl::StrCat(Set(kId1, "/web"), Set(kId3, "/other")));
  // Release too.
  AppendRaw(path, absl::StrCat("-", kId1));
  ASSERT_TRUE(names.Release(kId3).ok());
  EXPECT_EQ(*base::ReadFile(path),
            absl::StrCat(Set(kId1, "/web"), Set(kId3, "/other"), Erase(kId3)));
  absl::StatusOr<std::map<std::string, std::string>> all = names.Snapshot();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, (std::map<std::string, std::string>{{kId1, "/web"}}));
}

TEST(NameIndexTest, CompactsWhenMostLinesAreDead) {
  std::string root = testing::NewTempDir("names");
  NameIndex names(root);
  WriteContainer(root, kId1, "/keep");
  // A creator at work throughout: its reservation is live too.
  absl::StatusOr<base::FileLock> busy =
      store::Lock(root, ContainerLockName(kId3), base::FileLock::kExclusive);
  ASSERT_TRUE(busy.ok());
  ASSERT_TRUE(names.Reserve(kId3, "busy").ok());
  const std::string path = NameIndexPath(root);
  size_t most = 0;
  for (int i = 0; i < 300; ++i) {
    std::string id =
        absl::StrCat(std::string(56, 'c'), absl::Hex(i, absl::kZeroPad8));
    absl::StatusOr<base::FileLock> lock =
        store::Lock(root, ContainerLockName(id), base::FileLock::kExclusive);
    ASSERT_TRUE(names.Reserve(id, "tmp").ok()) << i;
    ASSERT_TRUE(names.Release(id).ok());
    absl::StatusOr<std::string> text = base::ReadFile(path);
    ASSERT_TRUE(text.ok());
    most = std::max<size_t>(most, std::count(text->begin(), text->end(), '\n'));
  }
  // At most 2 x 3 live entries (during a Reserve) + 64, and the Release.
  EXPECT_LE(most, 2u * 3 + 64 + 1);
  EXPECT_EQ(names.Reserve(kId2, "keep").status(),
            NameConflictError("/keep", kId1));
  EXPECT_EQ(names.Reserve(kId2, "busy").status(),
            NameConflictError("/busy", kId3));
  absl::StatusOr<std::map<std::string, std::string>> all = names.Snapshot();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, (std::map<std::string, std::string>{{kId1, "/keep"},
                                                      {kId3, "/busy"}}));
}

TEST(NameIndexTest, MigratesFromNamesJson) {
  std::string root = testing::NewTempDir("names");
  WriteContainer(root, kId1, "/web");
  // The previous version's index, not read: its names come from the
  // containers.
  const std::string legacy = store::OwnDir(root) + "/names.json";
  ASSERT_TRUE(base::MakeDirs(store::OwnDir(root), 0700).ok());
  ASSERT_TRUE(base::WriteFileAtomic(
                  legacy, absl::StrCat("{\"", kId2, "\":\"/ghost\"}\n"), 0600)
                  .ok());
  NameIndex names(root);
  EXPECT_EQ(names.Reserve(kId3, "web").status(),
            NameConflictError("/web", kId1));
  EXPECT_FALSE(Exists(legacy));
  EXPECT_EQ(*base::ReadFile(NameIndexPath(root)), Set(kId1, "/web"));
  absl::StatusOr<base::FileLock> lock =
      store::Lock(root, ContainerLockName(kId3), base::FileLock::kExclusive);
  ASSERT_TRUE(lock.ok());
  EXPECT_TRUE(names.Reserve(kId3, "ghost").ok());
}

TEST(NameIndexTest, DeadReservationWithDirectoryDoesNotBlock) {
  std::string root = testing::NewTempDir("names");
  NameIndex names(root);
  {
    absl::StatusOr<base::FileLock> lock =
        store::Lock(root, ContainerLockName(kId1), base::FileLock::kExclusive);
    ASSERT_TRUE(lock.ok());
    ASSERT_TRUE(names.Reserve(kId1, "web").ok());
    ASSERT_TRUE(base::MakeDirs(ContainerDir(root, kId1), 0710).ok());
    // Its creator at work: the name is in use.
    EXPECT_EQ(names.Reserve(kId2, "web").status(),
              NameConflictError("/web", kId1));
  }  // The creator died before it wrote config.v2.json.
  const std::string path = NameIndexPath(root);
  const std::string before = *base::ReadFile(path);
  absl::StatusOr<base::FileLock> lock =
      store::Lock(root, ContainerLockName(kId2), base::FileLock::kExclusive);
  ASSERT_TRUE(lock.ok());
  absl::StatusOr<std::string> n = names.Reserve(kId2, "web");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*base::ReadFile(path),
            absl::StrCat(before, Erase(kId1), Set(kId2, "/web")));
  EXPECT_FALSE(Exists(ContainerLockPath(root, kId1)));
}

TEST(NameIndexTest, GeneratedNamesAreUnique) {
  std::string root = testing::NewTempDir("names");
  NameIndex names(root);
  std::set<std::string> seen;
  for (int i = 0; i < 300; ++i) {
    std::string id =
        absl::StrCat(std::string(56, 'a'), absl::Hex(i, absl::kZeroPad8));
    absl::StatusOr<base::FileLock> lock =
        store::Lock(root, ContainerLockName(id), base::FileLock::kExclusive);
    absl::StatusOr<std::string> n = names.Reserve(id, "");
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_THAT(*n, MatchesRegex("/[a-z]+_[a-z]+[0-9]?"));
    EXPECT_TRUE(seen.insert(*n).second) << *n;
    WriteContainer(root, id, *n);
  }
}

TEST(NameIndexTest, ConcurrentReserversOneWinnerPerName) {
  std::string root = testing::NewTempDir("names");
  constexpr int kThreads = 20;
  std::vector<absl::Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string id =
          absl::StrCat(std::string(56, 'b'), absl::Hex(t, absl::kZeroPad8));
      absl::StatusOr<base::FileLock> lock =
          store::Lock(root, ContainerLockName(id), base::FileLock::kExclusive);
      NameIndex names(root);
      results[t] = names.Reserve(id, "same").status();
      // A creator finishes its container before it lets go of the lock.
      if (results[t].ok()) WriteContainer(root, id, "/same");
    });
  }
  for (std::thread& t : threads) t.join();
  int ok = 0;
  for (const absl::Status& s : results) {
    if (s.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
      EXPECT_THAT(s.message(),
                  HasSubstr("The container name \"/same\" is already in use"));
    }
  }
  EXPECT_EQ(ok, 1);
}

}  // namespace
}  // namespace mydocker::container
