/* SPDX-License-Identifier: ISC */
/*
 * The gateway's NAT and `secure': one nftables table of ours,
 * NFT_TABLE_GATEWAY, and IP forwarding while nat is on.
 *
 * Everything is derived from state, never patched: the config, the
 * names of our TUNs and the networks the host is attached to render the
 * whole table (gwnat_rules.c), which replaces the old one in a single
 * transaction, so a ruleset nftables refuses leaves the running one in
 * place.  A reload, a peer added or removed (debounced, since a thousand
 * clients may join in one burst) and an address change all take the one
 * path, gwnat_sync().
 *
 * The attached networks are kept current by listening to rtnetlink's
 * address events on the loop (ifaddr-linux.c) while `secure' is on: a
 * DHCP lease or a new interface is filtered within the debounce, where a
 * periodic recheck would leave clients a window of up to its period, and
 * costs a wake-up when nothing changes.
 *
 * Forwarding (ipfwd-linux.c) is host-wide: its originals are saved in
 * `<state-dir>/<node>.sysctl' before the first write and put back when
 * nat goes (reload, clean stop); a start finds the file an ipcpd killed
 * with -9 or re-executed left, and keeps its originals.  The table's
 * comment names that file, so a start whose config no longer has the
 * [gateway] (nor its state-dir) still finds it and puts the host back.
 */
#include <sys/stat.h>

#include <linux/rtnetlink.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gwnat.h"
#include "ipcpd.h"
#include "nft.h"

/* Peers that come and go are gathered for this long into one sync. */
#define GWNAT_DEBOUNCE_MS	150
/* The prefix of the table's comment; the originals' file follows. */
#define GWNAT_COMMENT		"ipcpd gateway; forwarding saved in "
/* nftables keeps at most this much of a comment (with its NUL). */
#define GWNAT_COMMENT_MAX	128

static struct {
	int			 started;	/* the first sync ran */
	int			 stopped;
	int			 table;		/* ours is in place */
	char			 path[PATH_MAX]; /* the originals; "" none */
	uv_timer_t		 timer;
	int			 timer_init;
	uv_poll_t		 poll;
	int			 watch_fd;
	int			 poll_init;
	struct log_ratelimit	 rl;
} gn = {
	.watch_fd = -1,
	.rl = LOG_RATELIMIT_INIT(3, 10000),
};

static void	gwnat_schedule(void);

static void
state_path(const struct config *c, char *out, size_t len)
{
	if (config_state_file(c, "sysctl", out, len) == -1)
		out[0] = '\0';
}

/* The file can be named in a comment: printable, no quotes, short. */
static int
comment_safe(const char *s)
{
	size_t	 i;

	if (strlen(GWNAT_COMMENT) + strlen(s) >= GWNAT_COMMENT_MAX)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < 0x20 || s[i] == 0x7f || s[i] == '"' ||
		    s[i] == '\\')
			return 0;
	return 1;
}

/* Load originals from path if they are there and good; 1: loaded. */
static int
adopt_file(const char *path)
{
	char	 bad[PATH_MAX];

	if (path[0] == '\0')
		return 0;
	if (ipfwd_load(path) == 0) {
		log_info("gateway: forwarding as it was before an earlier "
		    "ipcpd, from %s", path);
		snprintf(gn.path, sizeof(gn.path), "%s", path);
		return 1;
	}
	switch (errno) {
	case ENOENT:
		break;
	case ESTALE:
		log_warnx("gateway: %s was saved before the last boot; the "
		    "values now are the host's own", path);
		(void)unlink(path);
		break;
	default:
		snprintf(bad, sizeof(bad), "%s.bad", path);
		log_warnx("gateway: %s: not a forwarding file of ours (%s); "
		    "set aside as %s", path, strerror(errno), bad);
		(void)rename(path, bad);
		break;
	}
	return 0;
}

/*
 * The first sync: what an ipcpd before us left (killed, or re-executed
 * by ipcpctl restart).  Its table says where its originals are; else
 * they may be where our config puts them.
 */
static void
adopt(const struct config *c)
{
	char	 comment[GWNAT_COMMENT_MAX], path[PATH_MAX];
	size_t	 plen = strlen(GWNAT_COMMENT);

	switch (nft_table_get(NFT_TABLE_GATEWAY, comment, sizeof(comment))) {
	case 1:
		gn.table = 1;
		if (strncmp(comment, GWNAT_COMMENT, plen) == 0 &&
		    adopt_file(comment + plen))
			return;
		break;
	case -1:
		/*
		 * Cannot tell (no nf_tables here?): a host without a
		 * [gateway] must still start, so assume there is none.
		 */
		break;
	}
	state_path(c, path, sizeof(path));
	(void)adopt_file(path);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The listed peers' TUNs, made yet or not (at start the peers are not
 * added yet, and a restart's TUNs already carry traffic).  Passcode
 * clients' are matched by OPENPEER_IFPREFIX, so one joining or leaving
 * changes no table.  Names are checked by the config: interface names.
 */
static const char **
tun_names(size_t *n)
{
	const char		**v;
	struct peer_conf	 *pc;
	size_t			  k = 0, i;

	if ((v = calloc(ipcpd->conf->n_peers + 1, sizeof(*v))) == NULL)
		return NULL;
	TAILQ_FOREACH(pc, &ipcpd->conf->peers, entry)
		v[k++] = pc->ifname;
	qsort(v, k, sizeof(*v), name_cmp);
	for (*n = 0, i = 0; i < k; i++)
		if (*n == 0 || strcmp(v[*n - 1], v[i]) != 0)
			v[(*n)++] = v[i];
	return v;
}

static int
int_cmp(const void *a, const void *b)
{
	int	x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Is this interface one of our TUNs (a peer's, listed or passcode)? */
static int
our_tun(int ifindex)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		if (p->tun_fd != -1 && p->ifindex == ifindex)
			return 1;
	return 0;
}

/*
 * The networks the host is on, but for host scope (lo among them),
 * link-local and our TUNs: our TUNs' interface numbers are sorted once,
 * not walked for each of the thousands of addresses a gateway's TUNs
 * carry.
 */
static struct prefix *
local_nets(size_t *n)
{
	struct ifaddr_entry	*a;
	struct prefix		*v;
	struct peer		*p;
	int			*tuns;
	size_t			 na, nt = 0, i;

	if (ifaddr_list(&a, &na) == -1)
		return NULL;
	v = calloc(na + 1, sizeof(*v));
	tuns = calloc(ipcpd->n_peers + 1, sizeof(*tuns));
	if (v == NULL || tuns == NULL) {
		free(a);
		free(v);
		free(tuns);
		return NULL;
	}
	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		if (p->tun_fd != -1)
			tuns[nt++] = p->ifindex;
	qsort(tuns, nt, sizeof(*tuns), int_cmp);
	*n = 0;
	for (i = 0; i < na; i++) {
		if (a[i].scope == RT_SCOPE_HOST)
			continue;
		/* fe80::/10 is never forwarded. */
		if (a[i].net.family == AF_INET6 &&
		    a[i].net.addr.bytes[0] == 0xfe &&
		    (a[i].net.addr.bytes[1] & 0xc0) == 0x80)
			continue;
		if (bsearch(&a[i].ifindex, tuns, nt, sizeof(*tuns),
		    int_cmp) != NULL)
			continue;
		v[(*n)++] = a[i].net;
	}
	free(a);
	free(tuns);
	*n = gwnat_prefix_merge(v, *n);
	return v;
}

/* Render and replace the table; -1 with err, the old table untouched. */
static int
table_sync(const struct config *c, const char *path, char *err,
    size_t errlen)
{
	struct gwnat_state	 st = { 0 };
	const char		**tuns;
	struct prefix		*local = NULL;
	char			 comment[GWNAT_COMMENT_MAX], nerr[512];
	char			*text = NULL;
	size_t			 textlen = 0;
	FILE			*fp;
	int			 r = -1;

	if ((tuns = tun_names(&st.n_tuns)) == NULL) {
		snprintf(err, errlen, "gateway: %s", strerror(errno));
		return -1;
	}
	st.tuns = tuns;
	st.open_tuns = c->gw.has_passcode;
	if (c->gw.secure) {
		if ((local = local_nets(&st.n_local)) == NULL) {
			snprintf(err, errlen, "gateway: cannot list the host's "
			    "addresses: %s", strerror(errno));
			goto out;
		}
		st.local = local;
	}
	if (path[0] != '\0' && comment_safe(path)) {
		snprintf(comment, sizeof(comment), GWNAT_COMMENT "%s", path);
		st.comment = comment;
	}
	if ((fp = open_memstream(&text, &textlen)) == NULL) {
		snprintf(err, errlen, "gateway: %s", strerror(errno));
		goto out;
	}
	if (gwnat_rules(fp, &c->gw, &st) == -1 || fclose(fp) == EOF) {
		snprintf(err, errlen, "gateway: cannot render the table");
		goto out;
	}
	if (nft_table_replace(NFT_TABLE_GATEWAY, text, nerr,
	    sizeof(nerr)) == -1) {
		snprintf(err, errlen, "gateway: table inet %s: %s",
		    NFT_TABLE_GATEWAY, nerr);
		goto out;
	}
	gn.table = 1;
	r = 0;
out:
	free(text);
	free(local);
	free(tuns);
	return r;
}

static int
table_delete(char *err, size_t errlen)
{
	char	 nerr[512];

	if (!gn.table)
		return 0;
	if (nft_table_delete(NFT_TABLE_GATEWAY, nerr, sizeof(nerr)) == -1) {
		snprintf(err, errlen, "gateway: table inet %s: %s",
		    NFT_TABLE_GATEWAY, nerr);
		return -1;
	}
	gn.table = 0;
	return 0;
}

static const char *
fam_name(unsigned fams)
{
	if (fams == (IPFWD_V4 | IPFWD_V6))
		return "IPv4 and IPv6";
	return fams == IPFWD_V4 ? "IPv4" : "IPv6";
}

/*
 * Forwarding as `want' says: originals saved (to path) before the first
 * write, put back for the families no longer wanted.
 */
static int
fwd_sync(unsigned want, const char *state_dir, const char *path, char *err,
    size_t errlen)
{
	unsigned	 held = ipfwd_held(), add = want & ~held;
	unsigned	 drop = held & ~want;

	if (drop != 0)
		ipfwd_restore(drop);
	if (add != 0 && ipfwd_snapshot(add) == -1) {
		snprintf(err, errlen, "gateway: cannot read the forwarding "
		    "sysctls: %s", strerror(errno));
		return -1;
	}
	if (ipfwd_held() != 0 && path[0] == '\0') {
		ipfwd_restore(add);
		snprintf(err, errlen, "gateway: state-dir/name.sysctl: %s",
		    strerror(ENAMETOOLONG));
		return -1;
	}
	/* Saved (or removed) where the config says, moved if it moved. */
	if (add != 0 || drop != 0 || strcmp(gn.path, path) != 0) {
		/* The lease file's directory too; made by whoever is first. */
		if (ipfwd_held() != 0 && dir_make_private(state_dir) == -1) {
			snprintf(err, errlen, "gateway: %s: %s", state_dir,
			    strerror(errno));
			ipfwd_restore(add);
			return -1;
		}
		if (ipfwd_held() != 0 && ipfwd_save(path) == -1) {
			snprintf(err, errlen, "gateway: %s: %s", path,
			    strerror(errno));
			ipfwd_restore(add);
			return -1;
		}
		if (gn.path[0] != '\0' && (ipfwd_held() == 0 ||
		    strcmp(gn.path, path) != 0))
			(void)unlink(gn.path);
		if (ipfwd_held() != 0)
			snprintf(gn.path, sizeof(gn.path), "%s", path);
		else
			gn.path[0] = '\0';
	}
	if (want != 0 && ipfwd_enable(want, err, errlen) == -1)
		return -1;
	if (add != 0)
		log_info("gateway: %s forwarding on for nat (host-wide); the "
		    "values it replaced are in %s", fam_name(add), gn.path);
	if (drop != 0)
		log_info("gateway: %s forwarding put back as it was",
		    fam_name(drop));
	return 0;
}

static void
watch_cb(uv_poll_t *h, int status, int events)
{
	if (ifaddr_watch_read(gn.watch_fd, our_tun) != 0)
		gwnat_schedule();
}

static void
watch_closed(uv_handle_t *h)
{
	ifaddr_watch_close(gn.watch_fd);
	gn.watch_fd = -1;
	gn.poll_init = 0;
}

static void
watch_stop(void)
{
	if (gn.poll_init && !uv_is_closing((uv_handle_t *)&gn.poll)) {
		uv_poll_stop(&gn.poll);
		uv_close((uv_handle_t *)&gn.poll, watch_closed);
	}
}

static int
watch_start(char *err, size_t errlen)
{
	if (gn.poll_init)
		return 0;
	if ((gn.watch_fd = ifaddr_watch_open()) == -1) {
		snprintf(err, errlen, "gateway: cannot watch the host's "
		    "addresses: %s", strerror(errno));
		return -1;
	}
	if (uv_poll_init(ipcpd->loop, &gn.poll, gn.watch_fd) != 0) {
		ifaddr_watch_close(gn.watch_fd);
		gn.watch_fd = -1;
		snprintf(err, errlen, "gateway: cannot watch the host's "
		    "addresses");
		return -1;
	}
	gn.poll_init = 1;
	uv_poll_start(&gn.poll, UV_READABLE, watch_cb);
	return 0;
}

/* Everything of ours gone, the host's forwarding as it was. */
static void
teardown(void)
{
	char	 err[512];

	watch_stop();
	if (gn.timer_init)
		uv_timer_stop(&gn.timer);
	if (ipfwd_held() != 0) {
		ipfwd_restore(IPFWD_V4 | IPFWD_V6);
		log_info("gateway: forwarding put back as it was");
	}
	if (gn.path[0] != '\0' && unlink(gn.path) == -1 && errno != ENOENT)
		log_warn("gateway: %s", gn.path);
	gn.path[0] = '\0';
	if (table_delete(err, sizeof(err)) == -1)
		log_warnx("%s", err);
}

int
gwnat_sync(char *err, size_t errlen)
{
	const struct config	*c = ipcpd->conf;
	const struct gateway_conf *gw = &c->gw;
	char			 path[PATH_MAX];
	unsigned		 want = 0;
	size_t			 i;
	int			 first = !gn.started;

	if (gn.stopped)
		return 0;
	if (first) {
		gn.started = 1;
		adopt(c);
	}
	state_path(c, path, sizeof(path));
	if (gw->enabled && gw->nat)
		for (i = 0; i < gw->n_pool; i++)
			want |= gw->pool[i].family == AF_INET ? IPFWD_V4 :
			    IPFWD_V6;

	if (gw->enabled && (gw->nat || gw->secure)) {
		/* The rules stand before forwarding lets anything through. */
		if (table_sync(c, path, err, errlen) == -1)
			goto fail;
	}
	if (fwd_sync(want, gw->state_dir, path, err, errlen) == -1)
		goto fail;
	/*
	 * A leftover that will not go is worth a warning, not a refusal
	 * to run a node that no longer wants it.
	 */
	if (!(gw->enabled && (gw->nat || gw->secure)) &&
	    table_delete(err, errlen) == -1)
		log_warnx("%s", err);
	if (gw->enabled && gw->secure) {
		if (watch_start(err, errlen) == -1)
			goto fail;
	} else
		watch_stop();
	return 0;
fail:
	/* At start nothing ran before us: leave nothing behind. */
	if (first)
		teardown();
	return -1;
}

static void
timer_cb(uv_timer_t *t)
{
	char	 err[512];

	if (gwnat_sync(err, sizeof(err)) == -1 && log_ratelimit(&gn.rl))
		log_warnx("%s", err);
}

static void
gwnat_schedule(void)
{
	if (gn.stopped || ipcpd->stopping || !gn.started)
		return;
	if (!gn.timer_init) {
		uv_timer_init(ipcpd->loop, &gn.timer);
		gn.timer_init = 1;
	}
	/*
	 * Not pushed back by each new change: under a steady stream of
	 * joins the table still follows within GWNAT_DEBOUNCE_MS.
	 */
	if (!uv_is_active((uv_handle_t *)&gn.timer))
		uv_timer_start(&gn.timer, timer_cb, GWNAT_DEBOUNCE_MS, 0);
}

void
gwnat_stop(void)
{
	if (gn.stopped)
		return;
	gn.stopped = 1;
	teardown();
	if (gn.timer_init)
		uv_close((uv_handle_t *)&gn.timer, NULL);
}
