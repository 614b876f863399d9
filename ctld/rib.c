/* SPDX-License-Identifier: ISC */
/*
 * RIB storage (see rib.h): a hash table of prefixes, each with its list
 * of candidate paths, one per source, and the per-peer lists that let a
 * session's end withdraw everything it taught us at once.
 *
 * Every change to a prefix goes through here, in the same order: tell
 * route_export.c what the best path was (before anything is freed),
 * change the candidates, elect the best again (decide.c) and bring the
 * kernel in line (kroute.c).  A prefix with no candidates left is freed
 * once route_export.c has told the peers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipcpd.h"
#include "rib.h"

#define RIB_MIN_BUCKETS	64

static struct rib_prefix	**buckets;
static size_t			  n_buckets;
static size_t			  n_prefixes;

/* ---- paths ------------------------------------------------------------- */

struct rpath *
rpath_new(char *const *names, size_t n)
{
	struct rpath	*rp;
	size_t		 len = 0, i, l;
	char		*s;

	for (i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	if ((rp = malloc(sizeof(*rp) + n * sizeof(rp->hop[0]) + len)) == NULL)
		return NULL;
	rp->refs = 1;
	rp->n = n;
	s = (char *)&rp->hop[n];
	for (i = 0; i < n; i++) {
		l = strlen(names[i]) + 1;
		memcpy(s, names[i], l);
		rp->hop[i] = s;
		s += l;
	}
	return rp;
}

struct rpath *
rpath_ref(struct rpath *rp)
{
	if (rp != NULL)
		rp->refs++;
	return rp;
}

void
rpath_unref(struct rpath *rp)
{
	if (rp != NULL && --rp->refs == 0)
		free(rp);
}

int
rpath_has(const struct rpath *rp, const char *name)
{
	unsigned	i;

	if (rp == NULL)
		return 0;
	for (i = 0; i < rp->n; i++)
		if (strcmp(rp->hop[i], name) == 0)
			return 1;
	return 0;
}

int
rpath_cmp(const struct rpath *a, const struct rpath *b)
{
	unsigned	i, an = a != NULL ? a->n : 0, bn = b != NULL ? b->n : 0;
	int		c;

	for (i = 0; i < an && i < bn; i++)
		if ((c = strcmp(a->hop[i], b->hop[i])) != 0)
			return c;
	return an < bn ? -1 : an > bn;
}

int
rpath_equal(const struct rpath *a, const struct rpath *b)
{
	return a == b || rpath_cmp(a, b) == 0;
}

/* ---- the prefix table -------------------------------------------------- */

static size_t
prefix_hash(const struct prefix *p)
{
	const uint8_t	*b = p->addr.bytes;
	size_t		 i, n = prefix_addrlen(p->family);
	uint64_t	 h = 1469598103934665603ULL;

	h = (h ^ (uint64_t)p->family) * 1099511628211ULL;
	h = (h ^ p->plen) * 1099511628211ULL;
	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 32));
}

static int
grow(void)
{
	struct rib_prefix	**nb, *rp, *next;
	size_t			  nn, i, h;

	nn = n_buckets != 0 ? n_buckets * 2 : RIB_MIN_BUCKETS;
	if ((nb = calloc(nn, sizeof(*nb))) == NULL)
		return -1;
	for (i = 0; i < n_buckets; i++)
		for (rp = buckets[i]; rp != NULL; rp = next) {
			next = rp->hnext;
			h = prefix_hash(&rp->p) & (nn - 1);
			rp->hnext = nb[h];
			nb[h] = rp;
		}
	free(buckets);
	buckets = nb;
	n_buckets = nn;
	return 0;
}

struct rib_prefix *
rib_find(const struct prefix *p)
{
	struct rib_prefix	*rp;

	if (n_buckets == 0)
		return NULL;
	for (rp = buckets[prefix_hash(p) & (n_buckets - 1)]; rp != NULL;
	    rp = rp->hnext)
		if (prefix_equal(&rp->p, p))
			return rp;
	return NULL;
}

static struct rib_prefix *
rib_create(const struct prefix *p)
{
	struct rib_prefix	*rp;
	size_t			 h;

	if (n_prefixes >= n_buckets * 2 && grow() == -1)
		return NULL;
	if ((rp = calloc(1, sizeof(*rp))) == NULL)
		return NULL;
	rp->p = *p;
	TAILQ_INIT(&rp->paths);
	h = prefix_hash(p) & (n_buckets - 1);
	rp->hnext = buckets[h];
	buckets[h] = rp;
	n_prefixes++;
	return rp;
}

static void
rib_unlink(struct rib_prefix *rp)
{
	struct rib_prefix	**pp;

	for (pp = &buckets[prefix_hash(&rp->p) & (n_buckets - 1)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == rp) {
			*pp = rp->hnext;
			n_prefixes--;
			return;
		}
}

void
rib_release(struct rib_prefix *rp)
{
	if (rp->dirty || rp->n_paths > 0)
		return;
	rib_unlink(rp);
	free(rp);
}

struct rib_entry *
rib_match(int family, const void *addr)
{
	struct prefix		 p;
	struct rib_prefix	*rp;
	int			 plen;

	for (plen = prefix_addrlen(family) * 8; plen >= 0; plen--) {
		if (prefix_from_bytes(&p, addr, prefix_addrlen(family),
		    plen) == -1)
			return NULL;
		prefix_mask(&p);
		if ((rp = rib_find(&p)) != NULL && rp->best != NULL)
			return rp->best;
	}
	return NULL;
}

/* After the candidates changed: elect again, and tell the kernel. */
static void
rib_changed(struct rib_prefix *rp)
{
	decide(rp);
	kroute_sync(rp);
}

struct rib_entry *
rib_get(const struct prefix *p, const struct peer *peer)
{
	struct rib_prefix	*rp;
	struct rib_entry	*e;

	if ((rp = rib_find(p)) == NULL)
		return NULL;
	TAILQ_FOREACH(e, &rp->paths, prefix_entry)
		if (e->peer == peer)
			return e;
	return NULL;
}

struct rib_entry *
rib_set(const struct prefix *p, struct peer *peer, uint32_t adv_cost,
    uint32_t cost, struct rpath *path)
{
	struct rib_prefix	*rp;
	struct rib_entry	*e;

	if ((rp = rib_find(p)) == NULL && (rp = rib_create(p)) == NULL)
		return NULL;
	TAILQ_FOREACH(e, &rp->paths, prefix_entry)
		if (e->peer == peer)
			break;
	if (e != NULL && e->cost == cost && e->adv_cost == adv_cost &&
	    rpath_equal(e->path, path))
		return e;	/* said again: nothing changes */
	export_dirty(rp);
	if (e == NULL) {
		/* rp is queued (export_dirty): the flush frees it if empty. */
		if ((e = calloc(1, sizeof(*e))) == NULL)
			return NULL;
		e->rp = rp;
		e->peer = peer;
		TAILQ_INSERT_TAIL(&rp->paths, e, prefix_entry);
		rp->n_paths++;
		if (peer != NULL) {
			TAILQ_INSERT_TAIL(&peer->rib_in, e, peer_entry);
			peer->n_routes++;
		}
	}
	rpath_unref(e->path);
	e->path = rpath_ref(path);
	e->adv_cost = adv_cost;
	e->cost = cost;
	e->since_ms = now_ms();
	rib_changed(rp);
	return e;
}

void
rib_recost(struct rib_entry *e, uint32_t cost)
{
	if (e->cost == cost)
		return;
	export_dirty(e->rp);
	e->cost = cost;
	e->since_ms = now_ms();
	rib_changed(e->rp);
}

void
rib_del(struct rib_entry *e)
{
	struct rib_prefix	*rp = e->rp;

	export_dirty(rp);
	TAILQ_REMOVE(&rp->paths, e, prefix_entry);
	rp->n_paths--;
	if (e->peer != NULL) {
		TAILQ_REMOVE(&e->peer->rib_in, e, peer_entry);
		e->peer->n_routes--;
	}
	if (rp->best == e)
		rp->best = NULL;
	rpath_unref(e->path);
	free(e);
	rib_changed(rp);
}

void
rib_walk(void (*fn)(struct rib_prefix *, void *), void *arg)
{
	struct rib_prefix	*rp, *next;
	size_t			 i;

	for (i = 0; i < n_buckets; i++)
		for (rp = buckets[i]; rp != NULL; rp = next) {
			next = rp->hnext;
			fn(rp, arg);
		}
}

size_t
rib_count(void)
{
	return n_prefixes;
}

/* At exit, after export_clear; the kernel is not told (kroute_sync). */
void
rib_free_all(void)
{
	struct rib_prefix	*rp, *next;
	struct rib_entry	*e;
	size_t			 i;

	for (i = 0; i < n_buckets; i++) {
		for (rp = buckets[i]; rp != NULL; rp = next) {
			next = rp->hnext;
			while ((e = TAILQ_FIRST(&rp->paths)) != NULL) {
				TAILQ_REMOVE(&rp->paths, e, prefix_entry);
				if (e->peer != NULL)
					TAILQ_REMOVE(&e->peer->rib_in, e,
					    peer_entry);
				rpath_unref(e->path);
				free(e);
			}
			rpath_unref(rp->was.path);
			free(rp);
		}
	}
	free(buckets);
	buckets = NULL;
	n_buckets = n_prefixes = 0;
}
