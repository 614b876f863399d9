#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# A CONTROL flood from an authenticated peer.  alpha lists a third key,
# "attacker" (tests/tools/ipcp-attack, in beta's namespace), which sends
# thousands of route announcements and withdrawals a second, and as many
# malformed CONTROL messages, for 5 s.  The flood is dropped and counted
# at the forwarder and at ipcpd; alpha's routes to beta stay, traffic to
# beta flows throughout, alpha's log grows by a bounded number of lines,
# its ipcpd stays within a bounded share of a CPU, and the attacker's own
# session is not torn down for it.
. "$(dirname "$0")/lib.sh"

need_attack
setup_topology
make_keys alpha beta attacker
write_configs
{
	echo
	echo "[peer attacker]"
	echo "public-key = $(pubkey attacker)"
	echo "allowed-ips = 10.99.0.0/16"
} >>"$TMP/alpha.conf"
start_daemons
wait_up 20

apid=${DPID[alpha]}
lines0=$(wc -l <"$TMP/alpha.log")
cpu0=$(cpu_ms "$apid")
t0=$(now_us)
n2 "$ATTACK" control "$IP_A:$PORT" "$TMP/attacker.key" "$(pubkey alpha)" \
    10.99.5.0/24 2000 5 >"$TMP/attack.out" 2>&1 &
attacker=$!
MY_PIDS+=("$attacker")
wait_until 5 peer_up alpha attacker ||
    fail "the attacker's session is not up: $(cat "$TMP/attack.out")"

# While it floods: beta's routes stay and traffic flows.
dropped=0
while proc_alive "$attacker"; do
	d=$(peer_field alpha attacker control_dropped)
	[ "${d:-0}" -gt "$dropped" ] && dropped=$d
	route_is alpha "$OV_B/32" "beta 10 beta" ||
	    fail "alpha lost its route to beta during the flood"
	ping_ok "$NS_A" "$OV_B" 1 || fail "no ping to beta during the flood"
	[ $(( $(now_us) - t0 )) -lt 20000000 ] || fail "the flood never ended"
done
reap "$attacker" 10
rc=$?
t1=$(now_us)
[ "$rc" = 0 ] || fail "the attacker's session was closed: $(cat \
    "$TMP/attack.out")"
lines=$(( $(wc -l <"$TMP/alpha.log") - lines0 ))
used=$(( $(cpu_ms "$apid") - cpu0 ))
wall=$(( (t1 - t0) / 1000 ))
info "$(cat "$TMP/attack.out")"
info "alpha: $lines log lines, ipcpd CPU $used ms in $wall ms," \
    "$dropped CONTROL messages dropped"
[ "$lines" -lt 300 ] || fail "the flood wrote $lines log lines"
[ "${dropped:-0}" -gt 0 ] || fail "nothing was dropped"
# A quarter of one CPU at most, for a flood of 4000 messages a second.
[ "$used" -lt $((wall / 4)) ] || fail "ipcpd used $used ms of CPU in" \
    "$wall ms"
route_is alpha "$OV_B/32" "beta 10 beta" || fail "route to beta lost"
daemons_alive alpha beta || fail "a daemon died"
pass
