/* SPDX-License-Identifier: ISC */
/*
 * ipcpd -n: print a config in canonical form, after bgpd's printconf.c.
 * Every key is printed with its effective value, defaults filled in and
 * lists in their canonical text, so the output parses again to the same
 * config and two outputs can be diffed.  Secrets are never printed: the
 * private key and psks appear as the paths of the files holding them.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"

/*
 * Values at most this long go on one line; a longer list goes on as the
 * same key again, so every line stays well within what the parser reads.
 */
#define PRINT_LINE	100
/* One element's text: an endpoint is the longest ("[v6]:port"). */
#define PRINT_ITEM	(ENDPOINT_STRLEN > PREFIX_STRLEN ? ENDPOINT_STRLEN : \
			    PREFIX_STRLEN)

/* One list, in lines of "key = a, b, ..." of at most PRINT_LINE. */
static void
print_list(FILE *fp, const char *key, char (*text)[PRINT_ITEM], size_t n)
{
	size_t	i, len = 0;

	if (n == 0) {
		fprintf(fp, "%s =\n", key);
		return;
	}
	for (i = 0; i < n; i++) {
		if (i > 0 && len + 2 + strlen(text[i]) > PRINT_LINE) {
			fprintf(fp, "\n");
			len = 0;
		}
		if (len == 0)
			fprintf(fp, "%s = %s", key, text[i]);
		else
			fprintf(fp, ", %s", text[i]);
		len += strlen(text[i]) + 2;
	}
	fprintf(fp, "\n");
}

static void
print_listen(FILE *fp, const char *key, const struct listen_conf *l, size_t n)
{
	static char	text[CONFIG_LISTEN_MAX][PRINT_ITEM];
	size_t		i;

	for (i = 0; i < n; i++)
		snprintf(text[i], sizeof(text[i]), "%s", l[i].text);
	print_list(fp, key, text, n);
}

static void
print_prefixes(FILE *fp, const char *key, const struct prefix *p, size_t n)
{
	static char	text[CONFIG_PREFIX_MAX][PRINT_ITEM];
	size_t		i;

	for (i = 0; i < n; i++)
		prefix_format(&p[i], text[i]);
	print_list(fp, key, text, n);
}

static void
print_gateway(FILE *fp, const struct gateway_conf *gw)
{
	fprintf(fp, "\n[gateway]\n");
	print_prefixes(fp, "pool", gw->pool, gw->n_pool);
	print_prefixes(fp, "routes", gw->routes, gw->n_routes);
	print_prefixes(fp, "dns", gw->dns, gw->n_dns);
	fprintf(fp, "nat = %s\n", gw->nat ? "on" : "off");
	fprintf(fp, "secure = %s\n", gw->secure ? "on" : "off");
	fprintf(fp, "lease-time = %u\n", gw->lease_time);
	if (gw->has_passcode)
		fprintf(fp, "passcode = %s\n", gw->passcode_file);
	fprintf(fp, "max-clients = %u\n", gw->max_clients);
	fprintf(fp, "state-dir = %s\n", gw->state_dir);
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
	/* Gateway keys appear where they matter, so older files print as
	 * they did. */
	if (conf->fwmark != CONFIG_DEFAULT_FWMARK ||
	    config_full_tunnel(conf) || config_killswitch(conf))
		fprintf(fp, "fwmark = 0x%x\n", conf->fwmark);
	if (conf->gw.enabled)
		print_gateway(fp, &conf->gw);

	TAILQ_FOREACH(pc, &conf->peers, entry) {
		fprintf(fp, "\n[peer %s]\n", pc->name);
		if (pc->wire == CONFIG_WIRE_LEGACY)
			fprintf(fp, "wire = legacy\n");
		else {
			key_to_base64(b64, pc->pubkey);
			fprintf(fp, "public-key = %s\n", b64);
		}
		if (pc->has_endpoint)
			fprintf(fp, "endpoint = %s\n", pc->endpoint.text);
		if (pc->has_passcode)
			fprintf(fp, "passcode = %s\n", pc->psk_file);
		else if (pc->has_psk)
			fprintf(fp, "psk = %s\n", pc->psk_file);
		print_prefixes(fp, "allowed-ips", pc->allowed, pc->n_allowed);
		fprintf(fp, "interface = %s\n", pc->ifname);
		fprintf(fp, "mtu = %u\n", pc->mtu);
		fprintf(fp, "metric = %u\n", pc->metric);
		fprintf(fp, "max-routes = %u\n", pc->max_routes);
		if (pc->lease)
			fprintf(fp, "lease = on\ndns = %s\n",
			    pc->dns ? "on" : "off");
		if (pc->full_tunnel)
			fprintf(fp, "full-tunnel = on\n");
		if (pc->killswitch) {
			fprintf(fp, "killswitch = on\n");
			print_prefixes(fp, "killswitch-allow",
			    pc->killswitch_allow, pc->n_killswitch_allow);
		}
	}
}
