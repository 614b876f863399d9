/* SPDX-License-Identifier: ISC */
/*
 * What goes into the RIB (rib.h): this node's own prefixes, and what
 * peers announce.
 *
 * Our own: every `address' as a host route, every `announce' prefix and
 * a gateway's `routes', at cost 0 with ourselves as the path.
 *
 * A peer's: its hello first (its node name, our cue to send it our
 * table), then announcements and withdrawals.  The forwarder already
 * checked their form; here is policy, each check with the lie it
 * catches: a path through us is a loop; a prefix outside the peer's
 * allowed-ips is one it may not steer traffic to; a cost past
 * MSG_COST_MAX is absurd; more prefixes than its max-routes closes the
 * session (BGP's maximum-prefix).  Refusals are counted and logged,
 * rate-limited; the session goes on.  A session's end withdraws
 * everything it taught us, at once.
 */
#include <string.h>

#include "ipcpd.h"
#include "log.h"
#include "rib.h"

/* Our own prefixes as they are in the RIB now. */
static struct prefix	local[3 * CONFIG_PREFIX_MAX];
static size_t		n_local;

/* What the config says we originate: host addresses, then announce. */
static size_t
local_wanted(const struct config *conf, struct prefix *out)
{
	size_t	i, n = 0;

	for (i = 0; i < conf->n_address; i++)
		if (!prefix_in(&conf->address[i], out, n))
			out[n++] = conf->address[i];
	for (i = 0; i < conf->n_announce; i++)
		if (!prefix_in(&conf->announce[i], out, n))
			out[n++] = conf->announce[i];
	/* A gateway's routes: its lease clients' way out (gateway.c). */
	for (i = 0; conf->gw.enabled && i < conf->gw.n_routes; i++)
		if (!prefix_in(&conf->gw.routes[i], out, n))
			out[n++] = conf->gw.routes[i];
	return n;
}

void
route_local_sync(void)
{
	static struct prefix	 want[3 * CONFIG_PREFIX_MAX];
	struct rib_entry	*e;
	size_t			 n, i;

	n = local_wanted(ipcpd->conf, want);
	for (i = 0; i < n_local; i++)
		if (!prefix_in(&local[i], want, n) &&
		    (e = rib_get(&local[i], NULL)) != NULL)
			rib_del(e);
	for (i = 0; i < n; i++)
		if (rib_set(&want[i], NULL, 0, 0, NULL) == NULL)
			log_warn("local route");
	memcpy(local, want, n * sizeof(want[0]));
	n_local = n;
}

/*
 * Our cost of a route its peer announced at adv: -1 past MSG_COST_MAX,
 * where a path becomes absurd.  On arrival and after a new metric alike.
 */
static int
route_cost(uint32_t adv, uint32_t metric, uint32_t *cost)
{
	uint64_t	c = (uint64_t)adv + metric;

	if (c > MSG_COST_MAX)
		return -1;
	*cost = (uint32_t)c;
	return 0;
}

static int
allowed(const struct peer *p, const struct prefix *pfx)
{
	struct prefix	lease[MSG_LEASE_ADDR_MAX];
	size_t		i, n;

	for (i = 0; i < p->conf.n_allowed; i++)
		if (prefix_contains(&p->conf.allowed[i], pfx))
			return 1;
	/* A gateway's client: what it leased from us (gateway.c). */
	n = gateway_peer_allowed(p, lease, MSG_LEASE_ADDR_MAX);
	for (i = 0; i < n; i++)
		if (prefix_equal(&lease[i], pfx))
			return 1;
	return 0;
}

void
route_send_hello(struct peer *p)
{
	Ipcp__Control	 c = IPCP__CONTROL__INIT;
	Ipcp__Hello	 h = IPCP__HELLO__INIT;
	static Ipcp__Prefix	 pfx[CONFIG_PREFIX_MAX];
	static Ipcp__Prefix	*ptrs[CONFIG_PREFIX_MAX];

	h.node_name = ipcpd->conf->name;
	h.version = MSG_HELLO_VERSION;
	/* What we take from it: the rest it need not send. */
	h.n_accept = msg_prefixes_set(pfx, ptrs, p->conf.allowed,
	    p->conf.n_allowed);
	h.accept = ptrs;
	c.body_case = IPCP__CONTROL__BODY_HELLO;
	c.hello = &h;
	peer_send_control(p, &c);
}

/* The peer's filter for what we announce (its hello, or a restart's). */
void
route_set_accept(struct peer *p, Ipcp__Prefix *const *a, size_t n)
{
	size_t	i;

	p->n_accept = 0;
	for (i = 0; i < n && p->n_accept < CONFIG_PREFIX_MAX; i++)
		if (msg_prefix_get(a[i], &p->accept[p->n_accept]) == 0)
			p->n_accept++;
}

int
route_accepted(const struct peer *p, const struct prefix *pfx)
{
	size_t	i;

	if (p->n_accept == 0)
		return 1;
	for (i = 0; i < p->n_accept; i++)
		if (prefix_contains(&p->accept[i], pfx))
			return 1;
	return 0;
}

void
route_hello(struct peer *p, const Ipcp__Hello *h)
{
	if (h->version != MSG_HELLO_VERSION) {
		char	why[128];

		snprintf(why, sizeof(why), "peer speaks protocol version %u, "
		    "we speak %u", h->version, MSG_HELLO_VERSION);
		peer_fsm(p, PEER_EV_CLOSE, why);
		return;
	}
	route_set_accept(p, h->accept, h->n_accept);
	if (strcmp(p->node, h->node_name) != 0) {
		/* A new name: what we said with the old one in mind goes. */
		if (p->node[0] != '\0')
			route_peer_down(p);
		snprintf(p->node, sizeof(p->node), "%s", h->node_name);
		log_info("peer %s: node %s", p->conf.name, p->node);
		/* Both ends of the seed command line are "compat". */
		if (strcmp(p->node, ipcpd->conf->name) == 0 &&
		    !ipcpd->conf->compat)
			log_warnx("peer %s calls itself %s, as this node does: "
			    "routes through it look like loops", p->conf.name,
			    p->node);
	}
	export_full(p);
}

/* The peer widened what it accepts from us: send everything again. */
void
route_refresh(struct peer *p)
{
	if (p->synced)
		export_full(p);
}

static void
refuse(struct peer *p, const struct prefix *pfx, const char *why)
{
	char	a[PREFIX_STRLEN];

	p->routes_rejected++;
	if (!log_ratelimit(&p->route_rl))
		return;
	prefix_format(pfx, a);
	log_warnx("peer %s: announcement of %s refused: %s", p->conf.name, a,
	    why);
}

/*
 * One announcement: returns -1 if the session was closed over it (the
 * caller must stop), else 0.  *last caches the previous path, since a
 * table's worth of announcements usually shares a handful of them.
 */
static int
route_announce(struct peer *p, const Ipcp__Route *r, struct rpath **last)
{
	struct prefix	 pfx;
	struct rpath	*path;
	uint32_t	 cost;
	char		 why[96];
	size_t		 i;

	if (msg_prefix_get(r->prefix, &pfx) == -1)
		return 0;	/* validated by msg_control_validate */
	/* Our own name on the path: it went round and came back. */
	for (i = 0; i < r->n_path; i++)
		if (strcmp(r->path[i], ipcpd->conf->name) == 0) {
			p->routes_looped++;
			return 0;
		}
	/* A peer speaks for itself, after its hello said who it is. */
	if (p->node[0] == '\0' || strcmp(r->path[0], p->node) != 0) {
		refuse(p, &pfx, "path does not start with the peer's node");
		return 0;
	}
	if (!allowed(p, &pfx)) {
		refuse(p, &pfx, "outside its allowed-ips");
		return 0;
	}
	if (route_cost(r->cost, p->conf.metric, &cost) == -1) {
		refuse(p, &pfx, "cost too high");
		return 0;
	}
	if (rib_get(&pfx, p) == NULL && p->n_routes >= p->conf.max_routes) {
		snprintf(why, sizeof(why), "more than max-routes %u prefixes",
		    p->conf.max_routes);
		log_warnx("peer %s: %s; closing the session", p->conf.name,
		    why);
		peer_fsm(p, PEER_EV_CLOSE, why);
		return -1;
	}
	if (*last != NULL && (*last)->n == r->n_path) {
		for (i = 0; i < r->n_path; i++)
			if (strcmp((*last)->hop[i], r->path[i]) != 0)
				break;
		path = i == r->n_path ? rpath_ref(*last) : NULL;
	} else
		path = NULL;
	if (path == NULL && (path = rpath_new(r->path, r->n_path)) == NULL) {
		log_warn("peer %s: route", p->conf.name);
		return 0;
	}
	if (rib_set(&pfx, p, r->cost, (uint32_t)cost, path) == NULL)
		log_warn("peer %s: route", p->conf.name);
	rpath_unref(*last);
	*last = path;
	return 0;
}

void
route_update(struct peer *p, const Ipcp__RouteUpdate *u)
{
	struct rib_entry	*e;
	struct rpath		*last = NULL;
	struct prefix		 pfx;
	size_t			 i;

	for (i = 0; i < u->n_withdraw; i++) {
		if (msg_prefix_get(u->withdraw[i], &pfx) == 0 &&
		    (e = rib_get(&pfx, p)) != NULL)
			rib_del(e);
	}
	for (i = 0; i < u->n_announce; i++)
		if (route_announce(p, u->announce[i], &last) == -1)
			break;
	rpath_unref(last);
}

void
route_peer_down(struct peer *p)
{
	struct rib_entry	*e;

	while ((e = TAILQ_FIRST(&p->rib_in)) != NULL)
		rib_del(e);
	p->synced = 0;
}

/* Is every prefix of `now' inside the old allowed-ips? */
static int
narrowed_only(const struct peer_conf *old, const struct peer_conf *now)
{
	size_t	i, j;

	for (i = 0; i < now->n_allowed; i++) {
		for (j = 0; j < old->n_allowed; j++)
			if (prefix_contains(&old->allowed[j],
			    &now->allowed[i]))
				break;
		if (j == old->n_allowed)
			return 0;
	}
	return 1;
}

void
route_peer_reconf(struct peer *p, const struct peer_conf *old)
{
	Ipcp__Control		 c = IPCP__CONTROL__INIT;
	Ipcp__RouteRefresh	 rr = IPCP__ROUTE_REFRESH__INIT;
	struct rib_entry	*e, *next;
	char			 why[96];
	uint32_t		 cost;

	for (e = TAILQ_FIRST(&p->rib_in); e != NULL; e = next) {
		next = TAILQ_NEXT(e, peer_entry);
		if (!allowed(p, &e->rp->p) ||
		    route_cost(e->adv_cost, p->conf.metric, &cost) == -1)
			rib_del(e);
		else
			rib_recost(e, cost);
	}
	if (p->n_routes > p->conf.max_routes) {
		snprintf(why, sizeof(why), "more than max-routes %u prefixes",
		    p->conf.max_routes);
		peer_fsm(p, PEER_EV_CLOSE, why);
		return;
	}
	/*
	 * What we take changed: the peer hears it in a new hello, which
	 * also brings its table again (what we refused before may be
	 * welcome now).  A refresh as well, for a peer whose hello predates
	 * the accept list, if the filter widened.
	 */
	if (p->synced && !prefix_list_equal(old->allowed,
	    old->n_allowed, p->conf.allowed, p->conf.n_allowed)) {
		route_send_hello(p);
		if (!narrowed_only(old, &p->conf)) {
			c.body_case = IPCP__CONTROL__BODY_REFRESH;
			c.refresh = &rr;
			peer_send_control(p, &c);
		}
	}
}

/*
 * This node's name changed: paths that now hold it are loops, and every
 * peer must hear our new name and the table with it.
 */
void
route_node_renamed(void)
{
	struct peer		*p;
	struct rib_entry	*e, *next;

	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		for (e = TAILQ_FIRST(&p->rib_in); e != NULL; e = next) {
			next = TAILQ_NEXT(e, peer_entry);
			if (rpath_has(e->path, ipcpd->conf->name))
				rib_del(e);
		}
	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		if (p->state == PEER_STATE_UP && p->fwd != NULL) {
			route_send_hello(p);
			if (p->synced)
				export_full(p);
		}
}

/*
 * What the peer announced to the binary before us, as it announced it:
 * through the same checks as on the wire, in batches the size of one
 * update.  The peers already heard what follows from it (takeover.c).
 */
void
route_resume(struct peer *p, Ipcp__Route **routes, size_t n)
{
	Ipcp__Control		c = IPCP__CONTROL__INIT;
	Ipcp__RouteUpdate	u = IPCP__ROUTE_UPDATE__INIT;
	size_t			i;

	c.body_case = IPCP__CONTROL__BODY_UPDATE;
	c.update = &u;
	for (i = 0; i < n; i += u.n_announce) {
		u.announce = routes + i;
		u.n_announce = n - i < MSG_MAX_UPDATE ? n - i : MSG_MAX_UPDATE;
		if (msg_control_validate(&c) == -1) {
			log_warnx("peer %s: routes from before the restart "
			    "are malformed; dropped", p->conf.name);
			continue;
		}
		route_update(p, &u);
	}
}
