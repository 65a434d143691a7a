#include "lib/container/store.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/container/ids.h"
#include "lib/container/layout.h"
#include "lib/container/names.h"
#include "lib/container/summary.h"
#include "lib/imagedb/imagedb.h"
#include "lib/layerdb/layer_store.h"
#include "lib/store/paths.h"

namespace mydocker::container {
namespace {

constexpr size_t kMaxRecordBytes = 16 << 20;

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

absl::Status NoSuchContainer(absl::string_view ref) {
  return absl::NotFoundError(absl::StrCat("No such container: ", ref));
}

// What Create needs of the image: its config, OS and top layer.
struct ImageFacts {
  Config config;
  std::string os = "linux";
  std::optional<digest::Digest> top_layer;
};

absl::StatusOr<ImageFacts> ReadImage(const std::string& root,
                                     const digest::Digest& id) {
  imagedb::ImageDb db(root);
  absl::StatusOr<std::string> blob = db.Get(id);
  if (absl::IsNotFound(blob.status())) {
    return absl::NotFoundError(absl::StrCat("No such image: ", id.str()));
  }
  RETURN_IF_ERROR(blob.status());
  Json j = Json::parse(*blob, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](absl::string_view why) {
    return absl::DataLossError(
        absl::StrCat("image ", id.str(), ": config ", why));
  };
  if (!j.is_object()) return bad("is not a JSON object");
  ImageFacts facts;
  if (auto c = j.find("config"); c != j.end()) {
    ASSIGN_OR_RETURN(
        facts.config,
        ConfigFromJson(*c, absl::StrCat("image ", id.str(), ": config")));
  }
  if (auto os = j.find("os"); os != j.end() && os->is_string() &&
                              !os->get_ref<const std::string&>().empty()) {
    facts.os = os->get<std::string>();
  }
  std::vector<digest::Digest> diff_ids;
  if (auto rootfs = j.find("rootfs");
      rootfs != j.end() && rootfs->is_object()) {
    if (auto ids = rootfs->find("diff_ids");
        ids != rootfs->end() && ids->is_array()) {
      for (const Json& d : *ids) {
        if (!d.is_string()) return bad("has a bad diff id");
        ASSIGN_OR_RETURN(
            digest::Digest parsed,
            digest::Digest::Parse(d.get_ref<const std::string&>()));
        diff_ids.push_back(parsed);
      }
    }
  }
  if (!diff_ids.empty()) facts.top_layer = layerdb::ChainIds(diff_ids).back();
  return facts;
}

bool HoldsNetworkResources(const Container& c) {
  if (c.network_settings.ports && !c.network_settings.ports->empty()) return true;
  for (const auto& [name, es] : c.network_settings.networks) {
    if (!es.endpoint_id.empty() || !es.ip_address.empty()) return true;
  }
  return false;
}

// Makes what was written so far durable before config.v2.json makes it a
// container: the layer files are written plainly, as dockerd writes them.
absl::Status SyncStore(const std::string& root) {
  ASSIGN_OR_RETURN(base::UniqueFd fd,
                   base::OpenFile(root, O_RDONLY | O_DIRECTORY));
  if (syncfs(fd.get()) < 0) return base::ErrnoStatus(errno, "syncfs ", root);
  return absl::OkStatus();
}

void DropLockFile(const std::string& root, const std::string& id) {
  unlink(ContainerLockPath(root, id).c_str());
}

}  // namespace

Store::Store(std::string root, StoreOptions options)
    : root_(std::move(root)), options_(std::move(options)) {}

absl::Status Store::SaveStateLocked(const Container& c) {
  return base::WriteFileAtomic(ConfigPath(root_, c.id), SerializeConfigV2(c),
                               0600, base::Durability::kAtomicOnly);
}

absl::Status Store::WriteRecords(const Container& c) const {
  // A --rm container lives no longer than its monitor, so its record
  // updates need not survive a crash that loses the page cache: replacing
  // an existing file is atomic either way. (Create's first write is
  // durable all the same: a new file not flushed could be found empty
  // after such a crash, a container nothing could list or rm.)
  const base::Durability d = c.host_config.auto_remove
                                 ? base::Durability::kAtomicOnly
                                 : base::Durability::kDurable;
  RETURN_IF_ERROR(base::WriteFileAtomic(HostConfigPath(root_, c.id),
                                        SerializeHostConfig(c.host_config),
                                        0644, d));
  return base::WriteFileAtomic(ConfigPath(root_, c.id), SerializeConfigV2(c),
                               0600, d);
}

absl::StatusOr<Container> Store::Create(CreateRequest request) {
  if (!request.name.empty()) {
    RETURN_IF_ERROR(CanonicalName(request.name).status());
  }
  // What the monitor of a --rm container killed mid-way left in the trash
  // (an empty directory to list, most of the time). Best effort, as in
  // Remove.
  (void)SweepTrash();
  // Held until the container records its layers: rmi and the layer store's
  // clean-up wait for it.
  ASSIGN_OR_RETURN(
      base::FileLock layers_lock,
      store::Lock(root_, store::kLayerStoreLock, base::FileLock::kShared));
  ASSIGN_OR_RETURN(ImageFacts image, ReadImage(root_, request.image_id));

  Container c;
  c.config = std::move(request.config);
  RETURN_IF_ERROR(MergeImageConfig(c.config, image.config));
  if (c.config.image.empty()) c.config.image = request.image_id.str();
  c.host_config = std::move(request.host_config);
  ApplyHostConfigDefaults(c.host_config, options_.defaults);

  ASSIGN_OR_RETURN(c.id, NewRandomId());
  ASSIGN_OR_RETURN(
      base::FileLock lock,
      store::Lock(root_, ContainerLockName(c.id), base::FileLock::kExclusive));
  NameIndex names(root_);
  absl::Cleanup forget_lock = [&] { DropLockFile(root_, c.id); };
  ASSIGN_OR_RETURN(c.name, names.Reserve(c.id, request.name));
  absl::Cleanup undo = [&] {
    RemoveRwLayer(root_, c.id).IgnoreError();
    base::RemoveAll(ContainerDir(root_, c.id)).IgnoreError();
    names.Release(c.id).IgnoreError();
  };

  c.created = absl::Now();
  auto [path, args] = EntrypointAndArgs(c.config);
  c.path = std::move(path);
  c.args = std::move(args);
  c.config.hostname = DefaultHostname(c.config, c.host_config, c.id);
  c.image = request.image_id.str();
  c.network_settings = NewNetworkSettings(
      c.host_config, /*explicit_name=*/!request.name.empty());
  if (!request.ipv4_address.empty()) {
    for (auto& [name, es] : c.network_settings.networks) {
      es.ipam_config = Json{{"IPv4Address", request.ipv4_address}};
    }
  }
  c.driver = "overlay2";
  c.os = image.os;
  c.mount_points =
      request.mount_points
          ? std::move(request.mount_points)
          : std::make_optional<std::map<std::string, MountPoint>>();

  RETURN_IF_ERROR(base::MakeDirs(store::ContainersDir(root_), 0710));
  const std::string dir = ContainerDir(root_, c.id);
  if (mkdir(dir.c_str(), 0710) < 0)
    return base::ErrnoStatus(errno, "mkdir ", dir);
  if (chmod(dir.c_str(), 0710) < 0)
    return base::ErrnoStatus(errno, "chmod ", dir);
  const std::string checkpoints = dir + "/checkpoints";
  if (mkdir(checkpoints.c_str(), 0700) < 0) {
    return base::ErrnoStatus(errno, "mkdir ", checkpoints);
  }

  // The records are written and fsynced on a thread while this one makes
  // the layers (two fsyncs, the slowest part of a create, overlap the
  // mkdirs); they are renamed into place once the layers exist.
  base::AtomicFiles records;
  absl::Status staged;
  {
    std::thread stager;
    auto stage = [&] {
      staged = records.Stage(HostConfigPath(root_, c.id),
                             SerializeHostConfig(c.host_config), 0644);
      if (staged.ok()) {
        staged = records.Stage(ConfigPath(root_, c.id), SerializeConfigV2(c), 0600);
      }
    };
    try {
      stager = std::thread(stage);
    } catch (const std::system_error&) {
      stage();  // No thread (a pids limit): in turn, then.
    }
    absl::StatusOr<RwLayer> layer = CreateRwLayer(root_, c.id, image.top_layer);
    if (stager.joinable()) stager.join();
    if (absl::IsNotFound(layer.status())) {
      return absl::NotFoundError(absl::StrCat("image ", request.image_id.str(),
                                              ": ", layer.status().message()));
    }
    RETURN_IF_ERROR(layer.status());
  }
  RETURN_IF_ERROR(staged);
  // Not for --rm: a syncfs waits for everything the filesystem has
  // pending, 1-10 ms on a busy disk, and a --rm container's layer files are
  // throwaway (its overlay is volatile too). After a crash that loses the
  // page cache such a container may be listed with a damaged rw layer;
  // `rm` removes it.
  if (!c.host_config.auto_remove) RETURN_IF_ERROR(SyncStore(root_));
  // config.v2.json last: now it exists.
  RETURN_IF_ERROR(records.Commit());
  std::move(undo).Cancel();
  std::move(forget_lock).Cancel();
  return c;
}

absl::StatusOr<Container> Store::LoadById(absl::string_view id) const {
  return LoadRecords(id, /*with_host_config=*/true);
}

absl::StatusOr<Container> Store::LoadRecords(absl::string_view id,
                                             bool with_host_config) const {
  if (!IsFullId(id)) return NoSuchContainer(id);
  const std::string sid(id);
  absl::StatusOr<std::string> text =
      base::ReadFile(ConfigPath(root_, sid), kMaxRecordBytes);
  if (absl::IsNotFound(text.status())) return NoSuchContainer(id);
  RETURN_IF_ERROR(text.status());
  absl::StatusOr<Container> c = ParseConfigV2(*text);
  if (!c.ok()) {
    return absl::DataLossError(
        absl::StrCat("container ", id, ": ", c.status().message()));
  }
  if (c->id != id) {
    return absl::DataLossError(
        absl::StrCat("Container ", c->id, " is stored at ", id));
  }
  if (c->os.empty()) c->os = "linux";
  if (!with_host_config) return c;
  absl::StatusOr<std::string> host =
      base::ReadFile(HostConfigPath(root_, sid), kMaxRecordBytes);
  if (host.ok()) {
    absl::StatusOr<HostConfig> h = ParseHostConfig(*host);
    if (!h.ok()) {
      return absl::DataLossError(
          absl::StrCat("container ", id, ": ", h.status().message()));
    }
    c->host_config = *std::move(h);
  } else if (!absl::IsNotFound(host.status())) {
    return host.status();
  }
  // dockerd fills in its log driver when hostconfig.json lacks one.
  if (c->host_config.log_config.type.empty()) {
    c->host_config.log_config.type = options_.defaults.log_driver;
  }
  return c;
}

absl::StatusOr<Container> Store::Load(absl::string_view ref) const {
  if (ref.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid name or ID supplied: \"", ref, "\""));
  }
  // 1. A full id.
  if (IsFullId(ref) && Exists(ConfigPath(root_, ref))) return LoadById(ref);
  // 2. A name.
  if (absl::StatusOr<std::string> name = CanonicalName(ref); name.ok()) {
    absl::StatusOr<std::string> id = NameIndex(root_).Lookup(*name);
    if (id.ok()) return LoadById(*id);
    if (!absl::IsNotFound(id.status())) return id.status();
  }
  // 3. A unique prefix of an id.
  ASSIGN_OR_RETURN(std::vector<std::string> dirs,
                   base::ListDir(store::ContainersDir(root_)));
  std::string match;
  for (const std::string& id : dirs) {
    if (!absl::StartsWith(id, ref) || !IsFullId(id) ||
        !Exists(ConfigPath(root_, id))) {
      continue;
    }
    if (!match.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("Multiple IDs found with provided prefix: ", ref));
    }
    match = id;
  }
  if (match.empty()) return NoSuchContainer(ref);
  return LoadById(match);
}

absl::StatusOr<std::vector<Container>> Store::LoadAll(bool with_host_config) {
  ASSIGN_OR_RETURN(std::vector<std::string> dirs,
                   base::ListDir(store::ContainersDir(root_)));
  std::vector<Container> out;
  out.reserve(dirs.size());
  for (const std::string& id : dirs) {
    if (!IsFullId(id)) continue;
    absl::StatusOr<Container> c = LoadRecords(id, with_host_config);
    if (!c.ok()) continue;  // Being created, removed meanwhile, or damaged.
    if (c->state.running) {
      // Repairs go through a full record loaded under the lock.
      absl::StatusOr<bool> refreshed = RefreshState(*c);
      if (absl::IsNotFound(refreshed.status())) continue;  // Removed.
      RETURN_IF_ERROR(refreshed.status());
    } else if (c->state.removal_in_progress) {
      absl::Status s = RepairRemoval(*c);
      if (absl::IsNotFound(s)) continue;
      RETURN_IF_ERROR(s);
    }
    out.push_back(*std::move(c));
  }
  return out;
}

absl::StatusOr<std::vector<Container>> Store::List() {
  ASSIGN_OR_RETURN(std::vector<Container> found,
                   LoadAll(/*with_host_config=*/true));
  // Sorting indices: a Container is too big to shuffle around.
  std::vector<size_t> order(found.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (found[a].created != found[b].created) {
      return found[a].created > found[b].created;
    }
    return found[a].id < found[b].id;
  });
  std::vector<Container> out;
  out.reserve(found.size());
  for (size_t i : order) out.push_back(std::move(found[i]));
  return out;
}

absl::StatusOr<std::vector<Summary>> Store::ListSummaries(absl::Time now) {
  ASSIGN_OR_RETURN(std::vector<Container> found,
                   LoadAll(/*with_host_config=*/false));
  std::vector<Summary> out;
  out.reserve(found.size());
  for (const Container& c : found) out.push_back(Summarize(c, now));
  std::sort(out.begin(), out.end(), [](const Summary& a, const Summary& b) {
    if (a.created != b.created) return a.created > b.created;
    return a.id < b.id;
  });
  return out;
}

absl::StatusOr<base::FileLock> Store::LockContainer(absl::string_view id) {
  if (!IsFullId(id)) return NoSuchContainer(id);
  ASSIGN_OR_RETURN(
      base::FileLock lock,
      store::Lock(root_, ContainerLockName(id), base::FileLock::kExclusive));
  // Removed (before or while we waited): the lock file goes with it.
  if (!Exists(ContainerDir(root_, id))) {
    unlink(lock.path().c_str());
    return NoSuchContainer(id);
  }
  return lock;
}

absl::Status Store::SaveLocked(const Container& c) {
  if (!IsFullId(c.id) || !Exists(ConfigPath(root_, c.id))) {
    return NoSuchContainer(c.id);
  }
  return WriteRecords(c);
}

absl::Status Store::Save(const Container& c) {
  ASSIGN_OR_RETURN(base::FileLock lock, LockContainer(c.id));
  return SaveLocked(c);
}

absl::StatusOr<Container> Store::Update(
    absl::string_view ref,
    const std::function<absl::Status(Container&)>& change) {
  ASSIGN_OR_RETURN(Container found, Load(ref));
  ASSIGN_OR_RETURN(base::FileLock lock, LockContainer(found.id));
  ASSIGN_OR_RETURN(Container c, LoadById(found.id));
  RETURN_IF_ERROR(change(c));
  RETURN_IF_ERROR(WriteRecords(c));
  return c;
}

absl::StatusOr<bool> Store::RefreshLocked(Container& c) {
  if (!c.state.running) return false;
  absl::StatusOr<RuntimeState> rs = ReadRuntimeState(root_, c.id);
  const Liveness verdict = Judge(rs, options_.probe);
  if (verdict == Liveness::kAlive) return false;
  int64_t exit_code = 255;
  if (verdict == Liveness::kOrphaned) {
    // Outlived its monitor: nobody would record its exit. dockerd's restore
    // kills such a container the same way.
    if (kill(static_cast<pid_t>(rs->pid), SIGKILL) < 0 && errno != ESRCH) {
      return base::ErrnoStatus(errno, "kill container ", c.id, " init ",
                               rs->pid);
    }
    exit_code = 137;
    c.has_been_manually_stopped = true;
  }
  c.state.running = false;
  c.state.paused = false;
  c.state.restarting = false;
  c.state.pid = 0;
  c.state.exit_code = exit_code;
  c.state.finished_at = absl::Now();
  if (absl::StatusOr<RootfsPaths> p = container::GetRootfsPaths(root_, c.id);
      p.ok()) {
    container::UnmountRootfs(*p)
        .IgnoreError();  // Best effort: the record matters more.
  }
  if (options_.release_runtime) options_.release_runtime(root_, c);
  RETURN_IF_ERROR(WriteRecords(c));
  RETURN_IF_ERROR(RemoveRuntimeState(root_, c.id));
  return true;
}

absl::StatusOr<bool> Store::RefreshState(Container& c) {
  if (!c.state.running) return false;
  if (Judge(ReadRuntimeState(root_, c.id), options_.probe) ==
      Liveness::kAlive) {
    return false;
  }
  ASSIGN_OR_RETURN(base::FileLock lock, LockContainer(c.id));
  ASSIGN_OR_RETURN(Container fresh, LoadById(c.id));
  const bool was_running = c.state.running;
  c = std::move(fresh);
  if (!c.state.running) return was_running;  // Recorded meanwhile.
  return RefreshLocked(c);
}

absl::Status Store::RepairRemoval(Container& c) {
  absl::StatusOr<base::FileLock> lock = store::TryLock(
      root_, ContainerLockName(c.id), base::FileLock::kExclusive);
  if (absl::IsUnavailable(lock.status())) return absl::OkStatus();  // At work.
  RETURN_IF_ERROR(lock.status());
  absl::StatusOr<Container> fresh = LoadById(c.id);
  if (absl::IsNotFound(fresh.status())) unlink(lock->path().c_str());
  RETURN_IF_ERROR(fresh.status());
  if (!fresh->state.removal_in_progress) {
    c = *std::move(fresh);
    return absl::OkStatus();
  }
  // The rm that wrote it died: dockerd makes such a container Dead.
  fresh->state.removal_in_progress = false;
  fresh->state.dead = true;
  RETURN_IF_ERROR(WriteRecords(*fresh));
  c = *std::move(fresh);
  return absl::OkStatus();
}

absl::Status Store::RemoveEverything(const std::string& id) {
  RETURN_IF_ERROR(RemoveRwLayer(root_, id));
  RETURN_IF_ERROR(base::RemoveAll(ContainerDir(root_, id)));
  RETURN_IF_ERROR(RemoveRuntimeState(root_, id));
  return NameIndex(root_).Release(id);
}

absl::Status Store::Remove(absl::string_view ref) {
  ASSIGN_OR_RETURN(Container found, Load(ref));
  ASSIGN_OR_RETURN(base::FileLock lock, LockContainer(found.id));
  ASSIGN_OR_RETURN(Container c, LoadById(found.id));
  RETURN_IF_ERROR(RefreshLocked(c).status());
  if (c.state.running) {
    const std::string state = StateString(c.state);
    std::string procedure =
        "Stop the container before attempting removal or force remove";
    if (state == "paused") {
      procedure =
          "Unpause and then stop the container before attempting "
          "removal or force remove";
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "You cannot remove a ", state, " container ", c.id, ". ", procedure));
  }
  // A start whose monitor died after it recorded the container's network
  // endpoints, before the container ran, left them held: give them back.
  if (options_.release_runtime && HoldsNetworkResources(c)) {
    options_.release_runtime(root_, c);
  }
  // Recorded first, so a removal cut short leaves a Dead container (dockerd
  // turns a RemovalInProgress it finds at startup into Dead, too).
  c.state.removal_in_progress = true;
  c.state.dead = true;
  // Only the state changed, and a crash that loses this write leaves a
  // stopped container whose removal can simply be asked for again.
  RETURN_IF_ERROR(SaveStateLocked(c));
  RETURN_IF_ERROR(RemoveEverything(c.id));
  DropLockFile(root_, c.id);  // Waiters re-check and find it gone.
  // And what a --rm container's monitor could not finish. Best effort: it
  // is not this container's removal, and what fails stays for the next.
  (void)SweepTrash();
  return absl::OkStatus();
}

namespace {

// In a trashed container's directory: its layer record, moved out of
// layerdb/mounts so that nothing counts the image's layers as used by it
// (rmi right after `run --rm` deletes them).
using store::kTrashedLayerRecord;

}  // namespace

absl::Status Store::RemoveExitedLocked(const Container& c) {
  const std::string trash = TrashDir(root_);
  RETURN_IF_ERROR(base::MakeDirs(trash, 0700));
  const std::string from = ContainerDir(root_, c.id);
  const std::string to = absl::StrCat(trash, "/", c.id);
  if (rename(from.c_str(), to.c_str()) < 0) {
    return base::ErrnoStatus(errno, "rename ", from, " to ", to);
  }
  // The container is gone now; what fails from here on FinishRemoval (or
  // SweepTrash) does again.
  const std::string record = MountDbDir(root_, c.id);
  (void)rename(record.c_str(), absl::StrCat(to, "/", kTrashedLayerRecord).c_str());
  (void)RemoveRuntimeState(root_, c.id);
  (void)NameIndex(root_).Release(c.id);
  return absl::OkStatus();
}

absl::Status Store::FinishRemoval(const std::string& id) {
  const std::string trashed = absl::StrCat(TrashDir(root_), "/", id);
  // Step 1's state removal again (an rmdir, if it is done). Not its name
  // release: that would append a second record to the index for nothing,
  // and an entry whose container directory is gone is dropped at the
  // index's next use anyway (reconciling, in NameIndex::Reserve).
  RETURN_IF_ERROR(RemoveRuntimeState(root_, id));
  // The record is in the trash, or still in layerdb/mounts if the monitor
  // died between the two renames. Layers the container left as they were
  // are kept for the next container on its image (spares, rw_layer.h).
  RETURN_IF_ERROR(KeepOrRemoveRwLayerRecordedIn(
      root_, absl::StrCat(trashed, "/", kTrashedLayerRecord), id));
  RETURN_IF_ERROR(RemoveRwLayer(root_, id));
  // Last: while it is there, SweepTrash tries again.
  RETURN_IF_ERROR(base::RemoveAll(trashed));
  DropLockFile(root_, id);
  return absl::OkStatus();
}

absl::Status Store::SweepTrash() {
  absl::StatusOr<std::vector<std::string>> ids = base::ListDir(TrashDir(root_));
  if (absl::IsNotFound(ids.status())) return absl::OkStatus();
  RETURN_IF_ERROR(ids.status());
  absl::Status status;
  for (const std::string& id : *ids) {
    if (!IsFullId(id)) continue;
    absl::StatusOr<base::FileLock> lock = store::TryLock(
        root_, ContainerLockName(id), base::FileLock::kExclusive);
    if (absl::IsUnavailable(lock.status())) continue;  // Its monitor is at it.
    if (!lock.ok()) {
      status.Update(lock.status());
      continue;
    }
    status.Update(FinishRemoval(id));
  }
  return status;
}

absl::StatusOr<RootfsPaths> Store::GetRootfsPaths(const Container& c) const {
  return container::GetRootfsPaths(root_, c.id);
}

absl::Status Store::MountRootfs(const Container& c) const {
  ASSIGN_OR_RETURN(RootfsPaths p, GetRootfsPaths(c));
  // A --rm container's upper layer never outlives it: no syncs for it.
  return container::MountRootfs(p, /*volatile_upper=*/c.host_config.auto_remove);
}

absl::Status Store::UnmountRootfs(const Container& c) const {
  ASSIGN_OR_RETURN(RootfsPaths p, GetRootfsPaths(c));
  // A --rm container's layers are deleted with it, or kept as a spare
  // whose next mount then needs no mkdir: its merged/ stays.
  return container::UnmountRootfs(p, /*keep_mount_point=*/c.host_config.auto_remove);
}

absl::Status Store::PrepareFirstStart(Container& c,
                                      const StartFilesOptions& options) const {
  return WriteStartFiles(root_, c, options);
}

absl::Status Store::CleanUp() {
  RETURN_IF_ERROR(SweepTrash());
  std::set<std::string> ids;
  ASSIGN_OR_RETURN(std::vector<std::string> dirs,
                   base::ListDir(store::ContainersDir(root_)));
  ids.insert(dirs.begin(), dirs.end());
  ASSIGN_OR_RETURN(std::vector<std::string> mounts,
                   base::ListDir(MountsDbDir(root_)));
  ids.insert(mounts.begin(), mounts.end());
  absl::Status status;
  for (const std::string& id : ids) {
    if (!IsFullId(id) || Exists(ConfigPath(root_, id))) continue;
    absl::StatusOr<base::FileLock> lock = store::TryLock(
        root_, ContainerLockName(id), base::FileLock::kExclusive);
    if (absl::IsUnavailable(lock.status())) continue;  // Being created.
    RETURN_IF_ERROR(lock.status());
    if (Exists(ConfigPath(root_, id))) continue;  // Finished meanwhile.
    status.Update(RemoveEverything(id));
    DropLockFile(root_, id);
  }
  return status;
}

}  // namespace mydocker::container
