#!/bin/sh
# SPDX-License-Identifier: ISC
#
# Config tests, after bgpd's regress/usr.sbin/bgpd/config: for each N.conf,
# `ipcpd -n -c N.conf' must print N.ok, and its output must parse again and
# print identically; for each N.bad, ipcpd must exit 1 with nothing on
# stdout and the first line of stderr must be N.err.
#
# No secrets are committed: the key files are generated here, in a
# temporary directory that replaces @KEYDIR@ in the configs (and back in
# the output before it is compared).
#
# usage: tests/config/run.sh IPCPD_BINARY

set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 IPCPD_BINARY" >&2
	exit 2
fi
case $1 in
/*)	ipcpd=$1 ;;
*)	ipcpd=$(pwd)/$1 ;;
esac
if [ ! -x "$ipcpd" ]; then
	echo "$0: $ipcpd: not an executable" >&2
	exit 2
fi
srcdir=$(cd "$(dirname "$0")" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipcp-config.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
keydir=$tmp/keys
mkdir -m 700 "$keydir" || exit 2

# Keys are 32 random bytes in base64, as `ipcpctl genkey' writes them.
for k in alpha.key alpha-beta.psk alpha-gamma.psk; do
	(umask 077 && head -c 32 /dev/urandom | base64 > "$keydir/$k") ||
	    exit 2
done
echo "not a key" > "$keydir/not-a-key.psk"
(umask 077 && echo "open sesame" > "$keydir/passcode" &&
    : > "$keydir/empty.passcode") || exit 2

pass=0 fail=0

failed() {
	echo "FAIL: $1: $2"
	fail=$((fail + 1))
}

# Copy a test file into $tmp with @KEYDIR@ filled in.
instantiate() {
	sed "s|@KEYDIR@|$keydir|g" "$srcdir/$1" > "$tmp/$1"
}

# Run ipcpd -n on a file in $tmp, named relatively so messages carry
# the same name as the expected output.
check() {
	(cd "$tmp" && "$ipcpd" -n -c "$1" > "$1.out" 2> "$1.stderr")
}

unsubst() {
	sed "s|$keydir|@KEYDIR@|g" "$1"
}

for conf in "$srcdir"/*.conf; do
	[ -e "$conf" ] || continue
	n=$(basename "$conf" .conf)
	instantiate "$n.conf"
	if ! check "$n.conf"; then
		failed "$n.conf" "exit status $?:" \
		    "$(head -n 1 "$tmp/$n.conf.stderr")"
		continue
	fi
	unsubst "$tmp/$n.conf.out" > "$tmp/$n.conf.norm"
	if ! diff -u "$srcdir/$n.ok" "$tmp/$n.conf.norm"; then
		failed "$n.conf" "output differs from $n.ok"
		continue
	fi
	# The canonical form must parse again and print the same.
	cp "$tmp/$n.conf.out" "$tmp/$n.again.conf"
	if ! check "$n.again.conf"; then
		failed "$n.conf" "printed form does not parse:" \
		    "$(head -n 1 "$tmp/$n.again.conf.stderr")"
		continue
	fi
	if ! diff -u "$tmp/$n.conf.out" "$tmp/$n.again.conf.out"; then
		failed "$n.conf" "printed form prints differently"
		continue
	fi
	pass=$((pass + 1))
done

for bad in "$srcdir"/*.bad; do
	[ -e "$bad" ] || continue
	n=$(basename "$bad" .bad)
	instantiate "$n.bad"
	check "$n.bad"
	rc=$?
	if [ "$rc" -ne 1 ]; then
		failed "$n.bad" "exit status $rc, expected 1"
		continue
	fi
	if [ -s "$tmp/$n.bad.out" ]; then
		failed "$n.bad" "printed something on stdout"
		continue
	fi
	got=$(head -n 1 "$tmp/$n.bad.stderr" | unsubst /dev/stdin)
	want=$(head -n 1 "$srcdir/$n.err")
	if [ "$got" != "$want" ]; then
		failed "$n.bad" "wrong error"
		echo "  got:  $got"
		echo "  want: $want"
		continue
	fi
	pass=$((pass + 1))
done

# The example configs of contrib/ parse without a warning.  They name
# files in /etc/ipcp and the default user: point them at our keys and at
# an unprivileged user that exists everywhere.
for k in private.key beta.psk; do
	(umask 077 && head -c 32 /dev/urandom | base64 > "$keydir/$k") ||
	    exit 2
done
for ex in "$srcdir"/../../contrib/*.conf.example; do
	[ -e "$ex" ] || continue
	n=$(basename "$ex")
	sed -e "s|/etc/ipcp/|$keydir/|g" -e '/^user[ 	]*=/d' \
	    -e '/^\[node\]/a\
user = nobody' "$ex" > "$tmp/$n"
	if ! check "$n"; then
		failed "contrib/$n" "$(head -n 1 "$tmp/$n.stderr")"
	elif [ -s "$tmp/$n.stderr" ]; then
		failed "contrib/$n" "$(head -n 1 "$tmp/$n.stderr")"
	else
		pass=$((pass + 1))
	fi
done

echo "config: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
