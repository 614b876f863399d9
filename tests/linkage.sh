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

# must_not BINARY LIBRARY...
must_not() {
	bin=$1
	shift
	deps=$(ldd "$b/$bin") || { echo "FAIL linkage: ldd $b/$bin"; fail=1; return; }
	for lib in "$@"; do
		if printf '%s\n' "$deps" | grep -q "$lib"; then
			echo "FAIL linkage: $bin links $lib"
			fail=1
		fi
	done
}

# must_not_direct BINARY LIBRARY...: not among its own DT_NEEDED.
must_not_direct() {
	bin=$1
	shift
	deps=$(readelf -d "$b/$bin" | grep NEEDED) ||
	    { echo "FAIL linkage: readelf -d $b/$bin"; fail=1; return; }
	for lib in "$@"; do
		if printf '%s\n' "$deps" | grep -q "$lib"; then
			echo "FAIL linkage: $bin links $lib"
			fail=1
		fi
	done
}

must_not_direct ipcpd libgcrypt
must_not ipcpctl libgcrypt libuv libmnl
# fwd_static_not SYMBOL...: the static forwarder defines none of them.
fwd_static_not() {
	syms=$(nm "$b/ipcp-fwd") || { echo "FAIL linkage: nm $b/ipcp-fwd"; fail=1; return; }
	for sym in "$@"; do
		if printf '%s\n' "$syms" | grep -q " [TtDdBbRr] $sym\$"; then
			echo "FAIL linkage: ipcp-fwd contains $sym"
			fail=1
		fi
	done
	readelf -h "$b/ipcp-fwd" | grep -q 'Type:.*DYN' ||
	    { echo "FAIL linkage: ipcp-fwd is not position-independent"; fail=1; }
}

if readelf -d "$b/ipcp-fwd" | grep -q NEEDED; then
	must_not ipcp-fwd libinih libmnl libjson-c
else
	fwd_static_not ini_parse_stream mnl_socket_open mnl_socket_open2 \
	    json_object_new_object nft_ctx_new
fi
[ "$fail" = 0 ] && echo "linkage: ok"
exit "$fail"
