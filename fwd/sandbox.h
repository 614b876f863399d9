/* SPDX-License-Identifier: ISC */
/*
 * Confinement of a forwarder (after OpenSSH ssh-sandbox.h).  The steps are
 * separate so the caller can say which one failed; ipcp-fwd runs them in
 * this order once it holds its fds and keys, and before it reads a byte
 * from the network.  Each returns 0, or -1 with errno; none of them logs.
 */
#ifndef IPCP_SANDBOX_H
#define IPCP_SANDBOX_H

#include <sys/types.h>

/* sandbox-linux.c */
/* chroot(2) into dir, which must be a root-owned directory nobody else
 * may write to, and chdir("/"). */
int	 sandbox_chroot(const char *dir);
/* Drop supplementary groups, then gid and uid (real, effective, saved),
 * and check that none of them can be regained.  uid and gid must not be
 * 0. */
int	 sandbox_setids(uid_t, gid_t);
/* PR_SET_NO_NEW_PRIVS and PR_SET_DUMPABLE 0. */
int	 sandbox_prctl(void);
/* No files, no processes, no core dumps, few descriptors. */
int	 sandbox_rlimits(void);

/* sandbox-sanitizer.c */
/* Before the chroot: let a sanitizer runtime (make SANITIZE=1) read what
 * it needs while it still can.  A no-op in an ordinary build. */
void	 sandbox_sanitizer(void);

/* sandbox-seccomp.c */
/* Install the syscall allowlist; anything else kills the process. */
int	 sandbox_seccomp(void);

#endif
