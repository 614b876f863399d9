#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# A gateway with N clients (300; IPCP_SCALE_N to change), each its own
# ipcpd in its own namespace, all on bridges in the gateway's namespace
# (tests/netns/star.sh has the picture):
#
#   1. all come up, and `ipcpctl -j peers' lists every one of them, up;
#   2. SIGTERM of the gateway: exit 0, and nothing left behind (no TUN of
#      ipcp in its namespace, no forwarder, no control socket);
#   3. a start while one peer's interface name is held by another
#      process (as by a forwarder that outlived a crashed ipcpd): every
#      other peer comes up, and that one does once the name is free.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/star.sh"

# 300, as the issue asks: 53 s in all on the 2-core test machine (all up
# 16 s after the clients started, SIGTERM 1 s), since the forwarder is
# static-pie and the clients enter their namespaces with nsenter (three
# minutes before).  bench/scale.sh measures the larger sizes.
N=${IPCP_SCALE_N:-300}
STALE=c7

ms_since() { echo $(( ($(now_us) - $1) / 1000 )); }

t=$(now_us)
star_build "$N"
info "$N clients built in $(ms_since "$t") ms"

star_start_gw
t=$(now_us)
star_start_clients
wait_until 90 star_up "$N" ||
    fail "$STAR_LAST_UP of $N clients up 90 s after they started"
info "all $N up $(ms_since "$t") ms after the clients started"

# The listing is whole and every client is in it once, up.
t=$(now_us)
ctl gw -j peers >"$TMP/peers.json" || fail "ipcpctl -j peers failed"
info "ipcpctl -j peers: $(ms_since "$t") ms"
python3 - "$TMP/peers.json" "$N" <<'PY' || fail "ipcpctl -j peers is not right"
import json, sys
p = json.load(open(sys.argv[1]))["peers"]
n = int(sys.argv[2])
names = sorted(x["name"] for x in p)
want = sorted("c%d" % i for i in range(1, n + 1))
if names != want:
    sys.exit("listed %d peers, %d distinct, want %d" % (
        len(names), len(set(names)), n))
down = [x["name"] for x in p if x["state"] != "up"]
if down:
    sys.exit("not up: %s" % " ".join(down[:10]))
PY

# SIGTERM: a clean exit and nothing left behind.
star_fwd_pids >"$TMP/gw_fwds"
[ "$(wc -l <"$TMP/gw_fwds")" = "$N" ] ||
    fail "$(wc -l <"$TMP/gw_fwds") forwarders for $N peers"
t=$(now_us)
kill -TERM "${DPID[gw]}"
reap "${DPID[gw]}" 60
rc=$?
[ "$rc" != 124 ] || fail "gateway still running 60 s after SIGTERM"
[ "$rc" = 0 ] || fail "gateway exited $rc after SIGTERM"
info "SIGTERM: exited in $(ms_since "$t") ms"
wait_until 10 eval '[ -z "$(star_leftovers)" ]' ||
    fail "after SIGTERM: $(star_leftovers | tr '\n' ';')"

# One interface name held by someone else, as a forwarder that outlived
# a crashed ipcpd holds its TUN: the rest must not care.  (A persistent
# TUN that nobody holds would not do: ipcpd may attach to that.)
ip netns exec "$STAR_GW_NS" python3 - "ipcp-$STALE" <<'PY' &
import fcntl, os, signal, struct, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
# TUNSETIFF, IFF_TUN | IFF_NO_PI
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", sys.argv[1].encode(),
                                        0x0001 | 0x1000))
signal.pause()
PY
holder=$!
MY_PIDS+=("$holder")
wait_until 10 star_gw ip link show "ipcp-$STALE" >/dev/null 2>&1 ||
    fail "cannot hold ipcp-$STALE"
star_start_gw
wait_until 90 star_up $((N - 1)) ||
    fail "with ipcp-$STALE held: $STAR_LAST_UP of $((N - 1)) up after 90 s"
star_peers
[ "$(peer_field gw "$STALE" state)" != up ] ||
    fail "$STALE is up while its interface name is held"
python3 - "$TMP/peers.json" "$STALE" <<'PY' || fail "with ipcp-$STALE held"
import json, sys
p = json.load(open(sys.argv[1]))["peers"]
down = [x["name"] for x in p if x["state"] != "up" and x["name"] != sys.argv[2]]
if down:
    sys.exit("not up: %s" % " ".join(down[:10]))
PY
info "with ipcp-$STALE held: the other $((N - 1)) up"
stop_pid "$holder"
wait_until 60 peer_up gw "$STALE" ||
    fail "$STALE not up 60 s after its name came free ($(peer_field gw \
    "$STALE" state))"
daemons_alive gw || fail "the gateway died"
pass
