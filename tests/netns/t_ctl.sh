#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# ipcpctl and ipcpd -n from a user's side: errors are one line on stderr
# with a non-zero exit, status and peers print text and parseable JSON,
# keys round-trip, and a broken config names file:line.
. "$(dirname "$0")/lib.sh"

# run_cmd NAME CMD...: run with stdout/stderr in $TMP/NAME.{out,err};
# sets RC.
run_cmd() {
	local name=$1
	shift
	if declare -F "$1" >/dev/null; then
		"$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err"
	else
		timeout 10 "$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err"
	fi
	RC=$?
}

one_line_err() {
	[ -s "$TMP/$1.err" ] && [ "$(wc -l <"$TMP/$1.err")" = 1 ]
}

setup_topology
make_keys alpha beta

# Keys: 32 bytes in base64; pubkey is deterministic; junk is refused.
for f in alpha.key alpha.pub; do
	[ "$(base64 -d <"$TMP/$f" 2>/dev/null | wc -c)" = 32 ] ||
	    fail "$f is not 32 bytes of base64: $(cat "$TMP/$f")"
done
[ "$("$IPCPCTL" pubkey <"$TMP/alpha.key")" = "$(pubkey alpha)" ] ||
    fail "pubkey is not deterministic"
[ "$(pubkey alpha)" != "$(pubkey beta)" ] || fail "two keys are the same"
(umask 077; run_cmd genpsk "$IPCPCTL" genpsk; exit "$RC")
RC=$?
[ "$RC" = 0 ] && [ "$(base64 -d <"$TMP/genpsk.out" | wc -c)" = 32 ] ||
    fail "genpsk: exit $RC, $(cat "$TMP/genpsk.out")"
echo "not a key" >"$TMP/junk.key"
run_cmd badpub sh -c "'$IPCPCTL' pubkey <'$TMP/junk.key'"
[ "$RC" != 0 ] || fail "pubkey accepted junk"

# No daemon behind the socket.
run_cmd nodaemon "$IPCPCTL" -s "$TMP/nothing.sock" status
[ "$RC" != 0 ] || fail "status without a daemon exited 0"
one_line_err nodaemon || fail "status without a daemon: stderr is not" \
    "one line: $(cat "$TMP/nodaemon.err")"
[ ! -s "$TMP/nodaemon.out" ] || fail "status without a daemon printed" \
    "on stdout"
info "no daemon: exit $RC: $(cat "$TMP/nodaemon.err")"

# ipcpd -n: a good config passes, a broken one names file:line.
write_configs
run_cmd checkgood "$IPCPD" -n -c "$TMP/alpha.conf"
[ "$RC" = 0 ] || fail "ipcpd -n on a good config: exit $RC:" \
    "$(cat "$TMP/checkgood.err")"
grep -q "$(pubkey beta)" "$TMP/checkgood.out" ||
    fail "ipcpd -n does not print the config"
grep -q "$(cat "$TMP/alpha.key")" "$TMP/checkgood.out" &&
    fail "ipcpd -n prints the private key"
sed 's|^address = .*|address = 10.77.0.300/32|' "$TMP/alpha.conf" \
    >"$TMP/broken.conf"
line=$(grep -n '^address' "$TMP/broken.conf" | cut -d: -f1)
run_cmd checkbad "$IPCPD" -n -c "$TMP/broken.conf"
[ "$RC" = 1 ] || fail "ipcpd -n on a broken config: exit $RC, not 1"
grep -q "$TMP/broken.conf:$line" "$TMP/checkbad.err" ||
    fail "ipcpd -n does not name broken.conf:$line:" \
    "$(cat "$TMP/checkbad.err")"
info "broken config: $(head -n 1 "$TMP/checkbad.err")"
run_cmd checkmissing "$IPCPD" -n -c "$TMP/missing.conf"
[ "$RC" != 0 ] || fail "ipcpd -n on a missing file exited 0"

# With a daemon.
start_daemons
wait_up 20

run_cmd unknown ctl alpha frobnicate
[ "$RC" != 0 ] || fail "unknown command exited 0"
[ -s "$TMP/unknown.err" ] || fail "unknown command: nothing on stderr"
run_cmd extra ctl alpha status extra
[ "$RC" != 0 ] || fail "status with an extra argument exited 0"

run_cmd status ctl alpha status
[ "$RC" = 0 ] || fail "status: exit $RC: $(cat "$TMP/status.err")"
grep -q alpha "$TMP/status.out" || fail "status does not name the node"
grep -q "$(pubkey alpha)" "$TMP/status.out" ||
    fail "status does not show the public key"
run_cmd peers ctl alpha peers
[ "$RC" = 0 ] || fail "peers: exit $RC: $(cat "$TMP/peers.err")"
grep -q beta "$TMP/peers.out" || fail "peers does not list beta"

run_cmd jstatus ctl alpha -j status
[ "$RC" = 0 ] || fail "-j status: exit $RC"
python3 - "$TMP/jstatus.out" "$(pubkey alpha)" "${DPID[alpha]}" \
    "$IP_A:$PORT" <<'PY' || fail "-j status: $(cat "$TMP/jstatus.out")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["node"] == "alpha", s["node"]
assert s["public_key"] == sys.argv[2], s["public_key"]
assert s["pid"] == int(sys.argv[3]), s["pid"]
assert s["peers_configured"] == 1 and s["peers_up"] == 1, s
assert sys.argv[4] in json.dumps(s["listeners"]), s["listeners"]
assert isinstance(s["uptime_s"], (int, float)) and s["uptime_s"] >= 0
PY

run_cmd jpeers ctl beta -j peers
[ "$RC" = 0 ] || fail "-j peers: exit $RC"
python3 - "$TMP/jpeers.out" "$(pubkey alpha)" "$IP_A:$PORT" \
    <<'PY' || fail "-j peers: $(cat "$TMP/jpeers.out")"
import json, sys
peers = json.load(open(sys.argv[1]))["peers"]
assert len(peers) == 1, peers
p = peers[0]
for k in ("name", "public_key", "endpoint", "state", "session_uptime_s",
          "rx_bytes", "tx_bytes", "rx_packets", "tx_packets", "rtt_ms",
          "fwd_pid", "reconnects", "interface", "cipher", "remote"):
    assert k in p, "missing " + k
assert p["name"] == "alpha" and p["state"] == "up", p
assert p["public_key"] == sys.argv[2], p
assert p["interface"] == "ipcp-alpha", p
assert sys.argv[3] in str(p["endpoint"]) + str(p["remote"]), p
assert p["fwd_pid"] > 0, p
PY

daemons_alive alpha beta || fail "a daemon died"
pass
