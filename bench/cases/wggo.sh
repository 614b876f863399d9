# SPDX-License-Identifier: ISC
#
# wggo -- wireguard-go (userspace WireGuard, UDP), for reference: what a
# userspace tunnel does when it does not have to run over TCP.  Its UAPI
# socket, /run/wireguard/IFNAME.sock, is not per namespace, hence interface
# names carrying the run's tag.

CASE_PKGS[wggo]="wireguard-go wireguard-tools"

case_wggo_setup()
{
	local n ifa=${BN_TAG}wa ifb=${BN_TAG}wb
	for n in a b; do
		(umask 077 && wg genkey >"$CW/$n.key") &&
		wg pubkey <"$CW/$n.key" >"$CW/$n.pub" || return 1
	done
	# -f: stay in the foreground, so the recorded PID is the daemon's.
	bn_spawn "$NS_A" "$CW/a.log" env LOG_LEVEL=error wireguard-go -f "$ifa"
	ROOTS_A+=("$BN_PID")
	bn_spawn "$NS_B" "$CW/b.log" env LOG_LEVEL=error wireguard-go -f "$ifb"
	ROOTS_B+=("$BN_PID")
	CASE_FILES+=("/run/wireguard/$ifa.sock" "/run/wireguard/$ifb.sock")
	bn_wait 10 test -S "/run/wireguard/$ifa.sock" &&
	bn_wait 10 test -S "/run/wireguard/$ifb.sock" || return 1
	ip netns exec "$NS_A" wg set "$ifa" private-key "$CW/a.key" \
	    listen-port 51820 peer "$(cat "$CW/b.pub")" \
	    allowed-ips 10.203.1.2/32 endpoint "$OUT_B:51820" &&
	ip netns exec "$NS_B" wg set "$ifb" private-key "$CW/b.key" \
	    listen-port 51820 peer "$(cat "$CW/a.pub")" \
	    allowed-ips 10.203.1.1/32 endpoint "$OUT_A:51820" || return 1
	bn_addr_up "$NS_A" "$ifa" 10.203.1.1 10.203.1.2 1420 &&
	bn_addr_up "$NS_B" "$ifb" 10.203.1.2 10.203.1.1 1420 || return 1
	CASE_DESC="UDP, ChaCha20-Poly1305, MTU 1420"
	DST=10.203.1.1
}
