#!/bin/sh
# SPDX-License-Identifier: ISC
#
# make deb: the Debian package of this tree, as it is in the working
# directory (committed or not), built in OUTDIR/ipcp-VERSION with
# dpkg-buildpackage and checked with lintian.  The .deb lands in OUTDIR.
#
# usage: contrib/debian/build.sh VERSION OUTDIR
set -eu
version=$1
out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)

# One version: the Makefile's.  The changelog must say the same.
cl=$(dpkg-parsechangelog -l "$top/contrib/debian/changelog" -S Version)
if [ "$cl" != "$version" ]; then
	echo "deb: contrib/debian/changelog says $cl, the Makefile $version" >&2
	exit 1
fi

src=$out/ipcp-$version
rm -rf "$out"
mkdir -p "$src"
# The tree without builds, packages or git metadata.
(cd "$top" && tar -cf - --exclude=./build --exclude=./build-san \
    --exclude=./.git --exclude=./contrib/debian . ) | (cd "$src" && tar -xf -)
cp -r "$top/contrib/debian" "$src/debian"
rm -f "$src/debian/build.sh"
(cd "$src" && dpkg-buildpackage -b -us -uc -j2 >"$out/build.log" 2>&1) || {
	tail -n 40 "$out/build.log" >&2
	echo "deb: dpkg-buildpackage failed; see $out/build.log" >&2
	exit 1
}
deb=$(ls "$out"/ipcp_"$version"_*.deb)
echo "deb: $deb"
# What the package must hold, and units that run /usr/sbin/ipcpd.
dpkg-deb -c "$deb" | awk '{ print $6 }' >"$out/contents"
for f in usr/sbin/ipcpd usr/sbin/ipcpctl usr/sbin/ipcp-fwd \
    lib/systemd/system/ipcpd.service lib/systemd/system/ipcpd@.service \
    usr/share/man/man8/ipcpd.8.gz usr/share/man/man8/ipcpctl.8.gz \
    usr/share/man/man5/ipcpd.conf.5.gz \
    usr/share/bash-completion/completions/ipcpctl \
    usr/share/doc/ipcp/ipcpd.conf.example \
    usr/share/doc/ipcp/gateway.conf.example \
    usr/share/doc/ipcp/client.conf.example; do
	grep -qx "./$f" "$out/contents" || {
		echo "deb: $f is not in the package" >&2
		exit 1
	}
done
dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./lib/systemd/system/ipcpd.service |
    grep -q '^ExecStart=/usr/sbin/ipcpd ' || {
	echo "deb: ipcpd.service does not run /usr/sbin/ipcpd" >&2
	exit 1
}
# Tags lintian reports, with the overrides in debian/ipcp.lintian-overrides.
lintian --info --display-info --fail-on error,warning "$deb" || {
	echo "deb: lintian found problems" >&2
	exit 1
}
