/* SPDX-License-Identifier: ISC */
/*
 * The other half of handover.c: this binary was exec'd (`ipcpd -U FD
 * ARGS') in the process of an ipcpd that ran before it, or run beside
 * it with -n to check that it could be.  It reads the Handover on FD,
 * checks it against the config, adopts the control socket and the
 * listeners before anything else, then every peer's TUN and session
 * (a passcode client's peer, in no config, is made again for it),
 * and rebuilds the RIB from the routes the peers had taught the old
 * binary.  The kernel gets the same routes again (a replace is atomic,
 * no packet misses its route); the peers are told nothing, since they
 * already know all of it.  Reading and checking the state is
 * handover_state.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handover.h"
#include "ipcpd.h"
#include "log.h"

int
takeover_sockets(const Ipcp__Handover *h, char *err, size_t errlen)
{
	const Ipcp__HandoverListener	*l;
	struct listen_conf		 lc;
	size_t				 i;

	control_adopt(h->control_fd, ipcpd->conf->control);
	for (i = 0; i < h->n_listeners; i++) {
		l = h->listeners[i];
		memset(&lc, 0, sizeof(lc));
		memcpy(&lc.ss, l->sockaddr.data, l->sockaddr.len);
		lc.sslen = l->sockaddr.len;
		snprintf(lc.text, sizeof(lc.text), "%s", l->text);
		if (listener_adopt(l->fd, &lc) == -1) {
			snprintf(err, errlen, "listen %s: %s", lc.text,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* A session goes on under us; its forwarder never noticed. */
static void
resume_session(struct peer *p, const Ipcp__HandoverPeer *hp)
{
	struct fwdproc	*f;

	if ((f = fwd_adopt(p, hp->fwd_pid, hp->chan_fd)) == NULL) {
		/* Without supervision it must not run: a clean start. */
		kill(hp->fwd_pid, SIGKILL);
		close(hp->chan_fd);
		return;
	}
	p->session_start_ms = hp->session_start_ms;
	p->session_initiator = hp->initiator;
	p->cipher = hp->cipher;
	snprintf(p->remote, sizeof(p->remote), "%s", hp->remote);
	msg_fwd_stats_read(hp->stats, &p->stats);
	snprintf(p->node, sizeof(p->node), "%s", hp->node);
	p->routes_rejected = hp->routes_rejected;
	p->routes_looped = hp->routes_looped;
	p->control_dropped = hp->control_dropped;
	route_set_accept(p, hp->accept, hp->n_accept);
	peer_resume_session(p, f);
	/* Before its routes: the lease's are among them (gateway.c). */
	gateway_peer_resume(p);
	route_resume(p, hp->routes, hp->n_routes);
	p->synced = hp->synced;
}

/*
 * A passcode client is in no config: made again as it was (its name is
 * its TUN's).  If it cannot be, its session and TUN must not outlive it.
 */
static struct peer *
resume_open(const Ipcp__HandoverPeer *hp)
{
	struct peer	*p;

	if ((p = openpeer_resume(hp->public_key.data, hp->name,
	    hp->fwd_pid > 0 ? 0 : hp->lease_until_ms)) != NULL)
		return p;
	log_warn("passcode client %s not carried over", hp->name);
	if (hp->fwd_pid > 0) {
		kill(hp->fwd_pid, SIGKILL);
		close(hp->chan_fd);
	}
	if (hp->tun_fd >= 3)
		close(hp->tun_fd);
	return NULL;
}

void
takeover_peers(const Ipcp__Handover *h)
{
	const Ipcp__HandoverPeer	*hp;
	struct peer			*p;
	size_t				 i;

	ipcpd->start_ms = h->start_ms;
	/* A result this binary does not know of is left out. */
	for (i = 0; i < h->n_hs_results && i < HS_RESULT_N; i++)
		ipcpd->hs_results[i] = h->hs_results[i];
	if (h->verbose > log_getverbose())
		log_setverbose(h->verbose);
	for (i = 0; i < h->n_peers; i++) {
		hp = h->peers[i];
		if (hp->open)
			p = resume_open(hp);
		else
			p = peer_by_name(hp->name);
		if (p == NULL)
			continue;	/* takeover_check() said it is there */
		if (hp->last_ts.len == HS_TAI64N_LEN)
			memcpy(p->last_ts, hp->last_ts.data, HS_TAI64N_LEN);
		p->reconnects = hp->reconnects;
		p->backoff_ms = hp->backoff_ms;
		snprintf(p->last_error, sizeof(p->last_error), "%s",
		    hp->last_error);
		p->last_error_ms = hp->last_error_ms;
		p->last_hs_ms = hp->last_hs_ms;
		if (hp->last_hs_result < HS_RESULT_N)
			p->last_hs_result = hp->last_hs_result;
		p->dial_failures = hp->dial_failures;
		p->drop_source = hp->drop_source;
		p->drop_queue_full = hp->drop_queue_full;
		p->drop_auth = hp->drop_auth;
		if (hp->tun_fd >= 3) {
			fcntl(hp->tun_fd, F_SETFD, FD_CLOEXEC);
			p->tun_fd = hp->tun_fd;
			p->ifindex = hp->ifindex;
		}
		if (hp->fwd_pid > 0 && p->tun_fd != -1)
			resume_session(p, hp);
		/* Its address is on the TUN already: only the state. */
		if (hp->lease != NULL && p->tun_fd != -1)
			lease_client_resume(p, hp->lease, hp->lease_until_ms);
	}
	/* Our own prefixes and every peer's: all said before the exec. */
	export_forget();
}

void
takeover_done(Ipcp__Handover *h)
{
	struct ctl_req	req;
	char		text[256];

	snprintf(text, sizeof(text), "restarted in place (pid %d): %.32s -> "
	    "%s, %zu of %zu sessions carried over", (int)getpid(),
	    h->from_version, IPCP_VERSION, peer_count_up(), ipcpd->n_peers);
	log_info("%s", text);
	if (h->client_fd >= 3 &&
	    control_adopt_client(h->client_fd, h->client_req, &req) == 0)
		ctl_result(&req, CTL_RES_OK, text);
	ipcp__handover__free_unpacked(h, NULL);
}
