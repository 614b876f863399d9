/* SPDX-License-Identifier: ISC */
/*
 * The difference between two configs, as reload applies it (after bgpd's
 * merge_config() and WireGuard's syncconf).  Peers are matched by name,
 * then what is left by public key (a peer renamed in the file is still
 * the same peer), and each pair is classified by what changed:
 *
 *	keep	nothing that matters: the session is not touched
 *	change	allowed-ips, metric, max-routes, mtu, its name, or the
 *		node's heartbeat settings: applied to the running session
 *	restart	public key, psk, endpoint or interface, or the node's
 *		private key or user: only a new session can carry it
 *	add, delete
 *
 * Node-level changes are flags.  Nothing here touches the running
 * daemon: `ipcpctl reload --check' prints this and stops.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config.h"

static const char *const action_names[] = {
	[RECONF_KEEP] = "kept",
	[RECONF_CHANGE] = "changed",
	[RECONF_RESTART] = "restarted",
	[RECONF_ADD] = "added",
	[RECONF_DELETE] = "removed",
};

const char *
reconf_action_name(enum reconf_action a)
{
	return action_names[a];
}

static int
by_name(const void *a, const void *b)
{
	const struct peer_conf *const *pa = a, *const *pb = b;

	return strcmp((*pa)->name, (*pb)->name);
}

/* The peers of a config as an array sorted by name; NULL on ENOMEM. */
static struct peer_conf **
sorted(const struct config *conf)
{
	struct peer_conf	**v, *pc;
	size_t			  i = 0;

	if ((v = calloc(conf->n_peers + 1, sizeof(*v))) == NULL)
		return NULL;
	TAILQ_FOREACH(pc, &conf->peers, entry)
		v[i++] = pc;
	qsort(v, i, sizeof(*v), by_name);
	return v;
}

static int
listens_equal(const struct config *a, const struct config *b)
{
	size_t	i;

	if (a->n_listen != b->n_listen)
		return 0;
	for (i = 0; i < a->n_listen; i++)
		if (!listen_conf_equal(&a->listen[i], &b->listen[i]))
			return 0;
	return 1;
}

int
config_gateway_equal(const struct gateway_conf *a,
    const struct gateway_conf *b)
{
	return a->enabled == b->enabled &&
	    prefix_list_equal(a->pool, a->n_pool, b->pool, b->n_pool) &&
	    prefix_list_equal(a->routes, a->n_routes, b->routes,
	    b->n_routes) &&
	    prefix_list_equal(a->dns, a->n_dns, b->dns, b->n_dns) &&
	    a->nat == b->nat && a->secure == b->secure &&
	    a->lease_time == b->lease_time &&
	    a->has_passcode == b->has_passcode &&
	    (!a->has_passcode ||
	    sodium_memcmp(a->passcode, b->passcode, KEY_LEN) == 0) &&
	    a->max_clients == b->max_clients &&
	    strcmp(a->state_dir, b->state_dir) == 0;
}

static unsigned
node_changes(const struct config *o, const struct config *n)
{
	unsigned	f = 0;

	if (strcmp(o->name, n->name) != 0)
		f |= RECONF_NODE_NAME;
	if (sodium_memcmp(o->key.priv, n->key.priv, KEY_LEN) != 0)
		f |= RECONF_NODE_KEY;
	if (o->uid != n->uid || o->gid != n->gid)
		f |= RECONF_NODE_USER;
	if (!listens_equal(o, n))
		f |= RECONF_NODE_LISTEN;
	if (!prefix_list_equal(o->address, o->n_address, n->address,
	    n->n_address))
		f |= RECONF_NODE_ADDRESS;
	if (!prefix_list_equal(o->announce, o->n_announce, n->announce,
	    n->n_announce))
		f |= RECONF_NODE_ANNOUNCE;
	if (o->heartbeat_interval != n->heartbeat_interval ||
	    o->dead_after != n->dead_after)
		f |= RECONF_NODE_TIMERS;
	if (o->offload != n->offload)
		f |= RECONF_NODE_OFFLOAD;
	if (strcmp(o->control, n->control) != 0)
		f |= RECONF_NODE_CONTROL;
	if (!config_gateway_equal(&o->gw, &n->gw))
		f |= RECONF_NODE_GATEWAY;
	if (o->fwmark != n->fwmark)
		f |= RECONF_NODE_FWMARK;
	return f;
}

static enum reconf_action
classify(const struct peer_conf *o, const struct peer_conf *n,
    unsigned node)
{
	/* A new mark: the outer socket must be made again to carry it. */
	if ((node & (RECONF_NODE_KEY | RECONF_NODE_USER |
	    RECONF_NODE_FWMARK)) ||
	    sodium_memcmp(o->pubkey, n->pubkey, KEY_LEN) != 0 ||
	    o->wire != n->wire || o->has_psk != n->has_psk ||
	    (o->has_psk && sodium_memcmp(o->psk, n->psk, KEY_LEN) != 0) ||
	    o->has_endpoint != n->has_endpoint ||
	    (o->has_endpoint &&
	    !endpoint_spec_equal(&o->endpoint, &n->endpoint)) ||
	    strcmp(o->ifname, n->ifname) != 0)
		return RECONF_RESTART;
	if ((node & RECONF_NODE_TIMERS) || strcmp(o->name, n->name) != 0 ||
	    !prefix_list_equal(o->allowed, o->n_allowed, n->allowed,
	    n->n_allowed) || o->mtu != n->mtu || o->metric != n->metric ||
	    o->max_routes != n->max_routes || o->lease != n->lease ||
	    o->full_tunnel != n->full_tunnel ||
	    o->killswitch != n->killswitch || o->dns != n->dns ||
	    !prefix_list_equal(o->killswitch_allow, o->n_killswitch_allow,
	    n->killswitch_allow, n->n_killswitch_allow))
		return RECONF_CHANGE;
	return RECONF_KEEP;
}

static void
add(struct reconf *r, enum reconf_action a, const struct peer_conf *o,
    const struct peer_conf *n)
{
	struct reconf_peer	*rp = &r->peers[r->n_peers++];

	rp->action = a;
	rp->old = o;
	rp->new = n;
	r->count[a]++;
}

int
config_diff(const struct config *o, const struct config *n,
    struct reconf *r)
{
	struct peer_conf	**ov = NULL, **nv = NULL;
	size_t			  i, j, k;
	int			  c;

	memset(r, 0, sizeof(*r));
	r->node = node_changes(o, n);
	if ((r->peers = calloc(o->n_peers + n->n_peers + 1,
	    sizeof(*r->peers))) == NULL || (ov = sorted(o)) == NULL ||
	    (nv = sorted(n)) == NULL) {
		free(ov);
		free(r->peers);
		r->peers = NULL;
		return -1;
	}
	/* Same name: the same peer, whatever else changed. */
	for (i = j = 0; i < o->n_peers && j < n->n_peers; ) {
		if ((c = strcmp(ov[i]->name, nv[j]->name)) == 0) {
			add(r, classify(ov[i], nv[j], r->node), ov[i], nv[j]);
			ov[i++] = NULL;
			nv[j++] = NULL;
		} else if (c < 0)
			i++;
		else
			j++;
	}
	/* A new name with an old key: renamed. */
	for (j = 0; j < n->n_peers; j++) {
		if (nv[j] == NULL)
			continue;
		for (k = 0; k < o->n_peers; k++)
			if (ov[k] != NULL && sodium_memcmp(ov[k]->pubkey,
			    nv[j]->pubkey, KEY_LEN) == 0)
				break;
		if (k < o->n_peers) {
			add(r, classify(ov[k], nv[j], r->node), ov[k], nv[j]);
			ov[k] = NULL;
		} else
			add(r, RECONF_ADD, NULL, nv[j]);
		nv[j] = NULL;
	}
	for (i = 0; i < o->n_peers; i++)
		if (ov[i] != NULL)
			add(r, RECONF_DELETE, ov[i], NULL);
	free(ov);
	free(nv);
	return 0;
}

void
config_diff_free(struct reconf *r)
{
	free(r->peers);
	memset(r, 0, sizeof(*r));
}
