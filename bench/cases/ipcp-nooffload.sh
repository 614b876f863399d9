# SPDX-License-Identifier: ISC
#
# ipcp-nooffload -- the ipcp case with `offload = off' in both configs:
# the same daemons, keys, addresses and peers, but plain TUN reads and
# writes of one MTU-sized packet each (no IFF_VNET_HDR, no
# TUNSETOFFLOAD).  Run beside ipcp it shows what the offloads buy;
# tests/netns/t_offload_guard.sh asserts that they buy something.  The
# helpers (ipcp_bin, ipcp_ctl, ipcp_conf, ipcp_fwd_pid) are ipcp.sh's;
# only the setup differs, by the one config line.

CASE_PKGS[ipcp-nooffload]=""

# ipcp_nooffload_conf ARGS... -- ipcp_conf's file plus `offload = off'
# in [node].  (ipcp_conf's status is that of its last test, not of the
# writing: the caller checks the file instead.)
ipcp_nooffload_conf()
{
	ipcp_conf "$@" | sed '/^\[node\]$/a offload = off'
	return 0
}

case_ipcp-nooffload_setup()
{
	local b n
	for b in ipcpd ipcp-fwd ipcpctl; do
		[[ -x $(ipcp_bin $b) ]] || {
			CASE_ERR="skipped: $(ipcp_bin $b) not built"
			return 1
		}
	done
	id ipcp >/dev/null 2>&1 || useradd --system --no-create-home \
	    --home-dir /nonexistent --shell /usr/sbin/nologin ipcp || return 1
	for n in a b; do
		(umask 077 && "$(ipcp_bin ipcpctl)" genkey >"$CW/$n.key") &&
		"$(ipcp_bin ipcpctl)" pubkey <"$CW/$n.key" >"$CW/$n.pub" ||
		    { CASE_ERR="ipcpctl genkey/pubkey failed"; return 1; }
	done
	ipcp_nooffload_conf a b "$OUT_A:5000" 10.78.0.1 10.78.0.2 "" \
	    >"$CW/a.conf"
	ipcp_nooffload_conf b a "$OUT_B:5000" 10.78.0.2 10.78.0.1 \
	    "$OUT_A:5000" >"$CW/b.conf"
	grep -qx 'offload = off' "$CW/a.conf" &&
	grep -qx 'offload = off' "$CW/b.conf" ||
	    { CASE_ERR="could not write offload = off"; return 1; }
	bn_spawn "$NS_A" "$CW/a.log" "$(ipcp_bin ipcpd)" -d -c "$CW/a.conf"
	ROOTS_A+=("$BN_PID")
	bn_wait 10 bn_listening "$NS_A" 5000 || return 1
	bn_spawn "$NS_B" "$CW/b.log" "$(ipcp_bin ipcpd)" -d -c "$CW/b.conf"
	ROOTS_B+=("$BN_PID")
	bn_wait 30 ipcp_fwd_pid b && bn_wait 10 ipcp_fwd_pid a ||
	    { CASE_ERR="session not up within 40 s (logs: $CW)"; return 1; }
	CASE_DESC="TCP, ipcp ($(ipcp_ctl b -j peers |
	    jq -r '.peers[0].cipher // "AEAD"'), offload = off)"
	DST=10.78.0.1
}

case_ipcp-nooffload_pids()
{
	case_ipcp_pids
}

case_ipcp-nooffload_mem()
{
	case_ipcp_mem
}
