#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Why a peer is down, metrics, and endpoints by name and by link-local
# address, on the standard pair (alpha listens, beta dials):
#
#  1. beta dials a closed port: peers says "connection refused" (not the
#     "bad file descriptor" libuv makes of EPOLLERR), failed dials > 0,
#     a next redial; status counts connect_failed handshakes.
#  2. A name that does not resolve: "cannot resolve NAME".
#  3. endpoint = alpha.ipcp.test:PORT, from beta's /etc/netns/NS/hosts:
#     the session comes up to that address.
#  4. A packet from a source outside alpha's allowed-ips (alpha sends
#     from a second address on its TUN) is counted by beta's forwarder
#     as "source not allowed".
#  5. ipcpctl metrics passes a strict parser and agrees with -j peers.
#  6. The name moves to another address of alpha, the session is cut
#     (beta's forwarder killed): the redial goes to the new address.
#  7. endpoint = [fe80::...%veth0]:PORT connects.
. "$(dirname "$0")/lib.sh"

HOSTS_DIR=/etc/netns/$NS_B
NAME=alpha.ipcp.test
IP_A2=10.201.0.3
SPOOF=10.66.0.1
PROMCHECK=$ROOT/tests/tools/promcheck.py

# ip netns exec bind-mounts this over /etc/hosts for beta's ipcpd.  It
# is rewritten in place (same inode), so the mount sees each change.
set_hosts() { echo "$1 $NAME" >"$HOSTS_DIR/hosts"; }
trap 'rc=$?; rm -rf "$HOSTS_DIR"; (exit $rc); cleanup' EXIT

setup_topology
make_keys alpha beta
mkdir -p "$HOSTS_DIR" || fail "cannot make $HOSTS_DIR"
set_hosts "$IP_A"
n1 ip addr add "$IP_A2/24" dev veth0 || fail "second address for alpha"

# beta_conf ENDPOINT: beta's standard config with another endpoint.
beta_conf() {
	write_conf beta beta "$OV_B/32, $OV6_B/128" "" alpha \
	    "$(pubkey alpha)" "$OV_A/32, $OV6_A/128" "$1" ""
}
write_conf alpha alpha "$OV_A/32, $OV6_A/128" "0.0.0.0:$PORT, [::]:$PORT" \
    beta "$(pubkey beta)" "$OV_B/32, $OV6_B/128" "" ""
beta_conf "$IP_A:$((PORT + 1))"
start_daemons

# pj NODE PEER EXPR: a python expression on peer PEER of -j peers (p).
pj() {
	ctl "$1" -j peers 2>/dev/null | python3 -c '
import json, sys
for p in json.load(sys.stdin)["peers"]:
    if p["name"] == sys.argv[1]:
        v = eval(sys.argv[2])
        print("" if v is None else v)
        sys.exit(0)
sys.exit(1)' "$2" "$3"
}
is_true() { [ "$(pj "$@")" = True ]; }

# ---- 1. a refused dial ------------------------------------------------
wait_until 10 is_true beta alpha \
    '"connection refused" in (p.get("last_error") or "")' ||
    fail "last error is \"$(pj beta alpha 'p.get("last_error")')\"," \
    "not connection refused"
wait_until 10 is_true beta alpha 'p["dial_failures"] > 0' ||
    fail "failed dials not counted"
wait_until 10 is_true beta alpha 'p.get("next_redial_s") is not None' ||
    fail "no next redial shown in backoff"
ctl beta peers | match -i 'last error: connect to .*connection refused' ||
    fail "text peers shows no last error"
[ "$(status_field beta handshakes | python3 -c '
import json, sys; print(json.load(sys.stdin).get("connect_failed", 0) > 0)')" \
    = True ] || fail "status counts no connect_failed handshakes"
info "refused: $(pj beta alpha 'p["last_error"]'), $(pj beta alpha \
    'p["dial_failures"]') failed dials, redial in $(pj beta alpha \
    'p["next_redial_s"]') s"

# ---- 2. a name that does not resolve ----------------------------------
beta_conf "nosuch.ipcp.test:$PORT"
ctl beta reload >/dev/null || fail "reload (unresolvable name)"
wait_until 20 is_true beta alpha \
    '"cannot resolve nosuch.ipcp.test" in (p.get("last_error") or "")' ||
    fail "unresolvable name: last error \"$(pj beta alpha \
    'p.get("last_error")')\""
info "unresolvable: $(pj beta alpha 'p["last_error"]')"

# ---- 3. a name that resolves ------------------------------------------
beta_conf "$NAME:$PORT"
ctl beta reload >/dev/null || fail "reload (name)"
wait_up 45
[ "$(peer_field beta alpha remote)" = "$IP_A:$PORT" ] ||
    fail "session by name to $(peer_field beta alpha remote), not $IP_A"
[ "$(peer_field beta alpha endpoint)" = "$NAME:$PORT" ] ||
    fail "endpoint shown as $(peer_field beta alpha endpoint)"
ping_ok "$NS_B" "$OV_A" || fail "no ping over the session by name"
[ "$(pj beta alpha 'p["dial_failures"]')" = 0 ] ||
    fail "failed dials not reset by a session"
[ "$(pj beta alpha 'p["last_handshake_result"]')" = ok ] ||
    fail "last handshake not ok"
info "by name: up to $(peer_field beta alpha remote)"

# ---- 4. a source outside allowed-ips ----------------------------------
n1 ip addr add "$SPOOF/32" dev ipcp-beta || fail "spoof address"
drops() { pj beta alpha 'p["drops"]["source_not_allowed"]'; }
before=$(drops)
# No reply can come: beta drops the packets; the count is the check.
n1 ping -q -c 3 -i 0.2 -W 1 -I "$SPOOF" "$OV_B" >/dev/null 2>&1
drops_grew() { [ "$(drops)" -ge $((before + 3)) ]; }
wait_until 10 drops_grew ||
    fail "source not allowed: $(drops) drops (before: $before)"
ctl beta peers | match -E 'drops: [1-9][0-9]* source not allowed' ||
    fail "text peers shows no source-not-allowed drops"
info "spoofed source: $(drops) dropped as source not allowed"

# ---- 5. metrics --------------------------------------------------------
ctl beta metrics >"$TMP/metrics.txt" || fail "ipcpctl metrics failed"
python3 "$PROMCHECK" <"$TMP/metrics.txt" || fail "metrics not well formed"
# Counters move between two requests (heartbeats, neighbour discovery):
# compare a few times until one pair of snapshots agrees.
metrics_agree() {
	ctl beta metrics | python3 "$PROMCHECK" --json >"$TMP/m.json" &&
	    ctl beta -j peers >"$TMP/p.json" || return 2
	python3 - "$TMP/m.json" "$TMP/p.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
peers = {p["name"]: p for p in json.load(open(sys.argv[2]))["peers"]}
def get(name, peer, **lab):
    for n, l, v in m:
        if n == name and l.get("peer") == peer and \
           all(l.get(k) == x for k, x in lab.items()):
            return v
    sys.exit("no %s for %s %s" % (name, peer, lab))
for name, p in peers.items():
    want = {
        ("ipcp_peer_receive_bytes_total", ()): p["rx_bytes"],
        ("ipcp_peer_transmit_bytes_total", ()): p["tx_bytes"],
        ("ipcp_peer_receive_packets_total", ()): p["rx_packets"],
        ("ipcp_peer_transmit_packets_total", ()): p["tx_packets"],
        ("ipcp_peer_reconnects_total", ()): p["reconnects"],
        ("ipcp_peer_dial_failures", ()): p["dial_failures"],
        ("ipcp_peer_routes", ()): p["routes"],
        ("ipcp_peer_up", ()): 1 if p["state"] == "up" else 0,
        ("ipcp_peer_state", (("state", p["state"]),)): 1,
    }
    if p["rtt_ms"] is not None:
        want[("ipcp_peer_rtt_seconds", ())] = p["rtt_ms"] / 1000
    for r, v in p["drops"].items():
        want[("ipcp_peer_drops_total", (("reason", r),))] = v
    for (n, lab), v in want.items():
        got = get(n, name, **dict(lab))
        if abs(got - v) > 1e-6:
            sys.exit("%s{peer=%s%s} = %s, peers says %s" %
                     (n, name, dict(lab), got, v))
PY
}
wait_until 10 metrics_agree || fail "metrics disagree with -j peers: \
$(metrics_agree 2>&1)"
match -E '^ipcp_peer_drops_total\{peer="alpha",reason="source_not_allowed"\} [1-9]' \
    <"$TMP/metrics.txt" || fail "metrics: no source_not_allowed drops"
match -E '^ipcp_handshakes_total\{result="ok"\} [1-9]' <"$TMP/metrics.txt" ||
    fail "metrics: no ok handshakes"
info "metrics: $(grep -vc '^#' "$TMP/metrics.txt") samples, parsed and" \
    "in agreement with -j peers"

# ---- 6. the name moves -------------------------------------------------
set_hosts "$IP_A2"
old=$(fwd_pid beta alpha) || fail "no forwarder for the session"
proc_is "$old" ipcp-fwd || fail "pid $old is not a forwarder"
kill -KILL "$old"
moved() {
	peer_up beta alpha &&
	    [ "$(peer_field beta alpha remote)" = "$IP_A2:$PORT" ]
}
wait_until 30 moved ||
    fail "after the name moved, beta is $(peer_field beta alpha state)" \
    "to $(peer_field beta alpha remote), not $IP_A2"
wait_up 20
info "name moved: redial went to $(peer_field beta alpha remote)"

# ---- 7. IPv6 link-local with its interface ----------------------------
ll_a() {
	n1 ip -6 -o addr show dev veth0 scope link | grep -v tentative |
	    awk '{ sub(/\/.*/, "", $4); print $4; exit }'
}
wait_until 10 test -n "$(ll_a)" || fail "alpha has no link-local address"
LL=$(ll_a)
beta_conf "[$LL%veth0]:$PORT"
ctl beta reload >/dev/null || fail "reload (link-local)"
ll_up() {
	peer_up beta alpha &&
	    case $(peer_field beta alpha remote) in
	    "[$LL%veth0]:$PORT") true ;; *) false ;; esac
}
wait_until 30 ll_up ||
    fail "link-local: beta is $(peer_field beta alpha state) to" \
    "$(peer_field beta alpha remote) ($(pj beta alpha 'p.get("last_error")'))"
wait_up 20
ping_all_ok
info "link-local: up to $(peer_field beta alpha remote)"
pass
