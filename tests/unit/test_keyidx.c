/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for proto/keyidx.c, the hash index of peers by key and by
 * name: every entry found after any mix of adds and removals (checked
 * against a plain array, with removals that make the table shift
 * entries back over wrapped probe sequences), the same key twice,
 * removal of the right one of two, keys too long, and a table of
 * 20000 entries.
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
#include <sodium.h>

#include "keyidx.h"

#define NKEYS	2000

static uint8_t	keys[NKEYS][32];
static int	vals[NKEYS];
static int	in[NKEYS];

static void
check_all(const struct keyidx *ki)
{
	size_t	i, n = 0;

	for (i = 0; i < NKEYS; i++) {
		if (in[i]) {
			assert_ptr_equal(keyidx_get(ki, keys[i], 32), &vals[i]);
			n++;
		} else
			assert_null(keyidx_get(ki, keys[i], 32));
	}
	assert_int_equal(ki->n, n);
	assert_true(ki->n * 2 <= ki->cap);
}

static void
test_random(void **state)
{
	struct keyidx	ki = { 0 };
	size_t		i, round;

	randombytes_buf(keys, sizeof(keys));
	memset(in, 0, sizeof(in));
	check_all(&ki);
	for (i = 0; i < NKEYS; i++) {
		assert_int_equal(keyidx_add(&ki, keys[i], 32, &vals[i]), 0);
		in[i] = 1;
	}
	check_all(&ki);
	/* Churn: random removals and re-adds, checked every so often. */
	for (round = 0; round < 20000; round++) {
		i = randombytes_uniform(NKEYS);
		if (in[i])
			assert_int_equal(keyidx_del(&ki, keys[i], 32,
			    &vals[i]), 0);
		else
			assert_int_equal(keyidx_add(&ki, keys[i], 32,
			    &vals[i]), 0);
		in[i] = !in[i];
		if (round % 2000 == 0)
			check_all(&ki);
	}
	check_all(&ki);
	for (i = 0; i < NKEYS; i++)
		if (in[i]) {
			assert_int_equal(keyidx_del(&ki, keys[i], 32,
			    &vals[i]), 0);
			in[i] = 0;
		}
	check_all(&ki);
	assert_int_equal(ki.n, 0);
	keyidx_free(&ki);
	assert_null(ki.slot);
}

/*
 * A small table filled to its limit, so probe sequences are long and
 * wrap around the end: whatever is removed, the rest is still found.
 */
static void
test_dense(void **state)
{
	struct keyidx	ki = { 0 };
	size_t		i, j;

	for (j = 0; j < 8; j++) {
		randombytes_buf(keys, 8 * 32);
		for (i = 0; i < 8; i++)
			assert_int_equal(keyidx_add(&ki, keys[i], 32,
			    &vals[i]), 0);
		assert_int_equal(ki.cap, 16);
		/* Out in every order that starts at j. */
		for (i = 0; i < 8; i++) {
			size_t	k = (j + i * 3) % 8, m;

			assert_int_equal(keyidx_del(&ki, keys[k], 32,
			    &vals[k]), 0);
			for (m = 0; m < 8; m++) {
				size_t	was;

				/* m is still in if its turn comes later. */
				for (was = 0; was < 8; was++)
					if ((j + was * 3) % 8 == m)
						break;
				if (was > i)
					assert_ptr_equal(keyidx_get(&ki,
					    keys[m], 32), &vals[m]);
				else
					assert_null(keyidx_get(&ki, keys[m],
					    32));
			}
		}
		assert_int_equal(ki.n, 0);
	}
	keyidx_free(&ki);
}

/* The same key twice (a reload swapping two names, for a moment). */
static void
test_duplicate(void **state)
{
	struct keyidx	 ki = { 0 };
	int		 a, b;
	void		*v;

	assert_int_equal(keyidx_add_str(&ki, "alpha", &a), 0);
	assert_int_equal(keyidx_add_str(&ki, "alpha", &b), 0);
	v = keyidx_get_str(&ki, "alpha");
	assert_true(v == &a || v == &b);
	/* Only the one named goes. */
	assert_int_equal(keyidx_del_str(&ki, "alpha", &a), 0);
	assert_ptr_equal(keyidx_get_str(&ki, "alpha"), &b);
	assert_int_equal(keyidx_del_str(&ki, "alpha", &a), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(keyidx_del_str(&ki, "alpha", &b), 0);
	assert_null(keyidx_get_str(&ki, "alpha"));
	keyidx_free(&ki);
}

/* Keys of different lengths are different keys; prefixes are not hits. */
static void
test_lengths(void **state)
{
	struct keyidx	ki = { 0 };
	int		a, b;
	char		longkey[KEYIDX_KEY_MAX + 1];

	assert_int_equal(keyidx_add_str(&ki, "ipcp-a", &a), 0);
	assert_int_equal(keyidx_add_str(&ki, "ipcp-ab", &b), 0);
	assert_ptr_equal(keyidx_get_str(&ki, "ipcp-a"), &a);
	assert_ptr_equal(keyidx_get_str(&ki, "ipcp-ab"), &b);
	assert_null(keyidx_get_str(&ki, "ipcp-"));
	assert_null(keyidx_get_str(&ki, ""));
	assert_int_equal(keyidx_del_str(&ki, "ipcp-a", &b), -1);
	memset(longkey, 'x', sizeof(longkey));
	assert_int_equal(keyidx_add(&ki, longkey, sizeof(longkey), &a), -1);
	assert_int_equal(errno, EINVAL);
	assert_null(keyidx_get(&ki, longkey, sizeof(longkey)));
	assert_int_equal(keyidx_add(&ki, "x", 1, NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(keyidx_add(&ki, longkey, KEYIDX_KEY_MAX, &a), 0);
	assert_ptr_equal(keyidx_get(&ki, longkey, KEYIDX_KEY_MAX), &a);
	keyidx_free(&ki);
}

/* Many names: the growth path, many times over. */
static void
test_many(void **state)
{
	struct keyidx	 ki = { 0 };
	char		 name[32];
	static int	 v[20000];
	size_t		 i;

	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "p%zu", i);
		assert_int_equal(keyidx_add_str(&ki, name, &v[i]), 0);
	}
	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "p%zu", i);
		assert_ptr_equal(keyidx_get_str(&ki, name), &v[i]);
	}
	assert_null(keyidx_get_str(&ki, "p20000"));
	keyidx_free(&ki);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_dense),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_many),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests_name("keyidx", tests, NULL, NULL);
}
