/* SPDX-License-Identifier: ISC */
/*
 * The text of the gateway's nftables table, from the config and the
 * state gwnat.c gathers (our TUN names, the host's attached networks).
 * Rendered whole every time and replaced in one transaction, so every
 * change (a reload, a peer, an address) takes the same path.
 *
 * What it says, per family present in the pool:
 *
 *   nat:	traffic from the pool that leaves through an interface that
 *		is not one of our TUNs, to an address outside the pool, is
 *		masqueraded (NAT66 too: a ULA pool is what users NAT).
 *		Between clients and towards mesh peers over our TUNs it is
 *		not.
 *   secure:	packets from the pool may not reach this host (the input
 *		hook: every local address, whatever its interface) but
 *		for DNS (udp and tcp 53) to the pushed dns addresses, nor
 *		the networks the host's interfaces are on, nor other
 *		clients (the pool: clients are isolated from each other,
 *		as on a hotel's Wi-Fi).  Replies to connections the other
 *		side opened pass (ct state established,related).
 *
 * secure matches the source address, not the TUN a packet came in on:
 * the forwarders let a client send only from its own addresses, so a
 * pool source is a client, and a client whose TUN is a few milliseconds
 * old is filtered before the set of TUN names (debounced) knows it.
 * Only lo is exempt, for the host's own address in the pool talking to
 * itself.
 */
#include <stdlib.h>
#include <string.h>

#include "gwnat.h"

static int
prefix_cmp(const void *a, const void *b)
{
	const struct prefix	*x = a, *y = b;
	int			 r;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if ((r = memcmp(x->addr.bytes, y->addr.bytes,
	    prefix_addrlen(x->family))) != 0)
		return r;
	return x->plen < y->plen ? -1 : x->plen > y->plen;
}

size_t
gwnat_prefix_merge(struct prefix *v, size_t n)
{
	size_t	 i, j, k = 0;

	for (i = 0; i < n; i++)
		prefix_mask(&v[i]);
	qsort(v, n, sizeof(*v), prefix_cmp);
	/*
	 * Sorted by address then length, a prefix that holds others comes
	 * before them, so one pass against what is kept is enough.
	 */
	for (i = 0; i < n; i++) {
		for (j = 0; j < k; j++)
			if (v[j].family == v[i].family &&
			    prefix_contains(&v[j], &v[i]))
				break;
		if (j == k)
			v[k++] = v[i];
	}
	return k;
}

/* `elements = { a, b }' of the family's prefixes, or nothing. */
static void
elements(FILE *fp, int family, const struct prefix *p, size_t n)
{
	char	 buf[PREFIX_STRLEN];
	size_t	 i;
	int	 first = 1;

	for (i = 0; i < n; i++) {
		if (p[i].family != family)
			continue;
		prefix_format(&p[i], buf);
		fprintf(fp, "%s%s", first ? "\t\telements = { " : ", ", buf);
		first = 0;
	}
	if (!first)
		fprintf(fp, " }\n");
}

static void
set(FILE *fp, const char *name, int family, const struct prefix *p,
    size_t n)
{
	fprintf(fp, "\tset %s {\n\t\ttype %s\n\t\tflags interval\n", name,
	    family == AF_INET ? "ipv4_addr" : "ipv6_addr");
	elements(fp, family, p, n);
	fprintf(fp, "\t}\n");
}

static int
has_family(const struct prefix *p, size_t n, int family)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (p[i].family == family)
			return 1;
	return 0;
}

int
gwnat_rules(FILE *fp, const struct gateway_conf *gw,
    const struct gwnat_state *st)
{
	struct prefix	 pool[CONFIG_PREFIX_MAX], dns[CONFIG_PREFIX_MAX];
	size_t		 n_pool, n_dns, i;
	int		 f, fams[2] = { AF_INET, AF_INET6 };
	const char	*ip[2] = { "ip", "ip6" }, *sfx[2] = { "4", "6" };

	memcpy(pool, gw->pool, gw->n_pool * sizeof(pool[0]));
	n_pool = gwnat_prefix_merge(pool, gw->n_pool);
	memcpy(dns, gw->dns, gw->n_dns * sizeof(dns[0]));
	n_dns = gwnat_prefix_merge(dns, gw->n_dns);

	if (st->comment != NULL)
		fprintf(fp, "\tcomment \"%s\"\n", st->comment);
	fprintf(fp, "\tset tuns {\n\t\ttype ifname\n");
	for (i = 0; i < st->n_tuns; i++)
		fprintf(fp, "%s\"%s\"", i == 0 ? "\t\telements = { " : ", ",
		    st->tuns[i]);
	fprintf(fp, "%s\t}\n", st->n_tuns ? " }\n" : "");
	for (f = 0; f < 2; f++) {
		if (!has_family(pool, n_pool, fams[f]))
			continue;
		fprintf(fp, "\tset pool%s {\n\t\ttype %s\n\t\tflags interval\n",
		    sfx[f], f == 0 ? "ipv4_addr" : "ipv6_addr");
		elements(fp, fams[f], pool, n_pool);
		fprintf(fp, "\t}\n");
		if (gw->secure) {
			char	name[16];

			snprintf(name, sizeof(name), "dns%s", sfx[f]);
			set(fp, name, fams[f], dns, n_dns);
			snprintf(name, sizeof(name), "local%s", sfx[f]);
			set(fp, name, fams[f], st->local, st->n_local);
		}
	}

	if (gw->nat) {
		fprintf(fp, "\tchain postrouting {\n\t\ttype nat hook "
		    "postrouting priority srcnat; policy accept;\n");
		for (f = 0; f < 2; f++)
			if (has_family(pool, n_pool, fams[f]))
				fprintf(fp, "\t\t%s saddr @pool%s %s daddr != "
				    "@pool%s oifname != @tuns%s masquerade\n",
				    ip[f], sfx[f], ip[f], sfx[f], st->open_tuns ?
				    " oifname != \"" OPENPEER_IFPREFIX "*\"" :
				    "");
		fprintf(fp, "\t}\n");
	}
	if (gw->secure) {
		/* This host: only DNS, to the addresses we push. */
		fprintf(fp, "\tchain input {\n\t\ttype filter hook input "
		    "priority filter; policy accept;\n"
		    "\t\tiif \"lo\" return\n"
		    "\t\tct state established,related accept\n");
		for (f = 0; f < 2; f++) {
			if (!has_family(pool, n_pool, fams[f]))
				continue;
			fprintf(fp, "\t\t%s saddr @pool%s %s daddr @dns%s "
			    "meta l4proto { tcp, udp } th dport 53 accept\n"
			    "\t\t%s saddr @pool%s drop\n", ip[f], sfx[f],
			    ip[f], sfx[f], ip[f], sfx[f]);
		}
		fprintf(fp, "\t}\n");
		/* Beyond: not the attached networks, not other clients. */
		fprintf(fp, "\tchain forward {\n\t\ttype filter hook forward "
		    "priority filter; policy accept;\n"
		    "\t\tct state established,related accept\n");
		for (f = 0; f < 2; f++) {
			if (!has_family(pool, n_pool, fams[f]))
				continue;
			fprintf(fp, "\t\t%s saddr @pool%s %s daddr @dns%s "
			    "meta l4proto { tcp, udp } th dport 53 accept\n"
			    "\t\t%s saddr @pool%s %s daddr @local%s drop\n"
			    "\t\t%s saddr @pool%s %s daddr @pool%s drop\n",
			    ip[f], sfx[f], ip[f], sfx[f],
			    ip[f], sfx[f], ip[f], sfx[f],
			    ip[f], sfx[f], ip[f], sfx[f]);
		}
		fprintf(fp, "\t}\n");
	}
	return ferror(fp) ? -1 : 0;
}
