#!/usr/bin/env bash
# The data root is Docker 20.10's: a store filled by `mydocker pull` is read,
# run, saved, pulled into and pruned by Debian's dockerd 20.10, and a store
# dockerd filled is listed, inspected, pulled into and pruned by mydocker.
# Each test starts dockerd on the data root it needs (never while mydocker
# writes to it) and stops it before it ends, however it ends.
source "$(dirname "$0")/lib.sh"

start_test_registries
REG=127.0.0.1:5000
BB=$REG/library/busybox
NGINX=$REG/library/nginx
LAYERS=$REG/library/layers

# Debian's docker.io. /usr/local/bin/docker, first in PATH on some machines,
# may be a CLI of another Docker version: never rely on PATH for these.
DOCKERD=/usr/sbin/dockerd
DOCKER=/usr/bin/docker
# Short: containerd's sockets go under it and sun_path holds 108 bytes.
DOCKERD_DIR=$WORK/d
DOCKERD_PID=""
DOCKERD_ROOT=""
export DOCKER_HOST=unix://$DOCKERD_DIR/docker.sock
# cgroupfs is shared with the host: containers go under a parent of our own,
# removed whenever dockerd stops.
CGROUP_PARENT=$(basename "$WORK")

# --- dockerd ----------------------------------------------------------------

# Whether PID is a process that has not exited (a zombie has).
_alive() {
  local state
  { read -r _ _ state _ < "/proc/$1/stat"; } 2>/dev/null && [[ $state != Z ]]
}

# "pid comm" of every process of dockerd's family in this pid namespace.
_dockerd_procs() {
  local p comm
  for p in /proc/[0-9]*; do
    { read -r comm < "$p/comm"; } 2>/dev/null || continue
    case $comm in
      dockerd|containerd|containerd-shim*|runc|docker-init|docker-proxy)
        _alive "${p#/proc/}" && echo "${p#/proc/} $comm" ;;
    esac
  done
  return 0
}

# start_dockerd ROOT: dockerd 20.10 on data root ROOT, with everything else
# it keeps (exec root with its managed containerd's state, socket, pid file,
# trust key, config) under $DOCKERD_DIR. It runs in a mount namespace of its
# own with a tmpfs on /run, so neither its mounts nor the files containerd
# and dockerd put in /run (shim sockets in /run/containerd/s, plugin dirs)
# reach the suite or the host. Waits until the API answers; the test's exit
# stops it.
start_dockerd() {
  local root=$1 i
  [[ -z $DOCKERD_PID ]] || { _fail "dockerd is already running"; return 1; }
  [[ -x $DOCKERD && -x $DOCKER ]] || {
    _fail "no $DOCKERD or $DOCKER: install Debian's docker.io (tools/deps)"
    return 1
  }
  rm -rf "$DOCKERD_DIR"
  mkdir -p "$DOCKERD_DIR"
  # dockerd would write its trust key to /etc/docker/key.json otherwise.
  echo "{\"deprecated-key-path\": \"$DOCKERD_DIR/key.json\"}" > "$DOCKERD_DIR/daemon.json"
  trap _stop_dockerd_at_exit EXIT
  unshare --mount --propagation private -- sh -c \
    'mount -t tmpfs -o mode=0755 dockerd-run /run && exec "$0" "$@"' \
    "$DOCKERD" --config-file "$DOCKERD_DIR/daemon.json" \
    --data-root "$root" --exec-root "$DOCKERD_DIR/exec" \
    -H "$DOCKER_HOST" --pidfile "$DOCKERD_DIR/docker.pid" \
    --iptables=false --ip6tables=false --bridge=none \
    --storage-driver overlay2 --insecure-registry $REG \
    --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/$CGROUP_PARENT" \
    > "$DOCKERD_DIR/log" 2>&1 &
  DOCKERD_PID=$!
  DOCKERD_ROOT=$root
  for (( i = 0; i < 300; i++ )); do
    [[ $(curl -s --unix-socket "$DOCKERD_DIR/docker.sock" http://docker/_ping) == OK ]] &&
      return 0
    _alive "$DOCKERD_PID" || break
    sleep 0.1
  done
  if _alive "$DOCKERD_PID"; then
    _fail "dockerd on $root did not answer within 30 s"
  else
    _fail "dockerd on $root exited before it answered"
  fi
  return 1
}

# stop_dockerd: SIGTERM, and waits (30 s at most) for dockerd, which stops
# its containerd first. Then checks that nothing of it is left: no process
# of its family (that would also keep its mount namespace alive), no mount
# under the data or exec root in ours (none should ever get out of its
# namespace), no cgroup under our parent. Returns non-zero, after removing
# them, if anything was.
stop_dockerd() {
  [[ -n $DOCKERD_PID ]] || return 0
  local pid=$DOCKERD_PID left="" i p m d
  DOCKERD_PID=""
  kill -TERM "$pid" 2>/dev/null || true
  for (( i = 0; i < 300; i++ )); do _alive "$pid" || break; sleep 0.1; done
  _alive "$pid" && { left+=" dockerd did not stop within 30 s;"; kill -KILL "$pid"; }
  wait "$pid" 2>/dev/null || true
  # Shims run on their own; give any a moment to see containerd gone.
  for (( i = 0; i < 50; i++ )); do [[ -z $(_dockerd_procs) ]] && break; sleep 0.1; done
  p=$(_dockerd_procs)
  if [[ -n $p ]]; then
    left+=" processes: $(tr '\n' ' ' <<< "$p");"
    while read -r i _; do kill -KILL "$i" 2>/dev/null; done <<< "$p"
  fi
  m=$(findmnt -rn -o TARGET |
    awk -v a="$DOCKERD_DIR" -v b="$DOCKERD_ROOT" 'index($0, a) == 1 || index($0, b) == 1')
  if [[ -n $m ]]; then
    left+=" mounts: $(tr '\n' ' ' <<< "$m");"
    for d in $(sort -r <<< "$m"); do umount -l "$d" 2>/dev/null; done
  fi
  # Per controller on cgroup v1 (and the hybrid unified tree), at the top on v2.
  for d in /sys/fs/cgroup/*/"$CGROUP_PARENT" /sys/fs/cgroup/"$CGROUP_PARENT"; do
    [[ -d $d ]] || continue
    # Containers' cgroups, deepest first, then ours; any left is a leak.
    if [[ -n $(find "$d" -mindepth 1 -type d) ]]; then
      left+=" cgroups under $d;"
      find "$d" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
    fi
    rmdir "$d" 2>/dev/null || left+=" cannot remove $d;"
  done
  [[ -z $left ]] || { _fail "dockerd left:$left"; return 1; }
}

_return() { return "$1"; }
# The EXIT trap of a test that started dockerd: stop it, then the harness's.
_stop_dockerd_at_exit() {
  local rc=$?
  set +e
  trap - ERR
  stop_dockerd || rc=1
  if (( rc != 0 )) && [[ -f $DOCKERD_DIR/log ]]; then
    # What it said before it was told to stop, without gRPC's chatter.
    echo "    dockerd's log, before the SIGTERM:" >&2
    sed "/Processing signal 'terminated'/,\$d" "$DOCKERD_DIR/log" |
      grep -v 'module=grpc' | tail -n 15 | sed 's/^/      /' >&2
  fi
  _return "$rc"
  _on_test_exit
}

# --- Helpers ----------------------------------------------------------------

# id_of NAME: the image id (config digest) of the OCI layout NAME.
id_of() {
  local m
  m=$(jq -r '.manifests[0].digest' "$IMAGES/$1/index.json")
  jq -r .config.digest "$IMAGES/$1/blobs/sha256/${m#sha256:}"
}
# chain_ids NAME: the layers' chain ids of the OCI layout NAME, base first.
chain_ids() {
  local id chain="" diff
  id=$(id_of "$1")
  for diff in $(jq -r '.rootfs.diff_ids[]' "$IMAGES/$1/blobs/sha256/${id#sha256:}"); do
    if [[ -z $chain ]]; then
      chain=$diff
    else
      chain=sha256:$(printf '%s %s' "$chain" "$diff" | sha256sum | cut -d' ' -f1)
    fi
    echo "$chain"
  done
}
# deleted NAME [N]: what `rmi` prints last when the image of the layout NAME
# goes with its top N layers (all by default), as Docker orders it.
deleted() {
  local chains
  chains=$(chain_ids "$1" | tac)
  echo "Deleted: $(id_of "$1")"
  head -n "${2:-$(wc -l <<< "$chains")}" <<< "$chains" | sed 's/^/Deleted: /'
}
# An `images` table with its rows sorted: both CLIs order rows of one image
# (and of images created in the same second) as they please.
rows() {
  head -n 1 <<< "$1"
  tail -n +2 <<< "$1" | LC_ALL=C sort
}
layer_count() { find "$1/image/overlay2/layerdb/sha256" -mindepth 1 -maxdepth 1 | wc -l; }
cache_dirs() { find "$1/overlay2" -mindepth 1 -maxdepth 1 ! -name l | wc -l; }
# The short links in overlay2/l; each must point at an existing diff dir.
link_count() {
  local dangling
  dangling=$(find "$1/overlay2/l" -xtype l)
  [[ -z $dangling ]] || _fail "dangling links in overlay2/l: $dangling" || return 1
  find "$1/overlay2/l" -mindepth 1 | wc -l
}

# The merged /data of the layers image, as a container sees it, in the form
# of $IMAGES/layers/EXPECTED. Runs under busybox sh.
LIST_DATA='cd / && find data | sort | while read -r p; do
  t=$(stat -c %F "$p")
  case $t in
    "regular file"|"regular empty file") t=file ;;
    directory) t=dir ;;
    "symbolic link") t=symlink ;;
  esac
  line="/$p $t $(stat -c %a "$p" | awk "{printf \"%04d\", \$1}") $(stat -c %u:%g "$p")"
  if [ "$t" = symlink ]; then line="$line $(readlink "$p")"; fi
  if [ "$t" = file ]; then line="$line sha256:$(sha256sum < "$p" | cut -d" " -f1)"; fi
  echo "$line"
done'

# --- Tests ------------------------------------------------------------------

test_dockerd_reads_a_mydocker_store() {
  local name ids table theirs
  for name in busybox nginx layers; do
    expect_ok "$MYDOCKER" pull -q $REG/library/$name
  done
  expect_ok "$MYDOCKER" images -q --no-trunc
  ids=$(sort -u <<< "$OUT")
  expect_eq "$(printf '%s\n' "$(id_of busybox)" "$(id_of nginx)" "$(id_of layers)" | sort)" "$ids" "our ids"
  expect_ok "$MYDOCKER" images
  table=$OUT

  start_dockerd "$MYDOCKER_ROOT"
  expect_ok $DOCKER images -q --no-trunc
  expect_eq "$ids" "$(sort -u <<< "$OUT")" "ids dockerd lists"
  expect_ok $DOCKER images
  expect_eq "$(rows "$table")" "$(rows "$OUT")" "docker images vs mydocker images"
  expect_ok $DOCKER images --digests
  table=$OUT
  expect_ok "$MYDOCKER" images --digests
  expect_eq "$(rows "$table")" "$(rows "$OUT")" "images --digests"
  for name in $BB $NGINX $LAYERS; do
    expect_ok $DOCKER image inspect "$name"
    theirs=$OUT
    expect_ok "$MYDOCKER" inspect "$name"
    expect_eq "$(jq '.[0].Size' <<< "$theirs")" "$(jq '.[0].Size' <<< "$OUT")" "Size of $name"
    expect_eq "$theirs" "$OUT" "inspect $name"
  done

  expect_ok $DOCKER run --rm --network none $BB echo hello
  expect_eq hello "$OUT" "busybox's echo"
  # Four layers with whiteouts, an opaque dir, hard and sym links, odd
  # owners and modes: dockerd's overlay mount of our diff dirs is the image.
  expect_ok $DOCKER run --rm --network none $LAYERS cat /data/keep.txt
  expect_eq "keep: replaced by layer 4" "$OUT" "keep.txt from the top layer"
  expect_ok $DOCKER run --rm --network none $LAYERS ls -A /data
  expect_not_contains "$OUT" "gone.txt" "ls /data after a whiteout"
  expect_contains "$OUT" "added.txt" "ls /data"
  expect_ok $DOCKER run --rm --network none $LAYERS ls -A /data/olddir
  expect_eq new "$OUT" "the opaque dir"
  expect_exit 1 $DOCKER run --rm --network none $LAYERS ls /bin/vi
  expect_contains "$ERR" "No such file or directory" "ls /bin/vi after a whiteout"
  expect_ok $DOCKER run --rm --network none $LAYERS sh -c "$LIST_DATA"
  expect_eq "$(cat "$IMAGES/layers/EXPECTED")" "$OUT" "merged /data"

  # save rebuilds every layer tar from our tar-split.json.gz and diff dir,
  # and checks it against the diff id; check it again here.
  expect_ok $DOCKER save -o images.tar $BB $NGINX $LAYERS
  mkdir saved
  tar -xf images.tar -C saved
  local i config layer want got
  expect_eq 3 "$(jq length saved/manifest.json)" "images saved"
  for (( i = 0; i < 3; i++ )); do
    config=saved/$(jq -r ".[$i].Config" saved/manifest.json)
    want=$(jq -r '.rootfs.diff_ids[]' "$config")
    got=$(jq -r ".[$i].Layers[]" saved/manifest.json | while read -r layer; do
      echo "sha256:$(sha256sum < "saved/$layer" | cut -d' ' -f1)"
    done)
    expect_eq "$want" "$got" "diff ids of the saved layers of $(jq -c ".[$i].RepoTags" saved/manifest.json)"
  done
  expect_eq 8 "$(jq '[.[].Layers[]] | length' saved/manifest.json)" "layers saved"
  stop_dockerd
}

test_mydocker_reads_a_dockerd_store() {
  local root=$PWD/dockerd-root name ids table digests keeper refused
  local md=("$MYDOCKER" --root "$root")
  start_dockerd "$root"
  for name in $BB $NGINX $LAYERS; do
    expect_ok $DOCKER pull "$name"
  done
  # A stopped container on busybox: mydocker must not pull its image away.
  expect_ok $DOCKER create --network none --name keeper $BB echo kept
  keeper=$OUT
  expect_exit 1 $DOCKER rmi $BB
  refused=${ERR#Error response from daemon: }
  expect_contains "$refused" "container ${keeper:0:12} is using its referenced image"
  # A tag of dockerd's own, with its lastUpdated.
  expect_ok $DOCKER tag $BB other/box:1
  expect_ok $DOCKER images -q --no-trunc
  ids=$(sort -u <<< "$OUT")
  expect_ok $DOCKER images
  table=$OUT
  expect_ok $DOCKER images --digests
  digests=$OUT
  for name in $BB $NGINX $LAYERS; do
    expect_ok $DOCKER image inspect "$name"
    echo "$OUT" > "inspect-${name##*/}.json"
  done
  stop_dockerd

  expect_ok "${md[@]}" images -q --no-trunc
  expect_eq "$ids" "$(sort -u <<< "$OUT")" "ids mydocker lists"
  expect_eq "$(printf '%s\n' "$(id_of busybox)" "$(id_of nginx)" "$(id_of layers)" | sort)" "$ids" "ids"
  expect_ok "${md[@]}" images
  expect_eq "$(rows "$table")" "$(rows "$OUT")" "mydocker images vs docker images"
  expect_ok "${md[@]}" images --digests
  expect_eq "$(rows "$digests")" "$(rows "$OUT")" "images --digests"
  for name in $BB $NGINX $LAYERS; do
    expect_ok "${md[@]}" inspect "$name"
    expect_eq "$(cat "inspect-${name##*/}.json")" "$OUT" "inspect $name"
  done

  # dockerd's distribution metadata tells mydocker what it has.
  local layers dirs
  layers=$(layer_count "$root")
  expect_eq 7 "$layers" "layers (busybox's base shared with the layers image)"
  expect_ok "${md[@]}" pull $NGINX
  expect_eq 3 "$(grep -c ': Already exists' <<< "$OUT")" "layers already there"
  expect_contains "$OUT" "Status: Image is up to date for $NGINX:latest"
  expect_eq "$layers" "$(layer_count "$root")" "layers after the pull"

  expect_ok "${md[@]}" rmi other/box:1
  expect_eq "Untagged: other/box:1" "$OUT" "rmi of dockerd's tag"
  expect_exit 1 "${md[@]}" rmi $BB
  expect_contains "$ERR" "$refused" "mydocker's refusal, as dockerd's"

  # nginx shares nothing: it goes with its three layers, their dirs and links.
  dirs=$(cache_dirs "$root")
  expect_eq 9 "$dirs" "overlay2 dirs (7 layers, keeper's layer and its init layer)"
  expect_eq 9 "$(link_count "$root")" "overlay2/l links"
  expect_ok "${md[@]}" rmi $NGINX
  expect_eq "$(deleted nginx)" "$(grep '^Deleted: ' <<< "$OUT")" "what rmi nginx deleted"
  expect_eq $((layers - 3)) "$(layer_count "$root")" "layers after rmi nginx"
  expect_eq $((dirs - 3)) "$(cache_dirs "$root")" "overlay2 dirs after rmi nginx"
  expect_eq 6 "$(link_count "$root")" "overlay2/l links after rmi nginx"
  # layers stands on busybox's base: its own three go, the base stays.
  expect_ok "${md[@]}" rmi $LAYERS
  expect_eq "$(deleted layers 3)" "$(grep '^Deleted: ' <<< "$OUT")" "what rmi layers deleted"
  expect_eq 1 "$(layer_count "$root")" "layers after rmi layers"
  expect_eq 3 "$(cache_dirs "$root")" "overlay2 dirs after rmi layers"
  expect_eq 3 "$(link_count "$root")" "overlay2/l links after rmi layers"
  expect_ok "${md[@]}" tag $BB mine/box:v1

  start_dockerd "$root"
  expect_ok $DOCKER images -q --no-trunc
  expect_eq "$(id_of busybox)" "$(sort -u <<< "$OUT")" "what dockerd lists now"
  expect_ok $DOCKER images --format '{{.Repository}}:{{.Tag}}'
  expect_eq "$(printf '%s\n' "$BB:latest" mine/box:v1)" "$(sort <<< "$OUT")" "tags dockerd lists"
  expect_ok $DOCKER start -a keeper
  expect_eq kept "$OUT" "the container dockerd made before"
  expect_ok $DOCKER run --rm --network none mine/box:v1 echo hello
  expect_eq hello "$OUT" "busybox's echo"
  expect_ok $DOCKER rm keeper
  stop_dockerd
}

test_mydocker_lists_and_removes_dockerds_containers() {
  local root=$PWD/dockerd-root theirs ours
  local md=("$MYDOCKER" --root "$root")
  start_dockerd "$root"
  expect_ok $DOCKER pull $BB
  expect_exit 3 $DOCKER run --name done --network none $BB sh -c 'exit 3'
  expect_ok $DOCKER create --name fresh --network none $BB echo "hello world"
  expect_ok $DOCKER ps -a --format '{{.ID}}|{{.Image}}|{{.Command}}|{{.State}}|{{.Names}}'
  theirs=$OUT
  # The same templates, as a table too (header, tabwriter's alignment).
  local table='table {{.Names}}\t{{.State}}\t{{.Command}}\t{{.Image}}'
  expect_ok $DOCKER ps -a --format "$table"
  local their_table=$OUT
  expect_ok $DOCKER images --format 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}'
  local their_images=$OUT
  stop_dockerd

  expect_ok "${md[@]}" ps -a --format json
  ours=$(jq -r '"\(.ID)|\(.Image)|\(.Command)|\(.State)|\(.Names)"' <<< "$OUT")
  expect_eq "$theirs" "$ours" "ps -a of dockerd's containers"
  expect_contains "$(jq -r 'select(.Names == "done") | .Status' <<< "$OUT")" "Exited (3) "
  expect_eq Created "$(jq -r 'select(.Names == "fresh") | .Status' <<< "$OUT")" "fresh status"
  expect_ok "${md[@]}" ps -a --format '{{.ID}}|{{.Image}}|{{.Command}}|{{.State}}|{{.Names}}'
  expect_eq "$theirs" "$OUT" "ps -a with docker's template"
  expect_ok "${md[@]}" ps -a --format "$table"
  expect_eq "$their_table" "$OUT" "ps -a with docker's table template"
  expect_ok "${md[@]}" images --format 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}'
  expect_eq "$their_images" "$OUT" "images with docker's table template"
  expect_ok "${md[@]}" ps -a
  expect_contains "$(head -n 1 <<< "$OUT")" "CONTAINER ID   IMAGE"
  expect_contains "$OUT" '"echo '"'"'hello world'"'"'"'
  # Only running ones without -a: none.
  expect_ok "${md[@]}" ps -q
  expect_eq "" "$OUT" "running containers"

  expect_ok "${md[@]}" rm done
  expect_eq done "$OUT" "rm output"
  expect_exit 1 "${md[@]}" rm done
  expect_contains "$ERR" "No such container: done"
  expect_ok "${md[@]}" ps -a --format json
  expect_eq fresh "$(jq -r .Names <<< "$OUT")" "left after rm"

  # dockerd agrees: the container is gone, the other still works.
  start_dockerd "$root"
  expect_ok $DOCKER ps -a --format '{{.Names}}'
  expect_eq fresh "$OUT" "what dockerd lists"
  expect_ok $DOCKER start -a fresh
  expect_eq "hello world" "$OUT" "the remaining container runs"
  expect_ok $DOCKER rm fresh
  stop_dockerd
}

test_dockerd_pulls_into_and_prunes_a_mydocker_store() {
  expect_ok "$MYDOCKER" pull -q $BB
  expect_ok "$MYDOCKER" pull -q $NGINX
  start_dockerd "$MYDOCKER_ROOT"
  expect_ok $DOCKER pull $BB
  expect_contains "$OUT" "Status: Image is up to date for $BB:latest"
  # The layers image stands on busybox's base layer, which mydocker pulled.
  expect_ok $DOCKER pull $LAYERS
  expect_eq 1 "$(grep -c ': Already exists' <<< "$OUT")" "layers reused"
  expect_eq 3 "$(grep -c ': Pull complete' <<< "$OUT")" "layers pulled"
  # dockerd deletes what mydocker wrote: nginx's layers, dirs and links.
  expect_ok $DOCKER rmi $NGINX
  expect_eq "$(deleted nginx)" "$(grep '^Deleted: ' <<< "$OUT")" "what docker rmi nginx deleted"
  stop_dockerd

  expect_ok "$MYDOCKER" images -q --no-trunc
  expect_eq "$(printf '%s\n' "$(id_of busybox)" "$(id_of layers)" | sort)" "$(sort -u <<< "$OUT")" "ids"
  expect_eq 4 "$(layer_count "$MYDOCKER_ROOT")" "layers"
  expect_eq 4 "$(cache_dirs "$MYDOCKER_ROOT")" "overlay2 dirs"
  expect_eq 4 "$(link_count "$MYDOCKER_ROOT")" "overlay2/l links"
  expect_ok "$MYDOCKER" pull $LAYERS
  expect_eq 4 "$(grep -c ': Already exists' <<< "$OUT")" "layers already there"
  expect_contains "$OUT" "Status: Image is up to date for $LAYERS:latest"
  expect_ok "$MYDOCKER" rmi $LAYERS
  expect_eq "$(deleted layers 3)" "$(grep '^Deleted: ' <<< "$OUT")" "what rmi layers deleted"
  expect_eq 1 "$(cache_dirs "$MYDOCKER_ROOT")" "overlay2 dirs left"
  expect_eq 1 "$(link_count "$MYDOCKER_ROOT")" "overlay2/l links left"
  expect_ok "$MYDOCKER" images -q --no-trunc
  expect_eq "$(id_of busybox)" "$OUT" "images left"
}

run_suite
