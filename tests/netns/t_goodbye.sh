#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# ipcpctl goodbye: a node leaving on purpose tells its peers, so they
# withdraw its routes at once instead of waiting for dead-after.
#
#   alpha ──── beta ──── gamma        dead-after = 30 s everywhere
#
# alpha says goodbye: beta drops the session and alpha's routes within a
# few seconds, gamma (told by beta) too, alpha's ipcpd exits 0 leaving
# no TUN, route or socket, and beta keeps redialing with its backoff.
. "$(dirname "$0")/lib.sh"

DEAD_AFTER=30
for n in alpha beta gamma; do
	node_add "$n"
done
link_add beta alpha
link_add gamma beta
for n in alpha beta gamma; do
	node_conf "$n"
	node_start "$n"
done
wait_until 20 route_is gamma "$(ov alpha)/32" "beta 20 beta alpha" ||
    fail "gamma: no route to alpha: $(route_best gamma "$(ov alpha)/32")"

ctl alpha goodbye >"$TMP/bye.out" 2>"$TMP/bye.err" ||
    fail "goodbye: exit $?: $(cat "$TMP/bye.err")"
t0=$(now_us)
wait_until 5 eval '! route_best beta "$(ov alpha)/32" >/dev/null' ||
    fail "beta still routes to alpha after goodbye"
wait_until 5 eval '! route_best gamma "$(ov alpha)/32" >/dev/null' ||
    fail "gamma still routes to alpha after goodbye"
t1=$(now_us)
info "goodbye: routes withdrawn in $(( (t1 - t0) / 1000 )) ms" \
    "(dead-after is ${DEAD_AFTER} s)"
[ -z "$(kroute_dev beta "$(ov alpha)/32")" ] ||
    fail "beta: kernel route to alpha left"

reap "${DPID[alpha]}" 10
rc=$?
[ "$rc" != 124 ] || fail "alpha's ipcpd did not exit"
[ "$rc" = 0 ] || fail "alpha's ipcpd exited $rc after goodbye"
links=$(nx alpha ip -o link show | grep -o 'ipcp-[^:@ ]*')
[ -z "$links" ] || fail "alpha: links left: $links"
[ -z "$(nx alpha ip route show proto "$RTPROT")" ] ||
    fail "alpha: routes left"
[ ! -e "$(sock alpha)" ] || fail "alpha: control socket left"

# beta redials with its normal backoff.
st=$(peer_field beta alpha state)
case $st in
backoff|connecting) ;;
*) fail "beta: peer alpha is '$st', not redialing" ;;
esac
daemons_alive beta gamma || fail "a daemon died"
pass
