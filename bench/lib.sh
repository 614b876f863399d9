# SPDX-License-Identifier: ISC
#
# lib.sh -- helpers for bench/run.sh, sourced, never run: the two
# namespaces and their veth, starting and killing the processes the bench
# owns (by PID, with their start time so a recycled PID is never hit),
# bounded waits, package installation, and the measurements (ping, iperf3,
# CPU time, private memory, offloads).
#
#   $NS_A 10.203.0.1/24 ($VETH_A) <=== veth ===> ($VETH_B) 10.203.0.2/24 $NS_B
#
# Tunnel servers and the iperf3 server (the receiver whose numbers count)
# live in $NS_A; clients, ping and the iperf3 client live in $NS_B.

OUT_A=10.203.0.1
OUT_B=10.203.0.2
IPERF_PORT=5201
HZ=$(getconf CLK_TCK)

# Unique per run: the PID of run.sh.  Interface names stay under 16 bytes.
BN_TAG=ipbn$$
NS_A=${BN_TAG}a
NS_B=${BN_TAG}b
VETH_A=${BN_TAG}va
VETH_B=${BN_TAG}vb

BN_PROCS=()		# "pid:starttime" of every process this run started
BN_NS_UP=0

bn_log()
{
	printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

bn_die()
{
	bn_log "error: $*"
	exit 1
}

# ------------------------------------------------------------ processes

# Field 22 of /proc/PID/stat (start time in ticks) tells a process from a
# later one that reused its PID.
bn_starttime()
{
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	set -- $s
	echo "${20}"
}

# bn_same PID:START -- the same process is still there and not a zombie.
bn_same()
{
	local pid=${1%%:*} st=${1#*:} s
	s=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	s=${s##*) }
	set -- $s
	[[ $1 != Z && $1 != X && ${20} == "$st" ]]
}

# bn_tree PID -- PID and all its descendants, parents first.
bn_tree()
{
	local c
	echo "$1"
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		bn_tree "$c"
	done
}

# bn_spawn NS LOG CMD... -- start CMD in namespace NS in the background,
# bounded by $BN_PROC_TIMEOUT, and record it; BN_PID is its PID.  Under
# `ip netns exec' (which execs) and `timeout' (which forks the command), the
# daemon itself is a child of BN_PID: use bn_tree to reach it.
bn_spawn()
{
	local ns=$1 logf=$2 st
	shift 2
	ip netns exec "$ns" timeout -k 3 "$BN_PROC_TIMEOUT" "$@" \
	    >"$logf" 2>&1 </dev/null &
	BN_PID=$!
	st=$(bn_starttime "$BN_PID") && BN_PROCS+=("$BN_PID:$st")
	return 0
}

# bn_run NS SECS LOG CMD... -- like bn_spawn but waits; returns its status.
bn_run()
{
	local ns=$1 secs=$2 logf=$3 pid st
	shift 3
	ip netns exec "$ns" timeout -k 3 "$secs" "$@" >"$logf" 2>&1 </dev/null &
	pid=$!
	st=$(bn_starttime "$pid") && BN_PROCS+=("$pid:$st")
	wait "$pid"
}

# bn_kill PID:START... -- TERM the processes and their descendants, give
# them 3 s, then KILL what is left.  Nothing else is touched.
bn_kill()
{
	local e p all=() i left
	for e in "$@"; do
		bn_same "$e" || continue
		for p in $(bn_tree "${e%%:*}"); do
			all+=("$p:$(bn_starttime "$p")")
		done
	done
	((${#all[@]})) || return 0
	for e in "${all[@]}"; do
		bn_same "$e" && kill -TERM "${e%%:*}" 2>/dev/null
	done
	for ((i = 0; i < 30; i++)); do
		left=0
		for e in "${all[@]}"; do
			bn_same "$e" && { left=1; break; }
		done
		((left)) || break
		sleep 0.1
	done
	for e in "${all[@]}"; do
		bn_same "$e" && kill -KILL "${e%%:*}" 2>/dev/null
	done
	for e in "$@"; do
		wait "${e%%:*}" 2>/dev/null
	done
	return 0
}

# Kill everything this run started, newest (clients) first.
bn_kill_all()
{
	local rev=() i
	((${#BN_PROCS[@]})) || return 0
	for ((i = ${#BN_PROCS[@]} - 1; i >= 0; i--)); do
		rev+=("${BN_PROCS[i]}")
	done
	bn_kill "${rev[@]}"
	BN_PROCS=()
}

# bn_wait SECS CMD... -- poll CMD every 0.1 s until it succeeds or SECS pass.
bn_wait()
{
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS >= end)) && return 1
		sleep 0.1
	done
}

# ------------------------------------------------------------ namespaces

bn_ns_exists()
{
	ip netns list 2>/dev/null | awk '{ print $1 }' | grep -x "$1" >/dev/null
}

# bn_ns_up -- fresh namespace pair with the veth between them.  The veth
# ends are created directly inside the namespaces, never in the root one.
bn_ns_up()
{
	local ns
	for ns in "$NS_A" "$NS_B"; do
		bn_ns_exists "$ns" && { bn_log "namespace $ns exists"; return 1; }
	done
	BN_NS_UP=1
	ip netns add "$NS_A" && ip netns add "$NS_B" &&
	ip -n "$NS_A" link set lo up && ip -n "$NS_B" link set lo up &&
	ip link add "$VETH_A" netns "$NS_A" type veth \
	    peer name "$VETH_B" netns "$NS_B" &&
	ip -n "$NS_A" addr add "$OUT_A/24" dev "$VETH_A" &&
	ip -n "$NS_B" addr add "$OUT_B/24" dev "$VETH_B" &&
	ip -n "$NS_A" link set "$VETH_A" up &&
	ip -n "$NS_B" link set "$VETH_B" up || return 1
	if [[ -n $BN_CC ]]; then
		for ns in "$NS_A" "$NS_B"; do
			ip netns exec "$ns" sysctl -qw \
			    net.ipv4.tcp_congestion_control="$BN_CC" || return 1
		done
	fi
	# The veth must carry traffic before a tunnel can use it.
	bn_wait 10 ip netns exec "$NS_B" ping -c 1 -W 1 "$OUT_A"
}

bn_ns_down()
{
	local ns
	((BN_NS_UP)) || return 0
	for ns in "$NS_A" "$NS_B"; do
		bn_ns_exists "$ns" && ip netns del "$ns"
	done
	BN_NS_UP=0
}

# Namespaces of earlier runs that died without cleaning up, removed only
# when no process is left inside them.
bn_clean_stale()
{
	local ns pid
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' |
	    grep -E '^ipbn[0-9]+[ab]$'); do
		[[ $ns == "$NS_A" || $ns == "$NS_B" ]] && continue
		# Its run (ipbnPID) still going owns it, processes or not yet.
		pid=${ns#ipbn}
		[[ -d /proc/${pid%[ab]} ]] && continue
		if [[ -n $(ip netns pids "$ns" 2>/dev/null) ]]; then
			bn_log "stale namespace $ns still has processes; left alone"
			continue
		fi
		bn_log "removing stale namespace $ns"
		ip netns del "$ns"
	done
}

# ------------------------------------------------------------ packages

bn_have_pkg()
{
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}

# bn_install PKG... -- install the missing ones from Debian.  A
# policy-rc.d keeps maintainer scripts from starting openvpn, tinc or vtun
# as services.
bn_install()
{
	local p missing=() rc added=0
	# No questions (not even about a changed conffile), and a fresh
	# machine's apt-daily holding the lock is waited for, not a failure.
	local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -qq
	    -o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confdef
	    -o Dpkg::Options::=--force-confold)
	for p in "$@"; do
		bn_have_pkg "$p" || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	bn_log "installing ${missing[*]}"
	if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
		"${apt[@]}" update </dev/null || return 1
	fi
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		added=1
	fi
	"${apt[@]}" install -y --no-install-recommends "${missing[@]}" \
	    </dev/null >"$BN_WORK/apt.log" 2>&1
	rc=$?
	if ((rc)); then
		# Stale lists are the usual cause; one update, one retry.
		"${apt[@]}" update </dev/null >>"$BN_WORK/apt.log" 2>&1 &&
		"${apt[@]}" install -y --no-install-recommends "${missing[@]}" \
		    </dev/null >>"$BN_WORK/apt.log" 2>&1
		rc=$?
	fi
	((added)) && rm -f /usr/sbin/policy-rc.d
	((rc)) && bn_log "apt-get failed; see $BN_WORK/apt.log" &&
	    tail -5 "$BN_WORK/apt.log" >&2
	return $rc
}

# ------------------------------------------------------------ measuring

# bn_cpu_ticks PID... -- utime + stime (fields 14, 15) summed, in ticks.
bn_cpu_ticks()
{
	local t=0 p s
	for p in "$@"; do
		s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		s=${s##*) }
		set -- $s
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}

# bn_private_kib PID... -- Private_Clean + Private_Dirty summed, in KiB.
bn_private_kib()
{
	local p
	for p in "$@"; do
		cat "/proc/$p/smaps_rollup" 2>/dev/null
	done | awk '/^Private_(Clean|Dirty):/ { k += $2 } END { print k + 0 }'
}

# bn_ping NS DST COUNT OUT -- COUNT pings 10 ms apart; prints "avg p99
# loss%" (ms; p99 by nearest rank), or "n/a n/a 100" if none came back.
bn_ping()
{
	local ns=$1 dst=$2 n=$3 out=$4
	bn_run "$ns" $((n / 50 + 30)) "$out" ping -n -c "$n" -i 0.01 -W 2 "$dst"
	sed -n 's/.* time=\([0-9.]*\).*/\1/p' "$out" | sort -g |
	    awk -v sent="$n" '
	    { v[++n] = $1; s += $1 }
	    END {
		if (n == 0) { print "n/a n/a 100"; exit }
		k = int(0.99 * n + 0.999)
		printf "%.3f %.3f %.1f\n", s / n, v[k], 100 * (sent - n) / sent
	    }'
}

# bn_iperf NS DST STREAMS SECS JSON -- one iperf3 client run; JSON gets -J.
# A server still finishing the previous test answers "busy": retry then.
bn_iperf()
{
	local i
	for ((i = 0; i < 10; i++)); do
		bn_run "$1" $(($4 + 30)) "$5" iperf3 -c "$2" -p "$IPERF_PORT" \
		    -P "$3" -t "$4" -J && return 0
		bn_iperf_error "$5" | grep -i busy >/dev/null || return 1
		sleep 0.5
	done
	return 1
}

# bn_iperf_gbps JSON -- receiver-side Gbit/s, or n/a.
bn_iperf_gbps()
{
	jq -r '.end.sum_received.bits_per_second // empty |
	    . / 1e9 * 1000 | round / 1000' "$1" 2>/dev/null | grep . ||
	    echo n/a
}

# bn_iperf_bytes JSON -- bytes the receiver got, or 0.
bn_iperf_bytes()
{
	jq -r '.end.sum_received.bytes // 0' "$1" 2>/dev/null | grep . ||
	    echo 0
}

bn_iperf_error()
{
	jq -r '.error // empty' "$1" 2>/dev/null | head -c 200
}

# bn_offloads NS IF -- "tso on, gso on, gro off, tx-csum on"
bn_offloads()
{
	ip netns exec "$1" ethtool -k "$2" 2>/dev/null | awk '
	    /^tcp-segmentation-offload:/ { tso = $2 }
	    /^generic-segmentation-offload:/ { gso = $2 }
	    /^generic-receive-offload:/ { gro = $2 }
	    /^tx-checksumming:/ { csum = $2 }
	    END {
		if (tso gso gro csum == "") { print "n/a"; exit }
		printf "tso %s, gso %s, gro %s, tx-csum %s\n",
		    tso, gso, gro, csum
	    }'
}

# bn_route_dev NS DST -- the interface NS sends DST through.
bn_route_dev()
{
	ip -n "$1" route get "$2" 2>/dev/null |
	    sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -1
}

# bn_listening NS PORT -- something in NS listens on TCP PORT.
bn_listening()
{
	ip netns exec "$1" ss -Hltn "sport = :$2" | grep LISTEN >/dev/null
}

# bn_addr_up NS IF LOCAL PEER [MTU] -- point-to-point address, link up.
bn_addr_up()
{
	ip -n "$1" addr add "$3/32" peer "$4/32" dev "$2" &&
	ip -n "$1" link set "$2" ${5:+mtu "$5"} up
}

# bn_tun_add NS IF LOCAL PEER -- a persistent tun (IFF_NO_PI), addressed
# and up, for daemons that attach to an existing device.
bn_tun_add()
{
	ip -n "$1" tuntap add dev "$2" mode tun &&
	bn_addr_up "$1" "$2" "$3" "$4"
}

# bn_procs ROOT... -- the processes of these trees that are not the
# `timeout' wrappers bn_spawn puts around them.
bn_procs()
{
	local r p
	for r in "$@"; do
		for p in $(bn_tree "$r"); do
			[[ $(cat "/proc/$p/comm" 2>/dev/null) == timeout ]] ||
			    echo "$p"
		done
	done
}
