/* SPDX-License-Identifier: ISC */
/*
 * The kernel side of the RIB, after OpenBGPD's kroute.c: for each prefix
 * the route that should be there (the best path's interface, or none for
 * our own prefixes and for prefixes nobody routes) against the one we
 * installed, and the netlink request that makes them agree.  Routes
 * carry protocol ipcp (RTPROT_IPCP) and metric NL_IPCP_METRIC, so they
 * never replace a route someone else put in the table for the same
 * prefix (a connected or static route wins over ours).
 */
#include <errno.h>

#include "ipcpd.h"
#include "log.h"
#include "netlink.h"
#include "rib.h"

static struct log_ratelimit	kroute_rl = LOG_RATELIMIT_INIT(10, 1000);
/* Routes come and go as peers say; a flapping peer must not fill the log. */
static struct log_ratelimit	kroute_debug_rl = LOG_RATELIMIT_INIT(20, 100);

static int
wanted(const struct rib_prefix *rp)
{
	const struct rib_entry	*e = rp->best;

	if (e == NULL || e->peer == NULL || e->peer->ifindex <= 0)
		return 0;
	return e->peer->ifindex;
}

void
kroute_sync(struct rib_prefix *rp)
{
	char	a[PREFIX_STRLEN];
	int	want = wanted(rp);

	if (want == rp->installed)
		return;
	prefix_format(&rp->p, a);
	if (want != 0) {
		/* NLM_F_REPLACE: moving to another link is one request. */
		if (nl_route_add(want, &rp->p) == -1) {
			if (log_ratelimit(&kroute_rl))
				log_warn("route %s via %s", a,
				    rp->best->peer->conf.ifname);
			return;
		}
		if (log_getverbose() && log_ratelimit(&kroute_debug_rl))
			log_debug("route %s via %s", a,
			    rp->best->peer->conf.ifname);
		rp->installed = want;
		return;
	}
	if (nl_route_del(rp->installed, &rp->p) == -1 &&
	    log_ratelimit(&kroute_rl))
		log_warn("remove route %s", a);
	if (log_getverbose() && log_ratelimit(&kroute_debug_rl))
		log_debug("route %s removed", a);
	rp->installed = 0;
}

void
kroute_peer_resync(struct peer *p)
{
	struct rib_entry	*e;

	TAILQ_FOREACH(e, &p->rib_in, peer_entry) {
		if (e->rp->best != e)
			continue;
		/* Installed again: NLM_F_REPLACE makes it one request. */
		e->rp->installed = 0;
		kroute_sync(e->rp);
	}
}
