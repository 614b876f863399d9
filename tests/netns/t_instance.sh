#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Instance safety and honest start-up, beside a running alpha-beta pair:
#
# - ipcpd runs with no core limit left to dump its keys into;
# - a second ipcpd with alpha's config refuses to start (one line on
#   stderr, exit 1) before it touches anything: alpha's routes, session
#   and traffic are as they were;
# - an instance with a busy port fails the same way and leaves no
#   control socket behind, also when it would have daemonized;
# - the original command line (another interface and socket) and a
#   second configured instance run beside alpha in the same namespace,
#   and none sweeps the others' routes;
# - a daemonizing start that works exits 0 and answers on its socket.
. "$(dirname "$0")/lib.sh"

standard_setup
ping_ok "$NS_A" "$OV_B" || fail "no ping before"
# ipcpd holds the private key and psks: no core file may ever have them.
grep -Eq '^Max core file size +0 +0 ' "/proc/${DPID[alpha]}/limits" ||
    fail "ipcpd may dump core: $(grep core "/proc/${DPID[alpha]}/limits")"

alpha_intact() {
	has_route "$NS_A" "$OV_B" ipcp-beta &&
	    has_route "$NS_A" "$OV6_B" ipcp-beta &&
	    peer_up alpha beta && ping_ok "$NS_A" "$OV_B" 1
}

# run_start NAME ARGS...: ipcpd in alpha's namespace, bounded; RC, and
# stdout/stderr in $TMP/NAME.out/.err.
run_start() {
	local name=$1
	shift
	n1 timeout 10 "$IPCPD" "$@" </dev/null >"$TMP/$name.out" \
	    2>"$TMP/$name.err"
	RC=$?
}

one_line() {
	[ "$(wc -l <"$TMP/$1.err")" = 1 ] ||
	    fail "$1: stderr is not one line: $(cat "$TMP/$1.err")"
}

# 1. The same config again, in the foreground and as a daemon.
for mode in -d ""; do
	run_start twin $mode -c "$TMP/alpha.conf"
	[ "$RC" = 1 ] || fail "second ipcpd ($mode): exit $RC, not 1"
	one_line twin
	grep -q "another ipcpd is running" "$TMP/twin.err" ||
	    fail "second ipcpd: $(cat "$TMP/twin.err")"
	alpha_intact || fail "a second ipcpd ($mode) disturbed alpha"
done

# 2. A busy port, with a control socket of its own: nothing left behind.
sed -e "s|^control = .*|control = $TMP/busy.sock|" \
    -e "s|^name = alpha|name = busy|" "$TMP/alpha.conf" >"$TMP/busy.conf"
for mode in -d ""; do
	run_start busy $mode -c "$TMP/busy.conf"
	[ "$RC" = 1 ] || fail "busy port ($mode): exit $RC, not 1"
	one_line busy
	grep -q "$IP_A:$PORT" "$TMP/busy.err" ||
	    fail "busy port: $(cat "$TMP/busy.err")"
	[ ! -e "$TMP/busy.sock" ] || fail "busy port: control socket left"
	alpha_intact || fail "a failed start disturbed alpha"
done

# 3. Beside alpha: the original command line on another interface, and
# a configured instance with its own socket, interface and routes.
IF_C=${PFX}C
head -c 32 /dev/urandom >"$TMP/secret.key"
n1 "$IPCPD" "$IF_C" 127.0.0.1 5999 1 "$TMP/secret.key" </dev/null \
    >>"$TMP/compat.log" 2>&1 &
compat=$!
MY_PIDS+=("$compat")
wait_until 10 n1 ip link show "$IF_C" >/dev/null 2>&1 ||
    fail "compat instance did not start"
make_keys gamma
write_conf gamma gamma 10.78.0.1/32 "" delta "$(pubkey beta)" \
    10.78.0.2/32 "127.0.0.1:5998" ""
sed -i "s|^\[peer delta\]|&\ninterface = ${PFX}D|" "$TMP/gamma.conf"
run_start gamma -c "$TMP/gamma.conf"
[ "$RC" = 0 ] || fail "a daemonizing start exited $RC: $(cat \
    "$TMP/gamma.err")"
[ ! -s "$TMP/gamma.err" ] || fail "a good start printed: $(cat \
    "$TMP/gamma.err")"
gpid=$(status_field gamma pid) || fail "gamma does not answer"
MY_PIDS+=("$gpid")
alpha_intact || fail "instances beside alpha disturbed it"
# Each instance sweeps only its own interfaces: restarting gamma leaves
# alpha's routes alone.
ctl gamma goodbye >/dev/null || fail "gamma goodbye"
wait_until 10 proc_gone "$gpid" || fail "gamma did not exit"
run_start gamma2 -c "$TMP/gamma.conf"
[ "$RC" = 0 ] || fail "gamma again: exit $RC"
alpha_intact || fail "gamma's second start disturbed alpha"
gpid=$(status_field gamma pid)
MY_PIDS+=("$gpid")
daemons_alive alpha beta || fail "a daemon died"
pass
