/* SPDX-License-Identifier: ISC */
/*
 * The host's resolver: a lease's nameservers in, the original back out
 * (resolv.c).  Apart from ipcpd.h so its unit test needs nothing else.
 */
#ifndef IPCP_RESOLV_H
#define IPCP_RESOLV_H

#include <limits.h>
#include <stddef.h>

#include "util.h"

#define RESOLV_PATH_MAX		PATH_MAX
#define RESOLV_LABEL_MAX	32
/* The first line of a resolv.conf we wrote. */
#define RESOLV_MARKER		"# Written by ipcpd: the nameservers of " \
				"a lease.  The original comes back when " \
				"ipcpd stops.\n"

struct resolv_target {
	const char	*path;		/* /etc/resolv.conf */
	const char	*backup;	/* survives a kill -9 */
	/* resolvconf(8), or NULL: write path ourselves. */
	const char	*program;
	const char	*label;		/* resolvconf -a LABEL */
};

/* Our nameservers in place of the host's; n > 0. */
int	 resolv_apply(const struct resolv_target *, const struct prefix *,
	    size_t n);
/* The host's back, and the backup gone; 0 also when there was none. */
int	 resolv_restore(const struct resolv_target *);
/* 1: a backup is there (we applied, or an ipcpd before us died). */
int	 resolv_leftover(const struct resolv_target *);
/* 1: the file starts with our marker. */
int	 resolv_is_ours(const char *path);

#endif
