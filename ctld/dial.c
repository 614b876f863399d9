/* SPDX-License-Identifier: ISC */
/*
 * From a peer's configured endpoint to an address to dial.  An address
 * is dialed as it is; a link-local one gets its interface's index, looked
 * up now since interfaces come and go; a name is resolved with
 * uv_getaddrinfo on libuv's thread pool, never blocking the loop, and
 * resolved again on every dial, so a peer whose name moves is followed
 * at the next redial.  A name that does not resolve is a failed dial like
 * any other: the peer backs off and says why ("cannot resolve ...").
 *
 * A resolution cannot be taken back once the pool runs it, so a peer that
 * stops wanting it (a session came in, a reload, shutdown) only forgets
 * it: the request holds no pointer to the peer after dial_abort(), and
 * the answer, when it comes, is freed unread.
 */
#include <net/if.h>
#include <netdb.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipcpd.h"

struct dialreq {
	uv_getaddrinfo_t	 req;
	struct peer		*peer;		/* NULL: no longer wanted */
};

/* An answer that cannot be dialed is a failed dial, counted as one. */
static void
dial_failed(struct peer *p)
{
	hs_result_count(p, HS_RESULT_CONNECT);
	peer_fsm(p, PEER_EV_DIAL_FAILED, NULL);
}

/* The first address of the answer; the resolver has ordered them. */
static void
resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct dialreq		*d = req->data;
	struct peer		*p = d->peer;
	const struct endpoint_spec *ep;
	struct addrinfo		*ai;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;

	free(d);
	if (p == NULL) {
		uv_freeaddrinfo(res);
		return;
	}
	p->resolving = NULL;
	ep = &p->conf.endpoint;
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    ai->ai_addrlen <= sizeof(ss))
			break;
	if (status < 0 || ai == NULL) {
		peer_error(p, "cannot resolve %s: %s", ep->host,
		    status < 0 ? uv_strerror(status) : "no IPv4 or IPv6 "
		    "address");
		uv_freeaddrinfo(res);
		dial_failed(p);
		return;
	}
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	sslen = ai->ai_addrlen;
	uv_freeaddrinfo(res);
	/* The port is ours; the name only gave the address. */
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(ep->port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(ep->port);
	log_debug("peer %s: %s resolved", p->conf.name, ep->host);
	if (hsconn_dial(p, (struct sockaddr *)&ss, sslen) == -1)
		dial_failed(p);
}

static int
resolve(struct peer *p)
{
	struct addrinfo	 hints;
	struct dialreq	*d;
	int		 r;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		peer_error(p, "cannot resolve %s: out of memory",
		    p->conf.endpoint.host);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	d->peer = p;
	d->req.data = d;
	if ((r = uv_getaddrinfo(ipcpd->loop, &d->req, resolved,
	    p->conf.endpoint.host, NULL, &hints)) < 0) {
		free(d);
		peer_error(p, "cannot resolve %s: %s", p->conf.endpoint.host,
		    uv_strerror(r));
		return -1;
	}
	p->resolving = d;
	return 0;
}

int
dial_start(struct peer *p)
{
	const struct endpoint_spec	*ep = &p->conf.endpoint;
	struct sockaddr_storage		 ss;

	if (ep->family == AF_UNSPEC)
		return resolve(p);
	ss = ep->ss;
	if (ep->scope[0] != '\0') {
		unsigned	idx = if_nametoindex(ep->scope);

		/* The interface may come later: a dial failure till then. */
		if (idx == 0) {
			peer_error(p, "connect to %s: no interface %s",
			    ep->text, ep->scope);
			return -1;
		}
		((struct sockaddr_in6 *)&ss)->sin6_scope_id = idx;
	}
	return hsconn_dial(p, (struct sockaddr *)&ss, ep->sslen);
}

void
dial_abort(struct peer *p)
{
	if (p->dial != NULL)
		hsconn_abort(p->dial);
	if (p->resolving != NULL) {
		/* Freed by resolved(), which runs even when cancelled. */
		p->resolving->peer = NULL;
		(void)uv_cancel((uv_req_t *)&p->resolving->req);
		p->resolving = NULL;
	}
}
