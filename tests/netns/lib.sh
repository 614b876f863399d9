# SPDX-License-Identifier: ISC
#
# The harness every tests/netns/t_*.sh sources: two network namespaces
# joined by a veth pair, key and config generation, daemon start/stop,
# JSON queries through ipcpctl, a bounded wait_until, and cleanup in an
# EXIT trap.  Modelled on WireGuard's
# tools/testing/selftests/wireguard/netns.sh.
#
#   $NS_A (alpha)                               $NS_B (beta)
#  ┌─────────────────────────────┐             ┌─────────────────────────────┐
#  │ ipcpd alpha                 │             │ ipcpd beta                  │
#  │   listens 10.201.0.1:5000   │◀── dials ───│   endpoint 10.201.0.1:5000  │
#  │ ipcp-beta  10.77.0.1/32     │             │ ipcp-alpha 10.77.0.2/32     │
#  │            fd77::1/128      │             │            fd77::2/128      │
#  │ veth0 10.201.0.1/24 ────────┼─────────────┼──── veth0 10.201.0.2/24     │
#  │       fd01::1/64            │             │       fd01::2/64            │
#  └─────────────────────────────┘             └─────────────────────────────┘
#
# Each ipcpd routes the other's overlay addresses via its ipcp-<peer> TUN
# once the session is up (`ip route show proto 158').  The two daemons
# share the filesystem, so each gets its own control socket in $TMP.
#
# A test calls setup_topology, then e.g. make_keys, write_configs,
# start_daemons, wait_up, does its checks with fail/pass.  Every helper
# is bounded in time; nothing sleeps to synchronise.

set -u
set -o pipefail

T_NAME=$(basename "$0" .sh)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IPCP_BUILD=${IPCP_BUILD:-$ROOT/build}
[ -d "$IPCP_BUILD" ] && IPCP_BUILD=$(cd "$IPCP_BUILD" && pwd)
IPCPD=$IPCP_BUILD/ipcpd
IPCPCTL=$IPCP_BUILD/ipcpctl
IPCPFWD=$IPCP_BUILD/ipcp-fwd

# Unique per run, so tests of several people can run side by side.
PFX=${IPCP_NT_PFX:-nt$$}
NS_A=${PFX}a
NS_B=${PFX}b
IP_A=10.201.0.1
IP_B=10.201.0.2
IP6_A=fd01::1
IP6_B=fd01::2
OV_A=10.77.0.1
OV_B=10.77.0.2
OV6_A=fd77::1
OV6_B=fd77::2
PORT=5000
RTPROT=158
# dead-after of the standard two-node configs (write_conf).
STD_DEAD_AFTER=4

# Daemons this test started: name -> pid.
declare -A DPID=()
# Every pid this test started (daemons, iperf3, helpers), for cleanup.
MY_PIDS=()
# Every network namespace this test made, for cleanup.
MY_NS=()
TMP=$(mktemp -d "/tmp/ipcp-${PFX}.XXXXXX")
chmod 755 "$TMP"

# Debian's own python, where it is: a python3 earlier in PATH may be a
# version manager's shim that takes a third of a second to start, and the
# helpers below run python for every query.
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=$(command -v python3)
python3() { "$PYTHON" "$@"; }

# For a background job use `ip netns exec' itself, so that $! is the
# program and not a subshell running the function.
n1() { ip netns exec "$NS_A" "$@"; }
n2() { ip netns exec "$NS_B" "$@"; }

info() { printf '  %s: %s\n' "$T_NAME" "$*"; }

# grep -q that reads all its input.  Under pipefail, `cmd | grep -q x'
# fails when grep has seen enough and quits before cmd writes its last
# line: cmd dies of SIGPIPE, and the pipeline with it.
match() { grep "$@" >/dev/null; }

# The tail of every daemon log, to stderr, when something went wrong.
dump_logs() {
	local f
	for f in "$TMP"/*.log; do
		[ -s "$f" ] || continue
		echo "---- ${f##*/} (last 25 lines)" >&2
		tail -n 25 "$f" | sed 's/^/    /' >&2
	done
}

fail() {
	echo "FAIL $T_NAME: $*"
	dump_logs
	exit 1
}

pass() {
	echo "PASS $T_NAME"
	exit 0
}

# Microseconds since the epoch (bash 5).
now_us() { local t=${EPOCHREALTIME//[!0-9]/}; echo "$t"; }

# wait_until SECONDS CMD...: run CMD every 0.1 s until it succeeds (0) or
# SECONDS pass (1).
wait_until() {
	local end=$(( $(now_us) + $1 * 1000000 ))
	shift
	while :; do
		"$@" && return 0
		[ "$(now_us)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# Gone, or a zombie waiting to be reaped: either way no longer running.
proc_gone() {
	local st
	[ -e "/proc/$1" ] || return 0
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
	[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}

proc_alive() { ! proc_gone "$1"; }

# The process is still the program we think it is (pids get reused).
proc_is() {
	local exe
	exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
	[ "${exe##*/}" = "$2" ]
}

# Stop pid $1 that we started: SIGTERM, a bounded wait, then SIGKILL.
stop_pid() {
	local pid=$1
	proc_gone "$pid" && return 0
	kill -TERM "$pid" 2>/dev/null
	wait_until 5 proc_gone "$pid" && return 0
	kill -KILL "$pid" 2>/dev/null
	wait_until 5 proc_gone "$pid"
}

# reap PID SECS: wait up to SECS for PID, a child of this shell, to end;
# its exit status, or 124 (after stopping it) if it did not.
reap() {
	local rc
	wait_until "$2" proc_gone "$1" || { stop_pid "$1"; forget_pid "$1"; \
	    return 124; }
	wait "$1"
	rc=$?
	forget_pid "$1"
	return $rc
}

# CPU time (user + system) of a process so far, in milliseconds.
CLK_TCK=$(getconf CLK_TCK)
cpu_ms() {
	# Fields after the command name, which may hold spaces.
	local stat
	stat=$(<"/proc/$1/stat")
	set -- ${stat##*) }
	echo $(( (${12} + ${13}) * 1000 / CLK_TCK ))
}

# The adversary of the denial-of-service tests (tests/tools/).
ATTACK=$IPCP_BUILD/tests/ipcp-attack
need_attack() {
	[ -x "$ATTACK" ] || fail "$ATTACK not built (make netns builds it)"
}

# Built with SANITIZE=1: ASan and UBSan make it 2-3 times slower, which
# bounds on CPU time (t_hsflood, t_ctlflood) must allow for.
sanitized() { ldd "$IPCPD" 2>/dev/null | match libasan; }

# A sanitizer's report in any daemon log (make check SANITIZE=1) fails
# the test, even one from a forwarder that ipcpd then replaced and that
# the test's own checks never noticed.  Forwarders write to ipcpd's
# stderr, so every report lands in a log here.
SAN_RE='ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error: '
sanitizer_reports() {
	local f bad=0
	for f in "$TMP"/*.log; do
		[ -f "$f" ] && grep -Eq "$SAN_RE" "$f" || continue
		echo "FAIL $T_NAME: sanitizer report in ${f##*/}"
		grep -E -A 30 "$SAN_RE" "$f" | head -n 60 | sed 's/^/    /' >&2
		bad=1
	done
	return "$bad"
}

cleanup() {
	local rc=$? pid ns
	trap - EXIT
	set +e
	for pid in "${MY_PIDS[@]}"; do
		stop_pid "$pid"
		wait "$pid" 2>/dev/null
	done
	# Forwarders are ipcpd's children; ipcpd stops them, but a crashed
	# ipcpd must not leave them behind.
	# (Forwarder pids seen through ipcpctl are in $TMP/fwd_seen.)
	for pid in $(sort -u "$TMP/fwd_seen" 2>/dev/null); do
		proc_is "$pid" ipcp-fwd && kill -KILL "$pid" 2>/dev/null
	done
	# Whatever else still runs inside our namespaces is ours too.
	for ns in "${MY_NS[@]}"; do
		ip netns pids "$ns" 2>/dev/null |
		    xargs -r kill -KILL 2>/dev/null
	done
	for ns in "${MY_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	sanitizer_reports || rc=1
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

need_root() {
	[ "$(id -u)" = 0 ] || fail "must run as root"
	local b
	for b in "$IPCPD" "$IPCPCTL" "$IPCPFWD"; do
		[ -x "$b" ] || fail "$b not built (make all, or set IPCP_BUILD)"
	done
}

# Forwarders run as `nobody' here, and routes are matched by protocol
# number: the tests neither need nor create the `ipcp' user or files
# under /etc, so they pass the same on a fresh machine and on one where
# an earlier run (or an install) left them.
FWD_USER=nobody

setup_topology() {
	need_root
	ip netns add "$NS_A" || fail "ip netns add $NS_A"
	MY_NS+=("$NS_A")
	ip netns add "$NS_B" || fail "ip netns add $NS_B"
	MY_NS+=("$NS_B")
	n1 ip link set lo up
	n2 ip link set lo up
	ip link add veth0 netns "$NS_A" type veth peer name veth0 \
	    netns "$NS_B" || fail "cannot create veth pair"
	n1 ip addr add "$IP_A/24" dev veth0
	n2 ip addr add "$IP_B/24" dev veth0
	n1 ip addr add "$IP6_A/64" dev veth0 nodad
	n2 ip addr add "$IP6_B/64" dev veth0 nodad
	n1 ip link set veth0 up
	n2 ip link set veth0 up
	wait_until 5 n1 ping -c 1 -W 1 "$IP_B" >/dev/null ||
	    fail "veth between the namespaces does not work"
}

# make_keys NAME...: $TMP/NAME.key (private) and $TMP/NAME.pub.
make_keys() {
	local n
	for n in "$@"; do
		(umask 077; "$IPCPCTL" genkey >"$TMP/$n.key") ||
		    fail "ipcpctl genkey"
		"$IPCPCTL" pubkey <"$TMP/$n.key" >"$TMP/$n.pub" ||
		    fail "ipcpctl pubkey"
	done
}

pubkey() { cat "$TMP/$1.pub"; }

sock() { echo "$TMP/$1.sock"; }

# write_conf NODE KEYNODE ADDRS LISTEN PEER PEERKEY PEERALLOWED ENDPOINT PSK
# Writes $TMP/NODE.conf.  KEYNODE names the private key file to use and
# PEERKEY the public key written for the peer (so tests can mismatch
# them); ENDPOINT and PSK may be empty.
write_conf() {
	local node=$1 keynode=$2 addrs=$3 listen=$4 peer=$5 peerkey=$6
	local allowed=$7 endpoint=$8 psk=$9
	{
		echo "# $T_NAME: $node"
		echo "[node]"
		echo "name = $node"
		echo "private-key = $TMP/$keynode.key"
		[ -n "$listen" ] && echo "listen = $listen"
		echo "address = $addrs"
		echo "user = $FWD_USER"
		echo "control = $(sock "$node")"
		echo "heartbeat-interval = 1"
		echo "dead-after = $STD_DEAD_AFTER"
		echo
		echo "[peer $peer]"
		echo "public-key = $peerkey"
		[ -n "$endpoint" ] && echo "endpoint = $endpoint"
		[ -n "$psk" ] && echo "psk = $psk"
		echo "allowed-ips = $allowed"
	} >"$TMP/$node.conf"
}

# The standard pair: alpha listens, beta dials.  Optional: $1 a psk file
# for alpha, $2 one for beta, $3 the key file beta really uses.
write_configs() {
	local psk_a=${1:-} psk_b=${2:-} bkey=${3:-beta}
	write_conf alpha alpha "$OV_A/32, $OV6_A/128" "$IP_A:$PORT" \
	    beta "$(pubkey beta)" "$OV_B/32, $OV6_B/128" "" "$psk_a"
	write_conf beta "$bkey" "$OV_B/32, $OV6_B/128" "" \
	    alpha "$(pubkey alpha)" "$OV_A/32, $OV6_A/128" "$IP_A:$PORT" \
	    "$psk_b"
}

# start_daemon NODE NETNS: ipcpd -d in the background, logging to
# $TMP/NODE.log.  `ip netns exec' execs, so $! is ipcpd itself.
start_daemon() {
	local node=$1 ns=$2 pid
	ip netns exec "$ns" "$IPCPD" -d -v -c "$TMP/$node.conf" \
	    </dev/null >>"$TMP/$node.log" 2>&1 &
	pid=$!
	DPID[$node]=$pid
	MY_PIDS+=("$pid")
	# Answering, not just there: a killed ipcpd leaves its socket file,
	# and `ip netns exec' may not have exec'd ipcpd yet.
	wait_until 10 eval 'proc_is "$pid" ipcpd &&
	    ctl "$node" status >/dev/null 2>&1' ||
	    fail "$node: pid $pid is no ipcpd answering on $(sock "$node")" \
	    "after 10 s (exited?)"
}

start_daemons() {
	start_daemon alpha "$NS_A"
	start_daemon beta "$NS_B"
}

# stop_daemon NODE: SIGTERM and a bounded wait.  Sets STOP_RC to ipcpd's
# exit status, or "timeout".  (Not for $(...): only this shell can reap.)
STOP_RC=
stop_daemon() {
	local pid=${DPID[$1]}
	kill -TERM "$pid" 2>/dev/null
	reap "$pid" 10
	STOP_RC=$?
	[ "$STOP_RC" != 124 ] || { STOP_RC=timeout; return 1; }
}

forget_pid() {
	local p keep=()
	for p in "${MY_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	MY_PIDS=("${keep[@]}")
}

daemons_alive() {
	local n
	for n in "$@"; do
		proc_alive "${DPID[$n]}" || return 1
	done
}

# ctl NODE ARGS...: ipcpctl against NODE's socket.
ctl() {
	local node=$1
	shift
	"$IPCPCTL" -s "$(sock "$node")" "$@"
}

# peer_field NODE PEER FIELD: one field of `ipcpctl -j peers'.
peer_field() {
	ctl "$1" -j peers 2>/dev/null | python3 -c '
import json, sys
peer, field = sys.argv[1], sys.argv[2]
for p in json.load(sys.stdin)["peers"]:
    if p.get("name") == peer:
        v = p.get(field)
        print("" if v is None else v)
        sys.exit(0)
sys.exit(1)' "$2" "$3"
}

# status_field NODE FIELD: one field of `ipcpctl -j status'.
status_field() {
	ctl "$1" -j status 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin).get(sys.argv[1])
print(json.dumps(v) if isinstance(v, (list, dict)) else v)' "$2"
}

peer_up() { [ "$(peer_field "$1" "$2" state)" = up ]; }

# Both sides see their session up.
both_up() { peer_up alpha beta && peer_up beta alpha; }

# Remember the current forwarders, for cleanup and for the tests.
fwd_pid() {
	local p
	p=$(peer_field "$1" "$2" fwd_pid) || return 1
	case $p in ''|0|*[!0-9]*) return 1 ;; esac
	echo "$p" >>"$TMP/fwd_seen"	# we may be in a $(...) subshell
	echo "$p"
}

wait_up() {
	local t=${1:-20}
	wait_until "$t" both_up ||
	    fail "session not up after ${t}s (alpha: $(peer_field alpha beta \
	    state), beta: $(peer_field beta alpha state))"
}

# A route with proto ipcp to $2 via dev $3 exists in netns $1.
has_route() {
	local fam=-4
	case $2 in *:*) fam=-6 ;; esac
	ip netns exec "$1" ip "$fam" route show proto "$RTPROT" |
	    match -E "^$2(/(32|128))? .*dev $3( |\$)"
}

# ping_ok NETNS ADDR [COUNT]
ping_ok() {
	ip netns exec "$1" ping -q -c "${3:-3}" -W 2 "$2" >/dev/null 2>&1
}

ping_all_ok() {
	ping_ok "$NS_A" "$OV_B" || fail "ping alpha -> $OV_B failed"
	ping_ok "$NS_B" "$OV_A" || fail "ping beta -> $OV_A failed"
	ping_ok "$NS_A" "$OV6_B" || fail "ping alpha -> $OV6_B failed"
	ping_ok "$NS_B" "$OV6_A" || fail "ping beta -> $OV6_A failed"
}

# The usual start: namespaces, keys, configs, both daemons, session up.
standard_setup() {
	setup_topology
	make_keys alpha beta
	write_configs
	start_daemons
	wait_up 20
}

# ---- meshes: any number of nodes -------------------------------------
#
# For tests over more than two nodes (t_mesh, t_reload, ...):
#
#	node_add alpha; node_add beta; ...	a namespace each, forwarding on
#	link_add alpha beta [METRIC]		a veth between them; alpha dials
#	node_conf alpha [EXTRA [node] LINES]	$TMP/alpha.conf from the links
#	node_start alpha			ipcpd in its namespace
#
# Node number i has overlay addresses 10.77.0.i and fd77::i and listens
# on 0.0.0.0:5000; link number l is 10.210.l.1/30 (the dialer) to
# 10.210.l.2/30.  Every peer may send MESH_ALLOWED, so transit traffic
# and announced LANs under 192.168.0.0/16 pass the source filters.

MESH_ALLOWED="10.77.0.0/16, fd77::/64, 192.168.0.0/16"
declare -A NODE_NS=() NODE_IDX=() LINK_METRIC=() LINK_IF=()
NODE_COUNT=0
LINK_COUNT=0
LINKS=()

# nx NODE CMD...: run CMD in NODE's namespace.
nx() {
	local n=$1
	shift
	ip netns exec "${NODE_NS[$n]}" "$@"
}

ov() { echo "10.77.0.${NODE_IDX[$1]}"; }
ov6() { echo "fd77::${NODE_IDX[$1]}"; }

node_add() {
	local n=$1 ns
	need_root
	NODE_COUNT=$((NODE_COUNT + 1))
	ns=${PFX}$n
	ip netns add "$ns" || fail "ip netns add $ns"
	MY_NS+=("$ns")
	NODE_NS[$n]=$ns
	NODE_IDX[$n]=$NODE_COUNT
	ip netns exec "$ns" ip link set lo up
	# A mesh node forwards for the others; the sysctl is the user's.
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 \
	    net.ipv6.conf.all.forwarding=1 net.ipv4.conf.all.rp_filter=0 \
	    net.ipv4.conf.default.rp_filter=0 >/dev/null
	make_keys "$n"
}

# link_add A B [METRIC]: A dials B over a veth of their own.
link_add() {
	local a=$1 b=$2 l
	LINK_COUNT=$((LINK_COUNT + 1))
	l=$LINK_COUNT
	ip link add "l$l" netns "${NODE_NS[$a]}" type veth peer name "l$l" \
	    netns "${NODE_NS[$b]}" || fail "veth $a-$b"
	nx "$a" ip addr add "10.210.$l.1/30" dev "l$l"
	nx "$b" ip addr add "10.210.$l.2/30" dev "l$l"
	nx "$a" ip link set "l$l" up
	nx "$b" ip link set "l$l" up
	LINKS+=("$a $b $l")
	LINK_METRIC[$a:$b]=${3:-}
	LINK_METRIC[$b:$a]=${3:-}
	LINK_IF[$a:$b]=l$l
	LINK_IF[$b:$a]=l$l
}

# veth_add A IFA ADDRA B IFB ADDRB: a veth between nodes A and B, named
# IFA and IFB on each side, with those addresses (with their lengths).
veth_add() {
	ip link add "$2" netns "${NODE_NS[$1]}" type veth peer name "$5" \
	    netns "${NODE_NS[$4]}" || fail "veth $1-$4"
	nx "$1" ip addr add "$3" dev "$2"
	nx "$4" ip addr add "$6" dev "$5"
	nx "$1" ip link set "$2" up
	nx "$4" ip link set "$5" up
}

# netns_resolv NETNS LINE: a resolv.conf of the namespace's own, which
# `ip netns exec' binds over /etc/resolv.conf, so a daemon that rewrites
# it there leaves the host's alone.  Removed with the namespace.
netns_resolv() {
	mkdir -p "/etc/netns/$1" || fail "mkdir /etc/netns/$1"
	echo "$2" >"/etc/netns/$1/resolv.conf"
}

# host_snapshot NETNS: what ipcpd may change in a namespace and must
# put back at a clean stop (routes, rules, nftables, resolv.conf, the
# forwarding and src_valid_mark sysctls); lines of its own TUNs left out, so a snapshot
# while it runs compares too, and the kernel's IPv6 link-local routes,
# which come and go with duplicate address detection, not with ipcpd.
host_snapshot() {
	{
		echo "== route"; ip netns exec "$1" ip -4 route show table all
		echo "== route6"; ip netns exec "$1" ip -6 route show table all
		echo "== rule"; ip netns exec "$1" ip -4 rule
		echo "== rule6"; ip netns exec "$1" ip -6 rule
		echo "== nft"; ip netns exec "$1" nft list ruleset
		echo "== resolv"; ip netns exec "$1" cat /etc/resolv.conf
		echo "== sysctl"; ip netns exec "$1" sh -c 'grep -H . \
		    /proc/sys/net/ipv4/conf/all/src_valid_mark \
		    /proc/sys/net/ipv4/ip_forward \
		    /proc/sys/net/ipv4/conf/*/forwarding \
		    /proc/sys/net/ipv6/conf/*/forwarding'
	} 2>&1 | grep -v -e 'dev ipcp-' -e '/ipcp-[^/]*/forwarding:' -e 'fe80:'
}

# link_cut A B / link_heal A B: the veth between them down or up.
link_cut() { nx "$1" ip link set "${LINK_IF[$1:$2]}" down; }
link_heal() {
	nx "$1" ip link set "${LINK_IF[$1:$2]}" up
	nx "$2" ip link set "${LINK_IF[$1:$2]}" up
}

# peer_section NODE OTHER DIALS LINK: one [peer] of NODE's config.
peer_section() {
	local n=$1 o=$2 dials=$3 l=$4 m=${LINK_METRIC[$1:$2]}
	echo
	echo "[peer $o]"
	echo "public-key = $(pubkey "$o")"
	[ "$dials" = 1 ] && echo "endpoint = 10.210.$l.2:$PORT"
	echo "allowed-ips = $MESH_ALLOWED"
	[ -n "$m" ] && echo "metric = $m"
}

# node_conf NODE [LINE...]: NODE's config, extra lines in [node].
node_conf() {
	local n=$1 link a b l
	shift
	{
		echo "# $T_NAME: $n"
		echo "[node]"
		echo "name = $n"
		echo "private-key = $TMP/$n.key"
		echo "listen = 0.0.0.0:$PORT"
		echo "address = $(ov "$n")/32, $(ov6 "$n")/128"
		echo "user = $FWD_USER"
		echo "control = $(sock "$n")"
		echo "heartbeat-interval = 1"
		echo "dead-after = ${DEAD_AFTER:-3}"
		for link in "$@"; do echo "$link"; done
		for link in "${LINKS[@]}"; do
			read -r a b l <<<"$link"
			[ "$a" = "$n" ] && peer_section "$n" "$b" 1 "$l"
			[ "$b" = "$n" ] && peer_section "$n" "$a" 0 "$l"
		done
	} >"$TMP/$n.conf"
}

node_start() { start_daemon "$1" "${NODE_NS[$1]}"; }

# idle_peers N [NAME]: N [peer] sections (NAME0, NAME1, ...; p0, ...)
# with fresh keys and no endpoint, for a node with many peers that never
# connect (10.78.x.y/32 each).
idle_peers() {
	python3 - "$1" "${2:-p}" <<'PY'
import base64, os, sys
for i in range(int(sys.argv[1])):
    print("[peer %s%d]" % (sys.argv[2], i))
    print("public-key = " + base64.b64encode(os.urandom(32)).decode())
    print("allowed-ips = 10.78.%d.%d/32" % (i // 250, i % 250 + 1))
PY
}

# mesh_pair A B: two nodes, B dialing A, both started and up.
mesh_pair() {
	node_add "$1"
	node_add "$2"
	link_add "$2" "$1"
	node_conf "$1"
	node_conf "$2"
	node_start "$1"
	node_start "$2"
	wait_until 20 peer_up "$1" "$2" || fail "$1-$2 did not come up"
}

# route_best NODE PREFIX: "via cost path..." of the best path, or fails.
route_best() {
	ctl "$1" -j routes 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["prefix"] == sys.argv[1] and r["best"]:
        print(r["via"], r["cost"], " ".join(r["path"]))
        sys.exit(0)
sys.exit(1)' "$2"
}

# route_is NODE PREFIX "via cost path...": the best path is that.
route_is() { [ "$(route_best "$1" "$2")" = "$3" ]; }

# kroute_dev NODE PREFIX: the device of ipcp's kernel route, if any.
kroute_dev() {
	local fam=-4
	case $2 in *:*) fam=-6 ;; esac
	nx "$1" ip "$fam" route show proto "$RTPROT" exact "$2" |
	    awk '{ for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1) }'
}
