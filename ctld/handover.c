/* SPDX-License-Identifier: ISC */
/*
 * ipcpctl restart and SIGUSR2: the running ipcpd hands itself over to the
 * ipcpd binary installed where it was started from, without a packet
 * lost.
 *
 * The forwarders move the packets; ipcpd only supervises them.  So the
 * handover is an execve() of the new binary in this very process: the
 * pid stays (the forwarders stay our children, systemd's main pid stays)
 * and so do the file descriptors that matter, the control socket, the
 * listeners, every TUN and every forwarder's channel.  What no descriptor
 * holds (the routes each peer taught us, its replay timestamp, counters)
 * goes into a memfd as a Handover message (proto/ipcp.proto), which the
 * new binary reads (takeover.c) before it builds the same RIB, with the
 * same kernel routes replaced by themselves.
 *
 * A binary that cannot take over must not cost the running one its life.
 * So it is first run beside us, `ipcpd -U 3 -n ARGS', with a snapshot
 * of the state on fd 3: it must parse the config and the state and exit
 * 0 within HANDOVER_CHECK_MS.  Only then, with the loop stopped, is the
 * state written again and exec'd; if execve() fails, nothing was lost.
 *
 * Refused: while a reload is under way or waits for its confirm, while a
 * forwarder is on its way out (between owners), and, at the commit, when
 * the config file changed since it was loaded: a restart changes the
 * binary, a reload the config, one at a time.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handover.h"
#include "ipcpd.h"
#include "log.h"

static struct {
	int		 busy;
	int		 has_req;
	struct ctl_req	 req;
	uv_process_t	 proc;
	uv_timer_t	 timer;
	int		 handles;
	int		 state_fd;	/* the snapshot the check reads */
	int		 err_fd;	/* what the check said */
} ho = { .state_fd = -1, .err_fd = -1 };

static void
finish(unsigned code, const char *text)
{
	if (ho.has_req)
		ctl_result(&ho.req, code, text);
	if (code == CTL_RES_OK)
		log_info("restart: %s", text);
	else
		log_warnx("restart refused: %s", text);
	ho.has_req = 0;
}

/* ---- the state ---------------------------------------------------------- */

/* Everything allocated for one Handover, freed in one place. */
struct hbuf {
	Ipcp__Handover		  h;
	Ipcp__HandoverListener	 *ls;
	Ipcp__HandoverListener	**lp;
	Ipcp__HandoverPeer	 *ps;
	Ipcp__HandoverPeer	**pp;
	Ipcp__FwdStats		 *stats;
	Ipcp__Route		 *rs;
	Ipcp__Route		**rp;
	Ipcp__Prefix		 *pfx;
	Ipcp__Prefix		 *accept;	/* every peer's, in a row */
	Ipcp__Prefix		**acceptp;
	Ipcp__LeaseOffer	 *leases;	/* what each peer leased us */
	size_t			  n_ls, max_ls, n_routes, n_accept;
};

static void
hbuf_free(struct hbuf *b)
{
	free(b->ls);
	free(b->lp);
	free(b->ps);
	free(b->pp);
	free(b->stats);
	free(b->rs);
	free(b->rp);
	free(b->pfx);
	free(b->accept);
	free(b->acceptp);
	free(b->leases);
	memset(b, 0, sizeof(*b));
}

static void
add_listener(int fd, const struct listen_conf *lc, void *arg)
{
	struct hbuf		*b = arg;
	Ipcp__HandoverListener	*l;

	if (b->n_ls == b->max_ls)
		return;
	l = &b->ls[b->n_ls];
	ipcp__handover_listener__init(l);
	l->fd = fd;
	l->text = (char *)lc->text;
	l->sockaddr.data = (uint8_t *)&lc->ss;
	l->sockaddr.len = lc->sslen;
	b->lp[b->n_ls++] = l;
}

static void
count_one(int fd, const struct listen_conf *lc, void *arg)
{
	(*(size_t *)arg)++;
}

/* What the peer announced, cost as announced: route_resume() takes it. */
static void
add_routes(struct hbuf *b, struct peer *p, Ipcp__HandoverPeer *hp)
{
	struct rib_entry	*e;
	Ipcp__Route		**first = b->rp + b->n_routes;

	TAILQ_FOREACH(e, &p->rib_in, peer_entry) {
		Ipcp__Route	*r = &b->rs[b->n_routes];
		Ipcp__Prefix	*x = &b->pfx[b->n_routes];

		ipcp__route__init(r);
		msg_prefix_set(x, &e->rp->p);
		r->prefix = x;
		r->cost = e->adv_cost;
		r->n_path = e->path->n;
		r->path = (char **)e->path->hop;
		b->rp[b->n_routes++] = r;
	}
	hp->routes = first;
	hp->n_routes = b->rp + b->n_routes - first;
}

static void
add_peer(struct hbuf *b, size_t i, struct peer *p)
{
	Ipcp__HandoverPeer	*hp = &b->ps[i];
	Ipcp__Envelope		 env = IPCP__ENVELOPE__INIT;

	ipcp__handover_peer__init(hp);
	hp->name = p->conf.name;
	hp->public_key.data = p->conf.pubkey;
	hp->public_key.len = KEY_LEN;
	hp->tun_fd = p->tun_fd;
	hp->ifindex = p->ifindex;
	hp->reconnects = p->reconnects;
	hp->last_ts.data = p->last_ts;
	hp->last_ts.len = sizeof(p->last_ts);
	hp->backoff_ms = p->backoff_ms;
	hp->last_error = p->last_error;
	hp->last_error_ms = p->last_error_ms;
	hp->last_hs_ms = p->last_hs_ms;
	hp->last_hs_result = p->last_hs_result;
	hp->dial_failures = p->dial_failures;
	hp->drop_source = p->drop_source;
	hp->drop_queue_full = p->drop_queue_full;
	hp->drop_auth = p->drop_auth;
	/*
	 * A passcode client is made again from its key and name; without a
	 * session, lease_until_ms (the field a lease client's held lease
	 * uses, which an open peer never has) says when it goes.
	 */
	hp->open = p->conf.open;
	if (p->conf.open && p->fwd == NULL)
		hp->lease_until_ms = p->open_until_ms;
	hp->accept = b->acceptp + b->n_accept;
	hp->n_accept = msg_prefixes_set(b->accept + b->n_accept,
	    b->acceptp + b->n_accept, p->accept, p->n_accept);
	b->n_accept += hp->n_accept;
	/* Up or running down: the address is on the TUN either way. */
	if (lease_client_handover(p, &b->leases[i], &hp->lease_until_ms))
		hp->lease = &b->leases[i];
	if (p->state == PEER_STATE_UP && p->fwd != NULL) {
		hp->fwd_pid = fwd_pid(p->fwd);
		hp->chan_fd = fwd_chan_fd(p->fwd);
		hp->session_start_ms = p->session_start_ms;
		hp->initiator = p->session_initiator;
		hp->cipher = p->cipher;
		hp->remote = p->remote;
		msg_fwd_stats_build(&env, &b->stats[i], &p->stats);
		hp->stats = &b->stats[i];
		hp->node = p->node;
		hp->synced = p->synced;
		add_routes(b, p, hp);
		hp->routes_rejected = p->routes_rejected;
		hp->routes_looped = p->routes_looped;
		hp->control_dropped = p->control_dropped;
	}
	b->pp[i] = hp;
}

static int
build(struct hbuf *b, int client_fd)
{
	struct peer	*p;
	size_t		 n_routes = 0, n_accept = 0, i = 0;

	memset(b, 0, sizeof(*b));
	ipcp__handover__init(&b->h);
	listener_foreach(count_one, &b->max_ls);
	TAILQ_FOREACH(p, &ipcpd->peers, entry) {
		n_routes += p->n_routes;
		n_accept += p->n_accept;
	}
	if ((b->ls = calloc(b->max_ls + 1, sizeof(*b->ls))) == NULL ||
	    (b->lp = calloc(b->max_ls + 1, sizeof(*b->lp))) == NULL ||
	    (b->ps = calloc(ipcpd->n_peers + 1, sizeof(*b->ps))) == NULL ||
	    (b->pp = calloc(ipcpd->n_peers + 1, sizeof(*b->pp))) == NULL ||
	    (b->stats = calloc(ipcpd->n_peers + 1, sizeof(*b->stats))) ==
	    NULL ||
	    (b->rs = calloc(n_routes + 1, sizeof(*b->rs))) == NULL ||
	    (b->rp = calloc(n_routes + 1, sizeof(*b->rp))) == NULL ||
	    (b->pfx = calloc(n_routes + 1, sizeof(*b->pfx))) == NULL ||
	    (b->accept = calloc(n_accept + 1, sizeof(*b->accept))) == NULL ||
	    (b->acceptp = calloc(n_accept + 1, sizeof(*b->acceptp))) ==
	    NULL ||
	    (b->leases = calloc(ipcpd->n_peers + 1, sizeof(*b->leases))) ==
	    NULL) {
		hbuf_free(b);
		return -1;
	}
	listener_foreach(add_listener, b);
	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		add_peer(b, i++, p);
	b->h.version = HANDOVER_VERSION;
	b->h.cwd = ipcpd->cwd;
	b->h.control_fd = control_listen_fd();
	b->h.listeners = b->lp;
	b->h.n_listeners = b->n_ls;
	b->h.peers = b->pp;
	b->h.n_peers = i;
	b->h.start_ms = ipcpd->start_ms;
	b->h.verbose = log_getverbose();
	b->h.client_fd = client_fd;
	b->h.client_req = ho.has_req && client_fd != -1 ? ho.req.id : 0;
	b->h.from_version = IPCP_VERSION;
	b->h.hs_results = ipcpd->hs_results;
	b->h.n_hs_results = HS_RESULT_N;
	return 0;
}

/*
 * The state in a memfd, close-on-exec until commit() hands it to the
 * next binary (set_cloexec), so nothing spawned meanwhile inherits it.
 */
static int
write_state(int client_fd, char *err, size_t errlen)
{
	struct hbuf	 b;
	uint8_t		*buf;
	size_t		 len, off;
	ssize_t		 n;
	int		 fd;

	if (build(&b, client_fd) == -1) {
		snprintf(err, errlen, "state: %s", strerror(errno));
		return -1;
	}
	len = ipcp__handover__get_packed_size(&b.h);
	if (len > HANDOVER_MAX_BYTES || (buf = malloc(len + 1)) == NULL) {
		snprintf(err, errlen, "state of %zu bytes: too big", len);
		hbuf_free(&b);
		return -1;
	}
	ipcp__handover__pack(&b.h, buf);
	hbuf_free(&b);
	if ((fd = memfd_create("ipcpd-handover", MFD_CLOEXEC)) == -1) {
		snprintf(err, errlen, "memfd: %s", strerror(errno));
		free(buf);
		return -1;
	}
	for (off = 0; off < len; off += n)
		if ((n = write(fd, buf + off, len - off)) <= 0) {
			snprintf(err, errlen, "state: %s", strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
	free(buf);
	return fd;
}

/* ---- refusals ---------------------------------------------------------- */

/* Why a restart cannot happen now (waiting will help), or NULL. */
static const char *
busy_reason(void)
{
	if (ipcpd->stopping)
		return "ipcpd is stopping";
	if (reload_busy())
		return "a reload is in progress";
	if (reload_confirm_left() > 0)
		return "a reload waits for ipcpctl confirm";
	if (fwd_count_detached() > 0)
		return "a forwarder is still stopping; try again";
	if (fwd_count_starting() > 0)
		return "a forwarder is still starting; try again";
	return NULL;
}

/*
 * The config file is not what runs (a restart changes the binary, a
 * reload the config): the reason, or NULL.  Asked only at the commit,
 * since the file may change while the check runs.
 */
static const char *
config_changed(char *buf, size_t len)
{
	struct config	*now;
	struct reconf	 r;
	char		 err[1024];
	int		 same;

	if (ipcpd->conf->compat)
		return NULL;
	if ((now = reload_parse(err, sizeof(err))) == NULL) {
		snprintf(buf, len, "%s", err);
		return buf;
	}
	if (config_diff(ipcpd->conf, now, &r) == -1) {
		config_free(now);
		return strerror(errno);
	}
	same = r.node == 0 && r.count[RECONF_KEEP] == r.n_peers;
	config_diff_free(&r);
	config_free(now);
	if (!same) {
		snprintf(buf, len, "%.512s changed since it was loaded: "
		    "ipcpctl reload first", ipcpd->conf->file);
		return buf;
	}
	return NULL;
}

/* ---- exec -------------------------------------------------------------- */

/* argv of the new binary: "ipcpd -U FD [-n] ARGS". */
static char **
new_argv(char *fdstr, int check)
{
	char	**av;
	int	  i, n = 0;

	if ((av = calloc(ipcpd->argc + 5, sizeof(*av))) == NULL)
		return NULL;
	av[n++] = ipcpd->argv[0];
	av[n++] = "-U";
	av[n++] = fdstr;
	if (check)
		av[n++] = "-n";
	for (i = 1; i < ipcpd->argc; i++)
		av[n++] = ipcpd->argv[i];
	av[n] = NULL;
	return av;
}

static void
set_cloexec(const int *fds, size_t n, int on)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			fcntl(fds[i], F_SETFD, on ? FD_CLOEXEC : 0);
}

/* Every descriptor named in the state, for exec to keep. */
struct fdlist {
	int	*fds;
	size_t	 n, max;
};

static void
fdlist_add(struct fdlist *l, int fd)
{
	if (fd >= 0 && l->n < l->max)
		l->fds[l->n++] = fd;
}

static void
listener_fd(int fd, const struct listen_conf *lc, void *arg)
{
	fdlist_add(arg, fd);
}

static int
collect_fds(struct fdlist *l, int state_fd, int client_fd)
{
	struct peer	*p;

	l->n = 0;
	l->max = 3 + 2 * ipcpd->n_peers;
	listener_foreach(count_one, &l->max);
	if ((l->fds = calloc(l->max, sizeof(*l->fds))) == NULL)
		return -1;
	fdlist_add(l, state_fd);
	fdlist_add(l, client_fd);
	fdlist_add(l, control_listen_fd());
	listener_foreach(listener_fd, l);
	TAILQ_FOREACH(p, &ipcpd->peers, entry) {
		fdlist_add(l, p->tun_fd);
		if (p->state == PEER_STATE_UP && p->fwd != NULL)
			fdlist_add(l, fwd_chan_fd(p->fwd));
	}
	return 0;
}

/*
 * The point of no return, if execve() works.  The loop is not running:
 * nothing changes between the state written and the exec.
 */
static void
commit(void)
{
	struct fdlist	 l;
	char		 err[1024], fdstr[16], **av;
	const char	*why;
	int		 state_fd, client_fd;

	if ((why = busy_reason()) != NULL) {
		finish(CTL_RES_PENDING, why);
		return;
	}
	if ((why = config_changed(err, sizeof(err))) != NULL) {
		finish(CTL_RES_FAILED, why);
		return;
	}
	if (fwd_flush_all_sync(HANDOVER_FLUSH_MS) == -1) {
		finish(CTL_RES_FAILED, "a forwarder does not read its "
		    "channel; try again");
		return;
	}
	control_flush_all();
	/* The next binary reads the gateway's leases from the file. */
	gateway_sync_file();
	client_fd = ho.has_req ? control_client_fd(&ho.req) : -1;
	if ((state_fd = write_state(client_fd, err, sizeof(err))) == -1) {
		finish(CTL_RES_FAILED, err);
		return;
	}
	snprintf(fdstr, sizeof(fdstr), "%d", state_fd);
	if (collect_fds(&l, state_fd, client_fd) == -1 ||
	    (av = new_argv(fdstr, 0)) == NULL) {
		free(l.fds);
		close(state_fd);
		finish(CTL_RES_FAILED, strerror(errno));
		return;
	}
	log_info("restart: executing %s (%zu peers, %zu sessions)",
	    ipcpd->self_path, ipcpd->n_peers, peer_count_up());
	set_cloexec(l.fds, l.n, 0);
	/* To systemd a restart is a reload: the new binary says READY. */
	notify_reloading();
	execv(ipcpd->self_path, av);
	/* Still us: nothing changed but the flags, which go back. */
	snprintf(err, sizeof(err), "exec %.512s: %s", ipcpd->self_path,
	    strerror(errno));
	set_cloexec(l.fds, l.n, 1);
	notify_ready();
	close(state_fd);
	free(av);
	free(l.fds);
	finish(CTL_RES_FAILED, err);
}

/* ---- the check --------------------------------------------------------- */

static void
check_closed(uv_handle_t *h)
{
	if (--ho.handles > 0)
		return;
	if (ho.state_fd != -1)
		close(ho.state_fd);
	if (ho.err_fd != -1)
		close(ho.err_fd);
	ho.state_fd = ho.err_fd = -1;
	ho.busy = 0;
}

/* The first line the check wrote on stderr: why it failed. */
static void
check_said(char *buf, size_t len)
{
	ssize_t	n;
	char	*nl;

	buf[0] = '\0';
	if ((n = pread(ho.err_fd, buf, len - 1, 0)) <= 0)
		return;
	buf[n] = '\0';
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
}

static void
check_exit(uv_process_t *proc, int64_t status, int sig)
{
	char	said[512], why[768];

	uv_timer_stop(&ho.timer);
	if (status == 0 && sig == 0)
		commit();
	else {
		check_said(said, sizeof(said));
		if (sig != 0)
			snprintf(why, sizeof(why), "%.200s failed its check: "
			    "killed by signal %d%s%.400s", ipcpd->self_path, sig,
			    said[0] ? ": " : "", said);
		else
			snprintf(why, sizeof(why), "%.200s failed its check "
			    "(exit %d)%s%.400s", ipcpd->self_path, (int)status,
			    said[0] ? ": " : "", said);
		finish(CTL_RES_FAILED, why);
	}
	/* Here only if the exec did not happen. */
	uv_close((uv_handle_t *)&ho.proc, check_closed);
	uv_close((uv_handle_t *)&ho.timer, check_closed);
}

static void
check_timeout(uv_timer_t *t)
{
	log_warnx("restart: %s did not finish its check in %d ms; killing "
	    "it", ipcpd->self_path, HANDOVER_CHECK_MS);
	uv_process_kill(&ho.proc, SIGKILL);
}

/*
 * Run the new binary on a snapshot of the state: `ipcpd -U 3 -n ARGS'
 * must parse the config and the state and exit 0.
 */
static int
check_start(char *err, size_t errlen)
{
	uv_process_options_t	 opts;
	uv_stdio_container_t	 stdio[4];
	char			**av;
	int			 r;

	if ((ho.state_fd = write_state(-1, err, errlen)) == -1)
		return -1;
	if ((ho.err_fd = memfd_create("ipcpd-check", MFD_CLOEXEC)) == -1 ||
	    (av = new_argv("3", 1)) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	memset(&opts, 0, sizeof(opts));
	memset(stdio, 0, sizeof(stdio));
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_IGNORE;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = ho.err_fd;
	stdio[3].flags = UV_INHERIT_FD;
	stdio[3].data.fd = ho.state_fd;
	opts.file = ipcpd->self_path;
	opts.args = av;
	opts.cwd = ipcpd->cwd;
	opts.stdio = stdio;
	opts.stdio_count = 4;
	opts.exit_cb = check_exit;
	r = uv_spawn(ipcpd->loop, &ho.proc, &opts);
	free(av);
	if (r != 0) {
		snprintf(err, errlen, "%.512s: %s", ipcpd->self_path,
		    uv_strerror(r));
		/* libuv closes a handle that failed to spawn, too. */
		ho.handles = 1;
		uv_close((uv_handle_t *)&ho.proc, check_closed);
		return -1;
	}
	uv_timer_init(ipcpd->loop, &ho.timer);
	uv_timer_start(&ho.timer, check_timeout, HANDOVER_CHECK_MS, 0);
	ho.handles = 2;
	return 0;
}

void
handover_request(const struct ctl_req *req)
{
	char		 err[1024];
	const char	*why;

	if (ho.busy) {
		if (req != NULL)
			ctl_result(req, CTL_RES_PENDING, "a restart is in "
			    "progress");
		return;
	}
	ho.has_req = req != NULL;
	if (req != NULL)
		ho.req = *req;
	if ((why = busy_reason()) != NULL) {
		finish(CTL_RES_PENDING, why);
		return;
	}
	ho.busy = 1;
	log_info("restart: checking %s", ipcpd->self_path);
	if (check_start(err, sizeof(err)) == -1) {
		finish(CTL_RES_FAILED, err);
		if (ho.handles == 0)
			check_closed(NULL);
	}
}
