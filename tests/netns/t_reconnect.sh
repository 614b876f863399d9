#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# A forwarder that dies (SIGKILL) takes its TCP session with it; ipcpd
# notices, the peers handshake again and each side runs a new forwarder.
# First on the listening side (alpha), then on the dialing side (beta).
# The TUN lives on across sessions, so routes and pings come back.
. "$(dirname "$0")/lib.sh"

standard_setup
ping_all_ok

# new_session OLD_A OLD_B: both sides up again with other forwarders.
new_session() {
	local a b
	both_up || return 1
	a=$(fwd_pid alpha beta) && b=$(fwd_pid beta alpha) || return 1
	[ "$a" != "$1" ] && [ "$b" != "$2" ]
}

for victim in alpha beta; do
	fa=$(fwd_pid alpha beta) || fail "alpha: no forwarder"
	fb=$(fwd_pid beta alpha) || fail "beta: no forwarder"
	ra=$(peer_field alpha beta reconnects)
	rb=$(peer_field beta alpha reconnects)
	if [ "$victim" = alpha ]; then kpid=$fa; else kpid=$fb; fi
	proc_is "$kpid" ipcp-fwd || fail "$kpid is not a forwarder"
	kill -KILL "$kpid"
	wait_until 5 proc_gone "$kpid" ||
	    fail "forwarder $kpid survived SIGKILL"

	wait_until 30 new_session "$fa" "$fb" ||
	    fail "$victim's forwarder killed: no new session within 30 s" \
	    "(alpha: $(peer_field alpha beta state)," \
	    "beta: $(peer_field beta alpha state))"
	# The other side's old forwarder went away with its session.
	for p in "$fa" "$fb"; do
		wait_until 5 proc_gone "$p" ||
		    fail "old forwarder $p still runs after the reconnect"
	done
	ra2=$(peer_field alpha beta reconnects)
	rb2=$(peer_field beta alpha reconnects)
	[ "$ra2" -gt "$ra" ] ||
	    fail "alpha: reconnects did not increase ($ra -> $ra2)"
	[ "$rb2" -gt "$rb" ] ||
	    fail "beta: reconnects did not increase ($rb -> $rb2)"
	ping_all_ok
	has_route "$NS_A" "$OV_B" ipcp-beta || fail "alpha lost its route"
	has_route "$NS_B" "$OV_A" ipcp-alpha || fail "beta lost its route"
	info "killed $victim's forwarder $kpid: new forwarders" \
	    "$(fwd_pid alpha beta)/$(fwd_pid beta alpha)," \
	    "reconnects $ra->$ra2 / $rb->$rb2"
done

daemons_alive alpha beta || fail "a daemon died"
pass
