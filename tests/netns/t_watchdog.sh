#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# ipcpd supervises its forwarders: beta's forwarder is stopped (SIGSTOP),
# so it moves no packets and says nothing; beta's ipcpd notices within
# dead-after, kills it and redials, and a new session with a new
# forwarder is up within dead-after + 2 s.  (The peer alone would see
# the silence too; what is tested is that beta's own ipcpd no longer
# believes in a forwarder that does nothing.)
#
# And the other way round: alpha's ipcpd itself stops for longer than
# dead-after (a debugger, a frozen VM, a loop blocked by the kernel),
# while its forwarder goes on and reports.  Woken, alpha must read those
# reports before it judges the forwarder silent: the session stays.
. "$(dirname "$0")/lib.sh"

standard_setup
DEAD=$STD_DEAD_AFTER
old=$(fwd_pid beta alpha) || fail "beta: no forwarder"
kill -STOP "$old"
t0=$(now_us)
new_session() {
	local n
	n=$(fwd_pid beta alpha) && [ "$n" != "$old" ] && peer_up beta alpha
}
wait_until $((DEAD + 2)) new_session ||
    fail "no new session within dead-after + 2 s"
t1=$(now_us)
[ $(( (t1 - t0) / 1000 )) -le $(( (DEAD + 2) * 1000 )) ] ||
    fail "new session after $(( (t1 - t0) / 1000 )) ms"
wait_until 2 proc_gone "$old" || fail "the stopped forwarder is still there"
info "new session $(( (t1 - t0) / 1000 )) ms after the forwarder" \
    "stopped (dead-after ${DEAD} s)"
ping_ok "$NS_B" "$OV_A" || fail "no ping over the new session"

fa=$(fwd_pid alpha beta) || fail "alpha: no forwarder"
apid=${DPID[alpha]}
kill -STOP "$apid"
sleep $((DEAD + 2))	# the condition under test is the time stopped
kill -CONT "$apid"
# Alpha answers again, with the same forwarder.
wait_until 5 peer_up alpha beta || fail "alpha: beta not up after a stop"
[ "$(fwd_pid alpha beta)" = "$fa" ] ||
    fail "alpha's forwarder was replaced after its ipcpd stopped" \
    "$((DEAD + 2)) s (last error: $(peer_field alpha beta last_error))"
proc_alive "$fa" || fail "alpha's forwarder is gone"
ping_ok "$NS_B" "$OV_A" || fail "no ping after alpha's ipcpd stopped"
daemons_alive alpha beta || fail "a daemon died"
pass
