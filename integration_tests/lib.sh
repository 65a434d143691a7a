# shellcheck shell=bash
# The hermetic integration harness. A suite is a bash script that defines
# test_* functions and ends with `run_suite`:
#
#   #!/usr/bin/env bash
#   source "$(dirname "$0")/lib.sh"
#   test_version() { expect_output_contains "0.1" "$MYDOCKER" --version; }
#   run_suite
#
# Sourcing this file re-executes the suite inside fresh network, mount and pid
# namespaces (nothing it sends can leave the machine; every process it starts
# dies with it), with a tmpfs work dir and its own data root. run_suite runs
# each test in a subshell under `set -e`, starts nothing by itself, and at the
# end, pass or fail, reports and removes what the tests left behind: mounts,
# network links, nftables rules, processes. Its last line is
# "<suite>: N passed, N failed"; leftovers count as a failure.
#
# What a suite gets:
#   $MYDOCKER       the binary under test (absolute path)
#   $IMAGES         the OCI layouts from testdata/mkimages
#   $WORK           a private tmpfs work dir, removed at exit
#   $MYDOCKER_ROOT  a fresh data root under $WORK (exported)
#   start_registry / start_auth_registry: the reference registry on loopback.

set -u
set -o pipefail

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUITE_PATH=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
SUITE=$(basename "$0" .sh)

if [[ $(id -u) != 0 ]]; then
  echo "$SUITE: integration tests need root (namespaces, mounts, nftables)" >&2
  echo "$SUITE: 0 passed, 1 failed"
  exit 1
fi

# Enter our own namespaces once: the marker names this suite, so a suite that
# runs another suite (the harness's own test) gets fresh namespaces for it.
if [[ "${HARNESS_SUITE_INSIDE:-}" != "$SUITE_PATH" ]]; then
  export HARNESS_SUITE_INSIDE=$SUITE_PATH
  HARNESS_OUTER_NS="$(readlink /proc/self/ns/net) $(readlink /proc/self/ns/mnt) $(readlink /proc/self/ns/pid)"
  export HARNESS_OUTER_NS
  exec unshare --net --mount --propagation private --pid --fork --mount-proc \
    -- "$BASH" "$SUITE_PATH" "$@"
fi

# --- Setup, inside the namespaces -----------------------------------------

REPO_ROOT=$(cd "$HARNESS_DIR/.." && pwd)
MYDOCKER=${MYDOCKER:-$REPO_ROOT/bazel-bin/mydocker}
MYDOCKER=$(readlink -f "$MYDOCKER")
IMAGES=${IMAGES:-$REPO_ROOT/out/images}
export MYDOCKER IMAGES

ip link set lo up

WORK=$(mktemp -d /tmp/mydocker-it."$SUITE".XXXXXX)
mount -t tmpfs -o mode=0755 "mydocker-it-$SUITE" "$WORK"
export WORK
export MYDOCKER_ROOT=$WORK/root
export HOME=$WORK/home  # ~/.docker/config.json of the tests, not the host's.
mkdir -p "$HOME"

_passed=0
_failed=0
_registry_pids=()

# The kernel state a suite starts with; anything beyond it at the end is a
# leftover. Mount targets are compared by path, links by name, nftables by
# the whole ruleset text.
_snapshot_mounts() { findmnt -rn -o TARGET | sort; }
_snapshot_links() { ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort; }
_snapshot_nft() { nft list ruleset 2>/dev/null; }
# Processes other than this shell (pid 1 of the namespace) and the process
# running the listing. Uses builtins only, so it adds no process of its own.
_snapshot_procs() {
  local p pid comm state rest
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [[ $pid == 1 || $pid == "$BASHPID" ]] && continue
    read -r _ comm state rest < "$p/stat" 2>/dev/null || continue
    [[ $state == Z ]] && continue  # Exited, about to be reaped.
    echo "$pid $comm"
  done
}

_base_mounts=$(_snapshot_mounts)
_base_links=$(_snapshot_links)
_base_nft=$(_snapshot_nft)

# --- Assertions ------------------------------------------------------------
# Each prints what it saw and returns non-zero on failure; under the test's
# `set -e` that ends the test.

_fail() {
  local frame=${BASH_LINENO[1]:-?}
  echo "    FAIL ($SUITE.sh:$frame): $*" >&2
  _reported=1
  return 1
}

# Under a test's `set -e`, any failing command ends the test. The ERR trap
# remembers the last failing command; if the test then ends in failure
# without an assertion having said why, the EXIT trap names it.
_reported=0
_last_err=""
_on_err() { _last_err="$SUITE.sh:$1: '$2' exited $3"; }
_on_test_exit() {
  local rc=$?
  trap - ERR
  if (( rc != 0 && ! _reported )) && [[ -n $_last_err ]]; then
    echo "    FAIL ($_last_err)" >&2
  fi
  stop_registries
  exit "$rc"
}

# expect_eq WANT GOT [WHAT]
expect_eq() {
  [[ "$1" == "$2" ]] || _fail "${3:-value}: want '$1', got '$2'"
}

# expect_contains HAYSTACK NEEDLE [WHAT]
expect_contains() {
  [[ "$1" == *"$2"* ]] || _fail "${3:-output} does not contain '$2'; it was: $1"
}

# expect_not_contains HAYSTACK NEEDLE [WHAT]
expect_not_contains() {
  [[ "$1" != *"$2"* ]] || _fail "${3:-output} contains '$2'; it was: $1"
}

# expect_exit CODE CMD... : runs CMD, checks its exit code. Its stdout and
# stderr are kept in $OUT and $ERR for further checks.
OUT=""
ERR=""
expect_exit() {
  local want=$1 got=0
  shift
  "$@" > "$WORK/.out" 2> "$WORK/.err" || got=$?
  OUT=$(cat "$WORK/.out")
  ERR=$(cat "$WORK/.err")
  [[ $got == "$want" ]] ||
    _fail "'$*' exited $got, want $want; stdout: $OUT; stderr: $ERR"
}

# expect_ok CMD... : expect_exit 0.
expect_ok() { expect_exit 0 "$@"; }

# --- The reference registry -------------------------------------------------

# start_registry PORT DIR [auth]: Debian's docker-registry on 127.0.0.1:PORT,
# storing in DIR. With "auth", it demands HTTP basic auth for the user
# $REGISTRY_USER / $REGISTRY_PASSWORD. Waits until it answers.
REGISTRY_USER=mydocker
REGISTRY_PASSWORD=hunter2-$RANDOM
start_registry() {
  local port=$1 dir=$2 auth=${3:-}
  mkdir -p "$dir/storage"
  local auth_yaml=""
  if [[ $auth == auth ]]; then
    htpasswd -Bbn "$REGISTRY_USER" "$REGISTRY_PASSWORD" > "$dir/htpasswd" 2>/dev/null
    auth_yaml="auth:
  htpasswd:
    realm: mydocker-test
    path: $dir/htpasswd"
  fi
  cat > "$dir/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
$auth_yaml
YAML
  docker-registry serve "$dir/config.yml" > "$dir/log" 2>&1 &
  _registry_pids+=($!)
  local i
  for i in $(seq 100); do
    # 200 without auth, 401 with: either way it is serving.
    case $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/") in
      200|401) return 0 ;;
    esac
    sleep 0.05
  done
  echo "registry on port $port did not start:" >&2
  cat "$dir/log" >&2
  return 1
}

# push_image NAME PORT [REPO] [CREDS]: copies the OCI layout $IMAGES/NAME to
# 127.0.0.1:PORT/REPO:latest (default library/NAME, as Docker Hub names it),
# every platform, digests unchanged.
push_image() {
  local name=$1 port=$2 repo=${3:-library/$1} creds=${4:-}
  local args=(--all --preserve-digests --dest-tls-verify=false)
  [[ -n $creds ]] && args+=(--dest-creds "$creds")
  skopeo copy -q "${args[@]}" "oci:$IMAGES/$name:latest" \
    "docker://127.0.0.1:$port/$repo:latest" > /dev/null
}

# The test images every suite can pull: registry on 127.0.0.1:5000 with all
# of them, and an auth registry on 127.0.0.1:5001 with busybox.
TEST_IMAGES=(busybox busybox-zstd layers multiarch nginx)
start_test_registries() {
  local name
  [[ -d $IMAGES/busybox ]] || {
    echo "no test images in $IMAGES: run testdata/mkimages --out $IMAGES" >&2
    return 1
  }
  start_registry 5000 "$WORK/registry"
  start_registry 5001 "$WORK/registry-auth" auth
  for name in "${TEST_IMAGES[@]}"; do
    push_image "$name" 5000 &
  done
  push_image busybox 5001 "" "$REGISTRY_USER:$REGISTRY_PASSWORD" &
  wait_all_but_registries
}

# md ARGS...: mydocker with a deadline, so a hang fails one test, not the
# suite. (Not for -it: timeout takes the command out of the foreground.)
md() { timeout -k 2 30 "$MYDOCKER" "$@"; }

# wait_until SECONDS CMD...: polls CMD every 50 ms until it succeeds.
wait_until() {
  local n=$(($1 * 20))
  shift
  until "$@"; do
    ((n-- > 0)) || { _fail "timed out waiting for: $*"; return 1; }
    sleep 0.05
  done
}

# cgroup_dirs ID: the cgroup directories of container ID, in any hierarchy.
cgroup_dirs() { ls -d /sys/fs/cgroup/*/mydocker/"$1" /sys/fs/cgroup/mydocker/"$1" 2> /dev/null || true; }

# setup_failed MESSAGE: a suite's setup could not be done; counted as a
# failure, and the suite ends.
setup_failed() {
  echo "setup: $*" >&2
  _failed=$((_failed + 1))
  exit 1
}

# make_base_root IMAGE...: the data root $BASE_ROOT (under $WORK) with the
# test images IMAGE pulled from a loopback registry (started and stopped
# here) and tagged with their short names, for suites whose tests each
# start from a copy of it. Also checks that containers can get cgroups in
# the suite's mount namespace.
make_base_root() {
  local img
  BASE_ROOT=$WORK/base-root
  findmnt -rn -t cgroup,cgroup2 -o TARGET | grep -q '^/sys/fs/cgroup' ||
    setup_failed "no cgroup filesystem under /sys/fs/cgroup"
  start_registry 5000 "$WORK/registry" || setup_failed "registry did not start"
  for img in "$@"; do push_image "$img" 5000 & done
  wait_all_but_registries || setup_failed "could not push the test images"
  for img in "$@"; do
    MYDOCKER_ROOT=$BASE_ROOT "$MYDOCKER" pull -q "127.0.0.1:5000/library/$img" > /dev/null &&
      MYDOCKER_ROOT=$BASE_ROOT "$MYDOCKER" tag "127.0.0.1:5000/library/$img" "$img" ||
      setup_failed "could not pull $img"
  done
  stop_registries
}

# Waits for every background job except the registries; fails if any failed.
wait_all_but_registries() {
  local pid rc=0
  for pid in $(jobs -p); do
    [[ " ${_registry_pids[*]} " == *" $pid "* ]] && continue
    wait "$pid" || rc=1
  done
  return $rc
}

# start_front PORT MODE [ARGS...]: fixtures/registry_front.py on
# 127.0.0.1:PORT in front of the registry on :5000, misbehaving as MODE.
start_front() {
  local port=$1 mode=$2
  shift 2
  python3 "$HARNESS_DIR/fixtures/registry_front.py" --listen "127.0.0.1:$port" \
    --upstream 127.0.0.1:5000 --mode "$mode" "$@" > "$WORK/front-$port.log" 2>&1 &
  _registry_pids+=($!)
  local i
  for i in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/_stats" > /dev/null && return 0
    sleep 0.05
  done
  cat "$WORK/front-$port.log" >&2
  return 1
}

# front_stat PORT KEY: a counter of the front on PORT (0 if unset).
front_stat() {
  curl -sf "http://127.0.0.1:$1/_stats" | jq -r ".$2 // 0"
}

# stop_pid PID: stops one helper started with start_front or start_registry.
stop_pid() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local kept=() p
  for p in "${_registry_pids[@]}"; do [[ $p == "$1" ]] || kept+=("$p"); done
  _registry_pids=("${kept[@]}")
}

stop_registries() {
  local pid
  for pid in "${_registry_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  _registry_pids=()
}

# --- Running and cleaning up ----------------------------------------------

# Reports anything the suite left behind, removes it, and checks the removal.
# Returns non-zero if anything was left.
_check_leftovers() {
  local left=0 m l p
  local mounts links nft procs
  mounts=$(comm -13 <(echo "$_base_mounts") <(_snapshot_mounts))
  links=$(comm -13 <(echo "$_base_links") <(_snapshot_links))
  nft=$(_snapshot_nft)
  procs=$(_snapshot_procs)
  if [[ -n $mounts ]]; then
    left=1
    echo "  LEFTOVER mounts:" $mounts
    # Deepest first, lazily: a busy mount must not keep the rest in place.
    for m in $(echo "$mounts" | sort -r); do umount -l "$m" 2>/dev/null; done
  fi
  if [[ -n $links ]]; then
    left=1
    echo "  LEFTOVER links:" $links
    for l in $links; do ip link del "$l" 2>/dev/null; done
  fi
  if [[ "$nft" != "$_base_nft" ]]; then
    left=1
    echo "  LEFTOVER nftables rules:"
    diff <(echo "$_base_nft") <(echo "$nft") | sed -n 's/^> /    /p'
    nft flush ruleset
    [[ -n $_base_nft ]] && nft -f - <<< "$_base_nft"
  fi
  if [[ -n $procs ]]; then
    left=1
    echo "  LEFTOVER processes:" $(echo "$procs" | tr '\n' ' ')
    while read -r p _; do kill -KILL "$p" 2>/dev/null; done <<< "$procs"
    sleep 0.1
  fi
  if (( left )); then
    # Prove the cleanup, so the next suite starts from a known state.
    if [[ -z $(comm -13 <(echo "$_base_mounts") <(_snapshot_mounts)) &&
          -z $(comm -13 <(echo "$_base_links") <(_snapshot_links)) &&
          "$(_snapshot_nft)" == "$_base_nft" ]]; then
      echo "  cleaned up: nothing left after removal"
    else
      echo "  CLEANUP FAILED: state still differs from the start"
    fi
  fi
  return $left
}

# What the default bridge network leaves once its containers are gone, as
# dockerd leaves docker0: the device mydocker0 and, in `table ip mydocker`,
# its rules. Expected, not a leak: removed here, but only when nothing else
# is in them; a port still on the bridge, a published port or another
# network's rules stay, for _check_leftovers to report.
_remove_default_bridge() {
  ip link show mydocker0 > /dev/null 2>&1 || return 0
  # The kernel deletes an exited container's veth with its network
  # namespace, a moment after its monitor has answered (the suite's last
  # test may have ended right then): give that up to 3 s.
  local i
  for ((i = 0; i < 60; i++)); do
    [[ -z $(ip -o link show master mydocker0) ]] && break
    sleep 0.05
  done
  [[ -z $(ip -o link show master mydocker0) ]] || return 0
  local table map
  table=$(nft list table ip mydocker 2> /dev/null)
  if [[ -n $table ]]; then
    for map in tcp_any udp_any tcp_ip udp_ip; do
      nft list map ip mydocker "$map" | grep -q elements && return 0
    done
    # Interface names in the rules: the default bridge's only.
    [[ $(grep -o '"[^"]*"' <<< "$table" | sort -u) == '"mydocker0"' ]] || return 0
    nft delete table ip mydocker
  fi
  ip link del mydocker0
}

_finish() {
  local rc=$?
  trap - EXIT
  stop_registries
  _remove_default_bridge
  if ! _check_leftovers; then
    echo "FAIL $SUITE: left state behind (see LEFTOVER above)"
    _failed=$((_failed + 1))
  fi
  cd /
  umount -l "$WORK" 2>/dev/null
  rmdir "$WORK" 2>/dev/null
  echo "$SUITE: $_passed passed, $_failed failed"
  if (( _failed > 0 || rc != 0 )); then exit 1; fi
  exit 0
}
trap _finish EXIT
# pid 1 ignores signals it has no handler for; give the usual ones one.
trap 'exit 130' INT
trap 'exit 143' TERM

# run_suite [PATTERN]: runs every test_* function (or those matching
# PATTERN, also from $TEST_FILTER), each in its own subshell under set -e,
# with the current directory at a fresh dir in $WORK.
run_suite() {
  local filter=${1:-${TEST_FILTER:-}} t rc start ms verdict
  for t in $(declare -F | awk '{print $3}' | grep '^test_'); do
    [[ -n $filter && $t != *$filter* ]] && continue
    mkdir -p "$WORK/cases/$t"
    start=${EPOCHREALTIME/./}
    (
      cd "$WORK/cases/$t" || exit 1
      # Helpers a test starts (start_front, start_registry) are its own and
      # stop when it ends; the suite's registries stay.
      _registry_pids=()
      trap _on_test_exit EXIT
      trap '_on_err "$LINENO" "$BASH_COMMAND" "$?"' ERR
      set -eE
      "$t"
    )
    rc=$?
    ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
    if (( rc == 0 )); then
      _passed=$((_passed + 1))
      verdict=PASS
    else
      _failed=$((_failed + 1))
      verdict=FAIL
    fi
    printf '%s %s.%s (%d ms)\n' "$verdict" "$SUITE" "$t" "$ms"
  done
}
