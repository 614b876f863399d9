#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# The handshake port under attack.  From beta's namespace: 2000
# connections that send nothing, from 250 more addresses and beta's own,
# each opened again (up to 2000 a second) as soon as alpha closes it, so
# the slots are under siege throughout; and from the 250 a stream of
# forged first messages with a valid mac1
# (anyone can compute it from alpha's public key; each costs alpha an
# X25519), three times as many as alpha's budget for them.  Meanwhile beta's
# session is cut, and beta must be back within 3 s; alpha's ipcpd stays
# within a bounded share of a CPU.
. "$(dirname "$0")/lib.sh"

need_attack
standard_setup

srcs=("$IP_B")
for i in $(seq 1 250); do
	n2 ip addr add "10.201.1.$i/32" dev veth0
	srcs+=("10.201.1.$i")
done
n1 ip route add 10.201.1.0/24 dev veth0

ip netns exec "$NS_B" "$ATTACK" idle "$IP_A:$PORT" 2000 8 "${srcs[@]}" \
    >"$TMP/idle.out" 2>&1 &
idle=$!
MY_PIDS+=("$idle")
ip netns exec "$NS_B" "$ATTACK" forged "$IP_A:$PORT" "$(pubkey alpha)" \
    3000 8 "${srcs[@]:1}" >"$TMP/forged.out" 2>&1 &
forged=$!
MY_PIDS+=("$forged")
wait_until 10 grep -q "opened" "$TMP/idle.out" ||
    fail "the idle attack did not start: $(cat "$TMP/idle.out")"
info "$(head -n 1 "$TMP/idle.out")"

apid=${DPID[alpha]}
c0=$(cpu_ms "$apid")
w0=$(now_us)
# In the thick of it, beta loses its session and must be back in 3 s.
wait_until 5 eval '[ $(( $(cpu_ms "$apid") - c0 )) -gt 50 ]'
old=$(fwd_pid beta alpha) || fail "beta: no forwarder"
kill -KILL "$old"
t0=$(now_us)
wait_until 3 eval 'n=$(fwd_pid beta alpha) && [ "$n" != "$old" ] &&
    peer_up beta alpha && peer_up alpha beta' ||
    fail "beta not back within 3 s of losing its session (alpha:" \
    "$(peer_field alpha beta state), beta: $(peer_field beta alpha state))"
info "beta back after $(( ($(now_us) - t0) / 1000 )) ms"
ping_ok "$NS_B" "$OV_A" 1 || fail "no ping over the new session"
wait_until 15 eval 'proc_gone $idle && proc_gone $forged' ||
    fail "the attack did not end"
used=$(( $(cpu_ms "$apid") - c0 ))
wall=$(( ($(now_us) - w0) / 1000 ))
info "$(tail -n 1 "$TMP/idle.out"); $(tail -n 1 "$TMP/forged.out")"
info "alpha's ipcpd: $used ms of CPU in $wall ms under the flood"
# Half a core; the whole core for a sanitized build (2-3x the cost).
limit=$((wall / 2))
sanitized && limit=$wall
[ "$used" -lt "$limit" ] || fail "alpha's ipcpd used $used ms of CPU" \
    "in $wall ms"
daemons_alive alpha beta || fail "a daemon died"
pass
