#!/bin/sh
# Installs the Debian packages ipcp needs to build, test and demo, if any
# are missing.  Safe to run again; does nothing when all are present.
#
#	contrib/install-deps.sh		build, test, demo (make check)
#	contrib/install-deps.sh deb	also what `make deb' needs
set -eu
PKGS="build-essential pkg-config protobuf-c-compiler libprotobuf-c-dev
libsodium-dev libgcrypt20-dev libgpg-error-dev libuv1-dev libinih-dev libmnl-dev
libseccomp-dev libjson-c-dev libsystemd-dev libnftables-dev libcmocka-dev
iproute2 iperf3 iputils-ping nftables procps python3 python3-nacl babeld clang
libclang-rt-14-dev llvm"
# Packaging only: not installed for every `make check'.
if [ "${1:-}" = deb ]; then
	PKGS="$PKGS debhelper dpkg-dev fakeroot lintian"
fi
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
