#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# ipcpd killed (SIGKILL), with no chance to clean up:
# 1. its forwarder sees its channel close and exits at once, so the TUN
#    it holds goes too, and says goodbye, so beta redials soon: beta is
#    up again within seconds of a new alpha;
# 2. a forwarder of the dead ipcpd that cannot exit yet (stopped) keeps
#    its peer's TUN name busy: the next ipcpd still brings up every other
#    peer, retries that one by itself, and has it up soon after the stale
#    forwarder is gone.
. "$(dirname "$0")/lib.sh"

K=5
standard_setup
links() { n1 ip -o link show | grep -c ": ipcp-$1"; }

# 1.
fa=$(fwd_pid alpha beta) || fail "alpha: no forwarder"
kill -KILL "${DPID[alpha]}"
reap "${DPID[alpha]}" 5
t0=$(now_us)
wait_until 2 proc_gone "$fa" || fail "forwarder $fa outlived ipcpd by 2 s"
info "forwarder exited $(( ($(now_us) - t0) / 1000 )) ms after ipcpd died"
wait_until 2 eval '[ "$(links beta)" = 0 ]' || fail "ipcp-beta left behind"
wait_until 2 match -q "peer said goodbye: ipcpd is gone" "$TMP/beta.log" ||
    fail "beta was not told"
start_daemon alpha "$NS_A"
t0=$(now_us)
wait_up 5
info "up again $(( ($(now_us) - t0) / 1000 )) ms after alpha started again"
kill -KILL "${DPID[alpha]}"
reap "${DPID[alpha]}" 5
wait_until 5 eval '[ "$(links beta)" = 0 ]' || fail "ipcp-beta left behind"

# 2.  Some more peers, which never connect, to show they come up.
python3 - "$K" >>"$TMP/alpha.conf" <<'PY'
import base64, os, sys
for i in range(int(sys.argv[1])):
    print("[peer f%d]" % i)
    print("public-key = " + base64.b64encode(os.urandom(32)).decode())
    print("allowed-ips = 10.78.0.%d/32" % (i + 1))
PY
start_daemon alpha "$NS_A"
wait_up 20
fa=$(fwd_pid alpha beta) || fail "alpha: no forwarder"
kill -STOP "$fa"
kill -KILL "${DPID[alpha]}"
reap "${DPID[alpha]}" 5
start_daemon alpha "$NS_A"
wait_until 10 eval '[ "$(links f)" = "$K" ]' ||
    fail "$(links f) of $K other TUNs while ipcp-beta is busy"
[ "$(peer_field alpha beta state)" = no-interface ] ||
    fail "beta is $(peer_field alpha beta state) with its TUN busy"
kill -CONT "$fa"
t0=$(now_us)
wait_until 2 proc_gone "$fa" || fail "stale forwarder $fa did not exit"
wait_up 10
info "up again $(( ($(now_us) - t0) / 1000 )) ms after the stale" \
    "forwarder went on"
ping_ok "$NS_B" "$OV_A" || fail "no ping"
pass
