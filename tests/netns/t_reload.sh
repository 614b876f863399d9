#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Reload without restart, under a continuous ping from alpha to beta:
#
#   beta ──── alpha ┄┄┄┄ gamma        (the alpha-gamma link comes and goes)
#
# Adding a peer and a link, changing a peer (metric, allowed-ips),
# restarting one (new psk), removing one, a bad file, a missing file,
# --check and SIGHUP: each does what it says to the peers it names, and
# beta, unchanged throughout, keeps its forwarder (same fwd_pid) and
# loses not one ping.
. "$(dirname "$0")/lib.sh"

for n in alpha beta gamma; do
	node_add "$n"
done
link_add alpha beta
node_conf alpha
node_conf beta
node_conf gamma
for n in alpha beta gamma; do
	node_start "$n"
done
wait_until 20 peer_up alpha beta || fail "alpha-beta did not come up"
wait_until 10 route_is alpha "$(ov beta)/32" "beta 10 beta" ||
    fail "alpha: no route to beta"
fwd_beta=$(fwd_pid alpha beta) || fail "alpha: no forwarder for beta"

# The ping that must not lose a packet, and its result at the end.
ip netns exec "${NODE_NS[alpha]}" ping -i 0.05 -W 1 "$(ov beta)" \
    >"$TMP/ping.out" 2>&1 &
PING=$!
MY_PIDS+=("$PING")
wait_until 5 grep -q "bytes from" "$TMP/ping.out" ||
    fail "the continuous ping does not get through"

# reload NODE [ARGS]: ipcpctl -j reload; the JSON in $TMP/reload.json.
reload() {
	local n=$1
	shift
	ctl "$n" -j reload "$@" >"$TMP/reload.json" 2>"$TMP/reload.err"
}

# plan KEY NAMES...: the reload's KEY list is exactly NAMES.
plan() {
	python3 - "$TMP/reload.json" "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("kept", "changed", "restarted", "added", "removed"):
    assert isinstance(r[k], list), (k, r)
key, want = sys.argv[2], sorted(sys.argv[3:])
if sorted(r[key]) != want:
    sys.exit("%s is %s, want %s" % (key, r[key], want))
PY
}

same_beta() {
	[ "$(fwd_pid alpha beta)" = "$fwd_beta" ] ||
	    fail "$1: beta's forwarder changed ($fwd_beta -> $(fwd_pid alpha \
	    beta))"
}

# 1. A new peer and a link: alpha dials gamma.
link_add alpha gamma
node_conf alpha
node_conf gamma
reload gamma || fail "gamma: reload: $(cat "$TMP/reload.err")"
plan added alpha || fail "gamma: $(plan added alpha 2>&1)"
reload alpha || fail "alpha: reload: $(cat "$TMP/reload.err")"
plan added gamma || fail "alpha: $(plan added gamma 2>&1)"
plan kept beta || fail "alpha: $(plan kept beta 2>&1)"
python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))
assert r["applied"] is True and r["changed"] == [] and r["removed"] == []
' "$TMP/reload.json" || fail "alpha: reload JSON: $(cat "$TMP/reload.json")"
wait_until 20 peer_up alpha gamma || fail "alpha-gamma did not come up"
# beta learns gamma through alpha, which forwards between them.
wait_until 10 route_is beta "$(ov gamma)/32" "alpha 20 alpha gamma" ||
    fail "beta: $(route_best beta "$(ov gamma)/32")"
ping_ok "${NODE_NS[beta]}" "$(ov gamma)" || fail "ping beta -> gamma"
same_beta "adding gamma"

# 2. A change applied to the running session: metric and allowed-ips.
LINK_METRIC[alpha:beta]=7
MESH_ALLOWED_SAVED=$MESH_ALLOWED
MESH_ALLOWED="$MESH_ALLOWED, 10.99.0.0/16"
node_conf alpha
MESH_ALLOWED=$MESH_ALLOWED_SAVED
reload alpha || fail "alpha: reload: $(cat "$TMP/reload.err")"
plan changed beta gamma || fail "alpha: $(plan changed beta gamma 2>&1)"
wait_until 5 route_is alpha "$(ov beta)/32" "beta 7 beta" ||
    fail "alpha: new metric not applied: $(route_best alpha \
    "$(ov beta)/32")"
[ "$(peer_field alpha beta metric)" = 7 ] || fail "peers: metric not 7"
same_beta "changing beta"

# 3. A bad file changes nothing and says where.
cp "$TMP/alpha.conf" "$TMP/alpha.good"
sed -i 's/^dead-after = 3$/dead-after = 3\nbogus-key = 1/' "$TMP/alpha.conf"
line=$(grep -n '^bogus-key' "$TMP/alpha.conf" | cut -d: -f1)
ctl alpha reload >"$TMP/bad.out" 2>"$TMP/bad.err"
rc=$?
[ "$rc" = 1 ] || fail "bad reload: exit $rc, not 1"
[ "$(wc -l <"$TMP/bad.err")" = 1 ] ||
    fail "bad reload: stderr is not one line: $(cat "$TMP/bad.err")"
grep -q "^$TMP/alpha.conf:$line: unknown key \"bogus-key\"" "$TMP/bad.err" ||
    fail "bad reload: no file:line: $(cat "$TMP/bad.err")"
mv "$TMP/alpha.conf" "$TMP/alpha.moved"
ctl alpha reload >/dev/null 2>"$TMP/missing.err" &&
    fail "reload of a missing file exited 0"
grep -q "alpha.conf" "$TMP/missing.err" ||
    fail "missing file: $(cat "$TMP/missing.err")"
cp "$TMP/alpha.good" "$TMP/alpha.conf"
peer_up alpha gamma || fail "a bad reload took gamma down"
route_is alpha "$(ov beta)/32" "beta 7 beta" || fail "a bad reload changed" \
    "routes: $(route_best alpha "$(ov beta)/32")"
same_beta "a bad reload"

# 4. --check shows the plan and applies nothing.
node_add delta
link_add alpha delta
node_conf alpha
reload alpha --check || fail "reload --check: $(cat "$TMP/reload.err")"
plan added delta || fail "--check: $(plan added delta 2>&1)"
python3 -c 'import json, sys
assert json.load(open(sys.argv[1]))["applied"] is False' "$TMP/reload.json" ||
    fail "--check says it applied"
[ "$(status_field alpha peers_configured)" = 2 ] ||
    fail "--check added a peer"
nx alpha ip link show ipcp-delta >/dev/null 2>&1 &&
    fail "--check created ipcp-delta"

# 5. A new psk restarts only that peer's session.
cp "$TMP/alpha.good" "$TMP/alpha.conf"
fwd_gamma=$(fwd_pid alpha gamma) || fail "alpha: no forwarder for gamma"
(umask 077; "$IPCPCTL" genpsk >"$TMP/ag.psk")
sed -i "/^\[peer gamma\]/a psk = $TMP/ag.psk" "$TMP/alpha.conf"
sed -i "/^\[peer alpha\]/a psk = $TMP/ag.psk" "$TMP/gamma.conf"
reload gamma || fail "gamma: reload: $(cat "$TMP/reload.err")"
plan restarted alpha || fail "gamma: $(plan restarted alpha 2>&1)"
reload alpha || fail "alpha: reload: $(cat "$TMP/reload.err")"
plan restarted gamma || fail "alpha: $(plan restarted gamma 2>&1)"
plan kept beta || fail "alpha: $(plan kept beta 2>&1)"
wait_until 20 eval 'peer_up alpha gamma &&
    [ "$(fwd_pid alpha gamma)" != "$fwd_gamma" ]' ||
    fail "gamma's session did not restart with the psk"
same_beta "restarting gamma"

# 6. Removing a peer: its session says goodbye, its TUN is gone by the
# time reload returns, and what it taught everyone is withdrawn.
sed -i '/^\[peer gamma\]/,$d' "$TMP/alpha.conf"
reload alpha || fail "alpha: reload: $(cat "$TMP/reload.err")"
plan removed gamma || fail "alpha: $(plan removed gamma 2>&1)"
nx alpha ip link show ipcp-gamma >/dev/null 2>&1 &&
    fail "ipcp-gamma still exists after the reload returned"
wait_until 10 eval '! route_best beta "$(ov gamma)/32" >/dev/null' ||
    fail "beta still routes to gamma: $(route_best beta "$(ov gamma)/32")"
wait_until 10 eval '! peer_up gamma alpha' ||
    fail "gamma still sees alpha up"
[ "$(status_field alpha peers_configured)" = 1 ] ||
    fail "alpha: peers_configured is not 1"
same_beta "removing gamma"

# 7. SIGHUP reloads too: gamma comes back.
cp "$TMP/alpha.good" "$TMP/alpha.conf"
sed -i "/^\[peer gamma\]/a psk = $TMP/ag.psk" "$TMP/alpha.conf"
kill -HUP "${DPID[alpha]}"
wait_until 20 peer_up alpha gamma || fail "SIGHUP did not bring gamma back"
same_beta "SIGHUP"

# Not one ping lost on the peer nobody touched.
kill -INT "$PING"
wait "$PING"
forget_pid "$PING"
sent=$(awk '/packets transmitted/ { print $1 }' "$TMP/ping.out")
got=$(awk '/packets transmitted/ { print $4 }' "$TMP/ping.out")
info "continuous ping alpha -> beta: $got of $sent through all reloads"
[ -n "$sent" ] && [ "$sent" -gt 50 ] || fail "ping sent only '$sent'"
[ "$sent" = "$got" ] || fail "ping lost $((sent - got)) of $sent packets"
daemons_alive alpha beta gamma || fail "a daemon died"
pass
