/* SPDX-License-Identifier: ISC */
/*
 * The routing information base of ipcpd's path-vector route exchange,
 * after OpenBGPD's RDE, in four files with one job each:
 *
 *	rib.c		storage: prefix -> candidate paths, per-peer lists
 *	decide.c	which candidate is best (one comparison function)
 *	kroute.c	the kernel side: best paths installed over rtnetlink
 *	route.c		what peers announce (checked and filtered) and what
 *			this node originates (its addresses and announce)
 *	route_export.c	what we tell each peer: deltas, batched, bounded
 *			per CONTROL frame, and a whole table on session up
 *
 * A candidate path (struct rib_entry) is one source's word on a prefix:
 * this node itself (local: its addresses and announce prefixes) or one
 * peer's latest announcement.  Paths are immutable and shared
 * (struct rpath, refcounted), like bgpd's aspath.
 */
#ifndef IPCP_RIB_H
#define IPCP_RIB_H

#include <sys/queue.h>

#include <stdint.h>

#include "netlink.h"
#include "util.h"

struct peer;

/* Node names a route crossed, nearest first, originator last. */
struct rpath {
	unsigned	 refs;
	unsigned	 n;
	const char	*hop[];
};

struct rib_prefix;

struct rib_entry {
	TAILQ_ENTRY(rib_entry)	 prefix_entry;	/* in its rib_prefix */
	TAILQ_ENTRY(rib_entry)	 peer_entry;	/* in its peer's list */
	struct rib_prefix	*rp;
	struct peer		*peer;		/* NULL: this node */
	uint32_t		 adv_cost;	/* as the peer announced it */
	uint32_t		 cost;		/* adv_cost + the peer's metric */
	struct rpath		*path;		/* NULL for local */
	uint64_t		 since_ms;	/* last change */
};

TAILQ_HEAD(rib_entry_head, rib_entry);

/*
 * What peers were last told about a prefix, in terms of the best path
 * then: enough to work out, per peer, whether a change needs a message.
 */
struct export_was {
	int		 had;		/* there was a best path */
	uint64_t	 peer_id;	/* it came from this peer (0: local) */
	int		 from_lease;	/* ... which is a gateway of ours */
	uint32_t	 cost;
	struct rpath	*path;		/* referenced; NULL for local */
};

struct rib_prefix {
	struct rib_prefix	*hnext;		/* hash chain */
	struct prefix		 p;
	struct rib_entry_head	 paths;
	size_t			 n_paths;
	struct rib_entry	*best;
	/*
	 * kroute.c: the kernel route as installed (ifindex 0: none).  A
	 * change of its interface, table or source is a new request.
	 */
	struct nl_via		 installed;
	/* route_export.c: changed since peers were last told. */
	TAILQ_ENTRY(rib_prefix)	 dirty_entry;
	int			 dirty;
	struct export_was	 was;
};

/* rib.c */
struct rpath	*rpath_new(char *const *names, size_t n);
struct rpath	*rpath_ref(struct rpath *);
void		 rpath_unref(struct rpath *);
int		 rpath_has(const struct rpath *, const char *name);
int		 rpath_equal(const struct rpath *, const struct rpath *);
/* Node by node, by name; a shorter path that is a prefix sorts first. */
int		 rpath_cmp(const struct rpath *, const struct rpath *);
struct rib_prefix *rib_find(const struct prefix *);
/* The best path for the longest prefix holding addr, or NULL. */
struct rib_entry *rib_match(int family, const void *addr);
/*
 * Add or replace the path from `peer' (NULL: local).  Takes a reference
 * to path.  Returns the entry; NULL on allocation failure.
 */
struct rib_entry *rib_set(const struct prefix *, struct peer *,
		    uint32_t adv_cost, uint32_t cost, struct rpath *path);
/* The path from `peer' for the prefix, or NULL. */
struct rib_entry *rib_get(const struct prefix *, const struct peer *);
void		 rib_del(struct rib_entry *);
/* Re-cost an entry (its peer's metric changed). */
void		 rib_recost(struct rib_entry *, uint32_t cost);
/* Every prefix, in no particular order; fn may not change the RIB. */
void		 rib_walk(void (*fn)(struct rib_prefix *, void *), void *);
size_t		 rib_count(void);
/* Called by route_export.c once it no longer needs the prefix. */
void		 rib_release(struct rib_prefix *);
void		 rib_free_all(void);

/* decide.c */
/* Negative if a is the better path, positive if b, never 0 for two. */
int		 decide_cmp(const struct rib_entry *,
		    const struct rib_entry *);
/* Elect the prefix's best path. */
void		 decide(struct rib_prefix *);

/* kroute.c */
/*
 * Make the kernel route of the prefix match its best path.  At exit
 * nothing is removed: our routes go through our TUNs, and the kernel
 * drops them with the interfaces.
 */
void		 kroute_sync(struct rib_prefix *);
/*
 * Something about the peer that its routes carry changed (its leased
 * source address, full-tunnel): install its best routes again.
 */
void		 kroute_peer_resync(struct peer *);
/* The same for every prefix (full-tunnel or the mark changed). */
void		 kroute_sync_all(void);

/* route_export.c */
/* The prefix's best path is about to change: remember what it was. */
void		 export_dirty(struct rib_prefix *);
/* Tell every peer what changed; runs from a zero timer, once per turn. */
void		 export_flush(void);
/* The whole table, to a peer whose session just came up. */
void		 export_full(struct peer *);
/*
 * The peer now hears less than before (a gateway leased it an address:
 * gateway_export_ok): withdraw what it was told and would not be now.
 * Flush the deltas pending under the old rule first.
 */
void		 export_refilter(struct peer *);
/* Forget the pending deltas: the peers already know them. */
void		 export_forget(void);
/* Forget pending work at exit. */
void		 export_clear(void);

#endif
