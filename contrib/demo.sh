#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# A real ipcp tunnel between two network namespaces, narrated: keys,
# configs, both daemons, status, ping both ways, a short iperf3, and a
# clean-up that leaves nothing behind.  Run by `make demo' as root.
#
#   ipcpdemo-a (alpha)                        ipcpdemo-b (beta)
#   ipcp-beta  10.77.0.1 fd77::1               ipcp-alpha 10.77.0.2 fd77::2
#   veth0 10.201.0.1:5000 (listens) ◀──TCP──── veth0 10.201.0.2 (dials)
set -u
set -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${IPCP_BUILD:-$ROOT/build}
IPCPD=$BUILD/ipcpd
IPCPCTL=$BUILD/ipcpctl
NS_A=ipcpdemo-a
NS_B=ipcpdemo-b
PIDS=()
TMP=

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

cleanup() {
	local rc=$? pid
	trap - EXIT
	trap '' PIPE	# stdout may be gone (| head); clean up all the same
	set +e
	say "cleaning up"
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		wait_until 5 gone "$pid"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "$NS_A" "$NS_B"; do
		ip netns pids "$ns" 2>/dev/null |
		    xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
	exit "$rc"
}

# wait_until SECONDS CMD...: poll every 0.1 s, at most SECONDS.
wait_until() {
	local n=$(( $1 * 10 ))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# Exited (a zombie counts: only `wait' reaps it).
gone() {
	local st
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
	[ -z "$st" ] || [ "$st" = Z ]
}

state() {
	"$IPCPCTL" -s "$TMP/$1.sock" -j peers 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin)["peers"][0]["state"])' 2>/dev/null
}
both_up() { [ "$(state alpha)" = up ] && [ "$(state beta)" = up ]; }

[ "$(id -u)" = 0 ] || die "run me as root (network namespaces)"
for b in "$IPCPD" "$IPCPCTL" "$BUILD/ipcp-fwd"; do
	[ -x "$b" ] || die "$b missing: run make first"
done

say "removing what an earlier demo may have left"
for ns in "$NS_A" "$NS_B"; do
	if ip netns list | grep -w "^$ns" >/dev/null; then
		ip netns pids "$ns" | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns"
	fi
done
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE
TMP=$(mktemp -d /tmp/ipcpdemo.XXXXXX)

say "creating the forwarders' user 'ipcp' and naming route protocol 158"
id -u ipcp >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin ipcp ||
    die "useradd ipcp failed"
if [ ! -e /etc/iproute2/rt_protos.d/ipcp.conf ]; then
	mkdir -p /etc/iproute2/rt_protos.d
	install -m 0644 "$ROOT/contrib/rt_protos.ipcp.conf" \
	    /etc/iproute2/rt_protos.d/ipcp.conf
fi

say "two namespaces, $NS_A and $NS_B, joined by a veth pair"
ip netns add "$NS_A" && ip netns add "$NS_B" || die "ip netns add"
ip -n "$NS_A" link set lo up
ip -n "$NS_B" link set lo up
ip link add veth0 netns "$NS_A" type veth peer name veth0 netns "$NS_B" ||
    die "cannot create the veth pair"
ip -n "$NS_A" addr add 10.201.0.1/24 dev veth0
ip -n "$NS_B" addr add 10.201.0.2/24 dev veth0
ip -n "$NS_A" link set veth0 up
ip -n "$NS_B" link set veth0 up

say "generating keys: ipcpctl genkey | ipcpctl pubkey"
(
	umask 077
	for n in alpha beta; do
		"$IPCPCTL" genkey >"$TMP/$n.key"
		"$IPCPCTL" pubkey <"$TMP/$n.key" >"$TMP/$n.pub"
	done
	"$IPCPCTL" genpsk >"$TMP/psk"
) || die "key generation failed"
echo "alpha $(cat "$TMP/alpha.pub")"
echo "beta  $(cat "$TMP/beta.pub")"

say "writing alpha.conf (listens) and beta.conf (dials alpha)"
cat >"$TMP/alpha.conf" <<CONF
[node]
name = alpha
private-key = $TMP/alpha.key
listen = 10.201.0.1:5000
address = 10.77.0.1/32, fd77::1/128
user = ipcp
control = $TMP/alpha.sock

[peer beta]
public-key = $(cat "$TMP/beta.pub")
psk = $TMP/psk
allowed-ips = 10.77.0.2/32, fd77::2/128
CONF
cat >"$TMP/beta.conf" <<CONF
[node]
name = beta
private-key = $TMP/beta.key
address = 10.77.0.2/32, fd77::2/128
user = ipcp
control = $TMP/beta.sock

[peer alpha]
public-key = $(cat "$TMP/alpha.pub")
endpoint = 10.201.0.1:5000
psk = $TMP/psk
allowed-ips = 10.77.0.1/32, fd77::1/128
CONF
cat "$TMP/beta.conf"
"$IPCPD" -n -c "$TMP/alpha.conf" >/dev/null &&
    "$IPCPD" -n -c "$TMP/beta.conf" >/dev/null || die "config check failed"

say "starting ipcpd in both namespaces"
ip netns exec "$NS_A" "$IPCPD" -d -c "$TMP/alpha.conf" 2>"$TMP/alpha.log" &
PIDS+=($!)
ip netns exec "$NS_B" "$IPCPD" -d -c "$TMP/beta.conf" 2>"$TMP/beta.log" &
PIDS+=($!)

say "waiting for the session (at most 20 s)"
if ! wait_until 20 both_up; then
	echo "the tunnel did not come up; the daemons said:" >&2
	tail -n 20 "$TMP/alpha.log" "$TMP/beta.log" >&2
	exit 1
fi

say "ipcpctl status and peers on alpha"
"$IPCPCTL" -s "$TMP/alpha.sock" status
"$IPCPCTL" -s "$TMP/alpha.sock" peers
say "ipcpctl status and peers on beta"
"$IPCPCTL" -s "$TMP/beta.sock" status
"$IPCPCTL" -s "$TMP/beta.sock" peers

say "alpha's routing table (ipcpctl routes): its own prefixes and beta's"
"$IPCPCTL" -s "$TMP/alpha.sock" routes

say "the best paths ipcpd installed on alpha (ip route show proto ipcp)"
ip -n "$NS_A" route show proto ipcp
ip -n "$NS_A" -6 route show proto ipcp

say "ipcpctl trace beta: the route to beta, hop by hop, and back"
"$IPCPCTL" -s "$TMP/alpha.sock" trace beta || die "trace failed"

say "ping alpha -> beta and beta -> alpha, IPv4 and IPv6"
ip netns exec "$NS_A" ping -q -c 3 -W 2 10.77.0.2 || die "ping failed"
ip netns exec "$NS_B" ping -q -c 3 -W 2 10.77.0.1 || die "ping failed"
ip netns exec "$NS_A" ping -q -c 3 -W 2 fd77::2 || die "ping failed"
ip netns exec "$NS_B" ping -q -c 3 -W 2 fd77::1 || die "ping failed"

if command -v iperf3 >/dev/null; then
	say "5 s of iperf3 through the tunnel"
	ip netns exec "$NS_B" iperf3 -s -1 -B 10.77.0.2 >/dev/null 2>&1 &
	PIDS+=($!)
	wait_until 5 eval "ip netns exec $NS_B ss -Hltn 'sport = :5201' |
	    grep . >/dev/null" || die "iperf3 server did not start"
	ip netns exec "$NS_A" timeout 20 iperf3 -t 5 -c 10.77.0.2 ||
	    die "iperf3 failed"
fi

say "the peers after the transfer"
"$IPCPCTL" -s "$TMP/alpha.sock" peers
say "demo done: the tunnel worked"
