#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# A dial that fails at once (connect: ENETUNREACH, before any handshake)
# must put the peer in backoff and be retried, like a dial that fails
# later.  beta starts with no address on its veth, so it has no route to
# alpha; once the address is back, a redial brings the session up.
. "$(dirname "$0")/lib.sh"

setup_topology
make_keys alpha beta
write_configs
n2 ip addr del "$IP_B/24" dev veth0 || fail "cannot remove beta's address"
start_daemons

peer_in() { [ "$(peer_field beta alpha state)" = "$1" ]; }
wait_until 10 peer_in backoff ||
    fail "dial failed at once: peer is \"$(peer_field beta alpha state)\"," \
    "not in backoff"
# Not a one-off: the timer fires and it dials (and fails) again.
wait_until 10 grep -q 'backoff -> connecting (timer)' "$TMP/beta.log" ||
    fail "no redial after the backoff timer"
info "unreachable: peer went to backoff and redialled"

n2 ip addr add "$IP_B/24" dev veth0 || fail "cannot restore beta's address"
# Backoff doubles from 1 s to at most 5 s; with its jitter of a quarter
# the next try is within 6.25 s.
wait_up 12
ping_all_ok
pass
