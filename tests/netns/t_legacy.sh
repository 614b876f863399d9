#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# The legacy wire (ipcpd --legacy IFNAME IP PORT SERVERFLAG SECRETFILE)
# against an independent reference of the original ipcp's protocol
# (legacy_ref.py, PyNaCl), in both roles:
#
#   1. ipcpd server in a, reference client in b (it redials when dropped)
#   2. reference server in a, ipcpd client in b (ipcpd redials)
#   3. a config file: one listener in a carries an ipcp peer (ipcpd in b)
#      and a [peer] with wire = legacy (the reference in b); a reference
#      with the wrong secret is turned away by ipcpd, not by a forwarder
#
# Each way: ping both ways, a heartbeat answered, ipcpctl and the log say
# the session is insecure (and, as client, ipcpctl restart keeps it); then the reference sends a corrupted frame, a
# frame of bad length and one of unknown type, one at a time: each must
# end the session (with the reason in ipcpd's log) while ipcpd runs on,
# and a new session must carry pings again.
. "$(dirname "$0")/lib.sh"

IF_A=${PFX}A
IF_B=${PFX}B
[ ${#IF_A} -le 15 ] || fail "interface name $IF_A too long"
REF=$ROOT/tests/netns/legacy_ref.py
python3 -c 'import nacl.secret' 2>/dev/null ||
    fail "python3-nacl missing (contrib/install-deps.sh)"

setup_topology
head -c 32 /dev/urandom >"$TMP/secret.key"
chmod 600 "$TMP/secret.key"

start_bg() {
	local node=$1 ns=$2 pid
	shift 2
	ip netns exec "$ns" "$@" </dev/null >>"$TMP/$node.log" 2>&1 &
	pid=$!
	DPID[$node]=$pid
	MY_PIDS+=("$pid")
}

iface_up() {
	ip netns exec "$1" ip link show "$2" >/dev/null 2>&1 || return 1
	ip netns exec "$1" ip addr add "$3" dev "$2" 2>/dev/null
	ip netns exec "$1" ip link set "$2" up
}

# ref_field NAME: a counter of the reference's status file.
ref_field() {
	python3 -c '
import json, sys
print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' \
	    "$TMP/ref.status" "$1" 2>/dev/null
}
ref_at_least() { local v; v=$(ref_field "$1") && [ "${v:-0}" -ge "$2" ]; }

# legacy_peer SOCK FIELD: a field of ipcpd's one peer, from ipcpctl -j.
legacy_peer() {
	"$IPCPCTL" -s "$1" -j peers 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin)["peers"][0].get(sys.argv[1])
print("" if v is None else json.dumps(v) if isinstance(v, bool) else v)' \
	    "$2"
}
session_other_than() {
	local p
	p=$(legacy_peer "$1" fwd_pid) || return 1
	case $p in ''|0|"$2") return 1 ;; esac
	echo "$p" >>"$TMP/fwd_seen"
}

# check_insecure_said LABEL SOCK LOG
check_insecure_said() {
	local label=$1 s=$2 log=$3
	[ "$(legacy_peer "$s" wire)" = legacy ] ||
	    fail "$label: ipcpctl -j peers: wire is not legacy"
	[ "$(legacy_peer "$s" replay_protection)" = false ] ||
	    fail "$label: ipcpctl -j peers: replay_protection not false"
	[ "$(legacy_peer "$s" forward_secrecy)" = false ] ||
	    fail "$label: ipcpctl -j peers: forward_secrecy not false"
	"$IPCPCTL" -s "$s" peers | match 'NO replay protection, NO forward' ||
	    fail "$label: ipcpctl peers does not say it is insecure"
	match 'no replay protection and no forward secrecy' "$log" ||
	    fail "$label: the log does not say it is insecure"
}

# faults LABEL SOCK DAEMON PING_NS PING_ADDR: each bad frame ends the
# session, ipcpd stays, a new session carries pings.
faults() {
	local label=$1 s=$2 daemon=$3 pns=$4 paddr=$5 f old reason
	local -A why=([corrupt]='failed authentication'
	    [badlen]='length 5000 out of bounds'
	    [badtype]='unknown message type 9')
	for f in corrupt badlen badtype; do
		old=$(legacy_peer "$s" fwd_pid)
		case $old in ''|0) fail "$label: no forwarder before $f" ;; esac
		echo "$old" >>"$TMP/fwd_seen"
		echo "$f" >"$TMP/ref.cmd"
		reason=${why[$f]}
		wait_until 10 match "fwd\[compat\].*$reason\|exited.*$reason" \
		    "$TMP/$daemon.log" ||
		    fail "$label: $f: no '$reason' in ipcpd's log"
		wait_until 10 proc_gone "$old" ||
		    fail "$label: $f: forwarder $old still runs"
		proc_alive "${DPID[$daemon]}" ||
		    fail "$label: $f: ipcpd died"
		# Traffic makes the new session (the reference's first frame).
		wait_until 20 ping_ok "$pns" "$paddr" 1 ||
		    fail "$label: $f: no ping through a new session in 20 s"
		wait_until 5 session_other_than "$s" "$old" ||
		    fail "$label: $f: no new forwarder"
		info "$label: $f dropped the session ($reason); reconnected"
	done
}

# ---- 1: ipcpd server, reference client -------------------------------------
L1="ipcpd server / reference client"
SOCK_A=/run/ipcp/ipcpd-$IF_A.sock
start_bg server "$NS_A" "$IPCPD" --legacy "$IF_A" 0.0.0.0 "$PORT" 1 \
    "$TMP/secret.key"
wait_until 10 test -S "$SOCK_A" || fail "$L1: no control socket"
start_bg ref "$NS_B" "$PYTHON" "$REF" --reconnect --cmd "$TMP/ref.cmd" \
    --status "$TMP/ref.status" "$IF_B" "$IP_A" "$PORT" 0 "$TMP/secret.key"
wait_until 10 iface_up "$NS_A" "$IF_A" 10.99.0.1/30 || fail "$L1: no $IF_A"
wait_until 10 iface_up "$NS_B" "$IF_B" 10.99.0.2/30 || fail "$L1: no $IF_B"
wait_until 20 ping_ok "$NS_B" 10.99.0.1 1 ||
    fail "$L1: no ping reference -> ipcpd in 20 s"
ping_ok "$NS_A" 10.99.0.2 || fail "$L1: ping ipcpd -> reference failed"
ip netns exec "$NS_A" ping -q -c 2 -s 1400 -W 2 10.99.0.2 >/dev/null ||
    fail "$L1: 1400-byte ping failed"
check_insecure_said "$L1" "$SOCK_A" "$TMP/server.log"
# A legacy forwarder is confined like any other (t_sandbox.sh).
pid=$(legacy_peer "$SOCK_A" fwd_pid)
echo "$pid" >>"$TMP/fwd_seen"
grep -q '^Seccomp:[[:space:]]*2$' "/proc/$pid/status" ||
    fail "$L1: legacy forwarder $pid has no seccomp filter"
awk '/^Uid:/ { exit ($2 == 0 || $3 == 0) }' "/proc/$pid/status" ||
    fail "$L1: legacy forwarder $pid runs as root"
[ "$(readlink "/proc/$pid/root")" = /run/ipcp/empty ] ||
    fail "$L1: legacy forwarder $pid is not in /run/ipcp/empty"
# Quiet for 5 s, the reference asks; ipcpd must answer.
wait_until 15 ref_at_least hb_ack_rx 1 ||
    fail "$L1: no heartbeat ack from ipcpd in 15 s"
info "$L1: pings, heartbeat answered, insecure said"
faults "$L1" "$SOCK_A" server "$NS_B" 10.99.0.1
stop_pid "${DPID[ref]}"
stop_daemon server || fail "$L1: ipcpd did not stop on SIGTERM"
[ "$STOP_RC" = 0 ] || fail "$L1: ipcpd exited $STOP_RC"
ip netns exec "$NS_B" ip link del "$IF_B" 2>/dev/null
rm -f "$TMP/ref.status" "$TMP/ref.cmd"

# ---- 2: reference server, ipcpd client -------------------------------------
L2="reference server / ipcpd client"
SOCK_B=/run/ipcp/ipcpd-$IF_B.sock
start_bg ref "$NS_A" "$PYTHON" "$REF" --cmd "$TMP/ref.cmd" \
    --status "$TMP/ref.status" "$IF_A" 0.0.0.0 "$PORT" 1 "$TMP/secret.key"
wait_until 10 iface_up "$NS_A" "$IF_A" 10.99.0.1/30 || fail "$L2: no $IF_A"
start_bg client "$NS_B" "$IPCPD" --legacy "$IF_B" "$IP_A" "$PORT" 0 \
    "$TMP/secret.key"
wait_until 10 test -S "$SOCK_B" || fail "$L2: no control socket"
wait_until 10 iface_up "$NS_B" "$IF_B" 10.99.0.2/30 || fail "$L2: no $IF_B"
wait_until 20 ping_ok "$NS_B" 10.99.0.1 1 ||
    fail "$L2: no ping ipcpd -> reference in 20 s"
ping_ok "$NS_A" 10.99.0.2 || fail "$L2: ping reference -> ipcpd failed"
check_insecure_said "$L2" "$SOCK_B" "$TMP/client.log"
# ipcpd is the client now: it asks after 5 s of quiet.
wait_until 15 ref_at_least hb_req_rx 1 ||
    fail "$L2: no heartbeat request from ipcpd in 15 s"
info "$L2: pings, heartbeat asked, insecure said"
# ipcpctl restart on the original's command line keeps the legacy
# session: the same forwarder, pings through.
pid=$(legacy_peer "$SOCK_B" fwd_pid)
"$IPCPCTL" -s "$SOCK_B" restart >/dev/null || fail "$L2: restart failed"
[ "$(legacy_peer "$SOCK_B" fwd_pid)" = "$pid" ] ||
    fail "$L2: the restart replaced the forwarder"
ping_ok "$NS_B" 10.99.0.1 || fail "$L2: no ping after the restart"
faults "$L2" "$SOCK_B" client "$NS_A" 10.99.0.2
stop_daemon client || fail "$L2: ipcpd did not stop on SIGTERM"
[ "$STOP_RC" = 0 ] || fail "$L2: ipcpd exited $STOP_RC"
stop_pid "${DPID[ref]}"
ip netns exec "$NS_A" ip link del "$IF_A" 2>/dev/null
rm -f "$TMP/ref.status" "$TMP/ref.cmd"

# ---- 3: one listener, both wires (config file) -----------------------------
L3="config file, both wires on one listener"
IF_L=${PFX}L
make_keys alpha beta
base64 <"$TMP/secret.key" >"$TMP/legacy.psk"
head -c 32 /dev/urandom >"$TMP/wrong.key"
chmod 600 "$TMP/legacy.psk" "$TMP/wrong.key"
write_configs
cat >>"$TMP/alpha.conf" <<EOF

[peer old]
wire = legacy
psk = $TMP/legacy.psk
allowed-ips = 10.99.0.0/30
interface = $IF_L
EOF
start_daemons
wait_up
ping_all_ok
iface_up "$NS_A" "$IF_L" 10.99.0.1/30 || fail "$L3: no $IF_L"
# The wrong secret: its first frame opens for no legacy peer.
start_bg ref "$NS_B" "$PYTHON" "$REF" --status "$TMP/ref.status" \
    "$IF_B" "$IP_A" "$PORT" 0 "$TMP/wrong.key"
wait_until 10 iface_up "$NS_B" "$IF_B" 10.99.0.2/30 || fail "$L3: no $IF_B"
ip netns exec "$NS_B" ping -c 1 -W 1 10.99.0.1 >/dev/null 2>&1 &
MY_PIDS+=($!)
wait_until 10 match 'legacy frame for no legacy peer' "$TMP/alpha.log" ||
    fail "$L3: a frame under the wrong secret was not turned away"
[ "$(peer_field alpha old state)" = waiting ] ||
    fail "$L3: peer old is $(peer_field alpha old state), not waiting"
stop_pid "${DPID[ref]}"
start_bg ref "$NS_B" "$PYTHON" "$REF" --status "$TMP/ref.status" \
    "$IF_B" "$IP_A" "$PORT" 0 "$TMP/secret.key"
# Its TUN went with the first reference: this one is new.
wait_until 10 iface_up "$NS_B" "$IF_B" 10.99.0.2/30 || fail "$L3: no $IF_B"
wait_until 20 ping_ok "$NS_B" 10.99.0.1 1 ||
    fail "$L3: no ping through the legacy peer in 20 s"
peer_up alpha old || fail "$L3: peer old not up"
[ "$(peer_field alpha old wire)" = legacy ] || fail "$L3: old: wire"
[ "$(peer_field alpha beta wire)" = ipcp ] || fail "$L3: beta: wire"
ping_all_ok
daemons_alive alpha beta || fail "$L3: a daemon died"
info "$L3: ipcp and legacy sessions side by side, wrong secret refused"
pass
