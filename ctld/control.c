/* SPDX-License-Identifier: ISC */
/*
 * The control socket: ipcpctl's requests over AF_UNIX SOCK_SEQPACKET, one
 * protobuf Envelope per datagram (proto/msg.c, msg_ctl.c).  The socket is
 * mode 0660, group ipcp when that group exists; anyone who can connect
 * may read status, peers and routes, but commands that change state need
 * uid 0 (SO_PEERCRED).  Every request is bounded and validated; a bad
 * one gets a Result with a code, and the daemon carries on.
 *
 * Replies go through each client's output queue (struct msgq) and are
 * written as the client reads them, so a list of any length (thousands
 * of routes) arrives whole however slowly it is read, and a slow reader
 * never blocks the daemon.  Requests answered later (reload waits for
 * forwarders, trace for the far end) name their client by id, so an
 * answer to a client that has gone is simply dropped.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "handover.h"
#include "ipcpd.h"

/*
 * Anyone in the control group may connect, so what they hold is bounded:
 * at most CONTROL_MAX_CLIENTS connections, and one that asks nothing and
 * has nothing waiting for it for CONTROL_IDLE_MS is closed.  root gets
 * CONTROL_ROOT_EXTRA more and, past those, the longest-idle other client
 * makes way: the administrator's ipcpctl always gets through.
 */
#define CONTROL_MAX_CLIENTS	32
#define CONTROL_ROOT_EXTRA	8
#define CONTROL_IDLE_MS		10000
#define CONTROL_SWEEP_MS	1000
/* A reply this far behind its reader: the reader is not reading. */
#define CONTROL_QUEUE_MAX	(64 * 1024 * 1024)

struct ctl_client {
	TAILQ_ENTRY(ctl_client)	 entry;
	uint64_t		 id;
	int			 fd;
	uv_poll_t		 poll;
	uid_t			 uid;
	struct msgq		 out;
	int			 events;
	int			 gone;		/* closed; freed with poll */
	uint64_t		 active_ms;	/* last request or reply */
};

static TAILQ_HEAD(, ctl_client)	clients =
    TAILQ_HEAD_INITIALIZER(clients);
static size_t			n_clients;
static uint64_t			next_client_id;
static int			control_fd = -1;
static uv_poll_t		control_poll;
static uv_timer_t		sweep_timer;
static char			control_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

struct ctl_command {
	Ipcp__Command	 cmd;
	int		 needs_root;
	void		(*fn)(struct ctl_client *, const Ipcp__Request *,
			    const struct ctl_req *);
};

static void	client_cb(uv_poll_t *, int, int);

static void
client_closed(uv_handle_t *h)
{
	struct ctl_client	*c = h->data;

	close(c->fd);
	msgq_clear(&c->out);
	free(c);
}

static void
client_close(struct ctl_client *c)
{
	if (c->gone)
		return;
	c->gone = 1;
	TAILQ_REMOVE(&clients, c, entry);
	/* No one to sweep: an idle daemon does not wake for nothing. */
	if (--n_clients == 0)
		uv_timer_stop(&sweep_timer);
	uv_close((uv_handle_t *)&c->poll, client_closed);
}

static void
client_update_poll(struct ctl_client *c)
{
	int	events = UV_READABLE;

	if (msgq_pending(&c->out))
		events |= UV_WRITABLE;
	if (events != c->events) {
		uv_poll_start(&c->poll, events, client_cb);
		c->events = events;
	}
}

static void
client_flush(struct ctl_client *c)
{
	if (c->gone)
		return;
	if (msgq_flush(&c->out, c->fd) == -1) {
		client_close(c);
		return;
	}
	client_update_poll(c);
}

static struct ctl_client *
client_by_id(uint64_t id)
{
	struct ctl_client	*c;

	TAILQ_FOREACH(c, &clients, entry)
		if (c->id == id)
			return c;
	return NULL;
}

static int
client_reply(struct ctl_client *c, Ipcp__Envelope *env, uint32_t id)
{
	env->id = id;
	c->active_ms = now_ms();
	if (msgq_push(&c->out, &msg_chan_ctl_reply, env, -1) == -1) {
		if (errno == ENOBUFS) {
			log_warnx("control client not reading its replies; "
			    "hanging up");
			client_close(c);
		} else
			log_warn("control reply");
		return -1;
	}
	client_flush(c);
	return 0;
}

int
ctl_reply(const struct ctl_req *req, Ipcp__Envelope *env)
{
	struct ctl_client	*c;

	if ((c = client_by_id(req->client)) == NULL)
		return -1;
	return client_reply(c, env, req->id);
}

void
ctl_result(const struct ctl_req *req, unsigned code, const char *text)
{
	Ipcp__Envelope	env = IPCP__ENVELOPE__INIT;
	Ipcp__Result	res = IPCP__RESULT__INIT;

	res.code = code;
	res.text = (char *)(text != NULL ? text : ctl_result_str(code));
	env.body_case = IPCP__ENVELOPE__BODY_RESULT;
	env.result = &res;
	ctl_reply(req, &env);
}

static void
reply_end(const struct ctl_req *req)
{
	Ipcp__Envelope	env = IPCP__ENVELOPE__INIT;
	Ipcp__End	end = IPCP__END__INIT;

	env.body_case = IPCP__ENVELOPE__BODY_END;
	env.end = &end;
	ctl_reply(req, &env);
}

/* ---- commands ---------------------------------------------------------- */

/*
 * status, peers and metrics answer from these two, so the numbers
 * ipcpctl prints and the ones Prometheus scrapes are the same numbers.
 */
struct status_buf {
	char		 pub[KEY_B64_LEN];
	char		*listeners[CONFIG_LISTEN_MAX];
	Ipcp__Counter	 hs[HS_RESULT_N];
	Ipcp__Counter	*phs[HS_RESULT_N];
};

static void
status_fill(Ipcp__Status *st, struct status_buf *b)
{
	const struct config	*conf = ipcpd->conf;
	size_t			 i;

	key_to_base64(b->pub, conf->key.pub);
	st->node_name = (char *)conf->name;
	st->public_key = b->pub;
	st->uptime_s = (now_ms() - ipcpd->start_ms) / 1000;
	for (i = 0; i < conf->n_listen; i++)
		b->listeners[i] = (char *)conf->listen[i].text;
	st->n_listeners = conf->n_listen;
	st->listeners = b->listeners;
	st->peers_configured = ipcpd->n_peers;
	st->peers_up = peer_count_up();
	st->pid = getpid();
	st->routes = rib_count();
	st->config = (char *)(conf->compat ? "" : conf->file);
	st->confirm_left_s = reload_confirm_left();
	st->confirm_pending = st->confirm_left_s > 0;
	/* Only what happened: a new result needs no new field. */
	st->n_handshakes = 0;
	for (i = 0; i < HS_RESULT_N; i++) {
		if (ipcpd->hs_results[i] == 0)
			continue;
		ipcp__counter__init(&b->hs[i]);
		b->hs[i].name = (char *)hs_result_name(i);
		b->hs[i].count = ipcpd->hs_results[i];
		b->phs[st->n_handshakes++] = &b->hs[i];
	}
	st->handshakes = b->phs;
	/* Both point into buffers of their own, alive until the next call. */
	gateway_status(st);
	lease_client_status(st);
}

/* Seconds, rounded up: "0" while a timer is due is no answer. */
static uint32_t
seconds_left(uint64_t ms)
{
	return (ms + 999) / 1000;
}

static void
peer_info_fill(Ipcp__PeerInfo *pi, const struct peer *p,
    char pub[KEY_B64_LEN])
{
	uint64_t	now = now_ms();
	int		up = p->state == PEER_STATE_UP;

	key_to_base64(pub, p->conf.pubkey);
	pi->name = (char *)p->conf.name;
	/* A legacy peer has no public key, only a secret's hash. */
	pi->public_key = p->conf.wire == CONFIG_WIRE_LEGACY ? "" : pub;
	pi->endpoint = (char *)(p->conf.has_endpoint ?
	    p->conf.endpoint.text : "");
	pi->state = (char *)peer_state_name(p->state);
	pi->interface = (char *)p->conf.ifname;
	pi->reconnects = p->reconnects;
	pi->metric = p->conf.metric;
	pi->max_routes = p->conf.max_routes;
	pi->routes = p->n_routes;
	pi->routes_rejected = p->routes_rejected;
	pi->cipher = "";
	pi->remote = "";
	pi->node = (char *)p->node;
	pi->wire = p->conf.wire == CONFIG_WIRE_LEGACY ? "legacy" : "ipcp";
	if (up && p->fwd != NULL) {
		pi->session_uptime_s = (now - p->session_start_ms) / 1000;
		pi->rx_bytes = p->stats.rx_bytes;
		pi->tx_bytes = p->stats.tx_bytes;
		pi->rx_packets = p->stats.rx_packets;
		pi->tx_packets = p->stats.tx_packets;
		pi->rx_dropped = p->stats.rx_dropped;
		pi->tx_dropped = p->stats.tx_dropped;
		pi->control_rx_bytes = p->stats.control_rx_bytes;
		pi->control_tx_bytes = p->stats.control_tx_bytes;
		pi->control_dropped = p->stats.control_invalid +
		    p->stats.control_flood + p->control_dropped;
		pi->rtt_us = p->stats.rtt_us;
		pi->fwd_pid = fwd_pid(p->fwd);
		pi->cipher = p->conf.wire == CONFIG_WIRE_LEGACY ?
		    "xsalsa20-poly1305" : (char *)frame_cipher_name(p->cipher);
		pi->remote = (char *)p->remote;
	}
	/* Why it is down, or was last. */
	pi->last_error = (char *)p->last_error;
	if (p->last_error[0] != '\0')
		pi->last_error_age_s = (now - p->last_error_ms) / 1000;
	pi->last_handshake_result = "";
	if (p->last_hs_ms != 0) {
		pi->last_handshake_age_s = (now - p->last_hs_ms) / 1000;
		pi->last_handshake_result =
		    (char *)hs_result_name(p->last_hs_result);
	}
	if (p->state == PEER_STATE_BACKOFF && uv_is_active(
	    (const uv_handle_t *)&p->timer)) {
		pi->redial_pending = 1;
		pi->next_redial_s = seconds_left(uv_timer_get_due_in(
		    &p->timer));
	}
	pi->dial_failures = p->dial_failures;
	peer_drops(p, &pi->drop_source, &pi->drop_queue_full,
	    &pi->drop_auth);
}

static void
cmd_status(struct ctl_client *c, const Ipcp__Request *r,
    const struct ctl_req *req)
{
	Ipcp__Envelope		 env = IPCP__ENVELOPE__INIT;
	Ipcp__Status		 st = IPCP__STATUS__INIT;
	struct status_buf	 b;

	status_fill(&st, &b);
	env.body_case = IPCP__ENVELOPE__BODY_STATUS;
	env.status = &st;
	ctl_reply(req, &env);
}

/*
 * Room for one PeerList reply.  The Envelope around the list adds at
 * most its id (6 bytes), the body's tag (2) and length (3).
 */
#define PEERS_ENVELOPE_MAX	16
struct peer_batch {
	Ipcp__PeerInfo	 pi[MSG_MAX_PEER_BATCH];
	Ipcp__PeerInfo	*ppi[MSG_MAX_PEER_BATCH];
	char		 pub[MSG_MAX_PEER_BATCH][KEY_B64_LEN];
};

static int
reply_peer_list(const struct ctl_req *req, struct peer_batch *b, size_t n)
{
	Ipcp__Envelope	 env = IPCP__ENVELOPE__INIT;
	Ipcp__PeerList	 list = IPCP__PEER_LIST__INIT;

	list.n_peers = n;
	list.peers = b->ppi;
	env.body_case = IPCP__ENVELOPE__BODY_PEERS;
	env.peers = &list;
	return ctl_reply(req, &env);
}

/*
 * Every peer as PeerLists, each as full as the datagram's cap allows,
 * then End: a thousand peers are a dozen messages and as many syscalls
 * on each side, not a thousand.
 */
static int
reply_peers_batched(const struct ctl_req *req)
{
	struct peer_batch	*b;
	struct peer		*p;
	size_t			 n = 0, bytes = 0, sz;
	int			 r = 0;

	if ((b = malloc(sizeof(*b))) == NULL) {
		ctl_result(req, CTL_RES_FAILED, strerror(errno));
		return -1;
	}
	TAILQ_FOREACH(p, &ipcpd->peers, entry) {
		if (n == MSG_MAX_PEER_BATCH) {
			if ((r = reply_peer_list(req, b, n)) == -1)
				goto out;
			n = bytes = 0;
		}
		ipcp__peer_info__init(&b->pi[n]);
		peer_info_fill(&b->pi[n], p, b->pub[n]);
		sz = ipcp__peer_info__get_packed_size(&b->pi[n]);
		sz += msg_field_size(sz);
		if (n > 0 &&
		    bytes + sz > MSG_MAX_CTL_REPLY - PEERS_ENVELOPE_MAX) {
			/* Full: send what came before, p starts the next. */
			if ((r = reply_peer_list(req, b, n)) == -1)
				goto out;
			n = bytes = 0;
			ipcp__peer_info__init(&b->pi[0]);
			peer_info_fill(&b->pi[0], p, b->pub[0]);
			sz = ipcp__peer_info__get_packed_size(&b->pi[0]);
			sz += msg_field_size(sz);
		}
		b->ppi[n] = &b->pi[n];
		bytes += sz;
		n++;
	}
	if (n > 0 && (r = reply_peer_list(req, b, n)) == -1)
		goto out;
	reply_end(req);
out:
	free(b);
	return r;
}

/*
 * Every peer, then End; 0, or -1 if the client went.  One PeerInfo per
 * datagram for an ipcpctl that did not ask for batches (an older one).
 */
static int
reply_peers(const struct ctl_req *req, int batch)
{
	Ipcp__Envelope	 env = IPCP__ENVELOPE__INIT;
	struct peer	*p;

	if (batch)
		return reply_peers_batched(req);
	TAILQ_FOREACH(p, &ipcpd->peers, entry) {
		Ipcp__PeerInfo	pi = IPCP__PEER_INFO__INIT;
		char		pub[KEY_B64_LEN];

		peer_info_fill(&pi, p, pub);
		env.body_case = IPCP__ENVELOPE__BODY_PEER;
		env.peer = &pi;
		if (ctl_reply(req, &env) == -1)
			return -1;
	}
	reply_end(req);
	return 0;
}

static void
cmd_peers(struct ctl_client *c, const Ipcp__Request *r,
    const struct ctl_req *req)
{
	reply_peers(req, r->batch);
}

/*
 * Status, every peer, End: one snapshot, taken in one turn of the loop,
 * that ipcpctl formats for Prometheus (ctl/metrics.c).  The daemon keeps
 * no second copy of any number and knows nothing of the text format.
 */
static void
cmd_metrics(struct ctl_client *c, const Ipcp__Request *r,
    const struct ctl_req *req)
{
	Ipcp__Envelope		 env = IPCP__ENVELOPE__INIT;
	Ipcp__Status		 st = IPCP__STATUS__INIT;
	struct status_buf	 b;

	status_fill(&st, &b);
	env.body_case = IPCP__ENVELOPE__BODY_STATUS;
	env.status = &st;
	if (ctl_reply(req, &env) == -1)
		return;
	reply_peers(req, r->batch);
}

struct route_list {
	struct rib_prefix	**v;
	size_t			  n, cap;
};

static void
collect(struct rib_prefix *rp, void *arg)
{
	struct route_list	*l = arg;

	if (l->n < l->cap && rp->n_paths > 0)
		l->v[l->n++] = rp;
}

/* IPv4 before IPv6, then by address, then shorter prefixes first. */
static int
prefix_order(const void *a, const void *b)
{
	const struct prefix	*pa = &(*(struct rib_prefix *const *)a)->p;
	const struct prefix	*pb = &(*(struct rib_prefix *const *)b)->p;
	int			 c;

	if (pa->family != pb->family)
		return pa->family == AF_INET ? -1 : 1;
	if ((c = memcmp(pa->addr.bytes, pb->addr.bytes, 16)) != 0)
		return c;
	return (int)pa->plen - (int)pb->plen;
}

static int
entry_order(const void *a, const void *b)
{
	return decide_cmp(*(struct rib_entry *const *)a,
	    *(struct rib_entry *const *)b);
}

static int
reply_route(const struct ctl_req *req, const struct rib_entry *e,
    uint64_t now)
{
	Ipcp__Envelope	 env = IPCP__ENVELOPE__INIT;
	Ipcp__RouteInfo	 ri = IPCP__ROUTE_INFO__INIT;
	Ipcp__Prefix	 pfx;
	char		*path[MSG_MAX_PATH + 1];
	unsigned	 i;

	msg_prefix_set(&pfx, &e->rp->p);
	ri.prefix = &pfx;
	if (e->peer != NULL) {
		ri.via = e->peer->conf.name;
		ri.interface = e->peer->conf.ifname;
		for (i = 0; i < e->path->n && i < MSG_MAX_PATH + 1; i++)
			path[i] = (char *)e->path->hop[i];
		ri.n_path = i;
	} else {
		ri.via = "local";
		ri.interface = "";
		path[0] = ipcpd->conf->name;
		ri.n_path = 1;
	}
	ri.path = path;
	ri.cost = e->cost;
	ri.best = e == e->rp->best;
	ri.installed = ri.best && e->rp->installed.ifindex != 0;
	ri.age_s = (now - e->since_ms) / 1000;
	env.body_case = IPCP__ENVELOPE__BODY_ROUTE;
	env.route = &ri;
	return ctl_reply(req, &env);
}

static void
cmd_routes(struct ctl_client *c, const Ipcp__Request *r,
    const struct ctl_req *req)
{
	struct route_list	 l;
	struct rib_entry	*e, **ev = NULL;
	uint64_t		 now = now_ms();
	size_t			 i, j, n, evcap = 0;

	l.cap = rib_count();
	l.n = 0;
	if ((l.v = calloc(l.cap + 1, sizeof(*l.v))) == NULL) {
		ctl_result(req, CTL_RES_FAILED, strerror(errno));
		return;
	}
	rib_walk(collect, &l);
	qsort(l.v, l.n, sizeof(*l.v), prefix_order);
	for (i = 0; i < l.n; i++) {
		if (l.v[i]->n_paths > evcap) {
			evcap = l.v[i]->n_paths;
			free(ev);
			if ((ev = calloc(evcap, sizeof(*ev))) == NULL) {
				ctl_result(req, CTL_RES_FAILED,
				    strerror(errno));
				free(l.v);
				return;
			}
		}
		n = 0;
		TAILQ_FOREACH(e, &l.v[i]->paths, prefix_entry)
			ev[n++] = e;
		/* The best first, then the others as decide.c ranks them. */
		qsort(ev, n, sizeof(*ev), entry_order);
		for (j = 0; j < n; j++)
			if (reply_route(req, ev[j], now) == -1)
				goto out;
	}
	reply_end(req);
out:
	free(ev);
	free(l.v);
}

static void
cmd_log_verbose(struct ctl_client *c, const Ipcp__Request *r,
    const struct ctl_req *req)
{
	log_setverbose(1);
	peer_update_all();
	log_info("logging verbosely");
	ctl_result(req, CTL_RES_OK, NULL);
}

static void
cmd_log_brief(struct ctl_client *c, const Ipcp__Request *r,
    const struct ctl_req *req)
{
	log_info("logging briefly");
	log_setverbose(0);
	peer_update_all();
	ctl_result(req, CTL_RES_OK, NULL);
}

static void
cmd_reload(struct ctl_client *c, const Ipcp__Request *r,
    const struct ctl_req *req)
{
	reload_request(req, r->check, r->confirm_s);
}

static void
cmd_confirm(struct ctl_client *c, const Ipcp__Request *r,
    const struct ctl_req *req)
{
	reload_confirm(req);
}

static void
cmd_goodbye(struct ctl_client *c, const Ipcp__Request *r,
    const struct ctl_req *req)
{
	ctl_result(req, CTL_RES_OK, "saying goodbye to every peer");
	ipcpd_shutdown("goodbye");
}

static void
cmd_restart(struct ctl_client *c, const Ipcp__Request *r,
    const struct ctl_req *req)
{
	handover_request(req);
}

static void
cmd_trace(struct ctl_client *c, const Ipcp__Request *r,
    const struct ctl_req *req)
{
	trace_request(req, r->target);
}

static void
cmd_leases(struct ctl_client *c, const Ipcp__Request *r,
    const struct ctl_req *req)
{
	gateway_ctl_leases(req);
}

static const struct ctl_command commands[] = {
	{ IPCP__COMMAND__CMD_LEASES,		0, cmd_leases },
	{ IPCP__COMMAND__CMD_STATUS,		0, cmd_status },
	{ IPCP__COMMAND__CMD_PEERS,		0, cmd_peers },
	{ IPCP__COMMAND__CMD_ROUTES,		0, cmd_routes },
	{ IPCP__COMMAND__CMD_TRACE,		0, cmd_trace },
	{ IPCP__COMMAND__CMD_METRICS,		0, cmd_metrics },
	{ IPCP__COMMAND__CMD_LOG_VERBOSE,	1, cmd_log_verbose },
	{ IPCP__COMMAND__CMD_LOG_BRIEF,		1, cmd_log_brief },
	{ IPCP__COMMAND__CMD_RELOAD,		1, cmd_reload },
	{ IPCP__COMMAND__CMD_CONFIRM,		1, cmd_confirm },
	{ IPCP__COMMAND__CMD_GOODBYE,		1, cmd_goodbye },
	{ IPCP__COMMAND__CMD_RESTART,		1, cmd_restart },
};

static void
control_dispatch(struct ctl_client *c, Ipcp__Envelope *env)
{
	struct ctl_req	req = { c->id, env->id };
	size_t		i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (commands[i].cmd != env->request->cmd)
			continue;
		if (commands[i].needs_root && c->uid != 0) {
			ctl_result(&req, CTL_RES_DENIED, NULL);
			return;
		}
		commands[i].fn(c, env->request, &req);
		return;
	}
	ctl_result(&req, CTL_RES_UNKNOWN, NULL);
}

static void
client_cb(uv_poll_t *h, int status, int events)
{
	struct ctl_client	*c = h->data;
	struct ctl_req		 req;
	Ipcp__Envelope		*env;

	if (status < 0) {
		client_close(c);
		return;
	}
	if (events & UV_WRITABLE)
		client_flush(c);
	if (c->gone || !(events & UV_READABLE))
		return;
	c->active_ms = now_ms();
	if ((env = msg_recv(c->fd, &msg_chan_ctl_request, NULL)) == NULL) {
		if (errno == EAGAIN)
			return;
		if (errno == EBADMSG || errno == EMSGSIZE ||
		    errno == EPROTO) {
			/* Say why, then hang up: we do not resync. */
			req.client = c->id;
			req.id = 0;
			ctl_result(&req, CTL_RES_INVALID, NULL);
		}
		client_close(c);
		return;
	}
	control_dispatch(c, env);
	msg_free(env);
}

/* Idle clients hold a slot for nothing: let them go. */
static void
sweep(uv_timer_t *t)
{
	struct ctl_client	*c, *next;
	uint64_t		 now = now_ms();

	for (c = TAILQ_FIRST(&clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (!msgq_pending(&c->out) &&
		    now - c->active_ms >= CONTROL_IDLE_MS)
			client_close(c);
	}
}

/* Room for root: the client other than root idle the longest goes. */
static int
make_room(void)
{
	struct ctl_client	*c, *victim = NULL;

	TAILQ_FOREACH(c, &clients, entry)
		if (c->uid != 0 && !msgq_pending(&c->out) &&
		    (victim == NULL || c->active_ms < victim->active_ms))
			victim = c;
	if (victim == NULL)
		return -1;
	client_close(victim);
	return 0;
}

static struct ctl_client *
client_new(int fd, uid_t uid)
{
	struct ctl_client	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->id = ++next_client_id;
	c->fd = fd;
	c->uid = uid;
	c->active_ms = now_ms();
	msgq_init(&c->out, CONTROL_QUEUE_MAX);
	uv_poll_init(ipcpd->loop, &c->poll, fd);
	c->poll.data = c;
	client_update_poll(c);
	TAILQ_INSERT_TAIL(&clients, c, entry);
	if (n_clients++ == 0)
		uv_timer_start(&sweep_timer, sweep, CONTROL_SWEEP_MS,
		    CONTROL_SWEEP_MS);
	return c;
}

static void
control_accept(uv_poll_t *h, int status, int events)
{
	struct ucred		 cred;
	socklen_t		 len = sizeof(cred);
	int			 fd;

	fd = accept4(control_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    (cred.uid != 0 && n_clients >= CONTROL_MAX_CLIENTS) ||
	    (cred.uid == 0 && n_clients >= CONTROL_MAX_CLIENTS +
	    CONTROL_ROOT_EXTRA && make_room() == -1) ||
	    client_new(fd, cred.uid) == NULL)
		close(fd);
}

static void
control_start(int fd, const char *path)
{
	control_fd = fd;
	snprintf(control_path, sizeof(control_path), "%s", path);
	uv_poll_init(ipcpd->loop, &control_poll, fd);
	uv_poll_start(&control_poll, UV_READABLE, control_accept);
	/* Started by the first client (client_new). */
	uv_timer_init(ipcpd->loop, &sweep_timer);
}

/*
 * Bind the control socket: the single-instance check, so it comes before
 * anything else in the system changes.  A socket that answers belongs to
 * a running ipcpd; only one that refuses (ECONNREFUSED) is a leftover of
 * one that died, and may be replaced.  -1 with the reason in err.
 */
int
control_open(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct group		*gr;
	mode_t			 old;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s",
		    path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ||
	    (errno != ECONNREFUSED && errno != ENOENT)) {
		/* Accepted, or too busy to (EAGAIN): alive either way. */
		snprintf(err, errlen, "%s: another ipcpd is running", path);
		close(fd);
		return -1;
	}
	if (errno == ECONNREFUSED)
		unlink(path);
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	if ((gr = getgrnam("ipcp")) != NULL && chown(path, 0, gr->gr_gid) == -1)
		log_warn("chown %s", path);
	if (listen(fd, 16) == -1) {
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	control_start(fd, path);
	return 0;
}

/* handover.c: the listening socket, for the next binary. */
int
control_listen_fd(void)
{
	return control_fd;
}

/* handover.c: the client that asked for a restart, or -1. */
int
control_client_fd(const struct ctl_req *req)
{
	struct ctl_client	*c;

	if (req == NULL || (c = client_by_id(req->client)) == NULL)
		return -1;
	return c->fd;
}

/* takeover.c: the socket the binary before us listened on. */
void
control_adopt(int fd, const char *path)
{
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	control_start(fd, path);
}

/* takeover.c: the client of the restart, to be answered by req. */
int
control_adopt_client(int fd, uint32_t id, struct ctl_req *req)
{
	struct ctl_client	*c;
	struct ucred		 cred;
	socklen_t		 len = sizeof(cred);

	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    (c = client_new(fd, cred.uid)) == NULL) {
		close(fd);
		return -1;
	}
	req->client = c->id;
	req->id = id;
	return 0;
}

void
control_flush_all(void)
{
	struct ctl_client	*c, *next;

	for (c = TAILQ_FIRST(&clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		client_flush(c);
	}
}

void
control_close(void)
{
	struct ctl_client	*c;

	if (control_fd == -1)
		return;
	/* Last words (a goodbye's "ok") go out if the socket takes them. */
	control_flush_all();
	while ((c = TAILQ_FIRST(&clients)) != NULL)
		client_close(c);
	uv_close((uv_handle_t *)&control_poll, NULL);
	uv_close((uv_handle_t *)&sweep_timer, NULL);
	close(control_fd);
	control_fd = -1;
	unlink(control_path);
}
