/* SPDX-License-Identifier: ISC */
/*
 * Peers: one per [peer] section, identified by its public key.  A peer
 * owns its TUN device for as long as it is configured (so the interface,
 * its addresses and its name survive reconnects; the carrier is off while
 * no session is up) and at most one session, run by one forwarder.
 *
 * This file is the hub of ipcpd.  Handshakes (hsconn.c), forwarders
 * (fwdproc.c) and reloads (reload.c) report here as events, and
 * peer_fsm() is the only place a peer changes state; it logs every
 * transition (bgpd bgp_fsm()).  What a forwarder passes on from the peer
 * goes from here to route.c or trace.c.  The side with an endpoint
 * redials with exponential backoff and jitter; the other side waits.
 */
#include <net/if.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ipcpd.h"
#include "netlink.h"
#include "sysctl.h"

/* Peer generations, from one counter: see struct peer's gen. */
static uint32_t	generations;
/*
 * The link group our TUNs join as they come up, so that at exit one
 * request deletes them all (peer_tun_delete_all).  Random, above 2^31:
 * far from the small groups people give by hand, and from another
 * ipcpd's in this namespace.
 */
static uint32_t	tun_group;

static const char *const peer_state_names[] = {
	[PEER_STATE_NOTUN] = "no-interface",
	[PEER_STATE_WAITING] = "waiting",
	[PEER_STATE_CONNECTING] = "connecting",
	[PEER_STATE_BACKOFF] = "backoff",
	[PEER_STATE_UP] = "up",
	[PEER_STATE_STOPPED] = "stopped",
};

static const char *const peer_event_names[] = {
	[PEER_EV_START] = "start",
	[PEER_EV_DIAL_FAILED] = "dial failed",
	[PEER_EV_TIMER] = "timer",
	[PEER_EV_HANDSHAKE_DONE] = "session up",
	[PEER_EV_SESSION_DOWN] = "session down",
	[PEER_EV_FWD_HUNG] = "forwarder hung",
	[PEER_EV_CLOSE] = "session closed",
	[PEER_EV_RECONFIGURE] = "reconfigured",
	[PEER_EV_RESTART] = "restarted",
	[PEER_EV_STOP] = "stop",
	[PEER_EV_DELETE] = "removed",
};

static void	peer_timer_cb(uv_timer_t *);

const char *
peer_state_name(enum peer_state s)
{
	return peer_state_names[s];
}

static void
peer_set_state(struct peer *p, enum peer_state s, enum peer_event ev)
{
	if (p->state != s)
		log_info("peer %s: %s -> %s (%s)", p->conf.name,
		    peer_state_names[p->state], peer_state_names[s],
		    peer_event_names[ev]);
	p->state = s;
}

/* ---- the TUN ----------------------------------------------------------- */

static void
peer_tun_close(struct peer *p)
{
	if (p->tun_fd != -1)
		close(p->tun_fd);
	p->tun_fd = -1;
	p->ifindex = 0;
	p->tun_grouped = 0;
}

static uint32_t
peer_tun_group(void)
{
	if (tun_group == 0)
		tun_group = 0x80000000U | randombytes_uniform(0x7fffffffU);
	return tun_group;
}

/* The original ipcp's frames carry no virtio-net offloads. */
static int
peer_offload(const struct peer *p, const struct config *conf)
{
	return conf->offload && p->conf.wire != CONFIG_WIRE_LEGACY;
}

/*
 * No router solicitations from our TUNs, before they come up: ipcp, not
 * router advertisements, configures them, and every solicitation (at 4,
 * 8, 16 s ... backing off to an hour, from each end) wakes both
 * forwarders of a session that is otherwise idle.  An advertisement the
 * peer sends anyway is still taken.  Without IPv6 there is nothing to
 * turn off.
 */
static void
peer_tun_no_rs(const struct peer *p)
{
	char	path[sizeof("net/ipv6/conf//router_solicitations") + IFNAMSIZ];

	snprintf(path, sizeof(path), "net/ipv6/conf/%s/router_solicitations",
	    p->conf.ifname);
	if (sysctl_write(path, "0") == -1 && errno != ENOENT)
		log_debug("peer %s: %s: %s", p->conf.name, path,
		    strerror(errno));
}

static int
peer_tun_setup(struct peer *p)
{
	const struct config	*conf = ipcpd->conf;
	char			 a[PREFIX_STRLEN];
	size_t			 i;
	/*
	 * Only an interface that was there before (made persistent by
	 * someone) can carry routes of an earlier life: a new one has none,
	 * and a route dump per peer is not free with many of both.
	 */
	int			 existed = if_nametoindex(p->conf.ifname) != 0;

	if ((p->tun_fd = tun_open(p->conf.ifname, &p->ifindex,
	    peer_offload(p, conf))) == -1) {
		int	busy = errno == EBUSY;

		if (log_ratelimit(&p->tun_rl))
			log_warn("peer %s: tun %s (retrying)", p->conf.name,
			    p->conf.ifname);
		/*
		 * A forwarder orphaned by a dead ipcpd may hold the name:
		 * look once per busy spell, not at every retry (usually it
		 * is our own forwarder, still on its way out).
		 */
		if (busy && !p->tun_reclaimed) {
			p->tun_reclaimed = 1;
			(void)tun_reclaim(p->conf.ifname);
		}
		return -1;
	}
	p->tun_reclaimed = 0;
	if (tun_set_carrier(p->tun_fd, 0) == -1)
		log_warn("peer %s: carrier off", p->conf.name);
	peer_tun_no_rs(p);
	/* Ours from an earlier life of this interface, if it had one. */
	if (existed && nl_route_flush_dev(p->ifindex) == -1)
		log_warn("peer %s: old routes via %s", p->conf.name,
		    p->conf.ifname);
	/*
	 * Into our group in the same request: a link change of its own at
	 * exit would cost the kernel a walk of the IPv6 routes per TUN, and
	 * a gateway's thousand TUNs seconds.
	 */
	if (nl_link_set_group(p->ifindex, 1, p->conf.mtu,
	    peer_tun_group()) == -1) {
		log_warn("peer %s: set %s up", p->conf.name, p->conf.ifname);
		goto fail;
	}
	p->tun_grouped = 1;
	for (i = 0; i < conf->n_address; i++) {
		if (nl_addr_add(p->ifindex, &conf->address[i]) == -1) {
			prefix_format(&conf->address[i], a);
			log_warn("peer %s: address %s on %s", p->conf.name, a,
			    p->conf.ifname);
			goto fail;
		}
	}
	return 0;
fail:
	peer_tun_close(p);
	return -1;
}

void
peer_tun_retry_all(void)
{
	struct peer	*p, *next;

	for (p = TAILQ_FIRST(&ipcpd->peers); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (p->state == PEER_STATE_NOTUN)
			peer_fsm(p, PEER_EV_TIMER, NULL);
	}
}

void
peer_addresses_sync(const struct config *old)
{
	const struct config	*conf = ipcpd->conf;
	struct peer		*p;
	char			 a[PREFIX_STRLEN];
	size_t			 i;

	/* Only what changed: one netlink request per address per TUN. */
	TAILQ_FOREACH(p, &ipcpd->peers, entry) {
		if (p->tun_fd == -1)
			continue;
		for (i = 0; i < conf->n_address; i++)
			if (!prefix_in(&conf->address[i], old->address,
			    old->n_address) &&
			    nl_addr_add(p->ifindex, &conf->address[i]) == -1) {
				prefix_format(&conf->address[i], a);
				log_warn("peer %s: address %s", p->conf.name,
				    a);
			}
		for (i = 0; i < old->n_address; i++)
			if (!prefix_in(&old->address[i], conf->address,
			    conf->n_address) &&
			    nl_addr_del(p->ifindex, &old->address[i]) == -1) {
				prefix_format(&old->address[i], a);
				log_warn("peer %s: remove address %s",
				    p->conf.name, a);
			}
	}
}

void
peer_offload_sync(void)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		if (p->tun_fd != -1 &&
		    tun_set_offload(p->tun_fd, peer_offload(p,
		    ipcpd->conf)) == -1)
			log_warn("peer %s: offload", p->conf.name);
}

/* ---- the table of peers ------------------------------------------------ */

struct peer *
peer_add(const struct peer_conf *pc)
{
	struct peer	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->id = ++ipcpd->next_peer_id;
	p->gen = ++generations;
	p->conf = *pc;
	p->tun_fd = -1;
	p->state = PEER_STATE_NOTUN;
	p->tun_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1, 60000);
	p->route_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(5, 1000);
	p->ctl_rate = (struct log_ratelimit)LOG_RATELIMIT_INIT(
	    PEER_CONTROL_BURST, PEER_CONTROL_EVERY_MS);
	TAILQ_INIT(&p->rib_in);
	if (peertab_add(p) == -1) {
		free(p);
		return NULL;
	}
	uv_timer_init(ipcpd->loop, &p->timer);
	p->timer.data = p;
	TAILQ_INSERT_TAIL(&ipcpd->peers, p, entry);
	ipcpd->n_peers++;
	return p;
}

/* The other end of peer_add: the peer says goodbye and is freed. */
void
peer_remove(struct peer *p, const char *reason)
{
	peer_fsm(p, PEER_EV_DELETE, reason);
}

static void
peer_timer_closed(uv_handle_t *h)
{
	struct peer	*p = h->data;

	sodium_memzero(p, sizeof(*p));
	free(p);
}

/* Out of the table; freed once its timer handle is closed. */
static void
peer_unlink(struct peer *p)
{
	TAILQ_REMOVE(&ipcpd->peers, p, entry);
	peertab_del(p);
	ipcpd->n_peers--;
	uv_close((uv_handle_t *)&p->timer, peer_timer_closed);
}

void
peer_stop_all(const char *reason)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		peer_fsm(p, PEER_EV_STOP, reason);
}

/*
 * TUNs deleted in one request.  Closing them one by one makes the kernel
 * unregister each on its own, ~20 ms apiece: 20 s for a gateway with
 * 1000 peers, past systemd's stop timeout, and as long a stall of the
 * loop for a reload that removes them.  One RTM_DELLINK for a link group
 * unregisters them all as one batch.  The n peers' TUNs join `group'
 * (those already in it, flagged by tun_grouped, need not), and the group
 * is checked to hold only them (another ipcpd in this namespace has its
 * own), else they go one by one after all.  0: done; their fds are still
 * to be closed, which now costs nothing.
 */
static int
peer_tun_delete_group(struct peer **ps, size_t n, uint32_t group,
    int joined)
{
	size_t	 i, in;

	if (n < 2)
		return -1;
	for (i = 0; i < n; i++) {
		if (joined && ps[i]->tun_grouped)
			continue;
		if (nl_link_group_set(ps[i]->ifindex, group) == -1) {
			log_warn("peer %s: link group", ps[i]->conf.name);
			return -1;
		}
		ps[i]->tun_grouped = joined;
	}
	if (nl_link_group_count(group, &in) == -1) {
		log_warn("link group %u", group);
		return -1;
	}
	if (in != n) {
		log_warnx("link group %u holds %zu links, not our %zu; "
		    "removing ours one by one", group, in, n);
		return -1;
	}
	if (nl_link_group_del(group) == -1) {
		log_warn("removing %zu interfaces", n);
		return -1;
	}
	log_debug("removed %zu interfaces at once", n);
	return 0;
}

/* At exit: all of our TUNs, in the group they joined as they came up. */
static int
peer_tun_delete_all(void)
{
	struct peer	*p, **ps;
	size_t		 n = 0;
	int		 r;

	if ((ps = calloc(ipcpd->n_peers + 1, sizeof(*ps))) == NULL)
		return -1;
	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		if (p->tun_fd != -1)
			ps[n++] = p;
	r = peer_tun_delete_group(ps, n, peer_tun_group(), 1);
	free(ps);
	return r;
}

/*
 * A reload's deleted peers (peer_delete follows): the TUNs no forwarder
 * holds go now, at once, in a group of their own.  One a forwarder holds
 * goes when the forwarder exits, once it has said goodbye, and in its
 * exit rather than in our loop.
 */
void
peer_tun_delete_some(struct peer **ps, size_t n)
{
	struct peer	**idle;
	size_t		  i, k = 0;
	uint32_t	  group;

	if ((idle = calloc(n + 1, sizeof(*idle))) == NULL)
		return;
	for (i = 0; i < n; i++)
		if (ps[i] != NULL && ps[i]->tun_fd != -1 && ps[i]->fwd == NULL)
			idle[k++] = ps[i];
	do
		group = 0x80000000U | randombytes_uniform(0x7fffffffU);
	while (group == peer_tun_group());
	if (peer_tun_delete_group(idle, k, group, 0) == 0)
		for (i = 0; i < k; i++)
			peer_tun_close(idle[i]);
	free(idle);
}

/*
 * At exit, once the forwarders are gone and the RIB is freed: TUNs
 * deleted, and the kernel's routes through them with them.
 */
void
peer_free_all(void)
{
	struct peer	*p;

	/* Whatever is left, closing the fds removes. */
	(void)peer_tun_delete_all();
	while ((p = TAILQ_FIRST(&ipcpd->peers)) != NULL) {
		peer_tun_close(p);
		peer_unlink(p);
	}
}

struct peer *
peer_by_node(const char *node)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		if (p->state == PEER_STATE_UP && strcmp(p->node, node) == 0)
			return p;
	return NULL;
}

size_t
peer_count_up(void)
{
	struct peer	*p;
	size_t		 n = 0;

	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		if (p->state == PEER_STATE_UP)
			n++;
	return n;
}

/*
 * takeover.c: the binary before us ran this session, and its forwarder
 * goes on moving packets; we only take over its supervision.
 */
void
peer_resume_session(struct peer *p, struct fwdproc *f)
{
	p->fwd = f;
	p->state = PEER_STATE_UP;
	log_info("peer %s: session carried over (forwarder pid %d)",
	    p->conf.name, fwd_pid(f));
}

/* ---- what the forwarder gets and passes on ------------------------------ */

static void
peer_fwd_params(const struct peer *p, struct fwd_params *fp)
{
	const struct config	*conf = ipcpd->conf;
	size_t			 n = p->conf.n_allowed;

	memset(fp, 0, sizeof(*fp));
	snprintf(fp->peer_name, sizeof(fp->peer_name), "%s", p->conf.name);
	fp->uid = conf->uid;
	fp->gid = conf->gid;
	fp->heartbeat_ms = conf->heartbeat_interval * 1000;
	fp->dead_after_ms = conf->dead_after * 1000;
	memcpy(fp->allowed, p->conf.allowed, n * sizeof(fp->allowed[0]));
	/* A gateway's client may also send from what it leased. */
	n += gateway_peer_allowed(p, fp->allowed + n, MSG_MAX_PREFIXES - n);
	fp->n_allowed = n;
	fp->verbose = log_getverbose() > 0;
}

void
peer_fwd_update(struct peer *p)
{
	struct fwd_params	fp;

	if (p->fwd == NULL)
		return;
	peer_fwd_params(p, &fp);
	fwd_send_update(p->fwd, &fp);
}

void
peer_update_all(void)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		peer_fwd_update(p);
}

void
peer_fwd_stats(struct peer *p, const struct fwd_counters *c)
{
	p->stats = *c;
}

void
peer_fwd_control(struct peer *p, const Ipcp__Control *c)
{
	if (p->state != PEER_STATE_UP)
		return;
	/*
	 * The forwarder already holds a peer to a rate; this holds a
	 * forwarder that does not (compromised, or broken) to a looser one.
	 */
	if (!ratelimit_take(&p->ctl_rate)) {
		p->control_dropped++;
		if (log_ratelimit(&p->route_rl))
			log_warnx("peer %s: CONTROL over the rate limit "
			    "dropped", p->conf.name);
		return;
	}
	switch (c->body_case) {
	case IPCP__CONTROL__BODY_HELLO:
		route_hello(p, c->hello);
		lease_client_up(p);
		break;
	case IPCP__CONTROL__BODY_UPDATE:
		route_update(p, c->update);
		break;
	case IPCP__CONTROL__BODY_REFRESH:
		route_refresh(p);
		break;
	case IPCP__CONTROL__BODY_TRACE:
		trace_input(p, c->trace);
		break;
	case IPCP__CONTROL__BODY_LEASE_REQUEST:
		gateway_lease_request(p, c->lease_request);
		break;
	case IPCP__CONTROL__BODY_LEASE_OFFER:
		lease_client_offer(p, c->lease_offer);
		break;
	default:
		break;
	}
}

int
peer_send_control(struct peer *p, const Ipcp__Control *c)
{
	/* The original ipcp's wire has no CONTROL frames to carry it. */
	if (p->fwd == NULL || p->conf.wire == CONFIG_WIRE_LEGACY)
		return -1;
	return fwd_send_control(p->fwd, c);
}

/* ---- the state machine ------------------------------------------------- */

static void
peer_timer_cb(uv_timer_t *t)
{
	peer_fsm(t->data, PEER_EV_TIMER, NULL);
}

/*
 * Exponential backoff with +-25% jitter, so peers do not redial in step;
 * kept short for a while after the peer said goodbye.
 */
static void
peer_backoff(struct peer *p)
{
	unsigned	delay, jitter, max = PEER_BACKOFF_MAX_MS;

	if (p->goodbye_ms != 0 &&
	    now_ms() - p->goodbye_ms < PEER_GOODBYE_WINDOW_MS)
		max = PEER_GOODBYE_BACKOFF_MS;
	if (p->backoff_ms == 0)
		p->backoff_ms = PEER_BACKOFF_MIN_MS;
	if (p->backoff_ms > max)
		p->backoff_ms = max;
	jitter = p->backoff_ms / 2;
	delay = p->backoff_ms - jitter / 2 + randombytes_uniform(jitter + 1);
	log_debug("peer %s: redial in %u ms%s%s", p->conf.name, delay,
	    p->last_error[0] != '\0' ? " after " : "", p->last_error);
	uv_timer_start(&p->timer, peer_timer_cb, delay, 0);
	p->backoff_ms *= 2;
	if (p->backoff_ms > max)
		p->backoff_ms = max;
}

/*
 * Both sides dialed at once and both handshakes finished: keep the
 * session the lower public key initiated, which both sides compute alike.
 */
static int
peer_keep_existing(struct peer *p, int initiator)
{
	int	we_are_lower;

	if (p->fwd == NULL || p->session_initiator == initiator ||
	    now_ms() - p->session_start_ms > PEER_SIMUL_MS)
		return 0;
	we_are_lower = memcmp(ipcpd->conf->key.pub, p->conf.pubkey,
	    KEY_LEN) < 0;
	/* The existing session was initiated by the lower key. */
	return p->session_initiator == we_are_lower;
}

/* The session is over for us: routes out, carrier off. */
static void
peer_session_end(struct peer *p)
{
	if (p->fwd != NULL && fwd_reason(p->fwd)[0] != '\0')
		peer_error(p, "session ended: %s", fwd_reason(p->fwd));
	peer_drops_keep(p);
	p->fwd = NULL;
	route_peer_down(p);
	gateway_peer_down(p);
	lease_client_down(p);
	openpeer_session_end(p);
	p->node[0] = '\0';
	if (p->tun_fd != -1 && tun_set_carrier(p->tun_fd, 0) == -1)
		log_warn("peer %s: carrier off", p->conf.name);
	if (now_ms() - p->session_start_ms >= PEER_STABLE_MS)
		p->backoff_ms = 0;
	p->reconnects++;
}

/* Dial, or wait for the peer: where a peer goes when it may connect. */
static enum peer_state
peer_connect(struct peer *p, enum peer_event ev)
{
	if (!p->conf.has_endpoint)
		return PEER_STATE_WAITING;
	peer_set_state(p, PEER_STATE_CONNECTING, ev);
	/*
	 * No fds for a session: no handshake either (it would be thrown
	 * away, on both sides), and no dial until the backoff is over.
	 */
	if (!fwd_room()) {
		peer_error(p, "no file descriptors for a session");
		hs_result_count(p, HS_RESULT_ERROR);
		peer_backoff(p);
		return PEER_STATE_BACKOFF;
	}
	/* A dial that fails at once goes to backoff like a later failure. */
	if (dial_start(p) == -1) {
		hs_result_count(p, HS_RESULT_CONNECT);
		p->dial_failures++;
		peer_backoff(p);
		return PEER_STATE_BACKOFF;
	}
	return PEER_STATE_CONNECTING;
}

/* After a session: redial later, or wait. */
static enum peer_state
peer_after_session(struct peer *p)
{
	if (!p->conf.has_endpoint)
		return PEER_STATE_WAITING;
	peer_backoff(p);
	return PEER_STATE_BACKOFF;
}

/* After the peer's goodbye: soon, and with a short backoff for a while. */
static enum peer_state
peer_after_goodbye(struct peer *p)
{
	unsigned	delay;

	if (!p->conf.has_endpoint)
		return PEER_STATE_WAITING;
	p->goodbye_ms = now_ms();
	p->backoff_ms = 0;
	delay = PEER_GOODBYE_MIN_MS +
	    randombytes_uniform(PEER_GOODBYE_SPREAD_MS);
	log_debug("peer %s: said goodbye; redial in %u ms", p->conf.name,
	    delay);
	uv_timer_start(&p->timer, peer_timer_cb, delay, 0);
	return PEER_STATE_BACKOFF;
}

static enum peer_state
peer_start(struct peer *p, enum peer_event ev)
{
	if (p->tun_fd == -1 && peer_tun_setup(p) == -1) {
		uv_timer_start(&p->timer, peer_timer_cb, PEER_TUN_RETRY_MS, 0);
		return PEER_STATE_NOTUN;
	}
	return peer_connect(p, ev);
}

static void
peer_session_up(struct peer *p, const struct peer_session *s)
{
	struct fwdproc		*f;
	struct fwd_params	 fp;

	if (p->state == PEER_STATE_NOTUN || peer_keep_existing(p,
	    s->initiator)) {
		if (p->state != PEER_STATE_NOTUN)
			log_info("peer %s: both sides dialed; keeping the "
			    "earlier session", p->conf.name);
		close(s->fd);
		return;
	}
	peer_fwd_params(p, &fp);
	if ((f = fwd_spawn(p, s, &fp)) == NULL) {
		peer_error(p, "cannot start a forwarder");
		if (p->state == PEER_STATE_CONNECTING) {
			/* Our own dial, still running, would race the timer. */
			dial_abort(p);
			p->dial_failures++;
			peer_backoff(p);
			peer_set_state(p, PEER_STATE_BACKOFF,
			    PEER_EV_DIAL_FAILED);
		}
		return;
	}
	if (p->fwd != NULL) {
		/* The peer has started over: the old session is dead to it. */
		log_info("peer %s: new session replaces the old one",
		    p->conf.name);
		fwd_detach(p->fwd, "replaced by a new session");
		peer_session_end(p);
	}
	uv_timer_stop(&p->timer);
	dial_abort(p);
	p->fwd = f;
	p->dial_failures = 0;
	p->session_start_ms = now_ms();
	p->session_initiator = s->initiator;
	p->cipher = s->keys != NULL ? s->keys->cipher : 0;
	memset(&p->stats, 0, sizeof(p->stats));
	snprintf(p->remote, sizeof(p->remote), "%s", s->remote);
	if (tun_set_carrier(p->tun_fd, 1) == -1)
		log_warn("peer %s: carrier on", p->conf.name);
	peer_set_state(p, PEER_STATE_UP, PEER_EV_HANDSHAKE_DONE);
	/* The original ipcp has no CONTROL: no hello, no routes. */
	if (p->conf.wire == CONFIG_WIRE_LEGACY)
		return;
	/* Our hello goes first; the peer's hello brings its table. */
	route_send_hello(p);
}

/* Settings that a running session takes as they are. */
static void
peer_reconfigure(struct peer *p, const struct peer_conf *pc)
{
	struct peer_conf	old = p->conf;

	peertab_set_conf(p, pc);
	if (p->tun_fd != -1 && old.mtu != pc->mtu &&
	    nl_link_set(p->ifindex, 1, pc->mtu) == -1)
		log_warn("peer %s: mtu %u", pc->name, pc->mtu);
	peer_fwd_update(p);
	route_peer_reconf(p, &old);
	lease_client_reconf(p, &old);
}

/* New key material, endpoint or interface: only a new session will do. */
static void
peer_restart(struct peer *p, const struct peer_conf *pc)
{
	dial_abort(p);
	uv_timer_stop(&p->timer);
	if (p->fwd != NULL) {
		fwd_wait(p->fwd);
		fwd_detach(p->fwd, "reconfigured");
		peer_session_end(p);
	}
	if (strcmp(p->conf.ifname, pc->ifname) != 0)
		peer_tun_close(p);
	if (sodium_memcmp(p->conf.pubkey, pc->pubkey, KEY_LEN) != 0)
		memset(p->last_ts, 0, sizeof(p->last_ts));
	peertab_set_conf(p, pc);
	p->gen = ++generations;
	p->backoff_ms = 0;
	/* To or from wire = legacy: its TUN's offloads go or come. */
	if (p->tun_fd != -1 && tun_set_offload(p->tun_fd,
	    peer_offload(p, ipcpd->conf)) == -1)
		log_warn("peer %s: offload", p->conf.name);
}

static void
peer_delete(struct peer *p, const char *reason)
{
	dial_abort(p);
	uv_timer_stop(&p->timer);
	if (p->fwd != NULL) {
		/* It holds the TUN too: the interface goes when it does. */
		fwd_wait(p->fwd);
		fwd_detach(p->fwd, reason);
		peer_session_end(p);
	}
	log_info("peer %s: removed", p->conf.name);
	gateway_peer_removed(p);
	lease_client_removed(p);
	openpeer_removed(p);
	peer_tun_close(p);
	peer_unlink(p);
}

void
peer_fsm(struct peer *p, enum peer_event ev, const void *arg)
{
	enum peer_state	next = p->state;
	int		bye;

	if (ev == PEER_EV_DELETE) {
		peer_delete(p, arg);
		return;
	}
	if (p->state == PEER_STATE_STOPPED) {
		/* Shutting down: only the forwarders' ends still matter. */
		if ((ev == PEER_EV_SESSION_DOWN || ev == PEER_EV_FWD_HUNG) &&
		    p->fwd == arg)
			peer_session_end(p);
		else if (ev == PEER_EV_HANDSHAKE_DONE)
			close(((const struct peer_session *)arg)->fd);
		return;
	}
	switch (ev) {
	case PEER_EV_START:
		next = peer_start(p, ev);
		break;
	case PEER_EV_DIAL_FAILED:
		if (p->state == PEER_STATE_CONNECTING) {
			p->dial_failures++;
			next = PEER_STATE_BACKOFF;
			peer_backoff(p);
		}
		break;
	case PEER_EV_TIMER:
		if (p->state == PEER_STATE_BACKOFF)
			next = peer_connect(p, ev);
		else if (p->state == PEER_STATE_NOTUN)
			next = peer_start(p, ev);
		break;
	case PEER_EV_HANDSHAKE_DONE:
		peer_session_up(p, arg);
		return;
	case PEER_EV_SESSION_DOWN:
		if (p->fwd != arg || p->state != PEER_STATE_UP)
			break;
		bye = fwd_peer_goodbye(arg);
		peer_session_end(p);
		next = bye ? peer_after_goodbye(p) : peer_after_session(p);
		break;
	case PEER_EV_FWD_HUNG:
		if (p->fwd != arg || p->state != PEER_STATE_UP)
			break;
		peer_session_end(p);
		/* Our forwarder failed, not the network: no backoff. */
		p->backoff_ms = 0;
		if (p->conf.has_endpoint) {
			uv_timer_start(&p->timer, peer_timer_cb,
			    PEER_REDIAL_NOW_MS, 0);
			next = PEER_STATE_BACKOFF;
		} else
			next = PEER_STATE_WAITING;
		break;
	case PEER_EV_CLOSE:
		if (p->state != PEER_STATE_UP || p->fwd == NULL)
			break;
		log_info("peer %s: closing the session: %s", p->conf.name,
		    (const char *)arg);
		fwd_detach(p->fwd, arg);
		peer_session_end(p);
		next = peer_after_session(p);
		break;
	case PEER_EV_RECONFIGURE:
		peer_reconfigure(p, arg);
		log_info("peer %s: reconfigured", p->conf.name);
		return;
	case PEER_EV_RESTART:
		peer_restart(p, arg);
		next = peer_start(p, ev);
		break;
	case PEER_EV_STOP:
		uv_timer_stop(&p->timer);
		dial_abort(p);
		if (p->fwd != NULL)
			fwd_stop(p->fwd, arg);
		next = PEER_STATE_STOPPED;
		break;
	case PEER_EV_DELETE:
		break;
	}
	peer_set_state(p, next, ev);
}
