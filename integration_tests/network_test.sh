#!/usr/bin/env bash
# Bridge networks end to end (issue #5), as a user sees them: network
# create/ls/inspect/rm/connect/disconnect, containers on the default bridge
# and on user-defined ones, published TCP and UDP ports reached from the
# host's loopback and from another machine, names resolved between
# containers, masquerade towards an outside host, --internal, and the errors
# a user gets for what cannot be done. Every test checks what is left in the
# kernel (links, addresses, nftables) and in the IPAM file once its
# containers and networks are gone.
#
# "Another machine" and "an outside host" are network namespaces made with
# `ip netns add` and joined to the suite's namespace (the harness host) by a
# veth pair: client 10.99.0.2 <-> 10.99.0.1, outside 10.98.0.2 <-> 10.98.0.1.
#
# busybox and nginx are pulled once from the loopback registry into a base
# data root; every test works in its own copy of it.
source "$(dirname "$0")/lib.sh"

make_base_root busybox nginx
# `ip netns` names namespaces by files in /run/netns, which is the host's:
# a tmpfs of our own there keeps our names and the host's (or another
# suite's) apart. Removed after the tests, before the leftover check.
mkdir -p /run/netns && mount -t tmpfs "netns-$SUITE" /run/netns ||
  setup_failed "could not mount a private /run/netns"

# --- Helpers ---------------------------------------------------------------

fresh_root() {
  export MYDOCKER_ROOT=$PWD/root
  cp -a "$BASE_ROOT" "$MYDOCKER_ROOT"
  _helper_pids=()
  trap _test_exit EXIT
}

# Whatever the outcome, the helpers a test started (servers in its
# namespaces) stop and its namespaces go. A failed test may also stop
# half-way with containers running and networks made: remove them, their
# cgroups (which live on the host), and the default bridge, so its failure
# does not spill into the next test or the leftover check. A passing test
# removes its containers and networks itself (and is checked for it).
_test_exit() {
  local rc=$? ids id p ns
  trap - ERR
  set +e
  for p in "${_helper_pids[@]}"; do
    kill "$p" 2> /dev/null
    wait "$p" 2> /dev/null
  done
  if ((rc != 0)); then
    ids=$(ls "$MYDOCKER_ROOT/containers" 2> /dev/null)
    [[ -n $ids ]] && timeout -k 2 20 "$MYDOCKER" rm -f $ids > /dev/null 2>&1
    for id in $ids; do remove_cgroups "$id"; done
    timeout -k 2 20 "$MYDOCKER" network prune -f > /dev/null 2>&1
    ip link del mydocker0 2> /dev/null
    nft delete table ip mydocker 2> /dev/null
  fi
  for ns in $(ip netns list | awk '{print $1}'); do remove_peer_ns "$ns"; done
  (exit "$rc")
  _on_test_exit
}

# remove_cgroups ID: removes what is left of container ID's cgroups.
remove_cgroups() {
  local d
  for d in /sys/fs/cgroup/*/mydocker/"$1" /sys/fs/cgroup/mydocker/"$1"; do
    [[ -d $d ]] && rmdir "$d" 2> /dev/null
  done
  return 0
}

# expect_fails CMD...: CMD must exit non-zero; $OUT/$ERR as with expect_exit.
expect_fails() {
  local got=0
  "$@" > "$WORK/.out" 2> "$WORK/.err" || got=$?
  OUT=$(cat "$WORK/.out")
  ERR=$(cat "$WORK/.err")
  ((got != 0)) || _fail "'$*' succeeded; stdout: $OUT; stderr: $ERR"
}

# expect_one_line_error MESSAGE: $ERR is exactly one line containing MESSAGE.
expect_one_line_error() {
  expect_contains "$ERR" "$1" stderr
  expect_eq 1 "$(wc -l <<< "$ERR")" "lines of stderr ($ERR)"
}

# Kernel state, as `ip link` and `nft list ruleset` show it.
link_names() { ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort; }
# The host ends of container veths (mydocker names them veth<7 hex>).
veths() { ip -o link show type veth | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^veth' | sort || true; }
# Published ports in mydocker's NAT maps, one "MAP HOST -> CONTAINER" a line,
# e.g. "tcp_any 91 -> 192.168.0.2:80"; nothing if there is no table.
dnat_elements() {
  nft -j list table ip mydocker 2> /dev/null | jq -r '
    .nftables[].map // empty | select(.name | test("^(tcp|udp)_(any|ip)$"))
    | .name as $m | (.elem // [])[]
    | "\($m) \(.[0] | if type == "object" then .concat | map(tostring) | join(":") else tostring end) -> \(.[1].concat | map(tostring) | join(":"))"' |
    sort
}

net_id() { md network inspect "$1" | jq -r '.[0].Id'; }
net_dir() { echo "$MYDOCKER_ROOT/mydocker/networks/$(net_id "$1")"; }
# allocations NETWORK: the IPAM file's address -> container map, compact JSON.
allocations() { jq -c .Allocations "$(net_dir "$1")/ipam.json"; }
# ip_of CONTAINER NETWORK: the container's address there, per inspect.
ip_of() { md inspect "$1" | jq -r --arg n "$2" '.[0].NetworkSettings.Networks[$n].IPAddress'; }
cid() { md inspect "$1" | jq -r '.[0].Id'; }
running() { [[ $(md inspect "$1" | jq -r '.[0].State.Running') == true ]]; }
# ps_row NAME: the container's line of `ps -a`.
ps_row() { md ps -a | awk -v n="$1" '$NF == n'; }
# hosts_block CONTAINER NETWORK: the lines under "# mydocker network NETWORK"
# in the container's /etc/hosts, up to the next comment.
hosts_block() {
  md exec "$1" cat /etc/hosts |
    awk -v h="# mydocker network $2" '$0 == h {on = 1; next} /^#/ {on = 0} on'
}
# The MAC Docker gives an address: 02:42 and the address's four bytes.
docker_mac() {
  local a b c d
  IFS=. read -r a b c d <<< "$1"
  printf '02:42:%02x:%02x:%02x:%02x' "$a" "$b" "$c" "$d"
}

# make_peer_ns NAME HOSTIF HOSTADDR PEERADDR: a namespace NAME joined to
# ours by a veth pair (HOSTIF here, eth0 there, both /24), its default route
# via HOSTADDR: a machine on the harness host's network.
make_peer_ns() {
  local ns=$1 hostif=$2 hostaddr=$3 peeraddr=$4
  ip netns add "$ns"
  ip link add "$hostif" type veth peer name "$ns-peer"
  ip link set "$ns-peer" netns "$ns"
  ip addr add "$hostaddr/24" dev "$hostif"
  ip link set "$hostif" up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$ns-peer" name eth0
  ip -n "$ns" addr add "$peeraddr/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "$hostaddr"
}
# remove_peer_ns NAME: the namespace and (now, not whenever the kernel gets
# to it) its veth pair.
remove_peer_ns() {
  local peer
  for peer in $(ip -n "$1" -o link show type veth 2> /dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'); do
    ip -n "$1" link del "$peer"
  done
  ip netns del "$1"
}

# start_outside_host: the "outside host" namespace (10.98.0.2, reached
# through the harness host's 10.98.0.1) serving srv/hello.txt ("hello from
# outside") with python3's http.server on port 8000, each request's source
# address logged to srv.log; waits until it serves. (Not `python3 -m
# http.server`: it looks up its own name, which with no DNS server here can
# take 10 s.)
start_outside_host() {
  make_peer_ns outside out-host 10.98.0.1 10.98.0.2
  mkdir srv
  echo "hello from outside" > srv/hello.txt
  ip netns exec outside python3 -u -c '
import functools, http.server, socketserver, sys
class Server(http.server.ThreadingHTTPServer):
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "outside", self.server_address[1]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = Server(("10.98.0.2", 8000), handler)
print("serving", flush=True)
server.serve_forever()
' "$PWD/srv" > srv.log 2>&1 &
  _helper_pids+=($!)
  wait_until 10 grep -qs "^serving" srv.log
}

# The default bridge outlives its containers, as docker0 outlives them
# under dockerd, and mydocker has no command to remove it. A test that used
# it checks that nothing but the bridge itself is left (no port on it, no
# published port, no other network's rules), then removes it and
# mydocker's table by hand, so the next test's root starts from a bare host.
remove_default_bridge() {
  expect_eq "" "$(ip -o link show master mydocker0)" "ports left on mydocker0"
  expect_eq "" "$(dnat_elements)" "published ports"
  # Interface names in the rules: the default bridge's only.
  expect_eq '"mydocker0"' "$(nft list table ip mydocker | grep -o '"[^"]*"' | sort -u)" \
    "other networks' rules"
  ip link del mydocker0
  nft delete table ip mydocker
}

# udp_ask [NETNS] HOST PORT MESSAGE: sends MESSAGE in one datagram from
# NETNS (default: here) and prints the one datagram that answers (2 s).
udp_ask() {
  local pre=()
  [[ $# == 4 ]] && { pre=(ip netns exec "$1"); shift; }
  "${pre[@]}" python3 - "$@" << 'PY'
import socket, sys
host, port, msg = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(msg.encode(), (host, port))
print(s.recvfrom(2048)[0].decode())
PY
}

# A UDP server answering "pong <datagram>" on port 53, logging each datagram
# and its source. busybox has no UDP listener (its nc has no -u), so the
# container runs the host's python3 from a read-only bind of / (chroot is
# one of a container's default capabilities).
UDP_SERVER='
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 53))
print("listening", flush=True)
while True:
    data, addr = s.recvfrom(2048)
    print("got", data.decode(), "from", addr[0], flush=True)
    s.sendto(b"pong " + data, addr)
'

WELCOME="<title>Welcome to nginx!</title>"

# --- The seed flow ------------------------------------------------------------

test_seed_flow_nginx_on_my_network_published_on_port_91() {
  fresh_root
  local links0 nft0 net id ip row
  links0=$(link_names)
  nft0=$(nft list ruleset)

  expect_ok md network create --driver bridge --subnet 192.168.0.0/24 my-network
  net=$OUT
  [[ $net =~ ^[0-9a-f]{64}$ ]] || _fail "network create printed '$net'"
  expect_ok md network list
  expect_eq "NETWORK ID     NAME         DRIVER    SCOPE" "$(head -n 1 <<< "$OUT")" "network list header"
  row=$(awk '$2 == "my-network" {print $1, $3, $4}' <<< "$OUT")
  expect_eq "${net:0:12} bridge local" "$row" "my-network's row in network list"
  expect_eq "192.168.0.1/24" "$(ip -o -4 addr show dev "br-${net:0:12}" | awk '{print $4}')" \
    "the bridge's address"
  local alloc0
  alloc0=$(allocations my-network)
  expect_eq "{}" "$alloc0" "allocations of a new network"

  # The original tool's syntax: -image, the command as one string, -net last.
  expect_ok md run -d -p 91:80 -image nginx ./docker-entrypoint.sh 'nginx -g "daemon off;"' -net my-network
  id=$OUT
  [[ $id =~ ^[0-9a-f]{64}$ ]] || _fail "run -d printed '$id'"
  ip=$(ip_of "$id" my-network)
  expect_eq 192.168.0.2 "$ip" "the first container's address"
  expect_eq "{\"192.168.0.2\":\"$id\"}" "$(allocations my-network)" "allocations"
  expect_eq "tcp_any 91 -> 192.168.0.2:80" "$(dnat_elements)" "published ports in nftables"
  expect_contains "$(md ps | grep "^${id:0:12} ")" "0.0.0.0:91->80/tcp" "ps"

  # From the harness host's loopback...
  wait_until 10 curl -sf -o /dev/null http://127.0.0.1:91/
  expect_contains "$(curl -s -m 5 http://127.0.0.1:91/)" "$WELCOME" "curl http://127.0.0.1:91/"
  # ... and from another machine, through the host's address; nginx sees
  # that machine's own address (DNAT, no masquerade on the way in).
  make_peer_ns client cl-host 10.99.0.1 10.99.0.2
  expect_ok ip netns exec client curl -s -m 5 http://10.99.0.1:91/
  expect_contains "$OUT" "$WELCOME" "curl from the client to http://10.99.0.1:91/"
  expect_ok md logs "$id"
  expect_contains "$OUT" '10.99.0.2 - - ' "nginx's access log"
  remove_peer_ns client

  expect_ok md stop "$id"
  expect_eq "" "$(dnat_elements)" "published ports after stop"
  expect_eq "$alloc0" "$(allocations my-network)" "allocations after stop"
  expect_ok md rm "$id"
  expect_ok md network rm my-network
  expect_eq my-network "$OUT" "network rm output"
  expect_eq "$links0" "$(link_names)" "links after network rm"
  expect_eq "$nft0" "$(nft list ruleset)" "nftables after network rm"
  [[ ! -e $MYDOCKER_ROOT/mydocker/networks/$net ]] || _fail "the state of my-network is still there"
  expect_not_contains "$(md network ls)" my-network "network ls after rm"
  expect_eq 0 "$(jq length "$MYDOCKER_ROOT/mydocker/ports.json" 2> /dev/null || echo 0)" "entries in ports.json"
}

# --- Between containers, and to the outside --------------------------------------

test_containers_on_a_network_reach_each_other_by_name() {
  fresh_root
  local links0 web shell web_ip shell_ip
  links0=$(link_names)
  expect_ok md network create names
  expect_ok md run -d --name web --net names nginx
  web=$OUT
  # No DNS server here: --dns 127.0.0.1 makes a name missing from
  # /etc/hosts fail at once rather than after the resolver's timeout.
  expect_ok md run -d --name shell --net names --dns 127.0.0.1 busybox sleep 60
  shell=$OUT
  web_ip=$(ip_of web names)
  shell_ip=$(ip_of shell names)
  [[ -n $web_ip && $web_ip != "$shell_ip" ]] || _fail "addresses: web '$web_ip', shell '$shell_ip'"

  # Each lists the other, "IP<TAB>NAME ID12", under its network's header.
  expect_eq "$(printf '%s\tweb %s' "$web_ip" "${web:0:12}")" "$(hosts_block shell names)" "shell's hosts block"
  expect_eq "$(printf '%s\tshell %s' "$shell_ip" "${shell:0:12}")" "$(hosts_block web names)" "web's hosts block"
  wait_until 10 md exec shell wget -q -O /dev/null http://web/
  expect_ok md exec shell wget -qO- http://web/
  expect_contains "$OUT" "$WELCOME" "wget http://web/ from shell"
  # A container started later finds them by name too.
  expect_ok md run --rm --net names busybox ping -c1 -W1 shell
  expect_contains "$OUT" "PING shell ($shell_ip)" "ping shell from a new container"
  expect_contains "$OUT" "1 packets received" "ping shell from a new container"
  # ... and is gone from the others' hosts files once it has gone.
  expect_eq "$(printf '%s\tweb %s' "$web_ip" "${web:0:12}")" "$(hosts_block shell names)" \
    "shell's hosts block after the --rm container"

  expect_ok md rm -f web
  expect_not_contains "$(md exec shell cat /etc/hosts)" "# mydocker network names" "shell's /etc/hosts after rm web"
  expect_fails md exec shell ping -c1 -W1 web
  expect_contains "$ERR" "bad address 'web'" "ping web after rm"
  expect_ok md rm -f shell
  expect_ok md network rm names
  expect_eq "$links0" "$(link_names)" "links at the end"
}

test_outside_host_sees_the_harness_hosts_address() {
  fresh_root
  start_outside_host
  expect_ok md network create wan
  expect_ok md run -d --name fetcher --net wan busybox sleep 60
  local ip
  ip=$(ip_of fetcher wan)
  expect_ok md exec fetcher wget -qO- "http://10.98.0.2:8000/hello.txt?from=container"
  expect_eq "hello from outside" "$OUT" "what the container fetched"
  # The outside host saw the request come from the harness host, not from
  # the container's address, which it has no route to.
  local line
  line=$(grep 'from=container' srv.log)
  [[ $line == "10.98.0.1 - - "* ]] || _fail "the outside server's log line: '$line'"
  expect_not_contains "$(cat srv.log)" "$ip" "the outside server's log"
  expect_ok md rm -f fetcher
  expect_ok md network rm wan
  expect_eq "" "$(nft list ruleset)" "nftables at the end"
}

test_internal_network_has_no_way_out_but_reaches_its_own() {
  fresh_root
  start_outside_host
  expect_ok md network create --internal sealed
  expect_eq true "$(md network inspect sealed | jq -r '.[0].Internal')" "Internal in network inspect"
  expect_ok md run -d --name inner --net sealed nginx
  expect_ok md run -d --name fetcher --net sealed busybox sleep 60
  expect_fails md exec fetcher timeout 3 wget -qO- "http://10.98.0.2:8000/hello.txt?from=sealed"
  expect_not_contains "$(cat srv.log)" "from=sealed" "the outside server's log"
  # Within the network, containers still reach each other, by name.
  wait_until 10 md exec fetcher wget -q -O /dev/null http://inner/
  expect_ok md exec fetcher wget -qO- http://inner/
  expect_contains "$OUT" "$WELCOME" "wget http://inner/ on the internal network"
  # As with Docker (its bridge driver sets no gateway on an --internal
  # network), the way out is not even routed: a fetch fails at once with
  # "Network is unreachable" instead of hanging until TCP gives up.
  expect_ok md exec fetcher ip route
  expect_not_contains "$OUT" "default" "the routes of a container on an --internal network"
  expect_ok md rm -f inner fetcher
  expect_ok md network rm sealed
  expect_eq "" "$(nft list ruleset)" "nftables at the end"
}

# IPv4 forwarding is per host (namespace), not per bridge. When it was off,
# mydocker turns it on for its networks but must not make the host a router
# between its other interfaces (dockerd sets iptables' FORWARD policy to
# DROP): "another machine" here reaches the outside host through us only
# while forwarding is someone else's doing. The last network's removal turns
# forwarding off again.
test_forwarding_turned_on_routes_only_our_networks() {
  fresh_root
  local fwd=/proc/sys/net/ipv4/ip_forward
  echo 0 > "$fwd"
  start_outside_host
  make_peer_ns client cl-host 10.99.0.1 10.99.0.2
  expect_ok md network create wan
  expect_ok md run -d --name fetcher --net wan busybox sleep 60
  expect_eq 1 "$(cat "$fwd")" "ip_forward with a container on a network"
  expect_ok md exec fetcher wget -qO- "http://10.98.0.2:8000/hello.txt?from=container"
  expect_eq "hello from outside" "$OUT" "what the container fetched"
  expect_exit 28 ip netns exec client curl -s --max-time 2 "http://10.98.0.2:8000/hello.txt?from=client"
  expect_not_contains "$(cat srv.log)" "from=client" "the outside server's log"
  expect_ok md rm -f fetcher
  expect_ok md network rm wan
  expect_eq 0 "$(cat "$fwd")" "ip_forward after the last network went"
  expect_eq "" "$(nft list ruleset)" "nftables at the end"

  # Forwarding that was on already is the host's business: no guard.
  echo 1 > "$fwd"
  expect_ok md network create wan
  expect_ok md run -d --name fetcher --net wan busybox sleep 60
  expect_ok ip netns exec client curl -s --max-time 5 "http://10.98.0.2:8000/hello.txt?from=client"
  expect_eq "hello from outside" "$OUT" "what the client fetched through the host"
  expect_ok md rm -f fetcher
  expect_ok md network rm wan
  expect_eq 1 "$(cat "$fwd")" "ip_forward that was on before"
  remove_peer_ns client
  remove_peer_ns outside
}

# --- Published ports ------------------------------------------------------------

test_udp_port_is_published() {
  fresh_root
  expect_ok md network create dns
  expect_ok md run -d --name udp53 --net dns -p 5353:53/udp -v /:/host:ro busybox \
    chroot /host python3 -u -c "$UDP_SERVER"
  local ip
  ip=$(ip_of udp53 dns)
  wait_until 10 eval 'md logs udp53 | grep -q listening'
  expect_contains "$(ps_row udp53)" "0.0.0.0:5353->53/udp" "ps"
  expect_eq "udp_any 5353 -> $ip:53" "$(dnat_elements)" "published ports in nftables"
  expect_ok udp_ask 127.0.0.1 5353 "hello-$$"
  expect_eq "pong hello-$$" "$OUT" "the answer to a datagram to 127.0.0.1:5353"
  expect_contains "$(md logs udp53)" "got hello-$$ from" "the server's log"
  # From another machine, through the host's address, with its own source.
  make_peer_ns client cl-host 10.99.0.1 10.99.0.2
  expect_ok udp_ask client 10.99.0.1 5353 "remote-$$"
  expect_eq "pong remote-$$" "$OUT" "the answer to a datagram from the client"
  expect_contains "$(md logs udp53)" "got remote-$$ from 10.99.0.2" "the server's log"
  # Only UDP is published: TCP 5353 finds nobody.
  expect_exit 7 curl -s -m 2 http://127.0.0.1:5353/
  expect_ok md rm -f udp53
  expect_eq "" "$(dnat_elements)" "published ports after rm"
  expect_eq "{}" "$(allocations dns)" "allocations after rm"
  expect_ok md network rm dns
}

# route_localnet on the bridges (for 127.0.0.1:PORT to reach published
# ports) must not let a container reach the host's own loopback services
# (CVE-2020-8558): a frame it crafts to 127.0.0.1 through the gateway is
# dropped, while the host's own 127.0.0.1:PORT still reaches a container.
test_containers_cannot_reach_the_hosts_loopback() {
  fresh_root
  expect_ok md network create guarded
  python3 -u -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 7777))
s.settimeout(4)
try:
  print("received", s.recvfrom(100)[0].decode())
except socket.timeout:
  print("nothing")' > listener.out &
  _helper_pids+=($!)
  sleep 0.3
  # The host's python3 and the fixture, through its whole file system.
  expect_ok md run --rm --net guarded -v /:/host:ro \
    busybox sh -c 'gw=$(ip route | awk "/default/ {print \$3}")
      me=$(ip -4 -o addr show eth0 | awk "{print \$4}" | cut -d/ -f1)
      ping -c 1 -W 1 "$gw" > /dev/null
      chroot /host python3 "$1" "$gw" "$me" 7777' sh "$HARNESS_DIR/fixtures/raw_to_loopback.py"
  expect_eq sent "$OUT" "the crafted frame"
  wait "${_helper_pids[-1]}"
  expect_eq nothing "$(cat listener.out)" "what the host's 127.0.0.1:7777 received"
  expect_ok md network rm guarded
}

test_port_conflicts_are_refused_without_leaks() {
  fresh_root
  expect_ok md run -d --name first -p 8080:80 nginx
  wait_until 10 curl -sf -o /dev/null http://127.0.0.1:8080/
  local veths0 alloc0 dnat0
  veths0=$(veths)
  alloc0=$(allocations bridge)
  dnat0=$(dnat_elements)
  expect_eq 1 "$(wc -l <<< "$veths0")" "veths with one container"

  expect_exit 125 md run -d --name second -p 8080:80 nginx
  expect_one_line_error "Bind for 0.0.0.0:8080 failed: port is already allocated"
  # As with dockerd, the container is created but not started; nothing of
  # its network is left.
  expect_contains "$(ps_row second)" "Created" "second in ps -a"
  expect_eq "$veths0" "$(veths)" "veths after the refused run"
  expect_eq "$alloc0" "$(allocations bridge)" "allocations after the refused run"
  expect_eq "$dnat0" "$(dnat_elements)" "published ports after the refused run"
  expect_contains "$(curl -s -m 5 http://127.0.0.1:8080/)" "$WELCOME" "the first container's page"
  # Once the port is free, the created one starts and takes it.
  expect_ok md rm -f first
  expect_ok md start second
  wait_until 10 curl -sf -o /dev/null http://127.0.0.1:8080/
  expect_ok md rm -f second

  # A port a host process listens on.
  python3 -c 'import socket, time
s = socket.socket(); s.bind(("0.0.0.0", 8181)); s.listen(); print("ready", flush=True); time.sleep(60)' \
    > listener.log &
  _helper_pids+=($!)
  wait_until 10 grep -qs ready listener.log
  veths0=$(veths)
  alloc0=$(allocations bridge)
  expect_exit 125 md run -d --name third -p 8181:80 nginx
  expect_one_line_error "already in use"
  expect_contains "$ERR" "8181"
  expect_eq "$veths0" "$(veths)" "veths after the refused run"
  expect_eq "$alloc0" "$(allocations bridge)" "allocations after the refused run"
  expect_eq "" "$(dnat_elements)" "published ports after the refused run"
  expect_ok md rm -f third
  remove_default_bridge
}

test_publish_forms_host_address_ephemeral_and_hairpin() {
  fresh_root
  expect_ok md network create pubs
  expect_ok md run -d --name local --net pubs -p 127.0.0.1:8081:80 -p 8082:80 nginx
  expect_ok md run -d --name all --net pubs -P nginx
  local local_ip all_ip gw eph
  local_ip=$(ip_of local pubs)
  all_ip=$(ip_of all pubs)
  gw=$(md network inspect pubs | jq -r '.[0].IPAM.Config[0].Gateway')
  # -P publishes the image's EXPOSE 80 on the first ephemeral port.
  eph=$(md inspect all | jq -r '.[0].NetworkSettings.Ports["80/tcp"][0].HostPort')
  expect_eq 49153 "$eph" "the host port -P picked"
  expect_contains "$(ps_row all)" "0.0.0.0:49153->80/tcp" "ps"
  expect_contains "$(ps_row local)" "0.0.0.0:8082->80/tcp, 127.0.0.1:8081->80/tcp" "ps"
  expect_eq "$(printf '%s\n' "tcp_any 49153 -> $all_ip:80" "tcp_any 8082 -> $local_ip:80" \
    "tcp_ip 127.0.0.1:8081 -> $local_ip:80")" "$(dnat_elements)" "published ports in nftables"

  wait_until 10 curl -sf -o /dev/null http://127.0.0.1:8081/
  wait_until 10 curl -sf -o /dev/null http://127.0.0.1:49153/
  expect_contains "$(curl -s -m 5 http://127.0.0.1:8082/)" "$WELCOME" "curl http://127.0.0.1:8082/"
  make_peer_ns client cl-host 10.99.0.1 10.99.0.2
  expect_ok ip netns exec client curl -s -m 5 http://10.99.0.1:49153/
  expect_contains "$OUT" "$WELCOME" "curl from the client to the -P port"
  # Bound to 127.0.0.1: not published on the host's other addresses.
  expect_fails ip netns exec client curl -s -m 2 http://10.99.0.1:8081/
  # A container reaches a published port (its own network's) through the
  # host's address on the bridge, and through the host's other addresses.
  expect_ok md exec all wget -qO- "http://$gw:8082/"
  expect_contains "$OUT" "$WELCOME" "wget http://$gw:8082/ from a container"
  expect_ok md exec all wget -qO- http://10.99.0.1:8082/
  expect_contains "$OUT" "$WELCOME" "wget http://10.99.0.1:8082/ from a container"
  expect_ok md rm -f local all
  expect_eq "" "$(dnat_elements)" "published ports after rm"
  expect_ok md network rm pubs
  expect_eq "" "$(nft list ruleset)" "nftables at the end"
}

test_network_prune_removes_only_unused_networks() {
  fresh_root
  expect_ok md network create used
  expect_ok md network create unused1
  expect_ok md network create unused2
  expect_ok md run -d --name user --net used busybox sleep 60
  expect_ok md network prune -f
  expect_eq "$(printf 'Deleted Networks:\nunused1\nunused2')" "$OUT" "network prune output"
  expect_ok md network ls --format json
  expect_eq "bridge host none used" "$(jq -r .Name <<< "$OUT" | sort | xargs)" "networks after prune"
  expect_ok md network ls --format '{{.Name}}/{{.Driver}}'
  expect_eq "bridge/bridge host/host none/null used/bridge" "$(sort <<< "$OUT" | xargs)" \
    "network ls with a template"
  expect_eq "" "$(ip -o link show | grep -E 'br-[0-9a-f]{12}' | grep -v "br-$(net_id used | cut -c1-12)" || true)" \
    "bridges of the pruned networks"
  expect_ok md rm -f user
  expect_ok md network prune -f
  expect_eq "$(printf 'Deleted Networks:\nused')" "$OUT" "network prune output"
  expect_eq "" "$(ip -o link show | grep -E 'br-[0-9a-f]{12}' || true)" "bridges after the last prune"
  expect_eq "" "$(nft list ruleset)" "nftables at the end"
}

# --- Addresses ------------------------------------------------------------------

test_full_subnet_refuses_the_next_container() {
  fresh_root
  expect_ok md network create --subnet 10.10.0.0/30 tiny
  expect_eq '[{"Gateway":"10.10.0.1","Subnet":"10.10.0.0/30"}]' \
    "$(md network inspect tiny | jq -c '.[0].IPAM.Config')" "IPAM.Config"
  expect_ok md run -d --name t1 --net tiny busybox sleep 60
  local id1=$OUT veths0
  expect_eq 10.10.0.2 "$(ip_of t1 tiny)" "the only address"
  veths0=$(veths)
  expect_exit 125 md run -d --name t2 --net tiny busybox sleep 60
  expect_one_line_error "no available IPv4 addresses"
  running t1 || _fail "t1 stopped"
  ! running t2 || _fail "t2 is running"
  expect_eq "{\"10.10.0.2\":\"$id1\"}" "$(allocations tiny)" "allocations"
  expect_eq "$veths0" "$(veths)" "veths after the refused run"
  expect_eq 1 "$(md network inspect tiny | jq '.[0].Containers | length')" "containers in network inspect"
  expect_ok md rm -f t1 t2
  expect_eq "{}" "$(allocations tiny)" "allocations after rm"
  expect_ok md network rm tiny
  expect_eq "" "$(veths)" "veths at the end"
}

test_twenty_parallel_runs_get_distinct_addresses() {
  fresh_root
  local links0 i pids=() rc names=()
  links0=$(link_names)
  expect_ok md network create crowd
  for i in $(seq 20); do
    names+=("c$i")
    md run -d --name "c$i" --net crowd -p 80 busybox sleep 60 > "out.$i" 2> "err.$i" &
    pids+=($!)
  done
  for i in $(seq 20); do
    rc=0
    wait "${pids[$((i - 1))]}" || rc=$?
    ((rc == 0)) || _fail "run $i exited $rc: $(cat "err.$i")"
  done
  expect_eq 20 "$(md ps -q | wc -l)" "running containers"
  local addrs
  addrs=$(md network inspect crowd | jq -r '.[0].Containers[].IPv4Address' | sort -u)
  expect_eq 20 "$(wc -l <<< "$addrs")" "distinct addresses in network inspect: $addrs"
  expect_eq 20 "$(allocations crowd | jq length)" "IPAM allocations"
  expect_eq 20 "$(veths | wc -l)" "veths"
  # Each got its own ephemeral host port.
  local ports
  ports=$(md inspect "${names[@]}" | jq -r '.[].NetworkSettings.Ports["80/tcp"][0].HostPort' | sort -u)
  expect_eq 20 "$(grep -c '^[0-9]' <<< "$ports")" "distinct host ports: $ports"
  expect_eq 20 "$(dnat_elements | grep -c '^tcp_any ')" "published ports in nftables"

  expect_ok md rm -f "${names[@]}"
  expect_eq "" "$(veths)" "veths after rm -f"
  expect_eq "" "$(dnat_elements)" "published ports after rm -f"
  expect_eq "{}" "$(allocations crowd)" "IPAM allocations after rm -f"
  expect_eq "{}" "$(jq -c . "$(net_dir crowd)/endpoints.json")" "endpoints after rm -f"
  expect_ok md network rm crowd
  expect_eq "$links0" "$(link_names)" "links at the end"
  expect_eq "" "$(nft list ruleset)" "nftables at the end"
}

test_run_rm_releases_its_network() {
  fresh_root
  expect_ok md network create brief
  expect_ok md run -d --name stay --net brief busybox sleep 60
  local veths0 alloc0 hosts0 i
  veths0=$(veths)
  alloc0=$(allocations brief)
  hosts0=$(hosts_block stay brief)
  # When `run --rm` returns, the container's address and its line in its
  # peers' hosts files are gone. Its veth goes with its network namespace
  # a few ms later: the kernel deletes it in the background once the
  # container's last process is gone (deleting it ourselves would take
  # 15-20 ms under the rtnl lock), where dockerd answers only after
  # deleting it. Many times, since a late teardown is a race.
  for i in $(seq 40); do
    expect_ok md run --rm --net brief busybox true
    expect_eq "$alloc0" "$(allocations brief)" "allocations right after run --rm #$i"
    expect_eq "$hosts0" "$(hosts_block stay brief)" "stay's hosts block right after run --rm #$i"
    wait_until 1 eval '[[ "$(veths)" == "$veths0" ]]'
    expect_eq "$veths0" "$(veths)" "veths within 1 s of run --rm #$i"
  done
  expect_ok md rm -f stay
  expect_ok md network rm brief
}

# The kernel state of a network is made again when a container needs it:
# its rules after a firewall reload (the bridge stays, the ruleset goes),
# everything after a reboot (simulated: bridge and table deleted).
test_kernel_state_is_made_again_when_missing() {
  fresh_root
  local links0 nft0 net
  links0=$(link_names)
  nft0=$(nft list ruleset)
  expect_ok md network create again
  net=$(net_id again)
  serve() {
    expect_ok md run -d --name web --net again -p 92:80 nginx
    wait_until 10 curl -sf -o /dev/null http://127.0.0.1:92/
    expect_contains "$(curl -s -m 5 http://127.0.0.1:92/)" "$WELCOME" "$1"
    expect_ok md rm -f web
  }
  serve "curl http://127.0.0.1:92/ at first"

  nft flush ruleset  # A firewall reload.
  serve "curl http://127.0.0.1:92/ after nft flush ruleset"
  expect_contains "$(nft list table ip mydocker)" "chain net-${net:0:12}" "the network's chains, made again"

  ip link del "br-${net:0:12}"  # A reboot.
  nft delete table ip mydocker
  serve "curl http://127.0.0.1:92/ after the bridge and the rules were gone"
  local gw subnet
  gw=$(jq -r .Gateway "$(net_dir again)/ipam.json")
  subnet=$(jq -r .Subnet "$(net_dir again)/ipam.json")
  expect_eq "$gw/${subnet#*/}" "$(ip -o -4 addr show dev "br-${net:0:12}" | awk '{print $4}')" \
    "the bridge's address, made again"

  expect_ok md network rm again
  expect_eq "$links0" "$(link_names)" "links at the end"
  expect_eq "$nft0" "$(nft list ruleset)" "nftables at the end"
}

# --- Crashes -----------------------------------------------------------------------

test_killed_monitor_then_ps_releases_the_network() {
  fresh_root
  expect_ok md network create crashy
  expect_ok md run -d --name orphan --net crashy -p 9000:80 nginx
  local id=$OUT pid mon ip
  ip=$(ip_of orphan crashy)
  expect_eq "tcp_any 9000 -> $ip:80" "$(dnat_elements)" "published ports"
  expect_eq 1 "$(veths | wc -l)" "veths"
  pid=$(md inspect orphan | jq -r '.[0].State.Pid')
  mon=$(jq -r .MonitorPid "$MYDOCKER_ROOT/mydocker/containers/$id/state.json")
  expect_eq "$mon" "$(awk '$1 == "PPid:" {print $2}' "/proc/$pid/status")" "the monitor is the parent"
  kill -9 "$mon"
  wait_until 5 eval "[[ ! -e /proc/$mon/stat ]] || grep -qs '^[0-9]* ([^)]*) Z' /proc/$mon/stat"
  expect_contains "$(ps_row orphan)" "Exited (137)" "ps -a after the monitor died"
  expect_eq "" "$(veths)" "veths after ps repaired the container"
  expect_eq "" "$(dnat_elements)" "published ports after ps repaired the container"
  expect_eq "{}" "$(allocations crashy)" "IPAM allocations after ps repaired the container"
  expect_eq "{}" "$(jq -c . "$(net_dir crashy)/endpoints.json")" "endpoints after ps repaired the container"
  expect_eq 0 "$(jq length "$MYDOCKER_ROOT/mydocker/ports.json")" "entries in ports.json"
  expect_ok md rm orphan
  remove_cgroups "$id"
  expect_ok md network rm crashy
  expect_eq "" "$(nft list ruleset)" "nftables at the end"
}

# --- Errors ---------------------------------------------------------------------------

# A container whose monitor was killed still has its DNAT element; before
# anything repairs it, the next container asking for its port gets the port
# and the traffic, and the repair later leaves the new mapping alone.
test_port_of_a_killed_container_goes_to_the_next() {
  fresh_root
  expect_ok md network create heirs
  expect_ok md run -d --name orphan --net heirs -p 9001:80 nginx
  local id=$OUT mon ip
  mon=$(jq -r .MonitorPid "$MYDOCKER_ROOT/mydocker/containers/$id/state.json")
  kill -9 "$mon"
  wait_until 5 eval "[[ ! -e /proc/$mon/stat ]] || grep -qs '^[0-9]* ([^)]*) Z' /proc/$mon/stat"
  # No ps, no rm: the orphan is not repaired yet.
  expect_ok md run -d --name heir --net heirs -p 9001:80 nginx
  ip=$(ip_of heir heirs)
  expect_eq "tcp_any 9001 -> $ip:80" "$(dnat_elements)" "the published port, taken over"
  wait_until 10 curl -sf -o /dev/null http://127.0.0.1:9001/
  expect_ok md logs heir
  local before=$OUT
  expect_ok curl -s -m 5 http://127.0.0.1:9001/
  expect_ok md logs heir
  [[ ${#OUT} -gt ${#before} ]] || _fail "the request did not reach heir"
  expect_contains "$(ps_row orphan)" "Exited (137)" "ps -a repairs the orphan"
  expect_eq "tcp_any 9001 -> $ip:80" "$(dnat_elements)" "the heir's mapping after the repair"
  expect_ok md rm -f heir orphan
  remove_cgroups "$id"
  expect_eq "" "$(dnat_elements)" "published ports at the end"
  expect_ok md network rm heirs
}

test_bad_input_is_refused_and_creates_nothing() {
  fresh_root
  expect_ok md network create --subnet 10.10.0.0/24 taken
  local ls0 links0
  ls0=$(md network ls)
  links0=$(link_names)

  expect_exit 1 md network create --subnet 10.10.0.0/16 overlapping
  expect_one_line_error "overlaps"
  expect_exit 1 md network create --subnet 10.20.0.0/24 --gateway 10.30.0.1 badgw
  expect_one_line_error "no matching subnet for gateway 10.30.0.1"
  expect_exit 1 md network create --subnet 10.21.0.0/24 taken
  expect_one_line_error "network with name taken already exists"
  expect_exit 1 md network create --subnet 10.22.0.0/33 badcidr
  expect_one_line_error "invalid CIDR address: 10.22.0.0/33"
  expect_exit 1 md network create --subnet notacidr badcidr
  expect_one_line_error "invalid CIDR address: notacidr"
  expect_exit 1 md network create -d overlay ov
  expect_one_line_error '"overlay"'
  expect_eq "$ls0" "$(md network ls)" "network ls after the refused creates"
  expect_eq "$links0" "$(link_names)" "links after the refused creates"

  expect_exit 125 md run --net nosuch busybox true
  expect_one_line_error "network nosuch not found"
  expect_ok md ps -a -q
  expect_eq "" "$OUT" "ps -a -q after run --net nosuch"

  expect_ok md run -d --name busy --net taken busybox sleep 60
  expect_exit 1 md network rm taken
  expect_one_line_error "busy"
  expect_contains "$(md network ls)" " taken " "network ls after the refused rm"
  running busy || _fail "network rm stopped busy"
  expect_exit 1 md network rm bridge
  expect_one_line_error "pre-defined network"
  expect_exit 1 md network rm nosuch
  expect_one_line_error "nosuch"
  expect_ok md rm -f busy
  expect_ok md network rm taken
  expect_eq "" "$(nft list ruleset)" "nftables at the end"
}

# --- connect / disconnect ----------------------------------------------------------

test_connect_gives_eth1_and_disconnect_removes_it() {
  fresh_root
  local links0
  links0=$(link_names)
  expect_ok md network create --subnet 10.61.0.0/24 front
  expect_ok md network create --subnet 10.62.0.0/24 back
  expect_ok md run -d --name app --net front --dns 127.0.0.1 busybox sleep 60
  expect_ok md run -d --name db --net back nginx
  local db_ip app_ip
  db_ip=$(ip_of db back)
  expect_fails md exec app ping -c1 -W1 db

  expect_ok md network connect back app
  app_ip=$(ip_of app back)
  [[ $app_ip == 10.62.0.* ]] || _fail "app's address on back: '$app_ip'"
  expect_ok md exec app ip -o -4 addr show eth1
  expect_contains "$OUT" "inet $app_ip/24" "eth1"
  expect_ok md exec app cat /sys/class/net/eth1/address
  expect_eq "$(docker_mac "$app_ip")" "$OUT" "eth1's MAC"
  expect_eq '["back","front"]' "$(md inspect app | jq -c '.[0].NetworkSettings.Networks | keys')" "app's networks"
  expect_contains "$(md network inspect back | jq -r '.[0].Containers[].Name')" app "back's containers"
  wait_until 10 md exec app wget -q -O /dev/null http://db/
  expect_ok md exec app wget -qO- http://db/
  expect_contains "$OUT" "$WELCOME" "wget http://db/ from app"
  expect_eq "$(printf '%s\tapp %s' "$app_ip" "$(cid app | cut -c1-12)")" "$(hosts_block db back)" "db's hosts block"

  expect_ok md network disconnect back app
  expect_fails md exec app ip addr show eth1
  expect_eq '["front"]' "$(md inspect app | jq -c '.[0].NetworkSettings.Networks | keys')" "app's networks"
  expect_eq "{\"$db_ip\":\"$(cid db)\"}" "$(allocations back)" "back's allocations"
  expect_eq "" "$(hosts_block db back)" "db's hosts block"
  expect_fails md exec app ping -c1 -W1 db
  expect_eq 2 "$(veths | wc -l)" "veths"

  # Again, with an address of our choosing.
  expect_ok md network connect --ip 10.62.0.77 back app
  expect_ok md exec app ip -o -4 addr show eth1
  expect_contains "$OUT" "inet 10.62.0.77/24" "eth1 with --ip"
  expect_ok md rm -f app db
  expect_ok md network rm front back
  expect_eq "$links0" "$(link_names)" "links at the end"
  expect_eq "" "$(nft list ruleset)" "nftables at the end"
}

# --- The default bridge -------------------------------------------------------------

test_default_bridge() {
  fresh_root
  local subnet gw prefix links0
  links0=$(link_names)
  subnet=$(md network inspect bridge | jq -r '.[0].IPAM.Config[0].Subnet')
  gw=$(md network inspect bridge | jq -r '.[0].IPAM.Config[0].Gateway')
  [[ $subnet =~ ^([0-9]+\.[0-9]+)\.0\.0/16$ ]] || _fail "the default bridge's subnet: '$subnet'"
  prefix=${BASH_REMATCH[1]}
  expect_eq "$prefix.0.1" "$gw" "the default bridge's gateway"

  expect_ok md run --rm busybox sh -c 'ip -o -4 addr show eth0; cat /sys/class/net/eth0/address; ip route'
  local inet ip
  inet=$(awk '$2 == "eth0" && $3 == "inet" {print $4}' <<< "$OUT")
  [[ $inet == "$prefix".*/16 ]] || _fail "eth0's address: '$inet' (output: $OUT)"
  ip=${inet%/16}
  expect_contains "$OUT" "$(docker_mac "$ip")" "eth0's MAC"
  expect_contains "$OUT" "default via $gw dev eth0" "routes"
  expect_eq "$gw/16" "$(ip -o -4 addr show dev mydocker0 | awk '{print $4}')" "mydocker0's address"
  # (The veth goes a few ms after run --rm returns: test_run_rm_releases_its_network.)
  wait_until 2 eval '[[ -z $(veths) ]]'
  expect_eq "{}" "$(allocations bridge)" "allocations after run --rm"
  remove_default_bridge
  expect_eq "$links0" "$(link_names)" "links at the end"
}

run_suite
umount /run/netns
