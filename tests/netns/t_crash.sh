#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# ipcpd killed (SIGKILL), with no chance to clean up:
# 1. its forwarder sees its channel close and exits at once, so the TUN
#    it holds goes too, and says goodbye, so beta redials soon: beta is
#    up again within seconds of a new alpha;
# 2. a forwarder of the dead ipcpd that cannot exit (stopped) keeps its
#    peer's TUN name busy: the next ipcpd still brings up every other
#    peer, ends the orphan (tun_reclaim.c) and has that peer up soon.
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
idle_peers "$K" f >>"$TMP/alpha.conf"
start_daemon alpha "$NS_A"
wait_up 20
fa=$(fwd_pid alpha beta) || fail "alpha: no forwarder"
kill -STOP "$fa"
kill -KILL "${DPID[alpha]}"
reap "${DPID[alpha]}" 5
t0=$(now_us)
start_daemon alpha "$NS_A"
wait_until 10 eval '[ "$(links f)" = "$K" ]' ||
    fail "$(links f) of $K other TUNs while ipcp-beta is busy"
# The orphan holding ipcp-beta is ended by the new alpha, not by us.
wait_until 5 proc_gone "$fa" || fail "stale forwarder $fa still there"
wait_up 10
info "beta up again $(( ($(now_us) - t0) / 1000 )) ms after alpha" \
    "started beside a stale forwarder"
ping_ok "$NS_B" "$OV_A" || fail "no ping"
pass
