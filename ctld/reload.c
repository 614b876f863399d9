/* SPDX-License-Identifier: ISC */
/*
 * Reload without restart: `ipcpctl reload' and SIGHUP.
 *
 *   1. Parse the file ipcpd was started with into a fresh config.  Any
 *	error and nothing changes: the client gets `file:line: message'
 *	(SIGHUP logs it).
 *   2. Diff old and new (config_diff.c): keep, change, restart, add,
 *	delete per peer, plus node-level flags.  --check stops here and
 *	shows the plan.
 *   3. Apply: listeners first (new sockets bound before old ones close;
 *	one that cannot be bound and nothing changes), then the node
 *	(addresses on every TUN, our own prefixes, name, offloads), then
 *	the peers, each through its FSM (peer.c): removed ones say
 *	goodbye, restarted ones start a new session, changed ones get the
 *	new settings in their running session, kept ones are not touched.
 *   4. Answer once every forwarder the reload stopped is gone (at most
 *	FWD_STOP_MS), so when `ipcpctl reload' returns, removed TUNs have
 *	vanished.  Until then another reload gets "reload in progress".
 *
 * Under systemd a reload that applies (not --check) is framed by
 * RELOADING=1 and READY=1 (notify.c); READY=1 also ends one that failed,
 * since the old config still runs.
 *
 * Confirmed reload (BIRD's `configure timeout', a router's commit
 * confirmed): with --confirm N the old config is kept whole, and unless
 * `ipcpctl confirm' comes within N seconds it is applied again the same
 * way, so a change that cut the operator off heals by itself.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcpd.h"

static struct {
	/* Applied; waiting for the forwarders it stopped. */
	int			 busy;
	int			 has_req;
	struct ctl_req		 req;
	uint32_t		 confirm_s;
	char			 notes[MSG_MAX_NOTES][MSG_MAX_TEXT];
	size_t			 n_notes;
	size_t			 count[RECONF_NACTIONS];
	/* --confirm: the config to go back to, and when. */
	struct config		*rollback;
	uv_timer_t		 timer;
	int			 timer_init;
	uint64_t		 deadline_ms;
} rl;

static void __attribute__((format(printf, 1, 2)))
note(const char *fmt, ...)
{
	va_list	ap;

	if (rl.n_notes == MSG_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(rl.notes[rl.n_notes++], MSG_MAX_TEXT, fmt, ap);
	va_end(ap);
}

static void
prefixes_text(char *buf, size_t len, const struct prefix *p, size_t n)
{
	char	a[PREFIX_STRLEN];
	size_t	i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++) {
		prefix_format(&p[i], a);
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
		    a);
	}
	if (n == 0)
		snprintf(buf, len, "none");
}

static void
notes_node(const struct config *o, const struct config *n, unsigned f)
{
	char	text[MSG_MAX_TEXT - 32];
	size_t	i, off = 0;

	rl.n_notes = 0;
	if (f & RECONF_NODE_NAME)
		note("name: %s -> %s, routes announced again", o->name,
		    n->name);
	if (f & RECONF_NODE_KEY)
		note("private key changed: every session restarted");
	if (f & RECONF_NODE_USER)
		note("user changed: every session restarted");
	if (f & RECONF_NODE_LISTEN) {
		text[0] = '\0';
		for (i = 0; i < n->n_listen && off < sizeof(text); i++)
			off += snprintf(text + off, sizeof(text) - off, "%s%s",
			    i ? ", " : "", n->listen[i].text);
		note("listen: %s", n->n_listen ? text : "none");
	}
	if (f & RECONF_NODE_ADDRESS) {
		prefixes_text(text, sizeof(text), n->address, n->n_address);
		note("address: %s", text);
	}
	if (f & RECONF_NODE_ANNOUNCE) {
		prefixes_text(text, sizeof(text), n->announce, n->n_announce);
		note("announce: %s", text);
	}
	if (f & RECONF_NODE_TIMERS)
		note("heartbeat-interval %u, dead-after %u: every session "
		    "updated", n->heartbeat_interval, n->dead_after);
	if (f & RECONF_NODE_OFFLOAD)
		note("offload: %s", n->offload ? "on" : "off");
	if (f & RECONF_NODE_GATEWAY)
		note("gateway: %s", n->gw.enabled ? "updated" : "off");
	if (f & RECONF_NODE_FWMARK)
		note("fwmark: 0x%x, every session restarted", n->fwmark);
	if (f & RECONF_NODE_CONTROL)
		note("control: %s takes effect when ipcpd restarts; still "
		    "%s", n->control, o->control);
}

static void
reply_peers(const struct reconf *r)
{
	Ipcp__Envelope		env = IPCP__ENVELOPE__INIT;
	Ipcp__ReloadPeer	rp = IPCP__RELOAD_PEER__INIT;
	size_t			i;

	if (!rl.has_req)
		return;
	for (i = 0; i < r->n_peers; i++) {
		const struct peer_conf *pc = r->peers[i].new != NULL ?
		    r->peers[i].new : r->peers[i].old;

		rp.name = (char *)pc->name;
		rp.action = (Ipcp__ReloadAction)r->peers[i].action;
		env.body_case = IPCP__ENVELOPE__BODY_RELOAD_PEER;
		env.reload_peer = &rp;
		if (ctl_reply(&rl.req, &env) == -1)
			return;
	}
}

static void
reply_done(int applied)
{
	Ipcp__Envelope		 env = IPCP__ENVELOPE__INIT;
	Ipcp__ReloadDone	 d = IPCP__RELOAD_DONE__INIT;
	char			*notes[MSG_MAX_NOTES];
	size_t			 i;

	if (!rl.has_req)
		return;
	for (i = 0; i < rl.n_notes; i++)
		notes[i] = rl.notes[i];
	d.applied = applied;
	d.notes = notes;
	d.n_notes = rl.n_notes;
	d.confirm_s = applied ? rl.confirm_s : 0;
	env.body_case = IPCP__ENVELOPE__BODY_RELOAD_DONE;
	env.reload_done = &d;
	ctl_reply(&rl.req, &env);
	rl.has_req = 0;
}

static void
log_summary(const char *what)
{
	log_info("%s: kept %zu, changed %zu, restarted %zu, added %zu, "
	    "removed %zu", what, rl.count[RECONF_KEEP],
	    rl.count[RECONF_CHANGE], rl.count[RECONF_RESTART],
	    rl.count[RECONF_ADD], rl.count[RECONF_DELETE]);
}

/*
 * Apply the plan that takes the running daemon from ipcpd->conf to `new'.
 * Returns -1 with err if nothing could be changed; else 0, and `new' is
 * the running config (the caller keeps or frees the old one).
 */
static int
apply(struct config *new, const struct reconf *r, char *err, size_t errlen)
{
	struct config	 *old = ipcpd->conf;
	struct peer	**peers, **gone;
	size_t		  i, n;

	/* Each old peer by plan entry; then the deleted ones, in gone. */
	if ((peers = calloc(2 * r->n_peers + 1, sizeof(*peers))) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if ((r->node & RECONF_NODE_LISTEN) &&
	    listener_sync(new, err, errlen) == -1) {
		free(peers);
		return -1;
	}
	gone = peers + r->n_peers;
	/* Find every peer by its old name before any is renamed. */
	for (i = 0; i < r->n_peers; i++)
		if (r->peers[i].old != NULL)
			peers[i] = peer_by_name(r->peers[i].old->name);

	ipcpd->conf = new;
	/* Passcode clients go if the passcode did, or a [peer] wants room. */
	openpeer_reconf(old);
	if (r->node & RECONF_NODE_ADDRESS)
		peer_addresses_sync(old);
	if (r->node & RECONF_NODE_OFFLOAD)
		peer_offload_sync();

	/*
	 * Deletes first: their names and interfaces may be reused.  Their
	 * idle TUNs in one request, not one 20 ms unregistering each.
	 */
	for (i = 0, n = 0; i < r->n_peers; i++)
		if (r->peers[i].action == RECONF_DELETE && peers[i] != NULL)
			gone[n++] = peers[i];
	peer_tun_delete_some(gone, n);
	for (i = 0; i < n; i++)
		peer_remove(gone[i], "removed from the configuration");
	for (i = 0; i < r->n_peers; i++) {
		const struct reconf_peer *rp = &r->peers[i];

		switch (rp->action) {
		case RECONF_KEEP:
			/* The same settings; the copy is refreshed only. */
			if (peers[i] != NULL)
				peertab_set_conf(peers[i], rp->new);
			break;
		case RECONF_CHANGE:
			if (peers[i] != NULL)
				peer_fsm(peers[i], PEER_EV_RECONFIGURE,
				    rp->new);
			break;
		case RECONF_RESTART:
			if (peers[i] != NULL)
				peer_fsm(peers[i], PEER_EV_RESTART, rp->new);
			break;
		case RECONF_ADD:
			if ((peers[i] = peer_add(rp->new)) == NULL)
				log_warn("peer %s", rp->new->name);
			else
				peer_fsm(peers[i], PEER_EV_START, NULL);
			break;
		default:
			break;
		}
	}
	free(peers);
	if (r->node & (RECONF_NODE_ADDRESS | RECONF_NODE_ANNOUNCE |
	    RECONF_NODE_GATEWAY))
		route_local_sync();
	/* Peers' lease, full-tunnel and killswitch keys matter here too. */
	gateway_reconf(old);
	tunnel_reconf(old);
	if (r->node & RECONF_NODE_NAME)
		route_node_renamed();
	return 0;
}

static void
confirm_timeout(uv_timer_t *t)
{
	struct config	*back = rl.rollback, *cur = ipcpd->conf;
	struct reconf	 r;
	char		 err[512];

	rl.rollback = NULL;
	log_warnx("reload not confirmed within %u s: going back to the "
	    "previous configuration", rl.confirm_s);
	notify_reloading();
	if (config_diff(cur, back, &r) == -1) {
		log_warn("rollback");
		config_free(back);
		notify_ready();
		return;
	}
	memcpy(rl.count, r.count, sizeof(rl.count));
	if (apply(back, &r, err, sizeof(err)) == -1) {
		log_warnx("rollback failed, keeping the unconfirmed "
		    "configuration: %s", err);
		config_diff_free(&r);
		config_free(back);
		notify_ready();
		return;
	}
	log_summary("rolled back");
	config_diff_free(&r);
	config_free(cur);
	rl.has_req = 0;
	rl.busy = 1;
	reload_progress();
}

unsigned
reload_confirm_left(void)
{
	uint64_t	now = now_ms();

	if (rl.rollback == NULL)
		return 0;
	/* Round up: "0 s left" would read as no confirmation pending. */
	return rl.deadline_ms > now ? (rl.deadline_ms - now + 999) / 1000 :
	    1;
}

void
reload_confirm(const struct ctl_req *req)
{
	if (rl.rollback == NULL) {
		ctl_result(req, CTL_RES_FAILED, "no reload is waiting for "
		    "confirmation");
		return;
	}
	uv_timer_stop(&rl.timer);
	config_free(rl.rollback);
	rl.rollback = NULL;
	log_info("reload confirmed");
	ctl_result(req, CTL_RES_OK, "confirmed");
}

struct config *
reload_parse(char *err, size_t errlen)
{
	struct config	*new;

	if ((new = config_parse(ipcpd->conf->file, err, errlen)) == NULL)
		return NULL;
	ipcpd_control_override(new);
	return new;
}

int
reload_busy(void)
{
	return rl.busy;
}

void
reload_progress(void)
{
	if (!rl.busy || fwd_count_waited() > 0)
		return;
	rl.busy = 0;
	reply_done(1);
	notify_ready();
}

static void
refuse(const struct ctl_req *req, unsigned code, const char *text)
{
	if (req != NULL)
		ctl_result(req, code, text);
	else
		log_warnx("reload: %s", text);
}

void
reload_request(const struct ctl_req *req, int check, unsigned confirm_s)
{
	struct config	*new, *old = ipcpd->conf;
	struct reconf	 r;
	char		 err[1024];
	size_t		 i;

	if (rl.busy) {
		refuse(req, CTL_RES_PENDING, "reload in progress");
		return;
	}
	if (rl.rollback != NULL && !check) {
		snprintf(err, sizeof(err), "reload in progress: waiting for "
		    "ipcpctl confirm (rollback in %u s)",
		    reload_confirm_left());
		refuse(req, CTL_RES_PENDING, err);
		return;
	}
	if (old->compat) {
		refuse(req, CTL_RES_FAILED, "started from the command line: "
		    "there is no config file to reload");
		return;
	}
	if (!check)
		notify_reloading();
	if ((new = reload_parse(err, sizeof(err))) == NULL) {
		refuse(req, CTL_RES_CONFIG, err);
		goto failed;
	}
	for (i = 0; i < new->n_warning; i++)
		log_warnx("%s", new->warning[i]);
	if (config_diff(old, new, &r) == -1) {
		refuse(req, CTL_RES_FAILED, strerror(errno));
		config_free(new);
		goto failed;
	}
	rl.has_req = req != NULL;
	if (req != NULL)
		rl.req = *req;
	memcpy(rl.count, r.count, sizeof(rl.count));
	notes_node(old, new, r.node);
	reply_peers(&r);
	if (check) {
		reply_done(0);
		config_diff_free(&r);
		config_free(new);
		return;
	}
	if (apply(new, &r, err, sizeof(err)) == -1) {
		rl.has_req = 0;
		refuse(req, CTL_RES_FAILED, err);
		config_diff_free(&r);
		config_free(new);
		goto failed;
	}
	log_summary("reloaded");
	config_diff_free(&r);
	rl.confirm_s = confirm_s;
	if (confirm_s > 0) {
		if (!rl.timer_init) {
			uv_timer_init(ipcpd->loop, &rl.timer);
			rl.timer_init = 1;
		}
		rl.rollback = old;
		rl.deadline_ms = now_ms() + (uint64_t)confirm_s * 1000;
		uv_timer_start(&rl.timer, confirm_timeout,
		    (uint64_t)confirm_s * 1000, 0);
		log_info("reload applied; rolling back in %u s unless "
		    "confirmed", confirm_s);
	} else
		config_free(old);
	rl.busy = 1;
	reload_progress();
	return;
failed:
	/* The old configuration runs on, as it was. */
	if (!check)
		notify_ready();
}

void
reload_clear(void)
{
	if (rl.timer_init) {
		uv_close((uv_handle_t *)&rl.timer, NULL);
		rl.timer_init = 0;
	}
	config_free(rl.rollback);
	rl.rollback = NULL;
}
