/* SPDX-License-Identifier: ISC */
/*
 * Peers: one per [peer] section, identified by its public key.  A peer
 * owns its TUN device for as long as it is configured (so the interface,
 * its addresses and its name survive reconnects; the carrier is off while
 * no session is up) and at most one session, run by one forwarder.
 *
 * peer_fsm() is the only place a peer changes state, and it logs every
 * transition (bgpd bgp_fsm()).  The side with an endpoint redials with
 * exponential backoff and jitter; the other side waits.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ipcpd.h"
#include "log.h"
#include "netlink.h"

static const char *const peer_state_names[] = {
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
	[PEER_EV_SESSION_UP] = "session up",
	[PEER_EV_SESSION_DOWN] = "session down",
	[PEER_EV_STOP] = "stop",
};

const char *
peer_state_name(enum peer_state s)
{
	return peer_state_names[s];
}

static int
peer_tun_setup(struct peer *p)
{
	const struct config	*conf = ipcpd->conf;
	size_t			 i;

	if ((p->tun_fd = tun_open(p->conf->ifname, &p->ifindex,
	    conf->offload)) == -1) {
		log_warn("peer %s: tun %s", p->conf->name, p->conf->ifname);
		return -1;
	}
	if (tun_set_carrier(p->tun_fd, 0) == -1)
		log_warn("peer %s: carrier off", p->conf->name);
	if (nl_link_set(p->ifindex, 1, p->conf->mtu) == -1) {
		log_warn("peer %s: set %s up", p->conf->name, p->conf->ifname);
		return -1;
	}
	for (i = 0; i < conf->n_address; i++) {
		char	a[PREFIX_STRLEN];

		if (nl_addr_add(p->ifindex, &conf->address[i]) == -1) {
			prefix_format(&conf->address[i], a);
			log_warn("peer %s: address %s on %s", p->conf->name, a,
			    p->conf->ifname);
			return -1;
		}
	}
	return 0;
}

int
peer_init_all(void)
{
	struct peer_conf	*pc;
	struct peer		*p;

	TAILQ_FOREACH(pc, &ipcpd->conf->peers, entry) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return -1;
		p->conf = pc;
		p->tun_fd = -1;
		p->state = pc->has_endpoint ? PEER_STATE_BACKOFF :
		    PEER_STATE_WAITING;
		uv_timer_init(ipcpd->loop, &p->timer);
		p->timer.data = p;
		TAILQ_INSERT_TAIL(&ipcpd->peers, p, entry);
		if (peer_tun_setup(p) == -1)
			return -1;
	}
	return 0;
}

void
peer_start_all(void)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		peer_fsm(p, PEER_EV_START);
}

void
peer_stop_all(void)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		peer_fsm(p, PEER_EV_STOP);
}

static void
peer_timer_closed(uv_handle_t *h)
{
	free(h->data);
}

/* At exit: routes out, TUNs closed (so the interfaces vanish). */
void
peer_free_all(void)
{
	struct peer	*p;

	while ((p = TAILQ_FIRST(&ipcpd->peers)) != NULL) {
		TAILQ_REMOVE(&ipcpd->peers, p, entry);
		route_withdraw_all(p);
		if (p->tun_fd != -1)
			close(p->tun_fd);
		sodium_memzero(p->last_ts, sizeof(p->last_ts));
		uv_close((uv_handle_t *)&p->timer, peer_timer_closed);
	}
}

struct peer *
peer_by_key(const uint8_t pubkey[KEY_LEN])
{
	struct peer	*p;

	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		if (sodium_memcmp(p->conf->pubkey, pubkey, KEY_LEN) == 0)
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

static void
peer_timer_cb(uv_timer_t *t)
{
	peer_fsm(t->data, PEER_EV_TIMER);
}

/* Exponential backoff with +-25% jitter, so peers do not redial in step. */
static void
peer_backoff(struct peer *p)
{
	unsigned	delay, jitter;

	if (p->backoff_ms == 0)
		p->backoff_ms = PEER_BACKOFF_MIN_MS;
	jitter = p->backoff_ms / 2;
	delay = p->backoff_ms - jitter / 2 + randombytes_uniform(jitter + 1);
	log_debug("peer %s: redial in %u ms", p->conf->name, delay);
	uv_timer_start(&p->timer, peer_timer_cb, delay, 0);
	p->backoff_ms *= 2;
	if (p->backoff_ms > PEER_BACKOFF_MAX_MS)
		p->backoff_ms = PEER_BACKOFF_MAX_MS;
}

/*
 * A dial that fails at once (no route, no socket) is a failed dial like
 * one that fails later: the FSM moves to BACKOFF and the timer retries.
 */
static void
peer_dial(struct peer *p)
{
	if (hsconn_dial(p) == -1)
		peer_fsm(p, PEER_EV_DIAL_FAILED);
}

static void
peer_set_state(struct peer *p, enum peer_state s, enum peer_event ev)
{
	if (p->state != s)
		log_info("peer %s: %s -> %s (%s)", p->conf->name,
		    peer_state_names[p->state], peer_state_names[s],
		    peer_event_names[ev]);
	p->state = s;
}

void
peer_fsm(struct peer *p, enum peer_event ev)
{
	enum peer_state	next = p->state;

	if (p->state == PEER_STATE_STOPPED)
		return;
	switch (ev) {
	case PEER_EV_START:
		if (p->conf->has_endpoint) {
			next = PEER_STATE_CONNECTING;
			peer_set_state(p, next, ev);
			peer_dial(p);
			return;
		}
		next = PEER_STATE_WAITING;
		break;
	case PEER_EV_DIAL_FAILED:
		if (p->state == PEER_STATE_CONNECTING) {
			next = PEER_STATE_BACKOFF;
			peer_backoff(p);
		}
		break;
	case PEER_EV_TIMER:
		if (p->state == PEER_STATE_BACKOFF) {
			next = PEER_STATE_CONNECTING;
			peer_set_state(p, next, ev);
			peer_dial(p);
			return;
		}
		break;
	case PEER_EV_SESSION_UP:
		uv_timer_stop(&p->timer);
		if (p->dial != NULL)
			hsconn_abort(p->dial);
		next = PEER_STATE_UP;
		break;
	case PEER_EV_SESSION_DOWN:
		if (p->state != PEER_STATE_UP)
			break;
		if (now_ms() - p->session_start_ms >= PEER_STABLE_MS)
			p->backoff_ms = 0;
		p->reconnects++;
		if (p->conf->has_endpoint) {
			next = PEER_STATE_BACKOFF;
			peer_backoff(p);
		} else
			next = PEER_STATE_WAITING;
		break;
	case PEER_EV_STOP:
		uv_timer_stop(&p->timer);
		if (p->dial != NULL)
			hsconn_abort(p->dial);
		if (p->fwd != NULL)
			fwd_stop(p->fwd, "ipcpd is shutting down");
		next = PEER_STATE_STOPPED;
		break;
	}
	peer_set_state(p, next, ev);
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
	we_are_lower = memcmp(ipcpd->conf->key.pub, p->conf->pubkey,
	    KEY_LEN) < 0;
	/* The existing session was initiated by the lower key. */
	return p->session_initiator == we_are_lower;
}

void
peer_session_ready(struct peer *p, int fd, int initiator,
    struct hs_session *s, const char *remote)
{
	struct fwdproc	*f;

	if (p->state == PEER_STATE_STOPPED) {
		close(fd);
		return;
	}
	if (peer_keep_existing(p, initiator)) {
		log_info("peer %s: both sides dialed; keeping the earlier "
		    "session", p->conf->name);
		close(fd);
		return;
	}
	if ((f = fwd_spawn(p, fd, initiator, s)) == NULL) {
		if (initiator)
			peer_fsm(p, PEER_EV_DIAL_FAILED);
		return;
	}
	if (p->fwd != NULL) {
		/* The peer has started over: the old session is dead to it. */
		log_info("peer %s: new session replaces the old one",
		    p->conf->name);
		fwd_detach(p->fwd);
		route_withdraw_all(p);
		p->reconnects++;
	}
	p->fwd = f;
	p->session_start_ms = now_ms();
	p->session_initiator = initiator;
	p->cipher = s->cipher;
	memset(&p->stats, 0, sizeof(p->stats));
	snprintf(p->remote, sizeof(p->remote), "%s", remote);
	if (tun_set_carrier(p->tun_fd, 1) == -1)
		log_warn("peer %s: carrier on", p->conf->name);
	peer_fsm(p, PEER_EV_SESSION_UP);
}

void
peer_session_down(struct peer *p, struct fwdproc *f)
{
	if (p->fwd != f)
		return;
	p->fwd = NULL;
	route_withdraw_all(p);
	if (p->tun_fd != -1 && tun_set_carrier(p->tun_fd, 0) == -1)
		log_warn("peer %s: carrier off", p->conf->name);
	peer_fsm(p, PEER_EV_SESSION_DOWN);
}
