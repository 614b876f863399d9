#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# gateway.sh -- a gateway under its clients (issue 10), on this machine:
#
#   For each N given (default 200): one gateway ipcpd with a [gateway]
#   pool and a passcode and no [peer] at all, and N clients, each its own
#   ipcpd in its own namespace, joining with the passcode (lease = on),
#   all on bridges in the gateway's namespace (tests/netns/star.sh).  An
#   "internet" host sits beyond the gateway, with no route back to the
#   pool: only the gateway's NAT brings replies home.  Per N:
#     - leased: from the clients' start (the gateway already listening)
#       until `ipcpctl -j leases' on the gateway lists N connected;
#     - pinging: until every client has pinged the internet host through
#       the gateway (32 pings in flight, each client until it answers);
#     - the gateway's memory: ipcpd's private memory, and its forwarders'
#       (sum and average);
#   Then NAT's cost: one client's single-stream TCP throughput to the
#   internet host (iperf3, reno, TIME s, median of REPS) through the NAT,
#   and the same client after a reload turns nat off (the internet host
#   then gets a route back to the pool): the ratio is NAT's cost.
#
# usage: bench/gateway.sh [-t TIME] [-r REPS] [-o FILE.md] [N ...]
# Environment: IPCP_BUILD (directory with ipcpd, ipcp-fwd, ipcpctl).
#
# Targets (issue 10): 200 clients leased and pinging within 20 s of the
# start; NAT costs less than 10% of single-stream throughput.  Everything
# it starts is killed by PID and its namespaces deleted on exit.

set -u -o pipefail
export LC_ALL=C

TIME=5
REPS=3
OUT=""
while getopts "t:r:o:h" ch; do
	case $ch in
	t) TIME=$OPTARG ;;
	r) REPS=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) sed -n '3,28p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
SIZES=("$@")
[ $# -gt 0 ] || SIZES=(200)

T_NAME=gateway
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/lib.sh
. "$HERE/../tests/netns/lib.sh"
# shellcheck source=tests/netns/star.sh
. "$HERE/../tests/netns/star.sh"

ulimit -n "$(ulimit -Hn)" 2>/dev/null
INET_NS=${PFX}inet
INET=10.250.0.2
POOL=10.99.0.0/16

secs_since() {
	local d=$(( $(now_us) - $1 ))
	printf '%d.%02d' $((d / 1000000)) $(( (d % 1000000) / 10000 ))
}

# The internet host: a veth from the gateway's namespace, no route back.
inet_build() {
	ip netns add "$INET_NS" || fail "ip netns add $INET_NS"
	MY_NS+=("$INET_NS")
	ip link add up0 netns "$STAR_GW_NS" type veth peer name up0 \
	    netns "$INET_NS" || fail "uplink veth"
	star_gw ip addr add 10.250.0.1/24 dev up0
	star_gw ip link set up0 up
	ip -n "$INET_NS" addr add "$INET/24" dev up0
	ip -n "$INET_NS" link set up0 up
	ip -n "$INET_NS" link set lo up
}

# Configs: the gateway has a pool and a passcode but no [peer]; each
# client takes a lease and routes the internet host through it.
gw_confs() {
	local nat=$1
	echo "bench $$" >"$TMP/passcode"
	chmod 600 "$TMP/passcode"
	python3 - "$TMP" "$STAR_N" "$STAR_PER_BRIDGE" "$FWD_USER" "$PORT" \
	    "$nat" "$POOL" <<'PY' || fail "cannot write the configs"
import sys
tmp, n, per, user, port, nat, pool = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
def pub(name):
    return open("%s/%s.pub" % (tmp, name)).read().strip()
def node(name, extra):
    return ("[node]\nname = %s\nprivate-key = %s/%s.key\nuser = %s\n"
            "control = %s/%s.sock\n%s" % (name, tmp, name, user, tmp,
                                          name, extra))
with open("%s/gw.conf" % tmp, "w") as f:
    f.write(node("gw", "listen = 0.0.0.0:%s\naddress = 10.99.0.1/32\n"
                 % port))
    f.write("\n[gateway]\npool = %s\nroutes = 10.250.0.0/24\n"
            "nat = %s\nlease-time = 600\npasscode = %s/passcode\n"
            "max-clients = %d\nstate-dir = %s/state\n"
            % (pool, nat, tmp, n + 10, tmp))
gwpub = pub("gw")
for i in range(1, n + 1):
    with open("%s/c%d.conf" % (tmp, i), "w") as f:
        f.write(node("c%d" % i, ""))
        f.write("\n[peer gw]\npublic-key = %s\nendpoint = 10.%d.0.1:%s\n"
                "allowed-ips = 10.99.0.1/32, 10.250.0.0/24\nlease = on\n"
                "passcode = %s/passcode\n"
                % (gwpub, 100 + (i - 1) // per, port, tmp))
PY
}

# leased: how many leases the gateway lists as connected.
leased() {
	ctl gw -j leases 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for l in json.load(sys.stdin) if l.get("connected")))' \
	    2>/dev/null || echo 0
}
LAST_LEASED=0
all_leased() { LAST_LEASED=$(leased); [ "$LAST_LEASED" -ge "$1" ]; }

# iperf_median: one client's single-stream TCP to the internet host.
iperf_median() {
	local r out=()
	for r in $(seq 1 "$REPS"); do
		out+=("$(ip netns exec "${PFX}c1" iperf3 -c "$INET" -t "$TIME" \
		    -C reno -J 2>/dev/null | python3 -c '
import json, sys
print("%.0f" % (json.load(sys.stdin)["end"]["sum_received"]
                ["bits_per_second"] / 1e6))' 2>/dev/null || echo 0)")
	done
	printf '%s\n' "${out[@]}" | sort -n | sed -n "$(( (REPS + 1) / 2 ))p"
}

declare -A R=()

run_size() {
	local n=$1 t
	info "---- gateway with $n passcode clients"
	star_build "$n"
	inet_build
	gw_confs on
	star_start_gw
	T0=$(now_us)
	star_start_clients
	R[$n:launch]=$(secs_since "$T0")
	if wait_until 120 all_leased "$n"; then
		R[$n:leased]=$(secs_since "$T0")
	else
		R[$n:leased]="> 120 s ($LAST_LEASED)"
	fi
	info "leased: ${R[$n:leased]} s (the last client started at" \
	    "${R[$n:launch]} s)"
	t=$(now_us)
	# Each client until one reply (ping -c counts replies under -w),
	# with no shell per client: the harness must not be what is timed.
	if seq 1 "$n" | xargs -P 32 -I{} ip netns exec "${PFX}c{}" \
	    ping -q -n -c 1 -i 0.2 -w 10 "$INET" >/dev/null; then
		R[$n:ping]=$(secs_since "$T0")
	else
		R[$n:ping]="failed"
	fi
	info "all pinged through the NAT: ${R[$n:ping]} s after the start" \
	    "($(secs_since "$t") s of pinging)"
	star_peers
	read -r R[$n:mem_avg] _ _ R[$n:fwds] R[$n:mem_gw] < <(star_memory)
	R[$n:mem_fwd]=$(( R[$n:mem_avg] * R[$n:fwds] ))
	info "memory: ipcpd ${R[$n:mem_gw]} KiB, forwarders ${R[$n:mem_fwd]}" \
	    "KiB (${R[$n:mem_avg]} each, ${R[$n:fwds]})"

	# NAT against no NAT, one client, the rest idle.
	R[$n:nat]=$(nat_pair on)
	gw_confs off
	ctl gw reload >/dev/null || fail "reload nat = off"
	ip -n "$INET_NS" route add "$POOL" via 10.250.0.1
	star_gw sysctl -qw net.ipv4.ip_forward=1
	R[$n:nonat]=$(nat_pair off)
	info "one client: ${R[$n:nat]} Mbit/s through NAT," \
	    "${R[$n:nonat]} Mbit/s without"
	star_destroy
	ip netns del "$INET_NS" 2>/dev/null
}

# nat_pair LABEL: the median throughput, with an iperf3 server per run.
nat_pair() {
	local pid v
	ip netns exec "$INET_NS" iperf3 -s >/dev/null 2>&1 &
	pid=$!
	MY_PIDS+=("$pid")
	wait_until 5 eval 'ip netns exec "$INET_NS" ss -ltn | match ":5201 "'
	v=$(iperf_median)
	kill "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null
	forget_pid "$pid"
	echo "$v"
}

for n in "${SIZES[@]}"; do
	run_size "$n"
done

{
	echo "## Gateway: passcode clients, leases, NAT ($(date -u +%F), $(nproc) CPUs)"
	echo
	echo "| N | clients started | all leased | all pinged via NAT | gateway ipcpd | forwarders (each) | 1 client via NAT | without NAT | NAT cost |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for n in "${SIZES[@]}"; do
		cost=$(python3 -c 'import sys
a, b = float(sys.argv[1] or 0), float(sys.argv[2] or 0)
print("%.1f%%" % ((1 - a / b) * 100) if b else "?")' "${R[$n:nat]}" "${R[$n:nonat]}")
		echo "| $n | ${R[$n:launch]} s | ${R[$n:leased]} s | ${R[$n:ping]} s | ${R[$n:mem_gw]} KiB | ${R[$n:mem_fwd]} KiB (${R[$n:mem_avg]}) | ${R[$n:nat]} Mbit/s | ${R[$n:nonat]} Mbit/s | $cost |"
	done
} | tee ${OUT:+"$OUT"}
