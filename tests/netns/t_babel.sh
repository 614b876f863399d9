#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# A standard routing daemon over ipcp links: babeld on both ends of an
# alpha-beta link learns a route over it.
#
#   alpha ──ipcp── beta ── stub0 fd99:1::1/64, 10.99.1.1/24
#   babeld           babeld (redistributes fd99:1::/64, 10.99.1.0/24)
#
# Babel speaks from the TUN's IPv6 link-local address to ff02::1:6, so
# this needs what ipcp promises routing daemons: a link-local address on
# every TUN, multicast through the tunnel, and link-local sources let
# through the forwarder's filter.  Traffic to the learned prefix then
# goes through ipcp.
. "$(dirname "$0")/lib.sh"

command -v babeld >/dev/null ||
    fail "babeld not installed (contrib/install-deps.sh installs it)"

# The learned prefixes must pass the forwarders' source filters too.
MESH_ALLOWED="$MESH_ALLOWED, fd99::/16, 10.99.0.0/16"
mesh_pair alpha beta

# A network of beta's own to redistribute (this kernel has no dummy
# interfaces): one end of a veth pair that stays inside beta.
nx beta ip link add stub0 type veth peer name stub1
nx beta ip addr add fd99:1::1/64 dev stub0 nodad
nx beta ip addr add 10.99.1.1/24 dev stub0
nx beta ip link set stub1 up
nx beta ip link set stub0 up

for n in alpha beta; do
	wait_until 10 eval "nx $n ip -6 addr show dev ipcp-$( [ $n = alpha ] &&
	    echo beta || echo alpha) scope link | match fe80::" ||
	    fail "$n: no IPv6 link-local address on its TUN"
done

# babeld NODE IFNAME [STATEMENT...]
babel() {
	local n=$1 ifname=$2 pid
	shift 2
	{
		echo "default hello-interval 1"
		echo "interface $ifname type tunnel"
		for s in "$@"; do echo "$s"; done
		echo "redistribute local deny"
	} >"$TMP/babel-$n.conf"
	ip netns exec "${NODE_NS[$n]}" babeld -c "$TMP/babel-$n.conf" \
	    -I "$TMP/babel-$n.pid" -S "$TMP/babel-$n.state" "$ifname" \
	    >"$TMP/babel-$n.log" 2>&1 &
	pid=$!
	MY_PIDS+=("$pid")
	wait_until 5 proc_is "$pid" babeld || fail "$n: babeld did not start"
}
babel beta ipcp-alpha "redistribute ip fd99:1::/64 eq 64 allow" \
    "redistribute ip 10.99.1.0/24 eq 24 allow" "redistribute deny"
babel alpha ipcp-beta "redistribute deny"

wait_until 30 eval 'nx alpha ip -6 route show fd99:1::/64 |
    match "dev ipcp-beta"' ||
    fail "alpha: babeld learned no route to fd99:1::/64 over ipcp-beta:" \
    "$(nx alpha ip -6 route show fd99:1::/64)"
info "alpha learned: $(nx alpha ip -6 route show fd99:1::/64)"
# Not one of ipcp's own routes: babel put it there.
nx alpha ip -6 route show proto "$RTPROT" | match fd99 &&
    fail "the fd99:1::/64 route is ipcp's, not babeld's"
ping_ok "${NODE_NS[alpha]}" fd99:1::1 || fail "ping6 over the babel route"
wait_until 30 eval 'nx alpha ip route show 10.99.1.0/24 | match .' ||
    fail "alpha: babeld learned no IPv4 route to 10.99.1.0/24"
daemons_alive alpha beta || fail "a daemon died"
pass
