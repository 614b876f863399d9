#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# The control socket cannot be locked: a member of the socket's group
# (uid nobody with the socket's gid: ipcp's, or 0 where no group ipcp
# exists) opens 45 connections and sends nothing.  root's ipcpctl
# still gets through at once, the idle connections are closed within the
# idle timeout, and then the group member's own ipcpctl works again.
. "$(dirname "$0")/lib.sh"

standard_setup
SOCK=$(sock alpha)
# The socket's group, whichever it is: ipcp where an earlier install
# left that group on the machine, root's otherwise.
SOCK_GID=$(stat -c %g "$SOCK") || fail "cannot stat $SOCK"
as_member() { setpriv --reuid 65534 --regid "$SOCK_GID" --clear-groups "$@"; }

# $PYTHON, Debian's: a python under /root (pyenv) is out of its reach.
as_member "$PYTHON" - "$SOCK" >"$TMP/flood.out" 2>&1 <<'PY' &
import socket, sys, time
held = []
for i in range(45):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.connect(sys.argv[1])
        held.append(s)
    except OSError:
        s.close()
print("opened", len(held), flush=True)
# Wait (bounded) until ipcpd has closed every one of them.
deadline = time.time() + 30
for s in held:
    s.settimeout(max(0.1, deadline - time.time()))
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
print("closed after %.1f s" % (time.time() - (deadline - 30)), flush=True)
PY
flood=$!
MY_PIDS+=("$flood")
wait_until 10 grep -q "^opened" "$TMP/flood.out" || fail "flood did not start"
info "$(head -n 1 "$TMP/flood.out")"

# root gets through, again and again, during the flood.
for i in 1 2 3 4 5; do
	t0=$(now_us)
	ctl alpha status >/dev/null || fail "root's ipcpctl locked out"
	[ $(( ($(now_us) - t0) / 1000 )) -lt 2000 ] ||
	    fail "root's ipcpctl took over 2 s"
done

# The idle connections go, and the group member gets in again.
wait_until 25 proc_gone "$flood" || fail "idle connections not closed"
info "$(tail -n 1 "$TMP/flood.out")"
wait_until 5 as_member "$IPCPCTL" -s "$SOCK" status >/dev/null ||
    fail "group member locked out after the flood"
daemons_alive alpha beta || fail "a daemon died"
pass
