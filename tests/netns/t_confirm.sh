#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Confirmed reload with rollback, as routers do it:
#
#   alpha ──── beta
#
# `reload --confirm N' applies a config that removes beta (a change that
# cuts the operator off); while it waits, status shows the deadline and
# another reload is refused as in progress; nobody confirms, and alpha
# goes back to the old config by itself, beta and its routes included.
# A confirmed reload stays; confirm with nothing pending fails.
. "$(dirname "$0")/lib.sh"

mesh_pair alpha beta
cp "$TMP/alpha.conf" "$TMP/alpha.good"

# Without beta, for 3 seconds.
sed -i '/^\[peer beta\]/,$d' "$TMP/alpha.conf"
ctl alpha reload --confirm 3 >"$TMP/r1.out" 2>"$TMP/r1.err" ||
    fail "reload --confirm: $(cat "$TMP/r1.err")"
grep -q "removed: beta" "$TMP/r1.out" || fail "reload: $(cat "$TMP/r1.out")"
grep -q "rolls back in 3 s" "$TMP/r1.out" || fail "reload: no deadline:" \
    "$(cat "$TMP/r1.out")"
[ "$(status_field alpha peers_configured)" = 0 ] ||
    fail "beta is still configured"
[ "$(status_field alpha confirm_pending)" = True ] ||
    fail "status shows no pending confirmation"
left=$(status_field alpha confirm_left_s)
[ "$left" -ge 1 ] && [ "$left" -le 3 ] || fail "confirm_left_s is '$left'"
ctl alpha status | match "rolls back in" || fail "status text: no deadline"

# A reload while one waits for confirmation is refused.
ctl alpha reload >/dev/null 2>"$TMP/r2.err" && fail "second reload exit 0"
grep -q "in progress" "$TMP/r2.err" || fail "second reload: $(cat \
    "$TMP/r2.err")"

# Nobody confirms: beta comes back by itself, session and routes.
wait_until 15 peer_up alpha beta || fail "no rollback: beta not back"
[ "$(status_field alpha confirm_pending)" = False ] ||
    fail "still pending after the rollback"
wait_until 10 route_is alpha "$(ov beta)/32" "beta 10 beta" ||
    fail "alpha: no route to beta after the rollback"
ping_ok "${NODE_NS[alpha]}" "$(ov beta)" || fail "ping after the rollback"
fwd=$(fwd_pid alpha beta)

# Confirmed: a metric change stays past its deadline.
cp "$TMP/alpha.good" "$TMP/alpha.conf"
sed -i '/^\[peer beta\]/a metric = 3' "$TMP/alpha.conf"
ctl alpha -j reload --confirm 2 >"$TMP/r3.json" ||
    fail "reload --confirm 2 failed"
python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))
assert r["changed"] == ["beta"] and r["confirm_s"] == 2, r' "$TMP/r3.json" ||
    fail "reload JSON: $(cat "$TMP/r3.json")"
ctl alpha confirm >/dev/null || fail "confirm failed"
wait_until 4 route_is alpha "$(ov beta)/32" "beta 10 beta" &&
    fail "a confirmed reload was rolled back"
route_is alpha "$(ov beta)/32" "beta 3 beta" || fail "metric 3 not kept"
[ "$(fwd_pid alpha beta)" = "$fwd" ] || fail "beta's session restarted"
ctl alpha confirm >/dev/null 2>"$TMP/c.err" &&
    fail "confirm with nothing pending exited 0"
[ -s "$TMP/c.err" ] || fail "confirm with nothing pending said nothing"
daemons_alive alpha beta || fail "a daemon died"
pass
