/* SPDX-License-Identifier: ISC */
/*
 * An index from short byte strings (public keys, peer names, interface
 * names) to pointers: the lookups that must not scan every peer once a
 * gateway has a thousand of them.  See keyidx.c.
 */
#ifndef IPCP_KEYIDX_H
#define IPCP_KEYIDX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The longest key: a public key (32) or a name (32) fits. */
#define KEYIDX_KEY_MAX	48

struct keyidx_slot {
	void		*val;		/* NULL: the slot is free */
	uint64_t	 hash;
	uint8_t		 len;
	uint8_t		 key[KEYIDX_KEY_MAX];
};

/* All zero is an empty index; keyidx_free() empties it again. */
struct keyidx {
	struct keyidx_slot	*slot;
	size_t			 cap;	/* a power of two, or 0 */
	size_t			 n;
};

/* -1 with EINVAL (no value, key too long) or ENOMEM. */
int	 keyidx_add(struct keyidx *, const void *key, size_t len, void *val);
/* The value of one entry with this key, or NULL. */
void	*keyidx_get(const struct keyidx *, const void *key, size_t len);
/* Removes the entry (key, val); -1 with ENOENT when there is none. */
int	 keyidx_del(struct keyidx *, const void *key, size_t len,
	    const void *val);
void	 keyidx_free(struct keyidx *);

/* The same for NUL-terminated names. */
static inline int
keyidx_add_str(struct keyidx *ki, const char *s, void *val)
{
	return keyidx_add(ki, s, strlen(s), val);
}

static inline void *
keyidx_get_str(const struct keyidx *ki, const char *s)
{
	return keyidx_get(ki, s, strlen(s));
}

static inline int
keyidx_del_str(struct keyidx *ki, const char *s, const void *val)
{
	return keyidx_del(ki, s, strlen(s), val);
}

#endif
