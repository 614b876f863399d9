#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# A forwarder that cannot be started (ipcpd starts them off its loop, on
# a pool thread): alpha's ipcp-fwd loses its execute bit while alpha
# runs.  Each session beta brings ends at once on alpha's side; alpha
# stays up and answers, leaves no process behind, logs the failure once
# (not once per retry), and beta keeps redialing.  With the bit back,
# the next redial brings the session up and ping goes through.
. "$(dirname "$0")/lib.sh"

BIN=$TMP/bin
mkdir -p "$BIN"
cp "$IPCPD" "$IPCPFWD" "$BIN/"

setup_topology
make_keys alpha beta
write_configs
IPCPD=$BIN/ipcpd start_daemon alpha "$NS_A"
APID=${DPID[alpha]}
chmod 644 "$BIN/ipcp-fwd"
start_daemon beta "$NS_B"

# Three handshakes done, so three forwarders that did not start.
hs_ok() {
	status_field alpha handshakes | python3 -c '
import json, sys; print(json.load(sys.stdin).get("ok", 0))' 2>/dev/null ||
	    echo 0
}
wait_until 30 eval '[ "$(hs_ok)" -ge 3 ]' ||
    fail "alpha: $(hs_ok) handshakes after 30 s"
proc_alive "$APID" || fail "alpha died"
[ "$(peer_field alpha beta state)" != up ] ||
    fail "alpha: beta up without a forwarder"
[ -z "$(pgrep -P "$APID")" ] ||
    fail "alpha has children: $(pgrep -a -P "$APID" | tr '\n' ' ')"
n=$(grep -c "spawn $BIN/ipcp-fwd" "$TMP/alpha.log")
[ "$n" = 1 ] || fail "alpha logged the failed start $n times, not once"

chmod 755 "$BIN/ipcp-fwd"
wait_up 20
ping_all_ok
f=$(fwd_pid alpha beta) || fail "alpha: no forwarder pid for beta"
proc_is "$f" ipcp-fwd || fail "alpha: pid $f is not ipcp-fwd"
daemons_alive alpha beta || fail "a daemon died"
pass
