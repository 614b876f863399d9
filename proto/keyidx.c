/* SPDX-License-Identifier: ISC */
/*
 * An open hash with linear probing, at most half full, from short byte
 * strings to pointers.  ipcpd finds a peer by the public key of every
 * handshake and by name on every reload and control request, and the
 * config parser looks for duplicate names, keys and interfaces: with a
 * list, each of those is a scan of every peer, and a gateway of a
 * thousand clients does a million comparisons per reload.
 *
 * Keys are copied into the table, so the owner of an entry may change
 * its key in place as long as it removes the old key first and adds the
 * new one after (a peer re-keyed or renamed by a reload).  The same key
 * may be added twice: a reload that swaps two names is applied one peer
 * at a time, and for a moment both have the same one; a lookup then
 * finds either.  Removal names the value too, so it takes the right one.
 *
 * The hash is SipHash under a key drawn once per process: a handshake
 * makes us look up a public key of the sender's choosing, and no sender
 * should be able to aim at one long probe sequence.  Removal shifts the
 * entries after the hole back (Knuth's Algorithm R), so there are no
 * tombstones and lookups never slow down with churn.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keyidx.h"

#define KEYIDX_MIN_CAP	16

static uint8_t	hash_key[crypto_shorthash_KEYBYTES];
static int	hash_key_set;

static uint64_t
keyidx_hash(const void *key, size_t len)
{
	uint64_t	h;

	if (!hash_key_set) {
		randombytes_buf(hash_key, sizeof(hash_key));
		hash_key_set = 1;
	}
	crypto_shorthash((unsigned char *)&h, key, len, hash_key);
	return h;
}

static int
slot_is(const struct keyidx_slot *s, uint64_t h, const void *key, size_t len)
{
	return s->hash == h && s->len == len && memcmp(s->key, key, len) == 0;
}

/* Into a table known to have room: no allocation, no failure. */
static void
place(struct keyidx_slot *slot, size_t cap, const struct keyidx_slot *e)
{
	size_t	i, mask = cap - 1;

	for (i = e->hash & mask; slot[i].val != NULL; i = (i + 1) & mask)
		;
	slot[i] = *e;
}

static int
grow(struct keyidx *ki)
{
	struct keyidx_slot	*ns;
	size_t			 ncap, i;

	ncap = ki->cap == 0 ? KEYIDX_MIN_CAP : ki->cap * 2;
	if (ncap < ki->cap || (ns = calloc(ncap, sizeof(*ns))) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < ki->cap; i++)
		if (ki->slot[i].val != NULL)
			place(ns, ncap, &ki->slot[i]);
	free(ki->slot);
	ki->slot = ns;
	ki->cap = ncap;
	return 0;
}

int
keyidx_add(struct keyidx *ki, const void *key, size_t len, void *val)
{
	struct keyidx_slot	e;

	if (val == NULL || len > KEYIDX_KEY_MAX) {
		errno = EINVAL;
		return -1;
	}
	/* At most half full keeps the probe sequences short. */
	if ((ki->n + 1) * 2 > ki->cap && grow(ki) == -1)
		return -1;
	memset(&e, 0, sizeof(e));
	e.val = val;
	e.hash = keyidx_hash(key, len);
	e.len = len;
	memcpy(e.key, key, len);
	place(ki->slot, ki->cap, &e);
	ki->n++;
	return 0;
}

void *
keyidx_get(const struct keyidx *ki, const void *key, size_t len)
{
	uint64_t	h;
	size_t		i, mask;

	if (ki->n == 0 || len > KEYIDX_KEY_MAX)
		return NULL;
	h = keyidx_hash(key, len);
	mask = ki->cap - 1;
	for (i = h & mask; ki->slot[i].val != NULL; i = (i + 1) & mask)
		if (slot_is(&ki->slot[i], h, key, len))
			return ki->slot[i].val;
	return NULL;
}

int
keyidx_del(struct keyidx *ki, const void *key, size_t len, const void *val)
{
	uint64_t	h;
	size_t		i, j, home, mask;

	if (ki->n == 0 || len > KEYIDX_KEY_MAX) {
		errno = ENOENT;
		return -1;
	}
	h = keyidx_hash(key, len);
	mask = ki->cap - 1;
	for (i = h & mask; ki->slot[i].val != NULL; i = (i + 1) & mask)
		if (ki->slot[i].val == val && slot_is(&ki->slot[i], h, key, len))
			break;
	if (ki->slot[i].val == NULL) {
		errno = ENOENT;
		return -1;
	}
	/*
	 * Close the hole at i: an entry further on moves back into it
	 * unless its home slot lies cyclically in (i, j], where a lookup
	 * starting at home would no longer pass the hole to reach it.
	 */
	for (j = i;;) {
		j = (j + 1) & mask;
		if (ki->slot[j].val == NULL)
			break;
		home = ki->slot[j].hash & mask;
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		ki->slot[i] = ki->slot[j];
		i = j;
	}
	memset(&ki->slot[i], 0, sizeof(ki->slot[i]));
	ki->n--;
	return 0;
}

void
keyidx_free(struct keyidx *ki)
{
	free(ki->slot);
	memset(ki, 0, sizeof(*ki));
}
