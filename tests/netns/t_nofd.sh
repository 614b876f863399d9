#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# A gateway out of file descriptors: alpha's fd limit leaves room for
# fewer than a session needs (its TUNs take the rest).  beta's dials are
# refused before any handshake (none completes on either side, so none
# is thrown away), alpha says so once, not per retry, and nothing spins.
# A reload that removes peers frees their fds, and beta comes up.
. "$(dirname "$0")/lib.sh"

K=20
setup_topology
make_keys alpha beta
write_configs
cp "$TMP/alpha.conf" "$TMP/alpha-lean.conf"
python3 - "$K" >>"$TMP/alpha.conf" <<'PY'
import base64, os, sys
for i in range(int(sys.argv[1])):
    print("[peer f%d]" % i)
    print("public-key = " + base64.b64encode(os.urandom(32)).decode())
    print("allowed-ips = 10.78.0.%d/32" % (i + 1))
PY
links() { n1 ip -o link show | grep -c ': ipcp-'; }
nfds() { ls "/proc/$1/fd" | wc -l; }

# What alpha holds with all its TUNs and nothing going on.
start_daemon alpha "$NS_A"
wait_until 20 eval '[ "$(links)" = $((K + 1)) ]' || fail "alpha: $(links) TUNs"
base=$(nfds "${DPID[alpha]}")
stop_daemon alpha || fail "alpha did not stop"
wait_until 10 eval '[ "$(links)" = 0 ]' || fail "TUNs left"

# Room for a control client and a config read, not for a session (8).
lim=$((base + 4))
prlimit --nofile=$lim:$lim ip netns exec "$NS_A" "$IPCPD" -d -v \
    -c "$TMP/alpha.conf" </dev/null >>"$TMP/alpha.log" 2>&1 &
DPID[alpha]=$!
MY_PIDS+=("${DPID[alpha]}")
wait_until 10 test -S "$(sock alpha)" || fail "alpha: no control socket"
wait_until 20 eval '[ "$(links)" = $((K + 1)) ]' || fail "alpha: $(links) TUNs"
start_daemon beta "$NS_B"

refused() { [ "$(grep -c 'no room for another forwarder' \
    "$TMP/alpha.log")" -ge 1 ]; }
wait_until 10 refused || fail "alpha never ran out of room"
cpu0=$(cpu_ms "${DPID[alpha]}")
# beta's dials during the next seconds: 1 s, 2 s, 4 s of backoff.
wait_until 10 eval '[ "$(grep -c "dialing" "$TMP/beta.log")" -ge 3 ]' ||
    fail "beta did not redial"
cpu1=$(cpu_ms "${DPID[alpha]}")
n=$(grep -c 'no room for another forwarder' "$TMP/alpha.log")
[ "$n" -le 1 ] || fail "said $n times that it had no room"
match -q 'handshake with .* complete' "$TMP/alpha.log" &&
    fail "alpha completed a handshake it could not use"
match -q 'handshake with .* complete' "$TMP/beta.log" &&
    fail "beta completed a handshake alpha could not use"
[ $((cpu1 - cpu0)) -lt 500 ] || fail "alpha busy while out of fds:" \
    "$((cpu1 - cpu0)) ms of CPU"

# Fewer peers, fewer fds: room again.
cp "$TMP/alpha-lean.conf" "$TMP/alpha.conf"
kill -HUP "${DPID[alpha]}"
wait_until 10 eval '[ "$(links)" = 1 ]' || fail "alpha: $(links) TUNs"
wait_up 20
ping_ok "$NS_B" "$OV_A" || fail "no ping"
info "refused $(grep -c dialing "$TMP/beta.log") dials without a" \
    "handshake, then up after the reload"
pass
