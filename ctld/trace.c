/* SPDX-License-Identifier: ISC */
/*
 * ipcpctl trace NODE: an in-band probe that follows our routes.
 *
 * The origin sends a Trace to the next hop of its best route to the
 * target (a node name: the route its originator is; an address: the
 * longest match).  Each hop appends its name and the time it saw the
 * probe, on its own clock, and passes it on the same way.  The target,
 * or a hop that cannot go on (no route, too many hops), turns it into a
 * reply carrying its peers and routes (or the error), which retraces the
 * forward hops backwards, each appending itself again.  Back at the
 * origin, hop i's round trip is the whole trip minus the time the probe
 * spent beyond it, measured on hop i's own clock:
 *
 *	rtt(i) = (back at origin - sent) - (reply at i - probe at i)
 *
 * so no two clocks need agree.  Probes are rate-limited at every hop,
 * bounded in hops (MSG_MAX_TRACE_HOPS) and validated like every CONTROL
 * message by the forwarder that received them.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ipcpd.h"

#define TRACE_TIMEOUT_MS	5000

struct trace_pending {
	TAILQ_ENTRY(trace_pending) entry;
	uint64_t		 id;
	struct ctl_req		 req;
	uint64_t		 sent_us;
	uv_timer_t		 timer;
	char			 target[MSG_MAX_NAME + 1];
};

static TAILQ_HEAD(, trace_pending) pending =
    TAILQ_HEAD_INITIALIZER(pending);
/* Probes this node starts or passes on: 20 at once, 10 a second. */
static struct log_ratelimit	trace_rate = LOG_RATELIMIT_INIT(20, 100);
static struct log_ratelimit	trace_rl = LOG_RATELIMIT_INIT(5, 1000);

/* Where a probe is going: a name, or an address (a host prefix). */
struct target {
	const char	*name;		/* NULL for an address */
	struct prefix	 addr;
};

static int
target_of(const Ipcp__Trace *t, struct target *tg)
{
	memset(tg, 0, sizeof(*tg));
	if (t->target_addr == NULL) {
		tg->name = t->target;
		return 0;
	}
	return msg_prefix_get(t->target_addr, &tg->addr);
}

struct by_origin {
	const char		*name;
	const struct rib_entry	*best;
};

static void
origin_one(struct rib_prefix *rp, void *arg)
{
	struct by_origin	*o = arg;
	const struct rib_entry	*e = rp->best;

	if (e == NULL || e->peer == NULL ||
	    strcmp(e->path->hop[e->path->n - 1], o->name) != 0)
		return;
	if (o->best == NULL || decide_cmp(e, o->best) < 0)
		o->best = e;
}

/*
 * The next hop towards the target: *next is the peer, or NULL when the
 * target is this node.  -1 when there is no route.
 */
static int
next_hop(const struct target *tg, struct peer **next)
{
	const struct rib_entry	*e;
	struct by_origin	 o;

	*next = NULL;
	if (tg->name != NULL) {
		if (strcmp(tg->name, ipcpd->conf->name) == 0)
			return 0;
		o.name = tg->name;
		o.best = NULL;
		rib_walk(origin_one, &o);
		if (o.best != NULL) {
			*next = o.best->peer;
			return 0;
		}
		/* A neighbour that originates nothing is still there. */
		return (*next = peer_by_node(tg->name)) != NULL ? 0 : -1;
	}
	if ((e = rib_match(tg->addr.family, tg->addr.addr.bytes)) == NULL)
		return -1;
	*next = e->peer;
	return 0;
}

static void
hop_set(Ipcp__TraceHop *h, const char *node, uint64_t us)
{
	ipcp__trace_hop__init(h);
	h->node = (char *)node;
	h->time_us = us;
}

/* hops = in, then this node now; returns the new length. */
static size_t
hops_append(Ipcp__TraceHop **hops, Ipcp__TraceHop *const *in, size_t n,
    Ipcp__TraceHop *me)
{
	memcpy(hops, in, n * sizeof(hops[0]));
	hop_set(me, ipcpd->conf->name, now_us());
	hops[n] = me;
	return n + 1;
}

/* Our peers and routes, for the reply of a target. */
struct info {
	Ipcp__TracePeer	 peer[MSG_MAX_TRACE_INFO];
	Ipcp__TracePeer	*peerp[MSG_MAX_TRACE_INFO];
	size_t		 n_peers;
	Ipcp__Prefix	 route[MSG_MAX_TRACE_INFO];
	Ipcp__Prefix	*routep[MSG_MAX_TRACE_INFO];
	size_t		 n_routes;
};

static void
info_route(struct rib_prefix *rp, void *arg)
{
	struct info	*in = arg;

	if (rp->best == NULL || in->n_routes == MSG_MAX_TRACE_INFO)
		return;
	msg_prefix_set(&in->route[in->n_routes], &rp->p);
	in->routep[in->n_routes] = &in->route[in->n_routes];
	in->n_routes++;
}

static void
info_fill(struct info *in)
{
	struct peer	*p;

	in->n_peers = in->n_routes = 0;
	TAILQ_FOREACH(p, &ipcpd->peers, entry) {
		Ipcp__TracePeer *tp = &in->peer[in->n_peers];

		if (in->n_peers == MSG_MAX_TRACE_INFO)
			break;
		ipcp__trace_peer__init(tp);
		tp->name = p->conf.name;
		tp->state = (char *)peer_state_name(p->state);
		tp->rtt_us = p->state == PEER_STATE_UP ? p->stats.rtt_us : 0;
		in->peerp[in->n_peers++] = tp;
	}
	rib_walk(info_route, in);
}

/* Our peers and routes into a reply; valid until the next call. */
static void
info_attach(Ipcp__Trace *t)
{
	static struct info	info;

	info_fill(&info);
	t->peers = info.peerp;
	t->n_peers = info.n_peers;
	t->routes = info.routep;
	t->n_routes = info.n_routes;
}

/* Fill the result's hop round trips from the reply's two lists. */
static void
round_trips(Ipcp__Trace *t, uint64_t sent_us, uint64_t now_us)
{
	size_t		i, k, n = t->n_forward;
	uint64_t	total = now_us - sent_us, beyond;

	for (i = 0; i < n; i++) {
		t->forward[i]->rtt_us = 0;
		/* reverse[k] is forward hop n - 1 - k. */
		k = n - 1 - i;
		if (k >= t->n_reverse ||
		    strcmp(t->reverse[k]->node, t->forward[i]->node) != 0)
			continue;
		beyond = t->reverse[k]->time_us - t->forward[i]->time_us;
		t->forward[i]->rtt_us = beyond < total ? total - beyond : 0;
		t->reverse[k]->rtt_us = t->forward[i]->rtt_us;
	}
}

static void
pending_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
pending_free(struct trace_pending *tp)
{
	TAILQ_REMOVE(&pending, tp, entry);
	uv_close((uv_handle_t *)&tp->timer, pending_closed);
}

static void
result_send(const struct ctl_req *req, const char *target,
    const Ipcp__Trace *t, uint64_t total_us)
{
	Ipcp__Envelope		env = IPCP__ENVELOPE__INIT;
	Ipcp__TraceResult	r = IPCP__TRACE_RESULT__INIT;

	r.target = (char *)target;
	r.forward = t->forward;
	r.n_forward = t->n_forward;
	r.reverse = t->reverse;
	r.n_reverse = t->n_reverse;
	r.error = t->error;
	r.peers = t->peers;
	r.n_peers = t->n_peers;
	r.routes = t->routes;
	r.n_routes = t->n_routes;
	r.rtt_us = total_us;
	env.body_case = IPCP__ENVELOPE__BODY_TRACE_RESULT;
	env.trace_result = &r;
	ctl_reply(req, &env);
}

static void
trace_timeout(uv_timer_t *timer)
{
	struct trace_pending	*tp = timer->data;
	char			 text[MSG_MAX_TEXT];

	snprintf(text, sizeof(text), "no answer from %s within %d s",
	    tp->target, TRACE_TIMEOUT_MS / 1000);
	ctl_result(&tp->req, CTL_RES_TIMEOUT, text);
	pending_free(tp);
}

static void
send_control(struct peer *to, Ipcp__Trace *t)
{
	Ipcp__Control	c = IPCP__CONTROL__INIT;

	c.body_case = IPCP__CONTROL__BODY_TRACE;
	c.trace = t;
	if (peer_send_control(to, &c) == -1 && log_ratelimit(&trace_rl))
		log_warnx("trace: cannot send to peer %s", to->conf.name);
}

/*
 * Turn a probe that ends here into a reply (with our peers and routes,
 * or why it went no further) and send it back the way it came.
 */
static void
turn_round(struct peer *from, const Ipcp__Trace *in, const char *error)
{
	Ipcp__Trace	 t = *in;
	Ipcp__TraceHop	 back, *rev[1];

	hop_set(&back, ipcpd->conf->name, now_us());
	rev[0] = &back;
	t.reply = 1;
	t.reverse = rev;
	t.n_reverse = 1;
	t.error = (char *)(error != NULL ? error : "");
	t.n_peers = t.n_routes = 0;
	if (error == NULL)
		info_attach(&t);
	send_control(from, &t);
}

void
trace_request(const struct ctl_req *req, const char *text)
{
	struct trace_pending	*tp;
	struct target		 tg;
	struct peer		*next;
	Ipcp__Trace		 t = IPCP__TRACE__INIT;
	Ipcp__TraceHop		 h, *hp[1];
	Ipcp__Prefix		 addr;

	memset(&tg, 0, sizeof(tg));
	/* An address alone, as a host prefix (not a network), or a name. */
	if (strchr(text, '/') != NULL || prefix_parse(text, &tg.addr) == -1) {
		if (!msg_name_ok(text)) {
			ctl_result(req, CTL_RES_INVALID, "not a node name or "
			    "an address");
			return;
		}
		tg.name = text;
	}
	if (!ratelimit_take(&trace_rate)) {
		ctl_result(req, CTL_RES_FAILED, "too many traces at once; "
		    "try again in a moment");
		return;
	}
	if (next_hop(&tg, &next) == -1) {
		ctl_result(req, CTL_RES_FAILED, "no route to that node");
		return;
	}
	hop_set(&h, ipcpd->conf->name, now_us());
	hp[0] = &h;
	t.forward = hp;
	t.n_forward = 1;
	if (tg.name != NULL)
		t.target = (char *)tg.name;
	else {
		msg_prefix_set(&addr, &tg.addr);
		t.target_addr = &addr;
	}
	if (next == NULL) {
		/* We are the target: our own answer, no hops. */
		t.reply = 1;
		t.reverse = hp;
		t.n_reverse = 1;
		info_attach(&t);
		result_send(req, text, &t, 0);
		return;
	}
	if ((tp = calloc(1, sizeof(*tp))) == NULL) {
		ctl_result(req, CTL_RES_FAILED, "out of memory");
		return;
	}
	randombytes_buf(&tp->id, sizeof(tp->id));
	tp->req = *req;
	tp->sent_us = h.time_us;
	snprintf(tp->target, sizeof(tp->target), "%s", text);
	uv_timer_init(ipcpd->loop, &tp->timer);
	tp->timer.data = tp;
	uv_timer_start(&tp->timer, trace_timeout, TRACE_TIMEOUT_MS, 0);
	TAILQ_INSERT_TAIL(&pending, tp, entry);
	t.id = tp->id;
	send_control(next, &t);
}

/* A reply at the origin. */
static void
arrived(Ipcp__Trace *t)
{
	struct trace_pending	*tp;
	uint64_t		 now = now_us();

	TAILQ_FOREACH(tp, &pending, entry)
		if (tp->id == t->id)
			break;
	if (tp == NULL)
		return;		/* timed out, or not ours */
	round_trips(t, tp->sent_us, now);
	result_send(&tp->req, tp->target, t, now - tp->sent_us);
	pending_free(tp);
}

static void
probe(struct peer *from, const Ipcp__Trace *in)
{
	Ipcp__Trace	 t = *in;
	Ipcp__TraceHop	*hops[MSG_MAX_TRACE_HOPS], me;
	struct target	 tg;
	struct peer	*next;
	char		 err[MSG_MAX_TEXT];
	size_t		 n = in->n_forward;

	if (target_of(in, &tg) == -1)
		return;
	if (n >= MSG_MAX_TRACE_HOPS) {
		snprintf(err, sizeof(err), "more than %d hops",
		    MSG_MAX_TRACE_HOPS);
		turn_round(from, in, err);
		return;
	}
	t.forward = hops;
	t.n_forward = hops_append(hops, in->forward, n, &me);
	if (next_hop(&tg, &next) == -1) {
		snprintf(err, sizeof(err), "%s has no route to the target",
		    ipcpd->conf->name);
		turn_round(from, &t, err);
	} else if (next == NULL)
		turn_round(from, &t, NULL);
	else
		send_control(next, &t);
}

static void
reply(struct peer *from, Ipcp__Trace *in)
{
	Ipcp__Trace	 t = *in;
	Ipcp__TraceHop	*hops[MSG_MAX_TRACE_HOPS], me;
	struct peer	*back;
	size_t		 idx;

	/* Where we are on the forward path: the reply retraces it. */
	if (in->n_reverse >= in->n_forward)
		return;
	idx = in->n_forward - 1 - in->n_reverse;
	if (strcmp(in->forward[idx]->node, ipcpd->conf->name) != 0)
		return;
	if (idx == 0) {
		arrived(in);
		return;
	}
	t.reverse = hops;
	t.n_reverse = hops_append(hops, in->reverse, in->n_reverse, &me);
	if ((back = peer_by_node(in->forward[idx - 1]->node)) == NULL) {
		if (log_ratelimit(&trace_rl))
			log_warnx("trace: no session to %s to send a reply "
			    "back", in->forward[idx - 1]->node);
		return;
	}
	send_control(back, &t);
}

void
trace_input(struct peer *from, const Ipcp__Trace *t)
{
	/* Every hop pays for a probe; a flood stops at the first. */
	if (!ratelimit_take(&trace_rate)) {
		if (log_ratelimit(&trace_rl))
			log_warnx("peer %s: trace probes over the rate limit "
			    "dropped", from->conf.name);
		return;
	}
	if (t->reply)
		reply(from, (Ipcp__Trace *)t);
	else
		probe(from, t);
}

void
trace_clear(void)
{
	struct trace_pending	*tp;

	while ((tp = TAILQ_FIRST(&pending)) != NULL)
		pending_free(tp);
}
