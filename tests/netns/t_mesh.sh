#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# ipcp as a routing daemon: four nodes in a square, a LAN behind delta.
#
#   alpha ────── beta
#     │            │
#   gamma ────── delta ──── lan 192.168.50.0/24 (host .2)
#
# Every node learns every other node's addresses and delta's LAN with
# the right paths and costs; alpha reaches delta and the LAN through beta
# (two equal-cost paths: "beta delta" sorts before "gamma delta"), so
# beta carries transit traffic; trace follows the hops both ways.  When
# the alpha-beta link is cut, both ends see the session dead within
# dead-after and alpha's routes move to gamma; when it heals they come
# back.
. "$(dirname "$0")/lib.sh"

for n in alpha beta gamma delta; do
	node_add "$n"
done
link_add alpha beta
link_add alpha gamma
link_add beta delta
link_add gamma delta

# The LAN behind delta: a host that knows only its default route.
NS_LAN=${PFX}lan
ip netns add "$NS_LAN" || fail "ip netns add $NS_LAN"
MY_NS+=("$NS_LAN")
ip link add lan0 netns "${NODE_NS[delta]}" type veth peer name lan0 \
    netns "$NS_LAN" || fail "veth to the LAN"
nx delta ip addr add 192.168.50.1/24 dev lan0
nx delta ip link set lan0 up
ip netns exec "$NS_LAN" ip link set lo up
ip netns exec "$NS_LAN" ip addr add 192.168.50.2/24 dev lan0
ip netns exec "$NS_LAN" ip link set lan0 up
ip netns exec "$NS_LAN" ip route add default via 192.168.50.1

node_conf alpha
node_conf beta
node_conf gamma
# A host's address in announce: announced as its network.
node_conf delta "announce = 192.168.50.1/24, 192.168.51.0/24"
# alpha has a route of its own for one of delta's prefixes: ipcp's must
# go beside it, never replace it or take it away.
nx alpha ip route add blackhole 192.168.51.0/24
for n in alpha beta gamma delta; do
	node_start "$n"
done

wait_until 30 route_is alpha 192.168.50.0/24 "beta 20 beta delta" ||
    fail "alpha: no route to delta's LAN via beta after 30 s:" \
    "$(route_best alpha 192.168.50.0/24)"

# Every path, as each node should see it.
check() {
	route_is "$1" "$2" "$3" ||
	    fail "$1: best path to $2 is '$(route_best "$1" "$2")', want '$3'"
}
check alpha "$(ov beta)/32" "beta 10 beta"
check alpha "$(ov gamma)/32" "gamma 10 gamma"
check alpha "$(ov delta)/32" "beta 20 beta delta"
check alpha "$(ov6 delta)/128" "beta 20 beta delta"
check alpha "$(ov alpha)/32" "local 0 alpha"
check delta "$(ov alpha)/32" "beta 20 beta alpha"
check delta 192.168.50.0/24 "local 0 delta"
check gamma "$(ov beta)/32" "alpha 20 alpha beta"
check beta 192.168.50.0/24 "delta 10 delta"
wait_until 10 route_is gamma 192.168.50.0/24 "delta 10 delta" ||
    fail "gamma: $(route_best gamma 192.168.50.0/24)"

# The kernel has the best paths, and only those.
[ "$(kroute_dev alpha "$(ov delta)/32")" = ipcp-beta ] ||
    fail "alpha: kernel route to $(ov delta) not via ipcp-beta"
[ "$(kroute_dev alpha 192.168.50.0/24)" = ipcp-beta ] ||
    fail "alpha: kernel route to 192.168.50.0/24 not via ipcp-beta"
[ -z "$(kroute_dev delta 192.168.50.0/24)" ] ||
    fail "delta: its own LAN got an ipcp route"
[ "$(kroute_dev alpha 192.168.51.0/24)" = ipcp-beta ] ||
    fail "alpha: no ipcp route to 192.168.51.0/24"
nx alpha ip route show 192.168.51.0/24 | match '^blackhole' ||
    fail "alpha: ipcp replaced the route that was there before"

# ipcpctl -j routes: every candidate, the keys scripts rely on.
ctl alpha -j routes >"$TMP/routes.json" || fail "alpha: -j routes failed"
python3 - "$TMP/routes.json" "$(ov delta)/32" <<'PY' ||
import json, sys
routes = json.load(open(sys.argv[1]))
assert isinstance(routes, list), routes
for r in routes:
    for k in ("prefix", "via", "interface", "cost", "path", "best",
              "installed", "age_s"):
        assert k in r, (k, r)
    assert isinstance(r["path"], list) and r["path"], r
cands = [r for r in routes if r["prefix"] == sys.argv[2]]
assert len(cands) == 2, cands
assert sum(1 for r in cands if r["best"]) == 1, cands
other = [r for r in cands if not r["best"]][0]
assert other["via"] == "gamma" and other["path"] == ["gamma", "delta"], other
assert other["interface"] == "ipcp-gamma" and not other["installed"], other
PY
    fail "alpha: -j routes: $(cat "$TMP/routes.json")"
ctl alpha routes >"$TMP/routes.txt" || fail "alpha: routes failed"
grep -q "^192.168.50.0/24 .*beta .*installed .*beta delta" \
    "$TMP/routes.txt" || fail "alpha: routes text: $(cat "$TMP/routes.txt")"

# Transit: alpha to delta and to the LAN host, through beta; and back.
ping_ok "${NODE_NS[alpha]}" "$(ov delta)" || fail "ping alpha -> delta"
ping_ok "${NODE_NS[alpha]}" "$(ov6 delta)" || fail "ping6 alpha -> delta"
ping_ok "${NODE_NS[alpha]}" 192.168.50.2 || fail "ping alpha -> LAN host"
ping_ok "$NS_LAN" "$(ov alpha)" || fail "ping LAN host -> alpha"
ping_ok "${NODE_NS[gamma]}" "$(ov beta)" || fail "ping gamma -> beta"
tx=$(peer_field beta delta tx_packets)
[ "${tx:-0}" -gt 0 ] || fail "beta carried no transit packets to delta"

# Trace: hops both ways, a round trip per hop, the target's answer.
ctl alpha -j trace delta >"$TMP/trace.json" || fail "trace delta failed"
python3 - "$TMP/trace.json" <<'PY' || fail "trace: $(cat "$TMP/trace.json")"
import json, sys
t = json.load(open(sys.argv[1]))
assert [h["node"] for h in t["forward"]] == ["alpha", "beta", "delta"], t
assert [h["node"] for h in t["reverse"]] == ["delta", "beta"], t
assert t["error"] is None, t
assert t["forward"][1]["rtt_ms"] > 0 and t["forward"][2]["rtt_ms"] > 0, t
assert t["forward"][2]["rtt_ms"] >= t["forward"][1]["rtt_ms"] * 0.5, t
assert t["rtt_ms"] > 0
assert {p["name"] for p in t["peers"]} == {"beta", "gamma"}, t
assert "192.168.50.0/24" in t["routes"], t
PY
ctl alpha trace 192.168.50.2 >"$TMP/trace.txt" ||
    fail "trace to the LAN host failed"
grep -q "delta" "$TMP/trace.txt" || fail "trace text: $(cat "$TMP/trace.txt")"
ctl alpha trace nosuchnode >/dev/null 2>&1 &&
    fail "trace to an unknown node exited 0"

# Failover: cut alpha-beta; both ends see it, alpha moves to gamma.
ping_ok "${NODE_NS[alpha]}" 192.168.50.2 1 || fail "ping before the cut"
link_cut alpha beta
t0=$(now_us)
wait_until 10 eval '! peer_up alpha beta && ! peer_up beta alpha' ||
    fail "the alpha-beta session outlived the link by 10 s"
t1=$(now_us)
wait_until 5 route_is alpha 192.168.50.0/24 "gamma 20 gamma delta" ||
    fail "alpha: LAN route did not move to gamma:" \
    "$(route_best alpha 192.168.50.0/24)"
wait_until 5 eval '[ "$(kroute_dev alpha "$(ov delta)/32")" = ipcp-gamma ]' ||
    fail "alpha: kernel route to delta did not move to ipcp-gamma"
t2=$(now_us)
info "link cut: sessions dead after $(( (t1 - t0) / 1000 )) ms," \
    "alpha rerouted $(( (t2 - t1) / 1000 )) ms later"
wait_until 5 route_is beta "$(ov alpha)/32" "delta 30 delta gamma alpha" ||
    fail "beta: $(route_best beta "$(ov alpha)/32")"
ping_ok "${NODE_NS[alpha]}" 192.168.50.2 || fail "ping after failover"
route_is alpha "$(ov6 delta)/128" "gamma 20 gamma delta" ||
    fail "alpha: IPv6 route to delta did not move to gamma"
ping_ok "${NODE_NS[alpha]}" "$(ov6 delta)" || fail "ping6 after failover"
ping_ok "${NODE_NS[beta]}" "$(ov alpha)" || fail "ping beta -> alpha round"
ctl alpha -j trace delta | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert [h["node"] for h in t["forward"]] == ["alpha", "gamma", "delta"], t
' || fail "trace after failover does not go through gamma"

# Healed: the session comes back and so does the route via beta.
link_heal alpha beta
wait_until 40 route_is alpha 192.168.50.0/24 "beta 20 beta delta" ||
    fail "alpha: route via beta did not come back after the link healed"
ping_ok "${NODE_NS[alpha]}" 192.168.50.2 || fail "ping after healing"
nx alpha ip route show 192.168.51.0/24 | match '^blackhole' ||
    fail "alpha: the route that was there before is gone"

daemons_alive alpha beta gamma delta || fail "a daemon died"
pass
