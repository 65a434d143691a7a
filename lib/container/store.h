// The container store: containers in dockerd 20.10's on-disk format
// (lib/store/DOCKER_CONTAINERS.md), so dockerd can load, run and remove the
// containers mydocker makes, and the reverse.
//
//   Store store(root);
//   CreateRequest req;
//   req.name = "web";
//   req.image_id = image_id;                 // ImageService::Resolve
//   req.config.image = "nginx";              // as the user typed it
//   req.config.cmd = std::vector<std::string>{"nginx", "-g", "daemon off;"};
//   ASSIGN_OR_RETURN(Container c, store.Create(std::move(req)));
//   ASSIGN_OR_RETURN(Container same, store.Load("web"));   // or id, prefix
//   ASSIGN_OR_RETURN(std::vector<Container> all, store.List());
//   RETURN_IF_ERROR(store.Remove("web"));
//
// What a container is on disk: containers/<id>/ (0710) with checkpoints/
// (0700), config.v2.json (0600), hostconfig.json (0644) and, once started,
// hostname, hosts, resolv.conf(.hash), mounts/ and <id>-json.log; its layers
// (rw_layer.h); mydocker's own state.json (runtime_state.h); its name in the
// name index (names.h).
//
// Concurrency: commands are separate processes. Writers of a container's
// records hold its lock (layout.h); readers take none (records are
// replaced atomically). Create holds the layer-store lock shared while it
// builds on the image's layers (so rmi and LayerStore::CleanUp keep off),
// and the new container's lock until it is complete. A create is atomic:
// everything is built first and config.v2.json written last, so `ps` never
// shows half a container; on failure everything made is removed, and what a
// killed create leaves is removed by CleanUp().
//
// Starting and stopping (the runtime's part; the store gives the pieces):
//   ASSIGN_OR_RETURN(base::FileLock lock, store.LockContainer(id));
//   ASSIGN_OR_RETURN(Container c, store.LoadById(id));
//   RETURN_IF_ERROR(store.PrepareFirstStart(c, {.container_ips = ...}));
//   RETURN_IF_ERROR(store.MountRootfs(c));  // GetRootfsPaths(c)->merged_dir
//   ... build the spec, start the monitor and the container ...
//   ASSIGN_OR_RETURN(RuntimeState rs, ProbeRuntimeState(monitor, pid));
//   RETURN_IF_ERROR(WriteRuntimeState(root, id, rs));
//   SetRunning(c, pid, absl::Now());  // or SetStartFailed on an error
//   RETURN_IF_ERROR(store.SaveLocked(c));
// and when it exits: lock, LoadById, SetStopped(c, code, oom, when),
// SaveLocked, RemoveRuntimeState, UnmountRootfs (then Remove for --rm).
// A monitor that dies without doing so leaves a stale record that the next
// List/RefreshState repairs.
//
// Errors speak dockerd's words: NotFound "No such container: x",
// AlreadyExists "Conflict. The container name \"/x\" is already in use by
// container \"<id>\". ...", FailedPrecondition "You cannot remove a running
// container <id>. ...", InvalidArgument "Invalid container name (x), ...",
// "No command specified", DataLoss for a damaged record.
#ifndef MYDOCKER_LIB_CONTAINER_STORE_H_
#define MYDOCKER_LIB_CONTAINER_STORE_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/file_lock.h"
#include "lib/container/create_config.h"
#include "lib/container/record.h"
#include "lib/container/runtime_state.h"
#include "lib/container/rw_layer.h"
#include "lib/container/start_files.h"
#include "lib/container/summary.h"
#include "lib/digest/digest.h"

namespace mydocker::container {

// What `docker create` asks for, as the CLI sends it to dockerd: the Config
// and HostConfig before the daemon merged them with the image and filled in
// its defaults (Create does that).
struct CreateRequest {
  std::string name;  // --name; "" for a generated one.
  // The image, resolved by the caller (ImageService::Resolve). Its config
  // comes from the image store.
  digest::Digest image_id = digest::Digest::Of("");
  Config config;  // config.image: the image as typed ("" = the id).
  HostConfig host_config;
  // The container's volumes and binds, resolved by the caller; nullopt for
  // none (stored as {}).
  std::optional<std::map<std::string, MountPoint>> mount_points;
  // --ip: the address asked for on the container's network (its
  // EndpointSettings.IPAMConfig.IPv4Address); "" for any.
  std::string ipv4_address;
};

struct StoreOptions {
  DaemonDefaults defaults;
  HostProbe probe;  // For RefreshState.
  // Called by RefreshState for a stale running container, once its init
  // is killed and its rootfs unmounted: frees what the runtime held for it
  // outside the store (its cgroups, network endpoints, published ports),
  // clearing what it frees from the record, which is saved after. Errors
  // are the callee's to swallow: the record is repaired regardless.
  std::function<void(const std::string& root, Container&)> release_runtime;
};

class Store {
 public:
  // `root` is the data root (dockerd's --data-root).
  explicit Store(std::string root, StoreOptions options = {});

  const std::string& root() const { return root_; }

  // Creates a container from `request` and returns it as stored. The image
  // config and the request are merged and defaulted as dockerd does
  // (create_config.h); Path/Args, the hostname (the id's first 12 chars
  // unless set), an empty endpoint in the container's network, Created, the
  // name (reserved, or generated) are filled in; then the layers, the
  // directory and the records are written. NotFound "No such image: <id>"
  // if the image or one of its layers is missing.
  absl::StatusOr<Container> Create(CreateRequest request);

  // The container `ref` names, looked up as dockerd does: a full id, then a
  // name ("web" or "/web"), then a unique id prefix. InvalidArgument for "",
  // NotFound "No such container: <ref>", FailedPrecondition "Multiple IDs
  // found with provided prefix: <ref>". DataLoss if its record is damaged
  // or does not say its own id. The record is read as is; see
  // RefreshState.
  absl::StatusOr<Container> Load(absl::string_view ref) const;

  // The container with the full id `id` (no name or prefix lookup).
  absl::StatusOr<Container> LoadById(absl::string_view id) const;

  // Every complete container, newest first (ties by id); the records of
  // running ones refreshed (RefreshState), and a RemovalInProgress whose rm
  // died turned into Dead (as dockerd does when it starts). Damaged ones are
  // left out, as dockerd leaves them out.
  absl::StatusOr<std::vector<Container>> List();

  // What `ps -a` shows: the Summary of every container, newest first,
  // stale ones refreshed as in List. Reads config.v2.json only (not
  // hostconfig.json), which keeps `ps` fast with many containers.
  absl::StatusOr<std::vector<Summary>> ListSummaries(absl::Time now);

  // Writes `c`'s config.v2.json and hostconfig.json atomically
  // (hostconfig.json first, as dockerd does), under the container's lock.
  // NotFound if the container is gone.
  absl::Status Save(const Container& c);

  // Read-modify-write under the container's lock: loads the current record
  // of `ref`, applies `change`, saves it, returns it. `change`'s error
  // aborts without saving.
  absl::StatusOr<Container> Update(
      absl::string_view ref,
      const std::function<absl::Status(Container&)>& change);

  // Holds container `id`'s lock (for a caller's longer sequence, e.g. a
  // start; use the *Locked calls meanwhile, not Save/Update/Remove).
  // NotFound if the container does not exist (any more) once it is held.
  absl::StatusOr<base::FileLock> LockContainer(absl::string_view id);
  // Save without taking the lock: the caller holds it.
  absl::Status SaveLocked(const Container& c);
  // Saves a change of `c`'s state alone (a start, an exit: config.v2.json,
  // whose other fields and hostconfig.json are as created), atomically but
  // without fsync: these change at every start and exit, and a crash that
  // loses one leaves an earlier state that the next command repairs as it
  // repairs any stale record (a "running" one from before a reboot exits
  // with 255). The caller holds the lock.
  absl::Status SaveStateLocked(const Container& c);

  // `docker rm` without -f: refuses a running container (FailedPrecondition
  // "You cannot remove a running container <id>. Stop the container before
  // attempting removal or force remove"). Otherwise records
  // RemovalInProgress and Dead, then removes the layers, the container's
  // directory, mydocker's state and its name, in dockerd's order.
  absl::Status Remove(absl::string_view ref);

  // Removal by the monitor of a --rm container whose process has exited,
  // in two steps so that `run --rm` can answer between them:
  //  1. RemoveExitedLocked: the container's directory moves into TrashDir
  //     (one rename: from now on no command sees it), its layer record
  //     (layerdb/mounts/<id>) into that directory (nothing counts the
  //     image's layers as used by it any more: rmi may delete them), and
  //     mydocker's state of it goes and its name is freed. The caller
  //     holds the container's lock (LockContainer) and keeps holding it
  //     until step 2 is done. An error means nothing moved.
  //  2. FinishRemoval: step 1's state removal if it was left undone (a
  //     name left in the index goes at the index's next use), then the rw
  //     layers, the trashed directory and the lock file. On error the trashed directory
  //     stays, for SweepTrash.
  // SweepTrash, called by Create and Remove, finishes the removals whose
  // monitor died: trashed containers whose lock nobody holds.
  absl::Status RemoveExitedLocked(const Container& c);
  absl::Status FinishRemoval(const std::string& id);
  absl::Status SweepTrash();

  // Turns a stale "Running" record into an exited one (the record in `c`
  // and on disk), and says whether it did. Stale means (runtime_state.h):
  //  - the record is from before a reboot, or there is no state.json:
  //    ExitCode 255, as dockerd reports a container whose task vanished
  //    (its `ghost` after a reboot);
  //  - the monitor and the container's init are both gone (a pid reused by
  //    another process counts as gone): 255 - the exit status is unknown;
  //  - the monitor is gone but the init still runs: the init is killed
  //    (SIGKILL; with its pid namespace, the whole container) and the exit
  //    is 137 with HasBeenManuallyStopped, as dockerd's restore does to a
  //    container that outlived it.
  // FinishedAt is now; a rootfs left mounted is unmounted. A record that
  // says "not running", or whose monitor is alive, is left alone. The check
  // is lock-free; the repair re-reads the record under the lock.
  absl::StatusOr<bool> RefreshState(Container& c);

  // The overlay mount of `c`'s root filesystem (rw_layer.h). Unmounting a
  // --rm container's keeps its merged/ (its layers go, or stay as a spare).
  absl::StatusOr<RootfsPaths> GetRootfsPaths(const Container& c) const;
  absl::Status MountRootfs(const Container& c) const;
  absl::Status UnmountRootfs(const Container& c) const;

  // Writes the files of a start (start_files.h) and sets c's paths to them;
  // the caller saves `c` with the rest of its start.
  absl::Status PrepareFirstStart(Container& c,
                                 const StartFilesOptions& options = {}) const;

  // Removes what killed creates left: container directories without a
  // config.v2.json and layer records without a container directory, whose
  // creator is gone. Not while dockerd runs on the same root (it cannot see
  // our locks).
  absl::Status CleanUp();

 private:
  absl::Status WriteRecords(const Container& c) const;
  absl::StatusOr<Container> LoadRecords(absl::string_view id,
                                        bool with_host_config) const;
  // The containers of List, refreshed; hostconfig.json only if asked for.
  absl::StatusOr<std::vector<Container>> LoadAll(bool with_host_config);
  absl::StatusOr<bool> RefreshLocked(Container& c);
  // A RemovalInProgress left by an rm that died becomes Dead.
  absl::Status RepairRemoval(Container& c);
  absl::Status RemoveEverything(const std::string& id);

  std::string root_;
  StoreOptions options_;
};

}  // namespace mydocker::container

#endif  // MYDOCKER_LIB_CONTAINER_STORE_H_
