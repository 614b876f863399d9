/* SPDX-License-Identifier: ISC */
/*
 * The peers by public key and by name.  Every handshake names its peer by
 * key, and reloads and control requests by name; a gateway has a
 * thousand peers, so these are hash lookups (proto/keyidx.c), not scans
 * of ipcpd->peers.  The indexes follow the peers' own copies of their
 * config: peer.c adds a peer here when it is made, removes it when it is
 * unlinked, and changes its config only through peertab_set_conf(), so
 * a reload that renames or re-keys a peer moves it in the index too.
 *
 * A peer on the legacy wire has no public key (its "key" is a hash of
 * its secret, config.c), and no handshake may claim it: it is not in the
 * key index at all.
 */
#include <string.h>

#include "ipcpd.h"
#include "keyidx.h"

static struct keyidx	by_key;
static struct keyidx	by_name;

static int
keyed(const struct peer_conf *pc)
{
	return pc->wire != CONFIG_WIRE_LEGACY;
}

int
peertab_add(struct peer *p)
{
	if (keyidx_add_str(&by_name, p->conf.name, p) == -1)
		return -1;
	if (keyed(&p->conf) &&
	    keyidx_add(&by_key, p->conf.pubkey, KEY_LEN, p) == -1) {
		keyidx_del_str(&by_name, p->conf.name, p);
		return -1;
	}
	return 0;
}

void
peertab_del(struct peer *p)
{
	keyidx_del_str(&by_name, p->conf.name, p);
	if (keyed(&p->conf))
		keyidx_del(&by_key, p->conf.pubkey, KEY_LEN, p);
}

/*
 * The peer's copy of its config becomes *pc.  Out of the indexes under
 * the old name and key, in under the new: removing first leaves room, so
 * adding back allocates nothing and cannot fail.
 */
void
peertab_set_conf(struct peer *p, const struct peer_conf *pc)
{
	int	moved;

	moved = strcmp(p->conf.name, pc->name) != 0 ||
	    keyed(&p->conf) != keyed(pc) ||
	    memcmp(p->conf.pubkey, pc->pubkey, KEY_LEN) != 0;
	if (moved)
		peertab_del(p);
	p->conf = *pc;
	if (moved && peertab_add(p) == -1)
		fatal("peer %s: the peer index lost it", pc->name);
}

struct peer *
peer_by_key(const uint8_t pubkey[KEY_LEN])
{
	return keyidx_get(&by_key, pubkey, KEY_LEN);
}

struct peer *
peer_by_name(const char *name)
{
	return keyidx_get_str(&by_name, name);
}

/* Once every peer is unlinked (unit tests; at exit the process goes). */
void
peertab_free(void)
{
	keyidx_free(&by_key);
	keyidx_free(&by_name);
}
