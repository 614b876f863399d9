#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# mesh.sh -- how fast ipcp routes: meshes of ipcpd in network namespaces
# on this machine, built with the netns tests' node helpers
# (tests/netns/lib.sh), each node its own ipcpd in its own namespace.
#
#   1. Cold start of a line of N nodes (default 50): time until every
#      node has every node's addresses in its kernel (49 hops end to
#      end).
#   2. A link cut in a grid of R x C nodes (default 4 x 5 = 20): the link
#      goes down and both ends' forwarders are killed, so both see the
#      session dead at once; then the time until the last node has
#      re-installed its kernel routes, and the CONTROL bytes all nodes
#      sent for it.
#   3. One announced prefix more, in the same grid: CONTROL bytes per
#      route change.
#   4. Reload of a config with P peers (default 500) where one changed:
#      ipcpctl reload wall time (median of R runs), while a ping to an
#      unchanged peer runs (it must lose nothing and keep its forwarder).
#
# usage: bench/mesh.sh [-n LINE_NODES] [-g ROWSxCOLS] [-p RELOAD_PEERS]
#                      [-r RUNS] [-o FILE.md]
# Environment: IPCP_BUILD (directory with ipcpd, ipcp-fwd, ipcpctl).
# Everything it starts is killed by PID and its namespaces deleted on
# exit (the tests' EXIT trap).  Traffic stays inside those namespaces.

set -u -o pipefail
export LC_ALL=C

LINE_N=50
GRID=4x5
RELOAD_PEERS=500
RUNS=5
OUT=""
while getopts "n:g:p:r:o:h" ch; do
	case $ch in
	n) LINE_N=$OPTARG ;;
	g) GRID=$OPTARG ;;
	p) RELOAD_PEERS=$OPTARG ;;
	r) RUNS=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) sed -n '3,26p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
ROWS=${GRID%x*}
COLS=${GRID#*x}

T_NAME=mesh
# shellcheck source=tests/netns/lib.sh
. "$(cd "$(dirname "$0")/.." && pwd)/tests/netns/lib.sh"
# shellcheck source=bench/meshlib.sh
. "$(dirname "$0")/meshlib.sh"

RESULTS=()
result() {
	RESULTS+=("| $1 | $2 |")
	info "$1: $2"
}

# ---- 1. a line from cold ---------------------------------------------

line_cold() {
	local i names=() t0 last carriers n
	for i in $(seq 1 "$LINE_N"); do
		node_add "L$i"
		names+=("L$i")
	done
	for i in $(seq 2 "$LINE_N"); do
		link_add "L$i" "L$((i - 1))"
	done
	for i in "${names[@]}"; do
		node_conf "$i"
	done
	monitor_start "${names[@]}"
	t0=$(date +%s.%N)
	# Listeners first, so no dial meets a closed port and backs off.
	for i in "${names[@]}"; do
		node_start "$i"
	done
	wait_until 120 kernel_full $((2 * (LINE_N - 1))) "${names[@]}" ||
	    fail "line: not converged after 120 s"
	monitor_stop
	read -r n carriers < <(monitor_last carrier)
	read -r n last < <(monitor_last route)
	result "line of $LINE_N nodes, cold start: last session up" \
	    "$(ms_between "$t0" "$carriers") ms after the first ipcpd started"
	result "line of $LINE_N nodes, cold start: every route in every kernel" \
	    "$(ms_between "$t0" "$last") ms ($(ms_between "$carriers" "$last") ms after the last session came up; $n route changes)"
	route_is "L1" "$(ov "L$LINE_N")/32" "L2 $((10 * (LINE_N - 1))) $(
	    for i in $(seq 2 "$LINE_N"); do printf 'L%s ' "$i"; done |
	    sed 's/ $//')" || fail "line: L1's path to L$LINE_N is" \
	    "$(route_best L1 "$(ov "L$LINE_N")/32")"
	teardown_nodes "${names[@]}"
	for i in "${names[@]}"; do
		ip netns del "${NODE_NS[$i]}"
	done
}

# ---- 2 and 3. a grid: link cut, one more prefix ------------------------

GRID_NAMES=()

grid_build() {
	local r c n
	for r in $(seq 1 "$ROWS"); do
		for c in $(seq 1 "$COLS"); do
			node_add "G${r}x$c"
			GRID_NAMES+=("G${r}x$c")
		done
	done
	for r in $(seq 1 "$ROWS"); do
		for c in $(seq 1 "$COLS"); do
			[ "$c" -lt "$COLS" ] &&
			    link_add "G${r}x$((c + 1))" "G${r}x$c"
			[ "$r" -lt "$ROWS" ] &&
			    link_add "G$((r + 1))x$c" "G${r}x$c"
		done
	done
	for n in "${GRID_NAMES[@]}"; do
		node_conf "$n"
	done
	for n in "${GRID_NAMES[@]}"; do
		node_start "$n"
	done
	wait_until 120 kernel_full $((2 * (ROWS * COLS - 1))) \
	    "${GRID_NAMES[@]}" ||
	    fail "grid: not converged"
}

grid_cut() {
	local a b fa fb t_cut count last bytes0 bytes1 mid_r mid_c
	mid_r=$(( (ROWS + 1) / 2 ))
	mid_c=$(( (COLS + 1) / 2 ))
	a=G${mid_r}x$((mid_c + 1))
	b=G${mid_r}x$mid_c
	bytes0=$(control_tx_settled "${GRID_NAMES[@]}")
	fa=$(fwd_pid "$a" "$b") || fail "grid: no forwarder $a-$b"
	fb=$(fwd_pid "$b" "$a") || fail "grid: no forwarder $b-$a"
	monitor_start "${GRID_NAMES[@]}"
	link_cut "$a" "$b"
	# Both ends see the session dead now, not after dead-after: the
	# time measured is the routing's, from detection on.
	t_cut=$(date +%s.%N)
	kill -KILL "$fa" "$fb"
	wait_until 60 monitor_quiet || fail "grid: routes never settled"
	monitor_stop
	read -r count last < <(monitor_last route)
	kernel_full $((2 * (ROWS * COLS - 1))) "${GRID_NAMES[@]}" ||
	    fail "grid: a node lost routes it should have kept"
	bytes1=$(control_tx_settled "${GRID_NAMES[@]}")
	result "grid ${ROWS}x$COLS, link $a-$b cut: every kernel rerouted" \
	    "$(ms_between "$t_cut" "$last") ms after the sessions died ($count route changes on all nodes)"
	result "grid ${ROWS}x$COLS, link cut: CONTROL bytes sent by all nodes" \
	    "$((bytes1 - bytes0)) ($(( (bytes1 - bytes0) / (count > 0 ? count : 1) )) per kernel route change)"
	link_heal "$a" "$b"
	wait_until 60 eval 'peer_up "$a" "$b"' || fail "grid: link not back"
}

grid_announce() {
	local n=G1x1 bytes0 bytes1 nodes=$((ROWS * COLS)) t0 count last
	bytes0=$(control_tx_settled "${GRID_NAMES[@]}")
	node_conf "$n" "announce = 192.168.77.0/24"
	monitor_start "${GRID_NAMES[@]}"
	t0=$(date +%s.%N)
	ctl "$n" reload >/dev/null || fail "grid: reload with announce failed"
	wait_until 30 kernel_full $((2 * (nodes - 1) + 1)) \
	    "${GRID_NAMES[@]:1}" ||
	    fail "grid: the new prefix did not reach every node"
	wait_until 60 monitor_quiet || fail "grid: routes never settled"
	monitor_stop
	read -r count last < <(monitor_last route)
	bytes1=$(control_tx_settled "${GRID_NAMES[@]}")
	result "grid ${ROWS}x$COLS: one more prefix in every kernel" \
	    "$(ms_between "$t0" "$last") ms from ipcpctl reload ($count route changes)"
	result "grid ${ROWS}x$COLS: CONTROL bytes for that prefix" \
	    "$((bytes1 - bytes0)) in all, $(( (bytes1 - bytes0) / (count > 0 ? count : 1) )) per route change"
}

# ---- 4. reload of a big config ------------------------------------------

reload_big() {
	local i ms=() ping sent got fwd
	node_add R1
	node_add R2
	link_add R2 R1
	node_conf R1
	node_conf R2
	idle_peers $((RELOAD_PEERS - 1)) x >"$TMP/R1.more"
	cat "$TMP/R1.more" >>"$TMP/R1.conf"
	node_start R1
	node_start R2
	wait_until 60 peer_up R1 R2 || fail "reload: R1-R2 not up"
	fwd=$(fwd_pid R1 R2)
	ip netns exec "${NODE_NS[R1]}" ping -i 0.02 -W 1 "$(ov R2)" \
	    >"$TMP/ping.out" 2>&1 &
	ping=$!
	MY_PIDS+=("$ping")
	cp "$TMP/R1.conf" "$TMP/R1.a"
	sed 's/^\[peer x7\]$/[peer x7]\nmetric = 20/' "$TMP/R1.a" >"$TMP/R1.b"
	for i in $(seq 1 "$RUNS"); do
		cp "$TMP/R1.$([ $((i % 2)) = 1 ] && echo b || echo a)" \
		    "$TMP/R1.conf"
		t0=$(now_us)
		ctl R1 -j reload >"$TMP/reload.json" ||
		    fail "reload failed"
		ms+=($(( ($(now_us) - t0) / 1000 )))
		python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))
assert r["changed"] == ["x7"], r' "$TMP/reload.json" ||
		    fail "reload: $(cat "$TMP/reload.json")"
	done
	kill -INT "$ping"
	wait "$ping"
	forget_pid "$ping"
	sent=$(awk '/packets transmitted/ { print $1 }' "$TMP/ping.out")
	got=$(awk '/packets transmitted/ { print $4 }' "$TMP/ping.out")
	[ "$(fwd_pid R1 R2)" = "$fwd" ] || fail "reload: R2's forwarder changed"
	result "reload, $RELOAD_PEERS peers, one changed: ipcpctl reload" \
	    "median $(printf '%s\n' "${ms[@]}" | sort -n |
	    awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }') ms (runs: ${ms[*]})"
	result "reload: ping to the unchanged peer during $RUNS reloads" \
	    "$got of $sent received, same forwarder"
}

need_root
info "line $LINE_N, grid ${ROWS}x$COLS, reload $RELOAD_PEERS peers"
line_cold
grid_build
grid_cut
grid_announce
reload_big

{
	echo "# ipcp mesh benchmark"
	echo
	echo "$(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "| measure | result |"
	echo "|---|---|"
	printf '%s\n' "${RESULTS[@]}"
} | tee ${OUT:+"$OUT"}
pass
