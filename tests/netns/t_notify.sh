#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# ipcpd under a service manager (Type=notify), with a datagram socket of
# ours as NOTIFY_SOCKET in place of systemd's:
#
# - READY=1 arrives once, and by then the control socket answers;
# - STATUS= shows the peer count once the session is up;
# - WATCHDOG=1 comes again and again when WATCHDOG_USEC is set;
# - `ipcpctl reload' is framed by RELOADING=1 (with MONOTONIC_USEC=) and
#   READY=1, a failed one too; `reload --check' sends neither;
# - `ipcpctl restart' looks like a reload: RELOADING=1, then READY=1
#   from the new binary in the same process;
# - SIGTERM sends STOPPING=1;
# - with stderr as the journal (JOURNAL_STREAM) lines carry "<N>";
# - ipcpd -s overrides the file's control socket, reloads included.
. "$(dirname "$0")/lib.sh"

setup_topology
make_keys alpha beta
write_configs
start_daemon beta "$NS_B"

# The file names a socket ipcpd must not use: -s wins.
sed -i "s|^control = .*|control = $TMP/unused.sock|" "$TMP/alpha.conf"

# The listener: one line per datagram, newlines as " | ".  At the first
# READY=1 it asks ipcpd for its status and writes CTL=<exit status>.
NOTIFY=$TMP/notify.sock
"$PYTHON" - "$NOTIFY" "$TMP/notify.log" "$IPCPCTL" "$(sock alpha)" <<'EOF' &
import os, socket, subprocess, sys
path, log, ctl, ctlsock = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
ready = False
with open(log, "a", buffering=1) as f:
    f.write("LISTENING\n")
    while True:
        m = s.recv(4096).decode(errors="replace")
        f.write(m.replace("\n", " | ") + "\n")
        if "READY=1" in m.split("\n") and not ready:
            ready = True
            r = subprocess.run([ctl, "-s", ctlsock, "status"],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=5)
            f.write("CTL=%d\n" % r.returncode)
EOF
LISTENER=$!
MY_PIDS+=("$LISTENER")
wait_until 5 grep -q LISTENING "$TMP/notify.log" 2>/dev/null ||
    fail "the notify listener did not start"

# count WORD: datagrams that carry the assignment WORD.
count() { grep -c -- "\(^\| | \)$1\( | \|\$\)" "$TMP/notify.log"; }
has() { [ "$(count "$1")" -ge "${2:-1}" ]; }

: >"$TMP/alpha.log"
JS=$(stat -c '%d:%i' "$TMP/alpha.log")
ip netns exec "$NS_A" env NOTIFY_SOCKET="$NOTIFY" WATCHDOG_USEC=300000 \
    JOURNAL_STREAM="$JS" "$IPCPD" -d -c "$TMP/alpha.conf" \
    -s "$(sock alpha)" </dev/null >>"$TMP/alpha.log" 2>&1 &
DPID[alpha]=$!
MY_PIDS+=("${DPID[alpha]}")

wait_until 10 has READY=1 || fail "no READY=1 within 10 s"
wait_until 5 grep -q '^CTL=' "$TMP/notify.log" ||
    fail "the listener did not run ipcpctl status"
grep -q '^CTL=0$' "$TMP/notify.log" ||
    fail "READY=1 came before the control socket answered:" \
    "$(grep '^CTL=' "$TMP/notify.log")"
[ ! -e "$TMP/unused.sock" ] || fail "ipcpd -s also opened the file's socket"
wait_up 20

# STATUS= follows the session (at most a second behind).
wait_until 5 match -E 'STATUS=1/1 peer up, [0-9]+ routes?' \
    "$TMP/notify.log" ||
    fail "no STATUS= with 1/1 peer up: $(grep STATUS= "$TMP/notify.log" |
    tail -n 3)"

# Half of 300 ms: a few pings in a second, and they keep coming.
wait_until 5 has WATCHDOG=1 3 || fail "fewer than 3 WATCHDOG=1 in 5 s"
n=$(count WATCHDOG=1)
wait_until 5 has WATCHDOG=1 $((n + 3)) || fail "WATCHDOG=1 stopped"

# The journal's stream: each line starts with its priority.
match -E '^<6>ipcpd: node alpha started' "$TMP/alpha.log" ||
    fail "no <6> prefix on stderr as the journal: $(head -n 3 \
    "$TMP/alpha.log")"
match -E '^ipcpd:' "$TMP/alpha.log" && fail "a log line without <N>"

# A reload that applies: RELOADING=1 with MONOTONIC_USEC=, then READY=1.
[ "$(count READY=1)" = 1 ] || fail "READY=1 sent $(count READY=1) times"
ctl alpha reload >/dev/null || fail "reload failed"
wait_until 5 has READY=1 2 || fail "no READY=1 after the reload"
grep -n -- 'RELOADING=1' "$TMP/notify.log" | match 'MONOTONIC_USEC=[0-9]' ||
    fail "RELOADING=1 without MONOTONIC_USEC="
r=$(grep -n 'RELOADING=1' "$TMP/notify.log" | tail -n 1 | cut -d: -f1)
y=$(grep -n '\(^\| | \)READY=1' "$TMP/notify.log" | tail -n 1 | cut -d: -f1)
[ -n "$r" ] && [ "$r" -lt "$y" ] ||
    fail "RELOADING=1 (line $r) not before READY=1 (line $y)"
[ ! -e "$TMP/unused.sock" ] || fail "a reload opened the file's socket"

# --check applies nothing: no RELOADING=1.
ctl alpha reload --check >/dev/null || fail "reload --check failed"
ctl alpha status >/dev/null || fail "status after reload --check"
[ "$(count RELOADING=1)" = 1 ] || fail "reload --check sent RELOADING=1"

# A broken file: the reload fails, and ipcpd is ready again on the old.
cp "$TMP/alpha.conf" "$TMP/alpha.good"
echo "bogus-key = 1" >>"$TMP/alpha.conf"
ctl alpha reload >/dev/null 2>&1 && fail "a broken file reloaded"
wait_until 5 has READY=1 3 || fail "no READY=1 after a failed reload"
[ "$(count RELOADING=1)" = 2 ] || fail "failed reload: no RELOADING=1"
cp "$TMP/alpha.good" "$TMP/alpha.conf"

# A restart: the same pid, RELOADING=1, READY=1 from the new binary;
# -s still wins over the file.
nr=$(count READY=1)
nl=$(count RELOADING=1)
ctl alpha restart >/dev/null || fail "restart failed"
wait_until 5 has READY=1 $((nr + 1)) || fail "no READY=1 after restart"
[ "$(count RELOADING=1)" = $((nl + 1)) ] || fail "restart: no RELOADING=1"
[ ! -e "$TMP/unused.sock" ] || fail "a restart opened the file's socket"
peer_up alpha beta || fail "the session did not survive the restart"

stop_daemon alpha || fail "alpha did not stop"
[ "$STOP_RC" = 0 ] || fail "alpha exited $STOP_RC"
has STOPPING=1 || fail "no STOPPING=1 at SIGTERM"

# Without NOTIFY_SOCKET nothing is sent (and nothing breaks): beta.
daemons_alive beta || fail "beta died"
pass
