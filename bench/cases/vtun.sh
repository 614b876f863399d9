# SPDX-License-Identifier: ISC
#
# vtun -- vtun 3 over TCP: length-prefixed frames, AES-256-CBC without a
# MAC, a shared password for authentication.  The server forks one child
# per session, which bn_tree finds.  vtund fails the session (EIO) if the
# first frame arrives while its tun is still down, so both tuns are made
# persistent, addressed and up beforehand and no up { } block is used.

CASE_PKGS[vtun]="vtun"

case_vtun_setup()
{
	local port=15050
	cat >"$CW/a.conf" <<-CONF
	options { port $port; bindaddr { addr $OUT_A; }; ip /sbin/ip; syslog daemon; }
	bnvtun {
	  passwd ipbnbenchonly;
	  type tun; device ipbnvtun; proto tcp; compress no; encrypt aes256cbc;
	  keepalive no; stat no;
	}
	CONF
	cat >"$CW/b.conf" <<-CONF
	options { port $port; ip /sbin/ip; syslog daemon; }
	bnvtun {
	  passwd ipbnbenchonly;
	  type tun; device ipbnvtun; proto tcp; compress no; encrypt aes256cbc;
	  keepalive no; stat no; persist no;
	}
	CONF
	mkdir -p /run/lock/vtund /var/lock/vtund 2>/dev/null
	bn_tun_add "$NS_A" ipbnvtun 10.203.1.1 10.203.1.2 &&
	bn_tun_add "$NS_B" ipbnvtun 10.203.1.2 10.203.1.1 || return 1
	bn_spawn "$NS_A" "$CW/a.log" vtund -s -n -f "$CW/a.conf"
	ROOTS_A+=("$BN_PID")
	bn_wait 10 bn_listening "$NS_A" "$port" || return 1
	bn_spawn "$NS_B" "$CW/b.log" vtund -n -f "$CW/b.conf" bnvtun "$OUT_A"
	ROOTS_B+=("$BN_PID")
	CASE_DESC="TCP, AES-256-CBC, no MAC"
	DST=10.203.1.1
}
