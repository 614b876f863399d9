#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Runs the netns integration tests: every t_*.sh here, or the ones named
# on the command line (t_ping or t_ping.sh), each under a timeout and with
# a namespace prefix of its own.  Prints each test's PASS/FAIL line (and
# on failure the end of its stderr), then "netns: N passed, M failed".
#
#	tests/netns/run.sh [test ...]
#	IPCP_BUILD=dir		where ipcpd, ipcp-fwd and ipcpctl are
#	IPCP_NT_TIMEOUT=s	per-test timeout (180)
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export IPCP_BUILD=${IPCP_BUILD:-$root/build}
timeout_s=${IPCP_NT_TIMEOUT:-180}

if [ "$(id -u)" != 0 ]; then
	echo "netns: the tests need root (network namespaces)" >&2
	exit 1
fi

tests=()
if [ $# -gt 0 ]; then
	for t in "$@"; do
		t=${t##*/}
		tests+=("$here/${t%.sh}.sh")
	done
else
	for t in "$here"/t_*.sh; do
		tests+=("$t")
	done
fi

logdir=$(mktemp -d /tmp/ipcp-netns-logs.XXXXXX)
pass=0 fail=0 i=0
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	i=$((i + 1))
	if [ ! -f "$t" ]; then
		echo "FAIL $name: no such test"
		fail=$((fail + 1))
		continue
	fi
	pfx=nt$$t$i-
	IPCP_NT_PFX=$pfx timeout -k 20 "$timeout_s" bash "$t" \
	    2>"$logdir/$name.err" | tee "$logdir/$name.out"
	rc=${PIPESTATUS[0]}
	# A test killed by the timeout could not clean up: do it here.
	for ns in $(ip netns list | awk -v p="$pfx" 'index($1, p) == 1 {
	    print $1 }'); do
		ip netns pids "$ns" 2>/dev/null |
		    xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf /tmp/ipcp-"$pfx".*
	rm -f /run/ipcp/ipcpd-"$pfx"[AB].sock
	if [ "$rc" = 0 ] && grep -q "^PASS $name\$" "$logdir/$name.out"; then
		pass=$((pass + 1))
		continue
	fi
	fail=$((fail + 1))
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "FAIL $name: timed out after ${timeout_s}s"
	elif ! grep -q "^FAIL $name" "$logdir/$name.out"; then
		echo "FAIL $name: exit $rc without a verdict"
	fi
	if [ -s "$logdir/$name.err" ]; then
		tail -n 60 "$logdir/$name.err" | sed 's/^/    /'
	fi
done
echo "netns: $pass passed, $fail failed"
if [ "$fail" = 0 ]; then
	rm -rf "$logdir"
else
	echo "netns: logs in $logdir"
fi
[ "$fail" = 0 ]
