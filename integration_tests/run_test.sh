#!/usr/bin/env bash
# Containers end to end, as a user sees them: run in both syntaxes, -it on a
# real pty, create/start/stop/kill/wait/ps/rm/logs/exec, exit statuses, what
# the process finds inside (capabilities, masked paths, fds, devices, limits)
# and that nothing of a container (mount, cgroup, process) outlives it.
#
# busybox and nginx are pulled once from the loopback registry into a base
# data root and tagged as Docker Hub names them; every test works in its own
# copy of that root, so `ps -a` lists only its containers and any mount under
# its root is its own.
source "$(dirname "$0")/lib.sh"

FIXTURES=$HARNESS_DIR/fixtures
make_base_root busybox nginx

# --- Helpers ---------------------------------------------------------------

fresh_root() {
  export MYDOCKER_ROOT=$PWD/root
  cp -a "$BASE_ROOT" "$MYDOCKER_ROOT"
  trap _test_exit EXIT
}

# A failed test may stop half-way with containers running: remove them and
# their cgroups (which live on the host, beyond the suite's namespaces), so
# its failure does not spill into the leftover check or the host; then the
# harness's own end-of-test handler. A passing test cleans up after itself
# (and the leftover check holds it to that).
_test_exit() {
  local rc=$? ids id
  trap - ERR
  set +e
  if ((rc != 0)); then
    ids=$(ls "$MYDOCKER_ROOT/containers" 2> /dev/null)
    [[ -n $ids ]] && timeout -k 2 20 "$MYDOCKER" rm -f $ids > /dev/null 2>&1
    for id in $ids; do remove_cgroups "$id"; done
  fi
  (exit "$rc")
  _on_test_exit
}

# remove_cgroups ID: removes what is left of container ID's cgroups.
remove_cgroups() {
  local d
  for d in $(cgroup_dirs "$1"); do rmdir "$d" 2> /dev/null; done
}

# config_of NAME|ID: the container's config.v2.json.
config_of() {
  local f
  for f in "$MYDOCKER_ROOT"/containers/*/config.v2.json; do
    [[ -f $f ]] || continue
    if [[ $(jq -r .Name "$f") == "/$1" || $(jq -r .ID "$f") == "$1"* ]]; then
      echo "$f"
      return 0
    fi
  done
  echo "no container record for $1" >&2
  return 1
}
cid() { local f; f=$(config_of "$1") && jq -r .ID "$f"; }
# state NAME FIELD: State.FIELD from the record (Pid, ExitCode, OOMKilled...).
state() { local f; f=$(config_of "$1") && jq -r ".State.$2" "$f"; }
running() { [[ $(state "$1" Running 2> /dev/null) == true ]]; }
monitor_pid() { jq -r .MonitorPid "$MYDOCKER_ROOT/mydocker/containers/$(cid "$1")/state.json"; }

# ps_row NAME: the container's line of `ps -a`.
ps_row() { md ps -a | awk -v n="$1" '$NF == n'; }

# The spare layers kept for the next containers (rw_layer.h).
spares() { find "$MYDOCKER_ROOT/mydocker/spares" -mindepth 2 -maxdepth 2 2> /dev/null | wc -l; }

# What a container can leave behind: mounts under the data root, its cgroup
# in any hierarchy, processes in that cgroup.
root_mounts() { findmnt -rn -o TARGET | grep -F "$MYDOCKER_ROOT/" || true; }
procs_of() {
  local p out=""
  for p in /proc/[0-9]*; do
    grep -qs "/mydocker/$1\$" "$p/cgroup" && out+="${p#/proc/} "
  done
  echo "${out% }"
}
# expect_no_traces ID: container ID left no mount, cgroup or process.
expect_no_traces() {
  expect_eq "" "$(root_mounts)" "mounts under the data root"
  expect_eq "" "$(cgroup_dirs "$1")" "cgroup dirs of ${1:0:12}"
  expect_eq "" "$(procs_of "$1")" "processes of ${1:0:12}"
}

# The bit of signal N in a /proc/<pid>/status mask (SigIgn, SigCgt).
sig_bit_set() { # PID FIELD SIGNAL
  local mask
  mask=$(awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2> /dev/null) || return 1
  [[ -n $mask ]] && (((16#$mask >> ($3 - 1)) & 1))
}

# Zombie children of PID.
zombies_of() {
  local p n=0 pid comm st ppid rest
  for p in /proc/[0-9]*; do
    read -r pid comm st ppid rest < "$p/stat" 2> /dev/null || continue
    [[ $ppid == "$1" && $st == Z ]] && n=$((n + 1))
  done
  echo "$n"
}

now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

# cap_field NAME: a Cap* line's value from $OUT (grep Cap /proc/self/status).
cap_field() { awk -v f="$1:" '$1 == f {print $2}' <<< "$OUT"; }

# The --help of an applet that has landed, or a failure saying it has not.
expect_applet() {
  local help
  help=$("$MYDOCKER" "$1" --help 2>&1 || true)
  [[ $help == *Usage:* ]] || _fail "mydocker $1 is not implemented yet: $help"
}

PTY=(python3 "$FIXTURES/pty_drive.py" --timeout 5)

# --- run: output, exit statuses, cleanup ------------------------------------

test_run_rm_prints_and_leaves_nothing() {
  fresh_root
  expect_ok md run --rm busybox echo hi
  expect_eq hi "$OUT" stdout
  expect_eq "" "$ERR" stderr
  # The same with the id written out, and the process showing its cgroup,
  # so the checks below look where the container really was.
  expect_ok md run --rm --cidfile "$PWD/cid" busybox sh -c 'echo hi; cat /proc/self/cgroup'
  local id
  id=$(cat cid)
  [[ $id =~ ^[0-9a-f]{64}$ ]] || _fail "cidfile: '$id'"
  expect_eq hi "$(head -n 1 <<< "$OUT")" stdout
  expect_contains "$OUT" "/mydocker/$id" "the container's /proc/self/cgroup"
  expect_ok md ps -a -q
  expect_eq "" "$OUT" "ps -a -q"
  [[ ! -e $MYDOCKER_ROOT/containers/$id ]] || _fail "the record of $id is still there"
  expect_no_traces "$id"
  # Its files go a moment after run returns (the monitor deletes them after
  # answering): the layers, the trashed directory, the layer record.
  local layers
  layers=$(ls "$MYDOCKER_ROOT/image/overlay2/layerdb/sha256" | wc -l)
  wait_until 5 eval '[[ -z $(ls -A "$MYDOCKER_ROOT/mydocker/trash") ]]'
  # What stays: the image's layers, and the two layers of a container that
  # wrote nothing, kept as a spare for the next container on busybox (the
  # second run took the first's, and gave it back).
  expect_eq 1 "$(spares)" "spares"
  expect_eq $((layers + 2)) "$(ls "$MYDOCKER_ROOT/overlay2" | grep -vc '^l$')" "overlay2 dirs (the image's, a spare's two)"
  expect_eq "" "$(ls -A "$MYDOCKER_ROOT/image/overlay2/layerdb/mounts")" "layerdb/mounts"
  # rmi right after run --rm removes the image's layers, whatever the
  # monitor is still deleting (many files: that takes it a while).
  expect_ok md run --rm busybox sh -c 'mkdir /d && cd /d && seq 5000 | xargs touch'
  expect_ok md run --rm busybox true
  expect_ok md rmi -f busybox 127.0.0.1:5000/library/busybox
  expect_ok md rmi -f nginx 127.0.0.1:5000/library/nginx
  wait_until 5 eval '[[ -z $(ls -A "$MYDOCKER_ROOT/mydocker/trash") ]]'
  expect_eq "" "$(ls -A "$MYDOCKER_ROOT/image/overlay2/layerdb/sha256")" "layers after rmi"
  expect_eq "l" "$(ls -A "$MYDOCKER_ROOT/overlay2")" "overlay2 after rmi"
  expect_eq 0 "$(spares)" "spares after rmi"
}

# The spare layers (rw_layer.h): a --rm container that wrote nothing leaves
# its layers to the next container on the image; one that changed anything
# in its upper layer never does.
test_rm_containers_pass_on_unused_layers_and_nothing_else() {
  fresh_root
  expect_ok md run --rm busybox true
  wait_until 5 eval '[[ $(spares) == 1 ]]'
  local spare
  spare=$(basename "$(find "$MYDOCKER_ROOT/mydocker/spares" -mindepth 2 -maxdepth 2)")
  expect_ok md run -d --rm --name taker busybox sleep 30
  expect_eq 0 "$(spares)" "spares while the next container runs"
  expect_ok md inspect -f '{{.GraphDriver.Data.UpperDir}}' taker
  expect_eq "$MYDOCKER_ROOT/overlay2/$spare/diff" "$OUT" "the next container's upper layer"
  expect_ok md rm -f taker
  # What containers write in their upper layer stays with them (their
  # layers are removed), and so does what they set on "/" (their spare
  # gets a fresh upper directory).
  expect_ok md run --rm busybox sh -c 'touch /leak; mkdir /tmp/d'
  expect_ok md run --rm busybox chmod 700 /
  wait_until 5 eval '[[ $(spares) == 1 ]]'
  spare=$(basename "$(find "$MYDOCKER_ROOT/mydocker/spares" -mindepth 2 -maxdepth 2)")
  expect_ok md run --rm busybox sh -c 'ls /leak /tmp/d 2>&1; stat -c %a /; head -n 1 /proc/self/mountinfo'
  expect_contains "$OUT" "upperdir=$MYDOCKER_ROOT/overlay2/$spare/diff" "the chmod's spare taken"
  expect_eq "ls: /leak: No such file or directory
ls: /tmp/d: No such file or directory
755" "$(head -n 3 <<< "$OUT")" "what the next container sees"
  expect_ok md run --rm busybox rm /bin/true
  expect_ok md run --rm busybox ls /bin/true
  expect_eq /bin/true "$OUT" "what the next container sees after a whiteout"
  wait_until 5 eval '[[ -z $(ls -A "$MYDOCKER_ROOT/mydocker/trash") ]]'
  expect_eq 1 "$(spares)" "spares (the last container's)"
  expect_eq "" "$(root_mounts)" "mounts under the data root"
}

test_exit_statuses() {
  fresh_root
  expect_exit 3 md run --rm busybox sh -c 'exit 3'
  # Killed by SIGKILL: 128+9, whether the monitor sees pid 1 die...
  expect_ok md run -d --name sleeper busybox sleep 30
  expect_ok md kill sleeper
  expect_ok md wait sleeper
  expect_eq 137 "$OUT" "wait after kill"
  expect_contains "$(ps_row sleeper)" "Exited (137)"
  # ... or --init sees the command die (the command is pid 2 there).
  expect_exit 137 md run --rm --init busybox sh -c 'kill -9 $$'
  # Without --init the command is pid 1 of a new pid namespace, which no
  # signal from inside can kill (the kernel drops it): as with Docker, the
  # shell survives its own kill -9.
  expect_ok md run --rm busybox sh -c 'kill -9 $$; echo survived'
  expect_eq survived "$OUT" "pid 1 after kill -9 \$\$"

  expect_exit 127 md run --name missing busybox nosuchcmd
  expect_contains "$ERR" '"nosuchcmd"'
  expect_eq 1 "$(wc -l <<< "$ERR")" "error lines"
  expect_eq "" "$OUT" stdout
  # Recorded as running while its process set up, then put back: as
  # dockerd keeps it, a container that never started, with no runtime state.
  expect_ok md inspect -f '{{.State.Running}} {{.State.Pid}} {{.State.ExitCode}} {{.State.StartedAt}}' missing
  expect_eq "false 0 127 0001-01-01T00:00:00Z" "$OUT" "the record of a failed start"
  expect_eq "" "$(ls -A "$MYDOCKER_ROOT/mydocker/containers/$(cid missing)" 2> /dev/null)" \
    "runtime state of a failed start"
  expect_exit 126 md run --name noexec busybox /etc/passwd
  expect_contains "$ERR" "/etc/passwd"
  expect_eq 1 "$(wc -l <<< "$ERR")" "error lines"
  expect_exit 125 md run --name nouser -u nosuchuser busybox id
  expect_contains "$ERR" "nosuchuser"
  expect_eq 1 "$(wc -l <<< "$ERR")" "error lines"
  # A failed start leaves nothing mounted, no cgroup, no process.
  md rm sleeper > /dev/null
  local name id
  for name in missing noexec nouser; do
    id=$(cid "$name" 2> /dev/null) || continue  # No record is fine too.
    expect_eq "" "$(cgroup_dirs "$id")" "cgroup dirs of $name"
    expect_eq "" "$(procs_of "$id")" "processes of $name"
  done
  expect_eq "" "$(root_mounts)" "mounts under the data root"
}

test_settings_dockerd_refuses_at_create_leave_no_container() {
  fresh_root
  expect_exit 125 md run --name tiny -m 1k busybox true
  expect_eq "mydocker run: Minimum memory limit allowed is 6MB" "$ERR" "the error"
  expect_exit 125 md create --name badcap --cap-add NOPE busybox true
  expect_contains "$ERR" "NOPE"
  expect_ok md ps -a -q
  expect_eq "" "$OUT" "containers left"
}

test_run_options_reach_the_process() {
  fresh_root
  mkdir vol
  echo data > vol/f
  expect_ok md run --rm -e FOO=bar -w /tmp -u 1000:1000 --read-only \
    -v "$PWD/vol:/vol" --tmpfs /scratch busybox sh -c '
      echo "$FOO"; pwd; id -u; id -g
      touch /x 2>&1
      cat /vol/f
      touch /scratch/y && echo tmpfs ok'
  expect_eq "bar
/tmp
1000
1000
touch: /x: Read-only file system
data
tmpfs ok" "$OUT" "the process's view"
  # -i: our stdin goes in; without it the container reads nothing.
  expect_ok md run -i --rm busybox cat <<< "hello"
  expect_eq hello "$OUT" "run -i"
  expect_ok md run --rm busybox cat <<< "hello"
  expect_eq "" "$OUT" "run without -i"
}

test_bind_mounts_of_files_and_missing_dirs() {
  fresh_root
  echo from-the-host > hostfile
  # An existing file is bound as a file (read-only with :ro); a missing
  # source is made as a directory, as dockerd does.
  expect_ok md run --rm -v "$PWD/hostfile:/etc/motd:ro" -v "$PWD/made/here:/d" \
    busybox sh -c 'cat /etc/motd; echo x > /etc/motd 2>&1 || echo ro; ls -d /d'
  expect_eq "from-the-host
ro
/d" "$(sed 's/^sh: can.t create.*//;/^$/d' <<< "$OUT")" "the container's view"
  [[ -d made/here ]] || _fail "the missing source was not made as a directory"
  expect_eq from-the-host "$(cat hostfile)" "the host file"
}

test_original_syntax() {
  fresh_root
  # -image names the image; a command word with blanks is split as a shell
  # would split it; options may follow the command.
  expect_ok md run -image busybox 'sh -c "echo $0 ok"'
  expect_eq "sh ok" "$OUT"
  expect_ok md run -image busybox echo a b --rm
  expect_eq "a b" "$OUT"
  expect_ok md ps -a -q
  expect_eq 1 "$(wc -l <<< "$OUT")" "containers (the --rm one, given --rm after its command, is gone)"
  md rm "$OUT" > /dev/null

  md run -p 91:80 -image nginx ./docker-entrypoint.sh 'nginx -g "daemon off;"' -net none \
    > nginx.out 2>&1 &
  local run_pid=$! id pid
  wait_until 10 eval '[[ -n $(md ps -q) ]]'
  id=$(cid "$(md ps -q)")
  wait_until 10 running "$id"
  expect_ok md ps
  expect_contains "$OUT" "${id:0:12}   nginx     \"/docker-entrypoint.…\""
  expect_contains "$OUT" " Up "
  pid=$(state "$id" Pid)
  # nginx got "daemon off;" as one argument and retitled itself.
  wait_until 10 eval "grep -q 'master process' /proc/$pid/cmdline"
  expect_eq "nginx: master process nginx -g daemon off;" "$(tr -d '\0' < "/proc/$pid/cmdline")" "nginx's title"
  expect_eq lo "$(nsenter -t "$pid" -n ip -o link show | awk -F': ' '{print $2}')" "links with -net none"
  expect_ok md stop "$id"
  local rc=0
  wait "$run_pid" || rc=$?
  expect_eq 0 "$rc" "the attached run's status (nginx exits 0 on TERM)"
  expect_contains "$(md ps -a)" "Exited (0)"
  expect_no_traces "$id"
}

# --- -it through a real terminal -------------------------------------------

test_it_shell_on_a_pty() {
  fresh_root
  expect_exit 5 "${PTY[@]}" --size 30x100 --log session.log \
    'expect=# ' raw \
    'send=stty size\n' 'expect=30 100\r\n' \
    resize=40x120 sleep=0.3 \
    'send=stty size\n' 'expect=40 120\r\n' \
    'send=exit 5\n' \
    -- "$MYDOCKER" run -it --rm busybox sh
  expect_eq "termios: restored" "$OUT" "the user's terminal after the session"
  # Ctrl-D is EOF to the shell: it ends with its last status.
  expect_exit 1 "${PTY[@]}" 'expect=# ' 'send=false\n' 'expect=# ' 'send=\x04' \
    -- "$MYDOCKER" run -it --rm busybox sh
  expect_eq "termios: restored" "$OUT" "the user's terminal after Ctrl-D"
  expect_ok md ps -a -q
  expect_eq "" "$OUT" "ps -a -q"
  expect_eq "" "$(root_mounts)" "mounts under the data root"
}

test_it_terminal_is_the_containers_own_pts() {
  fresh_root
  # As with Docker (runc opens the pty in the container's devpts), the
  # terminal is /dev/pts/0 of the container's own /dev/pts, so ttyname()
  # finds it there.
  expect_exit 0 "${PTY[@]}" 'expect=# ' 'send=tty; ls -1 /dev/pts\n' 'expect=/dev/pts/0\r\n0\r\nptmx\r\n' \
    'send=exit\n' -- "$MYDOCKER" run -it --rm busybox sh
  expect_eq "termios: restored" "$OUT" "the user's terminal"
}

# --- Detached containers, stop, kill, wait ------------------------------------

test_detached_nginx_serves_its_page() {
  fresh_root
  expect_ok md run -d --name web nginx
  local id=$OUT pid
  [[ $id =~ ^[0-9a-f]{64}$ ]] || _fail "run -d printed '$id'"
  pid=$(state web Pid)
  wait_until 10 nsenter -t "$pid" -n curl -sf -o /dev/null http://127.0.0.1:80/
  expect_contains "$(nsenter -t "$pid" -n curl -s http://127.0.0.1:80/)" "<title>Welcome to nginx!</title>"
  # Its own network namespace: nothing listens here.
  expect_exit 7 curl -s -m 2 http://127.0.0.1:80/
  expect_ok md stop web
  expect_eq web "$OUT" "stop's output"
  expect_contains "$(ps_row web)" "Exited (0)"
  expect_no_traces "$id"

  expect_ok md run -d --net host --name webh nginx
  id=$OUT
  wait_until 10 curl -sf -o /dev/null http://127.0.0.1:80/
  expect_contains "$(curl -s http://127.0.0.1:80/)" "<title>Welcome to nginx!</title>"
  expect_ok md stop webh
  expect_exit 7 curl -s -m 2 http://127.0.0.1:80/
  expect_contains "$(ps_row webh)" "Exited (0)"
  expect_no_traces "$id"
}

test_stop_escalates_to_kill_and_wait_reports_the_status() {
  fresh_root
  md run -d --name deaf busybox sh -c 'trap "" TERM; while :; do sleep 1; done' > /dev/null
  md run -d --name seven busybox sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done' > /dev/null
  # Stop only once the traps are in place (SIGTERM is 15).
  wait_until 5 sig_bit_set "$(state deaf Pid)" SigIgn 15
  wait_until 5 sig_bit_set "$(state seven Pid)" SigCgt 15
  md wait seven > wait.out 2>&1 &
  local waiter=$! start ms
  start=$(now_ms)
  expect_ok md stop -t 1 deaf
  ms=$(($(now_ms) - start))
  ((ms >= 900 && ms < 3000)) || _fail "stop -t 1 of a process ignoring TERM took $ms ms"
  expect_ok md wait deaf
  expect_eq 137 "$OUT" "deaf's status"
  expect_contains "$(ps_row deaf)" "Exited (137)"
  start=$(now_ms)
  expect_ok md stop seven
  ms=$(($(now_ms) - start))
  ((ms < 1000)) || _fail "stop of a process that exits on TERM took $ms ms"
  wait "$waiter" || _fail "wait seven failed: $(cat wait.out)"
  expect_eq 7 "$(cat wait.out)" "wait's output"
  expect_contains "$(ps_row seven)" "Exited (7)"
  expect_no_traces "$(cid deaf)"
  expect_no_traces "$(cid seven)"
}

test_rm_with_detach_removes_on_stop() {
  fresh_root
  expect_ok md run -d --rm --name tmp busybox sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
  local id=$OUT
  wait_until 5 sig_bit_set "$(state tmp Pid)" SigCgt 15
  expect_ok md stop tmp
  expect_eq tmp "$OUT" "stop's output"
  expect_ok md ps -a -q
  expect_eq "" "$OUT" "ps -a -q"
  [[ ! -e $MYDOCKER_ROOT/containers/$id ]] || _fail "the record of $id is still there"
  expect_no_traces "$id"
}

test_init_reaps_orphaned_zombies() {
  fresh_root
  # 100 orphans, reparented to pid 1, exit while pid 1 is `sleep`, which
  # never waits: zombies, unless --init's docker-init is pid 1 and reaps.
  local script='for i in $(seq 100); do (sleep 1 &); done; exec sleep 30'
  md run -d --init --name with busybox sh -c "$script" > /dev/null
  md run -d --name without busybox sh -c "$script" > /dev/null
  sleep 2
  expect_eq 0 "$(zombies_of "$(state with Pid)")" "zombies with --init"
  local n
  n=$(zombies_of "$(state without Pid)")
  ((n > 50)) || _fail "only $n zombies without --init: the probe does not make zombies"
  expect_ok md kill with without
  expect_ok md rm with without
  expect_eq "" "$(root_mounts)" "mounts under the data root"
}

# --- What the process finds inside -----------------------------------------

test_capabilities() {
  fresh_root
  expect_ok md run --rm busybox grep Cap /proc/self/status
  expect_eq 00000000a80425fb "$(cap_field CapEff)" "default CapEff (Docker's 14)"
  expect_eq 00000000a80425fb "$(cap_field CapPrm)" "default CapPrm"
  expect_eq 00000000a80425fb "$(cap_field CapBnd)" "default CapBnd"
  expect_eq 0000000000000000 "$(cap_field CapInh)" "default CapInh"
  expect_eq 0000000000000000 "$(cap_field CapAmb)" "default CapAmb"
  expect_ok md run --rm --cap-drop ALL busybox grep Cap /proc/self/status
  expect_eq 0000000000000000 "$(cap_field CapEff)" "CapEff with --cap-drop ALL"
  expect_eq 0000000000000000 "$(cap_field CapBnd)" "CapBnd with --cap-drop ALL"
  expect_ok md run --rm --cap-add NET_ADMIN busybox grep Cap /proc/self/status
  expect_eq 00000000a80435fb "$(cap_field CapEff)" "CapEff with --cap-add NET_ADMIN (bit 12)"
  # A non-root user keeps the bounding set and nothing effective.
  expect_ok md run --rm -u 1000 busybox grep Cap /proc/self/status
  expect_eq 0000000000000000 "$(cap_field CapEff)" "CapEff of uid 1000"
  expect_eq 00000000a80425fb "$(cap_field CapBnd)" "CapBnd of uid 1000"
  # --privileged: every capability this host can give (our bounding set).
  local host_bnd
  host_bnd=$(awk '$1 == "CapBnd:" {print $2}' /proc/self/status)
  expect_ok md run --rm --privileged busybox grep Cap /proc/self/status
  expect_eq "$host_bnd" "$(cap_field CapEff)" "CapEff with --privileged"
  expect_eq 0000000000000000 "$(cap_field CapAmb)" "CapAmb with --privileged"
  expect_eq 0000000000000000 "$(cap_field CapInh)" "CapInh with --privileged"
}

test_masked_and_read_only_proc_and_sys() {
  fresh_root
  # What the host shows here is not empty (/proc/kcore exists only on
  # kernels built with it, /proc/sysrq-trigger only with magic SysRq).
  [[ $(head -c 1 /proc/timer_list | wc -c) == 1 ]] || _fail "the host's /proc/timer_list is empty"
  [[ -n $(ls -A /sys/firmware) ]] || _fail "the host's /sys/firmware is empty"
  local want="keys: 0
timer_list: 0
firmware: 0
sh: can't create /proc/sys/kernel/hostname: Read-only file system"
  [[ -e /proc/sysrq-trigger ]] &&
    want+=$'\n'"sh: can't create /proc/sysrq-trigger: Read-only file system"
  expect_ok md run --rm busybox sh -c '
    cat /proc/kcore > /dev/null 2>&1 && echo "kcore: readable"
    echo "keys: $(cat /proc/keys 2> /dev/null | wc -c)"
    echo "timer_list: $(cat /proc/timer_list 2> /dev/null | wc -c)"
    echo "firmware: $(ls -A /sys/firmware | wc -l)"
    { echo x > /proc/sys/kernel/hostname; } 2>&1
    if [ -e /proc/sysrq-trigger ]; then { echo h > /proc/sysrq-trigger; } 2>&1; fi
    true'
  expect_eq "$want" "$OUT" "the container's view"
}

test_no_fd_leaks_into_the_container() {
  fresh_root
  : > leak
  # The caller's extra fds (3 and 7 here) reach neither the container's
  # process nor the monitor, attached or detached.
  md run --name attached busybox sleep 30 3> "$PWD/leak" 7< /etc/hostname > run.out 2>&1 &
  local run_pid=$! name pid links
  wait_until 10 running attached
  md run -d --name detached busybox sleep 30 3> "$PWD/leak" 7< /etc/hostname > /dev/null
  for name in attached detached; do
    pid=$(state $name Pid)
    expect_eq "0 1 2" "$(ls "/proc/$pid/fd" | sort -n | xargs)" "fds of the $name container's process"
    links=$(cd "/proc/$(monitor_pid $name)/fd" && readlink -- *)
    expect_not_contains "$links" "$PWD/leak" "fds of the $name monitor"
    expect_not_contains "$links" "/etc/hostname" "fds of the $name monitor"
  done
  expect_ok md kill attached detached
  local rc=0
  wait "$run_pid" || rc=$?
  expect_eq 137 "$rc" "the attached run's status"
  expect_ok md rm attached detached
  expect_eq "" "$(root_mounts)" "mounts under the data root"
}

test_pids_limit_stops_a_fork_loop() {
  fresh_root
  # 50 sleeps under a limit of 20: the spawning shell dies of a failed fork;
  # pid 1 then counts the processes with builtins only and waits.
  md run --name forky --pids-limit 20 busybox sh -c '
    sh -c "for i in \$(seq 50); do sleep 30 & done; wait" 2> /dev/null
    echo "spawner exit $?"
    set -- /proc/[0-9]*
    echo "procs $#"
    exec sleep 30' > run.out 2>&1 &
  local run_pid=$! id n
  wait_until 10 grep -qs procs run.out
  id=$(cid forky)
  expect_not_contains "$(cat run.out)" "spawner exit 0" "the spawner's status"
  n=$(sed -n 's/^procs //p' run.out)
  ((n >= 15 && n <= 20)) || _fail "$n processes under --pids-limit 20: $(cat run.out)"
  if [[ -d /sys/fs/cgroup/pids/mydocker/$id ]]; then
    expect_eq 20 "$(cat "/sys/fs/cgroup/pids/mydocker/$id/pids.max")" pids.max
    local hits
    hits=$(awk '$1 == "max" {print $2}' "/sys/fs/cgroup/pids/mydocker/$id/pids.events")
    ((hits > 0)) || _fail "pids.events: the limit was never hit"
  fi
  expect_ok md stop -t 1 forky
  local rc=0
  wait "$run_pid" || rc=$?
  expect_eq 137 "$rc" "the attached run's status"
  expect_contains "$(ps_row forky)" "Exited (137)"
  expect_no_traces "$id"
}

test_memory_limit_oom_kills() {
  fresh_root
  expect_ok md run -d --name limited -m 32m --memory-swap 32m busybox sleep 30
  local id=$OUT
  if [[ -d /sys/fs/cgroup/memory/mydocker/$id ]]; then
    expect_eq 33554432 "$(cat "/sys/fs/cgroup/memory/mydocker/$id/memory.limit_in_bytes")" memory.limit_in_bytes
  fi
  expect_ok md rm -f limited
  expect_exit 137 md run --name hog -m 32m --memory-swap 32m busybox \
    sh -c 'x=$(head -c 100m /dev/zero | tr "\0" a)'
  expect_eq true "$(state hog OOMKilled)" "State.OOMKilled in config.v2.json"
  expect_eq 137 "$(state hog ExitCode)" "State.ExitCode"
  expect_ok md inspect hog
  expect_eq true "$(jq -r '.[0].State.OOMKilled' <<< "$OUT")" "inspect's State.OOMKilled"
  expect_ok md run --name light -m 32m --memory-swap 32m busybox true
  expect_eq false "$(state light OOMKilled)" "OOMKilled of a container within its limit"
  expect_no_traces "$(cid hog)"
}

test_device_nodes_made_inside_are_unusable() {
  fresh_root
  # CAP_MKNOD is in the default set, but the device cgroup lets the
  # container open only the usual nodes: /dev/mem (1:1) no, /dev/null (1:3) yes.
  expect_ok md run --rm busybox sh -c '
    mknod /tmp/mem c 1 1 && echo made
    head -c 1 /tmp/mem 2>&1 > /dev/null
    mknod /tmp/null c 1 3 && echo x > /tmp/null && echo "null ok"
    true'
  expect_eq "made
head: /tmp/mem: Operation not permitted
null ok" "$OUT" "the container's view"
}

# --- Crashes and races -------------------------------------------------------

# A monitor's footprint target: under 2 MB of RSS (as bench/run measures it,
# --net none). Its start touches much of the binary; an idle monitor
# unmaps that text again (a second after its last event), and the
# container's output still reaches the log after it.
test_idle_monitor_stays_under_2_mb() {
  fresh_root
  expect_ok md run -d --net none --name quiet busybox sh -c 'echo one; sleep 2.5; echo two; sleep 30'
  local mon
  mon=$(monitor_pid quiet)
  monitor_small() { (( $(awk '/^VmRSS:/ {print $2}' "/proc/$mon/status") < 2000 )); }
  # What the monitor holds, when it is not small: which mappings are resident.
  monitor_footprint() {
    grep -E '^(VmRSS|RssAnon|RssFile)' "/proc/$mon/status" | xargs
    awk '/^[0-9a-f]+-/ {m=$6 " " $2} /^Rss:/ && $2 > 100 {print "  " m ": " $2 " kB"}' "/proc/$mon/smaps"
  }
  wait_until 5 monitor_small || monitor_footprint
  # Woken after the drop, it still logs; then it is idle and small again.
  wait_until 5 eval '[[ $(md logs quiet 2>&1) == *two* ]]'
  wait_until 5 monitor_small || monitor_footprint
  expect_ok md logs quiet
  expect_eq $'one\ntwo' "$OUT" "logs"
  expect_ok md rm -f quiet
}

test_killed_monitor_leaves_a_stale_container_that_ps_repairs() {
  fresh_root
  expect_ok md run -d --name orphan busybox sleep 30
  local id=$OUT pid mon
  pid=$(state orphan Pid)
  mon=$(monitor_pid orphan)
  expect_eq "$mon" "$(awk '$1 == "PPid:" {print $2}' "/proc/$pid/status")" "the monitor is the parent"
  kill -9 "$mon"
  wait_until 5 eval "[[ ! -e /proc/$mon/stat ]] || grep -q '^[0-9]* ([^)]*) Z' /proc/$mon/stat"
  [[ -e /proc/$pid ]] || _fail "the container died with its monitor: nothing left to repair"
  expect_contains "$(ps_row orphan)" "Exited (137)"
  expect_eq "" "$(procs_of "$id")" "processes of the stale container after ps"
  expect_ok md rm orphan
  # Checked, then removed: a leaked cgroup would outlive the suite.
  local cgroups
  cgroups=$(cgroup_dirs "$id")
  remove_cgroups "$id"
  expect_eq "" "$cgroups" "cgroup dirs after ps repaired the container and rm removed it"
  expect_no_traces "$id"
}

test_name_conflict_under_concurrent_runs() {
  fresh_root
  local i pids=()
  for i in $(seq 20); do
    md run -d --name same busybox sleep 30 > "out.$i" 2> "err.$i" &
    pids+=($!)
  done
  local ok=0 conflict=0 rc winner=""
  for i in $(seq 20); do
    rc=0
    wait "${pids[$((i - 1))]}" || rc=$?
    if ((rc == 0)); then
      ok=$((ok + 1))
      winner=$(cat "out.$i")
    elif ((rc == 125)); then
      conflict=$((conflict + 1))
    else
      _fail "run $i exited $rc: $(cat "err.$i")"
    fi
  done
  expect_eq 1 "$ok" "runs that succeeded"
  expect_eq 19 "$conflict" "runs that failed with 125"
  expect_eq "$winner" "$(cid same)" "the container named same"
  for i in $(seq 20); do
    [[ -s err.$i ]] || continue
    expect_eq "mydocker run: Conflict. The container name \"/same\" is already in use by container \"$winner\". You have to remove (or rename) that container to be able to reuse that name." \
      "$(cat "err.$i")" "error of run $i"
  done
  expect_ok md ps -a -q
  expect_eq 1 "$(wc -l <<< "$OUT")" "containers"
  # Each run spawned a monitor while it created its container; those whose
  # create failed end without starting anything: one monitor is left.
  monitors() { pgrep -f -- "--root $MYDOCKER_ROOT monitor" | wc -l; }
  wait_until 5 eval '(( $(monitors) == 1 ))'
  expect_eq 1 "$(monitors)" "monitors after the conflicts"
  expect_ok md kill same
  expect_ok md rm same
  expect_no_traces "$winner"
}

# --- create, start, ps -------------------------------------------------------

test_create_start_and_ps_formats() {
  fresh_root
  expect_ok md create --name job busybox sh -c 'echo out; echo err >&2; exit 4'
  local id=$OUT
  [[ $id =~ ^[0-9a-f]{64}$ ]] || _fail "create printed '$id'"
  expect_contains "$(ps_row job)" "Created"
  expect_eq "" "$(procs_of "$id")" "processes of a created container"
  expect_exit 4 md start -a job
  expect_eq out "$OUT" "start -a stdout"
  expect_eq err "$ERR" "start -a stderr"
  expect_ok md create --name bg busybox sleep 30
  expect_ok md start bg
  expect_eq bg "$OUT" "start's output"
  wait_until 5 running bg
  sleep 2.2
  expect_ok md ps -a
  # COMMAND as wide as docker makes it for a cut command ('"sh -c 'echo
  # out; ec…"': 22 characters, the '…' counts one).
  expect_eq "CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS                     PORTS     NAMES" \
    "$(head -n 1 <<< "$OUT")" "ps header"
  local bg_row job_row
  bg_row=$(awk '$NF == "bg"' <<< "$OUT")
  job_row=$(awk '$NF == "job"' <<< "$OUT")
  [[ $bg_row =~ \ Up\ [23]\ seconds\  ]] || _fail "bg's row: $bg_row"
  [[ $job_row =~ \ Exited\ \(4\)\ [23]\ seconds\ ago\  ]] || _fail "job's row: $job_row"
  expect_ok md ps
  expect_contains "$OUT" bg
  expect_not_contains "$OUT" job "ps without -a"
  expect_ok md kill bg
  expect_ok md rm bg job
  expect_no_traces "$id"
}

# --- logs, exec, rm -f ---------------------------------------------------------

test_logs_after_exit_and_follow() {
  expect_applet logs
  fresh_root
  expect_ok md run --name said busybox sh -c 'echo out1; echo err1 >&2; echo out2'
  expect_ok md logs said
  expect_eq "out1
out2" "$OUT" "logs stdout"
  expect_eq err1 "$ERR" "logs stderr"

  expect_ok md run -d --name ticker busybox sh -c 'for i in 1 2 3 4 5; do echo line $i; sleep 0.3; done'
  local start end
  start=$(now_ms)
  md logs -f ticker | while read -r l; do echo "$(now_ms) $l"; done > follow.out
  end=$(now_ms)
  expect_eq "line 1
line 2
line 3
line 4
line 5" "$(cut -d' ' -f2- follow.out)" "logs -f"
  local first last
  first=$(head -n 1 follow.out | cut -d' ' -f1)
  last=$(tail -n 1 follow.out | cut -d' ' -f1)
  # Lines come as they are written, 0.3 s apart, not all at the end...
  ((last - first >= 900)) || _fail "logs -f: lines 1 to 5 came $((last - first)) ms apart"
  # ... and logs -f ends when the container does.
  ((end - last < 1500)) || _fail "logs -f returned $((end - last)) ms after the last line"
  ((end - start < 5000)) || _fail "logs -f took $((end - start)) ms"
  expect_eq 0 "$(state ticker ExitCode)" "ticker's status"
}

test_exec() {
  expect_applet exec
  fresh_root
  expect_ok md run -d --name box busybox sleep 30
  local id=$OUT
  expect_ok md exec box echo hi
  expect_eq hi "$OUT" "exec stdout"
  expect_exit 3 md exec box sh -c 'exit 3'
  # Docker's status for a command exec cannot start.
  expect_exit 126 md exec box nosuchcmd
  expect_contains "$ERR" nosuchcmd
  # Inside the container: its hostname, its pid namespace, its cgroup.
  expect_ok md exec box hostname
  expect_eq "${id:0:12}" "$OUT" "hostname"
  expect_ok md exec box ps -o pid,comm
  expect_contains "$OUT" "    1 sleep"
  expect_ok md exec box cat /proc/self/cgroup
  expect_contains "$OUT" "/mydocker/$id"
  expect_exit 4 "${PTY[@]}" 'expect=# ' raw 'send=tty\n' 'expect=/dev/pts/[0-9]+\r\n' 'send=exit 4\n' \
    -- "$MYDOCKER" exec -it box sh
  expect_eq "termios: restored" "$OUT" "the user's terminal after exec -it"
  expect_ok md stop -t 1 box
  expect_exit 1 md exec box echo hi
  expect_contains "$ERR" "is not running"
  expect_ok md rm box
  expect_no_traces "$id"
}

test_rm_force_of_a_running_container() {
  fresh_root
  expect_ok md run -d --name victim busybox sleep 30
  local id=$OUT pid
  pid=$(state victim Pid)
  expect_exit 1 md rm victim
  expect_contains "$ERR" "You cannot remove a running container $id"
  running victim || _fail "rm without -f stopped the container"
  expect_ok md rm -f victim
  expect_eq victim "$OUT" "rm -f output"
  [[ ! -e /proc/$pid ]] || _fail "process $pid still there"
  expect_ok md ps -a -q
  expect_eq "" "$OUT" "ps -a -q"
  [[ ! -e $MYDOCKER_ROOT/containers/$id ]] || _fail "the record of $id is still there"
  expect_no_traces "$id"
}

run_suite
