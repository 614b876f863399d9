#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# A full-tunnel client with a killswitch, behind a router, using a
# gateway that announces the default route.  The internet host is
# reachable over the underlay too, so a leak would get through; it counts
# what it receives from the client's overlay address (through the tunnel)
# and from its underlay address (a leak).
#
#  client                 router               gw                    inet
#  c0 10.220.1.2 ─── r0 10.220.1.1          g0 10.220.3.1 ─── i0 10.220.3.2
#  c1 10.220.4.2 ─── r1 10.220.4.1                fd20:3::1      fd20:3::2
#                    r2 10.220.2.1 ─── g1 10.220.2.2:5000
#  ipcp-gw 10.77.0.2, fd77::2                ipcp-client 10.77.0.1, fd77::1
#
# The client dials the gateway (marked, through the router); the gateway
# announces 0.0.0.0/0 and ::/0; the client has full-tunnel and killswitch
# on.  Checked: traffic to inet goes through the tunnel (route lookup
# and inet's counters), the outer connection survives a change of the
# underlay's default route, nothing leaks with the gateway's ipcpd
# killed -9 or the client's, both recover, and SIGTERM, goodbye and a
# reload that turns the features off leave routes, rules, nftables and
# resolv.conf as they were.
. "$(dirname "$0")/lib.sh"

MARK=0x6970
TABLE=26992
INET=10.220.3.2
INET6=fd20:3::2
DEAD_AFTER=3

node_add client
node_add router
node_add gw
node_add inet
C=${NODE_NS[client]}
# The client is not a router; the others are (node_add turned it on).
nx client sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0

veth_add client c0 10.220.1.2/24 router r0 10.220.1.1/24
veth_add client c1 10.220.4.2/24 router r1 10.220.4.1/24
veth_add router r2 10.220.2.1/24 gw g1 10.220.2.2/24
veth_add gw g0 10.220.3.1/24 inet i0 10.220.3.2/24
nx gw ip addr add fd20:3::1/64 dev g0 nodad
nx inet ip addr add fd20:3::2/64 dev i0 nodad
nx client ip route add default via 10.220.1.1
nx router ip route add 10.220.3.0/24 via 10.220.2.2
nx gw ip route add default via 10.220.2.1
nx inet ip route add default via 10.220.3.1
nx inet ip -6 route add default via fd20:3::1

# The client's own resolv.conf (ip netns exec bind-mounts it), so
# nothing here can touch the host's.
netns_resolv "$C" "nameserver 192.0.2.53 # $T_NAME"

# What inet receives, from the overlay (tunnel) and the underlay (leak).
nx inet nft -f - <<EOF || fail "nft on inet"
table inet count {
	counter tun { }
	counter leak { }
	chain in {
		type filter hook input priority 0;
		ip saddr 10.77.0.2 counter name tun
		ip6 saddr fd77::2 counter name tun
		ip saddr { 10.220.1.2, 10.220.4.2 } counter name leak
	}
}
EOF
counter() {
	nx inet nft list counter inet count "$1" |
	    awk '/packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

# The underlay alone reaches inet: a leak would be seen.
wait_until 5 nx client ping -c 1 -W 1 "$INET" >/dev/null ||
    fail "the underlay does not reach inet"
[ "$(counter leak)" -gt 0 ] || fail "inet does not count the underlay"
nx inet nft reset counters table inet count >/dev/null

gw_conf() {
	cat >"$TMP/gw.conf" <<EOF
[node]
name = gw
private-key = $TMP/gw.key
listen = 0.0.0.0:$PORT
address = 10.77.0.1/32, fd77::1/128
announce = 0.0.0.0/0, ::/0
user = $FWD_USER
control = $(sock gw)
heartbeat-interval = 1
dead-after = $DEAD_AFTER

[peer client]
public-key = $(pubkey client)
allowed-ips = 10.77.0.2/32, fd77::2/128
EOF
}

client_conf() {	# client_conf on|off
	cat >"$TMP/client.conf" <<EOF
[node]
name = client
private-key = $TMP/client.key
address = 10.77.0.2/32, fd77::2/128
user = $FWD_USER
control = $(sock client)
heartbeat-interval = 1
dead-after = $DEAD_AFTER

[peer gw]
public-key = $(pubkey gw)
endpoint = 10.220.2.2:$PORT
allowed-ips = 0.0.0.0/0, ::/0
full-tunnel = $1
killswitch = $1
EOF
}

# The client's host state that ipcpd must leave as it found it.
same_as_before() {	# same_as_before WHEN
	host_snapshot "$C" >"$TMP/after.txt"
	diff -u "$TMP/before.txt" "$TMP/after.txt" >"$TMP/diff.txt" ||
	    fail "$1: the client's host differs: $(cat "$TMP/diff.txt")"
}

tun_up() { peer_up client gw && peer_up gw client; }
has_rules() {
	nx client ip rule | match "not from all fwmark $MARK lookup $TABLE" &&
	nx client ip rule | match "not from all fwmark $MARK lookup main suppress_prefixlength 0" &&
	nx client ip -6 rule | match "not from all fwmark $MARK lookup $TABLE"
}
has_killswitch() { nx client nft list table inet ipcp_killswitch >/dev/null 2>&1; }
via_tunnel() {
	nx client ip route get "$INET" | match "dev ipcp-gw" &&
	nx client ip -6 route get "$INET6" | match "dev ipcp-gw"
}
# Pings through the tunnel, seen by inet as the overlay address.
through_tunnel() {
	local before
	before=$(counter tun)
	ping_ok "$C" "$INET" "${1:-3}" || return 1
	ping_ok "$C" "$INET6" 2 || return 1
	[ "$(counter tun)" -ge $((before + ${1:-3} + 2)) ]
}
no_leak() {
	[ "$(counter leak)" = 0 ] || fail "$1: inet saw $(counter leak) \
packets from the client's underlay address"
}

gw_conf
client_conf on
"$IPCPD" -n -c "$TMP/client.conf" >/dev/null 2>&1 || fail "client.conf"
# Link-local addresses still in duplicate detection come later.
wait_until 10 eval '! nx client ip -6 addr | match tentative' ||
    fail "IPv6 addresses on the client stay tentative"
host_snapshot "$C" >"$TMP/before.txt"
node_start gw
node_start client
wait_until 20 tun_up || fail "the tunnel did not come up"
has_rules || fail "no policy rules: $(nx client ip rule)"
has_killswitch || fail "no killswitch table"
wait_until 5 via_tunnel || fail "inet not routed through the tunnel: \
$(nx client ip route get "$INET"; nx client ip route show table all proto $RTPROT)"
# The outer connection itself, marked, takes the underlay.
nx client ip route get 10.220.2.2 mark $MARK | match "dev c0" ||
    fail "marked traffic does not take the underlay"
nx client ip route show proto $RTPROT | match '^default' &&
    fail "the default route is in main, not table $TABLE"
through_tunnel 3 || fail "no traffic through the tunnel to inet"
no_leak "tunnel up"

# The underlay's default route changes: the outer session goes on.
f1=$(fwd_pid client gw) || fail "no forwarder"
nx client ip route replace default via 10.220.4.1 dev c1
through_tunnel 10 || fail "traffic stopped after the underlay changed"
f2=$(fwd_pid client gw) || fail "no forwarder after the change"
[ "$f1" = "$f2" ] || fail "the outer session was replaced ($f1 -> $f2)"
nx client ip route replace default via 10.220.1.1 dev c0
info "outer session survived a new underlay default route (fwd $f1)"

# The gateway dies: nothing leaves, not even over the underlay.
kill -KILL "${DPID[gw]}"
reap "${DPID[gw]}" 5
wait_until $((DEAD_AFTER + 5)) eval '! peer_up client gw' ||
    fail "the client did not notice the gateway's death"
ping_ok "$C" "$INET" 3 && fail "inet reachable with the gateway dead"
has_killswitch || fail "killswitch gone with the tunnel down"
no_leak "gateway dead"
node_start gw
wait_until 40 tun_up || fail "the tunnel did not come back"
wait_until 10 through_tunnel 1 || fail "no traffic after the gateway came back"
no_leak "gateway back"
info "gateway killed: nothing leaked; back through the tunnel"

# The client's ipcpd dies: the killswitch stays, nothing leaks.
kill -KILL "${DPID[client]}"
reap "${DPID[client]}" 5
wait_until 5 eval '! nx client ip link show ipcp-gw >/dev/null 2>&1' ||
    fail "the client's TUN outlived its ipcpd"
has_killswitch || fail "killswitch gone with the client's ipcpd"
ping_ok "$C" "$INET" 3 && fail "inet reachable with the client's ipcpd dead"
nx client ping -c 1 -W 1 10.220.2.2 >/dev/null 2>&1 &&
    fail "the underlay reachable with the client's ipcpd dead"
no_leak "client dead"
node_start client
wait_until 30 tun_up || fail "the tunnel did not come back after kill -9"
[ "$(nx client ip rule | grep -c "fwmark $MARK")" = 2 ] ||
    fail "rules twice after a restart: $(nx client ip rule)"
wait_until 10 through_tunnel 1 || fail "no traffic after the client came back"
no_leak "client back"
info "client killed: killswitch held; rules taken over"

# ipcpctl restart (exec in place, no tunnel_stop): the new binary keeps
# the rules, the table and the killswitch, with no gap for the pings.
f1=$(fwd_pid client gw) || fail "no forwarder before restart"
host_snapshot "$C" >"$TMP/pre-restart.txt"
nx client ping -n -i 0.02 -c 150 -W 1 "$INET" >"$TMP/ping.restart" 2>&1 &
rp=$!
MY_PIDS+=("$rp")
wait_until 5 match "bytes from" "$TMP/ping.restart" || fail "ping to inet"
out=$(ctl client restart 2>&1) || fail "ipcpctl restart: $out"
wait_until 10 ctl client status >/dev/null || fail "no answer after restart"
reap "$rp" 20 || fail "the ping across the restart did not finish"
loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$TMP/ping.restart")
[ "$loss" = 0 ] || fail "ping lost $loss% across ipcpctl restart"
f2=$(fwd_pid client gw) || fail "no forwarder after restart"
[ "$f1" = "$f2" ] || fail "the session changed across restart"
wait_until 5 eval 'host_snapshot "$C" >"$TMP/post-restart.txt"; diff -q \
    "$TMP/pre-restart.txt" "$TMP/post-restart.txt" >/dev/null' ||
    fail "rules or killswitch changed across restart: $(diff \
    "$TMP/pre-restart.txt" "$TMP/post-restart.txt")"
via_tunnel || fail "not through the tunnel after restart"
no_leak "restart"
info "ipcpctl restart: no ping lost, rules and killswitch kept"

# SIGTERM: everything as before.
stop_daemon client || fail "client did not stop"
[ "$STOP_RC" = 0 ] || fail "client exited $STOP_RC"
same_as_before "after SIGTERM"

# ipcpctl goodbye: the same.
node_start client
wait_until 30 tun_up || fail "no tunnel (goodbye round)"
has_killswitch || fail "no killswitch (goodbye round)"
ctl client goodbye >/dev/null 2>&1 || fail "goodbye failed"
reap "${DPID[client]}" 10 || fail "client exited $? after goodbye"
same_as_before "after goodbye"

# A reload that turns both off: ipcpd stays, the host is as before but
# for its TUN and its routes through it, now in main.
node_start client
wait_until 30 tun_up || fail "no tunnel (reload round)"
wait_until 5 has_rules || fail "no rules (reload round)"
client_conf off
ctl client reload >"$TMP/reload.out" 2>&1 ||
    fail "reload: $(cat "$TMP/reload.out")"
wait_until 5 eval '! has_killswitch' || fail "killswitch stayed after reload"
same_as_before "after a reload turning them off"
nx client ip route show proto $RTPROT | match "^default dev ipcp-gw" ||
    fail "the default route did not move to main: $(nx client ip route)"
nx client ip -6 route show proto $RTPROT | match "^default dev ipcp-gw" ||
    fail "the IPv6 default route did not move to main"
peer_up client gw || fail "the session went with the reload"
# And on again, live: the session starts again, marked, and works.
client_conf on
ctl client reload >"$TMP/reload.out" 2>&1 ||
    fail "reload on: $(cat "$TMP/reload.out")"
wait_until 5 has_rules || fail "no rules after reload on"
has_killswitch || fail "no killswitch after reload on"
wait_until 30 tun_up || fail "no tunnel after reload on"
wait_until 10 through_tunnel 1 || fail "no traffic after reload on"
no_leak "reload on"
stop_daemon client || fail "client did not stop"
same_as_before "after the last SIGTERM"
pass
