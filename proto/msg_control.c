/* SPDX-License-Identifier: ISC */
/*
 * Control messages between peers: the plaintext of CONTROL frames, and
 * the typed body that carries them between ipcpd and a forwarder.
 *
 * The forwarder is the one that unpacks what the peer sent
 * (msg_control_unpack): it bounds and validates every field here, drops
 * the fields this version does not know, and hands ipcpd a clean message
 * inside an Envelope, which ipcpd validates again with the same function
 * (msg_recv).  ipcpd itself never parses a byte that came off the wire.
 *
 * What is checked here is form: names that are names, prefixes that are
 * prefixes, lists and paths of bounded length, costs in range.  What a
 * peer may say (its allowed-ips, loops through us, max-routes) is
 * ipcpd's business (ctld/route.c).
 */
#include <stdlib.h>
#include <string.h>

#include "msg.h"

static int
hello_ok(const Ipcp__Hello *h)
{
	return h != NULL && msg_name_ok(h->node_name) &&
	    msg_prefixes_ok(h->accept, h->n_accept, MSG_MAX_PREFIXES);
}

static int
update_ok(const Ipcp__RouteUpdate *u)
{
	size_t	i;

	if (u == NULL || u->n_withdraw > MSG_MAX_UPDATE ||
	    u->n_announce > MSG_MAX_UPDATE - u->n_withdraw)
		return 0;
	if (!msg_prefixes_ok(u->withdraw, u->n_withdraw, MSG_MAX_UPDATE))
		return 0;
	for (i = 0; i < u->n_announce; i++) {
		const Ipcp__Route *r = u->announce[i];

		/* The sender is on the path, so it is never empty. */
		if (r == NULL || !msg_prefix_ok(r->prefix) ||
		    r->cost > MSG_COST_MAX ||
		    !msg_names_ok(r->path, r->n_path, 1, MSG_MAX_PATH))
			return 0;
	}
	return 1;
}

int
msg_trace_hops_ok(Ipcp__TraceHop *const *h, size_t n, size_t min)
{
	size_t	i;

	if (n < min || n > MSG_MAX_TRACE_HOPS)
		return 0;
	for (i = 0; i < n; i++)
		if (h[i] == NULL || !msg_name_ok(h[i]->node))
			return 0;
	return 1;
}

int
msg_trace_peers_ok(Ipcp__TracePeer *const *p, size_t n)
{
	size_t	i;

	if (n > MSG_MAX_TRACE_INFO)
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] == NULL || !msg_name_ok(p[i]->name) ||
		    !msg_str_ok(p[i]->state, MSG_MAX_NAME))
			return 0;
	return 1;
}

static int
trace_ok(const Ipcp__Trace *t)
{
	if (t == NULL || !msg_str_ok(t->error, MSG_MAX_TEXT))
		return 0;
	/* A target is a node name or an address, never both or neither. */
	if (t->target_addr != NULL) {
		if (t->target[0] != '\0' || !msg_prefix_ok(t->target_addr))
			return 0;
	} else if (!msg_name_ok(t->target))
		return 0;
	/* The origin is the first forward hop. */
	if (!msg_trace_hops_ok(t->forward, t->n_forward, 1) ||
	    !msg_trace_hops_ok(t->reverse, t->n_reverse, 0) ||
	    (!t->reply && (t->n_reverse > 0 || t->n_peers > 0 ||
	    t->n_routes > 0 || t->error[0] != '\0')))
		return 0;
	return msg_trace_peers_ok(t->peers, t->n_peers) &&
	    msg_prefixes_ok(t->routes, t->n_routes, MSG_MAX_TRACE_INFO);
}

/*
 * A lease offer: host addresses and nameservers, a bounded time, and
 * either addresses or an error saying why there are none.
 */
static int
lease_offer_ok(const Ipcp__LeaseOffer *o)
{
	if (o == NULL || !msg_printable_ok(o->error, MSG_MAX_NAME * 2) ||
	    o->lease_time_s > MSG_LEASE_TIME_MAX)
		return 0;
	if (!msg_hosts_ok(o->address, o->n_address, MSG_LEASE_ADDR_MAX) ||
	    !msg_hosts_ok(o->dns, o->n_dns, MSG_LEASE_DNS_MAX))
		return 0;
	if (o->error[0] != '\0')
		return o->n_address == 0;
	return o->n_address > 0 && o->lease_time_s > 0;
}

int
msg_control_validate(const Ipcp__Control *c)
{
	if (c == NULL)
		return -1;
	switch (c->body_case) {
	case IPCP__CONTROL__BODY_HELLO:
		return hello_ok(c->hello) ? 0 : -1;
	case IPCP__CONTROL__BODY_UPDATE:
		return update_ok(c->update) ? 0 : -1;
	case IPCP__CONTROL__BODY_REFRESH:
		return c->refresh != NULL ? 0 : -1;
	case IPCP__CONTROL__BODY_TRACE:
		return trace_ok(c->trace) ? 0 : -1;
	case IPCP__CONTROL__BODY_LEASE_REQUEST:
		return c->lease_request != NULL ? 0 : -1;
	case IPCP__CONTROL__BODY_LEASE_OFFER:
		return lease_offer_ok(c->lease_offer) ? 0 : -1;
	case IPCP__CONTROL__BODY__NOT_SET:
		/* A newer peer's message we do not know: ignored. */
		return 0;
	default:
		return -1;
	}
}

size_t
msg_control_pack(const Ipcp__Control *c, uint8_t *buf, size_t len)
{
	size_t	need = ipcp__control__get_packed_size(c);

	if (need > len || need > FRAME_MAX_CONTROL)
		return 0;
	return ipcp__control__pack(c, buf);
}

Ipcp__Control *
msg_control_unpack(const uint8_t *buf, size_t len)
{
	Ipcp__Control	*c;

	if (len > FRAME_MAX_CONTROL)
		return NULL;
	if ((c = ipcp__control__unpack(NULL, len, buf)) == NULL)
		return NULL;
	if (msg_control_validate(c) == -1) {
		ipcp__control__free_unpacked(c, NULL);
		return NULL;
	}
	msg_strip_unknown(&c->base);
	return c;
}

void
msg_control_free(Ipcp__Control *c)
{
	if (c != NULL)
		ipcp__control__free_unpacked(c, NULL);
}

size_t
msg_route_size(const Ipcp__Route *r)
{
	size_t	body = ipcp__route__get_packed_size(r);

	return msg_field_size(body) + body;
}

size_t
msg_prefix_size(const Ipcp__Prefix *p)
{
	size_t	body = ipcp__prefix__get_packed_size(p);

	return msg_field_size(body) + body;
}
