# SPDX-License-Identifier: ISC
#
# openvpn -- OpenVPN 2.6 point-to-point over TCP, AES-256-GCM data channel,
# TCP_NODELAY on both ends, tun-mtu 1500, no DCO (the kernel module would
# not do TCP here anyway).  Static-key mode cannot do GCM, so each side gets
# a throw-away self-signed P-256 certificate and pins the other's with
# peer-fingerprint: a real TLS control channel, made offline in a second.

CASE_PKGS[openvpn]="openvpn openssl"

ovpn_cert()
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 2 -subj "/CN=$1" \
	    -keyout "$CW/$1.key" -out "$CW/$1.crt" >/dev/null 2>&1
}

ovpn_fpr()
{
	openssl x509 -in "$CW/$1.crt" -noout -fingerprint -sha256 |
	    sed 's/^.*=//'
}

case_openvpn_setup()
{
	local port=11940 common
	ovpn_cert bna && ovpn_cert bnb || return 1
	common="dev ipbnovpn
dev-type tun
tun-mtu 1500
data-ciphers AES-256-GCM
data-ciphers-fallback AES-256-GCM
tls-version-min 1.2
socket-flags TCP_NODELAY
disable-dco
persist-key
verb 3"
	cat >"$CW/a.conf" <<-CONF
	$common
	proto tcp-server
	local $OUT_A
	port $port
	ifconfig 10.203.1.1 10.203.1.2
	tls-server
	dh none
	cert $CW/bna.crt
	key $CW/bna.key
	peer-fingerprint $(ovpn_fpr bnb)
	CONF
	cat >"$CW/b.conf" <<-CONF
	$common
	proto tcp-client
	remote $OUT_A $port
	nobind
	ifconfig 10.203.1.2 10.203.1.1
	tls-client
	cert $CW/bnb.crt
	key $CW/bnb.key
	peer-fingerprint $(ovpn_fpr bna)
	CONF
	bn_spawn "$NS_A" "$CW/a.log" openvpn --config "$CW/a.conf"
	ROOTS_A+=("$BN_PID")
	bn_wait 10 bn_listening "$NS_A" "$port" || return 1
	bn_spawn "$NS_B" "$CW/b.log" openvpn --config "$CW/b.conf"
	ROOTS_B+=("$BN_PID")
	bn_wait 30 grep -q 'Initialization Sequence Completed' "$CW/b.log" &&
	bn_wait 10 grep -q 'Initialization Sequence Completed' "$CW/a.log" ||
	    return 1
	CASE_DESC="TCP, $(grep -o "Data Channel: cipher '[^']*'" "$CW/b.log" |
	    head -1 | sed "s/.*cipher '//; s/'//"), TCP_NODELAY, tun-mtu 1500"
	DST=10.203.1.1
}
