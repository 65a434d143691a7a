#!/usr/bin/env bash
# `pull` against real registries: the reference registry for the happy paths,
# fixtures/registry_front.py for what goes wrong (bad bytes, dropped and
# stalled connections, token auth, redirects, mirrors). Each test starts from
# an empty data root and checks the store as dockerd would read it.
source "$(dirname "$0")/lib.sh"

start_test_registries

REG=127.0.0.1:5000
IMG=$IMAGES
export MYDOCKER_DAEMON_CONFIG=$WORK/daemon.json  # Absent unless a test writes it.
LAYERDB=image/overlay2/layerdb

fresh_root() {
  export MYDOCKER_ROOT=$PWD/root
  rm -rf "$MYDOCKER_ROOT"
}

# The manifest digest the OCI layout was built with.
manifest_digest() { jq -r '.manifests[0].digest' "$IMG/$1/index.json"; }
# The image id (config digest) of a single-platform layout.
image_id() {
  local m
  m=$(manifest_digest "$1")
  jq -r .config.digest "$IMG/$1/blobs/sha256/${m#sha256:}"
}
repos() { cat "$MYDOCKER_ROOT/image/overlay2/repositories.json"; }
# How many entries a directory has (0 if it does not exist).
entries() { local n=0 f; for f in "$1"/*; do [[ -e $f || -L $f ]] && n=$((n + 1)); done; echo $n; }
layer_count() { entries "$MYDOCKER_ROOT/$LAYERDB/sha256"; }
cache_dirs() {
  local n
  n=$(entries "$MYDOCKER_ROOT/overlay2")
  [[ -d $MYDOCKER_ROOT/overlay2/l ]] && n=$((n - 1))
  echo "$n"
}
# The overlay2 dir of the layer with the most lower layers (the top one).
top_layer_dir() {
  local c best="" most=-1 n
  for c in "$MYDOCKER_ROOT"/overlay2/*/; do
    n=0
    [[ -f $c/lower ]] && n=$(awk -F: '{print NF}' "$c/lower")
    if (( n > most )); then most=$n; best=${c%/}; fi
  done
  echo "$best"
}

test_pull_by_tag_writes_dockerds_store() {
  fresh_root
  expect_ok "$MYDOCKER" pull $REG/library/busybox
  expect_contains "$OUT" "Using default tag: latest"
  expect_contains "$OUT" "latest: Pulling from library/busybox"
  expect_contains "$OUT" "Pull complete"
  expect_contains "$OUT" "Digest: $(manifest_digest busybox)"
  expect_contains "$OUT" "Status: Downloaded newer image for $REG/library/busybox:latest"
  expect_eq "$REG/library/busybox:latest" "$(tail -n 1 <<< "$OUT")" "last line"
  local id
  id=$(image_id busybox)
  expect_eq "$id" "$(jq -r '.Repositories["'$REG'/library/busybox"]["'$REG'/library/busybox:latest"]' <<< "$(repos)")" "tag ref"
  expect_eq "$id" "$(jq -r '.Repositories["'$REG'/library/busybox"]["'$REG'/library/busybox@'"$(manifest_digest busybox)"'"]' <<< "$(repos)")" "digest ref"
  # The config, verbatim.
  cmp "$MYDOCKER_ROOT/image/overlay2/imagedb/content/sha256/${id#sha256:}" "$IMG/busybox/blobs/sha256/${id#sha256:}"
  # One layer: layerdb record and its extracted files.
  expect_eq 1 "$(layer_count)" layers
  local chain cache
  chain=$(ls "$MYDOCKER_ROOT/$LAYERDB/sha256")
  expect_eq "sha256:$chain" "$(jq -r '.rootfs.diff_ids[0]' "$IMG/busybox/blobs/sha256/${id#sha256:}")" "chain id of the base = diff id"
  cache=$(cat "$MYDOCKER_ROOT/$LAYERDB/sha256/$chain/cache-id")
  [[ -x $MYDOCKER_ROOT/overlay2/$cache/diff/bin/busybox ]] || _fail "no bin/busybox in the layer"
  expect_eq "/bin/busybox" "$(readlink "$MYDOCKER_ROOT/overlay2/$cache/diff/bin/sh")" "bin/sh link"
  expect_eq 1777 "$(stat -c %a "$MYDOCKER_ROOT/overlay2/$cache/diff/tmp")" "tmp mode"
  [[ -s $MYDOCKER_ROOT/$LAYERDB/sha256/$chain/tar-split.json.gz ]] || _fail "no tar-split"
  # Distribution metadata, with the full repository name.
  expect_contains "$(cat "$MYDOCKER_ROOT"/image/overlay2/distribution/v2metadata-by-diffid/sha256/*)" \
    "\"SourceRepository\":\"$REG/library/busybox\""
  # No leftovers of the pull itself.
  expect_eq 0 "$(entries "$MYDOCKER_ROOT/$LAYERDB/tmp")" "layerdb/tmp"
}

test_pull_again_is_up_to_date_and_downloads_nothing() {
  fresh_root
  expect_ok "$MYDOCKER" pull $REG/library/busybox:latest
  expect_ok "$MYDOCKER" pull $REG/library/busybox:latest
  expect_contains "$OUT" "Already exists"
  expect_contains "$OUT" "Status: Image is up to date for $REG/library/busybox:latest"
  expect_eq 1 "$(cache_dirs)" "overlay2 dirs"
}

test_pull_by_digest_records_only_the_digest() {
  fresh_root
  local d
  d=$(manifest_digest nginx)
  expect_ok "$MYDOCKER" pull "$REG/library/nginx@$d"
  expect_not_contains "$OUT" "Using default tag"
  expect_eq "[\"$REG/library/nginx@$d\"]" "$(jq -c '.Repositories["'$REG'/library/nginx"] | keys' <<< "$(repos)")" "refs"
  expect_eq 3 "$(layer_count)" "nginx layers"
  # lower files chain the layers, nearest parent first.
  expect_eq 2 "$(awk -F: '{print NF}' "$(top_layer_dir)/lower")" "lower entries of the top layer"
}

test_quiet_prints_only_the_reference() {
  fresh_root
  expect_ok "$MYDOCKER" pull -q $REG/library/busybox
  expect_eq "$REG/library/busybox:latest" "$OUT" "stdout"
}


# A loopback registry is insecure: https is tried first, and its TLS failure
# against a plain-HTTP server goes straight to http, without the backoff
# retries meant for dropped connections (they cost 1.4 s per pull).
test_plain_http_registry_is_not_retried_over_https() {
  fresh_root
  expect_ok "$MYDOCKER" --debug pull -q $REG/library/busybox
  expect_contains "$ERR" "https://$REG/v2/"
  expect_contains "$ERR" "trying the next endpoint"
  expect_not_contains "$ERR" "retrying in"
}
test_multiplatform_index_selects_the_platform() {
  fresh_root
  expect_ok "$MYDOCKER" pull $REG/library/multiarch
  # amd64 is the busybox image itself; the index digest is what is recorded.
  expect_eq "$(image_id busybox)" "$(jq -r '.Repositories["'$REG'/library/multiarch"]["'$REG'/library/multiarch:latest"]' <<< "$(repos)")" "amd64 image"
  expect_contains "$OUT" "Digest: $(manifest_digest multiarch)"
  expect_ok "$MYDOCKER" pull --platform linux/arm64 $REG/library/multiarch
  local arm
  arm=$(jq -r '.Repositories["'$REG'/library/multiarch"]["'$REG'/library/multiarch:latest"]' <<< "$(repos)")
  expect_eq arm64 "$(jq -r .architecture "$MYDOCKER_ROOT/image/overlay2/imagedb/content/sha256/${arm#sha256:}")" "arm64 config"
  expect_exit 1 "$MYDOCKER" pull --platform linux/s390x $REG/library/multiarch
  expect_contains "$ERR" "no matching manifest for linux/s390x"
  expect_exit 125 "$MYDOCKER" pull --platform nonsense $REG/library/multiarch
  expect_contains "$ERR" 'invalid platform "nonsense"'
}

test_zstd_layer() {
  fresh_root
  expect_ok "$MYDOCKER" pull $REG/library/busybox-zstd
  expect_eq 1 "$(layer_count)" layers
  [[ -x $(echo "$MYDOCKER_ROOT"/overlay2/*/diff/bin/busybox) ]] || _fail "zstd layer not extracted"
}

test_layers_image_merges_like_docker() {
  fresh_root
  expect_ok "$MYDOCKER" pull $REG/library/layers
  expect_eq 4 "$(layer_count)" layers
  # Mount the image as overlayfs would for a container and compare the
  # merged /data with what mkimages says it must be.
  local top lower
  top=$(top_layer_dir)
  lower="$top/diff:$(sed "s|l/|$MYDOCKER_ROOT/overlay2/l/|g" "$top/lower")"
  mkdir merged
  mount -t overlay overlay -o "ro,lowerdir=$lower" merged
  local listing
  listing=$(cd merged && find data -mindepth 0 | LC_ALL=C sort | while read -r p; do
    t=$(stat -c %F "$p")
    case $t in
      "regular file"|"regular empty file") t=file ;;
      directory) t=dir ;;
      "symbolic link") t=symlink ;;
      fifo) t=fifo ;;
    esac
    line="/$p $t $(stat -c %a "$p" | awk '{printf "%04d", $1}') $(stat -c %u:%g "$p")"
    [[ $t == symlink ]] && line+=" $(readlink "$p")"
    [[ $t == file ]] && line+=" sha256:$(sha256sum < "$p" | cut -d' ' -f1)"
    echo "$line"
  done)
  umount merged
  expect_eq "$(cat "$IMG/layers/EXPECTED")" "$listing" "merged /data"
  # The whiteout of bin/vi is a 0:0 char device in the top layer.
  expect_eq "character special file 0:0" "$(stat -c '%F %t:%T' "$top/diff/bin/vi")" "whiteout"
}

test_mirror_first_then_upstream() {
  fresh_root
  start_front 5010 notfound
  cat > "$MYDOCKER_DAEMON_CONFIG" <<JSON
{"registry-mirrors": ["http://127.0.0.1:5010", "http://127.0.0.1:5000"]}
JSON
  expect_ok "$MYDOCKER" pull busybox
  expect_contains "$OUT" "Status: Downloaded newer image for busybox:latest"
  expect_eq "docker.io/library/busybox:latest" "$(tail -n 1 <<< "$OUT")" "last line"
  # Keys as dockerd writes them for docker.io, the mirror nowhere.
  expect_eq '["busybox:latest","busybox@'"$(manifest_digest busybox)"'"]' \
    "$(jq -c '.Repositories.busybox | keys' <<< "$(repos)")" "refs"
  expect_contains "$(cat "$MYDOCKER_ROOT"/image/overlay2/distribution/v2metadata-by-diffid/sha256/*)" \
    '"SourceRepository":"docker.io/library/busybox"'
  [[ $(front_stat 5010 request) -ge 1 ]] || _fail "the first mirror was not asked"
  rm "$MYDOCKER_DAEMON_CONFIG"
}

test_basic_auth_login_pull_logout() {
  fresh_root
  expect_exit 1 "$MYDOCKER" pull 127.0.0.1:5001/library/busybox
  expect_contains "$ERR" "authentication required"
  expect_eq 1 "$(wc -l <<< "$ERR")" "error lines"
  expect_exit 1 "$MYDOCKER" login -u "$REGISTRY_USER" --password-stdin 127.0.0.1:5001 <<< "wrong"
  expect_contains "$ERR" "login to 127.0.0.1:5001 failed"
  [[ ! -e $HOME/.docker/config.json ]] || expect_not_contains "$(cat "$HOME/.docker/config.json")" "127.0.0.1:5001"
  expect_ok "$MYDOCKER" login -u "$REGISTRY_USER" --password-stdin 127.0.0.1:5001 <<< "$REGISTRY_PASSWORD"
  expect_eq "Login Succeeded" "$OUT" stdout
  expect_eq 600 "$(stat -c %a "$HOME/.docker/config.json")" "config.json mode"
  expect_ok "$MYDOCKER" pull 127.0.0.1:5001/library/busybox
  expect_ok "$MYDOCKER" logout 127.0.0.1:5001
  expect_contains "$OUT" "Removing login credentials for 127.0.0.1:5001"
  expect_exit 1 "$MYDOCKER" pull 127.0.0.1:5001/library/busybox
}

test_bearer_token_flow() {
  fresh_root
  start_front 5011 bearer --user tok --password secret
  expect_exit 1 "$MYDOCKER" pull 127.0.0.1:5011/library/busybox
  expect_contains "$ERR" "unauthorized"
  echo secret | "$MYDOCKER" login -u tok --password-stdin 127.0.0.1:5011 > /dev/null
  local before
  before=$(front_stat 5011 token)
  expect_ok "$MYDOCKER" pull 127.0.0.1:5011/library/nginx
  # One token served the whole pull: manifest, config and three layers on
  # three threads.
  expect_eq 1 "$(( $(front_stat 5011 token) - before ))" "tokens for one pull"
}

test_bearer_token_is_renewed_when_it_expires() {
  fresh_root
  start_front 5019 bearer --token-seconds 1
  expect_ok "$MYDOCKER" pull 127.0.0.1:5019/library/busybox
  # Anonymous tokens; after expiry a later pull gets a new one.
  sleep 1.5
  local before
  before=$(front_stat 5019 token)
  expect_ok "$MYDOCKER" pull 127.0.0.1:5019/library/busybox
  [[ $(front_stat 5019 token) -gt $before ]] || _fail "no new token after expiry"
}

test_redirect_never_carries_credentials() {
  fresh_root
  start_front 5012 redirect
  expect_ok "$MYDOCKER" pull 127.0.0.1:5012/library/busybox
  [[ $(front_stat 5012 cdn) -ge 1 ]] || _fail "no blob came through the redirect"
  expect_eq 0 "$(front_stat 5012 cdn_saw_authorization)" "requests with credentials at the CDN"
}

test_corrupt_blob_is_refused_and_leaves_nothing() {
  fresh_root
  start_front 5013 corrupt
  expect_exit 1 "$MYDOCKER" pull 127.0.0.1:5013/library/busybox
  expect_contains "$ERR" "digest mismatch"
  expect_contains "$ERR" "127.0.0.1:5013/library/busybox:latest: layer sha256:"
  expect_eq 1 "$(wc -l <<< "$ERR")" "error lines"
  expect_eq 0 "$(layer_count)" layers
  expect_eq 0 "$(cache_dirs)" "overlay2 dirs"
  [[ ! -s $MYDOCKER_ROOT/image/overlay2/repositories.json ]] ||
    expect_eq '{"Repositories":{}}' "$(repos)" repositories
}

test_truncated_blob_is_refused() {
  fresh_root
  start_front 5014 truncate
  expect_exit 1 "$MYDOCKER" pull 127.0.0.1:5014/library/busybox
  expect_contains "$ERR" "truncated"
  expect_eq 0 "$(cache_dirs)" "overlay2 dirs"
}

test_server_errors_are_retried() {
  fresh_root
  start_front 5015 flaky
  expect_ok "$MYDOCKER" pull 127.0.0.1:5015/library/nginx
  [[ $(front_stat 5015 flaked) -ge 3 ]] || _fail "the front did not flake"
}

test_clear_errors_for_bad_input_and_bad_registries() {
  fresh_root
  expect_exit 1 "$MYDOCKER" pull Busybox
  expect_contains "$ERR" 'invalid reference format "Busybox": repository name must be lowercase'
  expect_exit 1 "$MYDOCKER" pull $REG/library/nosuchimage
  expect_contains "$ERR" "not found"
  expect_contains "$ERR" "$REG"
  expect_exit 1 "$MYDOCKER" pull 127.0.0.1:5999/library/busybox
  expect_contains "$ERR" "127.0.0.1:5999"
  start_front 5016 down
  expect_exit 1 "$MYDOCKER" pull 127.0.0.1:5016/library/busybox
  expect_contains "$ERR" "server error (HTTP 500)"
  expect_exit 125 "$MYDOCKER" pull
  expect_eq 0 "$(layer_count)" layers
}

test_killed_pull_leaves_no_image_and_next_pull_works() {
  fresh_root
  start_front 5017 stall
  "$MYDOCKER" pull 127.0.0.1:5017/library/nginx > pull.out 2>&1 &
  local pid=$! i
  for i in $(seq 100); do
    [[ $(front_stat 5017 stalled) -ge 1 ]] && break
    sleep 0.1
  done
  sleep 0.3
  kill -9 $pid
  wait $pid 2>/dev/null || true
  # Nothing half-made is visible.
  [[ ! -e $MYDOCKER_ROOT/image/overlay2/repositories.json ]] ||
    expect_not_contains "$(repos)" nginx
  expect_eq 0 "$(entries "$MYDOCKER_ROOT/image/overlay2/imagedb/content/sha256")" "images"
  # The next pull (same image, good registry) succeeds and clears the rest.
  expect_ok "$MYDOCKER" pull $REG/library/nginx
  expect_eq 3 "$(layer_count)" layers
  expect_eq 3 "$(cache_dirs)" "overlay2 dirs"
  expect_eq 0 "$(entries "$MYDOCKER_ROOT/$LAYERDB/tmp")" "layerdb/tmp"
}

test_stalled_registry_times_out() {
  fresh_root
  start_front 5018 stall
  local start=$SECONDS
  expect_exit 1 env MYDOCKER_REGISTRY_TIMEOUT=1 "$MYDOCKER" pull 127.0.0.1:5018/library/busybox
  expect_contains "$ERR" "layer sha256:"
  expect_contains "$ERR" "stalled: no data for 1 s"
  # Three tries of about a second each, not a hang.
  (( SECONDS - start < 10 )) || _fail "took $((SECONDS - start)) s"
  expect_eq 0 "$(cache_dirs)" "overlay2 dirs"
}

test_layer_caps_stop_a_bomb_cleanly() {
  fresh_root
  expect_exit 1 env MYDOCKER_LAYER_MAX_BYTES=1m "$MYDOCKER" pull $REG/library/nginx
  expect_contains "$ERR" "(max_bytes)"
  expect_exit 1 env MYDOCKER_LAYER_MAX_ENTRIES=10 "$MYDOCKER" pull $REG/library/busybox
  expect_contains "$ERR" "(max_entries)"
  expect_eq 0 "$(layer_count)" layers
  expect_eq 0 "$(cache_dirs)" "overlay2 dirs"
  expect_exit 125 env MYDOCKER_LAYER_MAX_BYTES=lots "$MYDOCKER" pull $REG/library/busybox
}

test_concurrent_pulls_of_one_image() {
  fresh_root
  local pids=() i
  for i in 1 2 3 4; do
    "$MYDOCKER" pull $REG/library/nginx > "out.$i" 2>&1 &
    pids+=($!)
  done
  for i in 0 1 2 3; do
    wait "${pids[$i]}" || _fail "pull $((i + 1)) failed: $(cat "out.$((i + 1))")"
  done
  expect_eq 3 "$(layer_count)" layers
  expect_eq 3 "$(cache_dirs)" "overlay2 dirs (each layer extracted once)"
}

run_suite
