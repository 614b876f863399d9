#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Reading a config never hangs: a FIFO as the config or as a key file,
# and /dev/zero as the config, are refused at once (ipcpd -n, start-up
# and reload alike) with one file:line line, and a running ipcpd that is
# asked to reload such a file keeps running as it was.
. "$(dirname "$0")/lib.sh"

setup_topology
make_keys alpha beta
write_configs
mkfifo "$TMP/fifo"

# bounded NAME CMD...: must end (any status) within 5 s; RC and stderr.
bounded() {
	local name=$1
	shift
	timeout 5 "$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err"
	RC=$?
	[ "$RC" != 124 ] || fail "$name: still running after 5 s"
}

bounded fifo-conf "$IPCPD" -n -c "$TMP/fifo"
[ "$RC" = 1 ] || fail "FIFO config: exit $RC"
grep -q "not a regular file" "$TMP/fifo-conf.err" ||
    fail "FIFO config: $(cat "$TMP/fifo-conf.err")"
bounded zero-conf "$IPCPD" -n -c /dev/zero
[ "$RC" = 1 ] || fail "/dev/zero config: exit $RC"

sed "s|^private-key = .*|private-key = $TMP/fifo|" "$TMP/alpha.conf" \
    >"$TMP/fifokey.conf"
line=$(grep -n '^private-key' "$TMP/fifokey.conf" | cut -d: -f1)
bounded fifo-key "$IPCPD" -n -c "$TMP/fifokey.conf"
[ "$RC" = 1 ] || fail "FIFO key: exit $RC"
grep -q "fifokey.conf:$line: private-key: .*not a regular file" \
    "$TMP/fifo-key.err" || fail "FIFO key: $(cat "$TMP/fifo-key.err")"
bounded fifo-key-start ip netns exec "$NS_A" "$IPCPD" -d -c \
    "$TMP/fifokey.conf"
[ "$RC" = 1 ] || fail "start with a FIFO key: exit $RC"

# A running ipcpd asked to reload a file whose psk became a FIFO.
start_daemons
wait_up 20
sed -i "/^\[peer beta\]/a psk = $TMP/fifo" "$TMP/alpha.conf"
bounded reload "$IPCPCTL" -s "$(sock alpha)" reload
[ "$RC" = 1 ] || fail "reload with a FIFO psk: exit $RC"
grep -q "not a regular file" "$TMP/reload.err" ||
    fail "reload: $(cat "$TMP/reload.err")"
peer_up alpha beta || fail "the failed reload took the session down"
ping_ok "$NS_A" "$OV_B" || fail "no ping after the failed reload"
daemons_alive alpha beta || fail "a daemon died"
pass
