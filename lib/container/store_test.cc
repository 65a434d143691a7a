#include "lib/container/store.h"

#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/container/go_json.h"
#include "lib/container/layout.h"
#include "lib/container/names.h"
#include "lib/container/runtime_state.h"
#include "lib/container/summary.h"
#include "lib/container/testing.h"
#include "lib/store/paths.h"

namespace mydocker::container {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::LayerFiles;
using testing::MakeImage;
using ::testing::MatchesRegex;
using testing::NewTempDir;
using testing::ReadRunfile;
using testing::TestImage;
using testing::TreeListing;

constexpr char kDir[] = "lib/container/testdata/research";

const std::vector<LayerFiles> kBusybox = {
    {{"bin/sh", "#!"}, {"dev/", ""}, {"etc/", ""}, {"proc/", ""}, {"sys/", ""}},
    {{"etc/os-release", "ID=test\n"}}};

// What `docker create --name plain 127.0.0.1:5000/library/busybox` sent to
// dockerd (samples/create-requests.json).
CreateRequest PlainRequest(const digest::Digest& image,
                           const std::string& name) {
  Json all = Json::parse(
      ReadRunfile(absl::StrCat(kDir, "/samples/create-requests.json")), nullptr,
      false);
  CreateRequest r;
  if (!all.is_array() || all.empty()) {
    ADD_FAILURE() << "no create-requests.json";
    return r;
  }
  Json req = all[0];
  r.name = name;
  r.image_id = image;
  absl::StatusOr<HostConfig> h = ParseHostConfig(GoJson(req["HostConfig"]));
  EXPECT_TRUE(h.ok()) << h.status();
  r.host_config = *h;
  req.erase("HostConfig");
  req.erase("NetworkingConfig");
  absl::StatusOr<Config> c = ConfigFromJson(req, "request");
  EXPECT_TRUE(c.ok()) << c.status();
  r.config = *c;
  return r;
}

mode_t Mode(const std::string& p) {
  struct stat st;
  EXPECT_EQ(lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

std::vector<std::string> Lines(const std::string& s) {
  return absl::StrSplit(s, '\n', absl::SkipEmpty());
}

// Lines of `after` not in `before`, and the reverse.
std::pair<std::vector<std::string>, std::vector<std::string>> Diff(
    const std::string& before, const std::string& after) {
  std::vector<std::string> b = Lines(before), a = Lines(after), added, removed;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(),
                      std::back_inserter(added));
  std::set_difference(b.begin(), b.end(), a.begin(), a.end(),
                      std::back_inserter(removed));
  return {added, removed};
}

// `listing` without the name index's line. The index is a journal: a
// reservation and its release (a create that fails, a create and an rm)
// leave it longer by their records, with the same names in it, which the
// tests that use this check through NameIndex.
std::string WithoutNameIndex(const std::string& listing) {
  std::vector<std::string> lines = Lines(listing);
  std::erase_if(lines, [](const std::string& line) {
    return absl::StartsWith(line, "mydocker/names ");
  });
  return absl::StrJoin(lines, "\n");
}

// The mount ids of the spare layers kept (rw_layer.h), all images.
std::vector<std::string> SpareIds(const std::string& root) {
  std::vector<std::string> ids;
  absl::StatusOr<std::vector<std::string>> images =
      base::ListDir(store::SparesDir(root));
  for (const std::string& i : images.ok() ? *images : std::vector<std::string>()) {
    absl::StatusOr<std::vector<std::string>> kept =
        base::ListDir(absl::StrCat(store::SparesDir(root), "/", i));
    if (kept.ok()) ids.insert(ids.end(), kept->begin(), kept->end());
  }
  return ids;
}

// `listing` without the spares and their layers.
std::string WithoutSpares(const std::string& listing,
                          const std::vector<std::string>& spares) {
  std::vector<std::string> lines = Lines(listing);
  std::erase_if(lines, [&](const std::string& line) {
    if (absl::StartsWith(line, "mydocker/spares")) return true;
    for (const std::string& id : spares) {
      if (absl::StartsWith(line, absl::StrCat("overlay2/", id)) ||
          absl::StrContains(line, absl::StrCat("-> ../", id))) {
        return true;
      }
    }
    return false;
  });
  return absl::StrJoin(lines, "\n");
}

// The names in the index, reconciled.
std::vector<std::string> IndexedNames(const std::string& root) {
  absl::StatusOr<std::map<std::string, std::string>> all =
      NameIndex(root).Snapshot();
  EXPECT_TRUE(all.ok()) << all.status();
  std::vector<std::string> names;
  if (all.ok()) {
    for (const auto& [id, name] : *all) names.push_back(name);
  }
  return names;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = NewTempDir("store");
    absl::StatusOr<TestImage> img = MakeImage(root_, kBusybox);
    ASSERT_TRUE(img.ok()) << img.status();
    image_ = *img;
  }
  std::string root_;
  TestImage image_{digest::Digest::Of(""), {}, {}};
};

TEST_F(StoreTest, CreateWritesWhatDockerdWrites) {
  Store store(root_);
  absl::StatusOr<Container> c = store.Create(PlainRequest(image_.id, "plain"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->id, MatchesRegex("[0-9a-f]{64}"));
  EXPECT_EQ(c->name, "/plain");
  EXPECT_EQ(c->path, "sh");
  EXPECT_EQ(c->config.hostname, c->id.substr(0, 12));
  EXPECT_EQ(c->image, image_.id.str());

  const std::string dir = ContainerDir(root_, c->id);
  EXPECT_EQ(TreeListing(dir),
            absl::StrCat("checkpoints d0700 0:0\n", "config.v2.json -0600 0:0 ",
                         base::ReadFile(dir + "/config.v2.json")->size(), "\n",
                         "hostconfig.json -0644 0:0 1472"));
  EXPECT_EQ(Mode(dir), 0710u);
  // hostconfig.json: dockerd's bytes for the same request.
  EXPECT_EQ(*base::ReadFile(dir + "/hostconfig.json"),
            ReadRunfile(absl::StrCat(kDir, "/plain.hostconfig.json")));
  // config.v2.json: dockerd's bytes, but for the id, time and image id.
  Container same = *c;
  absl::StatusOr<Container> sample = ParseConfigV2(
      ReadRunfile(absl::StrCat(kDir, "/stages/plain.created.config.v2.json")));
  ASSERT_TRUE(sample.ok());
  same.id = sample->id;
  same.created = sample->created;
  same.image = sample->image;
  same.config.hostname = sample->config.hostname;
  EXPECT_EQ(
      SerializeConfigV2(same),
      ReadRunfile(absl::StrCat(kDir, "/stages/plain.created.config.v2.json")));
  EXPECT_EQ(*base::ReadFile(dir + "/config.v2.json"), SerializeConfigV2(*c));

  // The layers are recorded where dockerd looks for them.
  absl::StatusOr<RwLayer> layer = GetRwLayer(root_, c->id);
  ASSERT_TRUE(layer.ok()) << layer.status();
  EXPECT_EQ(layer->parent, image_.chain_ids.back());
}

TEST_F(StoreTest, LoadListSaveUpdateRemove) {
  Store store(root_);
  const std::string before = TreeListing(root_);
  absl::StatusOr<Container> c = store.Create(PlainRequest(image_.id, "plain"));
  ASSERT_TRUE(c.ok()) << c.status();

  // Docker's lookup order: id, name, prefix.
  for (std::string ref : {c->id, std::string("plain"), std::string("/plain"),
                          c->id.substr(0, 12), c->id.substr(0, 1)}) {
    absl::StatusOr<Container> got = store.Load(ref);
    ASSERT_TRUE(got.ok()) << ref << ": " << got.status();
    EXPECT_EQ(got->id, c->id);
    EXPECT_EQ(SerializeConfigV2(*got), SerializeConfigV2(*c));
    EXPECT_EQ(SerializeHostConfig(got->host_config),
              SerializeHostConfig(c->host_config));
  }
  EXPECT_EQ(store.Load("nope").status(),
            absl::NotFoundError("No such container: nope"));
  EXPECT_EQ(store.Load("").status().code(), absl::StatusCode::kInvalidArgument);

  absl::StatusOr<std::vector<Container>> all = store.List();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(Summarize((*all)[0], absl::Now()).status, "Created");

  // Save and Update write both records.
  Container changed = *c;
  changed.state.started_at = absl::Now() - absl::Seconds(10);
  changed.state.finished_at = absl::Now() - absl::Seconds(5);
  changed.has_been_started_before = true;
  changed.host_config.auto_remove = true;
  ASSERT_TRUE(store.Save(changed).ok());
  absl::StatusOr<Container> reloaded = store.LoadById(c->id);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(SerializeConfigV2(*reloaded), SerializeConfigV2(changed));
  EXPECT_TRUE(reloaded->host_config.auto_remove);
  EXPECT_EQ(Summarize(*reloaded, absl::Now()).status,
            "Exited (0) 5 seconds ago");
  absl::StatusOr<Container> updated = store.Update("plain", [](Container& u) {
    u.state.exit_code = 3;
    return absl::OkStatus();
  });
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(store.LoadById(c->id)->state.exit_code, 3);
  EXPECT_EQ(
      store.Update("plain", [](Container&) { return absl::AbortedError("no"); })
          .status()
          .code(),
      absl::StatusCode::kAborted);

  ASSERT_TRUE(store.Remove("plain").ok());
  EXPECT_TRUE(absl::IsNotFound(store.Load(c->id).status()));
  EXPECT_TRUE(absl::IsNotFound(store.Save(*c)));
  EXPECT_TRUE(store.List()->empty());
  // Nothing left but what dockerd also leaves (layerdb/mounts/, the
  // image's committed marker, containers/) and mydocker's locks and index.
  auto [added, removed] = Diff(before, TreeListing(root_));
  EXPECT_TRUE(removed.empty()) << absl::StrJoin(removed, "\n");
  EXPECT_EQ(added, (std::vector<std::string>{
                       "containers d0710 0:0",
                       "image/overlay2/layerdb/mounts d0755 0:0",
                       "mydocker d0700 0:0", "mydocker/locks d0700 0:0",
                       "mydocker/locks/layerstore.lock -0600 0:0 0",
                       "mydocker/locks/names.lock -0600 0:0 0",
                       "mydocker/names -0600 0:0 139",
                       absl::StrCat("overlay2/", image_.cache_ids.back(),
                                    "/committed -0600 0:0 0")}))
      << absl::StrJoin(added, "\n");
  // The name is free again.
  EXPECT_TRUE(store.Create(PlainRequest(image_.id, "plain")).ok());
}

TEST_F(StoreTest, CreateErrorsLeaveNothing) {
  Store store(root_);
  ASSERT_TRUE(store.Create(PlainRequest(image_.id, "first")).ok());
  const std::string before = TreeListing(root_);
  EXPECT_EQ(
      store.Create(PlainRequest(image_.id, "x y")).status(),
      absl::InvalidArgumentError("Invalid container name (x y), only "
                                 "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"));
  absl::StatusOr<Container> dup =
      store.Create(PlainRequest(image_.id, "first"));
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(
      dup.status().message(),
      HasSubstr("Conflict. The container name \"/first\" is already in use"));
  digest::Digest missing = digest::Digest::Of("no image");
  EXPECT_EQ(
      store.Create(PlainRequest(missing, "xx")).status(),
      absl::NotFoundError(absl::StrCat("No such image: ", missing.str())));
  // An image without a command, and none given.
  absl::StatusOr<TestImage> bare = MakeImage(root_, {{{"f", "x"}}}, "{}");
  ASSERT_TRUE(bare.ok());
  const std::string with_bare = TreeListing(root_);
  EXPECT_EQ(store.Create(PlainRequest(bare->id, "xx")).status(),
            absl::InvalidArgumentError("No command specified"));
  EXPECT_EQ(TreeListing(root_), with_bare);
  // An image whose layer is gone.
  ASSERT_TRUE(base::RemoveAll(absl::StrCat(store::LayerDbDir(root_), "/sha256/",
                                           bare->chain_ids[0].hex()))
                  .ok());
  CreateRequest r = PlainRequest(bare->id, "yy");
  r.config.cmd = std::vector<std::string>{"sh"};
  absl::StatusOr<Container> no_layer = store.Create(r);
  EXPECT_TRUE(absl::IsNotFound(no_layer.status())) << no_layer.status();
  auto [added, removed] =
      Diff(WithoutNameIndex(with_bare), WithoutNameIndex(TreeListing(root_)));
  EXPECT_TRUE(added.empty()) << absl::StrJoin(added, "\n");
  for (const std::string& r : removed) {  // Only the layer record we deleted.
    EXPECT_THAT(r, HasSubstr(bare->chain_ids[0].hex())) << r;
  }
  EXPECT_EQ(IndexedNames(root_), std::vector<std::string>{"/first"});
}

TEST_F(StoreTest, ConcurrentCreatorsOfOneName) {
  Store store(root_);
  constexpr int kCreators = 20;
  std::vector<absl::StatusOr<Container>> results(kCreators,
                                                 absl::UnknownError(""));
  std::vector<std::thread> threads;
  for (int i = 0; i < kCreators; ++i) {
    threads.emplace_back([&, i] {
      Store own(root_);  // As separate commands would.
      results[i] = own.Create(PlainRequest(image_.id, "web"));
    });
  }
  for (std::thread& t : threads) t.join();
  std::string winner;
  for (const auto& r : results) {
    if (r.ok()) {
      EXPECT_TRUE(winner.empty()) << "two winners";
      winner = r->id;
    }
  }
  ASSERT_FALSE(winner.empty());
  for (const auto& r : results) {
    if (r.ok()) continue;
    EXPECT_EQ(r.status(), NameConflictError("/web", winner));
  }
  absl::StatusOr<std::vector<Container>> all = store.List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].id, winner);
  // The losers left no layers behind: the image's two and the winner's two.
  absl::StatusOr<std::vector<std::string>> ov =
      base::ListDir(store::Overlay2Dir(root_));
  EXPECT_EQ(ov->size(), 5u) << absl::StrJoin(*ov, " ");  // + "l"
  EXPECT_EQ(base::ListDir(MountsDbDir(root_))->size(), 1u);
}

TEST_F(StoreTest, ConcurrentCreatorsInProcesses) {
  constexpr int kCreators = 20;
  std::vector<pid_t> pids;
  for (int i = 0; i < kCreators; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      Store own(root_);
      absl::StatusOr<Container> c = own.Create(PlainRequest(image_.id, "proc"));
      _exit(c.ok() ? 0 : absl::IsAlreadyExists(c.status()) ? 1 : 2);
    }
    pids.push_back(pid);
  }
  int won = 0, conflicts = 0;
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    won += WEXITSTATUS(status) == 0;
    conflicts += WEXITSTATUS(status) == 1;
  }
  EXPECT_EQ(won, 1);
  EXPECT_EQ(conflicts, kCreators - 1);
  EXPECT_EQ(Store(root_).List()->size(), 1u);
}

TEST_F(StoreTest, GeneratedNamesAreUniqueAndAnonymous) {
  Store store(root_);
  std::set<std::string> names;
  for (int i = 0; i < 30; ++i) {
    absl::StatusOr<Container> c = store.Create(PlainRequest(image_.id, ""));
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_THAT(c->name, MatchesRegex("/[a-z]+_[a-z]+[0-9]?"));
    EXPECT_TRUE(names.insert(c->name).second);
    EXPECT_TRUE(c->network_settings.is_anonymous_endpoint);
    EXPECT_EQ(store.Load(c->name)->id, c->id);
  }
  // Ambiguous prefixes: 30 ids share first characters.
  std::map<char, int> first;
  absl::StatusOr<std::vector<Container>> all = store.List();
  ASSERT_TRUE(all.ok());
  for (const Container& c : *all) ++first[c.id[0]];
  for (const auto& [ch, n] : first) {
    if (n < 2) continue;
    EXPECT_EQ(
        store.Load(std::string(1, ch)).status(),
        absl::FailedPreconditionError(absl::StrCat(
            "Multiple IDs found with provided prefix: ", std::string(1, ch))));
    break;
  }
}

TEST_F(StoreTest, AnRmThatDiedLeavesADeadContainer) {
  Store store(root_);
  absl::StatusOr<Container> c = store.Create(PlainRequest(image_.id, "dying"));
  ASSERT_TRUE(c.ok());
  Container half = *c;
  half.state.removal_in_progress = true;
  half.state.dead = true;
  ASSERT_TRUE(store.Save(half).ok());
  {
    // While its rm is at work, it shows as being removed.
    absl::StatusOr<base::FileLock> lock = store.LockContainer(c->id);
    ASSERT_TRUE(lock.ok());
    EXPECT_EQ((*store.ListSummaries(absl::Now()))[0].status,
              "Removal In Progress");
  }
  // The rm died: Dead, on disk too.
  EXPECT_EQ((*store.ListSummaries(absl::Now()))[0].status, "Dead");
  absl::StatusOr<Container> disk = store.LoadById(c->id);
  EXPECT_FALSE(disk->state.removal_in_progress);
  EXPECT_TRUE(disk->state.dead);
  EXPECT_TRUE(store.Remove("dying").ok());
}

// A --rm container's monitor: the container is gone for everyone (list,
// load, its name) after the first step; the files after the second. One
// whose monitor died in between is finished by the next rm, unless its
// monitor still holds the lock.
TEST_F(StoreTest, TwoStepRemovalOfAnExitedContainer) {
  Store store(root_);
  // What any container leaves made (the store's directories), and the trash.
  absl::StatusOr<Container> warm = store.Create(PlainRequest(image_.id, "warm"));
  ASSERT_TRUE(warm.ok()) << warm.status();
  ASSERT_TRUE(store.Remove(warm->id).ok());
  ASSERT_TRUE(base::MakeDirs(TrashDir(root_), 0700).ok());
  const std::string before = TreeListing(root_);
  absl::StatusOr<Container> c = store.Create(PlainRequest(image_.id, "gone"));
  ASSERT_TRUE(c.ok()) << c.status();
  const RwLayer layer = *GetRwLayer(root_, c->id);
  const std::string upper =
      absl::StrCat(store::Overlay2Dir(root_), "/", layer.mount_id, "/diff");
  struct stat st;
  {
    absl::StatusOr<base::FileLock> lock = store.LockContainer(c->id);
    ASSERT_TRUE(lock.ok());
    ASSERT_TRUE(store.RemoveExitedLocked(*c).ok());
    EXPECT_TRUE(store.List()->empty());
    EXPECT_TRUE(absl::IsNotFound(store.Load("gone").status()));
    EXPECT_TRUE(absl::IsNotFound(store.LoadById(c->id).status()));
    // Its layer record is out of layerdb/mounts (the image's layers are
    // no longer in use), its layers not deleted yet.
    EXPECT_TRUE(absl::IsNotFound(GetRwLayer(root_, c->id).status()));
    EXPECT_EQ(lstat(upper.c_str(), &st), 0);
    absl::StatusOr<Container> again = store.Create(PlainRequest(image_.id, "gone"));
    ASSERT_TRUE(again.ok()) << again.status();  // The name is free.
    ASSERT_TRUE(store.Remove(again->id).ok());
    // Create and Remove sweep the trash, but not what a live monitor is
    // deleting.
    EXPECT_EQ(lstat(upper.c_str(), &st), 0);
    ASSERT_TRUE(store.FinishRemoval(c->id).ok());
  }
  // Its layers, which it left as they were made, are the image's spare.
  EXPECT_EQ(SpareIds(root_), std::vector<std::string>{layer.mount_id});
  EXPECT_EQ(WithoutSpares(WithoutNameIndex(TreeListing(root_)), {layer.mount_id}),
            WithoutNameIndex(before));
  EXPECT_TRUE(IndexedNames(root_).empty());

  // Monitors that died after the first step, or within it between the
  // two renames: the next create finishes both.
  absl::StatusOr<Container> d = store.Create(PlainRequest(image_.id, "orphan"));
  ASSERT_TRUE(d.ok()) << d.status();
  absl::StatusOr<Container> e = store.Create(PlainRequest(image_.id, "halfway"));
  ASSERT_TRUE(e.ok()) << e.status();
  {
    absl::StatusOr<base::FileLock> lock = store.LockContainer(d->id);
    ASSERT_TRUE(lock.ok());
    ASSERT_TRUE(store.RemoveExitedLocked(*d).ok());
  }
  ASSERT_EQ(rename(ContainerDir(root_, e->id).c_str(),
                   absl::StrCat(TrashDir(root_), "/", e->id).c_str()),
            0);
  absl::StatusOr<Container> next = store.Create(PlainRequest(image_.id, "next"));
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_TRUE(store.Remove(next->id).ok());
  EXPECT_TRUE(store.List()->empty());
  // "orphan" took the first spare, "next" the one "orphan" left; `rm`
  // deletes the layers it removes.
  EXPECT_TRUE(SpareIds(root_).empty());
  EXPECT_EQ(WithoutSpares(WithoutNameIndex(TreeListing(root_)), {}),
            WithoutNameIndex(before));
  EXPECT_TRUE(IndexedNames(root_).empty());
}

TEST_F(StoreTest, CleanUpRemovesWhatKilledCreatesLeft) {
  Store store(root_);
  ASSERT_TRUE(store.Create(PlainRequest(image_.id, "keep")).ok());
  const std::string before = TreeListing(root_);
  // A create killed after its layers and directory, before config.v2.json.
  const std::string dead = std::string(64, 'd');
  ASSERT_TRUE(CreateRwLayer(root_, dead, image_.chain_ids.back()).ok());
  ASSERT_TRUE(
      base::MakeDirs(ContainerDir(root_, dead) + "/checkpoints", 0700).ok());
  // One still at work (it holds its lock).
  const std::string busy = std::string(64, 'b');
  ASSERT_TRUE(CreateRwLayer(root_, busy, image_.chain_ids.back()).ok());
  absl::StatusOr<base::FileLock> lock =
      store::Lock(root_, ContainerLockName(busy), base::FileLock::kExclusive);
  ASSERT_TRUE(lock.ok());
  ASSERT_TRUE(store.CleanUp().ok());
  EXPECT_TRUE(absl::IsNotFound(GetRwLayer(root_, dead).status()));
  EXPECT_TRUE(GetRwLayer(root_, busy).ok());
  EXPECT_EQ(store.List()->size(), 1u);
  ASSERT_TRUE(RemoveRwLayer(root_, busy).ok());
  auto [added, removed] =
      Diff(WithoutNameIndex(before), WithoutNameIndex(TreeListing(root_)));
  EXPECT_TRUE(removed.empty()) << absl::StrJoin(removed, "\n");
  for (const std::string& a : added) {
    EXPECT_THAT(a, HasSubstr(ContainerLockName(busy))) << a;
  }
  EXPECT_EQ(IndexedNames(root_), std::vector<std::string>{"/keep"});
}

TEST_F(StoreTest, PrepareFirstStartRecordsThePaths) {
  Store store(root_);
  absl::StatusOr<Container> c = store.Create(PlainRequest(image_.id, "st"));
  ASSERT_TRUE(c.ok());
  std::string host = NewTempDir("host");
  ASSERT_TRUE(
      base::WriteFileAtomic(host + "/resolv.conf", "nameserver 10.255.255.53\n")
          .ok());
  StartFilesOptions o;
  o.host_resolv_conf = host + "/resolv.conf";
  o.container_ips = {"172.17.0.2"};
  ASSERT_TRUE(store.PrepareFirstStart(*c, o).ok());
  c->has_been_started_before = true;
  ASSERT_TRUE(store.Save(*c).ok());
  absl::StatusOr<Container> again = store.Load("st");
  ASSERT_TRUE(again.ok());
  const std::string dir = ContainerDir(root_, c->id);
  EXPECT_EQ(again->hosts_path, dir + "/hosts");
  EXPECT_EQ(again->log_path, absl::StrCat(dir, "/", c->id, "-json.log"));
  std::vector<std::string> want = {
      absl::StrCat(c->id, "-json.log -0640 0:0 0"),
      "checkpoints d0700 0:0",
      absl::StrCat("config.v2.json -0600 0:0 ",
                   base::ReadFile(dir + "/config.v2.json")->size()),
      "hostconfig.json -0644 0:0 1472",
      "hostname -0644 0:0 13",
      "hosts -0644 0:0 174",
      "mounts d0710 0:0",
      "resolv.conf -0644 0:0 25",
      "resolv.conf.hash -0644 0:0 71"};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(TreeListing(dir), absl::StrJoin(want, "\n"));
  ASSERT_TRUE(store.Remove("st").ok());
}

// --- Stale state: a fake /proc and boot id, except for the orphan case.

class FakeProc {
 public:
  FakeProc() : dir_(NewTempDir("proc")) {
    probe_.proc_dir = dir_;
    probe_.boot_id_path = dir_ + "/boot_id";
    SetBootId("boot-1");
  }
  void SetBootId(const std::string& id) {
    ASSERT_TRUE(base::WriteFileAtomic(probe_.boot_id_path, id + "\n").ok());
  }
  void Add(int pid, uint64_t start) {
    ASSERT_TRUE(base::MakeDirs(absl::StrCat(dir_, "/", pid)).ok());
    ASSERT_TRUE(
        base::WriteFileAtomic(
            absl::StrCat(dir_, "/", pid, "/stat"),
            absl::StrCat(pid, " (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 ",
                         start, " 0 0\n"))
            .ok());
  }
  void Remove(int pid) {
    ASSERT_TRUE(base::RemoveAll(absl::StrCat(dir_, "/", pid)).ok());
  }
  const HostProbe& probe() const { return probe_; }

 private:
  std::string dir_;
  HostProbe probe_;
};

// Marks `id` running under monitor 100 (started at 1000) with init 101
// (started at 1001) on boot "boot-1".
void MarkRunning(Store& store, const std::string& id, bool write_state = true) {
  ASSERT_TRUE(store
                  .Update(id,
                          [](Container& c) {
                            c.state.running = true;
                            c.state.pid = 101;
                            c.state.started_at = absl::Now() - absl::Seconds(3);
                            c.has_been_started_before = true;
                            return absl::OkStatus();
                          })
                  .ok());
  if (write_state) {
    ASSERT_TRUE(WriteRuntimeState(store.root(), id,
                                  RuntimeState{100, 1000, 101, 1001, "boot-1"})
                    .ok());
  }
}

TEST_F(StoreTest, RefreshStateLeavesLiveContainersAlone) {
  FakeProc proc;
  proc.Add(100, 1000);
  proc.Add(101, 1001);
  int released = 0;
  Store store(root_, StoreOptions{.defaults = {},
                                  .probe = proc.probe(),
                                  .release_runtime = [&](const std::string&, Container&) {
                                    ++released;
                                  }});
  absl::StatusOr<Container> c = store.Create(PlainRequest(image_.id, "live"));
  ASSERT_TRUE(c.ok());
  MarkRunning(store, c->id);
  absl::StatusOr<std::vector<Container>> all = store.List();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Summarize((*all)[0], absl::Now()).status, "Up 3 seconds");
  // Running: rm refuses, in dockerd's words.
  EXPECT_EQ(
      store.Remove("live"),
      absl::FailedPreconditionError(absl::StrCat(
          "You cannot remove a running container ", c->id,
          ". Stop the container before attempting removal or force remove")));
  // The init has exited; the monitor is still there to record it.
  proc.Remove(101);
  Container again = *store.Load("live");
  EXPECT_EQ(*store.RefreshState(again), false);
  EXPECT_TRUE(again.state.running);
  EXPECT_EQ(released, 0);  // A live container's cgroups stay.
}

struct StaleCase {
  const char* what;
  std::function<void(FakeProc&, Store&, const std::string&)> arrange;
};

TEST_F(StoreTest, RefreshStateTurnsStaleRecordsIntoExits) {
  std::vector<StaleCase> cases = {
      {"monitor and init dead", [](FakeProc&, Store&, const std::string&) {}},
      {"init pid reused by another process",
       [](FakeProc& p, Store&, const std::string&) { p.Add(101, 5555); }},
      {"monitor pid reused, init gone",
       [](FakeProc& p, Store&, const std::string&) { p.Add(100, 7777); }},
      {"rebooted",
       [](FakeProc& p, Store&, const std::string&) {
         p.Add(100, 1000);
         p.Add(101, 1001);
         p.SetBootId("boot-2");
       }},
      {"no state.json",
       [](FakeProc& p, Store& s, const std::string& id) {
         p.Add(100, 1000);
         ASSERT_TRUE(RemoveRuntimeState(s.root(), id).ok());
       }},
  };
  for (const StaleCase& k : cases) {
    SCOPED_TRACE(k.what);
    FakeProc proc;
    std::vector<std::string> released;
    Store store(root_, StoreOptions{.defaults = {},
                                    .probe = proc.probe(),
                                    .release_runtime = [&](const std::string&, Container& r) {
                                      released.push_back(r.id);
                                    }});
    absl::StatusOr<Container> c = store.Create(PlainRequest(image_.id, ""));
    ASSERT_TRUE(c.ok());
    MarkRunning(store, c->id);
    k.arrange(proc, store, c->id);
    const absl::Time t0 = absl::Now();
    Container loaded = *store.LoadById(c->id);
    EXPECT_EQ(*store.RefreshState(loaded), true);
    EXPECT_FALSE(loaded.state.running);
    EXPECT_EQ(loaded.state.exit_code, 255);
    EXPECT_EQ(loaded.state.pid, 0);
    EXPECT_GE(loaded.state.finished_at, t0);
    EXPECT_FALSE(loaded.has_been_manually_stopped);
    // On disk too, and state.json is gone.
    Container disk = *store.LoadById(c->id);
    EXPECT_EQ(SerializeConfigV2(disk), SerializeConfigV2(loaded));
    EXPECT_THAT(Summarize(disk, absl::Now()).status,
                MatchesRegex("Exited \\(255\\) Less than a second ago"));
    EXPECT_TRUE(absl::IsNotFound(ReadRuntimeState(root_, c->id).status()));
    // The runtime was told to free the container's cgroups, once.
    EXPECT_THAT(released, ElementsAre(c->id));
    // Now it can be removed.
    EXPECT_TRUE(store.Remove(c->id).ok());
  }
}

TEST_F(StoreTest, RefreshStateKillsAnOrphan) {
  // A real process that outlived its (already dead) monitor.
  pid_t monitor = fork();
  ASSERT_GE(monitor, 0);
  if (monitor == 0) _exit(0);
  absl::StatusOr<ProcStat> mstat = ReadProcStat(monitor, HostProbe{});
  ASSERT_TRUE(mstat.ok());
  ASSERT_EQ(waitpid(monitor, nullptr, 0), monitor);
  pid_t init = fork();
  ASSERT_GE(init, 0);
  if (init == 0) {
    pause();
    _exit(0);
  }
  absl::StatusOr<RuntimeState> rs = ProbeRuntimeState(getpid(), init);
  ASSERT_TRUE(rs.ok()) << rs.status();
  rs->monitor_pid = monitor;
  rs->monitor_start_time = mstat->start_time;

  Store store(root_);
  absl::StatusOr<Container> c = store.Create(PlainRequest(image_.id, "orphan"));
  ASSERT_TRUE(c.ok());
  MarkRunning(store, c->id, /*write_state=*/false);
  ASSERT_TRUE(WriteRuntimeState(root_, c->id, *rs).ok());
  absl::StatusOr<std::vector<Container>> all = store.List();
  ASSERT_TRUE(all.ok());
  const Container& got = (*all)[0];
  EXPECT_FALSE(got.state.running);
  EXPECT_EQ(got.state.exit_code, 137);
  EXPECT_TRUE(got.has_been_manually_stopped);
  int status = 0;
  ASSERT_EQ(waitpid(init, &status, 0), init);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST_F(StoreTest, ListOfAThousand) {
  Store store(root_);
  absl::StatusOr<Container> proto =
      store.Create(PlainRequest(image_.id, "proto"));
  ASSERT_TRUE(proto.ok());
  // 999 more records like it (ps reads records, not layers).
  for (int i = 0; i < 999; ++i) {
    Container c = *proto;
    c.id = absl::StrCat(std::string(56, 'c'), absl::Hex(i, absl::kZeroPad8));
    c.name = absl::StrCat("/c", i);
    c.created = proto->created + absl::Seconds(i + 1);
    ASSERT_TRUE(base::MakeDirs(ContainerDir(root_, c.id), 0710).ok());
    ASSERT_TRUE(base::WriteFileAtomic(HostConfigPath(root_, c.id),
                                      SerializeHostConfig(c.host_config), 0644)
                    .ok());
    ASSERT_TRUE(base::WriteFileAtomic(ConfigPath(root_, c.id),
                                      SerializeConfigV2(c), 0600)
                    .ok());
  }
  const absl::Time t0 = absl::Now();
  absl::StatusOr<std::vector<Container>> all = store.List();
  const absl::Duration took = absl::Now() - t0;
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1000u);
  EXPECT_EQ((*all)[0].name, "/c998");  // Newest first.
  EXPECT_EQ((*all)[999].name, "/proto");
  const absl::Time t1 = absl::Now();
  absl::StatusOr<std::vector<Summary>> rows = store.ListSummaries(absl::Now());
  const absl::Duration ps = absl::Now() - t1;
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1000u);
  EXPECT_EQ((*rows)[0].names[0], "/c998");
  EXPECT_EQ((*rows)[999].status, "Created");
  std::cout << "List of 1000: " << took << ", ListSummaries: " << ps << "\n";
  // A name the index has not seen yet (made behind its back) is found.
  EXPECT_EQ(store.Load("c500")->name, "/c500");
}

// --- The rootfs mount through the store, as root, in a private mount ns.

class StoreMountTest : public StoreTest {
 protected:
  static void SetUpTestSuite() {
    private_ns_ =
        geteuid() == 0 && unshare(CLONE_NEWNS) == 0 &&
        mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
  }
  void SetUp() override {
    ASSERT_TRUE(private_ns_) << "needs root (CAP_SYS_ADMIN) for a private mount namespace";
    StoreTest::SetUp();
  }
  static bool private_ns_;
};
bool StoreMountTest::private_ns_ = false;

TEST_F(StoreMountTest, MountShowsTheImageAndRemoveCleansUp) {
  Store store(root_);
  const std::string before = TreeListing(root_);
  absl::StatusOr<Container> c = store.Create(PlainRequest(image_.id, "mm"));
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(store.MountRootfs(*c).ok());
  absl::StatusOr<RootfsPaths> p = store.GetRootfsPaths(*c);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*base::ReadFile(p->merged_dir + "/etc/os-release"), "ID=test\n");
  ASSERT_TRUE(store.UnmountRootfs(*c).ok());
  EXPECT_FALSE(IsRootfsMounted(*p));
  // Left mounted (a monitor killed -9): rm unmounts it.
  ASSERT_TRUE(store.MountRootfs(*c).ok());
  ASSERT_TRUE(store.Remove("mm").ok());
  EXPECT_THAT(*base::ReadFile("/proc/self/mountinfo"),
              ::testing::Not(HasSubstr(p->merged_dir)));
  auto [added, removed] = Diff(before, TreeListing(root_));
  EXPECT_TRUE(removed.empty());
  for (const std::string& a : added) {
    EXPECT_TRUE(absl::StartsWith(a, "mydocker") ||
                absl::StartsWith(a, "containers ") ||
                absl::StrContains(a, "committed") ||
                absl::StrContains(a, "layerdb/mounts "))
        << a;
  }
}

}  // namespace
}  // namespace mydocker::container
