/* SPDX-License-Identifier: ISC */
/*
 * A gateway's leases, without ipcpd around them, so the unit tests can
 * drive them alone: the pool that hands out addresses (lease_pool.c) and
 * the file that keeps them across restarts (lease_file.c).  gateway.c
 * ties them to peers, the RIB and the control socket.
 */
#ifndef IPCP_LEASE_H
#define IPCP_LEASE_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "keyidx.h"
#include "util.h"

/* One address per family. */
#define LEASE_ADDR_MAX		2
/* The version line a lease file starts with. */
#define LEASE_FILE_MAGIC	"ipcp-leases"
#define LEASE_FILE_VERSION	1
/* A line is a key, two addresses and a number; a file, 65536 of them. */
#define LEASE_LINE_MAX		256
#define LEASE_FILE_MAX		(16 * 1024 * 1024)

/* What a lease is, as the file keeps it. */
struct lease_rec {
	uint8_t		 key[KEY_LEN];
	struct prefix	 addr[LEASE_ADDR_MAX];	/* /32, /128 */
	size_t		 n_addr;
	int64_t		 expires;	/* wall clock, unix seconds */
};

struct gw_lease {
	TAILQ_ENTRY(gw_lease)	 entry;
	struct lease_rec	 r;
	/* A session holds it: it does not run down (expires is renewed). */
	int			 connected;
};

TAILQ_HEAD(gw_lease_head, gw_lease);

struct lease_pool {
	struct prefix		*pool;
	size_t			 n_pool;
	struct prefix		*own;		/* never leased */
	size_t			 n_own;
	unsigned		 max_clients;
	struct gw_lease_head	 leases;	/* oldest first */
	size_t			 n;
	struct keyidx		 by_key;
	struct keyidx		 by_addr;
};

/* lease_pool.c */
struct lease_pool *lease_pool_new(void);
void		 lease_pool_free(struct lease_pool *);
/*
 * What to lease from, what never to lease (the node's own addresses) and
 * how many clients at most.  Leases that no longer fit stay until the
 * caller drops them (lease_pool_fits).  0, or -1 with ENOMEM.
 */
int		 lease_pool_config(struct lease_pool *, const struct prefix *pool,
		    size_t n_pool, const struct prefix *own, size_t n_own,
		    unsigned max_clients);
/* Does every address of the lease still come from the pool? */
int		 lease_pool_fits(const struct lease_pool *,
		    const struct gw_lease *);
struct gw_lease	*lease_pool_find(const struct lease_pool *,
		    const uint8_t key[KEY_LEN]);
/* Held by a session, or not yet expired at `now'. */
int		 lease_active(const struct gw_lease *, int64_t now);
/*
 * The key's lease: the one it has (sticky; a family the pool gained since
 * is added), or a new one with the lowest free address of each family,
 * held by the session that asked (connected) until the caller says not.
 * Expired leases still hold their addresses: prune first.  NULL with
 * ENOSPC (no free address in any family), EUSERS (max_clients active
 * leases) or ENOMEM.
 */
struct gw_lease	*lease_pool_get(struct lease_pool *,
		    const uint8_t key[KEY_LEN], int64_t now);
/* A lease from the file; NULL with EINVAL if it does not fit, or ENOMEM. */
struct gw_lease	*lease_pool_restore(struct lease_pool *,
		    const struct lease_rec *);
void		 lease_pool_del(struct lease_pool *, struct gw_lease *);
/* Drop every expired lease, calling gone() on each before it goes. */
size_t		 lease_pool_prune(struct lease_pool *, int64_t now,
		    void (*gone)(struct gw_lease *, void *), void *);
size_t		 lease_pool_active_count(const struct lease_pool *,
		    int64_t now);
/* Addresses left to lease, both families, capped at UINT64_MAX. */
uint64_t	 lease_pool_free_count(const struct lease_pool *, int64_t now);

/* lease_file.c */
/*
 * Every lease in the file, in a malloc'd array.  A missing file is no
 * leases.  -1 with errno: EINVAL for a file that does not parse (err
 * says "path:line: why"), else the I/O error (err says "path: why").
 */
int		 lease_file_read(const char *path, struct lease_rec **out,
		    size_t *n, char *err, size_t errlen);
/*
 * Replace the file atomically: a temporary file in the same directory,
 * mode 0600, fsync, rename, fsync of the directory.  0 or -1 with errno;
 * nothing is left behind on failure.
 */
int		 lease_file_write(const char *path, const struct lease_rec *,
		    size_t n);
/* A file that did not parse, renamed to "<path>.corrupt"; 0 or -1. */
int		 lease_file_set_aside(const char *path, char *aside,
		    size_t len);

#endif
