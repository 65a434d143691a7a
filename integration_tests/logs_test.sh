#!/usr/bin/env bash
# logs: what `run` wrote to a container's json-file log, printed as
# `docker logs` prints it; -f on a running container.
source "$(dirname "$0")/lib.sh"

start_test_registries
BB=127.0.0.1:5000/library/busybox

# Each test has a data root of its own, with busybox in it.
fresh_store() {
  export MYDOCKER_ROOT=$PWD/root
  "$MYDOCKER" pull -q $BB > /dev/null
}

# A container that printed on both streams, a partial line completed later,
# a tab and a \r\n, and no final newline; it has exited.
logger() {
  fresh_store
  "$MYDOCKER" run --name logger $BB sh -c \
    'echo out1; echo err1 >&2; printf nonl; sleep 1; echo " continued"; printf "a\tb\r\n"; printf tail-without-newline' \
    > run.out 2> run.err
}
log_path() { "$MYDOCKER" inspect "$1" | jq -r '.[0].LogPath'; }
# The time of entry N (1-based) of a container's log file.
entry_time() { sed -n "$2p" "$(log_path "$1")" | jq -r .time; }

test_logs_prints_what_the_container_printed() {
  logger
  expect_ok "$MYDOCKER" logs logger
  expect_eq "$(cat run.out)" "$OUT" stdout
  expect_eq "err1" "$ERR" stderr
  # Byte for byte, the partial last line and the \r included.
  "$MYDOCKER" logs logger > logs.out 2> logs.err
  cmp run.out logs.out
  cmp run.err logs.err
  # By id prefix too.
  local id
  id=$("$MYDOCKER" inspect logger | jq -r '.[0].Id')
  "$MYDOCKER" logs "${id:0:5}" > prefix.out 2> /dev/null
  cmp run.out prefix.out
}

test_logs_timestamps_tail_details() {
  logger
  expect_ok "$MYDOCKER" logs -t logger
  local first
  first=$(head -n 1 <<< "$OUT")
  [[ $first =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z\ out1$ ]] ||
    _fail "-t line: $first"
  expect_contains "$ERR" "Z err1"
  expect_ok "$MYDOCKER" logs --tail 2 logger
  expect_eq "$(printf 'a\tb\r\ntail-without-newline')" "$OUT" "--tail 2"
  expect_eq "" "$ERR" "--tail 2 stderr"
  expect_ok "$MYDOCKER" logs -n 0 logger
  expect_eq "" "$OUT$ERR" "-n 0"
  expect_ok "$MYDOCKER" logs --tail all logger
  expect_eq "$(cat run.out)" "$OUT" "--tail all"
  # No attrs: dockerd still puts the (empty) details and a space first.
  expect_ok "$MYDOCKER" logs --details --tail 1 logger
  expect_eq " tail-without-newline" "$OUT" "--details"
  printf '%s\n' '{"log":"tagged\n","stream":"stdout","attrs":{"tag":"web 1"},"time":"2030-01-01T00:00:00Z"}' \
    >> "$(log_path logger)"
  expect_ok "$MYDOCKER" logs --details -t --tail 1 logger
  expect_eq "2030-01-01T00:00:00.000000000Z tag=web+1 tagged" "$OUT" "--details with attrs"
}

test_logs_since_and_until() {
  logger
  local t2
  t2=$(entry_time logger 2)  # err1
  expect_ok "$MYDOCKER" logs --since "$t2" logger
  expect_eq "$(printf 'nonl continued\na\tb\r\ntail-without-newline')" "$OUT" "--since entry 2"
  expect_eq "err1" "$ERR" "--since entry 2, stderr"
  expect_ok "$MYDOCKER" logs --until "$t2" logger
  expect_eq "out1" "$OUT" "--until entry 2"
  expect_eq "err1" "$ERR" "--until entry 2, stderr"
  expect_ok "$MYDOCKER" logs --since 1h --until -1h logger
  expect_eq "$(cat run.out)" "$OUT" "relative"
  expect_ok "$MYDOCKER" logs --until 1h logger
  expect_eq "" "$OUT$ERR" "until an hour ago"
  expect_ok "$MYDOCKER" logs --since "$(($(date +%s) + 3600)).5" logger
  expect_eq "" "$OUT$ERR" "since a Unix time to come"
  expect_exit 1 "$MYDOCKER" logs --since yesterday logger
  expect_eq 'mydocker logs: invalid value for "since": failed to parse value as time or duration: "yesterday"' "$ERR"
  expect_exit 1 "$MYDOCKER" logs --until 2020-13-01 logger
  expect_contains "$ERR" 'invalid value for "until": parsing time "2020-13-01"'
}

test_logs_follow_streams_until_the_container_exits() {
  fresh_store
  "$MYDOCKER" run -d --name slow $BB sh -c \
    'echo start; sleep 2; echo middle >&2; sleep 2; printf "end"' > /dev/null
  local started=$SECONDS
  timeout 30 "$MYDOCKER" logs -f slow > f.out 2> f.err &
  local pid=$!
  # Printed while the container still runs, not at its end.
  for _ in $(seq 100); do
    [[ $(cat f.out) == start ]] && break
    sleep 0.05
  done
  expect_eq start "$(cat f.out)" "first line while running"
  expect_eq true "$("$MYDOCKER" inspect slow | jq -r '.[0].State.Running')" running
  wait "$pid" || _fail "logs -f exited $?"
  expect_eq "$(printf 'start\nend')" "$(cat f.out)" "stdout"
  expect_eq "middle" "$(cat f.err)" "stderr"
  (( SECONDS - started < 15 )) || _fail "logs -f took $((SECONDS - started)) s"
  # -f of a stopped container prints what there is and returns.
  expect_ok timeout 10 "$MYDOCKER" logs -f --tail 1 slow
  expect_eq end "$OUT" "-f of a stopped container"
}

test_logs_follow_with_tail_zero_shows_only_new_lines() {
  fresh_store
  "$MYDOCKER" run -d --name ticker $BB sh -c \
    'echo old; sleep 2; echo new' > /dev/null
  sleep 1
  expect_ok timeout 30 "$MYDOCKER" logs -f --tail 0 ticker
  expect_eq new "$OUT" "--tail 0 -f"
}

test_logs_tty_container_is_all_stdout() {
  fresh_store
  "$MYDOCKER" run -d -t --name tty $BB sh -c 'echo hi; echo err >&2' > /dev/null
  expect_ok timeout 30 "$MYDOCKER" logs -f tty
  expect_eq "$(printf 'hi\r\nerr\r')" "$OUT" "stdout"
  expect_eq "" "$ERR" "stderr"
}

test_logs_skips_a_damaged_line() {
  logger
  local log
  log=$(log_path logger)
  printf '%s' '{"log":"cut short' >> "$log"  # A writer that died mid-line ...
  printf '%s\n' '{"log":"after\n","stream":"stdout","time":"2030-01-01T00:00:00Z"}' >> "$log"
  printf '%s\n' '{"log":"later\n","stream":"stderr","time":"2030-01-01T00:00:01Z"}' >> "$log"
  expect_ok "$MYDOCKER" logs --tail 3 logger
  # ... and the entry that followed on its line is lost with it.
  expect_eq "tail-without-newline" "$OUT" stdout
  expect_contains "$ERR" "later"
  expect_contains "$ERR" "skipped 1 damaged lines"
}

test_logs_errors() {
  fresh_store
  expect_exit 1 "$MYDOCKER" logs nosuch
  expect_eq "mydocker logs: No such container: nosuch" "$ERR"
  expect_exit 125 "$MYDOCKER" logs
  expect_exit 125 "$MYDOCKER" logs a b
  expect_exit 125 "$MYDOCKER" logs --bogus a
  logger
  local id dir
  id=$("$MYDOCKER" inspect logger | jq -r '.[0].Id')
  dir=$MYDOCKER_ROOT/containers/$id
  # As dockerd stores --log-driver none.
  jq -c '.LogConfig.Type = "none"' "$dir/hostconfig.json" > h.json
  cp h.json "$dir/hostconfig.json"
  expect_exit 1 "$MYDOCKER" logs logger
  expect_eq "mydocker logs: configured logging driver does not support reading" "$ERR"
  jq -c '.LogConfig.Type = "json-file" ' "$dir/hostconfig.json" > h.json
  cp h.json "$dir/hostconfig.json"
  jq -c '.State.Dead = true' "$dir/config.v2.json" > c.json
  cp c.json "$dir/config.v2.json"
  expect_exit 1 "$MYDOCKER" logs logger
  expect_eq "mydocker logs: can not get logs from container which is dead or marked for removal" "$ERR"
}

run_suite
