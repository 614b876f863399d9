/* SPDX-License-Identifier: ISC */
/*
 * A gateway's address pool, the way DHCP servers keep one: a lease per
 * client public key, with one address of each family the pool has, the
 * lowest free one first, and sticky: the same key gets the same lease
 * back for as long as it has not expired.  A lease held by a session
 * does not run down; once the session ends it holds for the lease time,
 * and after that its addresses may go to another key (lease_pool_prune).
 *
 * Never leased: the network and broadcast addresses of an IPv4 pool,
 * the subnet-router anycast address (all zeroes) of an IPv6 one, and the
 * node's own addresses.  Lookups by key and by address are hash lookups
 * (keyidx), so a thousand clients cost no scans but the search for the
 * lowest free address, which stops at the first gap.
 *
 * Pure: no ipcpd, no clock, no I/O.  gateway.c passes the time in.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lease.h"

typedef unsigned __int128	u128;

/* The address index's key: the family, then the 16 address bytes. */
#define ADDR_KEY_LEN	17

static void
addr_key(uint8_t k[ADDR_KEY_LEN], const struct prefix *a)
{
	memset(k, 0, ADDR_KEY_LEN);
	k[0] = a->family == AF_INET ? 4 : 6;
	memcpy(k + 1, a->addr.bytes, prefix_addrlen(a->family));
}

static unsigned
host_bits(const struct prefix *p)
{
	return (p->family == AF_INET ? 32 : 128) - p->plen;
}

/* The offsets in p that may be leased: [*first, *last]. */
static void
usable_range(const struct prefix *p, u128 *first, u128 *last)
{
	unsigned	h = host_bits(p);
	u128		size_m1 = h == 128 ? ~(u128)0 : ((u128)1 << h) - 1;

	if (h < 2) {
		/* A /31 or /32 (/127, /128): every address is a host. */
		*first = 0;
		*last = size_m1;
		return;
	}
	*first = 1;
	/* IPv4's broadcast address; IPv6 has none. */
	*last = p->family == AF_INET ? size_m1 - 1 : size_m1;
}

/* The host part of a, inside p. */
static u128
host_offset(const struct prefix *p, const struct prefix *a)
{
	size_t	len = prefix_addrlen(p->family), i;
	unsigned h = host_bits(p);
	u128	v = 0;

	for (i = 0; i < len; i++)
		v = v << 8 | a->addr.bytes[i];
	if (h < 128)
		v &= ((u128)1 << h) - 1;
	return v;
}

/* The address at offset off in p, as a host prefix. */
static void
pool_addr(const struct prefix *p, u128 off, struct prefix *out)
{
	size_t	len = prefix_addrlen(p->family), i;
	u128	v = 0;

	for (i = 0; i < len; i++)
		v = v << 8 | p->addr.bytes[i];
	/* The network has zero host bits: no carry past them. */
	v += off;
	*out = *p;
	out->plen = len * 8;
	for (i = len; i-- > 0; v >>= 8)
		out->addr.bytes[i] = v & 0xff;
}

/* Is a, a host prefix, one the pool prefix p may lease? */
static int
usable_in(const struct prefix *p, const struct prefix *a)
{
	u128	first, last, off;

	if (a->family != p->family || !prefix_contains(p, a) ||
	    a->plen != prefix_addrlen(a->family) * 8)
		return 0;
	usable_range(p, &first, &last);
	off = host_offset(p, a);
	return off >= first && off <= last;
}

static int
is_own(const struct lease_pool *lp, const struct prefix *a)
{
	size_t	i;

	for (i = 0; i < lp->n_own; i++)
		if (lp->own[i].family == a->family &&
		    memcmp(lp->own[i].addr.bytes, a->addr.bytes,
		    prefix_addrlen(a->family)) == 0)
			return 1;
	return 0;
}

static int
addr_ok(const struct lease_pool *lp, const struct prefix *a)
{
	size_t	i;

	if (is_own(lp, a))
		return 0;
	for (i = 0; i < lp->n_pool; i++)
		if (usable_in(&lp->pool[i], a))
			return 1;
	return 0;
}

struct lease_pool *
lease_pool_new(void)
{
	struct lease_pool	*lp;

	if ((lp = calloc(1, sizeof(*lp))) == NULL)
		return NULL;
	TAILQ_INIT(&lp->leases);
	return lp;
}

void
lease_pool_free(struct lease_pool *lp)
{
	struct gw_lease	*l;

	if (lp == NULL)
		return;
	while ((l = TAILQ_FIRST(&lp->leases)) != NULL) {
		TAILQ_REMOVE(&lp->leases, l, entry);
		free(l);
	}
	keyidx_free(&lp->by_key);
	keyidx_free(&lp->by_addr);
	free(lp->pool);
	free(lp->own);
	free(lp);
}

int
lease_pool_config(struct lease_pool *lp, const struct prefix *pool,
    size_t n_pool, const struct prefix *own, size_t n_own,
    unsigned max_clients)
{
	struct prefix	*np, *no;

	np = calloc(n_pool + 1, sizeof(*np));
	no = calloc(n_own + 1, sizeof(*no));
	if (np == NULL || no == NULL) {
		free(np);
		free(no);
		errno = ENOMEM;
		return -1;
	}
	memcpy(np, pool, n_pool * sizeof(*np));
	memcpy(no, own, n_own * sizeof(*no));
	free(lp->pool);
	free(lp->own);
	lp->pool = np;
	lp->n_pool = n_pool;
	lp->own = no;
	lp->n_own = n_own;
	lp->max_clients = max_clients;
	return 0;
}

int
lease_pool_fits(const struct lease_pool *lp, const struct gw_lease *l)
{
	size_t	i;

	for (i = 0; i < l->r.n_addr; i++)
		if (!addr_ok(lp, &l->r.addr[i]))
			return 0;
	return 1;
}

struct gw_lease *
lease_pool_find(const struct lease_pool *lp, const uint8_t key[KEY_LEN])
{
	return keyidx_get(&lp->by_key, key, KEY_LEN);
}

int
lease_active(const struct gw_lease *l, int64_t now)
{
	return l->connected || l->r.expires > now;
}

static int
taken(const struct lease_pool *lp, const struct prefix *a)
{
	uint8_t	k[ADDR_KEY_LEN];

	addr_key(k, a);
	return keyidx_get(&lp->by_addr, k, sizeof(k)) != NULL;
}

static int
index_addr(struct lease_pool *lp, const struct prefix *a,
    struct gw_lease *l)
{
	uint8_t	k[ADDR_KEY_LEN];

	addr_key(k, a);
	return keyidx_add(&lp->by_addr, k, sizeof(k), l);
}

static void
unindex_addr(struct lease_pool *lp, const struct prefix *a,
    struct gw_lease *l)
{
	uint8_t	k[ADDR_KEY_LEN];

	addr_key(k, a);
	keyidx_del(&lp->by_addr, k, sizeof(k), l);
}

/*
 * The lowest free address of the family: the first pool prefix of that
 * family with one.  The scan stops at the first gap, so it looks at no
 * more addresses than there are leases and own addresses before it.
 */
static int
lowest_free(const struct lease_pool *lp, int family, struct prefix *out)
{
	u128	first, last, off;
	size_t	i;

	for (i = 0; i < lp->n_pool; i++) {
		if (lp->pool[i].family != family)
			continue;
		usable_range(&lp->pool[i], &first, &last);
		for (off = first; ; off++) {
			pool_addr(&lp->pool[i], off, out);
			if (!taken(lp, out) && !is_own(lp, out))
				return 0;
			if (off == last)
				break;
		}
	}
	return -1;
}

static int
has_family(const struct lease_rec *r, int family)
{
	size_t	i;

	for (i = 0; i < r->n_addr; i++)
		if (r->addr[i].family == family)
			return 1;
	return 0;
}

static int
pool_has_family(const struct lease_pool *lp, int family)
{
	size_t	i;

	for (i = 0; i < lp->n_pool; i++)
		if (lp->pool[i].family == family)
			return 1;
	return 0;
}

/* Give l an address of each family it lacks, where one is free. */
static int
fill(struct lease_pool *lp, struct gw_lease *l)
{
	static const int	 fams[] = { AF_INET, AF_INET6 };
	struct prefix		 a;
	size_t			 i;

	for (i = 0; i < 2 && l->r.n_addr < LEASE_ADDR_MAX; i++) {
		if (has_family(&l->r, fams[i]) ||
		    !pool_has_family(lp, fams[i]) ||
		    lowest_free(lp, fams[i], &a) == -1)
			continue;
		if (index_addr(lp, &a, l) == -1)
			return -1;
		l->r.addr[l->r.n_addr++] = a;
	}
	return 0;
}

static struct gw_lease *
lease_new(struct lease_pool *lp, const uint8_t key[KEY_LEN])
{
	struct gw_lease	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	memcpy(l->r.key, key, KEY_LEN);
	if (keyidx_add(&lp->by_key, l->r.key, KEY_LEN, l) == -1) {
		free(l);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&lp->leases, l, entry);
	lp->n++;
	return l;
}

struct gw_lease *
lease_pool_get(struct lease_pool *lp, const uint8_t key[KEY_LEN],
    int64_t now)
{
	struct gw_lease	*l;

	if ((l = lease_pool_find(lp, key)) != NULL) {
		/* Sticky; a family the pool gained since comes on top. */
		if (fill(lp, l) == -1)
			return NULL;
		return l;
	}
	if (lp->max_clients > 0 &&
	    lease_pool_active_count(lp, now) >= lp->max_clients) {
		errno = EUSERS;
		return NULL;
	}
	if ((l = lease_new(lp, key)) == NULL)
		return NULL;
	if (fill(lp, l) == -1 || l->r.n_addr == 0) {
		if (l->r.n_addr == 0)
			errno = ENOSPC;
		lease_pool_del(lp, l);
		return NULL;
	}
	/* Asked for by a session, held by it until it ends. */
	l->connected = 1;
	return l;
}

struct gw_lease *
lease_pool_restore(struct lease_pool *lp, const struct lease_rec *r)
{
	struct gw_lease	*l;
	size_t		 i;

	if (r->n_addr == 0 || r->n_addr > LEASE_ADDR_MAX ||
	    lease_pool_find(lp, r->key) != NULL) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < r->n_addr; i++)
		if (!addr_ok(lp, &r->addr[i]) || taken(lp, &r->addr[i]) ||
		    (i == 1 && r->addr[0].family == r->addr[1].family)) {
			errno = EINVAL;
			return NULL;
		}
	if ((l = lease_new(lp, r->key)) == NULL)
		return NULL;
	for (i = 0; i < r->n_addr; i++) {
		if (index_addr(lp, &r->addr[i], l) == -1) {
			lease_pool_del(lp, l);
			return NULL;
		}
		l->r.addr[l->r.n_addr++] = r->addr[i];
	}
	l->r.expires = r->expires;
	return l;
}

void
lease_pool_del(struct lease_pool *lp, struct gw_lease *l)
{
	size_t	i;

	for (i = 0; i < l->r.n_addr; i++)
		unindex_addr(lp, &l->r.addr[i], l);
	keyidx_del(&lp->by_key, l->r.key, KEY_LEN, l);
	TAILQ_REMOVE(&lp->leases, l, entry);
	lp->n--;
	free(l);
}

size_t
lease_pool_prune(struct lease_pool *lp, int64_t now,
    void (*gone)(struct gw_lease *, void *), void *arg)
{
	struct gw_lease	*l, *next;
	size_t		 n = 0;

	for (l = TAILQ_FIRST(&lp->leases); l != NULL; l = next) {
		next = TAILQ_NEXT(l, entry);
		if (lease_active(l, now))
			continue;
		if (gone != NULL)
			gone(l, arg);
		lease_pool_del(lp, l);
		n++;
	}
	return n;
}

size_t
lease_pool_active_count(const struct lease_pool *lp, int64_t now)
{
	const struct gw_lease	*l;
	size_t			 n = 0;

	TAILQ_FOREACH(l, &lp->leases, entry)
		if (lease_active(l, now))
			n++;
	return n;
}

uint64_t
lease_pool_free_count(const struct lease_pool *lp, int64_t now)
{
	const struct gw_lease	*l;
	u128			 total = 0, used = 0, first, last, n;
	size_t			 i, j;

	for (i = 0; i < lp->n_pool; i++) {
		usable_range(&lp->pool[i], &first, &last);
		n = last - first;
		/* The whole of an IPv6 /0 does not fit: cap, do not wrap. */
		total = n == ~(u128)0 || total + n + 1 < total ? ~(u128)0 :
		    total + n + 1;
		for (j = 0; j < lp->n_own; j++)
			if (usable_in(&lp->pool[i], &lp->own[j]))
				used++;
	}
	TAILQ_FOREACH(l, &lp->leases, entry)
		if (lease_active(l, now))
			for (j = 0; j < l->r.n_addr; j++)
				if (addr_ok(lp, &l->r.addr[j]))
					used++;
	total = total > used ? total - used : 0;
	return total > UINT64_MAX ? UINT64_MAX : (uint64_t)total;
}
