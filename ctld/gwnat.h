/* SPDX-License-Identifier: ISC */
/*
 * The parts of the gateway's NAT and `secure' (gwnat.c) that know the
 * kernel or the nftables language: the host's interface addresses over
 * rtnetlink (ifaddr-linux.c), the forwarding sysctls and their saved
 * originals (ipfwd-linux.c), and the text of the table (gwnat_rules.c).
 * Nothing here logs; calls return 0 or -1 with errno (or err).
 */
#ifndef IPCP_GWNAT_H
#define IPCP_GWNAT_H

#include <net/if.h>

#include <stdio.h>

#include "config.h"
#include "util.h"

/* ifaddr-linux.c */
struct ifaddr_entry {
	struct prefix	net;		/* the attached network, masked */
	int		ifindex;
	unsigned	scope;		/* RT_SCOPE_* */
};
/* Every address of every interface (both families); *out is malloc'd. */
int	 ifaddr_list(struct ifaddr_entry **out, size_t *n);
/*
 * A socket that hears of addresses added and removed (RTNLGRP_IPV4_IFADDR,
 * RTNLGRP_IPV6_IFADDR); non-blocking, close-on-exec.  Returns the fd.
 */
int	 ifaddr_watch_open(void);
/*
 * Read what is waiting: 1 if an address changed on an interface that is
 * not ignore()'s (or the kernel dropped news, which may have been one),
 * 0 if not, -1 with errno.
 */
int	 ifaddr_watch_read(int fd, int (*ignore)(int ifindex));
void	 ifaddr_watch_close(int fd);

/* ipfwd-linux.c */
#define IPFWD_V4	0x1
#define IPFWD_V6	0x2
/* Families whose originals are held. */
unsigned ipfwd_held(void);
/*
 * Load the originals saved in path, replacing what is held.  -1 with
 * errno ENOENT: no file; ESTALE: saved before the last boot, so they
 * are not the values this kernel started with; EINVAL: not ours.
 */
int	 ipfwd_load(const char *path);
/* Write what is held, atomically; nothing held: remove the file. */
int	 ipfwd_save(const char *path);
/* Read the family's current values as its originals (if not held). */
int	 ipfwd_snapshot(unsigned fams);
/* Forwarding on for the family (only where it is not already). */
int	 ipfwd_enable(unsigned fams, char *err, size_t errlen);
/* Write back the family's originals (where they differ) and forget them. */
void	 ipfwd_restore(unsigned fams);

/* gwnat_rules.c */
/* What the table is made of, besides the config. */
struct gwnat_state {
	const char	*comment;	/* NULL: none */
	const char	**tuns;		/* our TUN names */
	size_t		 n_tuns;
	int		 open_tuns;	/* and OPENPEER_IFPREFIX's */
	const struct prefix *local;	/* attached networks (secure) */
	size_t		 n_local;
};
/* The body of table inet NFT_TABLE_GATEWAY for gw; -1 if fp fails. */
int	 gwnat_rules(FILE *fp, const struct gateway_conf *gw,
	    const struct gwnat_state *st);
/*
 * Sort and drop duplicates and prefixes inside others, which nftables
 * would refuse in one interval set; returns the new count.
 */
size_t	 gwnat_prefix_merge(struct prefix *, size_t n);

#endif
