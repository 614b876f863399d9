#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Passcode ("open") clients of a gateway: a key no [peer] lists joins by
# proving [gateway] passcode in the handshake, and gets a peer and a TUN
# of its own on the gateway; a wrong passcode gets nothing.
#
#		     ┌── c1  listed [peer c1] (psk from the passcode file)
#		     ├── c2  open, right passcode
#	  gw ────────┼── c3  open, wrong passcode: never up, nothing made
#	 max-clients ├── c4  open, right passcode; stopped: its peer stays
#	 = 2	     │       lease-time (30 s), then goes with its TUN
#		     └── c5  open, right passcode: the third, refused
#
# Then: ipcpctl restart on gw carries c2's session (same forwarder pids
# on both sides, up past dead-after) and c4's idle open peer; a reload
# that lists c2's key as [peer c2] replaces its open peer, which frees a
# slot for c5; c4's open peer goes after lease-time; a reload without
# the passcode removes the open peers (TUNs gone) while the listed ones
# stay up, and passcode clients are then unknown keys.  (The open peers
# have no leases in this branch: their source filter is empty, so the
# checks are on sessions, not pings; c1 pings as a listed peer does.)
. "$(dirname "$0")/lib.sh"

CLIENTS="c1 c2 c3 c4 c5"
node_add gw
for c in $CLIENTS; do
	node_add "$c"
	link_add "$c" gw
done
echo "open sesame" >"$TMP/pass"
echo "open barley" >"$TMP/wrong"
chmod 600 "$TMP/pass" "$TMP/wrong"
LEASE_TIME=30

# gw_conf [PASSCODE-LINE] [EXTRA PEER SECTION LINES...]
gw_conf() {
	local pass=$1
	shift
	{
		echo "[node]"
		echo "name = gw"
		echo "private-key = $TMP/gw.key"
		echo "listen = 0.0.0.0:$PORT"
		echo "address = $(ov gw)/32"
		echo "user = $FWD_USER"
		echo "control = $(sock gw)"
		echo "heartbeat-interval = 1"
		echo "dead-after = 3"
		echo "[gateway]"
		echo "pool = 10.99.0.0/24"
		echo "state-dir = $TMP/gwstate"
		echo "lease-time = $LEASE_TIME"
		echo "max-clients = 2"
		[ -n "$pass" ] && echo "$pass"
		echo "[peer c1]"
		echo "public-key = $(pubkey c1)"
		echo "passcode = $TMP/pass"
		echo "allowed-ips = $(ov c1)/32"
		for l in "$@"; do echo "$l"; done
	} >"$TMP/gw.conf"
}

# client_conf NAME PASSCODE-FILE
client_conf() {
	local l=${NODE_IDX[$1]}
	# Link l joins client (l-1 after gw, node 1) and gw: see link_add.
	l=$((l - 1))
	{
		echo "[node]"
		echo "name = $1"
		echo "private-key = $TMP/$1.key"
		echo "address = $(ov "$1")/32"
		echo "user = $FWD_USER"
		echo "control = $(sock "$1")"
		echo "heartbeat-interval = 1"
		echo "dead-after = 3"
		echo "[peer gw]"
		echo "public-key = $(pubkey gw)"
		echo "endpoint = 10.210.$l.2:$PORT"
		echo "passcode = $2"
		echo "allowed-ips = $(ov gw)/32"
	} >"$TMP/$1.conf"
}

mkdir -p "$TMP/gwstate"
gw_conf "passcode = $TMP/pass"
for c in c1 c2 c4 c5; do
	client_conf "$c" "$TMP/pass"
done
client_conf c3 "$TMP/wrong"

# The gateway's peer (name) for a client's key; fails if there is none.
gw_peer_of() {
	ctl gw -j peers 2>/dev/null | python3 -c '
import json, sys
for p in json.load(sys.stdin)["peers"]:
    if p.get("public_key") == sys.argv[1]:
        print(p["name"])
        sys.exit(0)
sys.exit(1)' "$(pubkey "$1")"
}
gw_npeers() { ctl gw -j peers | python3 -c '
import json, sys; print(len(json.load(sys.stdin)["peers"]))'; }
# Open peers' TUNs on the gateway.
gw_open_tuns() {
	nx gw ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' |
	    grep -c '^ipcp-c-' || true
}
hs_count() {
	ctl "$1" -j status | python3 -c '
import json, sys; print(json.load(sys.stdin)["handshakes"].get(sys.argv[1], 0))' \
	    "$2"
}
gw_up() { local n; n=$(gw_peer_of "$1") && peer_up gw "$n"; }
client_up() { peer_up "$1" gw; }
both_open_up() { client_up "$1" && gw_up "$1"; }

node_start gw
for c in c1 c2; do
	node_start "$c"
done

# ---- right passcode: up on both sides, a TUN of its own ------------------
for c in c1 c2; do
	wait_until 20 both_open_up "$c" || fail "$c: not up on both sides"
done
[ "$(gw_peer_of c1)" = c1 ] || fail "listed c1 shows as $(gw_peer_of c1)"
N2=$(gw_peer_of c2)
check_open_name() {
	case $1 in c-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]\
[0-9a-f][0-9a-f]) ;; *) fail "open peer named \"$1\"" ;; esac
	[ "$(peer_field gw "$1" interface)" = "ipcp-$1" ] ||
	    fail "$1: interface $(peer_field gw "$1" interface)"
	nx gw ip link show "ipcp-$1" >/dev/null 2>&1 ||
	    fail "gw: no TUN ipcp-$1"
}
check_open_name "$N2"
ping_ok "${NODE_NS[c1]}" "$(ov gw)" || fail "listed c1: ping gw failed"
info "c1 listed, c2 joined with the passcode as $N2"

# ---- wrong passcode: never up, nothing made on the gateway ---------------
closed0=$(hs_count gw closed)
node_start c3
wait_until 15 eval '[ "$(hs_count c3 decrypt_failed)" -ge 2 ]' ||
    fail "c3: no failed handshakes (decrypt_failed $(hs_count c3 \
    decrypt_failed))"
wait_until 15 eval '[ "$(hs_count gw closed)" -ge $((closed0 + 2)) ]' ||
    fail "gw: the wrong passcode's handshakes not counted"
client_up c3 && fail "c3 (wrong passcode) is up"
gw_peer_of c3 >/dev/null && fail "gw made a peer for the wrong passcode"
[ "$(gw_open_tuns)" = 1 ] || fail "gw has $(gw_open_tuns) open TUNs, not 1"
[ "$(gw_npeers)" = 2 ] || fail "gw has $(gw_npeers) peers, not 2"
info "wrong passcode: decrypt_failed $(hs_count c3 decrypt_failed) on c3," \
    "closed $(hs_count gw closed) on gw, nothing made"
stop_daemon c3

# ---- max-clients = 2: c4 joins, c5 is refused -------------------------------
node_start c4
wait_until 20 both_open_up c4 || fail "c4: not up on both sides"
N4=$(gw_peer_of c4)
check_open_name "$N4"
[ "$N2" != "$N4" ] || fail "two open peers named $N2"
refused0=$(hs_count gw refused)
node_start c5
wait_until 15 eval '[ "$(hs_count gw refused)" -ge $((refused0 + 2)) ]' ||
    fail "gw: the third open client was not refused"
client_up c5 && fail "c5 (third open client) is up"
gw_peer_of c5 >/dev/null && fail "gw made a peer past max-clients"
[ "$(gw_open_tuns)" = 2 ] || fail "gw has $(gw_open_tuns) open TUNs, not 2"
[ "$(gw_npeers)" = 3 ] || fail "gw has $(gw_npeers) peers, not 3"
for c in c1 c2 c4; do
	both_open_up "$c" || fail "$c went down"
done
info "c4 joined as $N4; the third open client refused" \
    "($(hs_count gw refused) refused), the others up"

# ---- c4 goes: its open peer stays, idle, for lease-time ---------------------
stop_daemon c4 || fail "c4 did not stop"
T4=$(now_us)
wait_until 10 eval '! gw_up c4' || fail "gw: c4 still up after it stopped"
[ "$(gw_peer_of c4)" = "$N4" ] || fail "gw: c4's open peer gone at once"
nx gw ip link show "ipcp-$N4" >/dev/null 2>&1 ||
    fail "gw: c4's TUN gone at once"

# ---- ipcpctl restart keeps c2's session and c4's idle open peer -------------
gwpid=${DPID[gw]}
f_gw=$(fwd_pid gw "$N2") || fail "gw: no forwarder for $N2"
f_c2=$(fwd_pid c2 gw) || fail "c2: no forwarder"
ifi=$(nx gw cat "/sys/class/net/ipcp-$N2/ifindex")
ctl gw restart >"$TMP/restart.out" 2>&1 ||
    fail "gw restart failed: $(cat "$TMP/restart.out")"
proc_is "$gwpid" ipcpd || fail "gw: pid $gwpid is gone after restart"
[ "$(fwd_pid gw "$N2")" = "$f_gw" ] ||
    fail "gw: $N2's forwarder $f_gw replaced by $(fwd_pid gw "$N2")"
[ "$(gw_peer_of c4)" = "$N4" ] || fail "gw: idle $N4 not carried over"
[ "$(nx gw cat "/sys/class/net/ipcp-$N2/ifindex")" = "$ifi" ] ||
    fail "gw: $N2's TUN is not the same"
# Past dead-after (3 s) on the carried session: heartbeats flow.
up_since_restart() {
	[ "$(peer_field c2 gw session_uptime_s)" -ge 6 ] &&
	    [ "$(fwd_pid c2 gw)" = "$f_c2" ] && [ "$(fwd_pid gw "$N2")" = "$f_gw" ]
}
wait_until 10 up_since_restart ||
    fail "c2's session did not survive the restart (c2 fwd $(fwd_pid c2 \
    gw), was $f_c2)"
both_open_up c2 || fail "c2 not up after restart"
ping_ok "${NODE_NS[c1]}" "$(ov gw)" || fail "listed c1: ping after restart"
info "restart: $N2's session carried (forwarders $f_gw, $f_c2)," \
    "idle $N4 kept"

# ---- a [peer] with c2's key replaces its open peer --------------------------
gw_conf "passcode = $TMP/pass" "[peer c2]" "public-key = $(pubkey c2)" \
    "passcode = $TMP/pass" "allowed-ips = $(ov c2)/32"
ctl gw reload >"$TMP/reload1.out" 2>&1 ||
    fail "reload (list c2): $(cat "$TMP/reload1.out")"
nx gw ip link show "ipcp-$N2" >/dev/null 2>&1 &&
    fail "gw: $N2's TUN still there after c2 was listed"
wait_until 15 both_open_up c2 || fail "c2 not up as a listed peer"
[ "$(gw_peer_of c2)" = c2 ] || fail "c2 is $(gw_peer_of c2) on gw, not c2"
ping_ok "${NODE_NS[c2]}" "$(ov gw)" || fail "listed c2: ping gw failed"
info "listing c2 replaced $N2; c2 up and pinging as [peer c2]"

# A slot is free (c2 is listed, c4 idle): c5 gets in, on its next try.
stop_daemon c5
node_start c5
wait_until 15 both_open_up c5 || fail "c5 not up with a free slot"
N5=$(gw_peer_of c5)
info "c5 joined as $N5 once a slot was free"

# ---- c4's open peer goes after lease-time --------------------------------------
c4_gone() { ! gw_peer_of c4 >/dev/null &&
    ! nx gw ip link show "ipcp-$N4" >/dev/null 2>&1; }
wait_until $((LEASE_TIME + 10)) c4_gone ||
    fail "gw: $N4 still there $(( ($(now_us) - T4) / 1000000 )) s after c4 left"
el=$(( ($(now_us) - T4) / 1000000 ))
[ "$el" -ge $((LEASE_TIME - 1)) ] || fail "gw: $N4 removed after $el s only"
info "$N4 removed $el s after c4 left (lease-time $LEASE_TIME)"

# ---- a reload without the passcode removes the open peers ---------------------
f_c1=$(fwd_pid gw c1)
gw_conf "" "[peer c2]" "public-key = $(pubkey c2)" \
    "passcode = $TMP/pass" "allowed-ips = $(ov c2)/32"
unknown0=$(hs_count gw unknown_key)
ctl gw reload >"$TMP/reload2.out" 2>&1 ||
    fail "reload (no passcode): $(cat "$TMP/reload2.out")"
nx gw ip link show "ipcp-$N5" >/dev/null 2>&1 &&
    fail "gw: $N5's TUN still there after the passcode went"
gw_peer_of c5 >/dev/null && fail "gw: $N5 still a peer"
[ "$(gw_open_tuns)" = 0 ] || fail "gw: $(gw_open_tuns) open TUNs left"
[ "$(fwd_pid gw c1)" = "$f_c1" ] || fail "gw: c1's session restarted"
both_open_up c1 && both_open_up c2 || fail "listed c1, c2 not up"
ping_ok "${NODE_NS[c1]}" "$(ov gw)" || fail "c1: ping after the reload"
wait_until 15 eval '[ "$(hs_count gw unknown_key)" -gt "$unknown0" ]' ||
    fail "gw without a passcode: c5 not counted as unknown_key"
client_up c5 && fail "c5 up without a passcode on gw"
info "no passcode: open peers removed, c1 and c2 up, c5 an unknown key"
pass
