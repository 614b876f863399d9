#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# The gateway's NAT and `secure' (ctld/gwnat.c), without leases: the
# client has a static address in the pool and the gateway announces the
# default routes to it.
#
#  client                 gw                                inet
#  10.99.0.2 fd99::2      10.99.0.1 fd99::1 (on its TUN)    198.51.100.1/32
#  ipcp-gw ══ tunnel ══ ipcp-client                          2001:db8:100::1
#  up0 10.201.0.2 ─────── up0 10.201.0.1   wan 10.202.0.1 ── wan 10.202.0.2/30
#                                          lan 192.168.77.1     fd02::2/64
#                                              │ fd03::1
#                                          lan 192.168.77.2  (lan host)
#
# inet and the lan host have no route to the pool: a client reaches them
# only through the gateway's masquerade, and they see its address.
# Checked: NAT (v4 and v6, the source inet sees), forwarding turned on
# and put back exactly (per-interface values too), secure on (no LAN,
# no gateway address, no attached network, even one added while it
# runs; DNS to the pushed address allowed) and off by reload, nat off and
# on by reload, ipcpctl restart keeps it all, SIGTERM and goodbye leave `nft list ruleset' and the
# forwarding sysctls as before, a kill -9 and a start keep the
# originals, and a start without [gateway] after a kill -9 cleans up.
. "$(dirname "$0")/lib.sh"

need_root
NS_C=${PFX}c NS_G=${PFX}g NS_I=${PFX}i NS_L=${PFX}l
for ns in "$NS_C" "$NS_G" "$NS_I" "$NS_L"; do
	ip netns add "$ns" || fail "ip netns add $ns"
	MY_NS+=("$ns")
	ip netns exec "$ns" ip link set lo up
done
nc() { ip netns exec "$NS_C" "$@"; }
ng() { ip netns exec "$NS_G" "$@"; }
ni() { ip netns exec "$NS_I" "$@"; }
nl() { ip netns exec "$NS_L" "$@"; }

# veth NAME NS1 ADDR1 ADDR6_1 NS2 ADDR2 ADDR6_2
veth() {
	ip link add "$1" netns "$2" type veth peer name "$1" netns "$5" ||
	    fail "veth $1"
	ip -n "$2" addr add "$3" dev "$1"
	ip -n "$2" addr add "$4" dev "$1" nodad
	ip -n "$5" addr add "$6" dev "$1"
	ip -n "$5" addr add "$7" dev "$1" nodad
	ip -n "$2" link set "$1" up
	ip -n "$5" link set "$1" up
}
veth up0 "$NS_C" 10.201.0.2/24 fd01::2/64 "$NS_G" 10.201.0.1/24 fd01::1/64
veth wan "$NS_G" 10.202.0.1/30 fd02::1/64 "$NS_I" 10.202.0.2/30 fd02::2/64
veth lan "$NS_G" 192.168.77.1/24 fd03::1/64 "$NS_L" 192.168.77.2/24 \
    fd03::2/64
ni ip addr add 198.51.100.1/32 dev lo
ni ip addr add 2001:db8:100::1/128 dev lo
ng ip route add 198.51.100.0/24 via 10.202.0.2
ng ip -6 route add 2001:db8:100::/64 via fd02::2
# An admin's own per-interface forwarding, which must survive the
# gateway's host-wide switch going on and off.
ng sysctl -qw net.ipv4.conf.lan.forwarding=1 net.ipv6.conf.lan.forwarding=1
wait_until 5 ng ping -c 1 -W 1 10.202.0.2 >/dev/null || fail "wan veth"

# The host as the gateway's ipcpd must leave it.
host_snapshot "$NS_G" >"$TMP/before" || fail "cannot read the gateway's state"
fwd4() { ng cat /proc/sys/net/ipv4/ip_forward; }
fwd6() { ng cat /proc/sys/net/ipv6/conf/all/forwarding; }

# A server that answers each TCP connection and UDP datagram with the
# peer's address, and its client.
cat >"$TMP/peeraddr.py" <<'PY'
import socket, sys, threading
mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
if mode == "serve":
    t = socket.socket(fam, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    u = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        for s in (t, u):
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    t.bind((addr, port)); t.listen(16); u.bind((addr, port))
    def udp():
        while True:
            d, a = u.recvfrom(2048)
            u.sendto(a[0].encode(), a)
    threading.Thread(target=udp, daemon=True).start()
    while True:
        c, a = t.accept()
        c.sendall(a[0].encode())
        c.close()
s = socket.socket(fam, socket.SOCK_STREAM if mode == "tcp" else
    socket.SOCK_DGRAM)
s.settimeout(1.5)
try:
    if mode == "tcp":
        s.connect((addr, port))
    else:
        s.sendto(b"?", (addr, port))
    print(s.recv(100).decode())
except OSError:
    sys.exit(1)
PY
serve() {
	ip netns exec "$1" "$PYTHON" "$TMP/peeraddr.py" serve "$2" "$3" \
	    </dev/null >/dev/null 2>&1 &
	MY_PIDS+=("$!")
}
# ask NS tcp|udp ADDR PORT: what the server there saw as our address.
ask() { ip netns exec "$1" "$PYTHON" "$TMP/peeraddr.py" "$2" "$3" "$4"; }
serve "$NS_I" 198.51.100.1 7000
serve "$NS_I" 2001:db8:100::1 7000
serve "$NS_L" 0.0.0.0 7000
serve "$NS_G" 0.0.0.0 53	# the pushed DNS, on the gateway itself
serve "$NS_G" 0.0.0.0 54	# not DNS
wait_until 5 eval 'ask "$NS_I" tcp 198.51.100.1 7000 >/dev/null &&
    ask "$NS_I" tcp 2001:db8:100::1 7000 >/dev/null &&
    ask "$NS_G" udp 127.0.0.1 53 >/dev/null &&
    ask "$NS_G" tcp 127.0.0.1 54 >/dev/null' || fail "helper servers"

make_keys gw client
STATE=$TMP/gwstate
# gw_conf [GATEWAY LINES...]: no lines, no [gateway].
gw_conf() {
	{
		echo "[node]"
		echo "name = gw"
		echo "private-key = $TMP/gw.key"
		echo "listen = 10.201.0.1:$PORT"
		echo "address = 10.99.0.1/32, fd99::1/128"
		echo "user = $FWD_USER"
		echo "control = $(sock gw)"
		echo "heartbeat-interval = 1"
		echo "dead-after = 4"
		if [ $# -gt 0 ]; then
			echo "[gateway]"
			echo "pool = 10.99.0.0/24, fd99::/112"
			echo "routes = 0.0.0.0/0, ::/0"
			echo "dns = 10.99.0.1"
			echo "state-dir = $STATE"
			for l in "$@"; do echo "$l"; done
		fi
		echo "[peer client]"
		echo "public-key = $(pubkey client)"
		echo "allowed-ips = 10.99.0.2/32, fd99::2/128"
	} >"$TMP/gw.conf"
}
cat >"$TMP/client.conf" <<EOF
[node]
name = client
private-key = $TMP/client.key
address = 10.99.0.2/32, fd99::2/128
user = $FWD_USER
control = $(sock client)
heartbeat-interval = 1
dead-after = 4
[peer gw]
public-key = $(pubkey gw)
endpoint = 10.201.0.1:$PORT
allowed-ips = 0.0.0.0/0, ::/0
EOF

reload() {
	ctl gw reload >/dev/null || fail "reload $*: $(ctl gw reload 2>&1)"
}
gw_up() { peer_up gw client && peer_up client gw; }
ping_c() { nc ping -q -c 1 -W "${2:-2}" "$1" >/dev/null 2>&1; }
no_ping() { ! ping_c "$1" 1 || fail "client reaches $1 ($2)"; }
table_has() { ng nft list table inet ipcp_gateway 2>/dev/null | match "$@"; }
same_as_before() {
	host_snapshot "$NS_G" >"$TMP/after"
	diff -u "$TMP/before" "$TMP/after" >"$TMP/diff" || {
		cat "$TMP/diff" >&2
		fail "$1: the gateway's ruleset or sysctls differ from before"
	}
	[ -z "$(ls -A "$STATE" 2>/dev/null | grep sysctl)" ] ||
	    fail "$1: $(ls "$STATE") left in the state dir"
}

# ---- nat and secure on ----------------------------------------------
gw_conf "nat = on" "secure = on"
start_daemon gw "$NS_G"
start_daemon client "$NS_C"
wait_until 20 gw_up || fail "session not up"
[ "$(fwd4)" = 1 ] && [ "$(fwd6)" = 1 ] || fail "forwarding not on"
[ -s "$STATE/gw.sysctl" ] || fail "no $STATE/gw.sysctl"
default_via() {
	nc ip "$1" route show proto "$RTPROT" default | match 'dev ipcp-gw'
}
wait_until 10 default_via -4 || fail "client: no default route via ipcp-gw"
wait_until 10 default_via -6 || fail "client: no IPv6 default via ipcp-gw"
wait_until 10 ping_c 198.51.100.1 || fail "no ping to inet (v4 NAT)"
wait_until 10 ping_c 2001:db8:100::1 || fail "no ping to inet (NAT66)"
src=$(ask "$NS_C" tcp 198.51.100.1 7000) || fail "tcp to inet"
[ "$src" = 10.202.0.1 ] || fail "inet saw $src, not the gateway 10.202.0.1"
src=$(ask "$NS_C" udp 198.51.100.1 7000) || fail "udp to inet"
[ "$src" = 10.202.0.1 ] || fail "inet saw $src over udp"
src=$(ask "$NS_C" tcp 2001:db8:100::1 7000) || fail "tcp6 to inet"
[ "$src" = fd02::1 ] || fail "inet saw $src, not the gateway fd02::1"
info "NAT: inet sees 10.202.0.1 and fd02::1"

# secure: not the LAN, not the gateway, not an attached network.
no_ping 192.168.77.2 "the LAN host, secure on"
no_ping 192.168.77.1 "the gateway's LAN address"
no_ping 10.202.0.1 "the gateway's uplink address"
no_ping 10.202.0.2 "the uplink's network"
no_ping 10.99.0.1 "the gateway's own pool address"
! ask "$NS_C" tcp 192.168.77.2 7000 >/dev/null || fail "tcp to the LAN host"
! ask "$NS_C" tcp 10.99.0.1 54 >/dev/null || fail "tcp to the gateway"
src=$(ask "$NS_C" udp 10.99.0.1 53) || fail "DNS over udp refused"
[ "$src" = 10.99.0.2 ] || fail "the gateway's DNS saw $src"
ask "$NS_C" tcp 10.99.0.1 53 >/dev/null || fail "DNS over tcp refused"
# A network the gateway joins while it runs is kept out within moments.
ng ip addr add 172.30.0.1/24 dev lan
nl ip addr add 172.30.0.2/24 dev lan
wait_until 5 eval 'ng nft list set inet ipcp_gateway local4 |
    match 172.30.0.0/24' || fail "172.30.0.0/24 not in local4"
no_ping 172.30.0.2 "a network added while secure is on"
# The test's own change, undone: the host must compare with before.
ng ip addr del 172.30.0.1/24 dev lan
info "secure: LAN, gateway and attached networks refused, DNS allowed"

# ---- secure off, live -----------------------------------------------
gw_conf "nat = on" "secure = off"
reload "secure off"
wait_until 5 ping_c 192.168.77.2 || fail "no LAN host with secure off"
src=$(ask "$NS_C" tcp 192.168.77.2 7000) || fail "tcp to the LAN host"
[ "$src" = 192.168.77.1 ] || fail "the LAN host saw $src"
ping_c 10.99.0.1 || fail "no gateway with secure off"
peer_up gw client || fail "the session did not survive the reload"
gw_conf "nat = on" "secure = on"
reload "secure on"
wait_until 5 eval '! ping_c 192.168.77.2 1' ||
    fail "LAN host reachable after secure on again"

# ---- nat off and on, live -------------------------------------------
gw_conf "nat = off"
reload "nat off"
[ "$(fwd4)" = 0 ] && [ "$(fwd6)" = 0 ] || fail "forwarding still on"
[ "$(ng cat /proc/sys/net/ipv4/conf/lan/forwarding)" = 1 ] ||
    fail "nat off lost lan's own IPv4 forwarding"
[ "$(ng cat /proc/sys/net/ipv6/conf/lan/forwarding)" = 1 ] ||
    fail "nat off lost lan's own IPv6 forwarding"
[ ! -e "$STATE/gw.sysctl" ] || fail "gw.sysctl left with nat off"
ng nft list table inet ipcp_gateway >/dev/null 2>&1 &&
    fail "table left with nat and secure off"
no_ping 198.51.100.1 "inet, nat off"
gw_conf "nat = on" "secure = on"
reload "nat on"
wait_until 5 ping_c 198.51.100.1 || fail "no inet after nat on again"
[ "$(fwd4)" = 1 ] || fail "forwarding not on again"
info "reload: secure off/on, nat off/on live"

# ipcpctl restart: the new binary keeps the originals, not its own 1s.
out=$(ctl gw restart 2>&1) || fail "ipcpctl restart: $out"
wait_until 10 eval 'ctl gw status >/dev/null 2>&1' || fail "no gw after restart"
[ "$(ng nft list ruleset | grep -c masquerade)" = 2 ] ||
    fail "masquerade rules after restart: $(ng nft list ruleset)"
grep -q '^net/ipv4/ip_forward 0$' "$STATE/gw.sysctl" ||
    fail "restart lost the originals: $(cat "$STATE/gw.sysctl")"
wait_until 10 ping_c 198.51.100.1 || fail "no inet after restart"

# ---- clean stops ----------------------------------------------------
stop_daemon gw || fail "gw still running 10 s after SIGTERM"
[ "$STOP_RC" = 0 ] || fail "gw exited $STOP_RC"
wait_until 5 eval '! ng ip link show ipcp-client >/dev/null 2>&1'
same_as_before "SIGTERM"

# kill -9, start again: the same table once, the originals kept.
start_daemon gw "$NS_G"
wait_until 20 gw_up || fail "session not up after a start"
kill -KILL "${DPID[gw]}"
reap "${DPID[gw]}" 5
table_has masquerade || fail "no table after kill -9"
[ "$(fwd4)" = 1 ] || fail "forwarding off after kill -9"
start_daemon gw "$NS_G"
n=$(ng nft list ruleset | grep -c masquerade)
[ "$n" = 2 ] || fail "$n masquerade rules after kill -9 and a start"
[ "$(ng nft list tables | grep -c ipcp_gateway)" = 1 ] ||
    fail "tables: $(ng nft list tables)"
wait_until 20 gw_up || fail "session not up after kill -9"
wait_until 10 ping_c 198.51.100.1 || fail "no inet after kill -9"
ctl gw goodbye >/dev/null || fail "goodbye"
reap "${DPID[gw]}" 10 || fail "gw exited $? after goodbye"
wait_until 5 eval '! ng ip link show ipcp-client >/dev/null 2>&1'
same_as_before "kill -9, start, goodbye"

# kill -9, then a start without [gateway]: the leftovers go at once.
start_daemon gw "$NS_G"
kill -KILL "${DPID[gw]}"
reap "${DPID[gw]}" 5
[ -s "$STATE/gw.sysctl" ] || fail "no gw.sysctl after kill -9"
gw_conf
start_daemon gw "$NS_G"
ng nft list table inet ipcp_gateway >/dev/null 2>&1 &&
    fail "table left by a start without [gateway]"
[ "$(fwd4)" = 0 ] && [ "$(fwd6)" = 0 ] ||
    fail "forwarding not put back by a start without [gateway]"
stop_daemon gw || fail "gw still running after SIGTERM"
wait_until 5 eval '! ng ip link show ipcp-client >/dev/null 2>&1'
same_as_before "kill -9, start without [gateway]"
info "SIGTERM, goodbye and kill -9 + start leave the host as before"
pass
