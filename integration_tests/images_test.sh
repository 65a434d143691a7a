#!/usr/bin/env bash
# images, tag, inspect, rmi on a store filled by pull.
source "$(dirname "$0")/lib.sh"

start_test_registries
REG=127.0.0.1:5000
BB=$REG/library/busybox
NGINX=$REG/library/nginx

fresh_store() {
  export MYDOCKER_ROOT=$PWD/root
  "$MYDOCKER" pull -q $BB > /dev/null
  "$MYDOCKER" pull -q $NGINX > /dev/null
}
id_of() {
  local m
  m=$(jq -r '.manifests[0].digest' "$IMAGES/$1/index.json")
  jq -r .config.digest "$IMAGES/$1/blobs/sha256/${m#sha256:}"
}
short() { local id; id=$(id_of "$1"); echo "${id:7:12}"; }

test_images_table_like_docker() {
  fresh_store
  expect_ok "$MYDOCKER" images
  local header rows
  header=$(head -n 1 <<< "$OUT")
  expect_eq "$(printf "%-33s%-10s%-15s%-14s%s" REPOSITORY TAG "IMAGE ID" CREATED SIZE)" "$header" header
  expect_contains "$OUT" "$BB   latest    $(short busybox)   3 years ago   1.99MB"
  expect_contains "$OUT" "$NGINX     latest    $(short nginx)   3 years ago"
  rows=$(tail -n +2 <<< "$OUT" | wc -l)
  expect_eq 2 "$rows" rows
}

test_images_quiet_filter_digests_json() {
  fresh_store
  expect_ok "$MYDOCKER" images -q
  expect_eq "$(printf '%s\n' "$(short busybox)" "$(short nginx)" | sort)" "$(sort <<< "$OUT")" "-q"
  expect_ok "$MYDOCKER" images $BB
  expect_eq 2 "$(wc -l <<< "$OUT")" "filtered lines"
  expect_ok "$MYDOCKER" images --digests $NGINX
  expect_contains "$OUT" "DIGEST"
  expect_contains "$OUT" "$(jq -r '.manifests[0].digest' "$IMAGES/nginx/index.json")"
  expect_ok "$MYDOCKER" images --format json $BB
  expect_eq latest "$(jq -r .Tag <<< "$OUT")" "json Tag"
  # As docker's --format '{{json .}}': Go's escaping, 4 digits of VirtualSize.
  expect_contains "$OUT" '"Digest":"\u003cnone\u003e"'
  expect_contains "$OUT" '"VirtualSize":"1.986MB"'
  expect_eq "$(short busybox)" "$(jq -r .ID <<< "$OUT")" "json ID"
  expect_ok "$MYDOCKER" images --no-trunc -q $BB
  expect_eq "$(id_of busybox)" "$OUT" "--no-trunc"
  # Go templates, as docker's --format: a line per image, or a table.
  expect_ok "$MYDOCKER" images --format '{{.Repository}}:{{.Tag}} {{.ID}}' $BB
  expect_eq "$BB:latest $(short busybox)" "$OUT" "template"
  expect_ok "$MYDOCKER" images --format 'table {{.Repository}}\t{{.ID}}' $BB
  expect_eq "$(printf '%-*s%s\n' $((${#BB} + 3)) REPOSITORY 'IMAGE ID' \
                 $((${#BB} + 3)) "$BB" "$(short busybox)")" "$OUT" "table template"
  expect_exit 125 "$MYDOCKER" images --format '{{.Repository'
  expect_contains "$ERR" "--format: template: unclosed action"
}

test_tag_and_inspect() {
  fresh_store
  expect_ok "$MYDOCKER" tag $BB mybox:v1
  expect_eq "" "$OUT" "tag output"
  expect_ok "$MYDOCKER" images mybox
  expect_contains "$OUT" "mybox        v1        $(short busybox)"
  [[ -f $MYDOCKER_ROOT/image/overlay2/imagedb/metadata/sha256/$(id_of busybox | cut -c8-)/lastUpdated ]] ||
    _fail "tag did not write lastUpdated"
  expect_ok "$MYDOCKER" inspect mybox:v1
  expect_eq "$(id_of busybox)" "$(jq -r '.[0].Id' <<< "$OUT")" Id
  expect_eq "[\"$BB:latest\",\"mybox:v1\"]" "$(jq -c '.[0].RepoTags | sort' <<< "$OUT")" RepoTags
  expect_eq "$(jq -c .rootfs.diff_ids "$IMAGES/busybox/blobs/sha256/$(id_of busybox | cut -c8-)")" \
    "$(jq -c '.[0].RootFS.Layers' <<< "$OUT")" "RootFS.Layers"
  expect_eq '["sh"]' "$(jq -c '.[0].Config.Cmd' <<< "$OUT")" "Config.Cmd"
  expect_eq overlay2 "$(jq -r '.[0].GraphDriver.Name' <<< "$OUT")" GraphDriver
  expect_contains "$OUT" '        "Id": "sha256:'  # Docker's 4-space indent.
  expect_exit 1 "$MYDOCKER" inspect mybox:v1 nosuch
  expect_eq 1 "$(jq length <<< "$OUT")" "found ones still printed"
  # As `docker inspect`: without --type it looks for a container too.
  expect_contains "$ERR" "No such object: nosuch"
  expect_exit 1 "$MYDOCKER" inspect --type image mybox:v1 nosuch
  expect_contains "$ERR" "No such image: nosuch:latest"
  expect_exit 1 "$MYDOCKER" tag $BB "mybox@sha256:$(printf 'a%.0s' {1..64})"
  expect_exit 1 "$MYDOCKER" tag nosuch mybox:v2
  expect_contains "$ERR" "No such image"
}

test_rmi_untags_then_deletes_and_frees_layers() {
  fresh_store
  "$MYDOCKER" tag $BB mybox:v1
  expect_ok "$MYDOCKER" rmi mybox:v1
  expect_eq "Untagged: mybox:v1" "$OUT" "untag only"
  local layers_before
  layers_before=$(ls "$MYDOCKER_ROOT/image/overlay2/layerdb/sha256" | wc -l)
  expect_ok "$MYDOCKER" rmi $BB
  expect_contains "$OUT" "Untagged: $BB:latest"
  expect_contains "$OUT" "Untagged: $BB@sha256:"
  expect_contains "$OUT" "Deleted: $(id_of busybox)"
  expect_eq $((layers_before - 1)) "$(ls "$MYDOCKER_ROOT/image/overlay2/layerdb/sha256" | wc -l)" "layers left"
  # nginx is untouched and its layers all there.
  expect_ok "$MYDOCKER" images -q
  expect_eq "$(short nginx)" "$OUT" "images left"
  expect_eq 3 "$(ls "$MYDOCKER_ROOT/overlay2" | grep -vxc l)" "overlay2 dirs left"
  expect_exit 1 "$MYDOCKER" rmi $BB
  expect_contains "$ERR" "No such image"
}

test_rmi_by_id_with_two_repositories_needs_force() {
  fresh_store
  "$MYDOCKER" tag $BB other/box:1
  expect_exit 1 "$MYDOCKER" rmi "$(short busybox)"
  expect_contains "$ERR" "must be forced"
  expect_contains "$ERR" "referenced in multiple repositories"
  expect_ok "$MYDOCKER" rmi -f "$(short busybox)"
  expect_contains "$OUT" "Deleted: $(id_of busybox)"
  expect_ok "$MYDOCKER" images other/box
  expect_eq 1 "$(wc -l <<< "$OUT")" "only the header"
}

test_pull_after_rmi_downloads_again() {
  fresh_store
  "$MYDOCKER" rmi $NGINX > /dev/null
  expect_ok "$MYDOCKER" pull $NGINX
  expect_contains "$OUT" "Downloaded newer image"
  expect_not_contains "$OUT" "Already exists"
}

run_suite
