/* SPDX-License-Identifier: ISC */
/*
 * What a gateway client does to the host beyond its TUNs: the full
 * tunnel, the killswitch and the lease's nameservers.
 *
 * Full tunnel, as wg-quick does it: our outer TCP sockets carry the mark
 * conf->fwmark (SO_MARK), the default routes through a full-tunnel peer
 * go into the routing table of that number (kroute.c asks
 * tunnel_route_table), and two policy rules per family send everything
 * unmarked there:
 *
 *	32760: not fwmark M lookup main suppress_prefixlength 0
 *	32761: not fwmark M lookup M
 *
 * The first lets the main table's more specific routes (the LAN, the
 * underlay, other peers' prefixes) win over the tunnel's default; the
 * second gives the rest the tunnel.  Marked packets (the outer
 * connections) match neither and use the main table, so they keep
 * working whatever the endpoint or the underlay's default route.  The
 * suppress rule is "not fwmark" too (wg-quick's is not) so each rule
 * carries our mark and several ipcpd in one namespace tell theirs apart.
 * Fixed priorities, so a restart finds and keeps the rules it wants
 * (no window without them), just below the main table's 32766 so any
 * rule an administrator or another tool set comes first.  Both carry
 * protocol ipcp.  The 0/1 + 128/1 fallback for kernels without policy
 * routing is not done: every kernel ipcp runs on has it.
 *
 * Past a strict rp_filter: connmark.c.  Killswitch: killswitch.c.
 *
 * DNS: resolv.c, with the backup next to the control socket.
 *
 * ipcpctl restart execs without tunnel_stop; tunnel_init of the new
 * binary finds the rules, the table and the backup and keeps what it
 * still wants.  A clean stop removes all of it.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <linux/rtnetlink.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcpd.h"
#include "netlink.h"
#include "resolv.h"

#define TUNNEL_PRIO_SUPPRESS	32760
#define TUNNEL_PRIO_FWMARK	32761
#define TUNNEL_RESOLV_CONF	"/etc/resolv.conf"

static const int	families[] = { AF_INET, AF_INET6 };

static struct {
	uint32_t	mark;		/* of the rules and the table */
	int		rules[2];	/* per family: our rules stand */
	int		marking;	/* outer sockets are marked */
	int		dns;		/* our nameservers are in */
	char		backup[RESOLV_PATH_MAX];
	char		label[RESOLV_LABEL_MAX];
	uv_timer_t	sweep;
	int		sweep_init;
} tun;

static int
fam_idx(int family)
{
	return family == AF_INET6;
}

/* ---- the mark ------------------------------------------------------ */

static int
want_marking(const struct config *conf)
{
	return config_full_tunnel(conf) || config_killswitch(conf);
}

static int
mark_fd(int fd, uint32_t mark)
{
	return setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
}

int
tunnel_mark_socket(int fd)
{
	if (!tun.marking)
		return 0;
	return mark_fd(fd, tun.mark);
}

/*
 * Accepted connections take the listener's mark (and so do the SYN-ACKs
 * the kernel sends for it), so a peer that dials us is an outer
 * connection too.
 */
static void
mark_listener(int fd, const struct listen_conf *lc, void *arg)
{
	uint32_t	mark = *(uint32_t *)arg;

	if (mark_fd(fd, mark) == -1)
		log_warn("listener %s: mark", lc->text);
}

static void
marking_sync(const struct config *conf)
{
	uint32_t	mark;

	tun.marking = want_marking(conf);
	mark = tun.marking ? tun.mark : 0;
	listener_foreach(mark_listener, &mark);
}

/* ---- policy rules -------------------------------------------------- */

static void
rule_make(struct nl_rule *r, int family, int suppress, uint32_t mark)
{
	memset(r, 0, sizeof(*r));
	r->family = family;
	r->fwmark = mark;
	r->fwmask = 0xffffffff;
	r->invert = 1;
	if (suppress) {
		r->priority = TUNNEL_PRIO_SUPPRESS;
		r->table = RT_TABLE_MAIN;
		r->suppress_plen = 0;
	} else {
		r->priority = TUNNEL_PRIO_FWMARK;
		r->table = mark;
		r->suppress_plen = -1;
	}
}

static int
rule_equal(const struct nl_rule *a, const struct nl_rule *b)
{
	return a->family == b->family && a->priority == b->priority &&
	    a->table == b->table && a->fwmark == b->fwmark &&
	    a->fwmask == b->fwmask && a->invert == b->invert &&
	    a->suppress_plen == b->suppress_plen && !a->other && !b->other;
}

/* Ours: protocol ipcp (the listing has only those) and our mark. */
static int
rule_ours(const struct nl_rule *r, uint32_t mark)
{
	return !r->other && r->fwmark == mark && r->fwmask == 0xffffffff;
}

/*
 * Make the rules of `mark' what `want' says: the wanted ones added
 * first (those there already stay: no window), then any other of ours
 * removed.  Sets tun.rules[] for the families that stand.
 */
static void
rules_sync(uint32_t mark, int want)
{
	struct nl_rule	*have = NULL, r;
	size_t		 n = 0, i;
	int		 f, s, found, added;

	if (nl_rule_list(&have, &n) == -1) {
		log_warn("policy rules");
		have = NULL;
		n = 0;
	}
	for (f = 0; want && f < 2; f++) {
		tun.rules[f] = 1;
		added = 0;
		for (s = 1; s >= 0; s--) {
			rule_make(&r, families[f], s, mark);
			for (found = 0, i = 0; i < n && !found; i++)
				found = rule_equal(&have[i], &r);
			if (found)
				continue;
			if (nl_rule_add(&r) == 0) {
				added = 1;
				continue;
			}
			/* IPv6 off in this namespace: IPv4 goes on. */
			if (errno != EAFNOSUPPORT)
				log_warn("policy rule for table %u (%s)",
				    mark, families[f] == AF_INET ? "IPv4" :
				    "IPv6");
			tun.rules[f] = 0;
		}
		if (tun.rules[f] && added)
			log_info("full tunnel: %s policy rules for table %u",
			    families[f] == AF_INET ? "IPv4" : "IPv6", mark);
	}
	for (i = 0; i < n; i++) {
		if (!rule_ours(&have[i], mark))
			continue;
		if (want) {
			rule_make(&r, have[i].family, have[i].table ==
			    RT_TABLE_MAIN, mark);
			if (rule_equal(&have[i], &r))
				continue;
		}
		if (nl_rule_del(&have[i]) == -1)
			log_warn("remove policy rule %u", have[i].priority);
	}
	if (!want)
		tun.rules[0] = tun.rules[1] = 0;
	free(have);
}

uint32_t
tunnel_route_table(const struct peer *p, const struct prefix *dst)
{
	if (dst->plen == 0 && p->conf.full_tunnel && tun.mark != 0 &&
	    tun.rules[fam_idx(dst->family)])
		return tun.mark;
	return RT_TABLE_MAIN;
}

/*
 * Routes of ours in our table that the RIB did not install: left by an
 * ipcpd that died or by the binary before a restart, and not taken over
 * (the routes it still wants were installed again, in place, before
 * this runs).  keep_installed 0: every one goes.
 */
static void
table_sweep(uint32_t table, int keep_installed)
{
	struct nl_route_info	*ri = NULL;
	struct rib_prefix	*rp;
	struct nl_via		 v;
	size_t			 n = 0, i;

	if (table == 0 || table == RT_TABLE_MAIN)
		return;
	if (nl_route_list(table, &ri, &n) == -1) {
		log_warn("routes in table %u", table);
		return;
	}
	for (i = 0; i < n; i++) {
		if (keep_installed && (rp = rib_find(&ri[i].dst)) != NULL &&
		    rp->installed.ifindex == ri[i].ifindex &&
		    rp->installed.table == table)
			continue;
		if (ri[i].ifindex <= 0)
			continue;
		memset(&v, 0, sizeof(v));
		v.ifindex = ri[i].ifindex;
		v.table = table;
		if (nl_route_del_via(&ri[i].dst, &v) == -1)
			log_warn("remove a leftover route from table %u",
			    table);
	}
	free(ri);
}

static void
sweep_cb(uv_timer_t *t)
{
	if (!ipcpd->stopping)
		table_sweep(tun.mark, 1);
}

/* ---- DNS ----------------------------------------------------------- */

static const char *
resolvconf_program(void)
{
	if (access("/usr/sbin/resolvconf", X_OK) == 0)
		return "/usr/sbin/resolvconf";
	if (access("/sbin/resolvconf", X_OK) == 0)
		return "/sbin/resolvconf";
	return NULL;
}

/* The label: the TUN of the first peer whose nameservers we take. */
static void
resolv_target(struct resolv_target *t)
{
	const struct peer_conf	*pc;

	snprintf(tun.label, sizeof(tun.label), "ipcp");
	TAILQ_FOREACH(pc, &ipcpd->conf->peers, entry)
		if (pc->lease && pc->dns) {
			snprintf(tun.label, sizeof(tun.label), "%s",
			    pc->ifname);
			break;
		}
	t->path = TUNNEL_RESOLV_CONF;
	t->backup = tun.backup;
	t->program = resolvconf_program();
	t->label = tun.label;
}

static int
want_dns(const struct config *conf)
{
	const struct peer_conf	*pc;

	TAILQ_FOREACH(pc, &conf->peers, entry)
		if (pc->lease && pc->dns)
			return 1;
	return 0;
}

static void
dns_restore(void)
{
	struct resolv_target	t;

	resolv_target(&t);
	if (!resolv_leftover(&t))
		return;
	if (resolv_restore(&t) == -1)
		log_warn("dns: restore %s", t.program != NULL ? "with "
		    "resolvconf" : TUNNEL_RESOLV_CONF);
	else
		log_info("dns: the host's resolver restored");
	tun.dns = 0;
}

void
tunnel_dns_changed(void)
{
	struct resolv_target	t;
	struct prefix		ns[CONFIG_DNS_MAX];
	size_t			n;

	if (tun.backup[0] == '\0')
		return;
	n = lease_client_dns(ns, CONFIG_DNS_MAX);
	if (n == 0) {
		dns_restore();
		return;
	}
	resolv_target(&t);
	if (resolv_apply(&t, ns, n) == -1) {
		log_warn("dns: %s", t.program != NULL ? "resolvconf" :
		    TUNNEL_RESOLV_CONF);
		return;
	}
	log_info("dns: %zu nameserver%s from the lease", n, n == 1 ? "" :
	    "s");
	tun.dns = 1;
}

/* ---- init, reload, stop -------------------------------------------- */

int
tunnel_init(char *err, size_t errlen)
{
	const struct config	*conf = ipcpd->conf;
	int			 ft = config_full_tunnel(conf);

	tun.mark = conf->fwmark;
	if (snprintf(tun.backup, sizeof(tun.backup), "%s.resolv",
	    conf->control) >= (int)sizeof(tun.backup)) {
		snprintf(err, errlen, "%s.resolv: path too long",
		    conf->control);
		return -1;
	}
	/* Fail closed: without its killswitch ipcpd does not start. */
	if (killswitch_init(conf, err, errlen) == -1)
		return -1;
	marking_sync(conf);
	connmark_sync(tun.mark, ft);
	rules_sync(tun.mark, ft);
	if (!ft)
		table_sweep(tun.mark, 0);
	else {
		/*
		 * After a restart the peers install their routes again, in
		 * place, before the loop turns: what is left then is not
		 * wanted.  A kill -9 took its TUNs and their routes along.
		 */
		if (uv_timer_init(ipcpd->loop, &tun.sweep) == 0) {
			tun.sweep_init = 1;
			uv_unref((uv_handle_t *)&tun.sweep);
			uv_timer_start(&tun.sweep, sweep_cb, 0, 0);
		}
	}
	/*
	 * An earlier ipcpd died with our nameservers in: keep them if a
	 * lease will bring them again (a restart), or put the host's back.
	 */
	if (resolv_leftover(&(struct resolv_target){ .backup = tun.backup })) {
		if (want_dns(conf))
			tun.dns = 1;
		else
			dns_restore();
	}
	return 0;
}

void
tunnel_reconf(const struct config *old)
{
	const struct config	*conf = ipcpd->conf;
	struct peer		*p;
	uint32_t		 oldmark = tun.mark;
	int			 ft = config_full_tunnel(conf);
	int			 was_marking = tun.marking;

	/* A node that neither had nor has any of it: nothing to look at. */
	if (!ft && !config_full_tunnel(old) && !config_killswitch(conf) &&
	    !config_killswitch(old) && !tun.dns && oldmark == conf->fwmark)
		return;
	tun.mark = conf->fwmark;
	connmark_sync(tun.mark, ft);
	/* Rules before routes on the way in, after them on the way out. */
	if (ft)
		rules_sync(tun.mark, 1);
	kroute_sync_all();
	if (!ft)
		rules_sync(tun.mark, 0);
	if (oldmark != tun.mark) {
		rules_sync(oldmark, 0);
		table_sweep(oldmark, 0);
	}
	killswitch_sync(conf);
	marking_sync(conf);
	/*
	 * Sessions that began unmarked would now go into the tunnel (or
	 * be dropped by the killswitch): they start again, marked.  A new
	 * mark restarts every peer anyway (config_diff.c).
	 */
	if (tun.marking && !was_marking)
		TAILQ_FOREACH(p, &ipcpd->peers, entry)
			if (p->state == PEER_STATE_UP)
				peer_fsm(p, PEER_EV_CLOSE, "the outer "
				    "connection must carry the fwmark now");
	if (!want_dns(conf) && tun.dns)
		dns_restore();
}

void
tunnel_stop(void)
{
	if (tun.sweep_init) {
		uv_timer_stop(&tun.sweep);
		uv_close((uv_handle_t *)&tun.sweep, NULL);
		tun.sweep_init = 0;
	}
	/*
	 * Only ours go (our mark); the TUNs are closed already and took
	 * their routes along, the sweep is for a TUN someone made
	 * persistent.
	 */
	rules_sync(tun.mark, 0);
	table_sweep(tun.mark, 0);
	connmark_sync(tun.mark, 0);
	killswitch_stop();
	if (tun.backup[0] != '\0')
		dns_restore();
}
