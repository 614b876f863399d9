/* SPDX-License-Identifier: ISC */
/*
 * What we tell our peers, after OpenBGPD's rde_update.c: deltas, not
 * tables.
 *
 * When a prefix's best path is about to change, rib.c calls
 * export_dirty(), which notes what the best path was and queues the
 * prefix.  Once per turn of the loop (a zero timer) export_flush() works
 * out, for each peer and each queued prefix, what the peer was told
 * before and what it should be told now, and sends only the difference:
 * an announce where the path or cost changed, a withdraw where there is
 * no longer anything to say.  So a burst of changes costs one batch, and
 * a change that undoes itself within a turn costs nothing.  A peer whose
 * session just came up (its hello arrived) gets the whole table once.
 *
 * What a peer is told about a prefix is our best path with our name in
 * front, unless the prefix is outside what the peer takes from us (the
 * accept list of its hello: it would refuse it), or that path came from
 * the peer itself or crosses its node (it would drop it as a loop: split
 * horizon), or would grow past MSG_MAX_PATH.  Updates are packed to fill CONTROL frames without going
 * over FRAME_MAX_CONTROL or MSG_MAX_UPDATE entries.
 */
#include <string.h>

#include "ipcpd.h"
#include "log.h"
#include "rib.h"

/* Room left in a frame for what wraps the RouteUpdate. */
#define EXPORT_ROOM	(FRAME_MAX_CONTROL - 16)

static TAILQ_HEAD(, rib_prefix)	dirty = TAILQ_HEAD_INITIALIZER(dirty);
static uv_timer_t		flush_timer;
static int			flush_timer_init;

/* What one peer hears about one prefix: nothing, or cost and path. */
struct said {
	int			 announce;
	uint32_t		 cost;
	const struct rpath	*path;	/* without our name; NULL: ours */
};

/* One RouteUpdate being filled for one peer. */
static struct builder {
	struct peer		*to;
	size_t			 size;
	size_t			 n_wd, n_an, n_hops;
	Ipcp__Prefix		 wd[MSG_MAX_UPDATE];
	Ipcp__Prefix		*wdp[MSG_MAX_UPDATE];
	Ipcp__Route		 an[MSG_MAX_UPDATE];
	Ipcp__Route		*anp[MSG_MAX_UPDATE];
	Ipcp__Prefix		 anpfx[MSG_MAX_UPDATE];
	char			*hops[MSG_MAX_UPDATE * MSG_MAX_PATH];
} b;

static void
said_of(struct said *s, const struct peer *to, int had, uint64_t from_id,
    uint32_t cost, const struct rpath *path)
{
	s->announce = 0;
	if (!had || from_id == to->id)
		return;
	if (to->node[0] != '\0' && rpath_has(path, to->node))
		return;
	if ((path != NULL ? path->n : 0) + 1 > MSG_MAX_PATH)
		return;
	s->announce = 1;
	s->cost = cost;
	s->path = path;
}

static void
said_now(struct said *s, const struct peer *to, const struct rib_prefix *rp)
{
	const struct rib_entry	*e = rp->best;

	uint64_t		 from = e != NULL && e->peer != NULL ?
				    e->peer->id : 0;

	/* Gateways and their clients hear less (gateway_export_ok). */
	if (e == NULL || !gateway_export_ok(to, from,
	    e->peer != NULL && e->peer->conf.lease))
		said_of(s, to, 0, 0, 0, NULL);
	else
		said_of(s, to, 1, from, e->cost, e->path);
}

static void
builder_start(struct peer *to)
{
	b.to = to;
	b.size = 0;
	b.n_wd = b.n_an = b.n_hops = 0;
}

static void
builder_send(void)
{
	Ipcp__Control		c = IPCP__CONTROL__INIT;
	Ipcp__RouteUpdate	u = IPCP__ROUTE_UPDATE__INIT;

	if (b.n_wd == 0 && b.n_an == 0)
		return;
	u.n_withdraw = b.n_wd;
	u.withdraw = b.wdp;
	u.n_announce = b.n_an;
	u.announce = b.anp;
	c.body_case = IPCP__CONTROL__BODY_UPDATE;
	c.update = &u;
	if (peer_send_control(b.to, &c) == -1)
		log_warnx("peer %s: route update not sent",
		    b.to->conf.name);
	builder_start(b.to);
}

/* Make room for `need' more bytes and one more entry. */
static void
builder_room(size_t need)
{
	if (b.size + need > EXPORT_ROOM || b.n_wd + b.n_an >= MSG_MAX_UPDATE)
		builder_send();
}

static void
builder_withdraw(const struct prefix *p)
{
	Ipcp__Prefix	*w;
	Ipcp__Prefix	 tmp;

	msg_prefix_set(&tmp, p);
	builder_room(msg_prefix_size(&tmp));
	w = &b.wd[b.n_wd];
	*w = tmp;
	b.wdp[b.n_wd++] = w;
	b.size += msg_prefix_size(w);
}

static void
builder_announce(const struct prefix *p, const struct said *s)
{
	Ipcp__Route	*r;
	char		**hops;
	size_t		 n, i, need;

	n = 1 + (s->path != NULL ? s->path->n : 0);
	/* Room for one more entry before b.an[b.n_an] is written. */
	if (b.n_hops + n > sizeof(b.hops) / sizeof(b.hops[0]) ||
	    b.n_wd + b.n_an >= MSG_MAX_UPDATE)
		builder_send();
	r = &b.an[b.n_an];
	ipcp__route__init(r);
	msg_prefix_set(&b.anpfx[b.n_an], p);
	r->prefix = &b.anpfx[b.n_an];
	r->cost = s->cost;
	hops = &b.hops[b.n_hops];
	hops[0] = ipcpd->conf->name;
	for (i = 1; i < n; i++)
		hops[i] = (char *)s->path->hop[i - 1];
	r->path = hops;
	r->n_path = n;
	need = msg_route_size(r);
	if (b.size + need > EXPORT_ROOM) {
		/* Start a new update and build the route again in it. */
		builder_send();
		builder_announce(p, s);
		return;
	}
	b.anp[b.n_an++] = r;
	b.n_hops += n;
	b.size += need;
}

/* Tell `to' the difference between `was' and `now' for one prefix. */
static void
builder_delta(const struct prefix *p, const struct said *was,
    const struct said *now)
{
	if (!now->announce) {
		if (was->announce)
			builder_withdraw(p);
		return;
	}
	if (was->announce && was->cost == now->cost &&
	    rpath_equal(was->path, now->path))
		return;
	builder_announce(p, now);
}

static void
flush_cb(uv_timer_t *t)
{
	export_flush();
}

void
export_dirty(struct rib_prefix *rp)
{
	struct rib_entry	*e = rp->best;

	if (rp->dirty)
		return;
	rp->dirty = 1;
	rp->was.had = e != NULL;
	rp->was.peer_id = e != NULL && e->peer != NULL ? e->peer->id : 0;
	rp->was.from_lease = e != NULL && e->peer != NULL &&
	    e->peer->conf.lease;
	rp->was.cost = e != NULL ? e->cost : 0;
	rp->was.path = e != NULL ? rpath_ref(e->path) : NULL;
	TAILQ_INSERT_TAIL(&dirty, rp, dirty_entry);
	/* Unit tests run without a loop and flush by hand. */
	if (ipcpd->loop == NULL)
		return;
	if (!flush_timer_init) {
		uv_timer_init(ipcpd->loop, &flush_timer);
		uv_unref((uv_handle_t *)&flush_timer);
		flush_timer_init = 1;
	}
	if (!uv_is_active((uv_handle_t *)&flush_timer))
		uv_timer_start(&flush_timer, flush_cb, 0, 0);
}

static void
undirty(struct rib_prefix *rp)
{
	TAILQ_REMOVE(&dirty, rp, dirty_entry);
	rp->dirty = 0;
	rpath_unref(rp->was.path);
	memset(&rp->was, 0, sizeof(rp->was));
	rib_release(rp);
}

void
export_flush(void)
{
	struct rib_prefix	*rp;
	struct peer		*p;
	struct said		 was, now;

	if (TAILQ_EMPTY(&dirty))
		return;
	TAILQ_FOREACH(p, &ipcpd->peers, entry) {
		if (!p->synced)
			continue;
		builder_start(p);
		TAILQ_FOREACH(rp, &dirty, dirty_entry) {
			/* It would refuse it: it has heard nothing of it. */
			if (!route_accepted(p, &rp->p))
				continue;
			said_of(&was, p, rp->was.had, rp->was.peer_id,
			    rp->was.cost, rp->was.path);
			/* The same filter then as now: withdraw only what was
			 * said. */
			if (!gateway_export_ok(p, rp->was.peer_id,
			    rp->was.from_lease))
				was.announce = 0;
			said_now(&now, p, rp);
			builder_delta(&rp->p, &was, &now);
		}
		builder_send();
	}
	while ((rp = TAILQ_FIRST(&dirty)) != NULL)
		undirty(rp);
}

static void
full_one(struct rib_prefix *rp, void *arg)
{
	struct said	now;

	if (!route_accepted(b.to, &rp->p))
		return;
	said_now(&now, b.to, rp);
	if (now.announce)
		builder_announce(&rp->p, &now);
}

void
export_full(struct peer *p)
{
	/* Pending deltas first, so they are not sent twice. */
	export_flush();
	builder_start(p);
	rib_walk(full_one, NULL);
	builder_send();
	p->synced = 1;
}

static void
refilter_one(struct rib_prefix *rp, void *arg)
{
	const struct rib_entry	*e = rp->best;
	struct said		 was, now;

	if (e == NULL || !route_accepted(b.to, &rp->p))
		return;
	/* What it heard before the filter, against what it hears now. */
	said_of(&was, b.to, 1, e->peer != NULL ? e->peer->id : 0, e->cost,
	    e->path);
	said_now(&now, b.to, rp);
	if (was.announce && !now.announce)
		builder_withdraw(&rp->p);
}

void
export_refilter(struct peer *p)
{
	if (!p->synced)
		return;
	builder_start(p);
	rib_walk(refilter_one, NULL);
	builder_send();
}

/* The peers already know (a restart carried the RIB over): say nothing. */
void
export_forget(void)
{
	struct rib_prefix	*rp;

	while ((rp = TAILQ_FIRST(&dirty)) != NULL)
		undirty(rp);
}

void
export_clear(void)
{
	export_forget();
	if (flush_timer_init) {
		uv_close((uv_handle_t *)&flush_timer, NULL);
		flush_timer_init = 0;
	}
}
