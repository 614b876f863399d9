/* SPDX-License-Identifier: ISC */
/*
 * Open peers: clients of a gateway that no [peer] lists but that proved
 * the gateway's passcode in the handshake (hsconn.c finishes it with the
 * passcode as the psk).  Each becomes a peer like a listed one, with its
 * own TUN, forwarder, routes and lease, but it is made only once its
 * handshake is complete: an unknown key costs nothing but its connection
 * slot until it has shown it knows the passcode, and gw.max_clients
 * bounds how many there may be.
 *
 * An open peer is not in the config, so config_diff() never sees it.  It
 * stays while its session is up and for the gateway's lease-time after
 * (its lease runs down in the same time), then it goes, its TUN with it.
 * A reload that takes the passcode away (or changes it) removes every
 * open peer, and one that lists an open peer's key, name or interface in
 * a [peer] removes the open one first, so the listed one can be added.
 * ipcpctl restart carries open peers (handover.c, takeover.c).
 *
 * Its name, and so its interface "ipcp-<name>", comes from its key: "c-"
 * and 8 hex digits of a hash of it, which fits IFNAMSIZ.  Should a peer
 * already have that name or interface, another part of the hash is used.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "ipcpd.h"

/* Keys the hash of a client's key that its name is made from. */
#define OPENPEER_LABEL		"ipcp open peer"
#define OPENPEER_HASH_LEN	32
/* "c-" and 4 bytes of the hash in hex; "ipcp-c-0123abcd" is 15. */
#define OPENPEER_NAME_BYTES	4
#define OPENPEER_TRIES		(OPENPEER_HASH_LEN / OPENPEER_NAME_BYTES)

static size_t		n_open;
static uv_timer_t	expiry;
static int		expiry_init;

static void	openpeer_expiry_cb(uv_timer_t *);

size_t
openpeer_count(void)
{
	return n_open;
}

int
openpeer_full(void)
{
	return n_open >= ipcpd->conf->gw.max_clients;
}

void
openpeer_name(const uint8_t key[KEY_LEN], unsigned try,
    char out[CONFIG_NAME_MAX + 1])
{
	uint8_t		h[OPENPEER_HASH_LEN];
	const uint8_t	*w;

	crypto_generichash(h, sizeof(h), key, KEY_LEN,
	    (const uint8_t *)OPENPEER_LABEL, sizeof(OPENPEER_LABEL) - 1);
	w = h + (try % OPENPEER_TRIES) * OPENPEER_NAME_BYTES;
	/* "ipcp-" and this is OPENPEER_IFPREFIX and the digits. */
	snprintf(out, CONFIG_NAME_MAX + 1, "c-%02x%02x%02x%02x", w[0], w[1],
	    w[2], w[3]);
}

/* Is a peer called this, or using "ipcp-<name>" as its interface? */
static int
name_taken(const char *name)
{
	char		 ifname[IFNAMSIZ];
	struct peer	*p;

	if (peer_by_name(name) != NULL)
		return 1;
	snprintf(ifname, sizeof(ifname), "ipcp-%s", name);
	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		if (strcmp(p->conf.ifname, ifname) == 0)
			return 1;
	return 0;
}

struct peer *
openpeer_add(const uint8_t key[KEY_LEN], const char *name)
{
	struct peer_conf	 pc;
	struct peer		*p;
	char			 b64[KEY_B64_LEN];
	unsigned		 try;

	/* One peer per key: the index would not tell two apart. */
	if (peer_by_key(key) != NULL) {
		errno = EEXIST;
		return NULL;
	}
	memset(&pc, 0, sizeof(pc));
	if (name != NULL) {
		/* Carried over by a restart: the name its TUN has. */
		if (strlen(name) + strlen("ipcp-") >= IFNAMSIZ ||
		    name_taken(name)) {
			errno = EEXIST;
			return NULL;
		}
		snprintf(pc.name, sizeof(pc.name), "%s", name);
	} else {
		for (try = 0; try < OPENPEER_TRIES; try++) {
			openpeer_name(key, try, pc.name);
			if (!name_taken(pc.name))
				break;
		}
		/* Every part of the hash is a name a [peer] took. */
		if (try == OPENPEER_TRIES) {
			errno = EEXIST;
			return NULL;
		}
	}
	/* Checked to fit above, or "c-" and 8 digits. */
	memcpy(pc.ifname, "ipcp-", 5);
	memcpy(pc.ifname + 5, pc.name, strlen(pc.name) + 1);
	pc.wire = CONFIG_WIRE_IPCP;
	pc.open = 1;
	memcpy(pc.pubkey, key, KEY_LEN);
	pc.has_psk = 1;
	memcpy(pc.psk, ipcpd->conf->gw.passcode, KEY_LEN);
	/* What it may send comes from its lease (gateway_peer_allowed). */
	pc.n_allowed = 0;
	pc.mtu = CONFIG_DEFAULT_MTU;
	pc.metric = CONFIG_DEFAULT_METRIC;
	pc.max_routes = OPENPEER_MAX_ROUTES;
	p = peer_add(&pc);
	sodium_memzero(&pc, sizeof(pc));
	if (p == NULL)
		return NULL;
	n_open++;
	if (name == NULL) {
		key_to_base64(b64, key);
		log_info("peer %s: passcode client %s joined (%zu of at most "
		    "%u)", p->conf.name, b64, n_open,
		    ipcpd->conf->gw.max_clients);
	}
	return p;
}

void
openpeer_removed(struct peer *p)
{
	if (p->conf.open && n_open > 0)
		n_open--;
}

/* peer_remove() says only "removed"; the reason is here. */
static void
remove_open(struct peer *p, const char *why)
{
	if (p == NULL || !p->conf.open)
		return;
	log_info("peer %s: passcode client removed: %s", p->conf.name, why);
	peer_remove(p, why);
}

/* ---- lifetime ------------------------------------------------------------ */

static void
expiry_start(uint64_t delay_ms)
{
	if (!expiry_init) {
		uv_timer_init(ipcpd->loop, &expiry);
		expiry_init = 1;
	}
	uv_timer_start(&expiry, openpeer_expiry_cb, delay_ms, 0);
}

/*
 * Remove the open peers without a session whose time is up; the others
 * get their time if they had none (a session that went down under a
 * restart).  Returns the ms until the next one is due, or 0 for none.
 */
uint64_t
openpeer_sweep(uint64_t now)
{
	struct peer	*p, *next;
	uint64_t	 lease_ms, soonest = 0;

	if (ipcpd->stopping)
		return 0;
	lease_ms = (uint64_t)ipcpd->conf->gw.lease_time * 1000;
	for (p = TAILQ_FIRST(&ipcpd->peers); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (!p->conf.open)
			continue;
		if (p->fwd != NULL) {
			p->open_until_ms = 0;
			continue;
		}
		if (p->open_until_ms == 0)
			p->open_until_ms = now + lease_ms;
		if (now >= p->open_until_ms) {
			remove_open(p, "no session for lease-time");
			continue;
		}
		if (soonest == 0 || p->open_until_ms - now < soonest)
			soonest = p->open_until_ms - now;
	}
	return soonest;
}

static void
openpeer_expiry_cb(uv_timer_t *t)
{
	uint64_t	next;

	if ((next = openpeer_sweep(now_ms())) != 0)
		expiry_start(next);
}

/* Look again soon (on the next turn of the loop). */
static void
openpeer_schedule(void)
{
	expiry_start(0);
}

void
openpeer_session_end(struct peer *p)
{
	uint64_t	lease_ms;

	if (!p->conf.open)
		return;
	lease_ms = (uint64_t)ipcpd->conf->gw.lease_time * 1000;
	p->open_until_ms = now_ms() + lease_ms;
	/*
	 * Every open peer has the same lease-time, so one that ended now is
	 * due last: a timer already running is due sooner, and it looks
	 * again when it fires.
	 */
	if (!expiry_init || !uv_is_active((uv_handle_t *)&expiry))
		expiry_start(lease_ms);
}

struct peer *
openpeer_resume(const uint8_t key[KEY_LEN], const char *name,
    uint64_t until_ms)
{
	struct peer	*p;

	if ((p = openpeer_add(key, name)) == NULL)
		return NULL;
	p->open_until_ms = until_ms;
	openpeer_schedule();
	return p;
}

/* ---- reload -------------------------------------------------------------- */

void
openpeer_reconf(const struct config *old)
{
	const struct config	*conf = ipcpd->conf;
	const struct peer_conf	*pc;
	struct peer		*p, *next;
	uint64_t		 now = now_ms(), lease_ms;

	if (n_open == 0)
		return;
	if (!conf->gw.enabled || !conf->gw.has_passcode ||
	    sodium_memcmp(conf->gw.passcode, old->gw.passcode,
	    KEY_LEN) != 0) {
		/* Whoever joined with the passcode joined with the old one. */
		for (p = TAILQ_FIRST(&ipcpd->peers); p != NULL; p = next) {
			next = TAILQ_NEXT(p, entry);
			remove_open(p, conf->gw.has_passcode ?
			    "the gateway's passcode changed" :
			    "the gateway's passcode is gone");
		}
		return;
	}
	/* A [peer] takes the place of an open peer it collides with. */
	TAILQ_FOREACH(pc, &conf->peers, entry) {
		if (pc->wire != CONFIG_WIRE_LEGACY)
			remove_open(peer_by_key(pc->pubkey),
			    "now a configured peer");
		remove_open(peer_by_name(pc->name),
		    "its name is now a configured peer's");
		if (strncmp(pc->ifname, "ipcp-", 5) == 0 &&
		    (p = peer_by_name(pc->ifname + 5)) != NULL &&
		    strcmp(p->conf.ifname, pc->ifname) == 0)
			remove_open(p, "its interface is now a configured "
			    "peer's");
	}
	/* A shorter lease-time shortens the wait of those without one. */
	lease_ms = (uint64_t)conf->gw.lease_time * 1000;
	if (conf->gw.lease_time < old->gw.lease_time) {
		TAILQ_FOREACH(p, &ipcpd->peers, entry)
			if (p->conf.open && p->open_until_ms > now + lease_ms)
				p->open_until_ms = now + lease_ms;
		openpeer_schedule();
	}
}
