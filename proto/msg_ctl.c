/* SPDX-License-Identifier: ISC */
/*
 * The ipcpctl <-> ipcpd channel: the validator of every body it carries.
 * A request comes from any member of the control group and a reply is
 * printed on someone's terminal, so every string, list and enum is
 * bounded here, once, for both ends.  See msg.h.
 */
#include <string.h>

#include "msg.h"

static int
strs_ok(char *const *s, size_t n, size_t maxn, size_t maxlen)
{
	size_t	i;

	if (n > maxn)
		return 0;
	for (i = 0; i < n; i++)
		if (!msg_str_ok(s[i], maxlen))
			return 0;
	return 1;
}

static int
request_ok(const Ipcp__Request *r)
{
	if (r == NULL || !msg_str_ok(r->target, MSG_MAX_NAME))
		return 0;
	switch (r->cmd) {
	case IPCP__COMMAND__CMD_STATUS:
	case IPCP__COMMAND__CMD_PEERS:
	case IPCP__COMMAND__CMD_LOG_VERBOSE:
	case IPCP__COMMAND__CMD_LOG_BRIEF:
	case IPCP__COMMAND__CMD_ROUTES:
	case IPCP__COMMAND__CMD_CONFIRM:
	case IPCP__COMMAND__CMD_GOODBYE:
	case IPCP__COMMAND__CMD_METRICS:
	case IPCP__COMMAND__CMD_RESTART:
	case IPCP__COMMAND__CMD_LEASES:
		return 1;
	case IPCP__COMMAND__CMD_RELOAD:
		/* A rollback deadline of more than a day is a typo. */
		return r->confirm_s <= 86400 && !(r->check && r->confirm_s);
	case IPCP__COMMAND__CMD_TRACE:
		return r->target[0] != '\0';
	default:
		/* Unknown commands get CTL_RES_UNKNOWN, not a hang-up. */
		return 1;
	}
}

/* Names become metric label values: short, and printable. */
static int
counters_ok(Ipcp__Counter *const *c, size_t n)
{
	size_t	i;

	if (n > MSG_MAX_COUNTERS)
		return 0;
	for (i = 0; i < n; i++)
		if (c[i] == NULL || !msg_name_ok(c[i]->name))
			return 0;
	return 1;
}

static int
lease_status_ok(Ipcp__LeaseStatus *const *l, size_t n)
{
	size_t	i;

	if (n > MSG_MAX_LEASE_PEERS)
		return 0;
	for (i = 0; i < n; i++)
		if (l[i] == NULL || !msg_name_ok(l[i]->peer) ||
		    !msg_str_ok(l[i]->error, MSG_MAX_TEXT) ||
		    !strs_ok(l[i]->address, l[i]->n_address,
		    MSG_LEASE_ADDR_MAX, MSG_MAX_NAME) ||
		    !strs_ok(l[i]->routes, l[i]->n_routes,
		    MSG_MAX_LEASE_ROUTES, MSG_MAX_NAME) ||
		    !strs_ok(l[i]->dns, l[i]->n_dns, MSG_LEASE_DNS_MAX,
		    MSG_MAX_NAME))
			return 0;
	return 1;
}

static int
lease_ok(const Ipcp__LeaseInfo *l)
{
	return l != NULL && msg_str_ok(l->public_key, MSG_MAX_NAME) &&
	    msg_name_ok(l->peer) && strs_ok(l->address, l->n_address,
	    MSG_LEASE_ADDR_MAX, MSG_MAX_NAME);
}

static int
status_ok(const Ipcp__Status *s)
{
	return s != NULL && lease_status_ok(s->leases, s->n_leases) &&
	    msg_str_ok(s->node_name, MSG_MAX_NAME) &&
	    msg_str_ok(s->public_key, MSG_MAX_NAME) &&
	    msg_str_ok(s->config, MSG_MAX_TEXT) &&
	    strs_ok(s->listeners, s->n_listeners, MSG_MAX_LISTENERS,
	    MSG_MAX_NAME) && counters_ok(s->handshakes, s->n_handshakes);
}

static int
peer_ok(const Ipcp__PeerInfo *p)
{
	return p != NULL && msg_str_ok(p->name, MSG_MAX_NAME) &&
	    msg_str_ok(p->public_key, MSG_MAX_NAME) &&
	    msg_str_ok(p->endpoint, MSG_MAX_ENDPOINT) &&
	    msg_str_ok(p->state, MSG_MAX_NAME) &&
	    msg_str_ok(p->interface, MSG_MAX_NAME) &&
	    msg_str_ok(p->cipher, MSG_MAX_NAME) &&
	    msg_str_ok(p->remote, MSG_MAX_ENDPOINT) &&
	    msg_str_ok(p->node, MSG_MAX_NAME) &&
	    msg_str_ok(p->last_error, MSG_MAX_TEXT) &&
	    msg_str_ok(p->last_handshake_result, MSG_MAX_NAME);
}

static int
peer_list_ok(const Ipcp__PeerList *l)
{
	size_t	i;

	if (l == NULL || l->n_peers == 0 || l->n_peers > MSG_MAX_PEER_BATCH)
		return 0;
	for (i = 0; i < l->n_peers; i++)
		if (!peer_ok(l->peers[i]))
			return 0;
	return 1;
}

static int
route_ok(const Ipcp__RouteInfo *r)
{
	return r != NULL && msg_prefix_ok(r->prefix) &&
	    msg_str_ok(r->via, MSG_MAX_NAME) &&
	    msg_str_ok(r->interface, MSG_MAX_NAME) &&
	    msg_names_ok(r->path, r->n_path, 1, MSG_MAX_PATH + 1);
}

static int
reload_peer_ok(const Ipcp__ReloadPeer *r)
{
	return r != NULL && msg_name_ok(r->name) &&
	    r->action <= IPCP__RELOAD_ACTION__RELOAD_REMOVED;
}

static int
trace_result_ok(const Ipcp__TraceResult *t)
{
	return t != NULL && msg_str_ok(t->target, MSG_MAX_NAME) &&
	    msg_str_ok(t->error, MSG_MAX_TEXT) &&
	    msg_trace_hops_ok(t->forward, t->n_forward, 0) &&
	    msg_trace_hops_ok(t->reverse, t->n_reverse, 0) &&
	    msg_trace_peers_ok(t->peers, t->n_peers) &&
	    msg_prefixes_ok(t->routes, t->n_routes, MSG_MAX_TRACE_INFO);
}

int
msg_ctl_validate(const Ipcp__Envelope *env)
{
	switch (env->body_case) {
	case IPCP__ENVELOPE__BODY_REQUEST:
		return request_ok(env->request) ? 0 : -1;
	case IPCP__ENVELOPE__BODY_STATUS:
		return status_ok(env->status) ? 0 : -1;
	case IPCP__ENVELOPE__BODY_PEER:
		return peer_ok(env->peer) ? 0 : -1;
	case IPCP__ENVELOPE__BODY_PEERS:
		return peer_list_ok(env->peers) ? 0 : -1;
	case IPCP__ENVELOPE__BODY_ROUTE:
		return route_ok(env->route) ? 0 : -1;
	case IPCP__ENVELOPE__BODY_RELOAD_PEER:
		return reload_peer_ok(env->reload_peer) ? 0 : -1;
	case IPCP__ENVELOPE__BODY_RELOAD_DONE:
		return env->reload_done != NULL &&
		    strs_ok(env->reload_done->notes, env->reload_done->n_notes,
		    MSG_MAX_NOTES, MSG_MAX_TEXT) ? 0 : -1;
	case IPCP__ENVELOPE__BODY_TRACE_RESULT:
		return trace_result_ok(env->trace_result) ? 0 : -1;
	case IPCP__ENVELOPE__BODY_LEASE:
		return lease_ok(env->lease) ? 0 : -1;
	case IPCP__ENVELOPE__BODY_END:
		return env->end != NULL ? 0 : -1;
	case IPCP__ENVELOPE__BODY_RESULT:
		return env->result != NULL &&
		    msg_str_ok(env->result->text, MSG_MAX_TEXT) ? 0 : -1;
	default:
		return -1;
	}
}
