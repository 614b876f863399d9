#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# scale.sh -- how ipcp holds up at size (issue 11), on this machine:
#
#   Gateway: for each N given (default 100 300 1000), one gateway ipcpd
#   with N listed clients, each client its own ipcpd in its own network
#   namespace, all on bridges in the gateway's namespace (the picture is
#   in tests/netns/star.sh).  Per N:
#     - all up: from the clients' start (the gateway already listening)
#       until the gateway lists all N up;
#     - private memory per forwarder (Private_Clean + Private_Dirty of
#       /proc/PID/smaps_rollup), and the gateway ipcpd's own;
#     - `ipcpctl -j peers' wall time (median of 5) and that it lists N;
#     - idle CPU of the gateway ipcpd and all its forwarders over IDLE s
#       (utime + stime from /proc/PID/stat), as % of one core, SETTLE s
#       after all are up: the start's route exchange and the kernel's
#       router solicitations on each new TUN (at 4, 8, 16 s ...) are
#       over by then on the gateway, and the clients' own starts no
#       longer crowd its CPUs;
#     - SIGTERM: time until the gateway has exited, first with every
#       client frozen (SIGSTOP; their kernels still take its goodbyes),
#       which is the gateway's own cost, as where its clients run on
#       other machines; then with the clients running on the same CPUs,
#       each reacting to the goodbye and redialing;
#     - all back after the gateway is started again (after each of the
#       two stops);
#     - kill -9 of the gateway and a start: all back;
#     - the same with one forwarder of the old instance stopped (SIGSTOP)
#       before the kill -9, so that it outlives it holding its TUN and its
#       TCP session: the others back, then that one (it is killed after
#       STALE_WAIT s if it has not come back by then).
#   Then per-N slopes: memory and CPU per client, from the smallest N to
#   the largest.
#
#   Mesh: MESH_NODES (default 50) nodes in a ring with chords (node i
#   also linked to i + MESH_NODES/3 for every fifth i), path-vector
#   routing: cold-start convergence (every route in every kernel); a
#   link cut, detected at once (both forwarders killed), until every
#   kernel is rerouted, and the CONTROL bytes it cost; the same cut with
#   every node announcing MESH_EXTRA more prefixes (a bigger table), to
#   show whether CONTROL per link change follows the routes that changed
#   or the size of the table.
#
# usage: bench/scale.sh [-m MESH_NODES] [-x MESH_EXTRA] [-i IDLE]
#                       [-w SETTLE] [-s STALE_WAIT] [-o FILE.md] [N ...]
#        -m 0 skips the mesh; no N (or N = 0) skips the gateway.
# Environment: IPCP_BUILD (directory with ipcpd, ipcp-fwd, ipcpctl).
#
# Everything it starts is killed by PID and its namespaces deleted on
# exit.  The star's neighbour entries are permanent (tests/netns/star.sh),
# so no host setting is touched.

set -u -o pipefail
export LC_ALL=C

MESH_NODES=50
MESH_EXTRA=10
IDLE=10
SETTLE=30
STALE_WAIT=60
OUT=""
while getopts "m:x:i:w:s:o:h" ch; do
	case $ch in
	m) MESH_NODES=$OPTARG ;;
	x) MESH_EXTRA=$OPTARG ;;
	i) IDLE=$OPTARG ;;
	w) SETTLE=$OPTARG ;;
	s) STALE_WAIT=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) sed -n '3,53p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
SIZES=("$@")
[ $# -gt 0 ] || SIZES=(100 300 1000)

T_NAME=scale
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/lib.sh
. "$HERE/../tests/netns/lib.sh"
# shellcheck source=tests/netns/star.sh
. "$HERE/../tests/netns/star.sh"
# shellcheck source=bench/meshlib.sh
. "$HERE/meshlib.sh"

# The gateway's descriptors: two per peer and one per handshake, and
# more than a systemd unit's 1024 at N = 1000.
ulimit -n "$(ulimit -Hn)" 2>/dev/null

trap 'rc=$?; star_teardown; (exit $rc); cleanup' EXIT

# secs_since T0_US: seconds, two decimals.
secs_since() {
	local d=$(( $(now_us) - $1 ))
	printf '%d.%02d' $((d / 1000000)) $(( (d % 1000000) / 10000 ))
}

declare -A R=()		# R[N:measure] = value
MESH_RESULTS=()

# wait_all N WANT SECS: until WANT of the gateway's peers are up; prints
# the seconds since $T0 or "> SECS (k up)".
wait_all() {
	if wait_until "$3" star_up "$2"; then
		secs_since "$T0"
	else
		echo "> $3 s ($STAR_LAST_UP up)"
	fi
}

# idle_cpu SECS: % of one core the gateway ipcpd and its forwarders used
# over SECS, and how much of that was ipcpd's: "total ipcpd".
idle_cpu() {
	python3 - "$TMP/peers.json" "${DPID[gw]}" "$1" <<'PY'
import json, os, sys, time
hz = os.sysconf("SC_CLK_TCK")
gw, secs = sys.argv[2], float(sys.argv[3])
pids = [str(p["fwd_pid"]) for p in json.load(open(sys.argv[1]))["peers"]
        if p.get("fwd_pid")]
def ticks(pid):
    try:
        s = open("/proc/%s/stat" % pid).read()
    except OSError:
        return None
    f = s[s.rindex(")") + 2:].split()
    return int(f[11]) + int(f[12])
a = {p: ticks(p) for p in pids + [gw]}
t0 = time.monotonic()
time.sleep(secs)
b = {p: ticks(p) for p in pids + [gw]}
el = time.monotonic() - t0
d = {p: b[p] - a[p] for p in a if a[p] is not None and b[p] is not None}
tot = sum(d.values()) / hz / el * 100
print("%.1f %.1f" % (tot, d.get(gw, 0) / hz / el * 100))
PY
}

# stop_gw: SIGTERM and the seconds until it is gone (or "> 60 s").
stop_gw() {
	local pid=${DPID[gw]} t
	t=$(now_us)
	kill -TERM "$pid"
	if wait_until 60 star_gone "$pid"; then
		secs_since "$t"
	else
		kill -KILL "$pid"
		echo "> 60 s"
	fi
	{ wait "$pid"; } 2>/dev/null
	forget_pid "$pid"
}

kill9_gw() {
	local pid=${DPID[gw]}
	kill -KILL "$pid"
	wait_until 10 star_gone "$pid"
	{ wait "$pid"; } 2>/dev/null
	forget_pid "$pid"
}

# stop_restart N KEY: SIGTERM of the gateway, what it left behind, then
# a start and the seconds until all N are back, as R[N:sigtermKEY] and
# R[N:restartKEY].  KEY _frozen stops every client meanwhile.
stop_restart() {
	local n=$1 key=$2
	star_peers
	star_fwd_pids >"$TMP/gw_fwds"
	[ "$key" = _frozen ] && star_signal_clients STOP
	R[$n:sigterm$key]=$(stop_gw)
	[ "$key" = _frozen ] && star_signal_clients CONT
	R[$n:leftover]+=$(star_leftovers | tr '\n' ';')
	info "SIGTERM${key:+, clients frozen}: ${R[$n:sigterm$key]} s ${R[$n:leftover]}"
	T0=$(now_us)
	star_start_gw
	R[$n:restart$key]=$(wait_all "$n" "$n" 120)
	info "back after restart: ${R[$n:restart$key]} s"
}

gateway() {
	local n=$1 t up listed i ms=() stale v
	info "---- gateway with $n clients"
	t=$(now_us)
	star_build "$n"
	R[$n:setup]=$(secs_since "$t")
	star_start_gw
	T0=$(now_us)
	star_start_clients
	R[$n:launch]=$(secs_since "$T0")
	R[$n:up]=$(wait_all "$n" "$n" 300)
	info "all up: ${R[$n:up]} s"
	# The start's transients pass before idle is measured (SETTLE).
	sleep "$SETTLE"
	for i in 1 2 3 4 5; do
		t=$(now_us)
		ctl gw -j peers >"$TMP/peers.json" || echo "failed" >&2
		ms+=($(( ($(now_us) - t) / 1000 )))
	done
	read -r up listed < <(star_count up)
	R[$n:peers]="$(printf '%s\n' "${ms[@]}" | sort -n | sed -n 3p) ms ($listed listed, $up up)"
	read -r v < <(star_memory)
	set -- $v
	R[$n:fwdmem]=$1; R[$n:fwdmem_range]="$2-$3"; R[$n:ipcpdmem]=$5
	read -r v < <(idle_cpu "$IDLE")
	set -- $v
	R[$n:cpu]=$1; R[$n:cpu_ipcpd]=$2
	info "memory ${R[$n:fwdmem]} KiB/fwd, idle cpu ${R[$n:cpu]}%"

	R[$n:leftover]=""
	stop_restart "$n" _frozen
	stop_restart "$n" ""

	kill9_gw
	T0=$(now_us)
	star_start_gw
	R[$n:kill9]=$(wait_all "$n" "$n" 120)
	info "back after kill -9: ${R[$n:kill9]} s"

	star_peers
	stale=$(peer_field gw c1 fwd_pid)
	echo "$stale" >>"$TMP/fwd_seen"
	kill -STOP "$stale"
	kill9_gw
	T0=$(now_us)
	star_start_gw
	R[$n:stale_others]=$(wait_all "$n" $((n - 1)) 120)
	R[$n:stale_all]=$(wait_all "$n" "$n" "$STALE_WAIT")
	if ! star_up "$n"; then
		kill -KILL "$stale"
		t=$(now_us)
		if wait_until 120 star_up "$n"; then
			R[$n:stale_all]+=", then $(secs_since "$t") s after it was killed"
		else
			R[$n:stale_all]+=", not even after it was killed"
		fi
	else
		# Usually gone already: the new ipcpd reclaims its TUN.
		kill -KILL "$stale" 2>/dev/null
	fi
	info "kill -9 with a stale forwarder: others ${R[$n:stale_others]}, all ${R[$n:stale_all]}"
	star_fwd_pids >"$TMP/gw_fwds"
	stop_gw >/dev/null
	star_destroy
}

# ---- the mesh: a ring with chords ----------------------------------------

mesh() {
	local m=$MESH_NODES i j names=() t0 t1 last carriers n routes
	info "---- mesh of $m nodes"
	for i in $(seq 1 "$m"); do
		node_add "M$i"
		names+=("M$i")
	done
	for i in $(seq 1 "$m"); do
		j=$(( i % m + 1 ))
		link_add "M$j" "M$i"
	done
	for i in $(seq 1 5 "$m"); do
		j=$(( (i + m / 3 - 1) % m + 1 ))
		link_add "M$j" "M$i"
	done
	for i in "${names[@]}"; do
		node_conf "$i"
	done
	routes=$((2 * (m - 1)))
	monitor_start "${names[@]}"
	t0=$(date +%s.%N)
	for i in "${names[@]}"; do
		node_start "$i"
	done
	# node_start waits for each control socket: 50 of them take seconds
	# on a loaded machine, so the time from the last start is given too.
	t1=$(date +%s.%N)
	wait_until 300 kernel_full "$routes" "${names[@]}" ||
	    fail "mesh: not converged after 300 s"
	wait_until 60 monitor_quiet
	monitor_stop
	read -r n carriers < <(monitor_last carrier)
	read -r n last < <(monitor_last route)
	mesh_result "mesh $m ($LINK_COUNT links), cold start: last session up" \
	    "$(ms_between "$t0" "$carriers") ms after the first ipcpd started, $(ms_between "$t1" "$carriers") ms after the last"
	mesh_result "mesh $m, cold start: every route in every kernel" \
	    "$(ms_between "$t0" "$last") ms after the first ipcpd started, $(ms_between "$t1" "$last") ms after the last ($n route changes)"
	mesh_cut M$((m / 2 + 1)) M$((m / 2)) "$routes" "${names[@]}"

	# A bigger table: every node announces MESH_EXTRA prefixes more.
	[ "$MESH_EXTRA" -gt 0 ] || return 0
	for i in $(seq 1 "$m"); do
		node_conf "M$i" "announce = $(for j in $(seq 1 "$MESH_EXTRA"); do
		    printf '192.168.%d.%d/32, ' "$i" "$j"; done | sed 's/, $//')"
		ctl "M$i" reload >/dev/null || fail "mesh: reload M$i"
	done
	routes=$((2 * (m - 1) + (m - 1) * MESH_EXTRA))
	wait_until 120 kernel_full "$routes" "${names[@]}" ||
	    fail "mesh: the announced prefixes did not reach every node"
	mesh_cut M$((m / 2 + 1)) M$((m / 2)) "$routes" "${names[@]}"
}

mesh_result() {
	MESH_RESULTS+=("| $1 | $2 |")
	info "$1: $2"
}

# mesh_cut A B ROUTES NODE...: the A-B link cut, both ends told at once.
mesh_cut() {
	local a=$1 b=$2 routes=$3 fa fb t_cut count last bytes0 bytes1
	shift 3
	bytes0=$(control_tx_settled "$@")
	fa=$(fwd_pid "$a" "$b") || fail "mesh: no forwarder $a-$b"
	fb=$(fwd_pid "$b" "$a") || fail "mesh: no forwarder $b-$a"
	monitor_start "$@"
	link_cut "$a" "$b"
	t_cut=$(date +%s.%N)
	kill -KILL "$fa" "$fb"
	wait_until 60 monitor_quiet || fail "mesh: routes never settled"
	monitor_stop
	read -r count last < <(monitor_last route)
	kernel_full "$routes" "$@" ||
	    fail "mesh: a node lost routes it should have kept"
	bytes1=$(control_tx_settled "$@")
	mesh_result "mesh, table of $routes routes per node, link $a-$b cut: every kernel rerouted" \
	    "$(ms_between "$t_cut" "$last") ms after the sessions died ($count kernel route changes)"
	mesh_result "mesh, table of $routes routes per node, that cut: CONTROL bytes sent" \
	    "$((bytes1 - bytes0)) in all, $(( (bytes1 - bytes0) / (count > 0 ? count : 1) )) per kernel route change"
	link_heal "$a" "$b"
	wait_until 60 peer_up "$a" "$b" || fail "mesh: link $a-$b not back"
	wait_until 60 kernel_full "$routes" "$@"
}

# ---- the report ----------------------------------------------------------

report() {
	local n first last
	echo "# ipcp scale benchmark"
	echo
	echo "$(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ);" \
	    "bench/scale.sh -m $MESH_NODES -x $MESH_EXTRA -i $IDLE -w $SETTLE ${SIZES[*]}"
	if [ ${#SIZES[@]} -gt 0 ] && [ "${SIZES[0]}" != 0 ]; then
		echo
		echo "| N | all up (s) | fwd private KiB (min-max) | ipcpd private KiB | \`-j peers\` | idle CPU % (ipcpd) | SIGTERM exit (s), clients frozen / running | back after restart (s), after each | back after kill -9 (s) | kill -9 + stale fwd: others / all (s) |"
		echo "|---|---|---|---|---|---|---|---|---|---|"
		for n in "${SIZES[@]}"; do
			echo "| $n | ${R[$n:up]} | ${R[$n:fwdmem]} (${R[$n:fwdmem_range]}) | ${R[$n:ipcpdmem]} | ${R[$n:peers]} | ${R[$n:cpu]} (${R[$n:cpu_ipcpd]}) | ${R[$n:sigterm_frozen]} / ${R[$n:sigterm]}${R[$n:leftover]:+ LEFT: ${R[$n:leftover]}} | ${R[$n:restart_frozen]} / ${R[$n:restart]} | ${R[$n:kill9]} | ${R[$n:stale_others]} / ${R[$n:stale_all]} |"
		done
		echo
		echo "Setup per N (namespaces, keys, configs; clients launched):" \
		    "$(for n in "${SIZES[@]}"; do printf '%s: %s s, %s s; ' \
		    "$n" "${R[$n:setup]}" "${R[$n:launch]}"; done)"
		if [ ${#SIZES[@]} -gt 1 ]; then
			first=${SIZES[0]}
			last=${SIZES[${#SIZES[@]}-1]}
			python3 - "$first" "$last" "${R[$first:cpu]}" \
			    "${R[$last:cpu]}" "${R[$first:fwdmem]}" \
			    "${R[$last:fwdmem]}" "${R[$first:ipcpdmem]}" \
			    "${R[$last:ipcpdmem]}" <<'PY'
import sys
a, b = int(sys.argv[1]), int(sys.argv[2])
c0, c1, f0, f1, i0, i1 = map(float, sys.argv[3:9])
d = b - a
print()
print("From N = %d to %d (x%.1f): idle CPU x%.1f, %.3f %% of a core per "
      "client more; forwarder memory x%.2f per forwarder; ipcpd private "
      "memory %.1f KiB per client more." % (
          a, b, b / a, c1 / c0 if c0 else float("nan"), (c1 - c0) / d,
          f1 / f0 if f0 else float("nan"), (i1 - i0) / d))
PY
		fi
	fi
	if [ ${#MESH_RESULTS[@]} -gt 0 ]; then
		echo
		echo "| mesh | result |"
		echo "|---|---|"
		printf '%s\n' "${MESH_RESULTS[@]}"
	fi
}

need_root
for n in "${SIZES[@]}"; do
	[ "$n" = 0 ] && continue
	gateway "$n"
done
[ "$MESH_NODES" -gt 0 ] && mesh
report | tee ${OUT:+"$OUT"}
pass
