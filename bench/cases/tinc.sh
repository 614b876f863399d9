# SPDX-License-Identifier: ISC
#
# tinc -- tinc 1.0 in router mode with TCPOnly: every packet goes over the
# meta connection.  There the cipher is the meta connection's, fixed by the
# 1.0 protocol (AES-256-CFB without a per-packet MAC in 1.0.36); Cipher and
# Digest only apply to UDP.

CASE_PKGS[tinc]="tinc"

case_tinc_setup()
{
	local n in port=16556
	for n in a b; do
		[[ $n == a ]] && in=10.203.1.1 || in=10.203.1.2
		mkdir -p "$CW/$n/hosts"
		{
			echo "Name = bn$n"
			echo "AddressFamily = ipv4"
			echo "Port = $port"
			echo "Interface = ipbntinc"
			echo "DeviceType = tun"
			echo "Mode = router"
			echo "TCPOnly = yes"
			if [[ $n == a ]]; then
				echo "BindToAddress = $OUT_A"
			else
				echo "ConnectTo = bna"
			fi
		} >"$CW/$n/tinc.conf"
		printf '#!/bin/sh\nip addr add %s/24 dev "$INTERFACE"\n%s\n' \
		    "$in" 'ip link set "$INTERFACE" up' >"$CW/$n/tinc-up"
		chmod 755 "$CW/$n/tinc-up"
		printf 'Subnet = %s/32\nTCPOnly = yes\n' "$in" \
		    >"$CW/$n/hosts/bn$n"
		[[ $n == a ]] && printf 'Address = %s %s\n' "$OUT_A" "$port" \
		    >>"$CW/$n/hosts/bn$n"
		# -K writes rsa_key.priv and appends the public key to hosts/.
		timeout 60 tincd -c "$CW/$n" -K2048 </dev/null \
		    >"$CW/$n/keygen.log" 2>&1 || return 1
	done
	cp "$CW/a/hosts/bna" "$CW/b/hosts/"
	cp "$CW/b/hosts/bnb" "$CW/a/hosts/"
	bn_spawn "$NS_A" "$CW/a.log" tincd -c "$CW/a" -D -d0 \
	    --pidfile="$CW/a/pid" --logfile="$CW/a/log"
	ROOTS_A+=("$BN_PID")
	bn_wait 10 bn_listening "$NS_A" "$port" || return 1
	bn_spawn "$NS_B" "$CW/b.log" tincd -c "$CW/b" -D -d0 \
	    --pidfile="$CW/b/pid" --logfile="$CW/b/log"
	ROOTS_B+=("$BN_PID")
	CASE_DESC="TCP (TCPOnly), AES-256-CFB meta cipher, no MAC"
	DST=10.203.1.1
}
