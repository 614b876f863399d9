/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for ctld/lease_pool.c: addresses go lowest first; the
 * network and broadcast addresses of an IPv4 pool, the all-zeroes one of
 * an IPv6 pool and the node's own addresses are never leased; a key gets
 * its lease back (sticky) until it expires, and after that its address
 * may go to another key; one address per family, from the first pool
 * prefix of the family with room; exhaustion per family and of the
 * whole pool; max-clients; leases from the file that do not fit; free
 * counts; an IPv6 /112.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lease.h"

static struct prefix
P(const char *s)
{
	struct prefix	p;

	assert_int_equal(prefix_parse(s, &p), 0);
	return p;
}

static void
key_of(uint8_t k[KEY_LEN], unsigned n)
{
	memset(k, 0, KEY_LEN);
	k[0] = n & 0xff;
	k[1] = n >> 8;
	k[31] = 0x5a;
}

/* The lease's address of the family, as text without the length. */
static const char *
addr_of(const struct gw_lease *l, int family)
{
	static char	buf[PREFIX_STRLEN];
	size_t		i;

	for (i = 0; i < l->r.n_addr; i++)
		if (l->r.addr[i].family == family) {
			prefix_format(&l->r.addr[i], buf);
			buf[strcspn(buf, "/")] = '\0';
			return buf;
		}
	return "none";
}

static struct lease_pool *
pool_of(const char *const *pfx, size_t n, const char *const *own,
    size_t n_own, unsigned max)
{
	struct lease_pool	*lp;
	struct prefix		 pp[8], op[8];
	size_t			 i;

	for (i = 0; i < n; i++)
		pp[i] = P(pfx[i]);
	for (i = 0; i < n_own; i++)
		op[i] = P(own[i]);
	assert_non_null(lp = lease_pool_new());
	assert_int_equal(lease_pool_config(lp, pp, n, op, n_own, max), 0);
	return lp;
}

static struct gw_lease *
get(struct lease_pool *lp, unsigned k, int64_t now)
{
	uint8_t	key[KEY_LEN];

	key_of(key, k);
	return lease_pool_get(lp, key, now);
}

static void
test_order_and_exclusions(void **state)
{
	const char *const	 pool[] = { "10.99.0.0/24" };
	const char *const	 own[] = { "10.99.0.1/32", "10.99.0.3/32" };
	struct lease_pool	*lp = pool_of(pool, 1, own, 2, 0);
	struct gw_lease		*l;
	char			 want[32];
	unsigned		 i;

	/* Not .0 (network), not .1 and .3 (ours): .2, then .4 on. */
	assert_non_null(l = get(lp, 1, 100));
	assert_string_equal(addr_of(l, AF_INET), "10.99.0.2");
	assert_int_equal(l->r.n_addr, 1);
	for (i = 2; i <= 252; i++) {
		assert_non_null(l = get(lp, i, 100));
		snprintf(want, sizeof(want), "10.99.0.%u", i + 2);
		assert_string_equal(addr_of(l, AF_INET), want);
	}
	/* .254 is the last; .255 is the broadcast address. */
	assert_string_equal(addr_of(l, AF_INET), "10.99.0.254");
	assert_null(get(lp, 999, 100));
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(lease_pool_free_count(lp, 100), 0);
	lease_pool_free(lp);
}

static void
test_sticky_and_expiry(void **state)
{
	const char *const	 pool[] = { "10.99.0.0/29" };
	const char *const	 own[] = { "10.99.0.1/32" };
	struct lease_pool	*lp = pool_of(pool, 1, own, 1, 0);
	struct gw_lease		*a, *b, *c;
	uint8_t			 key[KEY_LEN];

	/* Usable: .1 to .6, less ours: 5. */
	assert_int_equal(lease_pool_free_count(lp, 0), 5);
	assert_non_null(a = get(lp, 1, 100));
	assert_non_null(b = get(lp, 2, 100));
	assert_string_equal(addr_of(a, AF_INET), "10.99.0.2");
	assert_string_equal(addr_of(b, AF_INET), "10.99.0.3");
	a->connected = 1;
	/* The same key, the same lease, as often as it asks. */
	assert_ptr_equal(get(lp, 1, 200), a);
	assert_ptr_equal(get(lp, 1, 300), a);
	key_of(key, 1);
	assert_ptr_equal(lease_pool_find(lp, key), a);
	assert_int_equal(lease_pool_active_count(lp, 100), 2);
	assert_int_equal(lease_pool_free_count(lp, 100), 3);

	/* a's session ends: it holds until 1000, then runs out. */
	a->connected = 0;
	a->r.expires = 1000;
	b->connected = 1;
	assert_int_equal(lease_pool_prune(lp, 999, NULL, NULL), 0);
	assert_ptr_equal(get(lp, 1, 999), a);
	assert_int_equal(lease_active(a, 1000), 0);
	assert_int_equal(lease_pool_active_count(lp, 1000), 1);
	assert_int_equal(lease_pool_prune(lp, 1000, NULL, NULL), 1);
	assert_null(lease_pool_find(lp, key));
	/* Its address is free again: the lowest, so the next key's. */
	assert_non_null(c = get(lp, 3, 1000));
	assert_string_equal(addr_of(c, AF_INET), "10.99.0.2");
	/* The old key comes back to a new address. */
	assert_non_null(a = get(lp, 1, 1000));
	assert_string_equal(addr_of(a, AF_INET), "10.99.0.4");
	lease_pool_free(lp);
}

static void
gone_count(struct gw_lease *l, void *arg)
{
	(*(int *)arg)++;
}

static void
test_families(void **state)
{
	const char *const	 pool[] = { "10.99.0.0/30", "10.98.0.0/30",
	    "fd99::/126" };
	const char *const	 own[] = { "10.99.0.1/32", "fd99::1/128" };
	struct lease_pool	*lp = pool_of(pool, 3, own, 2, 0);
	struct gw_lease		*l;
	int			 gone = 0;

	/* 10.99.0.0/30 has .1 (ours) and .2; then 10.98.0.0/30. */
	assert_non_null(l = get(lp, 1, 0));
	assert_int_equal(l->r.n_addr, 2);
	assert_string_equal(addr_of(l, AF_INET), "10.99.0.2");
	assert_string_equal(addr_of(l, AF_INET6), "fd99::2");
	assert_non_null(l = get(lp, 2, 0));
	assert_string_equal(addr_of(l, AF_INET), "10.98.0.1");
	assert_string_equal(addr_of(l, AF_INET6), "fd99::3");
	/* IPv6 is out: IPv4 only from here. */
	assert_non_null(l = get(lp, 3, 0));
	assert_int_equal(l->r.n_addr, 1);
	assert_string_equal(addr_of(l, AF_INET), "10.98.0.2");
	assert_string_equal(addr_of(l, AF_INET6), "none");
	/* Both out: no lease, and the others are untouched. */
	assert_null(get(lp, 4, 0));
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(lp->n, 3);
	assert_int_equal(lease_pool_free_count(lp, 0), 0);
	/* Their sessions end, and 0 is not after 0: all pruned, all told. */
	TAILQ_FOREACH(l, &lp->leases, entry)
		l->connected = 0;
	assert_int_equal(lease_pool_prune(lp, 0, gone_count, &gone), 3);
	assert_int_equal(gone, 3);
	assert_int_equal(lease_pool_free_count(lp, 0), 5);
	lease_pool_free(lp);
}

static void
test_ipv6_112(void **state)
{
	const char *const	 pool[] = { "fd99::/112" };
	const char *const	 own[] = { "fd99::1/128" };
	struct lease_pool	*lp = pool_of(pool, 1, own, 1, 0);
	struct gw_lease		*l;
	char			 want[64];
	unsigned		 i;

	/* 65535 usable (no ::0), less ours. */
	assert_int_equal(lease_pool_free_count(lp, 0), 65534);
	for (i = 0; i < 300; i++) {
		assert_non_null(l = get(lp, i, 0));
		l->connected = 1;
		snprintf(want, sizeof(want), "fd99::%x", i + 2);
		assert_string_equal(addr_of(l, AF_INET6), want);
	}
	assert_int_equal(lease_pool_free_count(lp, 0), 65534 - 300);
	/* The last address, all ones, is a host in IPv6. */
	lease_pool_free(lp);
	{
		const char *const	pool2[] = { "fd99::fffc/126" };

		lp = pool_of(pool2, 1, NULL, 0, 0);
		assert_non_null(get(lp, 1, 0));
		assert_non_null(get(lp, 2, 0));
		assert_non_null(l = get(lp, 3, 0));
		assert_string_equal(addr_of(l, AF_INET6), "fd99::ffff");
		lease_pool_free(lp);
	}
}

static void
test_max_clients(void **state)
{
	const char *const	 pool[] = { "10.99.0.0/24" };
	struct lease_pool	*lp = pool_of(pool, 1, NULL, 0, 2);
	struct gw_lease		*a, *b;

	assert_non_null(a = get(lp, 1, 0));
	a->connected = 1;
	assert_non_null(b = get(lp, 2, 0));
	b->connected = 1;
	assert_null(get(lp, 3, 0));
	assert_int_equal(errno, EUSERS);
	/* One that holds a lease still gets it. */
	assert_ptr_equal(get(lp, 1, 0), a);
	/* a ran out: room for one more. */
	a->connected = 0;
	a->r.expires = 5;
	lease_pool_prune(lp, 10, NULL, NULL);
	assert_non_null(get(lp, 3, 10));
	lease_pool_free(lp);
}

static void
test_restore(void **state)
{
	const char *const	 pool[] = { "10.99.0.0/24", "fd99::/112" };
	const char *const	 own[] = { "10.99.0.1/32" };
	struct lease_pool	*lp = pool_of(pool, 2, own, 1, 0);
	struct lease_rec	 r;
	struct gw_lease		*l;

	memset(&r, 0, sizeof(r));
	key_of(r.key, 1);
	r.addr[0] = P("10.99.0.7");
	r.addr[1] = P("fd99::7");
	r.n_addr = 2;
	r.expires = 500;
	assert_non_null(l = lease_pool_restore(lp, &r));
	assert_int_equal(l->r.expires, 500);
	/* The same key again, the same address for another key. */
	assert_null(lease_pool_restore(lp, &r));
	assert_int_equal(errno, EINVAL);
	key_of(r.key, 2);
	assert_null(lease_pool_restore(lp, &r));
	/* Ours, the network address, outside the pool. */
	r.n_addr = 1;
	r.addr[0] = P("10.99.0.1");
	assert_null(lease_pool_restore(lp, &r));
	r.addr[0] = P("10.99.0.0");
	assert_null(lease_pool_restore(lp, &r));
	r.addr[0] = P("10.98.0.5");
	assert_null(lease_pool_restore(lp, &r));
	r.addr[0] = P("10.99.0.2");
	assert_non_null(lease_pool_restore(lp, &r));
	/* Sticky from the file; and the next new key skips both. */
	key_of(r.key, 1);
	assert_ptr_equal(get(lp, 1, 0), l);
	assert_non_null(l = get(lp, 3, 0));
	assert_string_equal(addr_of(l, AF_INET), "10.99.0.3");
	/* The pool shrank: the lease at .7 no longer fits. */
	{
		struct prefix	np[2] = { P("10.99.0.0/29"), P("fd99::/112") };
		struct prefix	no = P("10.99.0.1");

		assert_int_equal(lease_pool_config(lp, np, 2, &no, 1, 0), 0);
		assert_false(lease_pool_fits(lp, lease_pool_find(lp, r.key)));
		assert_true(lease_pool_fits(lp, l));
	}
	lease_pool_free(lp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_exclusions),
		cmocka_unit_test(test_sticky_and_expiry),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_ipv6_112),
		cmocka_unit_test(test_max_clients),
		cmocka_unit_test(test_restore),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
