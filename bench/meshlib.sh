# SPDX-License-Identifier: ISC
#
# What bench/mesh.sh and bench/scale.sh measure meshes with, sourced
# after tests/netns/lib.sh: CONTROL bytes from `ipcpctl -j peers', and
# route and carrier events from the kernel's own stream (`ip -ts
# monitor' in every namespace).

ms_since() { echo $(( ($(now_us) - $1) / 1000 )); }

# Sum of control_tx_bytes over every peer of every node given.
control_tx() {
	local n total=0 b
	for n in "$@"; do
		b=$(ctl "$n" -j peers | python3 -c '
import json, sys
print(sum(p["control_tx_bytes"] for p in json.load(sys.stdin)["peers"]))')
		total=$((total + b))
	done
	echo "$total"
}

# control_tx, once forwarders have reported (they do every second).
control_tx_settled() {
	local a b
	a=$(control_tx "$@")
	while :; do
		sleep 1.2
		b=$(control_tx "$@")
		[ "$a" = "$b" ] && break
		a=$b
	done
	echo "$a"
}

teardown_nodes() {
	local n pid
	for n in "$@"; do
		pid=${DPID[$n]}
		kill -TERM "$pid" 2>/dev/null
	done
	for n in "$@"; do
		pid=${DPID[$n]}
		wait_until 10 proc_gone "$pid" || kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		forget_pid "$pid"
	done
}

# ---- watching the kernel ------------------------------------------------
#
# Every timing below comes from the kernel's own event stream, not from
# polling the daemons: `ip -ts monitor' in each namespace records when
# each of ipcp's routes (proto 158) and each TUN's carrier changed, and
# the numbers are the last such event against the moment of the cause.

monitor_start() {
	local n pid
	MON_PIDS=()
	rm -f "$TMP"/mon.*
	for n in "$@"; do
		: >"$TMP/mon.$n"
		ip netns exec "${NODE_NS[$n]}" ip -ts monitor route link \
		    >"$TMP/mon.$n" 2>/dev/null &
		pid=$!
		MON_PIDS+=("$pid")
		MY_PIDS+=("$pid")
	done
}

monitor_stop() {
	local pid
	for pid in "${MON_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		forget_pid "$pid"
	done
}

# monitor_last KIND: "count last_epoch" of route events of ours (route)
# or of TUN carriers coming on (carrier), over every namespace.
monitor_last() {
	cat "$TMP"/mon.* | python3 -c '
import sys, datetime
kind, n, last = sys.argv[1], 0, 0.0
for line in sys.stdin:
    if not line.startswith("["):
        continue
    # Numeric, or named where rt_protos.d knows ipcp (make install).
    if kind == "route" and not ("proto 158" in line or
                                "proto ipcp" in line):
        continue
    if kind == "carrier" and not (": ipcp-" in line and "LOWER_UP" in line):
        continue
    t = datetime.datetime.fromisoformat(line[1:line.index("]")]).timestamp()
    n += 1
    last = max(last, t)
print(n, "%.6f" % last)' "$1"
}

# Milliseconds from epoch seconds $1 to $2.
ms_between() { python3 -c "print(int((float('$2') - float('$1')) * 1000))"; }

# kernel_full WANT NODE...: each node has WANT routes of ipcp's.
kernel_full() {
	local want=$1 n
	shift
	for n in "$@"; do
		[ "$( (nx "$n" ip -4 route show proto "$RTPROT";
		    nx "$n" ip -6 route show proto "$RTPROT") | wc -l)" = \
		    "$want" ] || return 1
	done
}

# No route event in any namespace for 3 s.
monitor_quiet() {
	local a b
	a=$(cat "$TMP"/mon.* | wc -l)
	sleep 3
	b=$(cat "$TMP"/mon.* | wc -l)
	[ "$a" = "$b" ]
}

