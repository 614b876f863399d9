#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# The basic tunnel: both sides come up, ping works both ways over IPv4 and
# IPv6, and each side has a proto ipcp route to the other's overlay
# addresses through its ipcp-<peer> TUN.
. "$(dirname "$0")/lib.sh"

standard_setup
ping_all_ok

has_route "$NS_A" "$OV_B" ipcp-beta ||
    fail "alpha: no proto $RTPROT route to $OV_B via ipcp-beta"
has_route "$NS_A" "$OV6_B" ipcp-beta ||
    fail "alpha: no proto $RTPROT route to $OV6_B via ipcp-beta"
has_route "$NS_B" "$OV_A" ipcp-alpha ||
    fail "beta: no proto $RTPROT route to $OV_A via ipcp-alpha"
has_route "$NS_B" "$OV6_A" ipcp-alpha ||
    fail "beta: no proto $RTPROT route to $OV6_A via ipcp-alpha"

# The counters moved: ping went through ipcpd's forwarders.
for side in "alpha beta" "beta alpha"; do
	set -- $side
	rx=$(peer_field "$1" "$2" rx_packets)
	tx=$(peer_field "$1" "$2" tx_packets)
	[ "${rx:-0}" -gt 0 ] && [ "${tx:-0}" -gt 0 ] ||
	    fail "$1: peer $2 counters did not move (rx $rx, tx $tx packets)"
done

daemons_alive alpha beta || fail "a daemon died"
pass
