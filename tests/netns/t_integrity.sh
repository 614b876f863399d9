#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Data integrity through the tunnel with the offloads on (the default):
# what goes in comes out, byte for byte, whatever the forwarders do with
# segmentation, checksums and coalescing on the way.
#
# - A 200 MiB file of random data each way at the same time, alpha ->
#   beta over the inner IPv4 address and beta -> alpha over the inner
#   IPv6 address, arrives with the sender's sha256 and length.
# - Inner UDP with 8000-byte datagrams (IP-fragmented inside the tunnel)
#   at 500 Mbit/s for 3 s, over IPv4 one way and IPv6 the other: bytes
#   arrive and the loss stays below $LOSS_MAX % (measured once more if
#   not: the host is shared).
# - No session dropped meanwhile: the same forwarders and reconnect
#   counts at the end, and each side's rx+tx byte counters grew by at
#   least 400 MB.
. "$(dirname "$0")/lib.sh"

FILE_MIB=200
LOSS_MAX=10		# % of UDP datagrams
XFER_PORT=5301
UDP_PORT=5302
MIN_GROWTH=400000000	# bytes, rx + tx, per side

for c in iperf3 python3 sha256sum; do
	command -v "$c" >/dev/null || fail "$c not installed"
done

# A tiny TCP file mover: `recv ADDR PORT' accepts one connection and
# prints "bytes sha256 peer" of what arrived; `send ADDR PORT FILE' sends
# FILE, half-closes and waits for the receiver to close.  Every socket
# operation has a timeout, so neither side can hang.
cat >"$TMP/xfer.py" <<'EOF'
import errno, hashlib, socket, sys, time

mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
if mode == "recv":
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    end = time.monotonic() + 10
    while True:
        try:
            s.bind((addr, port))
            break
        except OSError as e:	# the address may still be tentative
            if e.errno != errno.EADDRNOTAVAIL or time.monotonic() > end:
                raise
            time.sleep(0.1)
    s.listen(1)
    s.settimeout(30)
    c, peer = s.accept()
    c.settimeout(30)
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        h.update(b)
        n += len(b)
    c.close()
    print(n, h.hexdigest(), peer[0])
else:
    c = socket.create_connection((addr, port), timeout=10)
    c.settimeout(30)
    with open(sys.argv[4], "rb") as f:
        c.sendfile(f)
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass
    c.close()
EOF

# bg NETNS LOG CMD...: CMD in NETNS in the background, bounded by a
# timeout, remembered for cleanup; BG is its pid.
bg() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" timeout -k 5 60 "$@" </dev/null >"$log" 2>&1 &
	BG=$!
	MY_PIDS+=("$BG")
}

# listening NETNS tcp|udp PORT
listening() {
	local f=-Hltn
	[ "$2" = udp ] && f=-Hlun
	ip netns exec "$1" ss $f "sport = :$3" | match .
}

# snap NODE PEER: "fwd_pid reconnects rx+tx_bytes" of the peer, from one
# `ipcpctl -j peers' (each query costs a process or two).
snap() {
	ctl "$1" -j peers 2>/dev/null | python3 -c '
import json, sys
for p in json.load(sys.stdin)["peers"]:
    if p.get("name") == sys.argv[1]:
        print(p["fwd_pid"], p["reconnects"], p["rx_bytes"] + p["tx_bytes"])
        sys.exit(0)
sys.exit(1)' "$2"
}

# grew NODE PEER BEFORE: the peer's rx+tx bytes grew by MIN_GROWTH;
# GROWTH is how much they grew.
GROWTH=0
grew() {
	local s
	s=$(snap "$1" "$2") || return 1
	set -- $s "$3"
	GROWTH=$(($3 - $4))
	[ "$GROWTH" -ge "$MIN_GROWTH" ]
}

# pings NETNS ADDR...: one ping to each, quick when the tunnel works.
pings() {
	local ns=$1 a
	shift
	for a in "$@"; do
		ip netns exec "$ns" ping -q -c 1 -W 2 "$a" >/dev/null 2>&1 ||
		    fail "no ping from $ns to $a"
	done
}

standard_setup
read -r fa ra ca < <(snap alpha beta) || fail "alpha: no peer beta"
read -r fb rb cb < <(snap beta alpha) || fail "beta: no peer alpha"
echo "$fa" "$fb" >>"$TMP/fwd_seen"	# lib.sh's cleanup looks there
off=$(n1 ethtool -k ipcp-beta 2>/dev/null | awk '
    /^(tcp-segmentation|generic-receive)-offload:/ { printf "%s %s ", $1, $2 }')
info "offloads on alpha's ipcp-beta: ${off:-n/a (no ethtool)}"

# --- 200 MiB each way, at the same time: v4 alpha -> beta, v6 beta -> alpha
t0=$(now_us)
head -c "${FILE_MIB}M" /dev/urandom >"$TMP/a2b.bin" || fail "no random file"
head -c "${FILE_MIB}M" /dev/urandom >"$TMP/b2a.bin" || fail "no random file"
read -r sum_a2b _ < <(sha256sum "$TMP/a2b.bin")
read -r sum_b2a _ < <(sha256sum "$TMP/b2a.bin")
size=$((FILE_MIB * 1048576))

bg "$NS_B" "$TMP/recv4.out" python3 "$TMP/xfer.py" recv "$OV_B" "$XFER_PORT"
r4=$BG
bg "$NS_A" "$TMP/recv6.out" python3 "$TMP/xfer.py" recv "$OV6_A" "$XFER_PORT"
r6=$BG
wait_until 10 listening "$NS_B" tcp "$XFER_PORT" ||
    fail "v4 receiver does not listen: $(cat "$TMP/recv4.out")"
wait_until 10 listening "$NS_A" tcp "$XFER_PORT" ||
    fail "v6 receiver does not listen: $(cat "$TMP/recv6.out")"
t1=$(now_us)
bg "$NS_A" "$TMP/send4.out" python3 "$TMP/xfer.py" send "$OV_B" \
    "$XFER_PORT" "$TMP/a2b.bin"
s4=$BG
bg "$NS_B" "$TMP/send6.out" python3 "$TMP/xfer.py" send "$OV6_A" \
    "$XFER_PORT" "$TMP/b2a.bin"
s6=$BG
reap "$s4" 60 || fail "v4 sender (alpha -> $OV_B) failed (rc $?):" \
    "$(tail -n 3 "$TMP/send4.out")"
reap "$s6" 60 || fail "v6 sender (beta -> $OV6_A) failed (rc $?):" \
    "$(tail -n 3 "$TMP/send6.out")"
reap "$r4" 10 || fail "v4 receiver failed: $(tail -n 3 "$TMP/recv4.out")"
reap "$r6" 10 || fail "v6 receiver failed: $(tail -n 3 "$TMP/recv6.out")"
t2=$(now_us)
rm -f "$TMP/a2b.bin" "$TMP/b2a.bin"

read -r n4 h4 p4 <"$TMP/recv4.out"
read -r n6 h6 p6 <"$TMP/recv6.out"
[ "$n4" = "$size" ] || fail "alpha -> $OV_B: $n4 bytes arrived, sent $size"
[ "$h4" = "$sum_a2b" ] || fail "alpha -> $OV_B: sha256 $h4, sent $sum_a2b"
[ "$n6" = "$size" ] || fail "beta -> $OV6_A: $n6 bytes arrived, sent $size"
[ "$h6" = "$sum_b2a" ] || fail "beta -> $OV6_A: sha256 $h6, sent $sum_b2a"
# The connections came from the inner addresses: through the tunnel.
[ "$p4" = "$OV_A" ] || fail "v4 transfer came from $p4, not $OV_A"
[ "$p6" = "$OV6_B" ] || fail "v6 transfer came from $p6, not $OV6_B"
info "$FILE_MIB MiB each way, sha256 match: alpha->beta v4 ${h4:0:12}," \
    "beta->alpha v6 ${h6:0:12}; both in" \
    "$(python3 -c "print('%.1f' % (($t2 - $t1) / 1e6))") s" \
    "(files made in $(python3 -c "print('%.1f' % (($t1 - $t0) / 1e6))") s)"

# --- UDP, 8000-byte datagrams: v4 alpha -> beta, v6 beta -> alpha
# udp_run SRV_NS CLI_NS ADDR: sets UDP to "bytes lost_percent packets"
# as the server (the receiver) counted them, from its own JSON.
udp_run() {
	local sns=$1 cns=$2 addr=$3 spid
	bg "$sns" "$TMP/udp-s.json" iperf3 -s -1 -J -B "$addr" -p "$UDP_PORT"
	spid=$BG
	wait_until 10 listening "$sns" tcp "$UDP_PORT" ||
	    fail "iperf3 server on $addr does not listen"
	ip netns exec "$cns" timeout -k 5 30 iperf3 -u -b 500M -l 8000 -t 3 \
	    -w 2M -c "$addr" -p "$UDP_PORT" </dev/null >"$TMP/udp-c.log" 2>&1 ||
	    fail "iperf3 -u to $addr failed: $(tail -n 3 "$TMP/udp-c.log")"
	reap "$spid" 10 || fail "iperf3 server on $addr did not finish"
	UDP=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
if "error" in j:
    print("error:", j["error"])
    sys.exit(0)
e = j["end"]
s = e.get("sum_received", e["sum"])
print(int(s["bytes"]), "%.2f" % s["lost_percent"], int(s["packets"]))
' "$TMP/udp-s.json" 2>&1)
}

# A datagram lost on a busy host is not a broken tunnel: the receiver's
# socket gets 2 MiB of buffer (-w, ~30 ms at 500 Mbit/s), and a direction
# whose loss is over the limit is measured once more.
for dir in "v4 $NS_B $NS_A $OV_B alpha->beta" \
    "v6 $NS_A $NS_B $OV6_A beta->alpha"; do
	set -- $dir
	for try in 1 2; do
		udp_run "$2" "$3" "$4"
		read -r bytes loss pkts <<<"$UDP"
		case $bytes in
		''|*[!0-9]*) fail "UDP $1 $5: iperf3 failed: $UDP" ;;
		esac
		[ "$bytes" -gt 0 ] || fail "UDP $1 $5: nothing arrived"
		info "UDP $1 $5, 8000-byte datagrams at 500 Mbit/s:" \
		    "$bytes bytes received, $loss % of $pkts datagrams lost"
		python3 -c "import sys; sys.exit(not $loss < $LOSS_MAX)" &&
		    break
		[ "$try" = 2 ] &&
		    fail "UDP $1 $5: $loss % lost twice (limit $LOSS_MAX %)"
		info "UDP $1 $5: over $LOSS_MAX % lost; measuring once more"
	done
done

# --- the same sessions throughout, and the counters saw it all
daemons_alive alpha beta || fail "a daemon died"
# Forwarders report their counters every second: wait for the report.
wait_until 5 grew alpha beta "$ca" ||
    fail "alpha: rx+tx grew by $GROWTH bytes, expected >= $MIN_GROWTH"
ga=$GROWTH
wait_until 5 grew beta alpha "$cb" ||
    fail "beta: rx+tx grew by $GROWTH bytes, expected >= $MIN_GROWTH"
gb=$GROWTH
read -r fa2 ra2 _ < <(snap alpha beta) || fail "alpha: no peer beta"
read -r fb2 rb2 _ < <(snap beta alpha) || fail "beta: no peer alpha"
[ "$fa2" = "$fa" ] || fail "alpha's forwarder changed ($fa -> $fa2)"
[ "$fb2" = "$fb" ] || fail "beta's forwarder changed ($fb -> $fb2)"
[ "$ra2" = "$ra" ] && [ "$rb2" = "$rb" ] ||
    fail "a session reconnected (alpha $ra -> $ra2, beta $rb -> $rb2)"
peer_up alpha beta && peer_up beta alpha || fail "a session is not up"
pings "$NS_A" "$OV_B" "$OV6_B"
pings "$NS_B" "$OV_A" "$OV6_A"
info "rx+tx growth: alpha $ga, beta $gb bytes; forwarders $fa/$fb kept"
pass
