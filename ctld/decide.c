/* SPDX-License-Identifier: ISC */
/*
 * Best-path selection, after OpenBGPD's rde_decide.c: one comparison,
 * each step a comment, applied to a prefix's candidates whenever they
 * change.  The order is total and the same on every node, so two nodes
 * that see the same candidates pick the same one, and a tie never flaps
 * with the order announcements happened to arrive in.
 */
#include <string.h>

#include "ipcpd.h"
#include "rib.h"

int
decide_cmp(const struct rib_entry *a, const struct rib_entry *b)
{
	int	c;

	/* 1. Our own prefix: the traffic ends here, nowhere is closer. */
	if ((a->peer == NULL) != (b->peer == NULL))
		return a->peer == NULL ? -1 : 1;
	/* 2. Lowest cost: the sum of the metrics of the links crossed. */
	if (a->cost != b->cost)
		return a->cost < b->cost ? -1 : 1;
	/* 3. Shortest path: fewer nodes that can fail on the way. */
	if ((a->path != NULL ? a->path->n : 0) !=
	    (b->path != NULL ? b->path->n : 0))
		return (a->path != NULL ? a->path->n : 0) <
		    (b->path != NULL ? b->path->n : 0) ? -1 : 1;
	/* 4. A tie: the path whose node names sort first ... */
	if ((c = rpath_cmp(a->path, b->path)) != 0)
		return c;
	/*
	 * 5. ... and of two links to the same node, the one whose peer
	 * name sorts first (names are unique in a config), so the choice
	 * survives a restart.
	 */
	if (a->peer != NULL && b->peer != NULL &&
	    (c = strcmp(a->peer->conf.name, b->peer->conf.name)) != 0)
		return c;
	return a < b ? -1 : a > b;
}

void
decide(struct rib_prefix *rp)
{
	struct rib_entry	*e, *best = NULL;

	TAILQ_FOREACH(e, &rp->paths, prefix_entry)
		if (best == NULL || decide_cmp(e, best) < 0)
			best = e;
	rp->best = best;
}
