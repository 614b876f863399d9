#!/bin/sh
# SPDX-License-Identifier: ISC
#
# `make install DESTDIR=...' puts every file where it belongs, under
# DESTDIR only, and the units it writes run the programs where they were
# installed (no @SBINDIR@ left, no other prefix).
#
# usage: tests/install.sh  (from the top of the tree, after make)
set -u
d=$(mktemp -d /tmp/ipcp-install.XXXXXX)
trap 'rm -rf "$d"' EXIT
fail=0
bad() { echo "FAIL install: $*"; fail=1; }

make -s --no-print-directory install DESTDIR="$d" PREFIX=/opt/ipcp \
    SYSTEMDUNITDIR=/opt/ipcp/units >"$d.log" 2>&1 ||
    { cat "$d.log"; rm -f "$d.log"; bad "make install failed"; exit 1; }
rm -f "$d.log"

for f in opt/ipcp/sbin/ipcpd opt/ipcp/sbin/ipcpctl opt/ipcp/sbin/ipcp-fwd \
    opt/ipcp/share/man/man8/ipcpd.8 opt/ipcp/share/man/man8/ipcpctl.8 \
    opt/ipcp/share/man/man5/ipcpd.conf.5 \
    opt/ipcp/units/ipcpd.service opt/ipcp/units/ipcpd@.service \
    opt/ipcp/share/bash-completion/completions/ipcpctl \
    opt/ipcp/share/doc/ipcp/ipcpd.conf.example \
    opt/ipcp/share/doc/ipcp/gateway.conf.example \
    opt/ipcp/share/doc/ipcp/client.conf.example \
    etc/iproute2/rt_protos.d/ipcp.conf; do
	[ -s "$d/$f" ] || bad "$f missing"
done
# Nothing outside the prefix but the rt_protos file, and no config.
extra=$(cd "$d" && find . -type f | grep -v '^\./opt/ipcp/' |
    grep -v '^\./etc/iproute2/rt_protos\.d/ipcp\.conf$')
[ -z "$extra" ] || bad "installed outside the prefix: $extra"

u=$d/opt/ipcp/units
grep -q '^ExecStart=/opt/ipcp/sbin/ipcpd -d -c /etc/ipcp/ipcpd.conf$' \
    "$u/ipcpd.service" || bad "ipcpd.service: $(grep ^ExecStart= \
    "$u/ipcpd.service")"
grep -q '^ExecStart=/opt/ipcp/sbin/ipcpd -d -c /etc/ipcp/%i.conf -s /run/ipcp/%i.sock$' \
    "$u/ipcpd@.service" || bad "ipcpd@.service: $(grep ^ExecStart= \
    "$u/ipcpd@.service")"
grep -q '^ExecReload=/opt/ipcp/sbin/ipcpctl -i %i reload$' \
    "$u/ipcpd@.service" || bad "ipcpd@.service: no ExecReload with -i"
grep -q '^Type=notify$' "$u/ipcpd.service" || bad "ipcpd.service: not Type=notify"
grep -l '@[A-Z]*@\|/usr/local' "$u"/* && bad "a unit with @VAR@ or /usr/local"
"$d/opt/ipcp/sbin/ipcpd" --version | grep -q '^ipcpd [0-9]' ||
    bad "installed ipcpd --version"
[ "$fail" = 0 ] && echo "install: ok"
exit "$fail"
