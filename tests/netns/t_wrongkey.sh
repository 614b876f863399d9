#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Authentication: a beta whose static key alpha does not know, and a beta
# with the wrong pre-shared key, never get a session; no packet passes and
# both daemons keep running.  A matching psk, as the control, does come
# up.  Between cases both daemons are stopped and started afresh.
. "$(dirname "$0")/lib.sh"

setup_topology
make_keys alpha beta mallory
(umask 077; "$IPCPCTL" genpsk >"$TMP/psk1" && "$IPCPCTL" genpsk \
    >"$TMP/psk2") || fail "ipcpctl genpsk"

either_up() { peer_up alpha beta || peer_up beta alpha; }

# A case that must not come up: watch for 8 s, then look again.
expect_refused() {
	local what=$1
	start_daemons
	! wait_until 8 either_up || fail "$what: session came up"
	ping_ok "$NS_A" "$OV_B" 1 && fail "$what: ping alpha -> beta passed"
	ping_ok "$NS_B" "$OV_A" 1 && fail "$what: ping beta -> alpha passed"
	daemons_alive alpha beta || fail "$what: a daemon died"
	either_up && fail "$what: session came up late"
	info "$what: no session after 8 s, both daemons alive"
	stop_daemons_ok "$what"
}

stop_daemons_ok() {
	local n
	for n in alpha beta; do
		stop_daemon "$n" || fail "$1: $n did not stop on SIGTERM"
		[ "$STOP_RC" = 0 ] || fail "$1: $n exited $STOP_RC"
	done
}

# 1. beta uses mallory's key; alpha expects beta's.
write_configs "" "" mallory
expect_refused "unknown key"

# 2. Both know each other's keys, but the psks differ.
write_configs "$TMP/psk1" "$TMP/psk2"
expect_refused "wrong psk"

# 3. psk on one side only.
write_configs "$TMP/psk1" ""
expect_refused "psk on one side only"

# 4. Control: the same psk on both sides comes up.
write_configs "$TMP/psk1" "$TMP/psk1"
start_daemons
wait_up 20
ping_ok "$NS_A" "$OV_B" || fail "psk: ping alpha -> beta failed"
info "matching psk: session up, ping passes"
pass
