#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Bulk TCP through the tunnel with iperf3, and for scale the same over the
# bare veth, plus ping round trips both ways.  Numbers are printed, not
# judged: this host is shared.  Asserted: the transfer through the tunnel
# completed and moved bytes.
. "$(dirname "$0")/lib.sh"

command -v iperf3 >/dev/null || fail "iperf3 not installed"
standard_setup

# iperf_run SERVER_ADDR: one 10 s run, server in b, client in a; sets
# IPERF to "bytes bits_per_second retransmits" (bytes and rate as the
# receiver counted them, retransmits of the inner TCP).
iperf_run() {
	local addr=$1 spid out
	ip netns exec "$NS_B" iperf3 -s -1 -B "$addr" >"$TMP/iperf-s.log" 2>&1 &
	spid=$!
	MY_PIDS+=("$spid")
	wait_until 10 eval "n2 ss -Hltn 'sport = :5201' | match ." ||
	    fail "iperf3 server does not listen"
	out=$(n1 timeout 30 iperf3 -J -t 10 -c "$addr" 2>"$TMP/iperf-c.err")
	wait_until 5 proc_gone "$spid" || stop_pid "$spid"
	wait "$spid" 2>/dev/null
	forget_pid "$spid"
	IPERF=$(printf '%s' "$out" | python3 -c '
import json, sys
e = json.load(sys.stdin)["end"]
print(int(e["sum_received"]["bytes"]), e["sum_received"]["bits_per_second"],
      e["sum_sent"].get("retransmits", "?"))' 2>/dev/null)
}

# rtt NETNS ADDR: the average of 20 pings.
rtt() {
	ip netns exec "$1" ping -q -c 20 -i 0.05 -W 2 "$2" 2>/dev/null |
	    sed -n 's|^rtt [^=]*= [^/]*/\([^/]*\)/.*|\1|p'
}

cc=$(n1 sysctl -n net.ipv4.tcp_congestion_control)

iperf_run "$OV_B"
read -r bytes bps retr <<<"$IPERF"
[ -n "${bytes:-}" ] && [ "$bytes" -gt 0 ] ||
    fail "iperf3 through the tunnel moved no bytes"
gbps=$(python3 -c "print('%.2f' % ($bps / 1e9))")
echo "  iperf3 through ipcp: $gbps Gbit/s (outer CC: $cc)"
echo "  inner TCP retransmits through ipcp: $retr"

iperf_run "$IP_B"
read -r rbytes rbps _ <<<"$IPERF"
if [ -n "${rbytes:-}" ]; then
	rgbps=$(python3 -c "print('%.2f' % ($rbps / 1e9))")
	echo "  iperf3 over raw veth: $rgbps Gbit/s"
else
	echo "  iperf3 over raw veth: failed"
fi

t_rtt=$(rtt "$NS_A" "$OV_B")
r_rtt=$(rtt "$NS_A" "$IP_B")
[ -n "$t_rtt" ] || fail "ping through the tunnel failed after iperf3"
echo "  ping rtt avg: through ipcp ${t_rtt} ms, raw veth ${r_rtt:-?} ms"

# The session survived the load.
peer_up alpha beta && peer_up beta alpha || fail "session not up after iperf3"
daemons_alive alpha beta || fail "a daemon died"
pass
