#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# The gateway end to end, in the topology of issue 10: a client behind an
# underlay router, two gateways, a host on the first gateway's LAN and an
# "internet" host that has no route back to the pools.
#
#                 ┌─ gw1 (pool 10.99.0.0/24, fd99::/112) ── lan 192.168.50.2
#   client ── router
#                 ├─ gw2 (pool 10.98.0.0/24)
#                 └─ inet 10.200.9.2
#
# The client takes a lease from both (gw1 as a listed peer, gw2 with the
# passcode), with full-tunnel, killswitch and dns.  Checked: the leases;
# full tunnel (the internet host sees gw1's uplink address, so NAT and
# the tunnel both work) with the outer connection surviving a change of
# the underlay's default route; the pushed nameserver; secure on and
# off against the LAN host; failover to gw2 within dead-after + 1 s with
# gw2's lease as the source; the killswitch (with both gateways dead,
# and then the client's own ipcpd killed, nothing reaches the internet
# host over the underlay, but killswitch-allow's LAN does) and recovery; and the cleanup diff: after
# SIGTERM the client's routes, rules, nftables and resolv.conf, and the
# gateway's nftables and forwarding sysctls, are as before.
. "$(dirname "$0")/lib.sh"

DEAD=3
INET=10.200.9.2
ECHO_PORT=7777

node_add client
node_add router
node_add gw1
node_add gw2
node_add lan
node_add inet
make_keys client gw1 gw2
echo "open sesame" >"$TMP/passcode"
chmod 600 "$TMP/passcode"

# node_add turned forwarding on everywhere; a gateway's ipcpd must do
# it itself (nat = on), and the client is no router.
for n in client gw1 gw2 lan inet; do
	nx "$n" sysctl -qw net.ipv4.ip_forward=0 \
	    net.ipv6.conf.all.forwarding=0 >/dev/null
done
# The client filters by reverse path, strictly (RHEL's default): its
# full tunnel must not cut off its own outer connections.
nx client sysctl -qw net.ipv4.conf.all.rp_filter=1 \
    net.ipv4.conf.default.rp_filter=1 >/dev/null

veth_add client u1 10.200.1.2/24 router u1 10.200.1.1/24
veth_add gw1 u2 10.200.2.2/24 router u2 10.200.2.1/24
veth_add gw2 u3 10.200.3.2/24 router u3 10.200.3.1/24
veth_add inet u9 "$INET/24" router u9 10.200.9.1/24
veth_add gw1 ln 192.168.50.1/24 lan ln 192.168.50.2/24
nx client ip route add default via 10.200.1.1
nx gw1 ip route add default via 10.200.2.1
nx gw2 ip route add default via 10.200.3.1
nx lan ip route add default via 192.168.50.1
# The internet host reaches the underlay, never the pools: only NAT
# brings a reply back.
nx inet ip route add 10.200.0.0/16 via 10.200.9.1

CNS=${NODE_NS[client]}
netns_resolv "$CNS" "nameserver 192.0.2.53"

# An echo service on the internet host: it answers each datagram with
# the source address it came from.
nx inet python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    d, a = s.recvfrom(64)
    s.sendto(a[0].encode(), a)' "$ECHO_PORT" &
MY_PIDS+=($!)

# seen_from: the address the internet host saw us come from, or fails.
seen_from() {
	nx client python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
for _ in range(2):
    try:
        s.sendto(b"x", (sys.argv[1], int(sys.argv[2])))
        print(s.recv(64).decode())
        sys.exit(0)
    except OSError:
        pass
sys.exit(1)' "$INET" "$ECHO_PORT"
}

gw_conf() {
	local n=$1 addr=$2 pool=$3 secure=$4
	{
		echo "[node]"
		echo "name = $n"
		echo "private-key = $TMP/$n.key"
		echo "listen = 0.0.0.0:$PORT"
		echo "address = $addr"
		echo "user = $FWD_USER"
		echo "control = $(sock "$n")"
		echo "heartbeat-interval = 1"
		echo "dead-after = $DEAD"
		echo
		echo "[gateway]"
		echo "pool = $pool"
		echo "routes = 0.0.0.0/0, ::/0"
		echo "dns = ${addr%%,*}"
		echo "nat = on"
		echo "secure = $secure"
		echo "lease-time = 600"
		echo "passcode = $TMP/passcode"
		echo "state-dir = $TMP/$n-state"
		# gw1 lists the client; gw2 takes it by the passcode.
		if [ "$n" = gw1 ]; then
			echo
			echo "[peer client]"
			echo "public-key = $(pubkey client)"
		fi
	} >"$TMP/$n.conf"
}

client_conf() {
	{
		echo "[node]"
		echo "name = client"
		echo "private-key = $TMP/client.key"
		echo "user = $FWD_USER"
		echo "control = $(sock client)"
		echo "heartbeat-interval = 1"
		echo "dead-after = $DEAD"
		for g in gw1 gw2; do
			echo
			echo "[peer $g]"
			echo "public-key = $(pubkey "$g")"
			if [ "$g" = gw1 ]; then
				echo "endpoint = 10.200.2.2:$PORT"
			else
				echo "endpoint = 10.200.3.2:$PORT"
				echo "metric = 20"
				echo "passcode = $TMP/passcode"
			fi
			echo "allowed-ips = 0.0.0.0/0, ::/0"
			echo "lease = on"
			echo "full-tunnel = on"
			echo "killswitch = on"
			# The underlay's own LAN stays reachable.
			[ "$g" = gw1 ] && echo "killswitch-allow = 10.200.1.0/24"
			echo "dns = on"
		done
	} >"$TMP/client.conf"
}

# lease_of PEER FAMILY: the client's leased address from PEER.
lease_of() {
	ctl client -j status 2>/dev/null | python3 -c '
import json, sys
for l in json.load(sys.stdin).get("leases", []):
    if l["peer"] == sys.argv[1]:
        for a in l.get("address", []):
            a = a.split("/")[0]
            if (":" in a) == (sys.argv[2] == "6"):
                print(a)
                sys.exit(0)
sys.exit(1)' "$1" "$2"
}

# route_via ADDR: "dev src" of the client's unmarked route to ADDR.
route_via() {
	nx client ip route get "$1" 2>/dev/null | awk '
	    { for (i = 1; i < NF; i++) {
		if ($i == "dev") d = $(i + 1); if ($i == "src") s = $(i + 1) } }
	    END { print d, s }'
}

gw_conf gw1 "10.99.0.1, fd99::1" "10.99.0.0/24, fd99::/112" on
gw_conf gw2 10.98.0.1 10.98.0.0/24 on
client_conf
host_snapshot "$CNS" >"$TMP/client.before"
host_snapshot "${NODE_NS[gw1]}" >"$TMP/gw1.before"

node_start gw1
node_start gw2
node_start client

wait_until 20 lease_of gw1 4 >/dev/null || fail "no lease from gw1"
wait_until 20 lease_of gw2 4 >/dev/null || fail "no lease from gw2"
L1=$(lease_of gw1 4)
L1_6=$(lease_of gw1 6) || fail "no IPv6 lease from gw1"
L2=$(lease_of gw2 4)
case $L1 in 10.99.0.1|10.99.0.0|10.99.0.255) fail "gw1 leased $L1" ;;
10.99.0.*) ;; *) fail "gw1 leased $L1, not from its pool" ;; esac
case $L2 in 10.98.0.*) ;; *) fail "gw2 leased $L2" ;; esac
info "leases: $L1 and $L1_6 from gw1, $L2 from gw2"
nx client ip -4 addr show dev ipcp-gw1 | match "inet $L1/" ||
    fail "$L1 is not on ipcp-gw1"
ctl gw1 -j leases | python3 -c '
import json, sys
l = [x for x in json.load(sys.stdin) if x["peer"] == "client"]
assert len(l) == 1 and l[0]["connected"] and l[0]["expires_s"] > 0, l
assert sys.argv[1] in [a.split("/")[0] for a in l[0]["address"]], l' "$L1" ||
    fail "ipcpctl leases on gw1: $(ctl gw1 -j leases)"

# A client is no transit between its gateways: it offers neither what
# the other pushed, so neither refuses anything.
for g in gw1 gw2; do
	n=$(ctl "$g" -j peers | python3 -c 'import json, sys
print(sum(p.get("routes_rejected", 0) for p in json.load(sys.stdin)["peers"]))')
	[ "$n" = 0 ] || fail "$g refused $n announcements from the client"
done

# Full tunnel: everything unmarked goes to gw1, from its lease.
wait_until 10 eval '[ "$(route_via "$INET")" = "ipcp-gw1 $L1" ]' ||
    fail "route to $INET: $(route_via "$INET"), want ipcp-gw1 $L1"
nx client ip -6 route get 2001:db8::1 2>/dev/null | match "dev ipcp-gw1" ||
    fail "IPv6 default not through ipcp-gw1"
wait_until 10 eval '[ "$(seen_from)" = 10.200.2.2 ]' ||
    fail "internet host sees $(seen_from), not gw1's 10.200.2.2"
fwd1=$(fwd_pid client gw1)
# The underlay's default route changes: the marked outer session stays.
nx client ip route replace default via 10.200.1.1 metric 5
nx client ip route del default via 10.200.1.1 metric 0 2>/dev/null
[ "$(seen_from)" = 10.200.2.2 ] || fail "tunnel broken by a new default"
[ "$(fwd_pid client gw1)" = "$fwd1" ] ||
    fail "the outer session to gw1 was remade"
info "full tunnel: the internet host sees 10.200.2.2; outer session kept"

# DNS pushed by gw1, the better gateway.
resolv_has() { nx client cat /etc/resolv.conf | match "^nameserver $1\$"; }
wait_until 5 resolv_has 10.99.0.1 ||
    fail "resolv.conf: $(nx client cat /etc/resolv.conf)"

# secure: the LAN behind gw1 and gw1 itself are out of reach...
ping_ok "$CNS" 192.168.50.2 1 && fail "secure = on, yet the LAN host answers"
ping_ok "$CNS" 192.168.50.1 1 && fail "secure = on, yet gw1's LAN address answers"
# ... until a reload turns it off.
gw_conf gw1 "10.99.0.1, fd99::1" "10.99.0.0/24, fd99::/112" off
ctl gw1 reload >/dev/null || fail "reload gw1"
wait_until 10 ping_ok "$CNS" 192.168.50.2 1 ||
    fail "secure = off, and the LAN host does not answer"
info "secure: LAN unreachable when on, reachable after a reload to off"

# Failover: gw1 falls silent (the router drops its packets, so no FIN
# tells the client); its routes move to gw2 within dead-after + 1 s.
nx router nft -f - <<'NFT' || fail "cannot make gw1 silent"
table inet silence {
	chain forward {
		type filter hook forward priority 0;
		ip daddr 10.200.2.2 drop
		ip saddr 10.200.2.2 drop
	}
}
NFT
t0=$(now_us)
wait_until $((DEAD + 1)) eval '[ "$(route_via "$INET")" = "ipcp-gw2 $L2" ]' ||
    fail "no failover: route to $INET is $(route_via "$INET")"
ms=$(( ($(now_us) - t0) / 1000 ))
wait_until 5 eval '[ "$(seen_from)" = 10.200.3.2 ]' ||
    fail "after failover the internet host sees $(seen_from)"
info "failover to gw2 in $ms ms (dead-after $DEAD s), source $L2"
kill -KILL "${DPID[gw1]}"
reap "${DPID[gw1]}" 5
nx router nft delete table inet silence

# Killswitch: with both gateways dead nothing goes out, although the
# underlay could carry it (a marked packet's route shows the way).
nx client ip route get "$INET" mark 0x6970 | match "dev u1" ||
    fail "no underlay route to $INET: the killswitch check means nothing"
kill -KILL "${DPID[gw2]}"
reap "${DPID[gw2]}" 5
wait_until $((DEAD + 2)) eval '! peer_up client gw2' ||
    fail "client still sees gw2 up"
ping_ok "$CNS" "$INET" 1 && fail "killswitch: the client reached $INET"
seen_from >/dev/null && fail "killswitch: UDP reached $INET"
ping_ok "$CNS" 10.200.1.1 1 ||
    fail "killswitch-allow: the router on the client's LAN is out of reach"
# ... nor while the client's own ipcpd is dead.
kill -KILL "${DPID[client]}"
reap "${DPID[client]}" 5
ping_ok "$CNS" "$INET" 1 && fail "killswitch: leak with ipcpd dead"
ping_ok "$CNS" 10.200.1.1 1 || fail "killswitch-allow lost with ipcpd dead"
info "killswitch: nothing reached $INET with the tunnel or ipcpd down"

# Everything comes back.
node_start gw1
node_start gw2
node_start client
wait_until 20 eval '[ "$(seen_from)" = 10.200.2.2 ]' ||
    fail "no recovery after the restarts: $(seen_from)"
[ "$(lease_of gw1 4)" = "$L1" ] || fail "gw1's lease moved: $(lease_of gw1 4)"
info "recovered; $L1 kept across the restarts"

# Cleanup: SIGTERM leaves the hosts as they were.
stop_daemon client || fail "client did not stop"
# The route change above is the test's own; undo it to compare.
nx client ip route replace default via 10.200.1.1
nx client ip route del default via 10.200.1.1 metric 5 2>/dev/null
host_snapshot "$CNS" >"$TMP/client.after"
diff -u "$TMP/client.before" "$TMP/client.after" >&2 ||
    fail "the client's host state differs after SIGTERM"
stop_daemon gw1 || fail "gw1 did not stop"
host_snapshot "${NODE_NS[gw1]}" >"$TMP/gw1.after"
diff -u "$TMP/gw1.before" "$TMP/gw1.after" >&2 ||
    fail "gw1's host state differs after SIGTERM"
info "cleanup: routes, rules, nftables, resolv.conf, sysctls as before"
pass
