#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Each forwarder runs confined, as seen from /proc: non-root uids and gids,
# no effective capabilities, no_new_privs, a seccomp filter, the empty
# chroot as root and cwd, and only the file descriptors it needs (its
# socketpair to ipcpd, its TCP socket, its peer's TUN and libuv's own).
# A leaked fd (the control socket, a listener, another peer's TUN, the
# config or key file) changes the counts and fails the test.
. "$(dirname "$0")/lib.sh"

EMPTY=/run/ipcp/empty

# What a forwarder may hold, by kind.  libuv 1.44 opens one epoll fd and
# one eventfd per loop, a pipe pair for its global signal lock and, once
# uv_signal_init is called, a pipe pair per loop to deliver signals.
declare -A EXPECT=(
	[null]=3	# fds 0, 1, 2 (stderr may be ipcpd's stderr instead)
	[socket]=2	# fd 3 to ipcpd, the TCP session
	[tun]=1
	[eventpoll]=1
	[eventfd]=1
	[pipe]=4
)

# fd_kind PID FD: one word for what the fd is.
fd_kind() {
	local t
	t=$(readlink "/proc/$1/fd/$2") || { echo gone; return; }
	case $t in
	/dev/null)		echo null ;;
	/dev/net/tun)		echo tun ;;
	socket:*)		echo socket ;;
	pipe:*)			echo pipe ;;
	anon_inode:\[eventpoll\]) echo eventpoll ;;
	anon_inode:\[eventfd\])	echo eventfd ;;
	anon_inode:*)		t=${t#anon_inode:}; t=${t#[}; echo "${t%]}" ;;
	*)			echo "file:$t" ;;
	esac
}

# check_fwd NODE PEER DAEMONPID
check_fwd() {
	local node=$1 peer=$2 dpid=$3 pid f k v line
	local -A got=()
	pid=$(fwd_pid "$node" "$peer") || fail "$node: no fwd_pid for $peer"
	proc_is "$pid" ipcp-fwd || fail "$node: fwd_pid $pid is not ipcp-fwd"
	[ "$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")" = "$dpid" ] ||
	    fail "$node: forwarder $pid is not a child of ipcpd $dpid"

	for f in Uid Gid; do
		line=$(awk -v f="$f:" '$1 == f { print $2, $3, $4, $5 }' \
		    "/proc/$pid/status")
		[ "$(wc -w <<<"$line")" = 4 ] || fail "$node: no $f line"
		for v in $line; do
			[ "$v" != 0 ] || fail "$node: forwarder $f is ($line)"
		done
	done
	[ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = \
	    "$(id -u "$FWD_USER")" ] ||
	    fail "$node: forwarder does not run as $FWD_USER"
	grep -q '^CapEff:[[:space:]]*0000000000000000$' "/proc/$pid/status" ||
	    fail "$node: $(grep ^CapEff "/proc/$pid/status")"
	grep -q '^CapPrm:[[:space:]]*0000000000000000$' "/proc/$pid/status" ||
	    fail "$node: $(grep ^CapPrm "/proc/$pid/status")"
	grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$pid/status" ||
	    fail "$node: NoNewPrivs not set"
	grep -q '^Seccomp:[[:space:]]*2$' "/proc/$pid/status" ||
	    fail "$node: no seccomp filter ($(grep ^Seccomp: \
	    "/proc/$pid/status"))"
	[ "$(readlink "/proc/$pid/root")" = "$EMPTY" ] ||
	    fail "$node: root is $(readlink "/proc/$pid/root"), not $EMPTY"
	[ "$(readlink "/proc/$pid/cwd")" = "$EMPTY" ] ||
	    fail "$node: cwd is $(readlink "/proc/$pid/cwd"), not $EMPTY"

	[ "$(fd_kind "$pid" 3)" = socket ] ||
	    fail "$node: fd 3 is $(readlink "/proc/$pid/fd/3"), not a socket"
	for f in 0 1 2; do
		k=$(fd_kind "$pid" $f)
		if [ "$f" = 2 ] && [ "$k" != null ] &&
		    [ "$(readlink "/proc/$pid/fd/2")" = \
		    "$(readlink "/proc/$dpid/fd/2")" ]; then
			k=null	# ipcpd's own stderr, passed on
		fi
		[ "$k" = null ] || fail "$node: fd $f is $(readlink \
		    "/proc/$pid/fd/$f")"
	done
	for f in /proc/"$pid"/fd/*; do
		f=${f##*/}
		k=$(fd_kind "$pid" "$f")
		[ "$f" = 2 ] && [ "$(readlink "/proc/$pid/fd/2")" = \
		    "$(readlink "/proc/$dpid/fd/2")" ] && k=null
		got[$k]=$(( ${got[$k]:-0} + 1 ))
	done
	for k in "${!got[@]}"; do
		[ "${got[$k]}" = "${EXPECT[$k]:-0}" ] ||
		    fail "$node: forwarder holds ${got[$k]} fd(s) of kind $k," \
		    "expected ${EXPECT[$k]:-0}: $(ls -l "/proc/$pid/fd" |
		    awk 'NR > 1 { printf "%s->%s ", $9, $11 }')"
	done
	for k in "${!EXPECT[@]}"; do
		[ "${got[$k]:-0}" = "${EXPECT[$k]}" ] ||
		    fail "$node: forwarder holds ${got[$k]:-0} fd(s) of kind" \
		    "$k, expected ${EXPECT[$k]}"
	done
	# The TUN is this peer's: TUNGETIFF is not reachable from here, but
	# fdinfo names the interface.
	for f in /proc/"$pid"/fd/*; do
		[ "$(readlink "$f")" = /dev/net/tun ] || continue
		grep -q "^iff:[[:space:]]*ipcp-$peer$" \
		    "/proc/$pid/fdinfo/${f##*/}" ||
		    fail "$node: TUN fd is not ipcp-$peer ($(grep ^iff: \
		    "/proc/$pid/fdinfo/${f##*/}"))"
	done
	info "$node: forwarder $pid uid $(id -u "$FWD_USER"), caps 0, seccomp 2," \
	    "root $EMPTY, $(ls "/proc/$pid/fd" | wc -l) fds"
}

standard_setup
ping_ok "$NS_A" "$OV_B" || fail "ping through the tunnel failed"
check_fwd alpha beta "${DPID[alpha]}"
check_fwd beta alpha "${DPID[beta]}"
pass
