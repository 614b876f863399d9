/* SPDX-License-Identifier: ISC */
/*
 * The kernel side of the RIB, after OpenBGPD's kroute.c: for each prefix
 * the route that should be there against the one we installed, and the
 * netlink requests that make them agree.  What should be there is the
 * best path's interface (none for our own prefixes and for prefixes
 * nobody routes), in the table tunnel.c names (a full tunnel's default
 * routes go into a table of their own), with the address leased from
 * that peer as its source (lease_client.c), so that with two gateways
 * each route carries the source the gateway routes back.
 *
 * Routes carry protocol ipcp (RTPROT_IPCP) and metric NL_IPCP_METRIC, so
 * they never replace a route someone else put in the table for the same
 * prefix (a connected or static route wins over ours).
 */
#include <linux/rtnetlink.h>

#include <errno.h>
#include <string.h>

#include "ipcpd.h"
#include "log.h"
#include "netlink.h"
#include "rib.h"

static struct log_ratelimit	kroute_rl = LOG_RATELIMIT_INIT(10, 1000);
/* Routes come and go as peers say; a flapping peer must not fill the log. */
static struct log_ratelimit	kroute_debug_rl = LOG_RATELIMIT_INIT(20, 100);

/* The route the prefix should have; ifindex 0: none. */
static void
wanted(const struct rib_prefix *rp, struct nl_via *v)
{
	const struct rib_entry	*e = rp->best;
	struct prefix		 src;

	memset(v, 0, sizeof(*v));
	if (e == NULL || e->peer == NULL || e->peer->ifindex <= 0)
		return;
	v->ifindex = e->peer->ifindex;
	v->table = tunnel_route_table(e->peer, &rp->p);
	if (lease_client_src(e->peer, rp->p.family, &src) == 0 &&
	    src.family == rp->p.family) {
		/* An address, whatever length the lease came with. */
		v->src.family = src.family;
		v->src.plen = prefix_addrlen(src.family) * 8;
		memcpy(v->src.addr.bytes, src.addr.bytes,
		    prefix_addrlen(src.family));
	}
}

/* The same route: nowhere both, or the same link, table and source. */
static int
via_same(const struct nl_via *a, const struct nl_via *b)
{
	if (a->ifindex == 0 || b->ifindex == 0)
		return a->ifindex == b->ifindex;
	return a->ifindex == b->ifindex && a->table == b->table &&
	    a->src.family == b->src.family && (a->src.family == 0 ||
	    memcmp(a->src.addr.bytes, b->src.addr.bytes,
	    prefix_addrlen(a->src.family)) == 0);
}

void
kroute_sync(struct rib_prefix *rp)
{
	char			 a[PREFIX_STRLEN];
	struct nl_via		 want;
	const struct nl_via	*was = &rp->installed;

	wanted(rp, &want);
	if (via_same(&want, was))
		return;
	prefix_format(&rp->p, a);
	if (want.ifindex != 0) {
		/*
		 * NLM_F_REPLACE: another link or source in the same table
		 * is one request.  Another table is a second route, added
		 * before the old one goes so the prefix is never unrouted.
		 */
		if (nl_route_add_via(&rp->p, &want) == -1) {
			if (log_ratelimit(&kroute_rl))
				log_warn("route %s via %s", a,
				    rp->best->peer->conf.ifname);
			return;
		}
		if (was->ifindex != 0 && was->table != want.table &&
		    nl_route_del_via(&rp->p, was) == -1 &&
		    log_ratelimit(&kroute_rl))
			log_warn("remove route %s from table %u", a,
			    was->table);
		if (log_getverbose() && log_ratelimit(&kroute_debug_rl))
			log_debug("route %s via %s%s", a,
			    rp->best->peer->conf.ifname,
			    want.table != RT_TABLE_MAIN ? " (full tunnel)" :
			    "");
		rp->installed = want;
		return;
	}
	if (nl_route_del_via(&rp->p, was) == -1 &&
	    log_ratelimit(&kroute_rl))
		log_warn("remove route %s", a);
	if (log_getverbose() && log_ratelimit(&kroute_debug_rl))
		log_debug("route %s removed", a);
	memset(&rp->installed, 0, sizeof(rp->installed));
}

void
kroute_peer_resync(struct peer *p)
{
	struct rib_entry	*e;

	/* kroute_sync compares all of the route: unchanged ones stay. */
	TAILQ_FOREACH(e, &p->rib_in, peer_entry)
		if (e->rp->best == e)
			kroute_sync(e->rp);
}

static void
sync_one(struct rib_prefix *rp, void *arg)
{
	kroute_sync(rp);
}

void
kroute_sync_all(void)
{
	rib_walk(sync_one, NULL);
}
