/* SPDX-License-Identifier: ISC */
/*
 * Linux confinement of ipcp-fwd, short of the syscall filter: an empty
 * root directory, an unprivileged uid and gid that cannot be undone, no
 * new privileges through exec, no core dumps, and resource limits that
 * leave nothing to create (after OpenSSH's privsep child and bgpd's
 * chroot + setres[ug]id).  The order matters: chroot needs root, the ids
 * go last among the privileged steps, and the checks afterwards prove
 * the drop rather than trust it.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <unistd.h>

#include "sandbox.h"

/* Enough for 0-3, the TUN and TCP fds and libuv's epoll fd and pipes. */
#define SANDBOX_NOFILE	16

int
sandbox_chroot(const char *dir)
{
	struct stat	st;

	if (stat(dir, &st) == -1)
		return -1;
	/* A root anyone else can write to could be filled with a fake /dev. */
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		errno = EPERM;
		return -1;
	}
	if (chroot(dir) == -1 || chdir("/") == -1)
		return -1;
	return 0;
}

int
sandbox_setids(uid_t uid, gid_t gid)
{
	uid_t	ru, eu, su;
	gid_t	rg, eg, sg;

	/* Running the forwarder as root would make every later step moot. */
	if (uid == 0 || gid == 0) {
		errno = EINVAL;
		return -1;
	}
	if (setgroups(0, NULL) == -1 ||
	    setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		return -1;

	/* Prove it: no id is 0 any more and none can be taken back. */
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		return -1;
	if (ru != uid || eu != uid || su != uid ||
	    rg != gid || eg != gid || sg != gid) {
		errno = EPERM;
		return -1;
	}
	if (setuid(0) != -1 || setgid(0) != -1 || setegid(0) != -1 ||
	    seteuid(0) != -1) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

int
sandbox_prctl(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return -1;
	return 0;
}

int
sandbox_rlimits(void)
{
	const struct {
		int		resource;
		rlim_t		limit;
	} lim[] = {
		{ RLIMIT_NOFILE, SANDBOX_NOFILE },
		{ RLIMIT_NPROC, 0 },
		/* 0 but in make SANITIZE=1 (sandbox-sanitizer.c). */
		{ RLIMIT_FSIZE, sandbox_sanitizer_fsize() },
		{ RLIMIT_CORE, 0 },
	};
	struct rlimit	rl;
	size_t		i;

	for (i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		rl.rlim_cur = rl.rlim_max = lim[i].limit;
		if (setrlimit(lim[i].resource, &rl) == -1)
			return -1;
	}
	return 0;
}
