/* SPDX-License-Identifier: ISC */
/*
 * The killswitch (peer key killswitch = on, node-wide): the nftables
 * table NFT_TABLE_KILLSWITCH, replaced whole in one transaction and never
 * deleted while wanted, with output and forward chains that drop what
 * does not leave by loopback or an ipcp TUN, carry the mark of our outer
 * connections, go to a killswitch-allow prefix, or keep the underlay
 * alive (IPv6 neighbour and router discovery, DHCP client requests).
 * It outlives ipcpd on purpose: kill -9 fails closed, and the next start
 * replaces it in one transaction (or removes it, if no longer wanted).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcpd.h"
#include "nft.h"

static int	ks_on;		/* our table stands */

/*
 * The accepts both chains share: every listed peer's TUN (made yet or
 * not; names the config checked), passcode clients' by their pattern,
 * and killswitch-allow, each prefix once (allow, n_allow).
 */
static void
ks_common(FILE *f, const struct config *conf, const struct prefix *allow,
    size_t n_allow)
{
	const struct peer_conf	*pc;
	char			 a[PREFIX_STRLEN];
	const char		*sep = "";
	size_t			 i;

	fprintf(f, "\t\toifname { ");
	TAILQ_FOREACH(pc, &conf->peers, entry) {
		fprintf(f, "%s\"%s\"", sep, pc->ifname);
		sep = ", ";
	}
	/* No peers: a name no interface can have keeps the syntax. */
	if (*sep == '\0')
		fprintf(f, "\"ipcp-/none\"");
	fprintf(f, " } accept\n");
	if (conf->gw.has_passcode)
		fprintf(f, "\t\toifname \"" OPENPEER_IFPREFIX "*\" accept\n");
	for (i = 0; i < n_allow; i++) {
		prefix_format(&allow[i], a);
		fprintf(f, "\t\t%s daddr %s accept\n",
		    allow[i].family == AF_INET ? "ip" : "ip6", a);
	}
}

/* Every peer's killswitch-allow, each prefix once; *n, NULL on ENOMEM. */
static struct prefix *
ks_allow(const struct config *conf, size_t *n)
{
	const struct peer_conf	*pc;
	struct prefix		*v;
	size_t			 max = 1, i;

	TAILQ_FOREACH(pc, &conf->peers, entry)
		if (pc->killswitch)
			max += pc->n_killswitch_allow;
	if ((v = calloc(max, sizeof(*v))) == NULL)
		return NULL;
	*n = 0;
	TAILQ_FOREACH(pc, &conf->peers, entry)
		for (i = 0; pc->killswitch && i < pc->n_killswitch_allow; i++)
			if (!prefix_in(&pc->killswitch_allow[i], v, *n))
				v[(*n)++] = pc->killswitch_allow[i];
	return v;
}

static char *
ks_body(const struct config *conf)
{
	struct prefix	*allow;
	char		*buf = NULL;
	size_t		 len = 0, n_allow;
	FILE		*f;

	if ((allow = ks_allow(conf, &n_allow)) == NULL)
		return NULL;
	if ((f = open_memstream(&buf, &len)) == NULL) {
		free(allow);
		return NULL;
	}
	fprintf(f, "\tcomment \"ipcpd killswitch, fwmark 0x%x\"\n", conf->fwmark);
	fprintf(f, "\tchain output {\n"
	    "\t\ttype filter hook output priority filter; policy drop;\n"
	    "\t\toifname \"lo\" accept\n"
	    "\t\tmeta mark 0x%x accept\n", conf->fwmark);
	ks_common(f, conf, allow, n_allow);
	/*
	 * The underlay itself: without neighbour discovery the outer
	 * connection has no next hop, without router solicitation and a
	 * DHCP client's requests the host may lose its address.  None of
	 * them carries a user's data.
	 */
	fprintf(f, "\t\ticmpv6 type { nd-neighbor-solicit, "
	    "nd-neighbor-advert, nd-router-solicit } ip6 hoplimit 255 "
	    "accept\n"
	    "\t\tudp sport 68 udp dport 67 accept\n"
	    "\t\tip6 daddr ff02::1:2 udp sport 546 udp dport 547 accept\n"
	    "\t}\n");
	/* A routed host (containers, a LAN behind it) leaks nothing either. */
	fprintf(f, "\tchain forward {\n"
	    "\t\ttype filter hook forward priority filter; policy drop;\n");
	ks_common(f, conf, allow, n_allow);
	fprintf(f, "\t}\n");
	free(allow);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int
killswitch_apply(const struct config *conf, char *err, size_t errlen)
{
	char	*body;
	int	 r;

	if ((body = ks_body(conf)) == NULL) {
		snprintf(err, errlen, "killswitch: %s", strerror(errno));
		return -1;
	}
	r = nft_table_replace(NFT_TABLE_KILLSWITCH, body, err, errlen);
	free(body);
	if (r == 0) {
		if (!ks_on)
			log_info("killswitch on");
		ks_on = 1;
	}
	return r;
}

static void
killswitch_remove(void)
{
	char	err[256];

	if (nft_table_delete(NFT_TABLE_KILLSWITCH, err, sizeof(err)) == -1) {
		log_warnx("killswitch: %s", err);
		return;
	}
	if (ks_on)
		log_info("killswitch off");
	ks_on = 0;
}

int
killswitch_init(const struct config *conf, char *err, size_t errlen)
{
	char	e[256];

	if (config_killswitch(conf))
		return killswitch_apply(conf, err, errlen);
	if (nft_table_get(NFT_TABLE_KILLSWITCH, NULL, 0) == 1) {
		log_info("killswitch: removing the one an earlier ipcpd left");
		if (nft_table_delete(NFT_TABLE_KILLSWITCH, e, sizeof(e)) == -1)
			log_warnx("killswitch: %s", e);
	}
	return 0;
}

void
killswitch_sync(const struct config *conf)
{
	char	err[256];

	if (config_killswitch(conf)) {
		if (killswitch_apply(conf, err, sizeof(err)) == -1)
			log_warnx("%s", err);
	} else if (ks_on)
		killswitch_remove();
}

void
killswitch_stop(void)
{
	if (ks_on || config_killswitch(ipcpd->conf))
		killswitch_remove();
}
