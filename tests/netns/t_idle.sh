#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# An idle session costs few wakeups, and the side that accepted (a
# gateway's, for a thousand clients) the fewest: beta dialed, so beta's
# forwarder heartbeats every interval and alpha's only answers (fwd/fwd.h).
# Over IDLE_S seconds of an idle pair (heartbeat 1 s, dead-after 4 s) the
# forwarders' voluntary context switches (one per wakeup) are counted:
# alpha's must be about one per interval and fewer than beta's, and
# neither session may end meanwhile (no dead peer, no watchdog kill: the
# rarer reports to ipcpd still come within dead-after).  The previous
# scheme, both sides heartbeating plus a stats report every dead-after/3,
# woke each forwarder over three times per interval.
# Each ipcpd wakes only for its forwarder's reports and its watchdog,
# which is set for the moment one would be silent for dead-after: no
# timer on a beat (it was 30 wakeups in 10 s at these settings).
. "$(dirname "$0")/lib.sh"

IDLE_S=10
# One per interval, a round-trip probe now and then, and a little room.
ALPHA_MAX=$((IDLE_S * 16 / 10))
# Reports (every 1.75 s here, fwd/fwd.h) and the watchdog behind them.
IPCPD_MAX=$((IDLE_S * 15 / 10))

vcs() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$1/status"; }

setup_topology
make_keys alpha beta
write_configs
start_daemons
wait_up 20
# ipcpd turns the kernel's router solicitations off on its TUNs: each
# (at 4, 8, 16 s ...) would wake both forwarders of the idle session.
rs=$(n1 cat /proc/sys/net/ipv6/conf/ipcp-beta/router_solicitations 2>&1)
[ "$rs" = 0 ] || fail "alpha: router_solicitations on ipcp-beta is '$rs'"
rs=$(n2 cat /proc/sys/net/ipv6/conf/ipcp-alpha/router_solicitations 2>&1)
[ "$rs" = 0 ] || fail "beta: router_solicitations on ipcp-alpha is '$rs'"
fa=$(fwd_pid alpha beta) || fail "alpha: no forwarder"
fb=$(fwd_pid beta alpha) || fail "beta: no forwarder"
# What the session's start sends (the route exchange) is traffic, not
# idleness: measure after it.
sleep 3
da=${DPID[alpha]} db=${DPID[beta]}
a0=$(vcs "$fa") b0=$(vcs "$fb") da0=$(vcs "$da") db0=$(vcs "$db")
sleep "$IDLE_S"
a1=$(vcs "$fa") b1=$(vcs "$fb") da1=$(vcs "$da") db1=$(vcs "$db")
wa=$((a1 - a0)) wb=$((b1 - b0)) wda=$((da1 - da0)) wdb=$((db1 - db0))
info "wakeups over ${IDLE_S} s idle: alpha (answers) $wa," \
    "beta (heartbeats) $wb; ipcpd alpha $wda, beta $wdb"

[ "$(fwd_pid alpha beta)" = "$fa" ] && [ "$(fwd_pid beta alpha)" = "$fb" ] ||
    fail "a session ended while idle (alpha: $(peer_field alpha beta \
    last_error), beta: $(peer_field beta alpha last_error))"
both_up || fail "a session is down after ${IDLE_S} s idle"
[ "$wa" -le "$ALPHA_MAX" ] ||
    fail "alpha's forwarder woke $wa times in ${IDLE_S} s (max $ALPHA_MAX)"
for w in "alpha $wda" "beta $wdb"; do
	set -- $w
	[ "$2" -le "$IPCPD_MAX" ] ||
	    fail "$1's ipcpd woke $2 times in ${IDLE_S} s (max $IPCPD_MAX)"
done
[ "$wa" -lt "$wb" ] ||
    fail "alpha, which only answers, woke no less than beta ($wa >= $wb)"
# Both still measure the round trip: beta every interval, alpha by probe.
for n in "alpha beta" "beta alpha"; do
	set -- $n
	r=$(peer_field "$1" "$2" rtt_ms)
	case $r in ''|None|0|0.0) fail "$1: no round trip measured" ;; esac
done
ping_all_ok
daemons_alive alpha beta || fail "a daemon died"
pass
