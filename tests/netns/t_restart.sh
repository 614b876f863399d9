#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Hitless upgrade: `ipcpctl restart' and SIGUSR2 run the ipcpd binary now
# installed where the running one was started from, in the same process,
# and every session goes on.
#
#   alpha ──── beta ──── gamma		beta is restarted; alpha reaches
#					gamma through it (transit)
#
# While beta restarts, pings alpha -> gamma, alpha -> beta and gamma ->
# alpha (100 a second) lose nothing; beta's pid and its forwarders' pids
# stay; beta's kernel routes and RIB are what they were.  The binary is
# swapped for a new copy first, as a package upgrade does, and
# /proc/PID/exe shows that the new one runs.  A broken binary, a
# changed config and a binary that cannot be executed are refused: the
# old ipcpd answers with the reason and carries on.  After a restart,
# beta still supervises the forwarders it inherited: a killed one is
# noticed and its session comes back.
. "$(dirname "$0")/lib.sh"

# beta runs from a copy, which the test replaces as an upgrade would.
BIN=$TMP/bin
mkdir -p "$BIN"
cp "$IPCPD" "$IPCPFWD" "$BIN/"
install_new() {
	cp "$IPCP_BUILD/ipcpd" "$BIN/ipcpd.new" && mv "$BIN/ipcpd.new" \
	    "$BIN/ipcpd"
}

for n in alpha beta gamma; do
	node_add "$n"
done
link_add alpha beta
link_add gamma beta
for n in alpha beta gamma; do
	node_conf "$n"
done
node_start alpha
node_start gamma
IPCPD=$BIN/ipcpd node_start beta
BPID=${DPID[beta]}

wait_until 30 route_is alpha "$(ov gamma)/32" "beta 20 beta gamma" ||
    fail "alpha: no route to gamma via beta: $(route_best alpha \
    "$(ov gamma)/32")"
wait_until 10 route_is gamma "$(ov alpha)/32" "beta 20 beta alpha" ||
    fail "gamma: no route to alpha via beta"

# What must not change.
snapshot() {
	echo "pid $BPID"
	echo "fwd alpha $(fwd_pid beta alpha)"
	echo "fwd gamma $(fwd_pid beta gamma)"
	nx beta ip -4 route show proto "$RTPROT"
	nx beta ip -6 route show proto "$RTPROT"
	ctl beta -j routes | python3 -c '
import json, sys
for r in sorted(json.load(sys.stdin), key=lambda r: (r["prefix"], r["via"])):
    print(r["prefix"], r["via"], r["cost"], " ".join(r["path"]), r["best"],
          r["installed"])'
}
snapshot >"$TMP/before" || fail "beta: no snapshot"
match "fwd alpha [0-9]" "$TMP/before" || fail "beta: no forwarder to alpha"
upt0=$(status_field beta uptime_s)

# Pings across every session, and through beta, during the restarts.
PINGS=()
ping_bg() {
	local from=$1 to=$2 name=$3
	nx "$from" ping -n -i 0.01 -c 600 -W 1 "$to" >"$TMP/ping.$name" 2>&1 &
	PINGS+=($!)
	MY_PIDS+=($!)
}
ping_bg alpha "$(ov gamma)" a-g
ping_bg alpha "$(ov beta)" a-b
ping_bg gamma "$(ov6 alpha)" g-a
# The pings are under way before the restart.
wait_until 5 match "bytes from" "$TMP/ping.a-g" || fail "ping alpha->gamma"

# 1. A restart into a new copy of the binary.
install_new
match deleted < <(readlink "/proc/$BPID/exe") ||
    fail "the binary was not replaced"
t0=$(now_us)
out=$(ctl beta restart 2>&1) || fail "ipcpctl restart failed: $out"
info "restart in $(( ($(now_us) - t0) / 1000 )) ms: $out"
proc_alive "$BPID" || fail "beta's ipcpd is gone"
! match deleted < <(readlink "/proc/$BPID/exe") ||
    fail "beta still runs the old binary"
wait_until 10 peer_up beta alpha || fail "beta-alpha not up after restart"
snapshot >"$TMP/after1"
diff "$TMP/before" "$TMP/after1" >&2 || fail "beta changed across the restart"
upt1=$(status_field beta uptime_s)
[ "$upt1" -ge "$upt0" ] || fail "uptime went back from $upt0 to $upt1"

# 2. SIGUSR2, into yet another copy, with forwarders already adopted.
install_new
kill -USR2 "$BPID"
wait_until 10 eval '! readlink "/proc/$BPID/exe" | match deleted' ||
    fail "SIGUSR2: beta still runs the old binary"
wait_until 5 ctl beta status >/dev/null || fail "beta does not answer"
snapshot >"$TMP/after2"
diff "$TMP/before" "$TMP/after2" >&2 || fail "beta changed across SIGUSR2"

# Every ping, through all of it: nothing lost.
for p in "${PINGS[@]}"; do
	reap "$p" 30 || fail "a ping did not finish"
done
for name in a-g a-b g-a; do
	loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$TMP/ping.$name")
	info "ping $name: $(grep -o '[0-9]* packets transmitted.*loss' \
	    "$TMP/ping.$name")"
	[ "$loss" = 0 ] || fail "ping $name lost $loss% across the restarts"
done

# 3. Refusals leave the running ipcpd as it was.
refused() {
	local why=$1 out
	if out=$(ctl beta restart 2>&1); then
		fail "restart with $why succeeded: $out"
	fi
	info "refused ($why): $out"
	proc_alive "$BPID" || fail "beta died after a restart with $why"
	snapshot >"$TMP/now"
	diff "$TMP/before" "$TMP/now" >&2 || fail "beta changed after $why"
	ping_ok "${NODE_NS[alpha]}" "$(ov gamma)" ||
	    fail "no ping through beta after $why"
}
cp "$TMP/beta.conf" "$TMP/beta.conf.good"
sed -i 's/^\[node\]$/[node]\nannounce = 192.168.77.0\/24/' "$TMP/beta.conf"
refused "a changed config"
cp "$TMP/beta.conf.good" "$TMP/beta.conf"
printf '#!/bin/sh\necho "cannot start: broken build" >&2\nexit 1\n' \
    >"$BIN/ipcpd.new"
chmod 755 "$BIN/ipcpd.new"
mv "$BIN/ipcpd.new" "$BIN/ipcpd"
refused "a binary that fails"
chmod 644 "$BIN/ipcpd"
refused "a binary that cannot be executed"

# 4. A forwarder adopted across restarts is still supervised.
install_new
old=$(fwd_pid beta alpha)
kill -KILL "$old"
new_session() {
	local n
	n=$(fwd_pid beta alpha) && [ "$n" != "$old" ] && peer_up beta alpha
}
wait_until 15 new_session || fail "beta did not notice its adopted" \
    "forwarder die"
wait_until 5 proc_gone "$old" || fail "the killed forwarder was not reaped"
! match Z < <(ps -o stat= --ppid "$BPID") || fail "beta left a zombie"
wait_until 10 ping_ok "${NODE_NS[alpha]}" "$(ov gamma)" ||
    fail "no ping through beta after its forwarder died"
daemons_alive alpha beta gamma || fail "a daemon died"
pass
