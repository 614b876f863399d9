/* SPDX-License-Identifier: ISC */
/*
 * Routes learned from a peer's hello.  When a session comes up each side
 * sends its node name and overlay addresses in a CONTROL hello; we route
 * every address that falls inside that peer's allowed-ips through the
 * peer's TUN, with protocol ipcp, and withdraw them all when the session
 * ends.  What a peer claims outside its allowed-ips is ignored (and
 * logged): a peer never steers traffic it may not source.
 */
#include <errno.h>
#include <string.h>

#include "wire.h"
#include "ipcpd.h"
#include "log.h"
#include "msg.h"
#include "netlink.h"

#define HELLO_VERSION	1

static struct log_ratelimit	route_rl = LOG_RATELIMIT_INIT(10, 1000);

size_t
route_hello_pack(uint8_t *buf, size_t len)
{
	const struct config	*conf = ipcpd->conf;
	Ipcp__Control		 c = IPCP__CONTROL__INIT;
	Ipcp__Hello		 h = IPCP__HELLO__INIT;
	Ipcp__Prefix		 pfx[CONFIG_LIST_MAX], *ppfx[CONFIG_LIST_MAX];

	h.node_name = (char *)conf->name;
	h.version = HELLO_VERSION;
	h.caps = ipcpd->local_caps;
	h.n_addresses = msg_prefixes_set(pfx, ppfx, conf->address,
	    conf->n_address);
	h.addresses = ppfx;
	c.body_case = IPCP__CONTROL__BODY_HELLO;
	c.hello = &h;
	return msg_control_pack(&c, buf, len);
}

static int
allowed(const struct peer *p, const struct prefix *pfx)
{
	size_t	i;

	for (i = 0; i < p->conf->n_allowed; i++)
		if (prefix_contains(&p->conf->allowed[i], pfx))
			return 1;
	return 0;
}

static int
have_route(const struct peer *p, const struct prefix *pfx)
{
	size_t	i;

	for (i = 0; i < p->n_routes; i++)
		if (p->routes[i].family == pfx->family &&
		    p->routes[i].plen == pfx->plen &&
		    memcmp(p->routes[i].addr.bytes, pfx->addr.bytes, 16) == 0)
			return 1;
	return 0;
}

static void
route_add(struct peer *p, const struct prefix *pfx)
{
	char	a[PREFIX_STRLEN];

	prefix_format(pfx, a);
	if (have_route(p, pfx) || p->n_routes >= CONFIG_LIST_MAX)
		return;
	if (nl_route_add(p->ifindex, pfx) == -1) {
		log_warn("peer %s: route %s via %s", p->conf->name, a,
		    p->conf->ifname);
		return;
	}
	p->routes[p->n_routes++] = *pfx;
	log_info("peer %s: route %s via %s", p->conf->name, a,
	    p->conf->ifname);
}

void
route_hello(struct peer *p, const uint8_t *payload, size_t len)
{
	Ipcp__Control	*c;
	Ipcp__Hello	*h;
	struct prefix	 pfx;
	char		 a[PREFIX_STRLEN];
	size_t		 i;

	if ((c = msg_control_unpack(payload, len)) == NULL) {
		if (log_ratelimit(&route_rl))
			log_warnx("peer %s: invalid CONTROL message ignored",
			    p->conf->name);
		return;
	}
	if (c->body_case != IPCP__CONTROL__BODY_HELLO) {
		/* From a newer version; nothing for us. */
		msg_control_free(c);
		return;
	}
	h = c->hello;
	log_info("peer %s: hello from node %s with %zu address%s",
	    p->conf->name, h->node_name, h->n_addresses,
	    h->n_addresses == 1 ? "" : "es");
	/* A new hello replaces what the last one said. */
	route_withdraw_all(p);
	for (i = 0; i < h->n_addresses; i++) {
		if (msg_prefix_get(h->addresses[i], &pfx) == -1)
			continue;
		if (!allowed(p, &pfx)) {
			prefix_format(&pfx, a);
			if (log_ratelimit(&route_rl))
				log_warnx("peer %s: address %s is outside its "
				    "allowed-ips; not routed", p->conf->name, a);
			continue;
		}
		route_add(p, &pfx);
	}
	msg_control_free(c);
}

void
route_withdraw_all(struct peer *p)
{
	char	a[PREFIX_STRLEN];
	size_t	i;

	for (i = 0; i < p->n_routes; i++) {
		if (nl_route_del(p->ifindex, &p->routes[i]) == -1) {
			prefix_format(&p->routes[i], a);
			log_warn("peer %s: withdraw %s", p->conf->name, a);
		}
	}
	p->n_routes = 0;
}
