#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# A gateway's shut-down: a node with N peers that never connect (N TUNs)
# exits within a bound after SIGTERM and leaves none of them behind.  The
# kernel takes ~20 ms to unregister one device, so removing them one by
# one costs seconds; ipcpd removes them in one request (a link group).
# Another ipcpd in the same namespace keeps its TUNs.  Also: ipcpd
# raised its own soft fd limit to the hard one at start.  Before that, a
# reload removes two thirds of the peers: their TUNs go at once too, so
# the reload is answered within the same bound (one by one, 4 s here).
#
#	IPCP_BIGSTOP_N=peers (300)	IPCP_BIGSTOP_MAX_MS=bound (3000)
. "$(dirname "$0")/lib.sh"

N=${IPCP_BIGSTOP_N:-300}
MAX_MS=${IPCP_BIGSTOP_MAX_MS:-3000}
node_add alpha
node_conf alpha
idle_peers "$N" >>"$TMP/alpha.conf"
ns=${NODE_NS[alpha]}
# The other instance: its own socket, no listener, three peers (q*).
make_keys other
{
	echo "[node]"
	echo "name = other"
	echo "private-key = $TMP/other.key"
	echo "user = $FWD_USER"
	echo "control = $(sock other)"
	for i in 0 1 2; do
		echo "[peer q$i]"
		echo "public-key = $(head -c 32 /dev/urandom | base64)"
		echo "allowed-ips = 10.79.0.$((i + 1))/32"
	done
} >"$TMP/other.conf"
start_daemon other "$ns"
qlinks() { ip netns exec "$ns" ip -o link show | grep -c ': ipcp-q'; }
wait_until 10 eval '[ "$(qlinks)" = 3 ]' || fail "other: $(qlinks) TUNs"
# A soft limit below the hard one, as systemd's default LimitNOFILE=1024
# (soft) : 524288 (hard) leaves a service.
hard=$(ulimit -Hn)
[ "$hard" -gt 1024 ] || fail "hard fd limit $hard: cannot test the raise"
prlimit --nofile=1024:"$hard" ip netns exec "$ns" "$IPCPD" -d -v \
    -c "$TMP/alpha.conf" </dev/null >>"$TMP/alpha.log" 2>&1 &
pid=$!
DPID[alpha]=$pid
MY_PIDS+=("$pid")
wait_until 10 test -S "$(sock alpha)" || fail "no control socket"

links() { ip netns exec "$ns" ip -o link show | grep -c ': ipcp-p'; }
wait_until 60 eval '[ "$(links)" = "$N" ]' ||
    fail "$(links) of $N TUNs after 60 s"

# The reload: p0 .. p(KEEP-1) stay.
KEEP=$((N / 3))
awk -v keep="$KEEP" '/^\[peer p/ { split($2, a, "p"); n = a[2] + 0;
    drop = n >= keep } !drop' "$TMP/alpha.conf" >"$TMP/alpha.new"
mv "$TMP/alpha.new" "$TMP/alpha.conf"
t0=$(now_us)
out=$(ctl alpha reload 2>&1) || fail "reload: $out"
ms=$(( ($(now_us) - t0) / 1000 ))
info "reload removing $((N - KEEP)) peers: $ms ms"
[ "$(links)" = "$KEEP" ] || fail "$(links) TUNs after the reload, not $KEEP"
[ "$(qlinks)" = 3 ] || fail "the other instance has $(qlinks) of its 3" \
    "TUNs after the reload"
[ "$ms" -le "$MAX_MS" ] || fail "the reload took $ms ms (bound $MAX_MS)"
N=$KEEP

soft=$(awk '/^Max open files/ { print $4 }' "/proc/$pid/limits")
# Checked at the end, so the shut-down is timed either way.
limit_err=
[ "$soft" = "$hard" ] || limit_err="soft fd limit $soft, not raised to $hard"
grep -q "open files" "$TMP/alpha.log" || limit_err=${limit_err:-"the raise \
was not logged"}

t0=$(now_us)
kill -TERM "$pid"
reap "$pid" 30
rc=$?
t1=$(now_us)
ms=$(( (t1 - t0) / 1000 ))
[ "$rc" != 124 ] || fail "still running 30 s after SIGTERM"
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
left=$(links)
[ "$left" = 0 ] || fail "$left TUNs left"
[ "$(qlinks)" = 3 ] || fail "the other instance has $(qlinks) of its 3 TUNs"
info "$N peers: exit $ms ms after SIGTERM"
[ "$ms" -le "$MAX_MS" ] || fail "exit took $ms ms (bound $MAX_MS)"
[ -z "$limit_err" ] || fail "$limit_err"
pass
