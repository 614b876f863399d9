#!/bin/sh
# SPDX-License-Identifier: ISC
#
# Each program links only what its job needs: ipcpd (root) and ipcpctl
# never seal or open frames, so they must not link the data plane's AEAD
# engine (libgcrypt); the sandboxed forwarder must not link the config
# parser or rtnetlink.  Checked on the built binaries with ldd.
#
# ipcpd's libgcrypt is checked on what it links itself (DT_NEEDED), not
# with ldd: libsystemd, for sd_notify, needs libgcrypt for its journal
# code, which ipcpd never calls.
#
# The forwarder is static-pie (Makefile, FWD_STATIC): ldd has nothing to
# say of it, so what it must not contain is looked for among its symbols,
# and it must still be position-independent (a random layout per
# session).
#
# usage: tests/linkage.sh BUILD_DIR
set -u
b=${1:-build}
fail=0

# none_of BINARY VERB LISTING FORMAT ITEM...: a failure for every ITEM
# that a line of LISTING (ldd's, readelf's or nm's output) matches, as
# the grep pattern FORMAT with the item for %s.
none_of() {
	bin=$1 verb=$2 listing=$3 format=$4
	shift 4
	for item in "$@"; do
		# shellcheck disable=SC2059
		if printf '%s\n' "$listing" | grep -q "$(printf "$format" "$item")"
		then
			echo "FAIL linkage: $bin $verb $item"
			fail=1
		fi
	done
}

# cannot COMMAND BINARY: the listing itself failed.
cannot() {
	echo "FAIL linkage: $1 $b/$2"
	fail=1
}

# must_not BINARY LIBRARY...
must_not() {
	bin=$1
	shift
	deps=$(ldd "$b/$bin") || { cannot ldd "$bin"; return; }
	none_of "$bin" links "$deps" '%s' "$@"
}

# must_not_direct BINARY LIBRARY...: not among its own DT_NEEDED.
must_not_direct() {
	bin=$1
	shift
	deps=$(readelf -d "$b/$bin" | grep NEEDED) ||
	    { cannot "readelf -d" "$bin"; return; }
	none_of "$bin" links "$deps" '%s' "$@"
}

# fwd_static_not SYMBOL...: the static forwarder defines none of them,
# and is still position-independent.
fwd_static_not() {
	syms=$(nm "$b/ipcp-fwd") || { cannot nm ipcp-fwd; return; }
	none_of ipcp-fwd contains "$syms" ' [TtDdBbRr] %s$' "$@"
	readelf -h "$b/ipcp-fwd" | grep -q 'Type:.*DYN' ||
	    { echo "FAIL linkage: ipcp-fwd is not position-independent"; fail=1; }
}

must_not_direct ipcpd libgcrypt
must_not ipcpctl libgcrypt libuv libmnl
if readelf -d "$b/ipcp-fwd" | grep -q NEEDED; then
	must_not ipcp-fwd libinih libmnl libjson-c
else
	fwd_static_not ini_parse_stream mnl_socket_open mnl_socket_open2 \
	    json_object_new_object nft_ctx_new
fi
[ "$fail" = 0 ] && echo "linkage: ok"
exit "$fail"
