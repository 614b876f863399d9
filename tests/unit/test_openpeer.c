/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for ctld/openpeer.c: an open peer's name comes from its key,
 * fits "ipcp-" in IFNAMSIZ, and moves to another part of the hash when a
 * peer has that name or interface; one key is one peer; max-clients
 * counts open peers only; an open peer without a session goes after
 * lease-time and not before, one with a session never (openpeer_sweep
 * takes the time as an argument, so no test waits 30 s); a reload that
 * takes the passcode away or changes it removes every open peer, one
 * that lists an open peer's key, name or interface removes that one, and
 * a shorter lease-time shortens the wait.  peer_add and peer_remove are
 * stand-ins over the real index (peertab.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "ipcpd.h"

struct ipcpd	*ipcpd;

static struct ipcpd	 daemon_state;
static struct config	*conf;
static size_t		 n_removed;

struct peer *
peer_add(const struct peer_conf *pc)
{
	struct peer	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->conf = *pc;
	if (peertab_add(p) == -1) {
		free(p);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&ipcpd->peers, p, entry);
	ipcpd->n_peers++;
	return p;
}

void
peer_remove(struct peer *p, const char *reason)
{
	openpeer_removed(p);
	TAILQ_REMOVE(&ipcpd->peers, p, entry);
	peertab_del(p);
	ipcpd->n_peers--;
	free(p);
	n_removed++;
}

/* A [peer] of the config, and its peer. */
static struct peer *
listed(const char *name, const char *ifname)
{
	struct peer_conf	*pc;

	pc = calloc(1, sizeof(*pc));
	assert_non_null(pc);
	snprintf(pc->name, sizeof(pc->name), "%s", name);
	snprintf(pc->ifname, sizeof(pc->ifname), "%s", ifname != NULL ?
	    ifname : "ipcp-x");
	if (ifname == NULL)
		snprintf(pc->ifname, sizeof(pc->ifname), "ipcp-%.10s", name);
	randombytes_buf(pc->pubkey, KEY_LEN);
	TAILQ_INSERT_TAIL(&conf->peers, pc, entry);
	conf->n_peers++;
	return peer_add(pc);
}

static struct config *
new_conf(void)
{
	struct config	*c;

	c = calloc(1, sizeof(*c));
	assert_non_null(c);
	TAILQ_INIT(&c->peers);
	c->gw.enabled = 1;
	c->gw.has_passcode = 1;
	randombytes_buf(c->gw.passcode, KEY_LEN);
	c->gw.lease_time = 30;
	c->gw.max_clients = 3;
	return c;
}

static void
free_conf(struct config *c)
{
	struct peer_conf	*pc;

	while ((pc = TAILQ_FIRST(&c->peers)) != NULL) {
		TAILQ_REMOVE(&c->peers, pc, entry);
		free(pc);
	}
	free(c);
}

static int
setup(void **state)
{
	memset(&daemon_state, 0, sizeof(daemon_state));
	ipcpd = &daemon_state;
	ipcpd->loop = uv_default_loop();
	TAILQ_INIT(&ipcpd->peers);
	conf = new_conf();
	ipcpd->conf = conf;
	n_removed = 0;
	return 0;
}

static int
teardown(void **state)
{
	struct peer	*p;

	while ((p = TAILQ_FIRST(&ipcpd->peers)) != NULL)
		peer_remove(p, "teardown");
	assert_int_equal(openpeer_count(), 0);
	peertab_free();
	free_conf(conf);
	return 0;
}

static struct peer *
open_one(void)
{
	uint8_t		 key[KEY_LEN];
	struct peer	*p;

	randombytes_buf(key, sizeof(key));
	p = openpeer_add(key, NULL);
	assert_non_null(p);
	return p;
}

static void
test_name(void **state)
{
	uint8_t		 key[KEY_LEN];
	char		 a[CONFIG_NAME_MAX + 1], b[CONFIG_NAME_MAX + 1];
	struct peer	*p;
	size_t		 i;

	randombytes_buf(key, sizeof(key));
	openpeer_name(key, 0, a);
	openpeer_name(key, 0, b);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 10);
	assert_memory_equal(a, "c-", 2);
	for (i = 2; i < 10; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	openpeer_name(key, 1, b);
	assert_string_not_equal(a, b);

	p = openpeer_add(key, NULL);
	assert_non_null(p);
	assert_string_equal(p->conf.name, a);
	assert_string_equal(p->conf.ifname + 5, a);
	assert_memory_equal(p->conf.ifname, "ipcp-", 5);
	assert_true(strlen(p->conf.ifname) < IFNAMSIZ);
	assert_true(p->conf.open);
	assert_true(p->conf.has_psk);
	assert_memory_equal(p->conf.psk, conf->gw.passcode, KEY_LEN);
	assert_int_equal(p->conf.n_allowed, 0);
	assert_false(p->conf.has_endpoint);
	assert_int_equal(p->conf.max_routes, OPENPEER_MAX_ROUTES);
	assert_ptr_equal(peer_by_key(key), p);
	/* One peer per key. */
	assert_null(openpeer_add(key, NULL));
	assert_int_equal(openpeer_count(), 1);
}

static void
test_collision(void **state)
{
	uint8_t		 key[KEY_LEN];
	char		 n[8][CONFIG_NAME_MAX + 1], ifname[IFNAMSIZ];
	struct peer	*p;
	unsigned	 i;

	randombytes_buf(key, sizeof(key));
	for (i = 0; i < 8; i++)
		openpeer_name(key, i, n[i]);
	/* Its name is a [peer]'s; the next one is another's interface. */
	assert_non_null(listed(n[0], NULL));
	snprintf(ifname, sizeof(ifname), "ipcp-%.10s", n[1]);
	assert_non_null(listed("lan", ifname));
	p = openpeer_add(key, NULL);
	assert_non_null(p);
	assert_string_equal(p->conf.name, n[2]);
	peer_remove(p, "test");
	/* Every part of the hash taken: none. */
	for (i = 2; i < 8; i++)
		assert_non_null(listed(n[i], NULL));
	assert_null(openpeer_add(key, NULL));
	/* A restart's name is taken as it is, if it is free. */
	assert_null(openpeer_add(key, n[3]));
	p = openpeer_add(key, "c-00000000");
	assert_non_null(p);
	assert_string_equal(p->conf.ifname, "ipcp-c-00000000");
}

static void
test_full(void **state)
{
	struct peer	*p;

	conf->gw.max_clients = 2;
	assert_non_null(listed("alpha", NULL));
	assert_false(openpeer_full());
	p = open_one();
	assert_false(openpeer_full());
	open_one();
	assert_true(openpeer_full());
	peer_remove(p, "test");
	assert_false(openpeer_full());
	assert_int_equal(openpeer_count(), 1);
}

static void
test_sweep(void **state)
{
	struct peer	*idle, *up, *list;
	uint64_t	 t0 = 1000000, lease = 30000;
	char		 name[CONFIG_NAME_MAX + 1];

	list = listed("alpha", NULL);
	idle = open_one();
	up = open_one();
	snprintf(name, sizeof(name), "%s", idle->conf.name);
	/* Not dereferenced: a session, as far as the sweep cares. */
	up->fwd = (struct fwdproc *)1;
	assert_int_equal(openpeer_sweep(t0), lease);
	assert_int_equal(idle->open_until_ms, t0 + lease);
	assert_int_equal(up->open_until_ms, 0);
	assert_int_equal(openpeer_sweep(t0 + lease - 1), 1);
	assert_int_equal(n_removed, 0);
	assert_int_equal(openpeer_sweep(t0 + lease), 0);
	assert_int_equal(n_removed, 1);
	assert_null(peer_by_name(name));
	assert_int_equal(openpeer_count(), 1);
	/* The one with a session and the listed one stay, however late. */
	assert_int_equal(openpeer_sweep(t0 + 100 * lease), 0);
	assert_int_equal(n_removed, 1);
	assert_ptr_equal(peer_by_name("alpha"), list);
	/* Its session ends: lease-time from then. */
	up->fwd = NULL;
	openpeer_session_end(up);
	assert_true(up->open_until_ms >= now_ms() + lease - 1000);
	assert_true(up->open_until_ms <= now_ms() + lease);
	assert_int_not_equal(openpeer_sweep(now_ms()), 0);
	assert_int_equal(n_removed, 1);
	/* A listed peer's session end starts nothing. */
	openpeer_session_end(list);
	assert_int_equal(list->open_until_ms, 0);
}

static void
test_reconf(void **state)
{
	struct config		*old = conf, *new;
	struct peer		*a, *b, *c, *d, *l;
	struct peer_conf	*pc;
	uint8_t			 key_b[KEY_LEN];
	char			 name_c[CONFIG_NAME_MAX + 1];
	char			 ifname_d[IFNAMSIZ];

	conf->gw.max_clients = 10;
	l = listed("alpha", NULL);
	a = open_one();
	b = open_one();
	c = open_one();
	d = open_one();
	memcpy(key_b, b->conf.pubkey, KEY_LEN);
	snprintf(name_c, sizeof(name_c), "%s", c->conf.name);
	snprintf(ifname_d, sizeof(ifname_d), "%s", d->conf.ifname);

	/*
	 * The same passcode, and [peer]s that take b's key, c's name, d's
	 * interface: those three go, a stays, and so does alpha.
	 */
	new = new_conf();
	memcpy(new->gw.passcode, old->gw.passcode, KEY_LEN);
	TAILQ_FOREACH(pc, &old->peers, entry) {
		struct peer_conf *copy = malloc(sizeof(*copy));

		*copy = *pc;
		TAILQ_INSERT_TAIL(&new->peers, copy, entry);
	}
	pc = calloc(1, sizeof(*pc));
	strcpy(pc->name, "bee");
	strcpy(pc->ifname, "ipcp-bee");
	memcpy(pc->pubkey, key_b, KEY_LEN);
	TAILQ_INSERT_TAIL(&new->peers, pc, entry);
	pc = calloc(1, sizeof(*pc));
	strcpy(pc->name, name_c);
	strcpy(pc->ifname, "ipcp-sea");
	randombytes_buf(pc->pubkey, KEY_LEN);
	TAILQ_INSERT_TAIL(&new->peers, pc, entry);
	pc = calloc(1, sizeof(*pc));
	strcpy(pc->name, "dee");
	strcpy(pc->ifname, ifname_d);
	randombytes_buf(pc->pubkey, KEY_LEN);
	TAILQ_INSERT_TAIL(&new->peers, pc, entry);
	/* A shorter lease-time: the idle one's wait is shortened. */
	new->gw.lease_time = 10;
	a->open_until_ms = now_ms() + 30000;
	ipcpd->conf = conf = new;
	openpeer_reconf(old);
	free_conf(old);
	assert_int_equal(n_removed, 3);
	assert_null(peer_by_key(key_b));
	assert_null(peer_by_name(name_c));
	assert_ptr_equal(peer_by_name("alpha"), l);
	assert_int_equal(openpeer_count(), 1);
	assert_true(a->open_until_ms <= now_ms() + 10000);

	/* The passcode changed: every open peer goes, listed ones stay. */
	old = conf;
	new = new_conf();
	randombytes_buf(new->gw.passcode, KEY_LEN);
	ipcpd->conf = conf = new;
	openpeer_reconf(old);
	assert_int_equal(n_removed, 4);
	assert_int_equal(openpeer_count(), 0);
	assert_ptr_equal(peer_by_name("alpha"), l);

	/* The passcode gone: the same. */
	open_one();
	open_one();
	new = new_conf();
	new->gw.has_passcode = 0;
	memset(new->gw.passcode, 0, KEY_LEN);
	ipcpd->conf = new;
	openpeer_reconf(conf);
	free_conf(old);
	free_conf(conf);
	conf = new;
	assert_int_equal(n_removed, 6);
	assert_int_equal(openpeer_count(), 0);
	assert_ptr_equal(peer_by_name("alpha"), l);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_name),
		T(test_collision),
		T(test_full),
		T(test_sweep),
		T(test_reconf),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
