#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# The seed command line, `ipcpd IFNAME IP PORT SERVERFLAG SECRETFILE': a
# server in a and a client in b share a 32-byte secret file, the user
# puts addresses on the interfaces, and ping passes both ways.  A secret
# of 31 bytes is refused at once with one line on stderr.
. "$(dirname "$0")/lib.sh"

# Control sockets of seed mode live in /run/ipcp/ipcpd-IFNAME.sock, shared
# by everyone on this host: the interface names must be ours alone.
IF_A=${PFX}A
IF_B=${PFX}B
[ ${#IF_A} -le 15 ] || fail "interface name $IF_A too long"

setup_topology
head -c 32 /dev/urandom >"$TMP/secret.key"
head -c 31 /dev/urandom >"$TMP/short.key"
chmod 600 "$TMP/secret.key" "$TMP/short.key"

# A short secret: refused before anything changes, one line on stderr.
n1 timeout 10 "$IPCPD" "$IF_A" 0.0.0.0 "$PORT" 1 "$TMP/short.key" \
    </dev/null >"$TMP/short.out" 2>"$TMP/short.err"
rc=$?
[ "$rc" != 0 ] || fail "31-byte secret accepted (exit 0)"
[ "$rc" != 124 ] || fail "31-byte secret: ipcpd still running after 10 s"
[ "$(wc -l <"$TMP/short.err")" = 1 ] && [ -s "$TMP/short.err" ] ||
    fail "31-byte secret: expected one line on stderr, got:" \
    "$(cat "$TMP/short.err")"
n1 ip link show "$IF_A" >/dev/null 2>&1 &&
    fail "31-byte secret: $IF_A was created"
info "31-byte secret: exit $rc, $(cat "$TMP/short.err")"

start_seed() {
	local node=$1 ns=$2 pid
	shift 2
	ip netns exec "$ns" "$IPCPD" "$@" </dev/null >>"$TMP/$node.log" 2>&1 &
	pid=$!
	DPID[$node]=$pid
	MY_PIDS+=("$pid")
}
start_seed server "$NS_A" "$IF_A" 0.0.0.0 "$PORT" 1 "$TMP/secret.key"
start_seed client "$NS_B" "$IF_B" "$IP_A" "$PORT" 0 "$TMP/secret.key"

wait_until 10 n1 ip link show "$IF_A" >/dev/null 2>&1 ||
    fail "server: no interface $IF_A"
wait_until 10 n2 ip link show "$IF_B" >/dev/null 2>&1 ||
    fail "client: no interface $IF_B"
n1 ip addr add 10.99.0.1/30 dev "$IF_A" || fail "ip addr add on $IF_A"
n1 ip link set "$IF_A" up || fail "ip link set $IF_A up"
n2 ip addr add 10.99.0.2/30 dev "$IF_B" || fail "ip addr add on $IF_B"
n2 ip link set "$IF_B" up || fail "ip link set $IF_B up"

wait_until 20 ping_ok "$NS_A" 10.99.0.2 1 ||
    fail "no ping server -> client through the seed tunnel in 20 s"
ping_ok "$NS_A" 10.99.0.2 || fail "ping server -> client failed"
ping_ok "$NS_B" 10.99.0.1 || fail "ping client -> server failed"

# The seed mode has a control socket too.
SOCK_A=/run/ipcp/ipcpd-$IF_A.sock
if [ -S "$SOCK_A" ]; then
	st=$("$IPCPCTL" -s "$SOCK_A" -j peers | python3 -c '
import json, sys
print(json.load(sys.stdin)["peers"][0]["state"])')
	[ "$st" = up ] || fail "server: ipcpctl peers says '$st'"
else
	fail "server: no control socket $SOCK_A"
fi
daemons_alive server client || fail "a daemon died"

# SIGTERM removes the interfaces and sockets again.
for n in server client; do
	stop_daemon "$n" || fail "$n did not stop on SIGTERM"
	[ "$STOP_RC" = 0 ] || fail "$n exited $STOP_RC"
done
n1 ip link show "$IF_A" >/dev/null 2>&1 && fail "$IF_A left behind"
[ -e "$SOCK_A" ] && fail "$SOCK_A left behind"
[ -e "/run/ipcp/ipcpd-$IF_B.sock" ] && fail "client socket left behind"
pass
