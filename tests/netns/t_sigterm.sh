#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# SIGTERM is a clean shut-down: both daemons exit 0 within a bounded time
# and leave nothing behind: no ipcp-* link, no proto ipcp route, no
# control socket, no forwarder.
. "$(dirname "$0")/lib.sh"

standard_setup
ping_ok "$NS_A" "$OV_B" || fail "ping through the tunnel failed"
fa=$(fwd_pid alpha beta) || fail "alpha: no forwarder"
fb=$(fwd_pid beta alpha) || fail "beta: no forwarder"

# Both at once, as a host shut-down would.
kill -TERM "${DPID[alpha]}" "${DPID[beta]}"
for n in alpha beta; do
	stop_daemon "$n" || fail "$n still running 10 s after SIGTERM"
	[ "$STOP_RC" = 0 ] || fail "$n exited $STOP_RC after SIGTERM"
done

for p in "$fa" "$fb"; do
	wait_until 5 proc_gone "$p" || fail "forwarder $p outlived ipcpd"
done
for ns in "$NS_A" "$NS_B"; do
	links=$(ip netns exec "$ns" ip -o link show | grep -o 'ipcp-[^:@ ]*')
	[ -z "$links" ] || fail "$ns: links left: $links"
	for fam in -4 -6; do
		r=$(ip netns exec "$ns" ip "$fam" route show proto "$RTPROT")
		[ -z "$r" ] || fail "$ns: proto $RTPROT routes left: $r"
	done
done
for n in alpha beta; do
	[ -e "$(sock "$n")" ] && fail "$n: control socket $(sock "$n") left"
done
pass
