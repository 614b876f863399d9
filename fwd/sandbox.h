/* SPDX-License-Identifier: ISC */
/*
 * Confinement of a forwarder (after OpenSSH ssh-sandbox.h).  The steps are
 * separate so the caller can say which one failed; ipcp-fwd runs them in
 * this order once it holds its fds and keys, and before it reads a byte
 * from the network.  Each returns 0, or -1 with errno; none of them logs.
 */
#ifndef IPCP_SANDBOX_H
#define IPCP_SANDBOX_H

#include <sys/resource.h>
#include <sys/types.h>

#include <seccomp.h>

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

/* sandbox-sanitizer.c: what a sanitizer runtime needs in the sandbox
 * (make SANITIZE=1); in an ordinary build, nothing. */
/* Before the chroot: let the runtime read what it needs while it can. */
void	 sandbox_sanitizer(void);
/* Its seccomp rules, added to ours; 0 or a libseccomp error. */
int	 sandbox_sanitizer_seccomp(scmp_filter_ctx);
/* RLIMIT_FSIZE: 0, or unlimited so that a report can reach stderr. */
rlim_t	 sandbox_sanitizer_fsize(void);

/* sandbox-seccomp.c */
/* Install the syscall allowlist; anything else kills the process. */
int	 sandbox_seccomp(void);

#endif
