/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for ctld/config.c and ctld/printconf.c: good files parse to
 * the expected struct and print in a form that parses back to an equal
 * config; each bad file fails with the exact "file:line: message" prefix.
 * Config and key files live in a fresh temporary directory; the keys are
 * generated here, and the expected public keys are computed with libsodium
 * directly rather than through the code under test.
 */
#include <sys/stat.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../ctld/config.h"

static char	dir[64];
static char	conf_path[128];
static uint8_t	node_priv[KEY_LEN], node_pub[KEY_LEN];
static char	node_pub_b64[KEY_B64_LEN];
static uint8_t	psk[KEY_LEN];
static uint8_t	secret[KEY_LEN];

/* Public keys of made-up peers; any 32 bytes will do. */
#define PUB_BETA	"YmV0YWJldGFiZXRhYmV0YWJldGFiZXRhYmV0YWJldGE="
#define PUB_GAMMA	"Z2FtbWFnYW1tYWdhbW1hZ2FtbWFnYW1tYWdhbW1hZ2E="
#define PUB_DELTA	"ZGVsdGFkZWx0YWRlbHRhZGVsdGFkZWx0YWRlbHRhZGU="

static void
write_file(const char *name, const void *data, size_t len)
{
	char	 path[256];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void
write_key(const char *name, const uint8_t key[KEY_LEN])
{
	char	b64[KEY_B64_LEN + 1];

	key_to_base64(b64, key);
	strcat(b64, "\n");
	write_file(name, b64, strlen(b64));
}

/*
 * Write `text' to t.conf with placeholders replaced: @K@ by the key
 * directory, @PUB@ by the node's own public key, @LONG@ by a comment too
 * long for one line.
 */
static void
write_conf(const char *text)
{
	char		 out[8192], *o = out;
	const char	*s;
	int		 i;

	for (s = text; *s != '\0';) {
		if (strncmp(s, "@K@", 3) == 0) {
			o += sprintf(o, "%s", dir);
			s += 3;
		} else if (strncmp(s, "@PUB@", 5) == 0) {
			o += sprintf(o, "%s", node_pub_b64);
			s += 5;
		} else if (strncmp(s, "@LONG@", 6) == 0) {
			*o++ = ';';
			for (i = 0; i < 250; i++)
				*o++ = 'x';
			s += 6;
		} else
			*o++ = *s++;
		assert_true(o < out + sizeof(out) - 300);
	}
	write_file("t.conf", out, o - out);
}

static struct config *
parse_ok(const char *text)
{
	struct config	*conf;
	char		 err[512];

	write_conf(text);
	conf = config_parse(conf_path, err, sizeof(err));
	if (conf == NULL)
		fail_msg("unexpected error: %s", err);
	return conf;
}

static void
assert_listen(const struct listen_conf *lc, const char *text)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen;

	assert_string_equal(lc->text, text);
	assert_int_equal(endpoint_parse(text, &ss, &sslen), 0);
	assert_int_equal(lc->sslen, sslen);
	assert_memory_equal(&lc->ss, &ss, sslen);
}

/* A peer's endpoint: its text, and the address when it is one. */
static void
assert_endpoint(const struct endpoint_spec *ep, const char *text)
{
	struct endpoint_spec	again;
	const char		*why;

	assert_string_equal(ep->text, text);
	assert_int_equal(endpoint_spec_parse(text, &again, &why), 0);
	assert_int_equal(ep->family, again.family);
	assert_int_equal(ep->sslen, again.sslen);
	assert_memory_equal(&ep->ss, &again.ss, sizeof(ep->ss));
}

static void
assert_prefix(const struct prefix *p, const char *text)
{
	char	buf[PREFIX_STRLEN];

	prefix_format(p, buf);
	assert_string_equal(buf, text);
}

static void
assert_user_nobody(const struct config *conf)
{
	struct passwd	*pw;

	assert_non_null(pw = getpwnam("nobody"));
	assert_string_equal(conf->user, "nobody");
	assert_int_equal(conf->uid, pw->pw_uid);
	assert_int_equal(conf->gid, pw->pw_gid);
}

static void
assert_listen_equal(const struct listen_conf *a, const struct listen_conf *b)
{
	assert_string_equal(a->text, b->text);
	assert_int_equal(a->sslen, b->sslen);
	assert_memory_equal(&a->ss, &b->ss, a->sslen);
}

static void
assert_prefixes_equal(const struct prefix *a, const struct prefix *b,
    size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		assert_int_equal(a[i].family, b[i].family);
		assert_int_equal(a[i].plen, b[i].plen);
		assert_memory_equal(a[i].addr.bytes, b[i].addr.bytes, 16);
	}
}

/* Everything but the file name and the line numbers. */
static void
assert_config_equal(const struct config *a, const struct config *b)
{
	const struct peer_conf	*pa, *pb;
	size_t			 i;

	assert_string_equal(a->name, b->name);
	assert_string_equal(a->private_key_file, b->private_key_file);
	assert_memory_equal(&a->key, &b->key, sizeof(a->key));
	assert_int_equal(a->n_listen, b->n_listen);
	for (i = 0; i < a->n_listen; i++)
		assert_listen_equal(&a->listen[i], &b->listen[i]);
	assert_int_equal(a->n_address, b->n_address);
	assert_prefixes_equal(a->address, b->address, a->n_address);
	assert_string_equal(a->user, b->user);
	assert_int_equal(a->uid, b->uid);
	assert_int_equal(a->gid, b->gid);
	assert_string_equal(a->control, b->control);
	assert_int_equal(a->heartbeat_interval, b->heartbeat_interval);
	assert_int_equal(a->dead_after, b->dead_after);
	assert_int_equal(a->compat, b->compat);
	assert_int_equal(a->n_peers, b->n_peers);
	for (pa = TAILQ_FIRST(&a->peers), pb = TAILQ_FIRST(&b->peers);
	    pa != NULL && pb != NULL;
	    pa = TAILQ_NEXT(pa, entry), pb = TAILQ_NEXT(pb, entry)) {
		assert_string_equal(pa->name, pb->name);
		assert_memory_equal(pa->pubkey, pb->pubkey, KEY_LEN);
		assert_int_equal(pa->has_endpoint, pb->has_endpoint);
		if (pa->has_endpoint)
			assert_true(endpoint_spec_equal(&pa->endpoint,
			    &pb->endpoint));
		assert_int_equal(pa->has_psk, pb->has_psk);
		if (pa->has_psk) {
			assert_string_equal(pa->psk_file, pb->psk_file);
			assert_memory_equal(pa->psk, pb->psk, KEY_LEN);
		}
		assert_int_equal(pa->n_allowed, pb->n_allowed);
		assert_prefixes_equal(pa->allowed, pb->allowed, pa->n_allowed);
		assert_string_equal(pa->ifname, pb->ifname);
		assert_int_equal(pa->mtu, pb->mtu);
	}
	assert_null(pa);
	assert_null(pb);
}

static char *
print_to_string(const struct config *conf)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	assert_non_null(fp = open_memstream(&buf, &len));
	config_print(fp, conf);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

/*
 * The canonical form must parse again to an equal config and print
 * identically; and it must hold no secret.
 */
static void
assert_roundtrip(const struct config *conf)
{
	struct config	*again;
	char		*text, *text2, err[512], b64[KEY_B64_LEN];
	const struct peer_conf *pc;

	text = print_to_string(conf);
	key_to_base64(b64, conf->key.priv);
	assert_null(strstr(text, b64));
	TAILQ_FOREACH(pc, &conf->peers, entry) {
		key_to_base64(b64, pc->psk);
		if (pc->has_psk)
			assert_null(strstr(text, b64));
	}
	write_file("t.conf", text, strlen(text));
	again = config_parse(conf_path, err, sizeof(err));
	if (again == NULL)
		fail_msg("printed form does not parse: %s\n%s", err, text);
	assert_config_equal(conf, again);
	text2 = print_to_string(again);
	assert_string_equal(text, text2);
	free(text);
	free(text2);
	config_free(again);
}

static void
test_minimal(void **state)
{
	struct config	*conf;

	conf = parse_ok(
	    "[node]\n"
	    "name = alpha\n"
	    "private-key = @K@/node.key\n"
	    "user = nobody\n");
	assert_string_equal(conf->file, conf_path);
	assert_string_equal(conf->name, "alpha");
	assert_memory_equal(conf->key.priv, node_priv, KEY_LEN);
	assert_memory_equal(conf->key.pub, node_pub, KEY_LEN);
	assert_int_equal(conf->n_listen, 0);
	assert_int_equal(conf->n_address, 0);
	assert_user_nobody(conf);
	assert_string_equal(conf->control, CONFIG_DEFAULT_CONTROL);
	assert_int_equal(conf->heartbeat_interval, CONFIG_DEFAULT_HEARTBEAT);
	assert_int_equal(conf->dead_after, CONFIG_DEFAULT_DEAD);
	assert_int_equal(conf->n_peers, 0);
	assert_true(TAILQ_EMPTY(&conf->peers));
	assert_int_equal(conf->compat, 0);
	assert_roundtrip(conf);
	config_free(conf);
}

/* Without `user', the default applies, and it must exist. */
static void
test_default_user(void **state)
{
	struct config	*conf;
	struct passwd	*pw;
	char		 err[512], want[512];

	write_conf("[node]\nname = alpha\nprivate-key = @K@/node.key\n");
	conf = config_parse(conf_path, err, sizeof(err));
	if ((pw = getpwnam(CONFIG_DEFAULT_USER)) != NULL) {
		assert_non_null(conf);
		assert_string_equal(conf->user, CONFIG_DEFAULT_USER);
		assert_int_equal(conf->uid, pw->pw_uid);
		config_free(conf);
		return;
	}
	/*
	 * A fresh machine: no such user yet.  Both branches are checked
	 * in full, so the test means the same wherever it runs.
	 */
	assert_null(conf);
	snprintf(want, sizeof(want), "%s:1: [node]: user \"%s\" (the "
	    "default) does not exist; create it or set user", conf_path,
	    CONFIG_DEFAULT_USER);
	assert_string_equal(err, want);
}

static void
test_full(void **state)
{
	struct config		*conf;
	struct peer_conf	*pc;
	uint8_t			 beta[KEY_LEN];

	conf = parse_ok(
	    "; ipcpd.conf for alpha\n"
	    "# another comment\n"
	    "[node]\n"
	    "name = alpha\n"
	    "private-key = @K@/node.key   ; file holding the private key\n"
	    "listen = 10.201.0.1:5000,127.0.0.1:5001   ; zero or more\n"
	    "address = 10.77.0.1/32              ; overlay addresses\n"
	    "user = nobody                       ; forwarders run as\n"
	    "control = /run/ipcp/alpha.sock      ; control socket path\n"
	    "heartbeat-interval = 7              ; seconds\n"
	    "dead-after = 21                     ; seconds\n"
	    "\n"
	    "[peer beta]\n"
	    "public-key = " PUB_BETA "\n"
	    "endpoint = 10.201.0.2:5000          ; optional: dial it\n"
	    "psk = @K@/psk.key                   ; optional\n"
	    "allowed-ips = 10.77.0.2/32, 10.88.0.0/16 ; inner sources\n"
	    "interface = tun-beta.1              ; optional\n"
	    "mtu = 1400                          ; optional\n");
	assert_string_equal(conf->name, "alpha");
	assert_memory_equal(conf->key.pub, node_pub, KEY_LEN);
	assert_int_equal(conf->n_listen, 2);
	assert_listen(&conf->listen[0], "10.201.0.1:5000");
	assert_listen(&conf->listen[1], "127.0.0.1:5001");
	assert_int_equal(conf->n_address, 1);
	assert_prefix(&conf->address[0], "10.77.0.1/32");
	assert_user_nobody(conf);
	assert_string_equal(conf->control, "/run/ipcp/alpha.sock");
	assert_int_equal(conf->heartbeat_interval, 7);
	assert_int_equal(conf->dead_after, 21);
	assert_int_equal(conf->n_peers, 1);

	pc = TAILQ_FIRST(&conf->peers);
	assert_non_null(pc);
	assert_string_equal(pc->name, "beta");
	assert_int_equal(pc->line, 13);
	assert_int_equal(key_from_base64(beta, PUB_BETA), 0);
	assert_memory_equal(pc->pubkey, beta, KEY_LEN);
	assert_true(pc->has_endpoint);
	assert_endpoint(&pc->endpoint, "10.201.0.2:5000");
	assert_true(pc->has_psk);
	assert_memory_equal(pc->psk, psk, KEY_LEN);
	assert_string_equal(pc->psk_file + strlen(dir), "/psk.key");
	assert_int_equal(pc->n_allowed, 2);
	assert_prefix(&pc->allowed[0], "10.77.0.2/32");
	assert_prefix(&pc->allowed[1], "10.88.0.0/16");
	assert_string_equal(pc->ifname, "tun-beta.1");
	assert_int_equal(pc->mtu, 1400);
	assert_ptr_equal(config_peer_by_key(conf, beta), pc);
	assert_null(config_peer_by_key(conf, node_pub));
	assert_roundtrip(conf);
	config_free(conf);
}

static void
test_v6(void **state)
{
	struct config		*conf;
	struct peer_conf	*pc;
	struct sockaddr_in6	*sin6;

	conf = parse_ok(
	    "[node]\n"
	    "name = v6-node\n"
	    "private-key = @K@/node.key\n"
	    "listen = [fd00::1]:5000, [::]:5001\n"
	    "address = fd77::1/128, 10.77.0.1/24\n"
	    "announce = 192.168.7.1/24, fd00:7::/64\n"
	    "user = nobody\n"
	    "[peer beta]\n"
	    "public-key = " PUB_BETA "\n"
	    "endpoint = [FD00:0::2]:443\n"
	    "allowed-ips = fd77::2/128,fd78::/64 , 0.0.0.0/0\n"
	    "mtu = 1280\n"
	    "metric = 25\n"
	    "max-routes = 50\n");
	assert_int_equal(conf->n_listen, 2);
	assert_listen(&conf->listen[0], "[fd00::1]:5000");
	assert_listen(&conf->listen[1], "[::]:5001");
	sin6 = (struct sockaddr_in6 *)&conf->listen[0].ss;
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(sin6->sin6_port), 5000);
	assert_int_equal(conf->n_address, 2);
	/* An address is a host address, whatever length was written. */
	assert_prefix(&conf->address[0], "fd77::1/128");
	assert_prefix(&conf->address[1], "10.77.0.1/32");
	/* An announced prefix is its network. */
	assert_int_equal(conf->n_announce, 2);
	assert_prefix(&conf->announce[0], "192.168.7.0/24");
	assert_prefix(&conf->announce[1], "fd00:7::/64");
	pc = TAILQ_FIRST(&conf->peers);
	assert_int_equal(pc->metric, 25);
	assert_int_equal(pc->max_routes, 50);
	assert_endpoint(&pc->endpoint, "[fd00::2]:443");
	assert_int_equal(pc->n_allowed, 3);
	assert_prefix(&pc->allowed[0], "fd77::2/128");
	assert_prefix(&pc->allowed[1], "fd78::/64");
	assert_prefix(&pc->allowed[2], "0.0.0.0/0");
	assert_int_equal(pc->mtu, 1280);
	assert_string_equal(pc->ifname, "ipcp-beta");
	assert_false(pc->has_psk);
	assert_roundtrip(conf);
	config_free(conf);
}

/*
 * A list key may be repeated, each line adding to the list (as wg-quick's
 * AllowedIPs), so long lists need no long lines; the printed form splits
 * them again and parses back the same.
 */
static void
test_repeated_lists(void **state)
{
	struct config		*conf;
	struct peer_conf	*pc;
	char			 text[8192], *o = text, err[512];
	char			 want[PREFIX_STRLEN], got[PREFIX_STRLEN];
	int			 i, j;

	o += sprintf(o, "[node]\nname = alpha\nprivate-key = @K@/node.key\n"
	    "user = nobody\nlisten = 127.0.0.1:5000\n"
	    "listen = 127.0.0.1:5001\naddress = 10.77.0.1\n"
	    "address = fd77::1\n[peer beta]\npublic-key = " PUB_BETA "\n");
	/* 60 IPv6 prefixes, five to a line. */
	for (i = 0; i < 12; i++) {
		o += sprintf(o, "allowed-ips = ");
		for (j = 0; j < 5; j++)
			o += sprintf(o, "%sfd%02x:1::/64", j ? ", " : "",
			    i * 5 + j);
		o += sprintf(o, "\n");
	}
	conf = parse_ok(text);
	assert_int_equal(conf->n_listen, 2);
	assert_int_equal(conf->n_address, 2);
	pc = TAILQ_FIRST(&conf->peers);
	assert_int_equal(pc->n_allowed, 60);
	for (i = 0; i < 60; i++) {
		snprintf(want, sizeof(want), "fd%02x:1::/64", i);
		prefix_format(&pc->allowed[i], got);
		assert_string_equal(got, want);
	}
	assert_roundtrip(conf);
	config_free(conf);

	/* At most CONFIG_PREFIX_MAX in all, however many lines. */
	o = text;
	o += sprintf(o, "[node]\nname = alpha\nprivate-key = @K@/node.key\n"
	    "user = nobody\n[peer beta]\npublic-key = " PUB_BETA "\n");
	for (i = 0; i <= CONFIG_PREFIX_MAX / 8; i++) {
		o += sprintf(o, "allowed-ips = ");
		for (j = 0; j < 8; j++)
			o += sprintf(o, "%s10.%d.%d.0/24", j ? "," : "", i, j);
		o += sprintf(o, "\n");
	}
	write_conf(text);
	assert_null(config_parse(conf_path, err, sizeof(err)));
	assert_non_null(strstr(err, "allowed-ips: more than 256 elements"));
}

/* ipcpd -n warns of what is allowed but probably wrong. */
static void
test_warnings(void **state)
{
	static const uint8_t	 zero[KEY_LEN];
	struct config		*conf;
	char			 path[256];

	write_key("zero.psk", zero);
	snprintf(path, sizeof(path), "%s/zero.psk", dir);
	assert_int_equal(chmod(path, 0644), 0);
	snprintf(path, sizeof(path), "%s/node.key", dir);
	assert_int_equal(chmod(path, 0600), 0);
	conf = parse_ok("[node]\nname = alpha\nprivate-key = @K@/node.key\n"
	    "user = nobody\n[peer beta]\npublic-key = " PUB_BETA "\n"
	    "psk = @K@/zero.psk\n");
	assert_int_equal(conf->n_warning, 3);
	assert_non_null(strstr(conf->warning[0], "t.conf:7: warning: psk: "));
	assert_non_null(strstr(conf->warning[0], "can be read by others"));
	assert_non_null(strstr(conf->warning[1], "holds the all-zero key"));
	assert_non_null(strstr(conf->warning[2], "t.conf:5: warning: [peer "
	    "beta]: no allowed-ips"));
	config_free(conf);

	snprintf(path, sizeof(path), "%s/zero.psk", dir);
	assert_int_equal(chmod(path, 0600), 0);
	write_key("zero.psk", psk);
	conf = parse_ok("[node]\nname = alpha\nprivate-key = @K@/node.key\n"
	    "user = nobody\n[peer beta]\npublic-key = " PUB_BETA "\n"
	    "psk = @K@/zero.psk\nallowed-ips = 10.77.0.2/32\n");
	assert_int_equal(conf->n_warning, 0);
	config_free(conf);
}

static void
test_several_peers(void **state)
{
	struct config		*conf;
	struct peer_conf	*pc;
	uint8_t			 key[KEY_LEN];
	const char		*names[] = { "beta", "gamma", "delta_2" };
	const char		*keys[] = { PUB_BETA, PUB_GAMMA, PUB_DELTA };
	const int		 lines[] = { 1, 8, 10 };
	size_t			 i = 0;

	conf = parse_ok(
	    "[peer beta]\n"
	    "public-key = " PUB_BETA "\n"
	    "endpoint = 127.0.0.1:6000\n"
	    "[node]\n"
	    "name = alpha\n"
	    "private-key = @K@/node.key\n"
	    "user = nobody\n"
	    "[peer gamma]\n"
	    "public-key = " PUB_GAMMA "\n"
	    "  [ peer   delta_2 ]  ; indented\n"
	    "   public-key=" PUB_DELTA "\n"
	    "\tinterface = ipcp-d\n");
	TAILQ_FOREACH(pc, &conf->peers, entry) {
		assert_true(i < 3);
		assert_string_equal(pc->name, names[i]);
		assert_int_equal(pc->line, lines[i]);
		assert_int_equal(key_from_base64(key, keys[i]), 0);
		assert_memory_equal(pc->pubkey, key, KEY_LEN);
		assert_ptr_equal(config_peer_by_key(conf, key), pc);
		assert_int_equal(pc->mtu, CONFIG_DEFAULT_MTU);
		i++;
	}
	assert_int_equal(i, 3);
	assert_int_equal(conf->n_peers, 3);
	pc = TAILQ_FIRST(&conf->peers);
	assert_string_equal(pc->ifname, "ipcp-beta");
	assert_true(pc->has_endpoint);
	pc = TAILQ_NEXT(pc, entry);
	assert_string_equal(pc->ifname, "ipcp-gamma");
	assert_false(pc->has_endpoint);
	assert_int_equal(pc->n_allowed, 0);
	pc = TAILQ_NEXT(pc, entry);
	assert_string_equal(pc->ifname, "ipcp-d");
	assert_user_nobody(conf);
	assert_null(config_peer_by_key(conf, node_pub));
	assert_roundtrip(conf);
	config_free(conf);
}

/*
 * A gateway's file: 5000 peers parse (the duplicate checks are lookups,
 * not a scan of every earlier peer), and a duplicate name, key or
 * interface after all of them is still found and named with the line
 * of the first.
 */
#define MANY		5000
#define MANY_LINE(i)	(5 + 3 * (i))	/* of [peer p<i>] */

static uint8_t	many_keys[MANY + 2][KEY_LEN];

static struct config *
parse_many(const char *tail, char *err, size_t errlen)
{
	char	*buf, *o, b64[KEY_B64_LEN];
	size_t	 i, cap = 128 * (MANY + 10);

	assert_non_null(buf = malloc(cap));
	o = buf + sprintf(buf, "[node]\nname = alpha\nprivate-key = "
	    "%s/node.key\nuser = nobody\n", dir);
	for (i = 0; i < MANY; i++) {
		key_to_base64(b64, many_keys[i]);
		o += sprintf(o, "[peer p%zu]\npublic-key = %s\n"
		    "allowed-ips = 10.%zu.%zu.1/32\n", i, b64, i / 250,
		    i % 250);
	}
	o += sprintf(o, "%s", tail);
	assert_true((size_t)(o - buf) < cap);
	write_file("t.conf", buf, o - buf);
	free(buf);
	return config_parse(conf_path, err, errlen);
}

static void
many_error(const char *tail, const char *want_fmt, ...)
{
	struct config	*conf;
	char		 err[1024], want[1024], *w;
	va_list		 ap;

	if ((conf = parse_many(tail, err, sizeof(err))) != NULL) {
		config_free(conf);
		fail_msg("parsed, expected an error for\n%s", tail);
	}
	w = want + sprintf(want, "%s:", conf_path);
	va_start(ap, want_fmt);
	vsnprintf(w, sizeof(want) - (w - want), want_fmt, ap);
	va_end(ap);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("got  \"%s\"\n want \"%s...\"", err, want);
}

static void
test_many_peers(void **state)
{
	struct config		*conf;
	struct peer_conf	*pc;
	char			 err[1024], tail[512], b64[KEY_B64_LEN];
	char			 b64_new[KEY_B64_LEN], b64_new2[KEY_B64_LEN];
	size_t			 i = 0, end = MANY_LINE(MANY);

	randombytes_buf(many_keys, sizeof(many_keys));
	if ((conf = parse_many("", err, sizeof(err))) == NULL)
		fail_msg("unexpected error: %s", err);
	assert_int_equal(conf->n_peers, MANY);
	TAILQ_FOREACH(pc, &conf->peers, entry) {
		char	name[16];

		snprintf(name, sizeof(name), "p%zu", i);
		assert_string_equal(pc->name, name);
		assert_int_equal(pc->line, MANY_LINE(i));
		i++;
	}
	assert_int_equal(i, MANY);
	pc = config_peer_by_key(conf, many_keys[MANY - 1]);
	assert_non_null(pc);
	assert_string_equal(pc->name, "p4999");
	assert_string_equal(pc->ifname, "ipcp-p4999");
	config_free(conf);

	many_error("[peer p4321]\n", "%zu: duplicate peer name \"p4321\" "
	    "(first at line %d)", end, MANY_LINE(4321));
	key_to_base64(b64, many_keys[3210]);
	snprintf(tail, sizeof(tail), "[peer x]\npublic-key = %s\n", b64);
	many_error(tail, "%zu: public-key: same as the public-key of peer "
	    "p3210 (line %d)", end + 1, MANY_LINE(3210));
	key_to_base64(b64_new, many_keys[MANY]);
	key_to_base64(b64_new2, many_keys[MANY + 1]);
	snprintf(tail, sizeof(tail), "[peer x]\npublic-key = %s\n"
	    "interface = ipcp-p2000\n", b64_new);
	many_error(tail, "%zu: interface: ipcp-p2000 is also the interface "
	    "of peer p2000 (line %d)", end + 2, MANY_LINE(2000));
	/* An explicit interface first, then a default one that clashes. */
	snprintf(tail, sizeof(tail), "[peer y]\npublic-key = %s\n"
	    "interface = ipcp-q\n[peer q]\npublic-key = %s\n", b64_new,
	    b64_new2);
	many_error(tail, "%zu: [peer q]: the default interface ipcp-q is "
	    "also the interface of peer y (line %zu)", end + 3, end);
	/* And one more of each after all that still parses. */
	snprintf(tail, sizeof(tail), "[peer y]\npublic-key = %s\n"
	    "interface = ipcp-q\n[peer q2]\npublic-key = %s\n", b64_new,
	    b64_new2);
	if ((conf = parse_many(tail, err, sizeof(err))) == NULL)
		fail_msg("unexpected error: %s", err);
	assert_int_equal(conf->n_peers, MANY + 2);
	config_free(conf);
}

/* CRLF line ends, a UTF-8 byte order mark and `:' as separator. */
static void
test_crlf_bom(void **state)
{
	struct config	*conf;

	conf = parse_ok(
	    "\xef\xbb\xbf[node]\r\n"
	    "name: alpha\r\n"
	    "private-key = @K@/node.key\r\n"
	    "user = nobody\r\n"
	    "listen =\r\n");
	assert_string_equal(conf->name, "alpha");
	assert_int_equal(conf->n_listen, 0);
	assert_memory_equal(conf->key.pub, node_pub, KEY_LEN);
	config_free(conf);
}

struct error_case {
	const char	*name;
	const char	*conf;
	const char	*err;	/* after "path:" */
};

#define NODE \
	"[node]\nname = alpha\nprivate-key = @K@/node.key\nuser = nobody\n"

static const struct error_case error_cases[] = {
	{ "unknown key", NODE "colour = blue\n",
	    "5: unknown key \"colour\" in [node] (expected one of: name, "
	    "private-key, listen," },
	{ "node key in peer", NODE "[peer beta]\npublic-key = " PUB_BETA
	    "\nname = beta\n",
	    "7: unknown key \"name\" in [peer beta] (expected one of: "
	    "public-key," },
	{ "duplicate key", NODE "name = again\n",
	    "5: duplicate key \"name\" in [node] (first at line 2)" },
	{ "repeated list key, value twice", NODE "listen = 127.0.0.1:1\n"
	    "listen = 127.0.0.1:2, 127.0.0.1:1\n",
	    "6: listen: 127.0.0.1:1 is listed twice" },
	{ "duplicate peer name", NODE "[peer beta]\npublic-key = " PUB_BETA
	    "\n\n[peer beta]\npublic-key = " PUB_GAMMA "\n",
	    "8: duplicate peer name \"beta\" (first at line 5)" },
	{ "duplicate public key", NODE "[peer beta]\npublic-key = " PUB_BETA
	    "\n[peer gamma]\npublic-key = " PUB_BETA "\n",
	    "8: public-key: same as the public-key of peer beta (line 5)" },
	{ "own public key", NODE "[peer beta]\npublic-key = @PUB@\n",
	    "6: public-key: this is the node's own public key" },
	{ "node named as a peer, node last", "[peer beta]\npublic-key = "
	    PUB_BETA "\n[node]\nname = beta\n",
	    "4: name: \"beta\" is also the name of a peer (line 1)" },
	{ "own public key, node last", "[peer beta]\npublic-key = @PUB@\n"
	    NODE,
	    "5: private-key: its public key is also the public-key of peer "
	    "beta (line 1)" },
	{ "bad base64", NODE "[peer beta]\npublic-key = "
	    "YmV0YWJldGFiZXRhYmV0YWJldGFiZXRhYmV0YWJldGE\n",
	    "6: public-key: \"YmV0YWJldGFiZXRhYmV0YWJldGFiZXRhYmV0YWJldGE\" "
	    "is not a public key (expected 44 characters of base64" },
	{ "missing private key file",
	    "[node]\nname = alpha\nprivate-key = @K@/nope.key\n",
	    "3: private-key: cannot read @K@/nope.key: No such file or "
	    "directory" },
	{ "private key file not a key",
	    "[node]\nname = alpha\nprivate-key = @K@/garbage.key\n",
	    "3: private-key: @K@/garbage.key does not hold a key" },
	{ "relative private key path",
	    "[node]\nname = alpha\nprivate-key = node.key\n",
	    "3: private-key: \"node.key\" is not an absolute path" },
	{ "missing private-key", "\n[node]\nname = alpha\n",
	    "2: [node]: missing private-key" },
	{ "missing name", "[node]\nprivate-key = @K@/node.key\n",
	    "1: [node]: missing name" },
	{ "bad name", "[node]\nname = al pha\n",
	    "2: name: \"al pha\" is not a valid name (expected 1 to 32 "
	    "characters from A-Z a-z 0-9 _ -)" },
	{ "bad listen", NODE "listen = 127.0.0.1:5000, 10.0.0.1\n",
	    "5: listen: \"10.0.0.1\" is not an address:port" },
	{ "listen v6 without brackets", NODE "listen = fd00::1:5000\n",
	    "5: listen: \"fd00::1:5000\" is not an address:port" },
	{ "listen port 0", NODE "listen = 127.0.0.1:0\n",
	    "5: listen: \"127.0.0.1:0\" is not an address:port" },
	{ "duplicate listen", NODE "listen = 127.0.0.1:1, 127.0.0.1:1\n",
	    "5: listen: 127.0.0.1:1 is listed twice" },
	{ "empty list element", NODE "listen = 127.0.0.1:1,,127.0.0.1:2\n",
	    "5: listen: empty element in comma-separated list" },
	{ "bad prefix", NODE "address = 10.77.0.1/33\n",
	    "5: address: \"10.77.0.1/33\" is not an address (expected e.g. "
	    "10.77.0.1 or fd77::1)" },
	{ "announce without length", NODE "announce = 10.77.0.0\n",
	    "5: announce: \"10.77.0.0\" is not a prefix (expected e.g. "
	    "192.168.1.0/24 or fd00:1::/64)" },
	{ "duplicate announce", NODE "announce = 10.1.0.0/16, 10.1.2.3/16\n",
	    "5: announce: \"10.1.2.3/16\" is listed twice" },
	{ "metric zero", NODE "[peer beta]\npublic-key = " PUB_BETA
	    "\nmetric = 0\n", "7: metric: \"0\" is not a number from 1 to "
	    "65535" },
	{ "max-routes too large", NODE "[peer beta]\npublic-key = " PUB_BETA
	    "\nmax-routes = 1000001\n", "7: max-routes: \"1000001\" is not a "
	    "number from 1 to 1000000" },
	{ "duplicate address", NODE "address = fd77::1/64, fd77:0::1/128\n",
	    "5: address: address of \"fd77:0::1/128\" is listed twice" },
	{ "host bits in allowed-ips", NODE "[peer beta]\npublic-key = "
	    PUB_BETA "\nallowed-ips = 10.77.0.0/24, 10.77.1.1/24\n",
	    "7: allowed-ips: \"10.77.1.1/24\" has host bits set (expected a "
	    "network address: 10.77.1.0/24" },
	{ "bad allowed-ips", NODE "[peer beta]\npublic-key = " PUB_BETA
	    "\nallowed-ips = fd77::/129\n",
	    "7: allowed-ips: \"fd77::/129\" is not a prefix" },
	{ "bad endpoint", NODE "[peer beta]\npublic-key = " PUB_BETA
	    "\nendpoint = beta.example.org\n",
	    "7: endpoint: \"beta.example.org\": no \":port\"" },
	{ "missing psk file", NODE "[peer beta]\npublic-key = " PUB_BETA
	    "\npsk = @K@/none.psk\n",
	    "7: psk: cannot read @K@/none.psk: No such file or directory" },
	{ "bad mtu", NODE "[peer beta]\npublic-key = " PUB_BETA
	    "\nmtu = 575\n",
	    "7: mtu: \"575\" is not an mtu from 576 to 65535" },
	{ "mtu not a number", NODE "[peer beta]\npublic-key = " PUB_BETA
	    "\nmtu = 1500b\n",
	    "7: mtu: \"1500b\" is not an mtu from 576 to 65535" },
	{ "mtu below IPv6 minimum", NODE "address = fd77::1/128\n"
	    "[peer beta]\npublic-key = " PUB_BETA "\nmtu = 1279\n",
	    "8: mtu: 1279 is below 1280, the minimum for IPv6, and this node "
	    "has address fd77::1/128" },
	{ "mtu below IPv6 minimum, node last", "[peer beta]\npublic-key = "
	    PUB_BETA "\nmtu = 1000\n" NODE "address = 10.0.0.1/32, fd::1/64\n",
	    "8: address: fd::1/128 is IPv6, which needs an mtu of at least "
	    "1280, but peer beta has mtu 1000 (line 1)" },
	{ "dead-after equal to heartbeat", NODE "heartbeat-interval = 10\n"
	    "dead-after = 10\n",
	    "6: dead-after: 10 must be greater than heartbeat-interval (10)" },
	{ "heartbeat above default dead-after", NODE
	    "heartbeat-interval = 15\n",
	    "5: heartbeat-interval: 15 must be less than dead-after (15, the "
	    "default)" },
	{ "heartbeat zero", NODE "heartbeat-interval = 0\n",
	    "5: heartbeat-interval: \"0\" is not a number of seconds from 1 "
	    "to 3600" },
	{ "heartbeat too big", NODE "heartbeat-interval = 3601\n",
	    "5: heartbeat-interval: \"3601\" is not a number of seconds" },
	{ "dead-after too big", NODE "dead-after = 86401\n",
	    "5: dead-after: \"86401\" is not a number of seconds from 2 to "
	    "86400" },
	{ "unknown section", NODE "[gatway]\n",
	    "5: unknown section [gatway] (expected [node], [gateway] or "
	    "[peer NAME])" },
	{ "peer without a name", NODE "[peer]\n",
	    "5: [peer] without a name (expected [peer NAME])" },
	{ "bad peer name", NODE "[peer be/ta]\n",
	    "5: [peer be/ta]: \"be/ta\" is not a valid peer name" },
	{ "peer named like the node", NODE "[peer alpha]\n",
	    "5: [peer alpha]: \"alpha\" is this node's own name" },
	{ "peer without public key", NODE "[peer beta]\n; nothing\n"
	    "[peer gamma]\npublic-key = " PUB_GAMMA "\n",
	    "5: [peer beta]: missing public-key" },
	{ "empty peer at end", NODE "[peer beta]\n",
	    "5: [peer beta]: missing public-key" },
	{ "duplicate node", NODE "[node]\n",
	    "5: duplicate [node] section (first at line 1)" },
	{ "line too long", NODE "address = 10.0.0.1/32 @LONG@\n",
	    "5: line too long (" },
	{ "key outside any section", "name = alpha\n" NODE,
	    "1: \"name\" outside of any section" },
	{ "line without '='", NODE "listen\n",
	    "5: expected \"key = value\", a [section] or a comment" },
	{ "section without ']'", NODE "[peer beta\n",
	    "5: section header without a closing ']'" },
	{ "text after ']'", NODE "[peer beta] x\n",
	    "5: unexpected \"x\" after ']'" },
	{ "control character", NODE "name\x01 = x\n",
	    "5: control character 0x01 in line" },
	{ "empty value", NODE "[peer beta]\npublic-key =\n",
	    "6: public-key: empty value" },
	{ "user does not exist", "[node]\nname = alpha\nprivate-key = "
	    "@K@/node.key\nuser = no-such-user-cfg\n",
	    "4: user: no such user \"no-such-user-cfg\"" },
	{ "user root", "[node]\nname = alpha\nprivate-key = "
	    "@K@/node.key\nuser = root\n",
	    "4: user: \"root\" has uid 0; forwarders must run as an "
	    "unprivileged user" },
	{ "relative control path", NODE "control = ipcpd.sock\n",
	    "5: control: \"ipcpd.sock\" is not an absolute path" },
	{ "control path too long", NODE "control = /run/ipcp/"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    "5: control: path is 129 characters long; a socket path must be "
	    "shorter than 108" },
	{ "bad interface", NODE "[peer beta]\npublic-key = " PUB_BETA
	    "\ninterface = ipcp beta\n",
	    "7: interface: \"ipcp beta\" is not a valid interface name" },
	{ "interface too long", NODE "[peer beta]\npublic-key = " PUB_BETA
	    "\ninterface = ipcp-0123456789a\n",
	    "7: interface: \"ipcp-0123456789a\" is not a valid interface "
	    "name (expected 1 to 15 characters" },
	{ "default interface too long", NODE "[peer beta-0123456789]\n"
	    "public-key = " PUB_BETA "\n",
	    "5: [peer beta-0123456789]: the default interface name "
	    "\"ipcp-beta-0123456789\" is longer than 15 characters; set "
	    "interface" },
	{ "duplicate interface", NODE "[peer beta]\npublic-key = " PUB_BETA
	    "\n[peer gamma]\npublic-key = " PUB_GAMMA
	    "\ninterface = ipcp-beta\n",
	    "9: interface: ipcp-beta is also the interface of peer beta "
	    "(line 5)" },
	{ "duplicate default interface", NODE "[peer beta]\npublic-key = "
	    PUB_BETA "\ninterface = ipcp-gamma\n[peer gamma]\npublic-key = "
	    PUB_GAMMA "\n",
	    "8: [peer gamma]: the default interface ipcp-gamma is also the "
	    "interface of peer beta (line 5); set interface" },
};

static void
test_error(void **state)
{
	const struct error_case	*ec = *state;
	struct config		*conf;
	char			 err[1024], want[1024], *w;
	const char		*s;

	write_conf(ec->conf);
	memset(err, 'Z', sizeof(err));
	conf = config_parse(conf_path, err, sizeof(err));
	if (conf != NULL) {
		config_free(conf);
		fail_msg("%s: parsed, expected an error", ec->name);
	}
	w = want + sprintf(want, "%s:", conf_path);
	for (s = ec->err; *s != '\0';) {
		if (strncmp(s, "@K@", 3) == 0) {
			w += sprintf(w, "%s", dir);
			s += 3;
		} else
			*w++ = *s++;
	}
	*w = '\0';
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("%s:\n got  \"%s\"\n want \"%s...\"", ec->name, err,
		    want);
	assert_null(strchr(err, '\n'));
}

static void
test_file_errors(void **state)
{
	char	err[512], want[512], path[256];

	assert_null(config_parse("/nonexistent/cfg.conf", err, sizeof(err)));
	assert_string_equal(err, "/nonexistent/cfg.conf: cannot open: "
	    "No such file or directory");

	write_conf("");
	assert_null(config_parse(conf_path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: missing [node] section", conf_path);
	assert_string_equal(err, want);

	write_conf("; only peers\n[peer beta]\npublic-key = " PUB_BETA "\n");
	assert_null(config_parse(conf_path, err, sizeof(err)));
	assert_string_equal(err, want);

	assert_null(config_parse(dir, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: cannot open: not a regular file",
	    dir);
	assert_string_equal(err, want);

	/* Neither a FIFO (open would wait for a writer) nor /dev/zero. */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_null(config_parse(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: cannot open: not a regular file",
	    path);
	assert_string_equal(err, want);
	assert_null(config_parse("/dev/zero", err, sizeof(err)));
	assert_string_equal(err, "/dev/zero: cannot open: not a regular file");
	/* And as a key file. */
	write_conf("[node]\nname = alpha\nprivate-key = @K@/fifo\n"
	    "user = nobody\n");
	assert_null(config_parse(conf_path, err, sizeof(err)));
	assert_non_null(strstr(err, ":3: private-key: "));
	assert_non_null(strstr(err, "/fifo is not a regular file"));
	unlink(path);

	/* A short err buffer is cut, not overrun. */
	snprintf(path, sizeof(path), "%s/nope", dir);
	memset(err, 'Z', sizeof(err));
	assert_null(config_parse(path, err, 8));
	assert_int_equal(strlen(err), 7);
	assert_int_equal(err[8], 'Z');
}

/* A line of exactly the longest length inih accepts still parses. */
static void
test_longest_line(void **state)
{
	struct config	*conf;
	char		 text[1024];
	int		 n;

	n = snprintf(text, sizeof(text), NODE "address = 10.0.0.1/32 ;");
	/* 197 = INI_MAX_LINE - 3 characters, not counting the newline. */
	while (n - (int)strlen(NODE) < 197)
		text[n++] = 'x';
	text[n++] = '\n';
	text[n] = '\0';
	conf = parse_ok(text);
	config_free(conf);
	text[n - 1] = 'x';
	text[n++] = '\n';
	text[n] = '\0';
	write_conf(text);
	assert_null(config_parse(conf_path, text, sizeof(text)));
	assert_non_null(strstr(text, ":5: line too long (198 characters, "
	    "at most 197)"));
}

static void
compat_expect(const struct config *conf, const char *ifname, int listen,
    const char *ep)
{
	struct peer_conf	*pc;
	uint8_t			 priv[KEY_LEN], pub[KEY_LEN];
	const char		*label = "ipcp compat static";

	crypto_generichash(priv, KEY_LEN, (const uint8_t *)label,
	    strlen(label), secret, KEY_LEN);
	assert_int_equal(crypto_scalarmult_base(pub, priv), 0);
	assert_int_equal(conf->compat, 1);
	assert_string_equal(conf->name, "compat");
	assert_memory_equal(conf->key.priv, priv, KEY_LEN);
	assert_memory_equal(conf->key.pub, pub, KEY_LEN);
	assert_int_equal(conf->n_address, 0);
	assert_int_equal(conf->heartbeat_interval, CONFIG_DEFAULT_HEARTBEAT);
	assert_int_equal(conf->dead_after, CONFIG_DEFAULT_DEAD);
	if (getpwnam("ipcp") != NULL)
		assert_string_equal(conf->user, "ipcp");
	else
		assert_user_nobody(conf);
	assert_int_equal(conf->n_peers, 1);
	pc = TAILQ_FIRST(&conf->peers);
	assert_non_null(pc);
	assert_string_equal(pc->name, "compat");
	assert_memory_equal(pc->pubkey, pub, KEY_LEN);
	assert_ptr_equal(config_peer_by_key(conf, pub), pc);
	assert_true(pc->has_psk);
	assert_memory_equal(pc->psk, secret, KEY_LEN);
	assert_int_equal(pc->n_allowed, 2);
	assert_prefix(&pc->allowed[0], "0.0.0.0/0");
	assert_prefix(&pc->allowed[1], "::/0");
	assert_string_equal(pc->ifname, ifname);
	assert_int_equal(pc->mtu, CONFIG_DEFAULT_MTU);
	if (listen) {
		assert_int_equal(conf->n_listen, 1);
		assert_listen(&conf->listen[0], ep);
		assert_false(pc->has_endpoint);
	} else {
		assert_int_equal(conf->n_listen, 0);
		assert_true(pc->has_endpoint);
		assert_endpoint(&pc->endpoint, ep);
	}
}

static void
test_compat(void **state)
{
	struct config	*conf;
	char		 err[512], path[256];

	snprintf(path, sizeof(path), "%s/secret", dir);
	conf = config_compat("tun0", "10.0.0.1", "5000", "1", path, 0,
	    err, sizeof(err));
	if (conf == NULL)
		fail_msg("%s", err);
	compat_expect(conf, "tun0", 1, "10.0.0.1:5000");
	assert_string_equal(conf->control, "/run/ipcp/ipcpd-tun0.sock");
	config_free(conf);

	conf = config_compat("ipcp0", "fd00::2", "65535", "0", path, 0,
	    err, sizeof(err));
	if (conf == NULL)
		fail_msg("%s", err);
	compat_expect(conf, "ipcp0", 0, "[fd00::2]:65535");
	assert_string_equal(conf->control, "/run/ipcp/ipcpd-ipcp0.sock");
	config_free(conf);
}

/* --legacy: the secret is the original's frame key, offloads off. */
static void
test_compat_legacy(void **state)
{
	struct config		*conf;
	struct peer_conf	*pc;
	char			 err[512], path[256];

	snprintf(path, sizeof(path), "%s/secret", dir);
	conf = config_compat("tun0", "10.0.0.1", "5000", "0", path, 1, err,
	    sizeof(err));
	if (conf == NULL)
		fail_msg("%s", err);
	pc = TAILQ_FIRST(&conf->peers);
	assert_int_equal(pc->wire, CONFIG_WIRE_LEGACY);
	assert_true(pc->has_endpoint);
	assert_memory_equal(pc->psk, secret, sizeof(secret));
	assert_int_equal(conf->offload, 0);
	/* Its identity is not the node's key, which ipcp handshakes use. */
	assert_memory_not_equal(pc->pubkey, conf->key.pub, KEY_LEN);
	config_free(conf);
}

static void
compat_error(const char *ifname, const char *ip, const char *port,
    const char *server, const char *file, const char *want)
{
	struct config	*conf;
	char		 err[512], path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	conf = config_compat(ifname, ip, port, server, path, 0,
	    err, sizeof(err));
	assert_null(conf);
	if (strncmp(want, "@F@", 3) == 0) {
		assert_int_equal(strncmp(err, path, strlen(path)), 0);
		assert_string_equal(err + strlen(path), want + 3);
	} else
		assert_string_equal(err, want);
}

static void
test_compat_errors(void **state)
{
	compat_error("tun0", "10.0.0.1", "5000", "1", "secret31",
	    "@F@: must hold exactly 32 bytes, found 31 (make one with: "
	    "head -c 32 /dev/urandom)");
	compat_error("tun0", "10.0.0.1", "5000", "1", "secret33",
	    "@F@: must hold exactly 32 bytes, found 33 (make one with: "
	    "head -c 32 /dev/urandom)");
	compat_error("tun0", "10.0.0.1", "5000", "1", "node.key",
	    "@F@: must hold exactly 32 bytes, found 45 (make one with: "
	    "head -c 32 /dev/urandom)");
	compat_error("tun0", "10.0.0.1", "5000", "1", "missing",
	    "@F@: cannot open: No such file or directory");
	compat_error("tun 0", "10.0.0.1", "5000", "1", "secret",
	    "interface name \"tun 0\" is not valid (expected 1 to 15 "
	    "characters from A-Z a-z 0-9 _ . -)");
	compat_error("tun0123456789abc", "10.0.0.1", "5000", "1", "secret",
	    "interface name \"tun0123456789abc\" is not valid (expected 1 to "
	    "15 characters from A-Z a-z 0-9 _ . -)");
	compat_error("tun0", "10.0.0.256", "5000", "1", "secret",
	    "\"10.0.0.256\" is not a numeric IPv4 or IPv6 address");
	compat_error("tun0", "10.0.0.1", "0", "1", "secret",
	    "port \"0\" is not a number from 1 to 65535");
	compat_error("tun0", "10.0.0.1", "65536", "1", "secret",
	    "port \"65536\" is not a number from 1 to 65535");
	compat_error("tun0", "10.0.0.1", "5000", "yes", "secret",
	    "server flag \"yes\" must be 1 (listen on IP:PORT) or 0 (dial "
	    "IP:PORT)");
}

static int
setup(void **state)
{
	uint8_t	buf[33];

	if (sodium_init() < 0)
		return -1;
	snprintf(dir, sizeof(dir), "/tmp/test_config.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(conf_path, sizeof(conf_path), "%s/t.conf", dir);
	randombytes_buf(node_priv, sizeof(node_priv));
	if (crypto_scalarmult_base(node_pub, node_priv) != 0)
		return -1;
	key_to_base64(node_pub_b64, node_pub);
	write_key("node.key", node_priv);
	randombytes_buf(psk, sizeof(psk));
	write_key("psk.key", psk);
	write_file("garbage.key", "not a key\n", 10);
	randombytes_buf(secret, sizeof(secret));
	write_file("secret", secret, sizeof(secret));
	randombytes_buf(buf, sizeof(buf));
	write_file("secret31", buf, 31);
	write_file("secret33", buf, 33);
	return 0;
}

static int
teardown(void **state)
{
	const char	*files[] = { "t.conf", "node.key", "psk.key",
	    "garbage.key", "secret", "secret31", "secret33", "zero.psk" };
	char		 path[256];
	size_t		 i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	return rmdir(dir);
}

#define N_ERRORS	(sizeof(error_cases) / sizeof(error_cases[0]))
#define N_FIXED		14	/* entries of fixed[] in main */

int
main(void)
{
	struct CMUnitTest	tests[N_FIXED + N_ERRORS];
	const struct CMUnitTest	fixed[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_default_user),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_several_peers),
		cmocka_unit_test(test_many_peers),
		cmocka_unit_test(test_repeated_lists),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_crlf_bom),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_longest_line),
		cmocka_unit_test(test_compat),
		cmocka_unit_test(test_compat_legacy),
		cmocka_unit_test(test_compat_errors),
	};
	size_t			i;

	_Static_assert(sizeof(fixed) / sizeof(fixed[0]) == N_FIXED,
	    "N_FIXED is the number of entries of fixed[]");
	for (i = 0; i < N_FIXED; i++)
		tests[i] = fixed[i];
	for (i = 0; i < N_ERRORS; i++) {
		struct CMUnitTest t = cmocka_unit_test_prestate(test_error,
		    (void *)&error_cases[i]);

		t.name = error_cases[i].name;
		tests[N_FIXED + i] = t;
	}
	return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
