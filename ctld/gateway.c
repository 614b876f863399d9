/* SPDX-License-Identifier: ISC */
/*
 * The gateway, server side: addresses leased from the [gateway] pool to
 * any peer that asks (a listed [peer] or a passcode client), with the
 * routes and nameservers the gateway pushes.
 *
 * The pool and the file are lease_pool.c and lease_file.c; this file
 * ties a lease to its peer.  A lease granted:
 *
 *  - becomes RIB entries learned from the client (its host prefixes, at
 *    the peer's metric, with the client's node as the path), so the
 *    kernel routes the address into the client's TUN and the mesh hears
 *    of it; they go with the session, as everything learned from it;
 *  - widens the client's source filter in its forwarder
 *    (gateway_peer_allowed), so a client sends from what it leased and
 *    from nothing else;
 *  - narrows what the client is told to our own prefixes (addresses,
 *    announce, [gateway] routes): a thousand clients must not each hear
 *    the other 999 leases (gateway_export_ok);
 *  - is told to the client in a LeaseOffer.
 *
 * A lease holds while its session is up and for lease-time after; then
 * a tick prunes it, and its address may go to another key.  The file is
 * rewritten on every change that matters and before a restart; a tick
 * renews the connected leases in it, so a gateway killed outright still
 * finds them.  A pool exhausted, max-clients reached, no [gateway] at
 * all: the client is told why, the gateway logs it (rate-limited), and
 * no other client notices.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipcpd.h"
#include "lease.h"
#include "rib.h"

/* The tick: a quarter of the lease time, at most a minute. */
#define GW_TICK_MAX_MS		60000
/* Lease file writes coalesce over this long. */
#define GW_SAVE_MS		100

static struct lease_pool	*pool;
static char			 file[PATH_MAX];
static uv_timer_t		 tick;
static int			 tick_init;
static uv_timer_t		 save_timer;
static int			 save_init;
/* What peers can make us say: one bucket for all of them. */
static struct log_ratelimit	 grant_rl = LOG_RATELIMIT_INIT(5, 10000);
static struct log_ratelimit	 file_rl = LOG_RATELIMIT_INIT(2, 60000);

static int64_t
wall(void)
{
	return (int64_t)time(NULL);
}

/* The file now, with the connected leases good for lease-time. */
static void
save_now(void)
{
	const struct gw_lease	*l;
	struct lease_rec	*recs;
	int64_t			 until;
	size_t			 n = 0;

	if (pool == NULL || file[0] == '\0')
		return;
	until = wall() + ipcpd->conf->gw.lease_time;
	if ((recs = calloc(pool->n + 1, sizeof(*recs))) == NULL) {
		log_warn("gateway: leases not saved");
		return;
	}
	TAILQ_FOREACH(l, &pool->leases, entry) {
		/* Held by a session: good for lease-time from now. */
		if (l->connected)
			((struct gw_lease *)l)->r.expires = until;
		recs[n++] = l->r;
	}
	if (lease_file_write(file, recs, n) == -1 && log_ratelimit(&file_rl))
		log_warn("gateway: cannot write %s", file);
	free(recs);
}

static void
save_cb(uv_timer_t *t)
{
	save_now();
}

/*
 * Soon: a thousand clients joining in a burst are a few writes, not a
 * thousand (each one a whole file and two fsyncs, on the loop).  A
 * kill -9 within GW_SAVE_MS loses the newest grants of the burst only.
 */
static void
gateway_save(void)
{
	if (!save_init) {
		uv_timer_init(ipcpd->loop, &save_timer);
		uv_unref((uv_handle_t *)&save_timer);
		save_init = 1;
	}
	if (!uv_is_active((uv_handle_t *)&save_timer))
		uv_timer_start(&save_timer, save_cb, GW_SAVE_MS, 0);
}

/* Before a restart or a stop: whatever waits is written now. */
void
gateway_sync_file(void)
{
	if (save_init)
		uv_timer_stop(&save_timer);
	save_now();
}

/* ---- a lease and its peer ----------------------------------------------- */

/* The client's host prefixes into the RIB, as learned from it. */
static void
routes_add(struct peer *p, const struct gw_lease *l)
{
	struct rpath	*path;
	char		*name;
	size_t		 i;

	name = p->node[0] != '\0' ? p->node : p->conf.name;
	if ((path = rpath_new(&name, 1)) == NULL) {
		log_warn("peer %s: lease routes", p->conf.name);
		return;
	}
	for (i = 0; i < l->r.n_addr; i++)
		if (rib_set(&l->r.addr[i], p, 0, p->conf.metric, path) ==
		    NULL)
			log_warn("peer %s: lease route", p->conf.name);
	rpath_unref(path);
}

static void
routes_del(struct peer *p, const struct gw_lease *l)
{
	struct rib_entry	*e;
	size_t			 i;

	for (i = 0; i < l->r.n_addr; i++)
		if ((e = rib_get(&l->r.addr[i], p)) != NULL)
			rib_del(e);
}

static void
send_offer(struct peer *p, const struct gw_lease *l, const char *error)
{
	const struct gateway_conf *gw = &ipcpd->conf->gw;
	Ipcp__Control		 c = IPCP__CONTROL__INIT;
	Ipcp__LeaseOffer	 o = IPCP__LEASE_OFFER__INIT;
	Ipcp__Prefix		 apfx[LEASE_ADDR_MAX], dpfx[MSG_LEASE_DNS_MAX];
	Ipcp__Prefix		*ap[LEASE_ADDR_MAX], *dp[MSG_LEASE_DNS_MAX];
	size_t			 n_dns;

	if (l != NULL) {
		o.n_address = msg_prefixes_set(apfx, ap, l->r.addr,
		    l->r.n_addr);
		o.address = ap;
		n_dns = gw->n_dns < MSG_LEASE_DNS_MAX ? gw->n_dns :
		    MSG_LEASE_DNS_MAX;
		o.n_dns = msg_prefixes_set(dpfx, dp, gw->dns, n_dns);
		o.dns = dp;
		o.lease_time_s = gw->lease_time;
	}
	o.error = (char *)(error != NULL ? error : "");
	c.body_case = IPCP__CONTROL__BODY_LEASE_OFFER;
	c.lease_offer = &o;
	peer_send_control(p, &c);
}

/* The peer holding the lease, if any. */
static struct peer *
lease_peer(const struct gw_lease *l)
{
	struct peer	*p;

	if ((p = peer_by_key(l->r.key)) != NULL && p->gw_lease == l)
		return p;
	/* Rare: a reload gave the peer a new key since. */
	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		if (p->gw_lease == l)
			return p;
	return NULL;
}

/* The peer holds no lease from us any more: it hears everything again. */
static void
unlink_peer(struct peer *p)
{
	routes_del(p, p->gw_lease);
	p->gw_lease = NULL;
	peer_fwd_update(p);
	if (p->synced)
		export_full(p);
}

static void
pruned_one(struct gw_lease *l, void *arg)
{
	struct peer	*p;

	/* A passcode client goes at the same time, by openpeer.c's timer. */
	if ((p = lease_peer(l)) != NULL)
		p->gw_lease = NULL;
}

/* Expired leases go; 1 if any did. */
static int
prune(void)
{
	size_t	n;

	if (pool == NULL)
		return 0;
	n = lease_pool_prune(pool, wall(), pruned_one, NULL);
	if (n > 0)
		log_info("gateway: %zu lease%s expired", n, n == 1 ? "" : "s");
	return n > 0;
}

static void
tick_cb(uv_timer_t *t)
{
	const struct gw_lease	*l;
	int64_t			 soon;
	int			 changed;

	if (pool == NULL)
		return;
	changed = prune();
	/* Connected leases in the file must not run out before us. */
	soon = wall() + ipcpd->conf->gw.lease_time / 2;
	TAILQ_FOREACH(l, &pool->leases, entry)
		if (l->connected && l->r.expires < soon)
			changed = 1;
	if (changed)
		gateway_save();
}

static void
tick_start(void)
{
	uint64_t	ms = ipcpd->conf->gw.lease_time * 1000ULL / 4;

	if (ms > GW_TICK_MAX_MS)
		ms = GW_TICK_MAX_MS;
	if (!tick_init) {
		uv_timer_init(ipcpd->loop, &tick);
		uv_unref((uv_handle_t *)&tick);
		tick_init = 1;
	}
	uv_timer_start(&tick, tick_cb, ms, ms);
}

/* Give the peer its lease (the same as before, if it has one). */
static void
grant(struct peer *p)
{
	struct gw_lease		*l, *had;
	const char		*why;
	size_t			 n_before = 0;
	int			 changed, relink;

	/* Lazily: only a new lease needs the addresses of expired ones. */
	if ((had = lease_pool_find(pool, p->conf.pubkey)) == NULL)
		prune();
	else
		n_before = had->r.n_addr;
	if ((l = lease_pool_get(pool, p->conf.pubkey, wall())) == NULL) {
		why = errno == ENOSPC ? "pool exhausted" : errno == EUSERS ?
		    "max-clients reached" : "no lease: gateway error";
		if (log_ratelimit(&grant_rl))
			log_warnx("gateway: peer %s gets no lease: %s",
			    p->conf.name, why);
		send_offer(p, NULL, why);
		return;
	}
	changed = had == NULL || !had->connected ||
	    n_before != l->r.n_addr;
	l->connected = 1;
	/* A reload gave the peer a new key: the old key's lease runs down. */
	if (p->gw_lease != NULL && p->gw_lease != l && p->gw_lease->connected) {
		p->gw_lease->connected = 0;
		p->gw_lease->r.expires = wall() + ipcpd->conf->gw.lease_time;
		changed = 1;
	}
	/* Its forwarder lets it send from the lease (a new forwarder too). */
	relink = p->gw_lease != l || changed;
	if (p->gw_lease != l && !p->conf.open) {
		/*
		 * From now on it hears only our own prefixes.  What it was
		 * told before is taken back, after the deltas pending under
		 * the old rule went out.  (A passcode client heard only ours
		 * from the start: gateway_export_ok.)
		 */
		export_flush();
		p->gw_lease = l;
		export_refilter(p);
	}
	p->gw_lease = l;
	routes_add(p, l);
	if (relink)
		peer_fwd_update(p);
	if (changed) {
		char	a[PREFIX_STRLEN];

		prefix_format(&l->r.addr[0], a);
		log_info("gateway: peer %s leases %s%s", p->conf.name, a,
		    l->r.n_addr > 1 ? " and more" : "");
		gateway_save();
	}
	send_offer(p, l, NULL);
}

/* ---- the hooks ---------------------------------------------------------- */

/* The pool from the config, the leases from the file. */
static void
gateway_load(void)
{
	const struct config		*conf = ipcpd->conf;
	const struct gateway_conf	*gw = &conf->gw;
	struct lease_rec		*recs;
	char				 err[PATH_MAX + 256];
	char				 aside[PATH_MAX + 16];
	size_t				 n, i, dropped = 0;

	if ((pool = lease_pool_new()) == NULL ||
	    lease_pool_config(pool, gw->pool, gw->n_pool, conf->address,
	    conf->n_address, gw->max_clients) == -1)
		fatal("gateway: pool");
	file[0] = '\0';
	if (dir_make_private(gw->state_dir) == -1) {
		log_warn("gateway: state-dir %s: leases are not kept",
		    gw->state_dir);
		return;
	}
	if (config_state_file(conf, "leases", file, sizeof(file)) == -1) {
		log_warnx("gateway: state-dir %s: path too long",
		    gw->state_dir);
		file[0] = '\0';
		return;
	}
	if (lease_file_read(file, &recs, &n, err, sizeof(err)) == -1) {
		/* Not trusted, and not fatal: clients ask again. */
		if (errno == EINVAL && lease_file_set_aside(file, aside,
		    sizeof(aside)) == 0)
			log_warnx("gateway: %s; set aside as %s, starting "
			    "with no leases", err, aside);
		else
			log_warnx("gateway: %s; starting with no leases", err);
		gateway_save();
		return;
	}
	for (i = 0; i < n; i++)
		if (lease_pool_restore(pool, &recs[i]) == NULL)
			dropped++;
	free(recs);
	if (dropped > 0)
		log_warnx("gateway: %zu lease%s in %s no longer fit the pool; "
		    "dropped", dropped, dropped == 1 ? "" : "s", file);
	log_info("gateway: %zu lease%s from %s", n - dropped,
	    n - dropped == 1 ? "" : "s", file);
	if (prune() || dropped > 0)
		gateway_save();
}

int
gateway_init(char *err, size_t errlen)
{
	if (ipcpd->conf->gw.enabled) {
		gateway_load();
		tick_start();
	}
	/* Without [gateway] too: gwnat.c removes what a killed ipcpd left. */
	return gwnat_sync(err, errlen);
}

/* [gateway] is gone: every lease with it. */
static void
gateway_off(void)
{
	struct gw_lease	*l;
	struct peer	*p;

	gateway_sync_file();
	TAILQ_FOREACH(l, &pool->leases, entry)
		if ((p = lease_peer(l)) != NULL) {
			unlink_peer(p);
			if (p->state == PEER_STATE_UP)
				send_offer(p, NULL, "no gateway here");
		}
	lease_pool_free(pool);
	pool = NULL;
	file[0] = '\0';
	if (tick_init)
		uv_timer_stop(&tick);
}

/* The pool or the node's addresses changed: leases that do not fit go. */
static void
gateway_refit(void)
{
	const struct config	*conf = ipcpd->conf;
	const struct gateway_conf *gw = &conf->gw;
	struct gw_lease		*l, *next;
	struct peer		*p, **clients;
	char			 path[PATH_MAX];
	size_t			 n = 0, n_clients = 0;

	if (lease_pool_config(pool, gw->pool, gw->n_pool, conf->address,
	    conf->n_address, gw->max_clients) == -1 ||
	    (clients = calloc(ipcpd->n_peers + 1, sizeof(*clients))) ==
	    NULL) {
		log_warn("gateway: pool");
		return;
	}
	/* Every client with a session hears its lease again, below. */
	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		if (p->gw_lease != NULL && p->state == PEER_STATE_UP &&
		    p->fwd != NULL)
			clients[n_clients++] = p;
	for (l = TAILQ_FIRST(&pool->leases); l != NULL; l = next) {
		next = TAILQ_NEXT(l, entry);
		if (lease_pool_fits(pool, l))
			continue;
		if ((p = lease_peer(l)) != NULL) {
			routes_del(p, l);
			p->gw_lease = NULL;
		}
		lease_pool_del(pool, l);
		n++;
	}
	if (n > 0)
		log_info("gateway: %zu lease%s no longer fit the pool", n,
		    n == 1 ? "" : "s");
	/* A new state-dir or node name: the leases move there. */
	if (dir_make_private(gw->state_dir) == 0 &&
	    config_state_file(conf, "leases", path, sizeof(path)) == 0)
		snprintf(file, sizeof(file), "%s", path);
	gateway_save();
	tick_start();
	/*
	 * The same lease with new nameservers or lease time, or a new one
	 * where the old went; one that finds the pool full hears why, and
	 * is a client no more.
	 */
	while (n_clients > 0) {
		p = clients[--n_clients];
		grant(p);
		if (p->gw_lease == NULL) {
			peer_fwd_update(p);
			if (p->synced)
				export_full(p);
		}
	}
	free(clients);
}

void
gateway_reconf(const struct config *old)
{
	const struct config	*conf = ipcpd->conf;
	char			 err[256];

	/*
	 * Leases are refit and offered again only when something of the
	 * gateway's changed (the pool, the node's name and addresses).
	 */
	if (config_gateway_equal(&old->gw, &conf->gw) &&
	    strcmp(old->name, conf->name) == 0 &&
	    prefix_list_equal(old->address, old->n_address, conf->address,
	    conf->n_address)) {
		/* Nothing to refit. */
	} else if (!conf->gw.enabled) {
		if (pool != NULL)
			gateway_off();
	} else if (pool == NULL) {
		gateway_load();
		tick_start();
	} else
		gateway_refit();
	/* The NAT table follows every reload: it names listed peers' TUNs. */
	if (gwnat_sync(err, sizeof(err)) == -1)
		log_warnx("gateway: %s", err);
}

void
gateway_stop(void)
{
	gateway_sync_file();
	gwnat_stop();
}

void
gateway_lease_request(struct peer *p, const Ipcp__LeaseRequest *r)
{
	static struct log_ratelimit	rl = LOG_RATELIMIT_INIT(5, 10000);

	if (pool == NULL) {
		if (log_ratelimit(&rl))
			log_warnx("peer %s asks for a lease, but this node "
			    "has no [gateway]", p->conf.name);
		send_offer(p, NULL, "no gateway here");
		return;
	}
	grant(p);
}

/* takeover.c: the session goes on, so does its lease (from the file). */
void
gateway_peer_resume(struct peer *p)
{
	struct gw_lease	*l;

	if (pool == NULL ||
	    (l = lease_pool_find(pool, p->conf.pubkey)) == NULL)
		return;
	l->connected = 1;
	p->gw_lease = l;
	routes_add(p, l);
}

void
gateway_peer_down(struct peer *p)
{
	struct gw_lease	*l = p->gw_lease;

	if (pool == NULL || l == NULL || !l->connected)
		return;
	/* route_peer_down took its routes; the lease runs down now. */
	l->connected = 0;
	l->r.expires = wall() + ipcpd->conf->gw.lease_time;
	gateway_save();
}

void
gateway_peer_removed(struct peer *p)
{
	gateway_peer_down(p);
	/* The lease stays with the key: the peer may be back. */
	p->gw_lease = NULL;
}

size_t
gateway_peer_allowed(const struct peer *p, struct prefix *out, size_t max)
{
	const struct gw_lease	*l = p->gw_lease;
	size_t			 i;

	if (l == NULL)
		return 0;
	for (i = 0; i < l->r.n_addr && i < max; i++)
		out[i] = l->r.addr[i];
	return i;
}

int
gateway_export_ok(const struct peer *to, uint64_t from_id, int from_lease)
{
	/*
	 * A lease client hears our own prefixes only; a passcode client is
	 * one from its first hello, before it asked, so a burst of joins is
	 * not a whole table sent to each and taken back.
	 */
	if ((to->gw_lease != NULL || to->conf.open) && from_id != 0)
		return 0;
	/*
	 * A client is no transit between its gateways: what one pushed is
	 * not offered to another, which would only refuse it.
	 */
	return !(to->conf.lease && from_lease);
}

void
gateway_ctl_leases(const struct ctl_req *req)
{
	Ipcp__Envelope		 env = IPCP__ENVELOPE__INIT;
	Ipcp__End		 end = IPCP__END__INIT;
	const struct gw_lease	*l;
	const struct peer	*p;
	int64_t			 now = wall();
	size_t			 i;

	for (l = pool != NULL ? TAILQ_FIRST(&pool->leases) : NULL;
	    l != NULL; l = TAILQ_NEXT(l, entry)) {
		Ipcp__LeaseInfo	 li = IPCP__LEASE_INFO__INIT;
		char		 key[KEY_B64_LEN];
		char		 a[LEASE_ADDR_MAX][PREFIX_STRLEN];
		char		*ap[LEASE_ADDR_MAX];

		if (!lease_active(l, now))
			continue;
		key_to_base64(key, l->r.key);
		li.public_key = key;
		p = peer_by_key(l->r.key);
		/* Its key has no peer now (removed, or not yet back). */
		li.peer = (char *)(p != NULL ? p->conf.name : "-");
		for (i = 0; i < l->r.n_addr; i++) {
			prefix_format(&l->r.addr[i], a[i]);
			a[i][strcspn(a[i], "/")] = '\0';
			ap[i] = a[i];
		}
		li.address = ap;
		li.n_address = l->r.n_addr;
		li.connected = l->connected;
		li.expires_s = l->connected ? ipcpd->conf->gw.lease_time :
		    (uint64_t)(l->r.expires - now);
		env.body_case = IPCP__ENVELOPE__BODY_LEASE;
		env.lease = &li;
		if (ctl_reply(req, &env) == -1)
			return;
	}
	env.body_case = IPCP__ENVELOPE__BODY_END;
	env.end = &end;
	ctl_reply(req, &env);
}

void
gateway_status(Ipcp__Status *st)
{
	int64_t	now = wall();

	st->gateway = ipcpd->conf->gw.enabled;
	if (pool != NULL) {
		st->leases_active = lease_pool_active_count(pool, now);
		st->pool_free = lease_pool_free_count(pool, now);
	}
	st->open_clients = openpeer_count();
}
