#!/usr/bin/env bash
# The multi-call binary as a user meets it (dispatch, links, --install,
# help, exit codes), and the registry fixtures every later suite pulls from.
source "$(dirname "$0")/lib.sh"

start_test_registries

test_no_arguments_prints_help() {
  expect_ok "$MYDOCKER"
  expect_contains "$OUT" "Usage:  mydocker"
  expect_contains "$OUT" "Applets:"
  expect_contains "$OUT" "--install [-s] DIR"
}

test_version_flag() {
  expect_ok "$MYDOCKER" --version
  expect_contains "$OUT" "mydocker version "
}

test_list_is_sorted_and_has_the_applets() {
  expect_ok "$MYDOCKER" --list
  expect_eq "$(sort <<< "$OUT")" "$OUT" "--list order"
  expect_contains "$OUT" "version"
  expect_contains "$OUT" "help"
  # Every listed applet answers --help.
  local a
  for a in $OUT; do
    expect_ok "$MYDOCKER" "$a" --help
    expect_contains "$OUT" "Usage:  mydocker $a"
  done
}

test_unknown_applet_exits_127_with_one_line() {
  expect_exit 127 "$MYDOCKER" frobnicate --now
  expect_eq "" "$OUT" stdout
  expect_contains "$ERR" "unknown applet 'frobnicate'"
  expect_eq 1 "$(wc -l <<< "$ERR")" "stderr lines"
}

test_unknown_flag_exits_125() {
  expect_exit 125 "$MYDOCKER" version --bogus
  expect_contains "$ERR" "unknown flag: --bogus"
  expect_exit 125 "$MYDOCKER" --bogus
  expect_contains "$ERR" "unknown flag: --bogus"
  expect_exit 125 "$MYDOCKER" version extra-argument
  expect_contains "$ERR" "accepts no arguments"
}

test_applet_help_two_ways() {
  expect_ok "$MYDOCKER" version --help
  local direct=$OUT
  expect_contains "$direct" "Usage:  mydocker version"
  expect_contains "$direct" "--format"
  expect_ok "$MYDOCKER" help version
  expect_eq "$direct" "$OUT" "'help version' vs 'version --help'"
  expect_exit 127 "$MYDOCKER" help frobnicate
  expect_contains "$ERR" "unknown applet 'frobnicate'"
}

test_dispatch_on_link_name() {
  ln -s "$MYDOCKER" version
  expect_ok ./version
  expect_contains "$OUT" "mydocker version"
  cp "$MYDOCKER" ./mydocker  # Hard links need the same filesystem.
  ln ./mydocker help
  expect_ok ./help
  expect_contains "$OUT" "Applets:"
  # A link named after no applet behaves as `mydocker` itself.
  ln -s "$MYDOCKER" md
  expect_ok ./md version
  expect_contains "$OUT" "mydocker version"
}

test_install_symlinks_every_applet() {
  mkdir bin
  expect_ok "$MYDOCKER" --install -s bin
  local a n=0
  for a in $("$MYDOCKER" --list); do
    [[ -L bin/$a ]] || _fail "bin/$a is not a symlink"
    expect_eq "$MYDOCKER" "$(readlink -f "bin/$a")" "bin/$a target"
    n=$((n + 1))
  done
  expect_eq "$n" "$(ls bin | wc -l)" "links in bin"
  # The names now work as commands.
  expect_ok env PATH="$PWD/bin:$PATH" version
  expect_contains "$OUT" "mydocker version"
  # Installing again is harmless.
  expect_ok "$MYDOCKER" --install -s bin
}

test_install_hardlinks_by_default() {
  mkdir bin
  cp "$MYDOCKER" ./mydocker  # Hard links need the same filesystem.
  expect_ok ./mydocker --install bin
  expect_eq "$(stat -c %i ./mydocker)" "$(stat -c %i bin/version)" inode
  [[ ! -L bin/version ]] || _fail "bin/version is a symlink"
  expect_ok bin/version
  expect_contains "$OUT" "mydocker version"
  # Across filesystems a hard link cannot be made: a clear error, no guess.
  mkdir bin2
  expect_exit 1 "$MYDOCKER" --install bin2
  expect_contains "$ERR" "use --install -s"
}

test_install_never_replaces_other_files() {
  mkdir bin
  echo "not ours" > bin/help
  expect_ok "$MYDOCKER" --install -s bin
  expect_eq "not ours" "$(cat bin/help)" "bin/help"
  expect_contains "$ERR" "bin/help exists and is not mydocker"
  [[ -L bin/version ]] || _fail "bin/version was not installed"
}

test_install_bad_directory() {
  expect_exit 1 "$MYDOCKER" --install -s ./missing
  expect_contains "$ERR" "missing"
  expect_exit 125 "$MYDOCKER" --install
  expect_contains "$ERR" "usage: mydocker --install [-s] DIR"
}

test_global_root_before_after_and_from_env() {
  expect_ok "$MYDOCKER" --root /srv/a version --format json
  expect_eq /srv/a "$(jq -r .DataRoot <<< "$OUT")" "root before the applet"
  expect_ok "$MYDOCKER" version --root=/srv/b --format json
  expect_eq /srv/b "$(jq -r .DataRoot <<< "$OUT")" "root after the applet"
  expect_ok env MYDOCKER_ROOT=/srv/c "$MYDOCKER" version --format json
  expect_eq /srv/c "$(jq -r .DataRoot <<< "$OUT")" "root from MYDOCKER_ROOT"
  expect_ok env MYDOCKER_ROOT=/srv/c "$MYDOCKER" --root rel/ version -f json
  expect_eq "$PWD/rel" "$(jq -r .DataRoot <<< "$OUT")" "flag beats env"
  expect_ok env -u MYDOCKER_ROOT "$MYDOCKER" version --format json
  expect_eq /var/lib/mydocker "$(jq -r .DataRoot <<< "$OUT")" "default root"
}

test_log_level_is_validated() {
  expect_ok "$MYDOCKER" --log-level debug version
  expect_ok "$MYDOCKER" version -D
  expect_exit 125 "$MYDOCKER" version --log-level loud
  expect_contains "$ERR" 'invalid log level "loud"'
  expect_exit 125 "$MYDOCKER" --root
  expect_contains "$ERR" "flag needs an argument: --root"
}

# --- The registry fixtures ---

test_registry_lists_the_test_images() {
  local catalog
  catalog=$(curl -sf http://127.0.0.1:5000/v2/_catalog)
  expect_eq "library/busybox library/busybox-zstd library/layers library/multiarch library/nginx" \
    "$(jq -r '.repositories | join(" ")' <<< "$catalog")" catalog
}

test_registry_manifests_match_the_layouts() {
  local name want got accept
  accept="application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json"
  for name in "${TEST_IMAGES[@]}"; do
    want=$(jq -r '.manifests[0].digest' "$IMAGES/$name/index.json")
    got=$(curl -sfI -H "Accept: $accept" \
      "http://127.0.0.1:5000/v2/library/$name/manifests/latest" |
      tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" {print $2}')
    expect_eq "$want" "$got" "$name manifest digest"
    # ... and the manifest is served by digest too.
    curl -sf -o /dev/null -H "Accept: $accept" \
      "http://127.0.0.1:5000/v2/library/$name/manifests/$want" ||
      _fail "$name: manifest $want not served by digest"
  done
  # The multi-platform image is an index with both platforms.
  expect_eq "amd64 arm64" "$(curl -sf -H "Accept: $accept" \
    http://127.0.0.1:5000/v2/library/multiarch/manifests/latest |
    jq -r '[.manifests[].platform.architecture] | sort | join(" ")')" platforms
}

test_auth_registry_demands_credentials() {
  local code header
  code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5001/v2/)
  expect_eq 401 "$code" "status without credentials"
  header=$(curl -sI http://127.0.0.1:5001/v2/ | tr -d '\r' |
    awk -F': ' 'tolower($1) == "www-authenticate" {print $2}')
  expect_contains "$header" 'Basic realm="mydocker-test"'
  code=$(curl -s -o /dev/null -w '%{http_code}' -u "$REGISTRY_USER:wrong" \
    http://127.0.0.1:5001/v2/)
  expect_eq 401 "$code" "status with a wrong password"
  expect_eq "library/busybox" "$(curl -sf -u "$REGISTRY_USER:$REGISTRY_PASSWORD" \
    http://127.0.0.1:5001/v2/_catalog | jq -r '.repositories | join(" ")')" catalog
}

test_suite_cannot_reach_the_outside() {
  # Only loopback exists in the suite's network namespace.
  expect_eq "lo" "$(ip -o link show | awk -F': ' '{print $2}')" links
  expect_eq "" "$(ip route show)" "routes"
  expect_eq "" "$(ip -6 route show | grep -v '^::1 ')" "IPv6 routes"
}

run_suite
