/* SPDX-License-Identifier: ISC */
/*
 * The client side of leases: a peer with lease = on is asked for an
 * address once per session, after its hello.  What it offers goes on
 * that peer's TUN (which lives as long as the peer, so the address
 * survives reconnects); routes through the peer take the leased address
 * as their source (lease_client_src, for kroute.c); its nameservers are
 * for tunnel.c (lease_client_dns).  Its routes are ordinary
 * announcements, filtered by its allowed-ips like any other, so two
 * gateways are two candidates in the RIB and failover needs nothing
 * here.
 *
 * After the session ends the lease holds for its lease time, as the
 * gateway keeps it; then the address comes off the TUN.  A peer without
 * lease = on cannot push one: its offers are dropped and counted.  An
 * offer with an error ("pool exhausted") is kept for ipcpctl status and
 * logged once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipcpd.h"
#include "netlink.h"
#include "rib.h"

struct held_lease {
	int		 requested;	/* this session asked */
	struct prefix	 addr[MSG_LEASE_ADDR_MAX];
	size_t		 n_addr;
	struct prefix	 dns[MSG_LEASE_DNS_MAX];
	size_t		 n_dns;
	uint32_t	 lease_time_s;
	/* Monotonic ms when it ends without a session; 0: one holds it. */
	uint64_t	 until_ms;
	char		 error[MSG_MAX_NAME * 2 + 1];
	/* What a restart hands over points here (lease_client_handover). */
	Ipcp__Prefix	 apfx[MSG_LEASE_ADDR_MAX], *ap[MSG_LEASE_ADDR_MAX];
	Ipcp__Prefix	 dpfx[MSG_LEASE_DNS_MAX], *dp[MSG_LEASE_DNS_MAX];
};

static uv_timer_t		expiry;
static int			expiry_init;
static struct log_ratelimit	unasked_rl = LOG_RATELIMIT_INIT(5, 10000);

static struct held_lease *
held_get(struct peer *p)
{
	if (p->held == NULL)
		p->held = calloc(1, sizeof(*p->held));
	return p->held;
}

/* The nameservers in use now, to tell whether they changed. */
struct dns_set {
	struct prefix	a[MSG_LEASE_DNS_MAX * 4];
	size_t		n;
};

static void
dns_now(struct dns_set *d)
{
	d->n = lease_client_dns(d->a, sizeof(d->a) / sizeof(d->a[0]));
}

static void
dns_check(const struct dns_set *before)
{
	struct dns_set	after;

	dns_now(&after);
	if (!prefix_list_equal(before->a, before->n, after.a, after.n))
		tunnel_dns_changed();
}

/* Make the addresses on the peer's TUN those of `want'. */
static int
addr_set(struct peer *p, struct held_lease *h, const struct prefix *want,
    size_t n)
{
	char	a[PREFIX_STRLEN];
	size_t	i;
	int	changed = 0;

	for (i = 0; i < h->n_addr; i++) {
		if (prefix_in(&h->addr[i], want, n))
			continue;
		changed = 1;
		/* Gone with the TUN already, or never there. */
		if (p->tun_fd != -1 && nl_addr_del(p->ifindex,
		    &h->addr[i]) == -1) {
			prefix_format(&h->addr[i], a);
			log_warn("peer %s: remove leased %s", p->conf.name, a);
		}
	}
	for (i = 0; i < n; i++) {
		if (prefix_in(&want[i], h->addr, h->n_addr))
			continue;
		changed = 1;
		if (p->tun_fd != -1 && nl_addr_add(p->ifindex, &want[i]) ==
		    -1) {
			prefix_format(&want[i], a);
			log_warn("peer %s: leased address %s", p->conf.name, a);
		}
	}
	memmove(h->addr, want, n * sizeof(*want));
	h->n_addr = n;
	return changed;
}

/* No lease from this peer any more. */
static void
drop(struct peer *p, struct held_lease *h)
{
	if (addr_set(p, h, NULL, 0))
		kroute_peer_resync(p);
	h->n_dns = 0;
	h->until_ms = 0;
}

static void expiry_arm(void);

static void
expiry_cb(uv_timer_t *t)
{
	struct dns_set	 before;
	struct peer	*p;
	uint64_t	 now = now_ms();

	dns_now(&before);
	TAILQ_FOREACH(p, &ipcpd->peers, entry) {
		struct held_lease	*h = p->held;

		if (h == NULL || h->until_ms == 0 || h->until_ms > now)
			continue;
		log_info("peer %s: lease expired", p->conf.name);
		drop(p, h);
	}
	dns_check(&before);
	expiry_arm();
}

/* The timer, at the first lease to end. */
static void
expiry_arm(void)
{
	struct peer	*p;
	uint64_t	 first = 0, now = now_ms();

	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		if (p->held != NULL && p->held->until_ms != 0 &&
		    (first == 0 || p->held->until_ms < first))
			first = p->held->until_ms;
	if (ipcpd->loop == NULL)
		return;
	if (!expiry_init) {
		uv_timer_init(ipcpd->loop, &expiry);
		uv_unref((uv_handle_t *)&expiry);
		expiry_init = 1;
	}
	if (first == 0)
		uv_timer_stop(&expiry);
	else
		uv_timer_start(&expiry, expiry_cb, first > now ? first - now :
		    0, 0);
}

static void
request(struct peer *p, struct held_lease *h)
{
	Ipcp__Control		c = IPCP__CONTROL__INIT;
	Ipcp__LeaseRequest	r = IPCP__LEASE_REQUEST__INIT;

	c.body_case = IPCP__CONTROL__BODY_LEASE_REQUEST;
	c.lease_request = &r;
	if (peer_send_control(p, &c) == 0)
		h->requested = 1;
}

void
lease_client_up(struct peer *p)
{
	struct held_lease	*h;

	if (!p->conf.lease)
		return;
	if ((h = held_get(p)) == NULL) {
		log_warn("peer %s: lease", p->conf.name);
		return;
	}
	/* The gateway holds the lease while a session is up. */
	if (h->until_ms != 0) {
		h->until_ms = 0;
		expiry_arm();
	}
	/* A hello again (the peer was renamed): one request a session. */
	if (!h->requested)
		request(p, h);
}

/*
 * An offer (validated by msg_control_validate: host prefixes, bounded):
 * its addresses, each once, into addr; its nameservers and time into h.
 */
static size_t
offer_read(const Ipcp__LeaseOffer *o, struct prefix *addr,
    struct held_lease *h)
{
	size_t	i, n = 0;

	for (i = 0; i < o->n_address && n < MSG_LEASE_ADDR_MAX; i++)
		if (msg_prefix_get(o->address[i], &addr[n]) == 0 &&
		    !prefix_in(&addr[n], addr, n))
			n++;
	h->n_dns = 0;
	for (i = 0; i < o->n_dns && h->n_dns < MSG_LEASE_DNS_MAX; i++)
		if (msg_prefix_get(o->dns[i], &h->dns[h->n_dns]) == 0)
			h->n_dns++;
	h->lease_time_s = o->lease_time_s;
	return n;
}

void
lease_client_offer(struct peer *p, const Ipcp__LeaseOffer *o)
{
	struct held_lease	*h;
	struct dns_set		 before;
	struct prefix		 want[MSG_LEASE_ADDR_MAX];
	char			 err[sizeof(h->error)], a[PREFIX_STRLEN];
	size_t			 n;

	/* A gateway cannot push a lease nobody asked for. */
	if (!p->conf.lease) {
		p->control_dropped++;
		if (log_ratelimit(&unasked_rl))
			log_warnx("peer %s: lease offer dropped: lease is not "
			    "on for this peer", p->conf.name);
		return;
	}
	if ((h = held_get(p)) == NULL) {
		log_warn("peer %s: lease", p->conf.name);
		return;
	}
	dns_now(&before);
	if (o->error[0] != '\0') {
		/* Printable: the forwarder and msg_control.c checked it. */
		snprintf(err, sizeof(err), "%s", o->error);
		/* Once per reason: a client asks on every session. */
		if (strcmp(err, h->error) != 0)
			log_warnx("peer %s: no lease: %s", p->conf.name, err);
		snprintf(h->error, sizeof(h->error), "%s", err);
		drop(p, h);
		dns_check(&before);
		return;
	}
	n = offer_read(o, want, h);
	h->until_ms = 0;
	h->error[0] = '\0';
	if (addr_set(p, h, want, n)) {
		prefix_format(&want[0], a);
		log_info("peer %s: leased %s%s", p->conf.name, a,
		    n > 1 ? " and more" : "");
		/* Routes via the peer get the leased source (kroute.c). */
		kroute_peer_resync(p);
	}
	dns_check(&before);
}

void
lease_client_down(struct peer *p)
{
	struct held_lease	*h = p->held;

	if (h == NULL)
		return;
	h->requested = 0;
	if (h->n_addr == 0)
		return;
	h->until_ms = now_ms() + (uint64_t)h->lease_time_s * 1000;
	expiry_arm();
}

void
lease_client_reconf(struct peer *p, const struct peer_conf *old)
{
	struct held_lease	*h = p->held;
	struct dns_set		 before;

	if (old->lease && !p->conf.lease) {
		if (h != NULL) {
			/* Before: it counted while dns was on, if it was. */
			p->conf.dns = old->dns;
			dns_now(&before);
			p->conf.dns = 0;
			drop(p, h);
			free(h);
			p->held = NULL;
			expiry_arm();
			dns_check(&before);
		}
		return;
	}
	if (!old->lease && p->conf.lease && p->state == PEER_STATE_UP &&
	    p->node[0] != '\0') {
		if ((h = held_get(p)) != NULL && !h->requested)
			request(p, h);
		return;
	}
	if (old->dns != p->conf.dns && h != NULL && h->n_dns > 0)
		tunnel_dns_changed();
}

void
lease_client_removed(struct peer *p)
{
	int	had_dns;

	if (p->held == NULL)
		return;
	/* Its addresses go with its TUN. */
	had_dns = p->conf.dns && p->held->n_addr > 0 && p->held->n_dns > 0;
	free(p->held);
	p->held = NULL;
	expiry_arm();
	if (had_dns)
		tunnel_dns_changed();
}

int
lease_client_src(const struct peer *p, int family, struct prefix *out)
{
	const struct held_lease	*h = p->held;
	size_t			 i;

	if (h == NULL)
		return -1;
	for (i = 0; i < h->n_addr; i++)
		if (h->addr[i].family == family) {
			*out = h->addr[i];
			return 0;
		}
	return -1;
}

/* Peers whose nameservers count: dns = on and a current lease. */
static int
dns_peer(const struct peer *p)
{
	return p->conf.dns && p->held != NULL && p->held->n_addr > 0 &&
	    p->held->n_dns > 0;
}

static int
by_metric_name(const void *a, const void *b)
{
	const struct peer	*pa = *(const struct peer *const *)a;
	const struct peer	*pb = *(const struct peer *const *)b;

	if (pa->conf.metric != pb->conf.metric)
		return pa->conf.metric < pb->conf.metric ? -1 : 1;
	return strcmp(pa->conf.name, pb->conf.name);
}

/* The peer our best default route goes through, IPv4 first. */
static const struct peer *
default_peer(void)
{
	struct rib_prefix	*rp;
	struct prefix		 d;

	memset(&d, 0, sizeof(d));
	d.family = AF_INET;
	if ((rp = rib_find(&d)) != NULL && rp->best != NULL &&
	    rp->best->peer != NULL)
		return rp->best->peer;
	d.family = AF_INET6;
	if ((rp = rib_find(&d)) != NULL && rp->best != NULL &&
	    rp->best->peer != NULL)
		return rp->best->peer;
	return NULL;
}

size_t
lease_client_dns(struct prefix *out, size_t max)
{
	const struct peer	*best = default_peer(), **ps;
	struct peer		*p;
	size_t			 n = 0, np = 0, i, j;

	if ((ps = calloc(ipcpd->n_peers + 1, sizeof(*ps))) == NULL)
		return 0;
	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		if (dns_peer(p) && p != best)
			ps[np++] = p;
	qsort(ps, np, sizeof(*ps), by_metric_name);
	if (best != NULL && dns_peer(best)) {
		memmove(ps + 1, ps, np * sizeof(*ps));
		ps[0] = best;
		np++;
	}
	for (i = 0; i < np; i++)
		for (j = 0; j < ps[i]->held->n_dns && n < max; j++)
			if (!prefix_in(&ps[i]->held->dns[j], out, n))
				out[n++] = ps[i]->held->dns[j];
	free(ps);
	return n;
}

/* ---- ipcpctl status ----------------------------------------------------- */

#define LS_MAX		MSG_MAX_LEASE_PEERS
/* Bytes of routes in one reply: it must stay under MSG_MAX_CTL_REPLY. */
#define LS_ROUTE_BYTES	12000

static struct {
	Ipcp__LeaseStatus	 ls[LS_MAX];
	Ipcp__LeaseStatus	*lsp[LS_MAX];
	char			 addr[LS_MAX][MSG_LEASE_ADDR_MAX][PREFIX_STRLEN];
	char			*addrp[LS_MAX][MSG_LEASE_ADDR_MAX];
	char			 dns[LS_MAX][MSG_LEASE_DNS_MAX][PREFIX_STRLEN];
	char			*dnsp[LS_MAX][MSG_LEASE_DNS_MAX];
	char			 rt[LS_MAX][MSG_MAX_LEASE_ROUTES][PREFIX_STRLEN];
	char			*rtp[LS_MAX][MSG_MAX_LEASE_ROUTES];
} sb;

/* A host prefix without its length: "10.99.0.2". */
static void
host_text(const struct prefix *p, char out[PREFIX_STRLEN])
{
	prefix_format(p, out);
	out[strcspn(out, "/")] = '\0';
}

void
lease_client_status(Ipcp__Status *st)
{
	const struct rib_entry	*e;
	struct peer		*p;
	uint64_t		 now = now_ms();
	size_t			 n = 0, i, budget = LS_ROUTE_BYTES;

	TAILQ_FOREACH(p, &ipcpd->peers, entry) {
		const struct held_lease	*h = p->held;
		Ipcp__LeaseStatus	*ls = &sb.ls[n];

		if (!p->conf.lease || n == LS_MAX)
			continue;
		ipcp__lease_status__init(ls);
		ls->peer = p->conf.name;
		ls->full_tunnel = p->conf.full_tunnel;
		ls->killswitch = p->conf.killswitch;
		ls->error = (char *)(h != NULL ? h->error : "");
		ls->address = sb.addrp[n];
		ls->dns = sb.dnsp[n];
		ls->routes = sb.rtp[n];
		for (i = 0; h != NULL && i < h->n_addr; i++) {
			host_text(&h->addr[i], sb.addr[n][i]);
			sb.addrp[n][i] = sb.addr[n][i];
		}
		ls->n_address = h != NULL ? h->n_addr : 0;
		for (i = 0; h != NULL && h->n_addr > 0 && i < h->n_dns; i++) {
			host_text(&h->dns[i], sb.dns[n][i]);
			sb.dnsp[n][i] = sb.dns[n][i];
		}
		ls->n_dns = i;
		ls->dns_applied = p->conf.dns && ls->n_dns > 0;
		if (h != NULL && h->n_addr > 0)
			ls->expires_s = h->until_ms == 0 ? h->lease_time_s :
			    h->until_ms > now ? (h->until_ms - now + 999) /
			    1000 : 0;
		TAILQ_FOREACH(e, &p->rib_in, peer_entry) {
			if (ls->n_routes == MSG_MAX_LEASE_ROUTES ||
			    budget < PREFIX_STRLEN)
				break;
			prefix_format(&e->rp->p, sb.rt[n][ls->n_routes]);
			budget -= strlen(sb.rt[n][ls->n_routes]) + 2;
			sb.rtp[n][ls->n_routes] = sb.rt[n][ls->n_routes];
			ls->n_routes++;
		}
		sb.lsp[n++] = ls;
	}
	st->leases = sb.lsp;
	st->n_leases = n;
}

/* ---- ipcpctl restart ---------------------------------------------------- */

int
lease_client_handover(struct peer *p, Ipcp__LeaseOffer *o,
    uint64_t *until_ms)
{
	struct held_lease	*h = p->held;

	if (h == NULL || h->n_addr == 0)
		return 0;
	ipcp__lease_offer__init(o);
	o->n_address = msg_prefixes_set(h->apfx, h->ap, h->addr, h->n_addr);
	o->address = h->ap;
	o->n_dns = msg_prefixes_set(h->dpfx, h->dp, h->dns, h->n_dns);
	o->dns = h->dp;
	o->lease_time_s = h->lease_time_s;
	*until_ms = h->until_ms;
	return 1;
}

void
lease_client_resume(struct peer *p, const Ipcp__LeaseOffer *o,
    uint64_t until_ms)
{
	Ipcp__Control		 c = IPCP__CONTROL__INIT;
	struct held_lease	*h;

	c.body_case = IPCP__CONTROL__BODY_LEASE_OFFER;
	c.lease_offer = (Ipcp__LeaseOffer *)o;
	if (!p->conf.lease || msg_control_validate(&c) == -1 ||
	    o->error[0] != '\0' || (h = held_get(p)) == NULL)
		return;
	h->n_addr = offer_read(o, h->addr, h);
	h->until_ms = until_ms;
	/* A session carried over asked already; a new one will ask. */
	h->requested = p->state == PEER_STATE_UP;
	expiry_arm();
}
