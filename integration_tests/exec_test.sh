#!/usr/bin/env bash
# `mydocker exec` end to end, against what dockerd 20.10 does for `docker
# exec` (observed with Debian's docker.io 20.10.24): the process joins the
# container (namespaces, cgroup, capabilities, user), gets dockerd's
# environment, stdio (pipes, /dev/null without -i, a pty from the
# container's devpts with -t), exit statuses and error messages; -d; and the
# CVE-2019-5736 defence (the helper runs from a read-only mount and the
# binary is never written). Nothing of an exec may outlive it.
source "$(dirname "$0")/lib.sh"

FIXTURES=$HARNESS_DIR/fixtures
PTY=(python3 "$FIXTURES/pty_drive.py" --timeout 5)

make_base_root busybox

# --- Helpers ---------------------------------------------------------------

# Each test gets its own copy of the base root; a failed one removes the
# containers it left running (and their cgroups, which live on the host).
fresh_root() {
  export MYDOCKER_ROOT=$PWD/root
  cp -a "$BASE_ROOT" "$MYDOCKER_ROOT"
  trap _test_exit EXIT
}
_test_exit() {
  local rc=$? ids id d
  trap - ERR
  set +e
  if ((rc != 0)); then
    ids=$(ls "$MYDOCKER_ROOT/containers" 2> /dev/null)
    [[ -n $ids ]] && timeout -k 2 20 "$MYDOCKER" rm -f $ids > /dev/null 2>&1
    for id in $ids; do
      for d in $(cgroup_dirs "$id"); do rmdir "$d" 2> /dev/null; done
    done
  fi
  (exit "$rc")
  _on_test_exit
}

record() { echo "$MYDOCKER_ROOT/containers/$(cid "$1")/config.v2.json"; }
cid() {
  local f
  for f in "$MYDOCKER_ROOT"/containers/*/config.v2.json; do
    if [[ $(jq -r .Name "$f") == "/$1" ]]; then jq -r .ID "$f"; return 0; fi
  done
  return 1
}
init_pid() { jq -r .State.Pid "$(record "$1")"; }
# Processes of this namespace that run mydocker's nsenter-helper.
helpers() {
  local p out=""
  for p in /proc/[0-9]*; do
    [[ $(tr '\0' ' ' < "$p/cmdline" 2> /dev/null) == "mydocker nsenter-helper "* ]] &&
      out+="${p#/proc/} "
  done
  echo "${out% }"
}
expect_no_traces() {
  expect_eq "" "$(findmnt -rn -o TARGET | grep -F "$MYDOCKER_ROOT/" || true)" "mounts under the data root"
  expect_eq "" "$(cgroup_dirs "$1")" "cgroup dirs of ${1:0:12}"
  expect_eq "" "$(helpers)" "nsenter-helper processes"
}

# --- Tests -----------------------------------------------------------------

test_errors_as_docker_prints_them() {
  fresh_root
  expect_exit 1 md exec nosuch echo hi
  expect_eq "mydocker exec: No such container: nosuch" "$ERR"
  expect_ok md run -d --name box busybox sleep 30
  local id=$OUT
  # dockerd 20.10: 126 for any exec that cannot start, a missing command too.
  expect_exit 126 md exec box nosuchcmd
  expect_eq 'mydocker exec: exec: "nosuchcmd": executable file not found in $PATH' "$ERR"
  expect_exit 126 md exec box /etc/passwd
  expect_contains "$ERR" '"/etc/passwd": Permission denied'
  expect_exit 126 md exec -w /nowhere box pwd
  expect_contains "$ERR" '"/nowhere": No such file or directory'
  expect_exit 126 md exec -w rel box pwd
  expect_contains "$ERR" "not absolute"
  expect_exit 126 md exec -u nosuch box id
  expect_eq "mydocker exec: unable to find user nosuch: no matching entries in passwd file" "$ERR"
  expect_exit 1 md exec -d box nosuchcmd
  expect_exit 1 md exec -it box true < /dev/null
  expect_eq "mydocker exec: the input device is not a TTY" "$ERR"
  expect_ok md stop -t 1 box
  expect_exit 1 md exec box echo hi
  expect_eq "mydocker exec: Container $id is not running" "$ERR"
  expect_ok md rm box
  expect_no_traces "$id"
}

test_statuses_and_streams() {
  fresh_root
  expect_ok md run -d --name box busybox sleep 30
  local id=$OUT
  expect_ok md exec box sh -c 'echo out; echo err >&2'
  expect_eq out "$OUT" "stdout"
  expect_eq err "$ERR" "stderr"
  expect_exit 3 md exec box sh -c 'exit 3'
  expect_exit 137 md exec box sh -c 'kill -9 $$'
  # Without -i the process's stdin is /dev/null; with -i it is ours.
  expect_ok md exec box sh -c 'readlink /proc/self/fd/0; cat'  <<< "not for it"
  expect_eq /dev/null "$OUT" "stdin without -i"
  OUT=$(printf 'line1\nline2\n' | md exec -i box sh -c 'cat; echo end')
  expect_eq "line1
line2
end" "$OUT" "stdin with -i"
  # Only 0-2 reach it (3 is ls's own directory).
  expect_ok md exec box ls /proc/self/fd
  expect_eq "0 1 2 3" "$(tr '\n' ' ' <<< "$OUT" | sed 's/ $//')" "fds"
  # Output written just before it exits, a background child holding the
  # pipes notwithstanding, arrives; exec ends with the process.
  local start=$SECONDS
  expect_ok md exec box sh -c 'sleep 5 & seq 1 20000 | tail -n 1'
  expect_eq 20000 "$OUT" "the last line"
  ((SECONDS - start < 4)) || _fail "exec waited for the background child"
  expect_ok md rm -f box
  expect_no_traces "$id"
}

test_joins_the_container() {
  fresh_root
  expect_ok md run -d --name box --hostname hbox busybox sleep 30
  local id=$OUT pid ns
  pid=$(init_pid box)
  for ns in mnt pid net uts ipc cgroup; do
    expect_ok md exec box readlink "/proc/self/ns/$ns"
    expect_eq "$(readlink "/proc/$pid/ns/$ns")" "$OUT" "$ns namespace"
  done
  expect_ok md exec box hostname
  expect_eq hbox "$OUT"
  expect_ok md exec box cat /proc/self/cgroup
  expect_eq "$(cat "/proc/$pid/cgroup")" "$OUT" "cgroups"
  expect_contains "$OUT" "/mydocker/$id"
  # Docker's capabilities, or all of them with --privileged.
  expect_ok md exec box grep CapEff /proc/self/status
  expect_eq "CapEff:	00000000a80425fb" "$OUT"
  # (All that this host lets mydocker have: its bounding set.)
  expect_ok md exec --privileged box grep CapEff /proc/self/status
  expect_eq "CapEff:	$(awk '$1 == "CapBnd:" {print $2}' /proc/self/status)" "$OUT" "privileged"
  # Its pid namespace: the init is 1, the exec's parent is outside.
  expect_ok md exec box sh -c 'echo $PPID; cat /proc/1/comm'
  expect_eq "0
sleep" "$OUT"
  expect_ok md rm -f box
  expect_no_traces "$id"
}

test_environment_user_and_workdir_as_dockerd() {
  fresh_root
  expect_ok md run -d --name box --hostname hbox -e FOO=bar -e HOME=/custom busybox sleep 30
  local id=$OUT
  expect_ok md exec box env
  expect_eq "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
HOSTNAME=hbox
FOO=bar
HOME=/custom" "$OUT" "dockerd's exec environment"
  printf 'FROMFILE=1\n# comment\nFOO=file\n' > env.list
  OUT=$(unset NOTSET; md exec --env-file env.list -e FOO=1 -e NOTSET -e PATH=/usr/bin:/bin box env)
  expect_eq "PATH=/usr/bin:/bin
HOSTNAME=hbox
FOO=1
HOME=/custom
FROMFILE=1" "$OUT" "-e and --env-file"
  expect_ok md exec -u 1234:5678 box sh -c 'id; echo $HOME'
  expect_eq "uid=1234 gid=5678 groups=5678
/custom" "$OUT"
  expect_ok md exec -w /tmp box pwd
  expect_eq /tmp "$OUT"

  # The container's own user and working directory, and HOME from its
  # passwd when the environment has none.
  expect_ok md run -d --name app -w /tmp -u 1000:1000 busybox sleep 30
  local app=$OUT
  expect_ok md exec app sh -c 'id; pwd; echo $HOME'
  expect_eq "uid=1000(app) gid=1000(app) groups=1000(app)
/tmp
/home/app" "$OUT"
  expect_ok md exec -u root app sh -c 'id -u; echo $HOME'
  expect_eq "0
/root" "$OUT"
  expect_ok md rm -f box app
  expect_no_traces "$id"
  expect_no_traces "$app"
}

test_tty() {
  fresh_root
  expect_ok md run -d --name box busybox sleep 30
  local id=$OUT
  expect_exit 4 "${PTY[@]}" --size 30x100 'expect=# ' raw \
    'send=tty; echo $TERM; stty size\n' 'expect=/dev/pts/0\r\nxterm\r\n30 100\r\n' \
    'resize=40x120' 'send=stty size\n' 'expect=40 120\r\n' 'send=exit 4\n' \
    -- "$MYDOCKER" exec -it box sh
  expect_eq "termios: restored" "$OUT" "the user's terminal after exec -it"
  # -t alone: a terminal for the process, nothing from ours.
  expect_ok "${PTY[@]}" 'expect=tty=/dev/pts/0' -- "$MYDOCKER" exec -t box sh -c 'echo tty=$(tty)'
  expect_ok md rm -f box
  expect_no_traces "$id"
}

test_detach() {
  fresh_root
  expect_ok md run -d --name box busybox sleep 30
  local id=$OUT start=${EPOCHREALTIME/./}
  expect_ok md exec -d box sh -c 'sleep 1; echo done > /tmp/marker'
  expect_eq "" "$OUT" "exec -d prints nothing"
  # Microseconds ($SECONDS ticks whole seconds: a flaky yardstick here).
  (( ${EPOCHREALTIME/./} - start < 900000 )) || _fail "exec -d waited"
  wait_until 5 md exec box test -f /tmp/marker
  expect_ok md exec box cat /tmp/marker
  expect_eq done "$OUT"
  # The helper that reaped it is gone too.
  wait_until 5 test -z "$(helpers)"
  expect_ok md rm -f box
  expect_no_traces "$id"
}

# CVE-2019-5736: a container process that keeps trying to open the exe of
# every process that is not the container's own binary for writing, while
# exec enters 20 times. With CAP_SYS_PTRACE it can see the helper's binary;
# the binary must stay as it was.
test_the_container_cannot_write_mydocker() {
  fresh_root
  local before
  before=$(sha256sum < "$MYDOCKER")
  expect_ok md run -d --name box --cap-add SYS_PTRACE busybox sh -c '
    while :; do
      for p in /proc/[0-9]*; do
        t=$(readlink "$p/exe" 2>/dev/null) || continue
        [ "$t" = /bin/busybox ] && continue
        echo "saw $t" >> /tmp/seen
        if (exec 3>>"$p/exe") 2>/dev/null; then echo "wrote $p $t" >> /tmp/wrote; fi
      done
    done'
  local id=$OUT i
  for ((i = 0; i < 20; i++)); do
    expect_ok md exec box true
  done
  expect_exit 1 md exec box cat /tmp/wrote
  expect_eq "$before" "$(sha256sum < "$MYDOCKER")" "the mydocker binary"
  expect_ok md rm -f box
  expect_no_traces "$id"
}

run_suite
