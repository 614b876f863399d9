/* SPDX-License-Identifier: ISC */
/*
 * The path-vector RIB (ctld/rib.c, decide.c, route.c, route_export.c,
 * kroute.c) on its own: peers are structs made here, the kernel and the
 * forwarders are stubs that record what they were asked to do.  Checked:
 * best-path selection step by step, loops dropped, allowed-ips and
 * max-routes enforced, a lost session withdrawing everything it taught
 * us with the next-best path installed, and what each peer is told
 * (split horizon, deltas, a whole table on hello, nothing for a change
 * that undoes itself).
 */
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <linux/rtnetlink.h>

#include "ipcpd.h"
#include "netlink.h"
#include "rib.h"

static struct config	test_conf;
static struct ipcpd	test_state;
struct ipcpd		*ipcpd = &test_state;

/* ---- stubs: the kernel ---------------------------------------------- */

#define MAX_KROUTES	2048
/* The full tunnel's table in these tests. */
#define FT_TABLE	26992

/* The kernel keys a route by table and prefix (our metric is fixed). */
static struct kroute {
	struct prefix	p;
	uint32_t	table;
	int		ifindex;
	struct prefix	src;
} kroutes[MAX_KROUTES];
static size_t	n_kroutes;
static size_t	n_kernel_requests;

static struct kroute *
kfind_in(const struct prefix *p, uint32_t table)
{
	size_t	i;

	for (i = 0; i < n_kroutes; i++)
		if (kroutes[i].table == table &&
		    kroutes[i].p.family == p->family &&
		    kroutes[i].p.plen == p->plen &&
		    memcmp(kroutes[i].p.addr.bytes, p->addr.bytes, 16) == 0)
			return &kroutes[i];
	return NULL;
}

int
nl_route_add_via(const struct prefix *p, const struct nl_via *v)
{
	struct kroute	*k;

	n_kernel_requests++;
	assert_true(v->table != 0);
	if ((k = kfind_in(p, v->table)) == NULL) {
		assert_true(n_kroutes < MAX_KROUTES);
		k = &kroutes[n_kroutes++];
		k->p = *p;
		k->table = v->table;
	}
	k->ifindex = v->ifindex;
	k->src = v->src;
	return 0;
}

int
nl_route_del_via(const struct prefix *p, const struct nl_via *v)
{
	struct kroute	*k = kfind_in(p, v->table);

	n_kernel_requests++;
	assert_non_null(k);
	assert_int_equal(k->ifindex, v->ifindex);
	*k = kroutes[--n_kroutes];
	return 0;
}

/* The interface the kernel routes the prefix through in a table, or 0. */
static int
kernel_in(const char *text, uint32_t table)
{
	struct prefix	 p;
	struct kroute	*k;

	assert_int_equal(prefix_parse(text, &p), 0);
	return (k = kfind_in(&p, table)) != NULL ? k->ifindex : 0;
}

static int
kernel(const char *text)
{
	return kernel_in(text, RT_TABLE_MAIN);
}

/* ---- stubs: the full tunnel and the leases --------------------------- */

static int	ft_rules = 1;	/* tunnel.c's policy rules stand */

uint32_t
tunnel_route_table(const struct peer *p, const struct prefix *dst)
{
	return dst->plen == 0 && p->conf.full_tunnel && ft_rules ?
	    FT_TABLE : RT_TABLE_MAIN;
}

/* A leased source per peer, by ifindex (index 0..7); family 0: none. */
static struct prefix	leased[8][2];

int
lease_client_src(const struct peer *p, int family, struct prefix *out)
{
	const struct prefix *l;

	if (p->ifindex < 0 || p->ifindex >= 8)
		return -1;
	l = &leased[p->ifindex][family == AF_INET6];
	if (l->family == 0)
		return -1;
	*out = *l;
	return 0;
}

/* ---- stubs: the gateway (gateway.c has tests of its own) ------------- */

int
gateway_export_ok(const struct peer *to, uint64_t from_id, int from_lease)
{
	return 1;
}

size_t
gateway_peer_allowed(const struct peer *p, struct prefix *out, size_t max)
{
	return 0;
}

/* ---- stubs: the peers' forwarders ----------------------------------- */

#define MAX_SENT	64

/* What was sent to each peer since the last sent_clear(). */
static struct sent {
	const struct peer	*to;
	char			 text[128];	/* "+10.1.0.0/16 20 a b" */
} sent[4096];
static size_t		n_sent;
static const char	*closed_reason;
static struct peer	*closed_peer;

static void
sent_clear(void)
{
	n_sent = 0;
}

int
peer_send_control(struct peer *p, const Ipcp__Control *c)
{
	struct prefix	pfx;
	char		a[PREFIX_STRLEN];
	size_t		i, j, off;
	uint8_t		buf[FRAME_MAX_CONTROL];

	/* What goes out must fit a frame, as the forwarder will check. */
	assert_true(msg_control_pack(c, buf, sizeof(buf)) > 0);
	assert_int_equal(msg_control_validate(c), 0);
	if (c->body_case != IPCP__CONTROL__BODY_UPDATE)
		return 0;
	for (i = 0; i < c->update->n_withdraw; i++) {
		assert_true(n_sent < sizeof(sent) / sizeof(sent[0]));
		msg_prefix_get(c->update->withdraw[i], &pfx);
		prefix_format(&pfx, a);
		sent[n_sent].to = p;
		snprintf(sent[n_sent++].text, sizeof(sent[0].text), "-%s", a);
	}
	for (i = 0; i < c->update->n_announce; i++) {
		const Ipcp__Route *r = c->update->announce[i];

		assert_true(n_sent < sizeof(sent) / sizeof(sent[0]));
		msg_prefix_get(r->prefix, &pfx);
		prefix_format(&pfx, a);
		sent[n_sent].to = p;
		off = snprintf(sent[n_sent].text, sizeof(sent[0].text),
		    "+%s %u", a, r->cost);
		for (j = 0; j < r->n_path; j++)
			off += snprintf(sent[n_sent].text + off,
			    sizeof(sent[0].text) - off, " %s", r->path[j]);
		n_sent++;
	}
	return 0;
}

/* Did `to' get exactly this line (and how many times)? */
static int
was_sent(const struct peer *to, const char *text)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < n_sent; i++)
		if (sent[i].to == to && strcmp(sent[i].text, text) == 0)
			n++;
	return n;
}

static size_t
sent_to(const struct peer *to)
{
	size_t	i, n = 0;

	for (i = 0; i < n_sent; i++)
		if (sent[i].to == to)
			n++;
	return n;
}

void
peer_fsm(struct peer *p, enum peer_event ev, const void *arg)
{
	/* route.c only ever closes a session. */
	assert_int_equal(ev, PEER_EV_CLOSE);
	closed_peer = p;
	closed_reason = arg;
	route_peer_down(p);
}

/* ---- fixtures ---------------------------------------------------------- */

static struct peer *
mkpeer(const char *name, int ifindex, unsigned metric, const char *allowed)
{
	struct peer	*p;

	p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->id = ++ipcpd->next_peer_id;
	snprintf(p->conf.name, sizeof(p->conf.name), "%s", name);
	snprintf(p->conf.ifname, sizeof(p->conf.ifname), "ipcp-%s", name);
	p->conf.metric = metric;
	p->conf.max_routes = 1000;
	assert_int_equal(prefix_parse(allowed, &p->conf.allowed[0]), 0);
	p->conf.n_allowed = 1;
	p->ifindex = ifindex;
	p->state = PEER_STATE_UP;
	p->route_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(5, 1000);
	TAILQ_INIT(&p->rib_in);
	TAILQ_INSERT_TAIL(&ipcpd->peers, p, entry);
	return p;
}

static void
hello(struct peer *p, const char *node)
{
	Ipcp__Hello	h = IPCP__HELLO__INIT;

	h.node_name = (char *)node;
	h.version = MSG_HELLO_VERSION;
	route_hello(p, &h);
}

/* announce(peer, "10.1.0.0/16", cost, "b", "d", NULL): one announcement. */
static void
announce(struct peer *p, const char *pfx, uint32_t cost, ...)
{
	Ipcp__RouteUpdate	 u = IPCP__ROUTE_UPDATE__INIT;
	Ipcp__Route		 r = IPCP__ROUTE__INIT, *rp = &r;
	Ipcp__Prefix		 mp;
	struct prefix		 prefix;
	char			*path[MSG_MAX_PATH];
	va_list			 ap;

	assert_int_equal(prefix_parse(pfx, &prefix), 0);
	msg_prefix_set(&mp, &prefix);
	r.prefix = &mp;
	r.cost = cost;
	va_start(ap, cost);
	while ((path[r.n_path] = va_arg(ap, char *)) != NULL)
		r.n_path++;
	va_end(ap);
	r.path = path;
	u.announce = &rp;
	u.n_announce = 1;
	route_update(p, &u);
}

static void
withdraw(struct peer *p, const char *pfx)
{
	Ipcp__RouteUpdate	 u = IPCP__ROUTE_UPDATE__INIT;
	Ipcp__Prefix		 mp, *mpp = &mp;
	struct prefix		 prefix;

	assert_int_equal(prefix_parse(pfx, &prefix), 0);
	msg_prefix_set(&mp, &prefix);
	u.withdraw = &mpp;
	u.n_withdraw = 1;
	route_update(p, &u);
}

/* The best path's peer for a prefix (NULL: local), asserting one exists. */
static struct rib_entry *
best(const char *text)
{
	struct prefix		 p;
	struct rib_prefix	*rp;

	assert_int_equal(prefix_parse(text, &p), 0);
	rp = rib_find(&p);
	if (rp == NULL || rp->best == NULL)
		fail_msg("no best path for %s", text);
	return rp->best;
}

static int
has_prefix(const char *text)
{
	struct prefix		 p;
	struct rib_prefix	*rp;

	assert_int_equal(prefix_parse(text, &p), 0);
	rp = rib_find(&p);
	return rp != NULL && rp->n_paths > 0;
}

static int
setup(void **state)
{
	memset(&test_conf, 0, sizeof(test_conf));
	TAILQ_INIT(&test_conf.peers);
	snprintf(test_conf.name, sizeof(test_conf.name), "alpha");
	prefix_parse("10.77.0.1/32", &test_conf.address[0]);
	test_conf.n_address = 1;
	prefix_parse("192.168.1.0/24", &test_conf.announce[0]);
	test_conf.n_announce = 1;
	memset(&test_state, 0, sizeof(test_state));
	test_state.conf = &test_conf;
	TAILQ_INIT(&test_state.peers);
	n_kroutes = 0;
	n_kernel_requests = 0;
	ft_rules = 1;
	memset(leased, 0, sizeof(leased));
	sent_clear();
	closed_peer = NULL;
	closed_reason = NULL;
	route_local_sync();
	export_flush();
	return 0;
}

static int
teardown(void **state)
{
	struct peer	*p;

	while ((p = TAILQ_FIRST(&ipcpd->peers)) != NULL) {
		route_peer_down(p);
		TAILQ_REMOVE(&ipcpd->peers, p, entry);
		free(p);
	}
	export_clear();
	rib_free_all();
	return 0;
}

/* ---- tests ------------------------------------------------------------- */

/* Each step of decide.c, in order. */
static void
test_best_path(void **state)
{
	struct peer	*b = mkpeer("b", 2, 10, "0.0.0.0/0");
	struct peer	*c = mkpeer("c", 3, 10, "10.0.0.0/8");
	struct peer	*d = mkpeer("d", 4, 10, "10.0.0.0/8");

	hello(b, "b");
	hello(c, "c");
	hello(d, "d");
	/* Lowest cost wins, even over a shorter path. */
	announce(b, "10.1.0.0/16", 30, "b", "x", NULL);
	announce(c, "10.1.0.0/16", 5, "c", "y", "x", NULL);
	assert_ptr_equal(best("10.1.0.0/16")->peer, c);
	assert_int_equal(best("10.1.0.0/16")->cost, 15);
	assert_int_equal(kernel("10.1.0.0/16"), 3);
	/* Equal cost: the shorter path. */
	announce(b, "10.1.0.0/16", 5, "b", "x", NULL);
	assert_ptr_equal(best("10.1.0.0/16")->peer, b);
	assert_int_equal(kernel("10.1.0.0/16"), 2);
	/* Equal cost and length: the path whose names sort first. */
	announce(d, "10.1.0.0/16", 5, "d", "a", NULL);
	assert_ptr_equal(best("10.1.0.0/16")->peer, b);
	announce(c, "10.1.0.0/16", 5, "c", "a", NULL);
	assert_ptr_equal(best("10.1.0.0/16")->peer, b);
	/* The same order whatever order the news came in. */
	withdraw(b, "10.1.0.0/16");
	assert_ptr_equal(best("10.1.0.0/16")->peer, c);
	announce(b, "10.1.0.0/16", 5, "b", "x", NULL);
	assert_ptr_equal(best("10.1.0.0/16")->peer, b);
	/* Our own prefix beats any peer's, and is not put in the kernel. */
	announce(b, "192.168.1.0/24", 0, "b", NULL);
	assert_int_equal(b->routes_rejected, 0);
	assert_null(best("192.168.1.0/24")->peer);
	assert_int_equal(kernel("192.168.1.0/24"), 0);
	/* The metric of the link adds to the cost. */
	c->conf.metric = 1;
	announce(c, "10.2.0.0/16", 0, "c", NULL);
	announce(b, "10.2.0.0/16", 0, "b", NULL);
	assert_ptr_equal(best("10.2.0.0/16")->peer, c);
	assert_int_equal(best("10.2.0.0/16")->cost, 1);
}

/* A path through us is a loop; a path not from the peer is a lie. */
static void
test_loop(void **state)
{
	struct peer	*b = mkpeer("b", 2, 10, "10.0.0.0/8");

	announce(b, "10.1.0.0/16", 0, "b", NULL);
	/* Before its hello, nothing a peer says is believed. */
	assert_false(has_prefix("10.1.0.0/16"));
	hello(b, "b");
	announce(b, "10.1.0.0/16", 10, "b", "alpha", "c", NULL);
	assert_false(has_prefix("10.1.0.0/16"));
	assert_int_equal(b->routes_looped, 1);
	announce(b, "10.1.0.0/16", 10, "c", "b", NULL);
	assert_false(has_prefix("10.1.0.0/16"));
	assert_int_equal(b->routes_rejected, 2);
	assert_int_equal(n_kroutes, 0);
	assert_int_equal(b->n_routes, 0);
}

static void
test_allowed_ips(void **state)
{
	struct peer	*b = mkpeer("b", 2, 10, "10.77.0.0/16");

	hello(b, "b");
	announce(b, "10.77.5.0/24", 0, "b", NULL);
	announce(b, "10.78.0.0/16", 0, "b", NULL);
	/* Wider than what it may send: not inside the allowed-ips. */
	announce(b, "10.0.0.0/8", 0, "b", NULL);
	announce(b, "0.0.0.0/0", 0, "b", NULL);
	assert_true(has_prefix("10.77.5.0/24"));
	assert_false(has_prefix("10.78.0.0/16"));
	assert_false(has_prefix("10.0.0.0/8"));
	assert_false(has_prefix("0.0.0.0/0"));
	assert_int_equal(b->routes_rejected, 3);
	assert_int_equal(kernel("10.77.5.0/24"), 2);
	assert_int_equal(n_kroutes, 1);
}

static void
test_max_routes(void **state)
{
	struct peer	*b = mkpeer("b", 2, 10, "10.0.0.0/8");

	b->conf.max_routes = 2;
	hello(b, "b");
	announce(b, "10.1.0.0/16", 0, "b", NULL);
	announce(b, "10.2.0.0/16", 0, "b", NULL);
	/* Saying the same again is not a new prefix. */
	announce(b, "10.2.0.0/16", 3, "b", NULL);
	assert_null(closed_peer);
	announce(b, "10.3.0.0/16", 0, "b", NULL);
	assert_ptr_equal(closed_peer, b);
	assert_non_null(strstr(closed_reason, "max-routes 2"));
	/* The session's end took everything it taught us. */
	assert_false(has_prefix("10.1.0.0/16"));
	assert_false(has_prefix("10.3.0.0/16"));
	assert_int_equal(n_kroutes, 0);
}

/* A lost session: its routes go at once, the next best takes over. */
static void
test_session_loss(void **state)
{
	struct peer	*b = mkpeer("b", 2, 10, "10.0.0.0/8");
	struct peer	*c = mkpeer("c", 3, 10, "10.0.0.0/8");
	struct peer	*e = mkpeer("e", 5, 10, "10.0.0.0/8");

	hello(b, "b");
	hello(c, "c");
	hello(e, "e");
	announce(b, "10.4.0.0/16", 0, "b", "d", NULL);
	announce(c, "10.4.0.0/16", 10, "c", "x", "d", NULL);
	announce(b, "10.5.0.0/16", 0, "b", NULL);
	export_flush();
	assert_int_equal(kernel("10.4.0.0/16"), 2);
	sent_clear();

	route_peer_down(b);
	assert_int_equal(b->n_routes, 0);
	assert_ptr_equal(best("10.4.0.0/16")->peer, c);
	assert_int_equal(kernel("10.4.0.0/16"), 3);
	assert_false(has_prefix("10.5.0.0/16"));
	assert_int_equal(kernel("10.5.0.0/16"), 0);
	/* Neighbours are told, once per turn of the loop. */
	export_flush();
	assert_int_equal(was_sent(e, "+10.4.0.0/16 20 alpha c x d"), 1);
	assert_int_equal(was_sent(e, "-10.5.0.0/16"), 1);
	/* c's own route is not offered back to c: it had ours, now none. */
	assert_int_equal(was_sent(c, "-10.4.0.0/16"), 1);
	assert_int_equal(was_sent(c, "-10.5.0.0/16"), 1);
	assert_int_equal(sent_to(b), 0);
}

/* What each peer hears: the whole table on hello, then deltas. */
static void
test_export(void **state)
{
	struct peer	*b = mkpeer("b", 2, 10, "10.0.0.0/8");
	struct peer	*c = mkpeer("c", 3, 7, "10.0.0.0/8");

	hello(b, "b");
	announce(b, "10.1.0.0/16", 0, "b", NULL);
	announce(b, "10.6.0.0/16", 4, "b", "c", NULL);
	sent_clear();
	hello(c, "c");
	/* Our own prefixes, and b's route with our name in front... */
	assert_int_equal(was_sent(c, "+10.77.0.1/32 0 alpha"), 1);
	assert_int_equal(was_sent(c, "+192.168.1.0/24 0 alpha"), 1);
	assert_int_equal(was_sent(c, "+10.1.0.0/16 10 alpha b"), 1);
	/* ... but not a path through c itself. */
	assert_int_equal(was_sent(c, "+10.6.0.0/16 14 alpha b c"), 0);
	assert_int_equal(sent_to(c), 3);
	export_flush();
	sent_clear();

	/* A change that undoes itself within a turn costs nothing. */
	announce(b, "10.1.0.0/16", 5, "b", NULL);
	announce(b, "10.1.0.0/16", 0, "b", NULL);
	withdraw(b, "10.9.0.0/16");
	export_flush();
	assert_int_equal(n_sent, 0);

	/* A better path from c: b hears it, c does not hear its own. */
	announce(c, "10.1.0.0/16", 1, "c", NULL);
	export_flush();
	assert_ptr_equal(best("10.1.0.0/16")->peer, c);
	assert_int_equal(was_sent(b, "+10.1.0.0/16 8 alpha c"), 1);
	assert_int_equal(was_sent(c, "-10.1.0.0/16"), 1);
	assert_int_equal(n_sent, 2);
}

/*
 * A table of more routes than one update holds (MSG_MAX_UPDATE) goes out
 * whole, in valid updates (peer_send_control checks each): a gateway
 * with a thousand clients sends one to every client that comes up.
 */
static void
test_big_table(void **state)
{
	struct peer	*b = mkpeer("b", 2, 10, "10.0.0.0/8");
	struct peer	*c = mkpeer("c", 3, 10, "10.0.0.0/8");
	char		 pfx[32], line[64];
	int		 i, n = 3 * MSG_MAX_UPDATE + 7;

	b->conf.max_routes = 5000;
	hello(b, "b");
	for (i = 0; i < n; i++) {
		snprintf(pfx, sizeof(pfx), "10.%d.%d.0/24", 1 + i / 256,
		    i % 256);
		announce(b, pfx, 0, "b", NULL);
	}
	export_flush();
	sent_clear();
	hello(c, "c");
	/* Ours (address and announce), and every one of b's. */
	assert_int_equal(sent_to(c), n + 2);
	for (i = 0; i < n; i += 97) {
		snprintf(line, sizeof(line), "+10.%d.%d.0/24 10 alpha b",
		    1 + i / 256, i % 256);
		assert_int_equal(was_sent(c, line), 1);
	}
}

/*
 * A peer's hello says what it takes from us (its allowed-ips for us):
 * nothing else is sent, in the whole table or in deltas after it.
 */
static void
test_accept(void **state)
{
	struct peer	*b = mkpeer("b", 2, 10, "10.0.0.0/8");
	struct peer	*c = mkpeer("c", 3, 10, "10.0.0.0/8");
	Ipcp__Hello	 h = IPCP__HELLO__INIT;
	Ipcp__Prefix	 acc, *accp = &acc;
	struct prefix	 only;

	hello(b, "b");
	announce(b, "10.1.0.0/16", 0, "b", NULL);
	announce(b, "10.2.0.0/16", 0, "b", NULL);
	export_flush();
	sent_clear();
	assert_int_equal(prefix_parse("10.1.0.0/16", &only), 0);
	msg_prefix_set(&acc, &only);
	h.node_name = "c";
	h.version = MSG_HELLO_VERSION;
	h.accept = &accp;
	h.n_accept = 1;
	route_hello(c, &h);
	assert_int_equal(was_sent(c, "+10.1.0.0/16 10 alpha b"), 1);
	assert_int_equal(sent_to(c), 1);
	/* A delta outside it goes nowhere; one inside goes. */
	sent_clear();
	announce(b, "10.2.0.0/16", 3, "b", NULL);
	announce(b, "10.1.0.0/16", 3, "b", NULL);
	export_flush();
	assert_int_equal(sent_to(c), 1);
	assert_int_equal(was_sent(c, "+10.1.0.0/16 13 alpha b"), 1);
	/* A hello without the list (an older peer): everything. */
	sent_clear();
	hello(c, "c");
	assert_int_equal(was_sent(c, "+10.2.0.0/16 13 alpha b"), 1);
}

/* A peer's metric changes (reload): its routes are costed again. */
static void
test_reconf(void **state)
{
	struct peer		*b = mkpeer("b", 2, 10, "10.0.0.0/8");
	struct peer		*c = mkpeer("c", 3, 10, "10.0.0.0/8");
	struct peer_conf	 old;

	hello(b, "b");
	hello(c, "c");
	announce(b, "10.1.0.0/16", 0, "b", NULL);
	announce(c, "10.1.0.0/16", 5, "c", NULL);
	assert_ptr_equal(best("10.1.0.0/16")->peer, b);
	old = b->conf;
	b->conf.metric = 100;
	route_peer_reconf(b, &old);
	assert_ptr_equal(best("10.1.0.0/16")->peer, c);
	assert_int_equal(kernel("10.1.0.0/16"), 3);
	/* Narrower allowed-ips: what no longer fits goes. */
	old = c->conf;
	prefix_parse("10.2.0.0/16", &c->conf.allowed[0]);
	route_peer_reconf(c, &old);
	assert_ptr_equal(best("10.1.0.0/16")->peer, b);
	assert_int_equal(best("10.1.0.0/16")->cost, 100);
}

/* Longest match over best paths, as trace uses it. */
static void
test_match(void **state)
{
	struct peer		*b = mkpeer("b", 2, 10, "10.0.0.0/8");
	struct rib_entry	*e;
	uint8_t			 a[4];

	hello(b, "b");
	announce(b, "10.0.0.0/8", 0, "b", NULL);
	announce(b, "10.1.2.0/24", 0, "b", NULL);
	inet_pton(AF_INET, "10.1.2.3", a);
	assert_non_null(e = rib_match(AF_INET, a));
	assert_int_equal(e->rp->p.plen, 24);
	inet_pton(AF_INET, "10.9.9.9", a);
	assert_non_null(e = rib_match(AF_INET, a));
	assert_int_equal(e->rp->p.plen, 8);
	inet_pton(AF_INET, "10.77.0.1", a);
	assert_non_null(e = rib_match(AF_INET, a));
	assert_null(e->peer);
	inet_pton(AF_INET, "172.16.0.1", a);
	assert_null(rib_match(AF_INET, a));
}

/*
 * A full-tunnel peer's default routes go into the tunnel's table, its
 * other routes stay in main; the leased source goes with every route;
 * a change of table, source or link is made in the kernel, and nothing
 * else is asked of it.
 */
static void
test_full_tunnel(void **state)
{
	struct peer	*g = mkpeer("g", 2, 10, "0.0.0.0/0");
	struct peer	*h = mkpeer("h", 3, 20, "0.0.0.0/0");
	struct kroute	*k;
	struct prefix	 p;
	size_t		 req;

	g->conf.allowed[1] = g->conf.allowed[0];
	assert_int_equal(prefix_parse("::/0", &g->conf.allowed[1]), 0);
	g->conf.n_allowed = 2;
	g->conf.full_tunnel = 1;
	hello(g, "g");
	hello(h, "h");
	announce(g, "0.0.0.0/0", 0, "g", NULL);
	announce(g, "::/0", 0, "g", NULL);
	announce(g, "10.5.0.0/16", 0, "g", NULL);
	assert_int_equal(kernel_in("0.0.0.0/0", FT_TABLE), 2);
	assert_int_equal(kernel("0.0.0.0/0"), 0);
	assert_int_equal(kernel_in("::/0", FT_TABLE), 2);
	assert_int_equal(kernel("10.5.0.0/16"), 2);
	assert_int_equal(kernel_in("10.5.0.0/16", FT_TABLE), 0);

	/* A lease arrives: the routes take its address as their source. */
	assert_int_equal(prefix_parse("10.99.0.7/24", &leased[2][0]), 0);
	kroute_peer_resync(g);
	assert_int_equal(prefix_parse("0.0.0.0/0", &p), 0);
	assert_non_null(k = kfind_in(&p, FT_TABLE));
	assert_int_equal(k->src.family, AF_INET);
	assert_int_equal(k->src.plen, 32);
	assert_int_equal(k->src.addr.bytes[3], 7);
	assert_int_equal(prefix_parse("::/0", &p), 0);
	assert_non_null(k = kfind_in(&p, FT_TABLE));
	assert_int_equal(k->src.family, 0);
	/* Nothing changed: no request at all. */
	req = n_kernel_requests;
	kroute_peer_resync(g);
	kroute_sync_all();
	assert_int_equal(n_kernel_requests, req);

	/* full-tunnel off by reload: the default moves back to main. */
	g->conf.full_tunnel = 0;
	kroute_sync_all();
	assert_int_equal(kernel("0.0.0.0/0"), 2);
	assert_int_equal(kernel_in("0.0.0.0/0", FT_TABLE), 0);
	assert_int_equal(kernel("::/0"), 2);
	assert_int_equal(kernel_in("::/0", FT_TABLE), 0);
	g->conf.full_tunnel = 1;
	kroute_sync_all();
	assert_int_equal(kernel("0.0.0.0/0"), 0);
	assert_int_equal(kernel_in("0.0.0.0/0", FT_TABLE), 2);

	/* The other gateway takes over, with its own source, in main. */
	assert_int_equal(prefix_parse("10.98.0.3/24", &leased[3][0]), 0);
	announce(h, "0.0.0.0/0", 0, "h", NULL);
	assert_int_equal(kernel_in("0.0.0.0/0", FT_TABLE), 2);
	withdraw(g, "0.0.0.0/0");
	assert_int_equal(kernel_in("0.0.0.0/0", FT_TABLE), 0);
	assert_int_equal(kernel("0.0.0.0/0"), 3);
	assert_int_equal(prefix_parse("0.0.0.0/0", &p), 0);
	assert_non_null(k = kfind_in(&p, RT_TABLE_MAIN));
	assert_int_equal(k->src.addr.bytes[3], 3);
	/* Session lost: everything it taught goes, from every table. */
	route_peer_down(g);
	assert_int_equal(kernel_in("::/0", FT_TABLE), 0);
	assert_int_equal(kernel("10.5.0.0/16"), 0);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_best_path),
		T(test_loop),
		T(test_allowed_ips),
		T(test_max_routes),
		T(test_session_loss),
		T(test_export),
		T(test_big_table),
		T(test_accept),
		T(test_reconf),
		T(test_match),
		T(test_full_tunnel),
	};

	log_init(1, 0, LOG_DAEMON);
	return cmocka_run_group_tests_name("rib", tests, NULL, NULL);
}
