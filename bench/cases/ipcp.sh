# SPDX-License-Identifier: ISC
#
# ipcp -- this project: ipcpd on both sides, $NS_B dialing $NS_A, one peer
# each.  The tunnel's processes are both supervisors and both forwarders
# (ipcpctl peers names the forwarder's PID); the memory figure is the idle
# forwarder's private memory, the number that grows with the peer count.
# Binaries come from $IPCP_BUILD, else $B (as make passes it), else build/
# at the top of the tree.

# Already there once ipcp is built (their -dev packages pull them in):
# listed so the report names the crypto libraries its numbers depend on.
CASE_PKGS[ipcp]="libgcrypt20 libsodium23"

# `make B=dir bench' exports B to us, so the binaries just built are used.
ipcp_bin()
{
	local d=${B:-build}
	[[ $d == /* ]] || d=$BN_TOP/$d
	echo "${IPCP_BUILD:-$d}/$1"
}

# ipcp_ctl SIDE ARGS... -- ipcpctl against that side's control socket.
ipcp_ctl()
{
	local side=$1
	shift
	timeout 10 "$(ipcp_bin ipcpctl)" -s "$CW/$side.sock" "$@"
}

# ipcp_fwd_pid SIDE -- the forwarder of the one peer, if its session is up.
ipcp_fwd_pid()
{
	ipcp_ctl "$1" -j peers 2>/dev/null |
	    jq -er '.peers[0] | select(.state == "up") | .fwd_pid' 2>/dev/null
}

ipcp_conf()
{
	local me=$1 peer=$2 listen=$3 addr=$4 peeraddr=$5 endpoint=$6
	cat <<-CONF
	[node]
	name = bn$me
	private-key = $CW/$me.key
	listen = $listen
	address = $addr/32
	user = nobody
	control = $CW/$me.sock
	offload = ${IPCP_OFFLOAD:-on}

	[peer bn$peer]
	public-key = $(cat "$CW/$peer.pub")
	allowed-ips = $peeraddr/32
	CONF
	[[ -n $endpoint ]] && echo "endpoint = $endpoint"
}

case_ipcp_setup()
{
	local b n
	for b in ipcpd ipcp-fwd ipcpctl; do
		[[ -x $(ipcp_bin $b) ]] || {
			CASE_ERR="skipped: $(ipcp_bin $b) not built"
			return 1
		}
	done
	for n in a b; do
		(umask 077 && "$(ipcp_bin ipcpctl)" genkey >"$CW/$n.key") &&
		"$(ipcp_bin ipcpctl)" pubkey <"$CW/$n.key" >"$CW/$n.pub" ||
		    { CASE_ERR="ipcpctl genkey/pubkey failed"; return 1; }
	done
	ipcp_conf a b "$OUT_A:5000" 10.78.0.1 10.78.0.2 "" >"$CW/a.conf"
	ipcp_conf b a "$OUT_B:5000" 10.78.0.2 10.78.0.1 "$OUT_A:5000" \
	    >"$CW/b.conf"
	bn_spawn "$NS_A" "$CW/a.log" "$(ipcp_bin ipcpd)" -d -c "$CW/a.conf"
	ROOTS_A+=("$BN_PID")
	bn_wait 10 bn_listening "$NS_A" 5000 || return 1
	bn_spawn "$NS_B" "$CW/b.log" "$(ipcp_bin ipcpd)" -d -c "$CW/b.conf"
	ROOTS_B+=("$BN_PID")
	bn_wait 30 ipcp_fwd_pid b && bn_wait 10 ipcp_fwd_pid a ||
	    { CASE_ERR="session not up within 40 s (logs: $CW)"; return 1; }
	CASE_DESC="TCP, ipcp ($(ipcp_ctl b -j peers |
	    jq -r '.peers[0].cipher // "AEAD"'))"
	[[ ${IPCP_OFFLOAD:-on} == on ]] ||
	    CASE_DESC="${CASE_DESC%)}, offload = ${IPCP_OFFLOAD})"
	DST=10.78.0.1
}

# Forwarders are children of ipcpd, but ask rather than assume.
case_ipcp_pids()
{
	ipcp_fwd_pid a
	ipcp_fwd_pid b
}

case_ipcp_mem()
{
	local a b
	a=$(ipcp_fwd_pid a) && b=$(ipcp_fwd_pid b) || return 1
	echo "$(bn_private_kib "$a") $(bn_private_kib "$b")"
}
