# SPDX-License-Identifier: ISC
#
# A star: one gateway ipcpd with N listed clients, each client its own
# ipcpd in its own namespace, for t_scale.sh and bench/scale.sh.  Sourced
# after lib.sh.
#
#                 ${PFX}gw: ipcpd gw, listens 0.0.0.0:5000, 10.77.0.1
#   br0 10.100.0.1/16        br1 10.101.0.1/16        ...
#    │ s1 ... s500            │ s501 ... s1000         (veths)
#   eth0 in ${PFX}c1 ...     eth0 in ${PFX}c501 ...
#   ipcpd c<i>: 10.78.x.y, dials its bridge's 10.1xx.0.1:5000
#
# A bridge takes at most 1024 ports, so there is one per STAR_PER_BRIDGE
# clients.  The gateway's [peer c<i>] has interface ipcp-c<i> (the
# default) and allowed-ips the client's /32.  Everything is made in a few
# `ip -batch' runs and one python run, and torn down the same way
# (star_teardown, from the EXIT trap): a thousand namespaces one `ip' at
# a time take minutes.

STAR_PER_BRIDGE=${STAR_PER_BRIDGE:-500}
STAR_N=0
STAR_GW_NS=${PFX}gw
# Client pids, by index; the gateway's is DPID[gw].
STAR_PIDS=()
# Settings for every node's [node], e.g. "heartbeat-interval = 1".
STAR_NODE_EXTRA=${STAR_NODE_EXTRA:-}

# Client I's namespace into VAR, without a subshell: a fork of this
# shell, big with a thousand clients' state, costs more than launching
# the client did (bash was a third of the CPU while 60 were launched).
star_ns_v() { printf -v "$1" '%sc%d' "$PFX" "$2"; }
star_ns() { local ns; star_ns_v ns "$1"; echo "$ns"; }
star_gw() { ip netns exec "$STAR_GW_NS" "$@"; }

# Each client's eth0 and each bridge have a fixed MAC, and every
# neighbour entry across the bridges is made permanent up front.  With
# ARP, each resolution is a broadcast that a bridge floods to its 500
# ports: while 1000 clients were launched, the kernel's per-CPU backlog
# (1000 packets, shared by all namespaces) dropped 1.26 million packets,
# and the last client was up 18 s after the last launch.  With this,
# none were dropped and it was 1.7 s.  That measured this machine's
# bridge, not ipcp: clients on the internet share no broadcast domain.
# For the same reason the bridge ports and eth0 get no IPv6 link-local
# address (their solicitations and reports are floods too).  Permanent
# entries are not the neighbour cache's to collect, so its thresholds
# need no raising however many clients there are.

# star_mac VAR KIND I and star_ip VAR I set VAR (no subshell: they run
# thousands of times).
star_mac() {
	printf -v "$1" '02:%02x:00:%02x:%02x:%02x' "$2" $(($3 >> 16)) \
	    $((($3 >> 8) & 255)) $(($3 & 255))
}
star_ip() {
	local j=$(( ($2 - 1) % STAR_PER_BRIDGE ))
	printf -v "$1" '10.%d.%d.%d' $((100 + ($2 - 1) / STAR_PER_BRIDGE)) \
	    $((j / 250)) $((j % 250 + 2))
}

star_build() {
	local n=$1 i k ip mac ns
	need_root
	STAR_N=$n
	MY_NS+=("$STAR_GW_NS")
	ip netns add "$STAR_GW_NS" || fail "ip netns add $STAR_GW_NS"
	for i in $(seq 1 "$n"); do
		star_ns_v ns "$i"
		MY_NS+=("$ns")
	done
	printf 'netns add %s\n' "${MY_NS[@]: -$n}" | ip -batch - ||
	    fail "cannot make $n namespaces"
	{
		echo "link set lo up"
		for k in $(seq 0 $(( (n - 1) / STAR_PER_BRIDGE ))); do
			star_mac mac 254 "$k"
			echo "link add br$k address $mac type bridge"
			echo "addr add 10.$((100 + k)).0.1/16 dev br$k"
			echo "link set br$k up"
		done
	} | ip -n "$STAR_GW_NS" -batch - || fail "cannot make the bridges"
	for i in $(seq 1 "$n"); do
		star_mac mac 1 "$i"
		star_ns_v ns "$i"
		echo "link add s$i netns $STAR_GW_NS type veth peer name" \
		    "eth0 address $mac netns $ns"
	done | ip -batch - || fail "cannot make $n veths"
	for i in $(seq 1 "$n"); do
		star_mac mac 1 "$i"
		star_ip ip "$i"
		k=$(( (i - 1) / STAR_PER_BRIDGE ))
		echo "link set s$i addrgenmode none"
		echo "link set s$i master br$k up"
		echo "neigh replace $ip lladdr $mac dev br$k nud permanent"
	done | ip -n "$STAR_GW_NS" -batch - || fail "cannot bridge the veths"
	# One `ip -n' per client (a batch cannot switch namespaces), a few
	# at a time.
	for i in $(seq 1 "$n"); do
		k=$(( (i - 1) / STAR_PER_BRIDGE ))
		star_mac mac 254 "$k"
		star_ip ip "$i"
		printf '%s\n' "link set lo up" "addr add $ip/16 dev eth0" \
		    "link set eth0 addrgenmode none" "link set eth0 up" \
		    "neigh replace 10.$((100 + k)).0.1 lladdr $mac dev eth0 nud permanent" \
		    >"$TMP/addr.$i"
	done
	seq 1 "$n" | xargs -P 4 -I{} ip -n "${PFX}c{}" -batch "$TMP/addr.{}" ||
	    fail "cannot address the clients"
	star_keys gw $(seq -f 'c%.0f' 1 "$n")
	star_confs
}

# star_keys NAME...: $TMP/NAME.key and .pub as make_keys writes them, in
# one python run on libsodium (two ipcpctl runs per key are half a
# minute at N = 1000).  Clamped as `ipcpctl genkey' does.
star_keys() {
	python3 - "$TMP" "$@" <<'PY' || fail "cannot make the keys"
import base64, ctypes, ctypes.util, os, sys
na = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
assert na.sodium_init() >= 0
tmp = sys.argv[1]
os.umask(0o077)
for name in sys.argv[2:]:
    k = bytearray(os.urandom(32))
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    pub = ctypes.create_string_buffer(32)
    assert na.crypto_scalarmult_curve25519_base(
        pub, ctypes.c_char_p(bytes(k))) == 0
    with open("%s/%s.key" % (tmp, name), "w") as f:
        f.write(base64.b64encode(bytes(k)).decode() + "\n")
    with open("%s/%s.pub" % (tmp, name), "w") as f:
        f.write(base64.b64encode(pub.raw).decode() + "\n")
PY
}

# Every config, from the keys made.
star_confs() {
	python3 - "$TMP" "$STAR_N" "$STAR_PER_BRIDGE" "$FWD_USER" \
	    "$PORT" "$STAR_NODE_EXTRA" <<'PY'
import sys
tmp, n, per, user, port, extra = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
def pub(name):
    return open("%s/%s.pub" % (tmp, name)).read().strip()
def ov(i):
    return "10.78.%d.%d" % (i // 250, i % 250 + 1)
def node(name, addr, listen):
    s = "[node]\nname = %s\nprivate-key = %s/%s.key\n" % (name, tmp, name)
    if listen:
        s += "listen = 0.0.0.0:%s\n" % port
    s += "address = %s/32\nuser = %s\ncontrol = %s/%s.sock\n" % (
        addr, user, tmp, name)
    return s + (extra + "\n" if extra else "")
gw = [node("gw", "10.77.0.1", True)]
gwpub = pub("gw")
for i in range(1, n + 1):
    gw.append("[peer c%d]\npublic-key = %s\nallowed-ips = %s/32\n" %
              (i, pub("c%d" % i), ov(i)))
    with open("%s/c%d.conf" % (tmp, i), "w") as f:
        f.write(node("c%d" % i, ov(i), False))
        f.write("[peer gw]\npublic-key = %s\nendpoint = 10.%d.0.1:%s\n"
                "allowed-ips = 10.77.0.1/32\n" % (
                    gwpub, 100 + (i - 1) // per, port))
with open("%s/gw.conf" % tmp, "w") as f:
    f.write("\n".join(gw))
PY
	[ $? = 0 ] || fail "cannot write the configs"
}

# star_start_gw: the gateway, -v off (a thousand peers log a lot), with
# the descriptors it needs; returns once its control socket is there.
star_start_gw() {
	local pid
	rm -f "$(sock gw)"
	ip netns exec "$STAR_GW_NS" "$IPCPD" -d -c "$TMP/gw.conf" \
	    </dev/null >>"$TMP/gw.log" 2>&1 &
	pid=$!
	DPID[gw]=$pid
	MY_PIDS+=("$pid")
	wait_until 30 test -S "$(sock gw)" ||
	    fail "gw: no control socket after 30 s (ipcpd exited?)"
}

# All clients at once; their control sockets are not waited for.  Each
# only enters its network namespace (nsenter --net): `ip netns exec' also
# makes each a mount namespace with a sysfs of its own, which ipcpd has
# no use for (it reads no /sys), and a thousand mount namespaces that
# every later mount under /run/netns propagates to.
star_start_clients() {
	local i pid ns
	for i in $(seq 1 "$STAR_N"); do
		star_ns_v ns "$i"
		nsenter --net="/run/netns/$ns" "$IPCPD" -d \
		    -c "$TMP/c$i.conf" </dev/null >>"$TMP/c$i.log" 2>&1 &
		pid=$!
		STAR_PIDS[i]=$pid
	done
}

# star_peers: `ipcpctl -j peers' of the gateway to $TMP/peers.json.
star_peers() { ctl gw -j peers >"$TMP/peers.json" 2>/dev/null; }

# star_count STATE: how many of the gateway's peers are in STATE (from
# $TMP/peers.json), and the number listed: "count listed".
star_count() {
	python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))["peers"]
print(sum(1 for x in p if x["state"] == sys.argv[2]), len(p))' \
	    "$TMP/peers.json" "$1" 2>/dev/null || echo "0 0"
}

# star_up WANT: at least WANT of the gateway's peers are up.
star_up() {
	local up listed
	star_peers || return 1
	read -r up listed < <(star_count up)
	STAR_LAST_UP=$up
	[ "$up" -ge "$1" ]
}
STAR_LAST_UP=0

# The gateway's forwarder pids, from $TMP/peers.json (one per line).
star_fwd_pids() {
	python3 -c '
import json, sys
for x in json.load(open(sys.argv[1]))["peers"]:
    if x.get("fwd_pid"):
        print(x["fwd_pid"])' "$TMP/peers.json" | tee -a "$TMP/fwd_seen"
}

# star_memory: "avg min max count ipcpd" KiB of private memory over the
# gateway's forwarders (from $TMP/peers.json), and its ipcpd's own.
star_memory() {
	python3 - "$TMP/peers.json" "${DPID[gw]}" <<'PY'
import json, sys
def private(pid):
    kb = 0
    with open("/proc/%s/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                kb += int(line.split()[1])
    return kb
m = []
for p in json.load(open(sys.argv[1]))["peers"]:
    if p.get("fwd_pid"):
        try:
            m.append(private(p["fwd_pid"]))
        except OSError:
            pass
print("%d %d %d %d %d" % (sum(m) / len(m), min(m), max(m), len(m),
                          private(sys.argv[2])))
PY
}

# Forwarders, TUNs of ipcp and the control socket the gateway leaves
# behind; empty when it left nothing.
star_leftovers() {
	local pid tuns=0 fwds=0
	tuns=$(star_gw ip -o link show | awk -F': ' '$2 ~ /^ipcp-/' | wc -l)
	while read -r pid; do
		proc_is "$pid" ipcp-fwd && fwds=$((fwds + 1))
	done <"$TMP/gw_fwds"
	[ "$tuns" = 0 ] || echo "$tuns TUN device(s) left in $STAR_GW_NS"
	[ "$fwds" = 0 ] || echo "$fwds forwarder(s) still running"
	[ ! -e "$(sock gw)" ] || echo "control socket $(sock gw) left"
}

# proc_gone without a fork: star_kill_all asks it of a thousand pids.
star_gone() {
	local st
	read -r st 2>/dev/null <"/proc/$1/stat" || return 0
	st=${st##*) }
	st=${st%% *}
	[ "$st" = Z ] || [ "$st" = X ]
}

# Every pid of ours in the list goes: SIGTERM to all, a bounded wait,
# SIGKILL to the rest.  Not one `wait_until' per process: that takes a
# tenth of a second each.
star_kill_all() {
	local secs=$1 pid left end
	shift
	kill -TERM "$@" 2>/dev/null
	end=$(( $(now_us) + secs * 1000000 ))
	while :; do
		left=()
		for pid in "$@"; do
			star_gone "$pid" || left+=("$pid")
		done
		[ ${#left[@]} = 0 ] && break
		[ "$(now_us)" -ge "$end" ] && { kill -KILL "${left[@]}" \
		    2>/dev/null; break; }
		sleep 0.2
		set -- "${left[@]}"
	done
}

# star_signal_clients SIG: SIG to every client ipcpd and its forwarders
# (their children), found in one pass over /proc.  STOP and CONT freeze
# the clients while the gateway alone is measured: on a real gateway
# they run elsewhere, not on its CPUs.
star_signal_clients() {
	local pids=("${STAR_PIDS[@]}")
	[ ${#pids[@]} = 0 ] && return 0
	python3 - "$1" "${pids[@]}" <<'PY'
import os, signal, sys
sig = getattr(signal, "SIG" + sys.argv[1])
roots = set(int(p) for p in sys.argv[2:])
kids = []
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        s = open("/proc/%s/stat" % d).read()
    except OSError:
        continue
    if int(s[s.rindex(")") + 2:].split()[1]) in roots:
        kids.append(int(d))
for p in list(roots) + kids:
    try:
        os.kill(p, sig)
    except OSError:
        pass
PY
}

star_stop_clients() {
	local pids=("${STAR_PIDS[@]}") i
	[ ${#pids[@]} = 0 ] && return 0
	star_kill_all 20 "${pids[@]}"
	for i in "${pids[@]}"; do
		{ wait "$i"; } 2>/dev/null
	done
	STAR_PIDS=()
}

# Clients, their namespaces and whatever still runs in them, in bulk;
# lib.sh's cleanup does the rest (the gateway and its namespace).
star_teardown() {
	local i nss=() keep=() ns
	set +e
	star_stop_clients
	for i in $(seq 1 "$STAR_N"); do
		star_ns_v ns "$i"
		nss+=("$ns")
	done
	[ ${#nss[@]} = 0 ] && return 0
	printf 'netns pids %s\n' "${nss[@]}" | ip -force -batch - \
	    2>/dev/null | xargs -r kill -KILL 2>/dev/null
	printf 'netns del %s\n' "${nss[@]}" | ip -force -batch - 2>/dev/null
	for ns in "${MY_NS[@]}"; do
		case $ns in "${PFX}"c[0-9]*) ;; *) keep+=("$ns") ;; esac
	done
	MY_NS=("${keep[@]}")
	STAR_N=0
}
trap 'rc=$?; star_teardown; (exit $rc); cleanup' EXIT

# The gateway and its namespace too, for a next star (bench/scale.sh).
star_destroy() {
	local pid=${DPID[gw]:-} keep=() ns
	star_teardown
	if [ -n "$pid" ] && ! star_gone "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait_until 10 star_gone "$pid"
	fi
	[ -n "$pid" ] && { { wait "$pid"; } 2>/dev/null; forget_pid "$pid"; }
	ip netns pids "$STAR_GW_NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns del "$STAR_GW_NS" 2>/dev/null
	for ns in "${MY_NS[@]}"; do
		[ "$ns" = "$STAR_GW_NS" ] || keep+=("$ns")
	done
	MY_NS=("${keep[@]}")
	unset 'DPID[gw]'
}
