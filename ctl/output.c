/* SPDX-License-Identifier: ISC */
/*
 * Text output of ipcpctl, for people (after bgpctl output.c and the
 * layout of `wg show'): one indented block per object, sizes in binary
 * units, durations as "1d 2h 3m 4s", "-" for what is not known.  Scripts
 * should use -j (output_json.c); this layout may change.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcpctl.h"
#include "msg.h"

static int	peers_shown;
static int	routes_shown;
static int	leases_shown;

/* What a reload did, gathered until its end arrives. */
static struct {
	char	(*names)[MSG_NODE_NAME_MAX + 1];
	size_t	 n, cap;
	int	*action;
} reload;

/*
 * Strings come from the daemon, and some of them (a peer's node name) from
 * the network: never let them drive the terminal.
 */
void
print_str(const char *s)
{
	if (s == NULL || *s == '\0')
		s = "-";
	for (; *s != '\0'; s++)
		putchar((unsigned char)*s >= 0x20 && *s != 0x7f ? *s : '?');
}

/* A column of at least `width' characters and a space. */
static void
print_col(const char *s, size_t width)
{
	size_t	len = s[0] != '\0' ? strlen(s) : 1;

	print_str(s);
	printf("%*s", (int)(len < width ? width - len + 1 : 1), "");
}

static void
print_field(const char *label, const char *s)
{
	printf("  %s: ", label);
	print_str(s);
	putchar('\n');
}

static const char *
fmt_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = {
	    "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double	v = n;
	size_t	i;

	if (n < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", n);
		return buf;
	}
	for (i = 0, v /= 1024; v >= 1024 && i < 5; i++)
		v /= 1024;
	snprintf(buf, len, "%.2f %s", v, unit[i]);
	return buf;
}

static const char *
fmt_duration(uint64_t s, char *buf, size_t len)
{
	uint64_t	d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;

	if (d > 0)
		snprintf(buf, len, "%" PRIu64 "d %" PRIu64 "h %" PRIu64 "m %"
		    PRIu64 "s", d, h, m, s % 60);
	else if (h > 0)
		snprintf(buf, len, "%" PRIu64 "h %" PRIu64 "m %" PRIu64 "s",
		    h, m, s % 60);
	else if (m > 0)
		snprintf(buf, len, "%" PRIu64 "m %" PRIu64 "s", m, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 "s", s);
	return buf;
}

static void
print_list(const char *label, char *const *s, size_t n)
{
	size_t	i;

	printf("    %s:", label);
	for (i = 0; i < n; i++) {
		putchar(i > 0 ? ',' : ' ');
		if (i > 0)
			putchar(' ');
		print_str(s[i]);
	}
	printf("%s\n", n == 0 ? " -" : "");
}

/* What one gateway leased us. */
static void
text_lease_status(const Ipcp__LeaseStatus *ls)
{
	char	buf[64];

	printf("  lease from ");
	print_str(ls->peer);
	putchar(':');
	if (ls->error[0] != '\0') {
		printf(" none: ");
		print_str(ls->error);
	}
	putchar('\n');
	print_list("address", ls->address, ls->n_address);
	print_list("routes", ls->routes, ls->n_routes);
	print_list("dns", ls->dns, ls->n_dns);
	if (ls->n_dns > 0)
		printf("    dns applied: %s\n", ls->dns_applied ? "yes" : "no");
	printf("    full tunnel: %s, killswitch: %s\n",
	    ls->full_tunnel ? "on" : "off", ls->killswitch ? "on" : "off");
	if (ls->n_address > 0)
		printf("    expires: %s after the session ends\n",
		    fmt_duration(ls->expires_s, buf, sizeof(buf)));
}

static void
text_status(const Ipcp__Status *st)
{
	char	buf[64];
	size_t	i;

	printf("node: ");
	print_str(st->node_name);
	putchar('\n');
	print_field("public key", st->public_key);
	printf("  pid: %u\n", st->pid);
	print_field("uptime", fmt_duration(st->uptime_s, buf, sizeof(buf)));
	if (st->n_listeners == 0)
		print_field("listening", NULL);
	for (i = 0; i < st->n_listeners; i++)
		print_field("listening", st->listeners[i]);
	printf("  peers: %u configured, %u up\n", st->peers_configured,
	    st->peers_up);
	printf("  routes: %u prefixes\n", st->routes);
	/* Only results that happened are listed; none yet says "-". */
	printf("  handshakes:");
	for (i = 0; i < st->n_handshakes; i++) {
		printf("%s%" PRIu64 " ", i > 0 ? ", " : " ",
		    st->handshakes[i]->count);
		print_str(st->handshakes[i]->name);
	}
	printf("%s\n", st->n_handshakes == 0 ? " -" : "");
	if (st->config[0] != '\0')
		print_field("config", st->config);
	if (st->confirm_pending)
		printf("  reload: waiting for ipcpctl confirm, rolls back in "
		    "%u s\n", st->confirm_left_s);
	if (st->gateway)
		printf("  gateway: %u leases, %" PRIu64 " addresses free, "
		    "%u passcode clients\n", st->leases_active, st->pool_free,
		    st->open_clients);
	for (i = 0; i < st->n_leases; i++)
		text_lease_status(st->leases[i]);
}

static void
text_peer(const Ipcp__PeerInfo *p)
{
	char	rx[32], tx[32], buf[64];

	if (peers_shown++ > 0)
		putchar('\n');
	printf("peer: ");
	print_str(p->name);
	putchar('\n');
	if (p->wire != NULL && strcmp(p->wire, "legacy") == 0)
		printf("  wire: legacy (the original ipcp's: NO replay "
		    "protection, NO forward secrecy)\n");
	else
		print_field("public key", p->public_key);
	print_field("state", p->state);
	print_field("endpoint", p->endpoint);
	print_field("remote", p->remote);
	print_field("interface", p->interface);
	print_field("cipher", p->cipher);
	/* Without a forwarder there is no session to have an age. */
	print_field("session", p->fwd_pid != 0 ?
	    fmt_duration(p->session_uptime_s, buf, sizeof(buf)) : NULL);
	printf("  transfer: %s received (%" PRIu64 " packets), "
	    "%s sent (%" PRIu64 " packets)\n",
	    fmt_bytes(p->rx_bytes, rx, sizeof(rx)), p->rx_packets,
	    fmt_bytes(p->tx_bytes, tx, sizeof(tx)), p->tx_packets);
	if (p->rtt_us != 0)
		printf("  rtt: %.3f ms\n", p->rtt_us / 1000.0);
	else
		print_field("rtt", NULL);
	if (p->fwd_pid != 0)
		printf("  forwarder: pid %d\n", p->fwd_pid);
	else
		print_field("forwarder", NULL);
	printf("  reconnects: %u\n", p->reconnects);
	printf("  dropped: %" PRIu64 " received, %" PRIu64 " sent\n",
	    p->rx_dropped, p->tx_dropped);
	printf("  drops: %" PRIu64 " source not allowed, %" PRIu64 " queue "
	    "full, %" PRIu64 " authentication failed\n", p->drop_source,
	    p->drop_queue_full, p->drop_auth);
	/* Why it is down, or was last time. */
	if (p->last_error[0] != '\0') {
		printf("  last error: ");
		print_str(p->last_error);
		printf(" (%s ago)\n", fmt_duration(p->last_error_age_s, buf,
		    sizeof(buf)));
	} else
		print_field("last error", NULL);
	if (p->last_handshake_result[0] != '\0') {
		printf("  last handshake: %s ago, ", fmt_duration(
		    p->last_handshake_age_s, buf, sizeof(buf)));
		print_str(p->last_handshake_result);
		putchar('\n');
	} else
		print_field("last handshake", NULL);
	if (p->redial_pending)
		printf("  next redial: in %u s\n", p->next_redial_s);
	printf("  failed dials: %u\n", p->dial_failures);
	print_field("node", p->node);
	printf("  routes: %u learned (max %u), %" PRIu64 " refused, "
	    "metric %u\n", p->routes, p->max_routes, p->routes_rejected,
	    p->metric);
	printf("  control: %s received, %s sent, %" PRIu64 " messages "
	    "dropped\n", fmt_bytes(p->control_rx_bytes, rx, sizeof(rx)),
	    fmt_bytes(p->control_tx_bytes, tx, sizeof(tx)),
	    p->control_dropped);
}

static void
text_peers_end(void)
{
}

static void
text_route(const Ipcp__RouteInfo *r)
{
	char	pfx[PREFIX_STRLEN], age[64];
	size_t	i;

	if (routes_shown++ == 0)
		printf("%-24s %-12s %-15s %6s  %-10s %-9s %s\n", "prefix",
		    "via", "interface", "cost", "state", "age", "path");
	printf("%-24s ", msg_prefix_format(r->prefix, pfx));
	print_col(r->via, 12);
	print_col(r->interface, 15);
	printf("%6u  %-10s %-9s ", r->cost, r->installed ? "installed" :
	    r->best ? "best" : "-", fmt_duration(r->age_s, age, sizeof(age)));
	for (i = 0; i < r->n_path; i++) {
		if (i > 0)
			putchar(' ');
		print_str(r->path[i]);
	}
	putchar('\n');
}

static void
text_routes_end(void)
{
	if (routes_shown == 0)
		printf("no routes\n");
}

static void
text_reload_peer(const Ipcp__ReloadPeer *rp)
{
	if (reload.n == reload.cap) {
		size_t	 ncap = reload.cap ? reload.cap * 2 : 64;
		void	*nn, *na;

		nn = realloc(reload.names, ncap * sizeof(*reload.names));
		if (nn != NULL)
			reload.names = nn;
		na = realloc(reload.action, ncap * sizeof(*reload.action));
		if (na != NULL)
			reload.action = na;
		if (nn == NULL || na == NULL) {
			fprintf(stderr, "ipcpctl: out of memory\n");
			exit(CTL_EXIT_ERROR);
		}
		reload.cap = ncap;
	}
	snprintf(reload.names[reload.n], sizeof(reload.names[0]), "%s",
	    rp->name);
	reload.action[reload.n++] = rp->action;
}

const char *const reload_actions[RELOAD_NACTIONS] = {
	"kept", "changed", "restarted", "added", "removed"
};

static void
text_reload_done(const Ipcp__ReloadDone *d)
{
	size_t	count[RELOAD_NACTIONS] = { 0 }, i, a, shown;

	for (i = 0; i < reload.n; i++)
		count[reload.action[i]]++;
	printf("%skept %zu, changed %zu, restarted %zu, added %zu, "
	    "removed %zu\n", d->applied ? "" : "would be: ",
	    count[0], count[1], count[2], count[3], count[4]);
	/* Who was touched; the kept ones are everyone else. */
	for (a = 1; a < RELOAD_NACTIONS; a++) {
		if (count[a] == 0)
			continue;
		printf("%s:", reload_actions[a]);
		for (i = shown = 0; i < reload.n; i++)
			if ((size_t)reload.action[i] == a) {
				putchar(' ');
				print_str(reload.names[i]);
				shown++;
			}
		putchar('\n');
	}
	for (i = 0; i < d->n_notes; i++) {
		printf("node: ");
		print_str(d->notes[i]);
		putchar('\n');
	}
	if (!d->applied)
		printf("(--check: nothing was applied)\n");
	if (d->confirm_s > 0)
		printf("rolls back in %u s unless confirmed with: ipcpctl "
		    "confirm\n", d->confirm_s);
}

static void
print_hops(const char *title, Ipcp__TraceHop *const *h, size_t n,
    int backwards, size_t nfwd)
{
	size_t	i, idx;

	printf("%s:\n", title);
	for (i = 0; i < n; i++) {
		idx = backwards ? nfwd - 1 - i : i;
		printf("  %2zu  ", idx);
		print_str(h[i]->node);
		if (idx == 0)
			printf("  (this node)\n");
		else if (h[i]->rtt_us != 0)
			printf("  %.3f ms\n", h[i]->rtt_us / 1000.0);
		else
			printf("  -\n");
	}
}

static void
text_trace(const Ipcp__TraceResult *t)
{
	char	pfx[PREFIX_STRLEN];
	size_t	i;

	printf("trace to ");
	print_str(t->target);
	printf(": %zu hop%s, %.3f ms round trip\n",
	    t->n_forward ? t->n_forward - 1 : 0,
	    t->n_forward == 2 ? "" : "s", t->rtt_us / 1000.0);
	print_hops("forward", t->forward, t->n_forward, 0, t->n_forward);
	print_hops("reverse", t->reverse, t->n_reverse, 1, t->n_forward);
	if (t->error[0] != '\0' || t->n_reverse == 0)
		return;
	printf("peers of ");
	print_str(t->reverse[0]->node);
	printf(":");
	for (i = 0; i < t->n_peers; i++) {
		putchar(' ');
		print_str(t->peers[i]->name);
		printf(" (");
		print_str(t->peers[i]->state);
		putchar(')');
	}
	printf("\nroutes of ");
	print_str(t->reverse[0]->node);
	printf(":");
	for (i = 0; i < t->n_routes; i++)
		printf(" %s", msg_prefix_format(t->routes[i], pfx));
	putchar('\n');
}

static void
text_lease(const Ipcp__LeaseInfo *l)
{
	char	buf[64], addr[2 * MSG_MAX_NAME + 8];
	size_t	i, off = 0;

	if (leases_shown++ == 0)
		printf("%-16s %-44s %-28s %-14s %s\n", "peer", "public key",
		    "address", "expires in", "connected");
	print_col(l->peer, 16);
	print_col(l->public_key, 44);
	addr[0] = '\0';
	for (i = 0; i < l->n_address && off < sizeof(addr); i++)
		off += snprintf(addr + off, sizeof(addr) - off, "%s%s",
		    i > 0 ? "," : "", l->address[i]);
	print_col(addr, 28);
	/* A connected lease is renewed: it holds that long once it ends. */
	printf("%-14s %s\n", fmt_duration(l->expires_s, buf, sizeof(buf)),
	    l->connected ? "yes" : "no");
}

static void
text_leases_end(void)
{
	if (leases_shown == 0)
		printf("no leases\n");
}

static void
text_done(const char *text)
{
	/* "ok" says nothing a zero exit status does not. */
	if (text[0] != '\0' && strcmp(text, "ok") != 0) {
		print_str(text);
		putchar('\n');
	}
}

const struct output output_text = {
	.status = text_status,
	.peer = text_peer,
	.peers_end = text_peers_end,
	.route = text_route,
	.routes_end = text_routes_end,
	.reload_peer = text_reload_peer,
	.reload_done = text_reload_done,
	.trace = text_trace,
	.lease = text_lease,
	.leases_end = text_leases_end,
	.done = text_done,
};
