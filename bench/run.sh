#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# run.sh -- side-by-side benchmark of ipcp and the tunnels people would use
# instead, between two fresh network namespaces joined by a veth:
#
#   ipbnPIDa 10.203.0.1/24 (servers, iperf3 -s)  <== veth ==>
#       ipbnPIDb 10.203.0.2/24 (clients, iperf3 -c, ping)
#
# Cases (bench/cases/NAME.sh): raw (veth, no tunnel), openvpn (2.6, TCP,
# AES-256-GCM), tinc (1.0, TCPOnly), vtun (TCP), wggo (wireguard-go, UDP,
# for reference), ipcp.  Each gets its own namespace pair.  Per case:
# iperf3 1 and 4 streams (receiver-side Gbit/s), the tunnel's CPU seconds
# per GB carried (utime+stime of its processes on both ends, over the
# single-stream run), ping idle and under a single-stream load (avg, p99),
# and idle private memory.  Prints a markdown table with the ratios ipcp /
# best TCP peer and ipcp / raw, and writes it as TSV.
#
# usage: bench/run.sh [-k] [-c CC] [-o FILE.tsv] [-t SECS] [-n PINGS] [case ...]
#   -c CC     outer TCP congestion control for the run (set in the bench's
#             namespaces, where all of its TCP runs; see bn_cc_setup)
#   -o FILE   TSV output (default bench/results/<timestamp>.tsv); the
#             markdown goes beside it as FILE with .md for .tsv
#   -t SECS   iperf3 seconds per test (default 10)
#   -n PINGS  pings per latency test, 10 ms apart (default 200)
#   -k        keep the scratch directory (configs, keys, logs)
#   -l        list the cases
# Environment: IPCP_BUILD (directory with ipcpd, ipcp-fwd, ipcpctl), else
# B (the Makefile's build directory, relative to the top), else build/.
#
# Everything it starts is killed by PID and the namespaces are deleted in
# an EXIT trap.  Traffic never leaves the two namespaces.

set -u -o pipefail
export LC_ALL=C

BN_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BN_TOP=$(dirname "$BN_HERE")
ALL_CASES=(raw openvpn tinc vtun wggo ipcp-nooffload ipcp)
TCP_PEERS="openvpn tinc vtun"	# candidates for "best TCP peer"
BASE_PKGS="iproute2 iputils-ping iperf3 jq ethtool procps python3"

declare -A CASE_PKGS=() CASE_SKIP=()
# shellcheck source=bench/lib.sh
. "$BN_HERE/lib.sh"
for f in "$BN_HERE"/cases/*.sh; do
	# shellcheck source=/dev/null
	. "$f"
done

BN_PROC_TIMEOUT=600	# no process of a case may outlive this
BN_CC=""
BN_WORK=""
BN_KEEP=0
BN_DURATION=10
BN_PINGS=200
BN_OUT=""
BN_CC_ALLOWED_SAVED=""
CASE_FILES=()

usage()
{
	sed -n 's/^# \{0,1\}//; /^usage:/,/^Environment/p' "$0" | sed '$d' >&2
	exit 2
}

# The outer TCP runs only in the bench's namespaces, so -c is applied
# there: the host's default, which other people's connections use, stays
# as it is.  A namespace may only pick an algorithm listed in the host's
# tcp_allowed_congestion_control; when CC is not, it is added for the run
# and the list is put back on exit.
bn_cc_setup()
{
	local allowed
	[[ -n $BN_CC ]] || return 0
	if ! grep -qw "$BN_CC" \
	    /proc/sys/net/ipv4/tcp_available_congestion_control; then
		modprobe "tcp_$BN_CC" 2>/dev/null
		grep -qw "$BN_CC" \
		    /proc/sys/net/ipv4/tcp_available_congestion_control ||
		    bn_die "congestion control $BN_CC not available (have:" \
		    "$(cat /proc/sys/net/ipv4/tcp_available_congestion_control))"
	fi
	allowed=$(sysctl -n net.ipv4.tcp_allowed_congestion_control)
	if ! grep -qw "$BN_CC" <<<"$allowed"; then
		BN_CC_ALLOWED_SAVED=$allowed
		sysctl -qw net.ipv4.tcp_allowed_congestion_control="$allowed $BN_CC" ||
		    bn_die "cannot allow $BN_CC in namespaces"
	fi
}

bn_cc_restore()
{
	[[ -n $BN_CC_ALLOWED_SAVED ]] || return 0
	sysctl -qw net.ipv4.tcp_allowed_congestion_control="$BN_CC_ALLOWED_SAVED"
	BN_CC_ALLOWED_SAVED=""
}

case_cleanup()
{
	local f
	bn_kill_all
	bn_ns_down
	for f in "${CASE_FILES[@]}"; do
		rm -f "$f"
	done
	CASE_FILES=()
}

on_exit()
{
	local rc=$?
	trap - EXIT INT TERM
	case_cleanup
	bn_cc_restore
	if [[ -n $BN_WORK && -d $BN_WORK ]]; then
		if ((BN_KEEP)); then
			bn_log "scratch kept: $BN_WORK"
		else
			rm -rf "$BN_WORK"
		fi
	fi
	exit "$rc"
}

# tunnel_pids -- every process of the tunnel, both ends, once each.
tunnel_pids()
{
	{
		bn_procs "${ROOTS_A[@]}" "${ROOTS_B[@]}"
		declare -F "case_${CASE}_pids" >/dev/null && "case_${CASE}_pids"
	} 2>/dev/null | sort -un
}

# tunnel_mem -- "KiB_a KiB_b": private memory of each end's tunnel
# processes (a case may narrow it, as ipcp does to the forwarder).
tunnel_mem()
{
	if declare -F "case_${CASE}_mem" >/dev/null; then
		"case_${CASE}_mem"
		return
	fi
	((${#ROOTS_A[@]} + ${#ROOTS_B[@]})) || return 1
	echo "$(bn_private_kib $(bn_procs "${ROOTS_A[@]}"))" \
	    "$(bn_private_kib $(bn_procs "${ROOTS_B[@]}"))"
}

RAW_COLS="case desc gbps_1 gbps_4 cpu_s_per_gb ping_avg_ms ping_p99_ms
load_ping_avg_ms load_ping_p99_ms mem_kib mem_kib_a mem_kib_b ping_loss_pct
load_ping_loss_pct load_gbps cpu_s_1 gb_1 retr_1 tun_if tun_offloads tcp_cc
loadavg note"

run_case()
{
	CASE=$1
	local fn=case_${CASE}_setup
	local -A r=()
	local c k pids t0 t1 srv load cl ma mb
	for c in $RAW_COLS; do r[$c]=n/a; done
	r[case]=$CASE
	r[loadavg]=$(cut -d' ' -f1-3 /proc/loadavg)
	CASE_DESC="" CASE_ERR="" DST="" ROOTS_A=() ROOTS_B=()
	CW=$BN_WORK/$CASE
	mkdir -p "$CW"
	bn_log "=== $CASE ==="

	if [[ -n ${CASE_SKIP[$CASE]:-} ]]; then
		CASE_ERR=${CASE_SKIP[$CASE]}
	elif ! bn_ns_up; then
		CASE_ERR="namespace setup failed"
	elif ! "$fn"; then
		CASE_ERR=${CASE_ERR:-"tunnel setup failed"}
	elif ! bn_wait 30 ip netns exec "$NS_B" ping -c 1 -W 1 "$DST"; then
		CASE_ERR="no ping through the tunnel within 30 s"
	fi
	r[desc]=${CASE_DESC:-n/a}
	r[tcp_cc]=$(ip netns exec "$NS_A" sysctl -n \
	    net.ipv4.tcp_congestion_control 2>/dev/null || echo n/a)
	if [[ -n $CASE_ERR ]]; then
		r[note]=$CASE_ERR
		bn_log "$CASE: $CASE_ERR"
		case_logs
		raw_row r
		case_cleanup
		return
	fi

	r[tun_if]=$(bn_route_dev "$NS_B" "$DST")
	r[tun_offloads]=$(bn_offloads "$NS_B" "${r[tun_if]}")
	[[ -z $VETH_OFFLOADS ]] && VETH_OFFLOADS=$(bn_offloads "$NS_B" "$VETH_B")

	read -r 'r[ping_avg_ms]' 'r[ping_p99_ms]' 'r[ping_loss_pct]' \
	    < <(bn_ping "$NS_B" "$DST" "$BN_PINGS" "$CW/ping-idle.txt")
	bn_log "idle ping avg ${r[ping_avg_ms]} p99 ${r[ping_p99_ms]} ms"
	if read -r ma mb < <(tunnel_mem) && [[ $ma$mb =~ ^[0-9]+$ ]]; then
		r[mem_kib_a]=$ma
		r[mem_kib_b]=$mb
		r[mem_kib]=$((ma > mb ? ma : mb))
	fi

	bn_spawn "$NS_A" "$CW/iperf3-s.log" iperf3 -s -B "$DST" -p "$IPERF_PORT"
	srv=$BN_PID
	if ! bn_wait 10 bn_listening "$NS_A" "$IPERF_PORT"; then
		r[note]="iperf3 server did not start"
		raw_row r
		case_cleanup
		return
	fi

	# Single stream, with the tunnel's CPU time around it.
	pids=$(tunnel_pids)
	t0=$(bn_cpu_ticks $pids)
	bn_iperf "$NS_B" "$DST" 1 "$BN_DURATION" "$CW/iperf-1.json"
	t1=$(bn_cpu_ticks $pids)
	r[gbps_1]=$(bn_iperf_gbps "$CW/iperf-1.json")
	r[retr_1]=$(jq -r '.end.sum_sent.retransmits // "n/a"' \
	    "$CW/iperf-1.json" 2>/dev/null || echo n/a)
	k=$(bn_iperf_bytes "$CW/iperf-1.json")
	r[gb_1]=$(awk -v b="$k" 'BEGIN { printf "%.3f", b / 1e9 }')
	if [[ -n $pids ]]; then
		r[cpu_s_1]=$(awk -v t=$((t1 - t0)) -v hz="$HZ" \
		    'BEGIN { printf "%.2f", t / hz }')
		r[cpu_s_per_gb]=$(awk -v c="${r[cpu_s_1]}" -v b="$k" \
		    'BEGIN { if (b > 0) printf "%.2f", c / (b / 1e9); else print "n/a" }')
	fi
	[[ ${r[gbps_1]} == n/a ]] &&
	    r[note]="iperf3 -P 1: $(bn_iperf_error "$CW/iperf-1.json")"
	bn_log "1 stream: ${r[gbps_1]} Gbit/s, tunnel CPU ${r[cpu_s_1]} s" \
	    "for ${r[gb_1]} GB (${r[cpu_s_per_gb]} s/GB)"

	bn_iperf "$NS_B" "$DST" 4 "$BN_DURATION" "$CW/iperf-4.json"
	r[gbps_4]=$(bn_iperf_gbps "$CW/iperf-4.json")
	bn_log "4 streams: ${r[gbps_4]} Gbit/s"

	# Ping while one stream fills the tunnel: 1 s for the stream to get
	# going, then the pings, inside a run long enough to cover them.
	load=$((BN_PINGS / 100 + 4))
	for ((k = 0; k < 10; k++)); do
		bn_spawn "$NS_B" "$CW/iperf-load.json" iperf3 -c "$DST" \
		    -p "$IPERF_PORT" -t "$load" -J
		cl=$BN_PID
		sleep 1
		# Still running, or failed for another reason than "busy".
		kill -0 "$cl" 2>/dev/null ||
		    ! grep -qi busy "$CW/iperf-load.json" && break
		sleep 0.5
	done
	read -r 'r[load_ping_avg_ms]' 'r[load_ping_p99_ms]' \
	    'r[load_ping_loss_pct]' \
	    < <(bn_ping "$NS_B" "$DST" "$BN_PINGS" "$CW/ping-load.txt")
	wait "$cl" 2>/dev/null
	r[load_gbps]=$(bn_iperf_gbps "$CW/iperf-load.json")
	bn_log "loaded ping avg ${r[load_ping_avg_ms]} p99" \
	    "${r[load_ping_p99_ms]} ms (stream: ${r[load_gbps]} Gbit/s)"

	[[ ${r[note]} == n/a ]] && r[note]=""
	raw_row r
	case_cleanup
}

# The scratch directory goes away on exit unless -k: show the end of
# each log of a case that failed.
case_logs()
{
	local f
	for f in "$CW"/*.log; do
		[[ -s $f ]] || continue
		bn_log "--- $f:"
		tail -n 5 "$f" >&2
	done
}

# raw_row ASSOC -- append one case's results to the raw TSV.
raw_row()
{
	local -n row=$1
	local c line="" v
	for c in $RAW_COLS; do
		v=${row[$c]:-}
		v=${v//$'\t'/ }
		line+="${line:+$'\t'}${v//$'\n'/ }"
	done
	printf '%s\n' "$line" >>"$BN_WORK/raw.tsv"
}

meta()
{
	printf '%s\t%s\n' "$1" "$2" >>"$BN_WORK/meta.tsv"
}

main()
{
	local opt cases=() c p pkgs stamp md versions=""
	while getopts "c:hkln:o:t:" opt; do
		case $opt in
		c) BN_CC=$OPTARG ;;
		k) BN_KEEP=1 ;;
		l) printf '%s\n' "${ALL_CASES[@]}"; exit 0 ;;
		n) BN_PINGS=$OPTARG ;;
		o) BN_OUT=$OPTARG ;;
		t) BN_DURATION=$OPTARG ;;
		*) usage ;;
		esac
	done
	shift $((OPTIND - 1))
	cases=("$@")
	((${#cases[@]})) || cases=("${ALL_CASES[@]}")
	for c in "${cases[@]}"; do
		declare -F "case_${c}_setup" >/dev/null ||
		    bn_die "unknown case '$c' (have: ${ALL_CASES[*]})"
	done
	[[ $BN_DURATION =~ ^[0-9]+$ && $BN_PINGS =~ ^[0-9]+$ ]] ||
	    bn_die "-t and -n take whole numbers"
	[[ $(id -u) == 0 ]] || bn_die "must run as root (namespaces, tun)"
	[[ -c /dev/net/tun ]] || bn_die "/dev/net/tun missing"

	stamp=$(date +%Y%m%d-%H%M%S)
	[[ -n $BN_OUT ]] || BN_OUT=$BN_HERE/results/$stamp.tsv
	mkdir -p "$(dirname "$BN_OUT")" || bn_die "cannot create $BN_OUT's directory"
	md=${BN_OUT%.tsv}.md

	trap on_exit EXIT
	trap 'bn_log interrupted; exit 130' INT TERM HUP
	BN_WORK=$(mktemp -d /tmp/ipbn-bench.XXXXXX)

	pkgs=$BASE_PKGS
	for c in "${cases[@]}"; do
		pkgs+=" ${CASE_PKGS[$c]:-}"
	done
	bn_install $pkgs
	for c in $BASE_PKGS; do
		bn_have_pkg "$c" || bn_die "package $c is missing"
	done
	for c in "${cases[@]}"; do
		for p in ${CASE_PKGS[$c]:-}; do
			bn_have_pkg "$p" && continue
			CASE_SKIP[$c]="skipped: package $p not installed"
			break
		done
	done
	bn_clean_stale
	bn_cc_setup

	echo $RAW_COLS | tr ' ' '\t' >"$BN_WORK/raw.tsv"
	VETH_OFFLOADS=""
	bn_log "cases: ${cases[*]}; scratch $BN_WORK"
	for c in "${cases[@]}"; do
		run_case "$c"
	done

	meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
	meta nproc "$(nproc)"
	meta cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo |
	    head -1)"
	meta kernel "$(uname -sr)"
	meta cc_host "$(sysctl -n net.ipv4.tcp_congestion_control)"
	meta cc_run "${BN_CC:-$(sysctl -n net.ipv4.tcp_congestion_control)}"
	meta veth_offloads "${VETH_OFFLOADS:-n/a}"
	meta duration "$BN_DURATION"
	meta pings "$BN_PINGS"
	meta tcp_peers "$TCP_PEERS"
	for p in iperf3 $pkgs; do
		[[ $BASE_PKGS == *"$p"* && $p != iperf3 ]] && continue
		[[ $versions == *"$p "* ]] && continue
		versions+="${versions:+, }$p $(dpkg-query -W -f='${Version}' \
		    "$p" 2>/dev/null || echo '?')"
	done
	meta versions "$versions"
	python3 "$BN_HERE/report.py" "$BN_WORK/meta.tsv" "$BN_WORK/raw.tsv" \
	    "$BN_OUT" "$md" || bn_die "report failed (raw: $BN_WORK/raw.tsv)"
	bn_log "wrote $BN_OUT and $md"
}

main "$@"
exit $?
