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

# Daemons this test started: name -> pid.
declare -A DPID=()
# Every pid this test started (daemons, iperf3, helpers), for cleanup.
MY_PIDS=()
TMP=$(mktemp -d "/tmp/ipcp-${PFX}.XXXXXX")
chmod 755 "$TMP"

# For a background job use `ip netns exec' itself, so that $! is the
# program and not a subshell running the function.
n1() { ip netns exec "$NS_A" "$@"; }
n2() { ip netns exec "$NS_B" "$@"; }

info() { printf '  %s: %s\n' "$T_NAME" "$*"; }

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
	for ns in "$NS_A" "$NS_B"; do
		ip netns pids "$ns" 2>/dev/null |
		    xargs -r kill -KILL 2>/dev/null
	done
	for ns in "$NS_A" "$NS_B"; do
		ip netns del "$ns" 2>/dev/null
	done
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
	ip netns add "$NS_B" || fail "ip netns add $NS_B"
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
		echo "dead-after = 4"
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
	wait_until 10 test -S "$(sock "$node")" ||
	    fail "$node: no control socket after 10 s (ipcpd exited?)"
	proc_is "$pid" ipcpd || fail "$node: pid $pid is not ipcpd"
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
	STOP_RC=timeout
	kill -TERM "$pid" 2>/dev/null
	wait_until 10 proc_gone "$pid" || return 1
	wait "$pid"
	STOP_RC=$?
	forget_pid "$pid"
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
	    grep -Eq "^$2(/(32|128))? .*dev $3( |\$)"
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
