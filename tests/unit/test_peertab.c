/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for ctld/peertab.c: a peer is found by its public key and
 * its name once added and not after it is removed; a reload that renames
 * it, re-keys it, moves it to or from the legacy wire, or swaps the keys
 * of two peers moves it in the index (peertab_set_conf); a legacy peer is
 * never found by key.  Checked on 3000 peers against a linear search.
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

#define NPEERS	3000

static struct peer	peers[NPEERS];
static int		live[NPEERS];

static void
conf_init(struct peer_conf *pc, size_t i)
{
	memset(pc, 0, sizeof(*pc));
	snprintf(pc->name, sizeof(pc->name), "peer%zu", i);
	snprintf(pc->ifname, sizeof(pc->ifname), "ipcp-peer%zu", i);
	randombytes_buf(pc->pubkey, KEY_LEN);
	pc->wire = CONFIG_WIRE_IPCP;
}

/* What the old peer_by_key did: the first keyed peer with that key. */
static struct peer *
linear_by_key(const uint8_t key[KEY_LEN])
{
	size_t	i;

	for (i = 0; i < NPEERS; i++)
		if (live[i] && peers[i].conf.wire != CONFIG_WIRE_LEGACY &&
		    memcmp(peers[i].conf.pubkey, key, KEY_LEN) == 0)
			return &peers[i];
	return NULL;
}

static void
check_all(void)
{
	size_t	i;

	for (i = 0; i < NPEERS; i++) {
		struct peer	*p = &peers[i];

		assert_ptr_equal(peer_by_key(p->conf.pubkey),
		    linear_by_key(p->conf.pubkey));
		assert_ptr_equal(peer_by_name(p->conf.name),
		    live[i] ? p : NULL);
	}
}

static int
setup(void **state)
{
	size_t	i;

	for (i = 0; i < NPEERS; i++) {
		memset(&peers[i], 0, sizeof(peers[i]));
		conf_init(&peers[i].conf, i);
		live[i] = 0;
	}
	return 0;
}

static int
teardown(void **state)
{
	size_t	i;

	for (i = 0; i < NPEERS; i++)
		if (live[i])
			peertab_del(&peers[i]);
	peertab_free();
	return 0;
}

static void
test_add_remove(void **state)
{
	size_t	i;
	uint8_t	other[KEY_LEN];

	for (i = 0; i < NPEERS; i++) {
		assert_int_equal(peertab_add(&peers[i]), 0);
		live[i] = 1;
	}
	check_all();
	randombytes_buf(other, sizeof(other));
	assert_null(peer_by_key(other));
	assert_null(peer_by_name("nobody"));
	/* Every third one goes, as a reload deleting peers would. */
	for (i = 0; i < NPEERS; i += 3) {
		peertab_del(&peers[i]);
		live[i] = 0;
	}
	check_all();
	for (i = 0; i < NPEERS; i += 3) {
		assert_int_equal(peertab_add(&peers[i]), 0);
		live[i] = 1;
	}
	check_all();
}

static void
test_reload(void **state)
{
	struct peer_conf	pc;
	uint8_t			old[KEY_LEN];
	char			oldname[sizeof(pc.name)];
	size_t			i;

	for (i = 0; i < NPEERS; i++) {
		assert_int_equal(peertab_add(&peers[i]), 0);
		live[i] = 1;
	}
	/* Re-keyed: found by the new key only. */
	memcpy(old, peers[5].conf.pubkey, KEY_LEN);
	pc = peers[5].conf;
	randombytes_buf(pc.pubkey, KEY_LEN);
	peertab_set_conf(&peers[5], &pc);
	assert_null(peer_by_key(old));
	assert_ptr_equal(peer_by_key(pc.pubkey), &peers[5]);
	assert_ptr_equal(peer_by_name("peer5"), &peers[5]);

	/* Renamed: found by the new name only, and by its key still. */
	strcpy(oldname, peers[6].conf.name);
	pc = peers[6].conf;
	strcpy(pc.name, "renamed");
	peertab_set_conf(&peers[6], &pc);
	assert_null(peer_by_name(oldname));
	assert_ptr_equal(peer_by_name("renamed"), &peers[6]);
	assert_ptr_equal(peer_by_key(pc.pubkey), &peers[6]);
	pc = peers[6].conf;
	strcpy(pc.name, oldname);
	peertab_set_conf(&peers[6], &pc);

	/* To the legacy wire: no handshake may find it by key. */
	pc = peers[7].conf;
	pc.wire = CONFIG_WIRE_LEGACY;
	peertab_set_conf(&peers[7], &pc);
	assert_null(peer_by_key(pc.pubkey));
	assert_ptr_equal(peer_by_name("peer7"), &peers[7]);
	pc.wire = CONFIG_WIRE_IPCP;
	peertab_set_conf(&peers[7], &pc);
	assert_ptr_equal(peer_by_key(pc.pubkey), &peers[7]);

	/*
	 * Two peers swap keys, one at a time as reload.c applies them: in
	 * between both have the same key, and after it each is found by
	 * its new one.
	 */
	memcpy(old, peers[8].conf.pubkey, KEY_LEN);
	pc = peers[8].conf;
	memcpy(pc.pubkey, peers[9].conf.pubkey, KEY_LEN);
	peertab_set_conf(&peers[8], &pc);
	pc = peers[9].conf;
	memcpy(pc.pubkey, old, KEY_LEN);
	peertab_set_conf(&peers[9], &pc);
	assert_ptr_equal(peer_by_key(peers[8].conf.pubkey), &peers[8]);
	assert_ptr_equal(peer_by_key(peers[9].conf.pubkey), &peers[9]);

	/* Unchanged identity: the copy is refreshed, the index untouched. */
	pc = peers[10].conf;
	pc.mtu = 1300;
	peertab_set_conf(&peers[10], &pc);
	assert_int_equal(peers[10].conf.mtu, 1300);
	check_all();

	/* Gone: found by neither. */
	peertab_del(&peers[8]);
	live[8] = 0;
	assert_null(peer_by_key(peers[8].conf.pubkey));
	assert_null(peer_by_name("peer8"));
	check_all();
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_add_remove),
		T(test_reload),
	};

	if (sodium_init() == -1)
		return 1;
	log_init(1, 0, LOG_DAEMON);
	return cmocka_run_group_tests_name("peertab", tests, NULL, NULL);
}
