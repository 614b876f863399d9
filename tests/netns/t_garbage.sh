#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Junk at alpha's listening port, from beta's namespace, while a ping runs
# through the established tunnel: 4 KiB of random bytes, a frame header
# that claims 4 GiB, half a handshake held open, and 50 idle connections.
# Every one must be closed by alpha within a bounded time (the pre-auth
# timeout is about 5 s), ipcpd must live on without leaking fds, and the
# existing session must not notice: same forwarders, no reconnects, ping
# still answered.  The idle ones first wait in alpha's kernel, not in
# ipcpd (TCP_DEFER_ACCEPT): its count of bare ACKs held back must move.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/junk.py" <<'PY'
# junk.py HOST PORT MODE LIMIT: connect, send junk, wait for alpha to
# close; exit 0 if every connection was closed within LIMIT seconds.
import os, select, socket, sys, time

host, port, mode, limit = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
    float(sys.argv[4])
junk = {
    "random": lambda: os.urandom(4096),
    "bighdr": lambda: b"\xff\xff\xff\xff\x01",
    "half": lambda: os.urandom(60),
    "idle": lambda: b"",
}[mode]
count = 50 if mode == "idle" else 1
live, refused = [], 0
for _ in range(count):
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((host, port))
    except OSError:
        refused += 1    # turned away at once: also fine
        s.close()
        continue
    data = junk()
    try:
        if data:
            s.sendall(data)
    except OSError:
        pass            # already closed by alpha
    s.setblocking(False)
    live.append(s)
t0 = time.monotonic()
closed = []
while live and time.monotonic() - t0 < limit:
    r, _, _ = select.select(live, [], [], 0.1)
    for s in r:
        try:
            if s.recv(65536):
                continue        # an answer is fine; wait for the close
        except OSError:
            pass                # reset
        closed.append(time.monotonic() - t0)
        live.remove(s)
        s.close()
print("%s: %d closed (last after %.1f s), %d refused, %d still open "
      "after %.0f s" % (mode, len(closed), max(closed, default=0),
      refused, len(live), limit))
sys.exit(1 if live or (refused == count) else 0)
PY

# TcpExt's TCPDeferAcceptDrop in alpha's namespace.
defer_drops() {
	n1 awk '/^TcpExt:/ { if (!h) { split($0, k); h = 1; next }
	    for (i = 2; i <= NF; i++) if (k[i] == "TCPDeferAcceptDrop")
	    print $i }' /proc/net/netstat
}

standard_setup
dd0=$(defer_drops)
[ -n "$dd0" ] || fail "no TCPDeferAcceptDrop in alpha's /proc/net/netstat"

apid=${DPID[alpha]}
fa=$(fwd_pid alpha beta) || fail "alpha: no forwarder"
fb=$(fwd_pid beta alpha) || fail "beta: no forwarder"
ra=$(peer_field alpha beta reconnects)
rb=$(peer_field beta alpha reconnects)
fds_before=$(ls "/proc/$apid/fd" | wc -l)

ip netns exec "$NS_A" ping -i 0.1 -W 1 "$OV_B" >"$TMP/bgping.out" 2>&1 &
ppid=$!
MY_PIDS+=("$ppid")

for mode in random bighdr half idle; do
	out=$(n2 timeout 30 python3 "$TMP/junk.py" "$IP_A" "$PORT" "$mode" \
	    12 2>&1) || fail "junk '$mode': $out"
	info "$out"
	proc_alive "$apid" || fail "alpha's ipcpd died after junk '$mode'"
done
[ "$(defer_drops)" -gt "$dd0" ] ||
    fail "the idle connections were not held back by alpha's kernel"

# Stop the background ping and read its summary.
kill -INT "$ppid"
wait_until 5 proc_gone "$ppid" || fail "background ping did not stop"
wait "$ppid"
forget_pid "$ppid"
summary=$(grep 'packets transmitted' "$TMP/bgping.out")
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$summary")
recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$summary")
info "ping during the junk: $summary"
[ "${sent:-0}" -gt 0 ] && [ "${recv:-0}" -gt 0 ] ||
    fail "no ping answered during the junk"

daemons_alive alpha beta || fail "a daemon died"
both_up || fail "session not up after the junk"
[ "$(fwd_pid alpha beta)" = "$fa" ] || fail "alpha: forwarder changed"
[ "$(fwd_pid beta alpha)" = "$fb" ] || fail "beta: forwarder changed"
[ "$(peer_field alpha beta reconnects)" = "$ra" ] ||
    fail "alpha: reconnects changed"
[ "$(peer_field beta alpha reconnects)" = "$rb" ] ||
    fail "beta: reconnects changed"
ping_all_ok

# Every junk connection's fd was closed again.
fds_same() { [ "$(ls "/proc/$apid/fd" | wc -l)" -le "$fds_before" ]; }
wait_until 5 fds_same || fail "alpha's ipcpd holds $(ls "/proc/$apid/fd" |
    wc -l) fds, $fds_before before the junk"
pass
