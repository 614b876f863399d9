#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Outbound route filtering: a node tells each peer in its hello what it
# takes from it (its allowed-ips for the peer), and the peer sends
# nothing else.
#
#   c1 ──── gw ──── c2		c1 and c2 take only gw's own addresses
#				from gw; gw takes everything from both
#
# gw learns c1 and c2, and announces neither to the other: the clients
# refuse nothing (routes_rejected 0) because they are offered nothing
# they would refuse.  When c1's allowed-ips for gw widen by reload, c1's
# new hello tells gw, which sends what now fits: c1 learns c2 through
# gw.  After an ipcpctl restart of gw the filters hold.
. "$(dirname "$0")/lib.sh"

for n in gw c1 c2; do
	node_add "$n"
done
link_add c1 gw
link_add c2 gw
for n in gw c1 c2; do
	node_conf "$n"
done
ONLY_GW="$(ov gw)/32, $(ov6 gw)/128"
for n in c1 c2; do
	sed -i "/^\[peer gw\]/,/^\[/ s|^allowed-ips = .*|allowed-ips = $ONLY_GW|" \
	    "$TMP/$n.conf"
done
for n in gw c1 c2; do
	node_start "$n"
done

wait_until 20 eval 'peer_up gw c1 && peer_up gw c2' || fail "not up"
wait_until 10 route_is gw "$(ov c1)/32" "c1 10 c1" || fail "gw: no c1"
wait_until 10 route_is gw "$(ov c2)/32" "c2 10 c2" || fail "gw: no c2"
wait_until 10 route_is c1 "$(ov gw)/32" "gw 10 gw" || fail "c1: no gw"

# Give gw's announcements of c2 (which it must not send) time to arrive
# if they were going to: gw's table to c1 went out with its first
# exchange, and c1's view of gw is complete once gw's own routes are in.
# A second look after a round trip of CONTROL (a trace) settles it.
ctl c1 trace gw >/dev/null 2>&1 || fail "c1: trace to gw failed"
for n in c1 c2; do
	rej=$(peer_field "$n" gw routes_rejected)
	got=$(peer_field "$n" gw routes)
	[ "$rej" = 0 ] || fail "$n refused $rej announcements from gw"
	[ "$got" = 2 ] || fail "$n learned $got prefixes from gw, want 2"
done
info "clients offered only what they take: 2 prefixes each, 0 refused"

# c1 widens what it takes from gw: it hears c2 now.
sed -i "/^\[peer gw\]/,/^\[/ s|^allowed-ips = .*|allowed-ips = $MESH_ALLOWED|" \
    "$TMP/c1.conf"
ctl c1 reload >/dev/null || fail "c1: reload failed"
wait_until 10 route_is c1 "$(ov c2)/32" "gw 20 gw c2" ||
    fail "c1: no route to c2 through gw after widening: $(route_best c1 \
    "$(ov c2)/32")"
# (No ping: c2 still takes only gw's addresses as sources from gw.)
[ "$(peer_field c2 gw routes_rejected)" = 0 ] ||
    fail "c2 refused announcements after c1's reload"

# A restart of gw keeps each peer's filter: a prefix gw learns after
# it (c1 announces a LAN) goes to nobody who would refuse it.
ctl gw restart >/dev/null || fail "gw: restart failed"
sed -i 's|^\[node\]$|[node]\nannounce = 192.168.60.0/24|' "$TMP/c1.conf"
ctl c1 reload >/dev/null || fail "c1: reload with announce failed"
wait_until 10 route_is gw 192.168.60.0/24 "c1 10 c1" ||
    fail "gw: no route to c1's LAN"
ctl c2 trace gw >/dev/null 2>&1 || fail "c2: trace to gw failed"
[ "$(peer_field c2 gw routes_rejected)" = 0 ] ||
    fail "c2 was offered c1's LAN after gw's restart"
[ "$(peer_field c2 gw routes)" = 2 ] ||
    fail "c2 learned $(peer_field c2 gw routes) prefixes, want 2"
ping_ok "${NODE_NS[c1]}" "$(ov gw)" || fail "c1 cannot ping gw after restart"
daemons_alive gw c1 c2 || fail "a daemon died"
pass
