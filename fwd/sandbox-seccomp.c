/* SPDX-License-Identifier: ISC */
/*
 * The syscall allowlist of ipcp-fwd (after OpenSSH
 * sandbox-seccomp-filter.c), built with libseccomp.  Once it is loaded the
 * forwarder can move bytes between the fds it already holds, keep time,
 * manage its heap and exit; anything else, including opening a file,
 * creating a socket, exec and fork, kills the whole process with SIGSYS.
 * The list was taken from strace -f of a forwarder carrying traffic.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stddef.h>

#include "sandbox.h"

/* Syscalls allowed with any arguments. */
static const int seccomp_plain[] = {
	/* Data path and the channel to ipcpd. */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(recvfrom),
	SCMP_SYS(sendto), SCMP_SYS(close),
	/* The libuv loop. */
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_pwait2),
	SCMP_SYS(epoll_ctl),
	/* Time, where the vDSO falls back to the kernel. */
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
	SCMP_SYS(gettimeofday),
	/* The heap. */
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(madvise), SCMP_SYS(mremap),
	/* Leaving, and what libc needs on the way. */
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(futex),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
	SCMP_SYS(getrandom), SCMP_SYS(getpid),
};

static int
seccomp_rules(scmp_filter_ctx ctx)
{
	static const int	fcntl_cmds[] = { F_GETFL, F_SETFL, F_GETFD,
				    F_SETFD };
	size_t			i;
	int			rc;

	for (i = 0; i < sizeof(seccomp_plain) / sizeof(seccomp_plain[0]); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    seccomp_plain[i], 0)) < 0)
			return rc;
	/* make SANITIZE=1 only (sandbox-sanitizer.c); nothing otherwise. */
	if ((rc = sandbox_sanitizer_seccomp(ctx)) < 0)
		return rc;

	/* Memory, but never executable: no code can be brought in. */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) < 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) < 0)
		return rc;

	/* libuv sets O_NONBLOCK and FD_CLOEXEC with these two ioctls only. */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, FIONBIO))) < 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, FIOCLEX))) < 0)
		return rc;

	/* Flags only: F_DUPFD and friends would make new descriptors. */
	for (i = 0; i < sizeof(fcntl_cmds) / sizeof(fcntl_cmds[0]); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl),
		    1, SCMP_A1(SCMP_CMP_EQ, fcntl_cmds[i]))) < 0)
			return rc;
	return 0;
}

int
sandbox_seccomp(void)
{
	scmp_filter_ctx	ctx;
	int		rc;

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	/* NO_NEW_PRIVS is set by sandbox_prctl(); make sure regardless. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1)) < 0 ||
	    (rc = seccomp_rules(ctx)) < 0 ||
	    (rc = seccomp_load(ctx)) < 0) {
		seccomp_release(ctx);
		errno = -rc;
		return -1;
	}
	seccomp_release(ctx);
	return 0;
}
