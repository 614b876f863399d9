/* SPDX-License-Identifier: ISC */
/*
 * ipcpd -n: print a config in canonical form, after bgpd's printconf.c.
 * Every key is printed with its effective value, defaults filled in and
 * lists in their canonical text, so the output parses again to the same
 * config and two outputs can be diffed.  Secrets are never printed: the
 * private key and psks appear as the paths of the files holding them.
 */
#include <stdio.h>

#include "config.h"

static void
print_listen(FILE *fp, const char *key, const struct listen_conf *l, size_t n)
{
	size_t	i;

	fprintf(fp, "%s =", key);
	for (i = 0; i < n; i++)
		fprintf(fp, "%s%s", i == 0 ? " " : ", ", l[i].text);
	fprintf(fp, "\n");
}

static void
print_prefixes(FILE *fp, const char *key, const struct prefix *p, size_t n)
{
	char	text[PREFIX_STRLEN];
	size_t	i;

	fprintf(fp, "%s =", key);
	for (i = 0; i < n; i++) {
		prefix_format(&p[i], text);
		fprintf(fp, "%s%s", i == 0 ? " " : ", ", text);
	}
	fprintf(fp, "\n");
}

void
config_print(FILE *fp, const struct config *conf)
{
	const struct peer_conf	*pc;
	char			 b64[KEY_B64_LEN];

	fprintf(fp, "[node]\n");
	fprintf(fp, "name = %s\n", conf->name);
	/* A compat config has no key file: its key comes from the secret. */
	if (conf->private_key_file[0] != '\0')
		fprintf(fp, "private-key = %s\n", conf->private_key_file);
	print_listen(fp, "listen", conf->listen, conf->n_listen);
	print_prefixes(fp, "address", conf->address, conf->n_address);
	print_prefixes(fp, "announce", conf->announce, conf->n_announce);
	fprintf(fp, "user = %s\n", conf->user);
	fprintf(fp, "control = %s\n", conf->control);
	fprintf(fp, "heartbeat-interval = %u\n", conf->heartbeat_interval);
	fprintf(fp, "dead-after = %u\n", conf->dead_after);
	fprintf(fp, "offload = %s\n", conf->offload ? "on" : "off");

	TAILQ_FOREACH(pc, &conf->peers, entry) {
		fprintf(fp, "\n[peer %s]\n", pc->name);
		key_to_base64(b64, pc->pubkey);
		fprintf(fp, "public-key = %s\n", b64);
		if (pc->has_endpoint)
			fprintf(fp, "endpoint = %s\n", pc->endpoint.text);
		if (pc->has_psk)
			fprintf(fp, "psk = %s\n", pc->psk_file);
		print_prefixes(fp, "allowed-ips", pc->allowed, pc->n_allowed);
		fprintf(fp, "interface = %s\n", pc->ifname);
		fprintf(fp, "mtu = %u\n", pc->mtu);
		fprintf(fp, "metric = %u\n", pc->metric);
		fprintf(fp, "max-routes = %u\n", pc->max_routes);
	}
}
