#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Leases: a gateway hands two clients addresses from its pool.
#
#   gw2 ──l3── c1 ──l1── gw ──l2── c2     each client dials its gateways
#                                         (gw2 joins at the end)
#   gw:  address 10.99.0.1 (inside its own pool), [gateway] pool
#        10.99.0.0/24, routes 192.168.50.0/24, lease-time 60,
#        state-dir $TMP/state; [peer c1], [peer c2] without allowed-ips
#   c1, c2: no address of their own; [peer gw] lease = on
#
# Checked: the clients get different addresses, never the gateway's; the
# address is on the client's TUN and pings the gateway through it;
# ipcpctl -j leases on the gateway; a client reconnect (its forwarder
# killed) and a restart in place keep the address; a gateway restart
# keeps both (the lease file, mode 0600); a client sending from a pool
# address it was not leased is dropped (drop counter); a corrupt lease
# file is set aside and the clients get leases again; a reload to a /30
# pool (one address to lease besides the gateway's own) leaves one
# client its lease and tells the other "pool exhausted"; with a second
# gateway gw2 (dialed by c1 over l3, metric 50), c1 holds a lease from
# each and its routes move to gw2 within dead-after + 1 s of losing gw.
. "$(dirname "$0")/lib.sh"

LEASE_TIME=60
STATE=$TMP/state

gw_conf() {	# gw_conf POOL [MORE [gateway] LINES]
	local pool=$1 more=${2:-}
	cat >"$TMP/gw.conf" <<EOF
# $T_NAME: gw
[node]
name = gw
private-key = $TMP/gw.key
listen = 0.0.0.0:$PORT
address = 10.99.0.1/32
user = $FWD_USER
control = $(sock gw)
heartbeat-interval = 1
dead-after = 3

[gateway]
pool = $pool
routes = 192.168.50.0/24
lease-time = $LEASE_TIME
state-dir = $STATE
$more

[peer c1]
public-key = $(pubkey c1)

[peer c2]
public-key = $(pubkey c2)
EOF
}

client_conf() {
	local n=$1 l=$2
	cat >"$TMP/$n.conf" <<EOF
# $T_NAME: $n
[node]
name = $n
private-key = $TMP/$n.key
user = $FWD_USER
control = $(sock "$n")
heartbeat-interval = 1
dead-after = 3

[peer gw]
public-key = $(pubkey gw)
endpoint = 10.210.$l.2:$PORT
allowed-ips = 10.99.0.0/24, 192.168.50.0/24
lease = on
EOF
}

# lease_of NODE: the client's leased address, or fails.
lease_of() {
	ctl "$1" -j status 2>/dev/null | python3 -c '
import json, sys
for l in json.load(sys.stdin)["leases"]:
    if l["peer"] == "gw" and l["address"]:
        print(l["address"][0])
        sys.exit(0)
sys.exit(1)'
}

# lease_error NODE: the error of its lease from gw ("" if none).
lease_error() {
	ctl "$1" -j status 2>/dev/null | python3 -c '
import json, sys
for l in json.load(sys.stdin)["leases"]:
    if l["peer"] == "gw":
        print(l["error"] or "")
        sys.exit(0)
sys.exit(1)'
}

has_lease() { lease_of "$1" >/dev/null; }
lease_is() { [ "$(lease_of "$1")" = "$2" ]; }
on_tun() { nx "$1" ip -4 addr show dev ipcp-gw | match "inet $2/32"; }
ping_gw() { nx "$1" ping -q -c 1 -W 1 10.99.0.1 >/dev/null 2>&1; }

# The gateway's leases as "peer key address connected expires" lines.
gw_leases() {
	ctl gw -j leases | python3 -c '
import json, sys
for l in sorted(json.load(sys.stdin), key=lambda l: l["peer"]):
    assert set(l) == {"public_key", "peer", "address", "expires_s",
        "connected"}, l
    print(l["peer"], l["public_key"], ",".join(l["address"]),
        l["connected"], l["expires_s"])'
}

clients_leased() {
	has_lease c1 && has_lease c2 && [ "$(lease_of c1)" != "$(lease_of c2)" ]
}

both_ping() { ping_gw c1 && ping_gw c2; }

node_add gw
node_add c1
node_add c2
link_add c1 gw
link_add c2 gw
gw_conf "10.99.0.0/24"
client_conf c1 1
client_conf c2 2
node_start gw
node_start c1
node_start c2

# ---- two clients, two addresses ---------------------------------------
wait_until 20 clients_leased || fail "clients have no leases (c1: \
$(lease_of c1), c2: $(lease_of c2))"
A1=$(lease_of c1)
A2=$(lease_of c2)
info "c1 leased $A1, c2 leased $A2"
for a in "$A1" "$A2"; do
	case $a in
	10.99.0.1) fail "the gateway's own address was leased" ;;
	10.99.0.0|10.99.0.255) fail "$a leased" ;;
	10.99.0.*) ;;
	*) fail "$a is not from the pool" ;;
	esac
done
on_tun c1 "$A1" || fail "$A1 not on c1's TUN"
on_tun c2 "$A2" || fail "$A2 not on c2's TUN"
wait_until 10 both_ping || fail "clients cannot ping the gateway"
# The gateway routes each address into its client's TUN.
has_route "${NODE_NS[gw]}" "$A1" ipcp-c1 || fail "gw: no route to $A1"
has_route "${NODE_NS[gw]}" "$A2" ipcp-c2 || fail "gw: no route to $A2"
# The pushed route, and no route to the other client's lease.
has_route "${NODE_NS[c1]}" 192.168.50.0/24 ipcp-gw ||
    fail "c1: no pushed route"
nx c1 ip -4 route show proto "$RTPROT" | match "$A2" &&
    fail "c1 was told c2's lease"

want="c1 $(pubkey c1) $A1 True $LEASE_TIME
c2 $(pubkey c2) $A2 True $LEASE_TIME"
got=$(gw_leases) || fail "ipcpctl -j leases: $got"
[ "$got" = "$want" ] || fail "leases: got
$got
expected
$want"
ctl gw leases | match "^c1 .*$A1 .* yes$" || fail "ipcpctl leases text"

# ---- a reconnect keeps the address -------------------------------------
f=$(fwd_pid c1 gw) || fail "c1 has no forwarder"
kill -KILL "$f"
new_session() { g=$(fwd_pid c1 gw) && [ "$g" != "$f" ]; }
wait_until 15 new_session || fail "c1 did not reconnect"
wait_until 10 ping_gw c1 || fail "c1 cannot ping after its reconnect"
lease_is c1 "$A1" || fail "c1 has $(lease_of c1) after a reconnect, not $A1"

# ---- restarts in place: the client's, the gateway's ---------------------
ctl c1 restart >/dev/null || fail "ipcpctl restart on c1"
wait_until 10 lease_is c1 "$A1" || fail "c1 lost its lease in a restart"
ctl gw restart >/dev/null || fail "ipcpctl restart on gw"
got=$(gw_leases) || fail "leases after restart: $got"
[ "$got" = "$want" ] || fail "leases after a restart in place: $got"
wait_until 10 both_ping || fail "no ping after the restarts"

# ---- a gateway restart keeps both (the lease file) ----------------------
[ "$(stat -c %a "$STATE/gw.leases")" = 600 ] || fail "lease file mode"
stop_daemon gw || fail "gw did not stop"
match "^$(pubkey c1) $A1 " "$STATE/gw.leases" || fail "c1 not in the file"
node_start gw
wait_until 20 eval '[ "$(gw_leases | grep -c True)" = 2 ]' ||
    fail "clients not back after the gateway restart: $(gw_leases)"
lease_is c1 "$A1" && lease_is c2 "$A2" ||
    fail "addresses changed over a gateway restart: $(lease_of c1) \
$(lease_of c2)"
wait_until 10 both_ping || fail "no ping after the gateway restart"

# ---- a client cannot send from what it was not leased --------------------
drops() { peer_field gw c1 drops | python3 -c '
import ast, sys; print(ast.literal_eval(sys.stdin.read())["source_not_allowed"])'; }
d0=$(drops) || fail "no drop counter"
nx c1 ip addr add 10.99.0.77/32 dev ipcp-gw
nx c1 ping -q -c 3 -i 0.2 -W 1 -I 10.99.0.77 10.99.0.1 >/dev/null 2>&1 &&
    fail "c1 got through from an address it was not leased"
nx c1 ip addr del 10.99.0.77/32 dev ipcp-gw
drops_grew() { [ "$(drops)" -gt "$d0" ]; }
wait_until 5 drops_grew || fail "drop_source did not grow ($d0)"
ping_gw c1 || fail "c1's own address stopped working"

# ---- a corrupt lease file is set aside -----------------------------------
stop_daemon gw || fail "gw did not stop"
printf 'ipcp-leases 1\nthis is not a lease\n' >"$STATE/gw.leases"
node_start gw
[ -f "$STATE/gw.leases.corrupt" ] || fail "corrupt file not set aside"
match "gw.leases:2:" "$TMP/gw.log" || fail "no path:line in the log"
# The clients hold their old addresses until the new offers come.
agree() {
	local l
	l=$(gw_leases) || return 1
	[ "$(echo "$l" | grep -c True)" = 2 ] || return 1
	A1=$(echo "$l" | awk '$1 == "c1" { print $3 }')
	A2=$(echo "$l" | awk '$1 == "c2" { print $3 }')
	lease_is c1 "$A1" && lease_is c2 "$A2"
}
wait_until 20 agree || fail "no leases after a corrupt file: $(gw_leases)"
wait_until 10 both_ping || fail "no ping after a corrupt file"
ctl gw status | match "gateway: 2 leases" || fail "status: no gateway line"

# ---- the pool shrinks to one address: one client keeps it --------------
if [ "$A1" = 10.99.0.2 ]; then keep=c1 lose=c2; else keep=c2 lose=c1; fi
[ "$(lease_of $keep)" = 10.99.0.2 ] || fail "neither client has .2"
gw_conf "10.99.0.0/30"
ctl gw reload >/dev/null || fail "reload to a /30 pool"
exhausted() { [ "$(lease_error $lose)" = "pool exhausted" ]; }
wait_until 10 exhausted || fail "$lose: error '$(lease_error $lose)'"
has_lease "$lose" && fail "$lose still has $(lease_of $lose)"
ping_ok "${NODE_NS[$keep]}" 10.99.0.1 || fail "$keep lost its ping"
lease_is "$keep" 10.99.0.2 || fail "$keep lost its lease"
ctl gw -j status | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["gateway"] and s["leases_active"] == 1 and s["pool_free"] == 0, s' ||
    fail "gateway status after exhaustion"

# ---- room in the pool, but max-clients = 1: still one lease -----------
gw_conf "10.99.0.0/24" "max-clients = 1"
ctl gw reload >/dev/null || fail "reload to max-clients = 1"
f=$(fwd_pid "$lose" gw) || fail "$lose has no session"
kill -KILL "$f"
full() { [ "$(lease_error $lose)" = "max-clients reached" ]; }
wait_until 15 full || fail "$lose: error '$(lease_error $lose)', not max-clients"
lease_is "$keep" 10.99.0.2 || fail "$keep lost its lease to max-clients"
ping_ok "${NODE_NS[$keep]}" 10.99.0.1 || fail "$keep lost its ping"

# ---- no [gateway] at all: lease holders are told, and lose the lease ---
sed -i '/^\[gateway\]/,/^\[peer c1\]/{/^\[peer c1\]/!d}' "$TMP/gw.conf"
ctl gw reload >/dev/null || fail "reload without [gateway]"
nogw() { [ "$(lease_error $keep)" = "no gateway here" ]; }
wait_until 10 nogw || fail "$keep: error '$(lease_error $keep)'"
wait_until 5 eval '! on_tun $keep 10.99.0.2' ||
    fail "$keep kept 10.99.0.2 on its TUN with no gateway"
gw_conf "10.99.0.0/24"
ctl gw reload >/dev/null || fail "reload with [gateway] again"
info "max-clients reached and no gateway here, told to the clients"

# ---- failover: c1 also leases from gw2, the routes move when gw dies ----
node_add gw2
link_add c1 gw2
cat >"$TMP/gw2.conf" <<EOF
# $T_NAME: gw2
[node]
name = gw2
private-key = $TMP/gw2.key
listen = 0.0.0.0:$PORT
address = 10.98.0.1/32
user = $FWD_USER
control = $(sock gw2)
heartbeat-interval = 1
dead-after = 3

[gateway]
pool = 10.98.0.0/24
routes = 192.168.50.0/24
lease-time = $LEASE_TIME
state-dir = $STATE

[peer c1]
public-key = $(pubkey c1)
EOF
node_start gw2
cat >>"$TMP/c1.conf" <<EOF

[peer gw2]
public-key = $(pubkey gw2)
endpoint = 10.210.3.2:$PORT
allowed-ips = 10.98.0.0/24, 192.168.50.0/24
lease = on
metric = 50
EOF
ctl c1 reload >/dev/null || fail "c1: reload adding gw2"
gw2_lease() {
	ctl c1 -j status 2>/dev/null | python3 -c '
import json, sys
for l in json.load(sys.stdin)["leases"]:
    if l["peer"] == "gw2" and l["address"] == ["10.98.0.2"]:
        sys.exit(0)
sys.exit(1)'
}
wait_until 20 gw2_lease || fail "c1 has no lease from gw2"
# Both gateways push 192.168.50.0/24; gw is cheaper.
via() { [ "$(kroute_dev c1 192.168.50.0/24)" = "$1" ]; }
wait_until 5 via ipcp-gw ||
    fail "192.168.50.0/24 not via gw: $(kroute_dev c1 192.168.50.0/24)"
t0=$(now_us)
link_cut c1 gw
wait_until 10 via ipcp-gw2 ||
    fail "no failover to gw2: $(kroute_dev c1 192.168.50.0/24)"
ms=$(( ($(now_us) - t0) / 1000 ))
info "failover to gw2 after $ms ms (dead-after 3 s)"
[ "$ms" -le 4000 ] || fail "failover took $ms ms, more than dead-after + 1 s"
ping_ok "${NODE_NS[c1]}" 10.98.0.1 || fail "c1 cannot ping gw2"
link_heal c1 gw

pass
