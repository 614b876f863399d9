#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Replies of any length: a node with 600 peers answers `peers' whole, to
# ipcpctl and to a client that does not read for two seconds (far more
# than the socket buffer holds waits in ipcpd's queue), and stays
# responsive to other clients meanwhile.  Both shapes of the reply: one
# PeerInfo per datagram (a client that does not ask for batches, as an
# older ipcpctl), and PeerLists of many, each within the reply cap.
. "$(dirname "$0")/lib.sh"

N=600
node_add alpha
node_conf alpha
idle_peers "$N" >>"$TMP/alpha.conf"
node_start alpha
wait_until 30 eval '[ "$(status_field alpha peers_configured)" = "$N" ]' ||
    fail "alpha does not have $N peers"

ctl alpha -j peers >"$TMP/peers.json" || fail "-j peers failed"
python3 -c 'import json, sys
p = json.load(open(sys.argv[1]))["peers"]
assert len(p) == int(sys.argv[2]), len(p)' "$TMP/peers.json" "$N" ||
    fail "-j peers is not whole"

# A slow reader: the request, then two seconds without reading.  $1:
# "batch" to ask for PeerLists.
slow_reader() {
python3 - "$(sock alpha)" "$N" "$IPCPCTL" "$1" >"$TMP/slow.out" 2>&1 <<'PY' &
import socket, subprocess, sys, time

def fields(buf):
    """Top-level protobuf fields of one message: (number, bytes or None)."""
    i, out = 0, []
    def varint():
        nonlocal i
        v = s = 0
        while True:
            b = buf[i]; i += 1
            v |= (b & 0x7f) << s; s += 7
            if b < 0x80:
                return v
    while i < len(buf):
        key = varint()
        num, wt = key >> 3, key & 7
        if wt == 0:
            varint()
            out.append((num, None))
        elif wt == 2:
            n = varint()
            out.append((num, buf[i:i + n]))
            i += n
        else:
            raise SystemExit("wire type %d" % wt)
    return out

batch = sys.argv[4] == "batch"
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
# Envelope { id = 7, request = Request { cmd = CMD_PEERS[, batch] } }
if batch:
    s.send(bytes([0x08, 0x07, 0x52, 0x04, 0x08, 0x02, 0x28, 0x01]))
else:
    s.send(bytes([0x08, 0x07, 0x52, 0x02, 0x08, 0x02]))
time.sleep(2)
# Meanwhile ipcpd answers everyone else at once.
t = time.time()
subprocess.run([sys.argv[3], "-s", sys.argv[1], "status"], check=True,
               stdout=subprocess.DEVNULL, timeout=5)
print("status while the reader slept: %.0f ms" % ((time.time() - t) * 1000))
peers = datagrams = biggest = 0
s.settimeout(5)
while True:
    d = s.recv(65536)
    datagrams += 1
    biggest = max(biggest, len(d))
    f = fields(d)
    nums = [n for n, _ in f]
    if 12 in nums:
        assert not batch, "a PeerInfo alone, asked for lists"
        peers += 1
    for n, body in f:
        if n == 27:
            assert batch, "a PeerList, not asked for"
            peers += sum(1 for m, _ in fields(body) if m == 1)
    if 13 in nums:
        break
print("peers", peers, "in", datagrams, "datagrams, the largest",
      biggest, "bytes")
assert peers == int(sys.argv[2]), peers
# MSG_MAX_CTL_REPLY
assert biggest <= 32768, biggest
assert not batch or datagrams < peers / 10, datagrams
PY
slow=$!
MY_PIDS+=("$slow")
reap "$slow" 20
rc=$?
[ "$rc" != 124 ] || fail "the slow reader ($1) did not finish"
[ "$rc" = 0 ] || fail "slow reader ($1): $(cat "$TMP/slow.out")"
info "$1: $(tr '\n' ' ' <"$TMP/slow.out")"
grep -q "^peers $N " "$TMP/slow.out" || fail "slow reader ($1): $(cat \
    "$TMP/slow.out")"
}
slow_reader single
slow_reader batch
daemons_alive alpha || fail "ipcpd died"
pass
