/* SPDX-License-Identifier: ISC */
/*
 * ipcpd.conf: one [node] section and one [peer NAME] section per peer,
 * parsed with inih into a struct config (see config.h), or a config made up
 * from the seed command line (config_compat).
 *
 * inih hands us key = value pairs but no line numbers and no event for an
 * empty section, so we feed it through our own reader: the reader counts
 * lines, rejects lines that do not fit inih's buffer (inih would silently
 * split them), and handles [section] headers itself so it knows where each
 * section starts.  The handler then checks each key as it comes, and the
 * first error stops the parse with "file:line: message".
 */
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>
#include <sodium.h>

#include "config.h"
#include "keyidx.h"
#include "legacy.h"

#define CONFIG_HEARTBEAT_MAX	3600
#define CONFIG_DEAD_MAX		86400
#define CONFIG_MTU_MIN		576
#define CONFIG_MTU_MAX		65535
#define CONFIG_MTU_MIN_V6	1280
#define CONFIG_IFPREFIX		"ipcp-"
#define CONFIG_COMPAT_NAME	"compat"
#define CONFIG_COMPAT_LABEL	"ipcp compat static"
#define CONFIG_COMPAT_USER2	"nobody"
/* A legacy peer's identity: BLAKE2b(key = label, its secret). */
#define CONFIG_LEGACY_LABEL	"ipcp legacy peer"
/* The key of the passcode's hash (config_passcode_key). */
#define CONFIG_PASSCODE_LABEL	"ipcp passcode v1"
/* Legacy peers an accepted connection's first frame is tried against. */
#define CONFIG_LEGACY_WAITING_MAX 16
/* Elements one line can hold: "a,b,...", each at least one character. */
#define LINE_ELEMS		(INI_MAX_LINE / 2 + 1)
/* A secret file larger than this is not worth reading to the end. */
#define CONFIG_SECRET_SCAN_MAX	65536

enum section {
	SEC_NONE,
	SEC_NODE,
	SEC_PEER,
	SEC_GATEWAY,
	SEC_N
};

enum key {
	KEY_NAME,
	KEY_PRIVATE_KEY,
	KEY_LISTEN,
	KEY_ADDRESS,
	KEY_USER,
	KEY_CONTROL,
	KEY_HEARTBEAT,
	KEY_DEAD_AFTER,
	KEY_PUBLIC_KEY,
	KEY_ENDPOINT,
	KEY_PSK,
	KEY_ALLOWED_IPS,
	KEY_INTERFACE,
	KEY_MTU,
	KEY_OFFLOAD,
	KEY_ANNOUNCE,
	KEY_METRIC,
	KEY_MAX_ROUTES,
	KEY_WIRE,
	KEY_FWMARK,
	KEY_POOL,
	KEY_ROUTES,
	KEY_GW_DNS,
	KEY_NAT,
	KEY_SECURE,
	KEY_LEASE_TIME,
	KEY_GW_PASSCODE,
	KEY_MAX_CLIENTS,
	KEY_STATE_DIR,
	KEY_LEASE,
	KEY_FULL_TUNNEL,
	KEY_KILLSWITCH,
	KEY_KILLSWITCH_ALLOW,
	KEY_DNS,
	KEY_PASSCODE,
	KEY_MAX
};

struct parse {
	struct config	*conf;
	const char	*path;
	FILE		*fp;
	char		*err;
	size_t		 errlen;
	int		 failed;
	int		 line;		/* the line inih is on */
	enum section	 sec;
	int		 sec_line;
	struct peer_conf *peer;		/* the current [peer] */
	int		 keyline[KEY_MAX];	/* in this section */
	int		 node_line;	/* of [node], 0 until seen */
	int		 gateway_line;	/* of [gateway], 0 until seen */
	int		 offload_line;	/* offload = on, said in so many words */
	/*
	 * The peers so far by name, public key and interface, for the
	 * duplicate checks: a gateway's file has thousands of peers, and a
	 * scan of all earlier ones per peer made parsing quadratic.
	 */
	struct keyidx	 names;
	struct keyidx	 keys;
	struct keyidx	 ifnames;
};

struct keyword {
	const char	*name;
	enum section	 sec;
	enum key	 key;
	int		 list;		/* empty value: empty list */
	int		(*set)(struct parse *, const char *key, char *value);
};

static int	set_name(struct parse *, const char *, char *);
static int	set_private_key(struct parse *, const char *, char *);
static int	set_listen(struct parse *, const char *, char *);
static int	set_address(struct parse *, const char *, char *);
static int	set_user(struct parse *, const char *, char *);
static int	set_control(struct parse *, const char *, char *);
static int	set_heartbeat(struct parse *, const char *, char *);
static int	set_dead_after(struct parse *, const char *, char *);
static int	set_public_key(struct parse *, const char *, char *);
static int	set_endpoint(struct parse *, const char *, char *);
static int	set_psk(struct parse *, const char *, char *);
static int	set_allowed_ips(struct parse *, const char *, char *);
static int	set_interface(struct parse *, const char *, char *);
static int	set_mtu(struct parse *, const char *, char *);
static int	set_offload(struct parse *, const char *, char *);
static int	set_announce(struct parse *, const char *, char *);
static int	set_metric(struct parse *, const char *, char *);
static int	set_max_routes(struct parse *, const char *, char *);
static int	set_wire(struct parse *, const char *, char *);
static int	set_fwmark(struct parse *, const char *, char *);
static int	set_pool(struct parse *, const char *, char *);
static int	set_routes(struct parse *, const char *, char *);
static int	set_gw_dns(struct parse *, const char *, char *);
static int	set_flag(struct parse *, const char *, char *);
static int	set_lease_time(struct parse *, const char *, char *);
static int	set_passcode(struct parse *, const char *, char *);
static int	set_max_clients(struct parse *, const char *, char *);
static int	set_state_dir(struct parse *, const char *, char *);
static int	set_killswitch_allow(struct parse *, const char *, char *);

static const struct keyword keywords[] = {
	{ "name", SEC_NODE, KEY_NAME, 0, set_name },
	{ "private-key", SEC_NODE, KEY_PRIVATE_KEY, 0, set_private_key },
	{ "listen", SEC_NODE, KEY_LISTEN, 1, set_listen },
	{ "address", SEC_NODE, KEY_ADDRESS, 1, set_address },
	{ "announce", SEC_NODE, KEY_ANNOUNCE, 1, set_announce },
	{ "user", SEC_NODE, KEY_USER, 0, set_user },
	{ "control", SEC_NODE, KEY_CONTROL, 0, set_control },
	{ "heartbeat-interval", SEC_NODE, KEY_HEARTBEAT, 0, set_heartbeat },
	{ "dead-after", SEC_NODE, KEY_DEAD_AFTER, 0, set_dead_after },
	{ "offload", SEC_NODE, KEY_OFFLOAD, 0, set_offload },
	{ "public-key", SEC_PEER, KEY_PUBLIC_KEY, 0, set_public_key },
	{ "endpoint", SEC_PEER, KEY_ENDPOINT, 0, set_endpoint },
	{ "psk", SEC_PEER, KEY_PSK, 0, set_psk },
	{ "allowed-ips", SEC_PEER, KEY_ALLOWED_IPS, 1, set_allowed_ips },
	{ "interface", SEC_PEER, KEY_INTERFACE, 0, set_interface },
	{ "mtu", SEC_PEER, KEY_MTU, 0, set_mtu },
	{ "metric", SEC_PEER, KEY_METRIC, 0, set_metric },
	{ "max-routes", SEC_PEER, KEY_MAX_ROUTES, 0, set_max_routes },
	{ "wire", SEC_PEER, KEY_WIRE, 0, set_wire },
	{ "fwmark", SEC_NODE, KEY_FWMARK, 0, set_fwmark },
	{ "pool", SEC_GATEWAY, KEY_POOL, 1, set_pool },
	{ "routes", SEC_GATEWAY, KEY_ROUTES, 1, set_routes },
	{ "dns", SEC_GATEWAY, KEY_GW_DNS, 1, set_gw_dns },
	{ "nat", SEC_GATEWAY, KEY_NAT, 0, set_flag },
	{ "secure", SEC_GATEWAY, KEY_SECURE, 0, set_flag },
	{ "lease-time", SEC_GATEWAY, KEY_LEASE_TIME, 0, set_lease_time },
	{ "passcode", SEC_GATEWAY, KEY_GW_PASSCODE, 0, set_passcode },
	{ "max-clients", SEC_GATEWAY, KEY_MAX_CLIENTS, 0, set_max_clients },
	{ "state-dir", SEC_GATEWAY, KEY_STATE_DIR, 0, set_state_dir },
	{ "lease", SEC_PEER, KEY_LEASE, 0, set_flag },
	{ "full-tunnel", SEC_PEER, KEY_FULL_TUNNEL, 0, set_flag },
	{ "killswitch", SEC_PEER, KEY_KILLSWITCH, 0, set_flag },
	{ "killswitch-allow", SEC_PEER, KEY_KILLSWITCH_ALLOW, 1,
	    set_killswitch_allow },
	{ "dns", SEC_PEER, KEY_DNS, 0, set_flag },
	{ "passcode", SEC_PEER, KEY_PASSCODE, 0, set_passcode },
};

#define ALNUM \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define NAME_EXPECT \
	"1 to 32 characters from A-Z a-z 0-9 _ -"
#define IFNAME_EXPECT \
	"1 to 15 characters from A-Z a-z 0-9 _ . -"
#define ENDPOINT_EXPECT \
	"numeric, as 192.0.2.1:5000 or [2001:db8::1]:5000"
#define KEY_EXPECT \
	"44 characters of base64, as printed by ipcpctl genkey"

static void
seterr(char *err, size_t errlen, const char *file, int line,
    const char *fmt, va_list ap)
{
	int	n;

	if (errlen == 0)
		return;
	if (line > 0)
		n = snprintf(err, errlen, "%s:%d: ", file, line);
	else
		n = snprintf(err, errlen, "%s: ", file);
	if (n < 0 || (size_t)n >= errlen)
		return;
	vsnprintf(err + n, errlen - n, fmt, ap);
}

static int __attribute__((format(printf, 3, 4)))
perr(struct parse *p, int line, const char *fmt, ...)
{
	va_list	ap;

	if (p->failed)
		return -1;
	va_start(ap, fmt);
	seterr(p->err, p->errlen, p->path, line, fmt, ap);
	va_end(ap);
	p->failed = 1;
	return -1;
}

/* For config_compat, whose arguments have no file to name. */
static void __attribute__((format(printf, 3, 4)))
cerr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	if (errlen > 0)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
name_valid(const char *s)
{
	size_t	len = strlen(s), i;

	if (len == 0 || len > CONFIG_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (strchr(ALNUM "_-", s[i]) == NULL)
			return 0;
	return 1;
}

static int
ifname_valid(const char *s)
{
	size_t	len = strlen(s), i;

	if (len == 0 || len >= IFNAMSIZ)
		return 0;
	/* The kernel refuses these two (dev_valid_name). */
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (strchr(ALNUM "_.-", s[i]) == NULL)
			return 0;
	return 1;
}

static int
parse_path(struct parse *p, const char *key, const char *value, char *out,
    size_t outlen)
{
	/*
	 * ipcpd runs from / and reloads long after it started: a relative
	 * path would depend on where it happened to be started.
	 */
	if (value[0] != '/')
		return perr(p, p->line, "%s: \"%s\" is not an absolute path",
		    key, value);
	if (strlen(value) >= outlen)
		return perr(p, p->line, "%s: path is too long", key);
	strcpy(out, value);
	return 0;
}

/* Something allowed that is probably a mistake, said by ipcpd -n. */
static void __attribute__((format(printf, 3, 4)))
pwarn(struct parse *p, int line, const char *fmt, ...)
{
	struct config	*conf = p->conf;
	va_list		 ap;
	char		*w;
	int		 n;

	if (conf->n_warning == CONFIG_WARN_MAX)
		return;
	w = conf->warning[conf->n_warning++];
	n = snprintf(w, CONFIG_WARN_LEN, "%s:%d: warning: ", p->path, line);
	if (n < 0 || n >= CONFIG_WARN_LEN)
		return;
	va_start(ap, fmt);
	vsnprintf(w + n, CONFIG_WARN_LEN - n, fmt, ap);
	va_end(ap);
}

/* A secret only root may read: say so when others can. */
static void
warn_readable(struct parse *p, const char *key, const char *path)
{
	struct stat	st;

	if (stat(path, &st) == 0 && (st.st_mode & (S_IRWXO | S_IRWXG)) != 0)
		pwarn(p, p->line, "%s: %s can be read by others than its "
		    "owner (chmod 600 %s)", key, path, path);
}

static int
read_key(struct parse *p, const char *key, const char *path,
    uint8_t out[KEY_LEN])
{
	if (key_read_file(path, out) == 0) {
		warn_readable(p, key, path);
		if (sodium_is_zero(out, KEY_LEN))
			pwarn(p, p->line, "%s: %s holds the all-zero key",
			    key, path);
		return 0;
	}
	if (errno == ENOTSUP)
		return perr(p, p->line, "%s: %s is not a regular file", key,
		    path);
	if (errno == EINVAL)
		return perr(p, p->line, "%s: %s does not hold a key (expected "
		    KEY_EXPECT ")", key, path);
	return perr(p, p->line, "%s: cannot read %s: %s", key, path,
	    strerror(errno));
}

/*
 * Split a comma-separated list in place.  White space around elements is
 * allowed; an empty element is a typo, not an empty list.  `have'
 * elements came from earlier lines of the same key, and all of them
 * together may be at most `max'.
 */
static int
split_list(struct parse *p, const char *key, char *value,
    char *elems[LINE_ELEMS], size_t *n, size_t have, size_t max)
{
	char	*s, *e, *comma;

	*n = 0;
	s = value;
	if (*s == '\0')
		return 0;
	for (;;) {
		if ((comma = strchr(s, ',')) != NULL)
			*comma = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		for (e = s + strlen(s); e > s && (e[-1] == ' ' ||
		    e[-1] == '\t'); e--)
			;
		*e = '\0';
		if (*s == '\0')
			return perr(p, p->line, "%s: empty element in "
			    "comma-separated list", key);
		if (have + *n == max || *n == LINE_ELEMS)
			return perr(p, p->line, "%s: more than %zu elements",
			    key, max);
		elems[(*n)++] = s;
		if (comma == NULL)
			return 0;
		s = comma + 1;
	}
}

static int
node_has_v6(const struct config *conf, char out[PREFIX_STRLEN])
{
	size_t	i;

	for (i = 0; i < conf->n_address; i++)
		if (conf->address[i].family == AF_INET6) {
			prefix_format(&conf->address[i], out);
			return 1;
		}
	return 0;
}

/* A peer under its name, key or interface, for the later ones to check. */
static int
index_add(struct parse *p, struct keyidx *ki, const void *key, size_t len,
    struct peer_conf *pc)
{
	if (keyidx_add(ki, key, len, pc) == -1)
		return perr(p, p->line, "%s", strerror(errno));
	return 0;
}

static void
index_free(struct parse *p)
{
	keyidx_free(&p->names);
	keyidx_free(&p->keys);
	keyidx_free(&p->ifnames);
}

static int
set_name(struct parse *p, const char *key, char *value)
{
	struct peer_conf	*pc;

	if (!name_valid(value))
		return perr(p, p->line, "%s: \"%s\" is not a valid name "
		    "(expected " NAME_EXPECT ")", key, value);
	if ((pc = keyidx_get_str(&p->names, value)) != NULL)
		return perr(p, p->line, "%s: \"%s\" is also the name "
		    "of a peer (line %d)", key, value, pc->line);
	strcpy(p->conf->name, value);
	return 0;
}

static int
set_private_key(struct parse *p, const char *key, char *value)
{
	struct config		*conf = p->conf;
	struct peer_conf	*pc;
	uint8_t			 priv[KEY_LEN];
	int			 r;

	if (parse_path(p, key, value, conf->private_key_file,
	    sizeof(conf->private_key_file)) == -1)
		return -1;
	if (read_key(p, key, value, priv) == -1)
		return -1;
	r = hs_keypair_from_private(&conf->key, priv);
	sodium_memzero(priv, sizeof(priv));
	if (r == -1)
		return perr(p, p->line, "%s: %s does not hold a usable X25519 "
		    "private key", key, value);
	if ((pc = keyidx_get(&p->keys, conf->key.pub, KEY_LEN)) != NULL)
		return perr(p, p->line, "%s: its public key is also "
		    "the public-key of peer %s (line %d)", key,
		    pc->name, pc->line);
	return 0;
}

static int
parse_endpoint(struct parse *p, const char *key, const char *s,
    struct listen_conf *lc)
{
	if (endpoint_parse(s, &lc->ss, &lc->sslen) == -1)
		return perr(p, p->line, "%s: \"%s\" is not an address:port "
		    "(expected " ENDPOINT_EXPECT ")", key, s);
	endpoint_format((struct sockaddr *)&lc->ss, lc->text);
	return 0;
}

static int
set_listen(struct parse *p, const char *key, char *value)
{
	struct config	*conf = p->conf;
	char		*elems[LINE_ELEMS];
	size_t		 n, i, j, at = conf->n_listen;

	if (split_list(p, key, value, elems, &n, at, CONFIG_LISTEN_MAX) == -1)
		return -1;
	for (i = at; i < at + n; i++) {
		if (parse_endpoint(p, key, elems[i - at],
		    &conf->listen[i]) == -1)
			return -1;
		for (j = 0; j < i; j++)
			if (listen_conf_equal(&conf->listen[j],
			    &conf->listen[i]))
				return perr(p, p->line, "%s: %s is listed "
				    "twice", key, conf->listen[i].text);
	}
	conf->n_listen = at + n;
	return 0;
}

/*
 * The node's own addresses.  Each is a host address on every TUN, so
 * whatever prefix length is written (10.77.0.1/24 is common, from other
 * VPNs) the address is taken as /32 or /128; the networks behind the
 * node are for announce.
 */
/* One element of a prefix list: 0, or -1 with the error set. */
typedef int (*prefix_elem_fn)(struct parse *, const char *key,
    const char *text, struct prefix *out);

/*
 * A comma-separated list of prefixes added to list[*n_list], each parsed
 * by fn; none may be listed twice, counting earlier lines of the key.
 * `twice' starts the complaint about one that is.
 */
static int
prefix_list(struct parse *p, const char *key, char *value, prefix_elem_fn fn,
    const char *twice, struct prefix *list, size_t *n_list)
{
	char	*elems[LINE_ELEMS];
	size_t	 n, i, j, at = *n_list;

	if (split_list(p, key, value, elems, &n, at, CONFIG_PREFIX_MAX) == -1)
		return -1;
	for (i = at; i < at + n; i++) {
		if (fn(p, key, elems[i - at], &list[i]) == -1)
			return -1;
		for (j = 0; j < i; j++)
			if (prefix_equal(&list[j], &list[i]))
				return perr(p, p->line, "%s: %s\"%s\" is listed "
				    "twice", key, twice, elems[i - at]);
	}
	*n_list = at + n;
	return 0;
}

/* A host address, whatever prefix length is written. */
static int
address_elem(struct parse *p, const char *key, const char *text,
    struct prefix *a)
{
	if (prefix_parse(text, a) == -1)
		return perr(p, p->line, "%s: \"%s\" is not an address "
		    "(expected e.g. 10.77.0.1 or fd77::1)", key, text);
	a->plen = prefix_addrlen(a->family) * 8;
	/* The unspecified and multicast addresses name no host. */
	if ((a->family == AF_INET && (a->addr.v4.s_addr == 0 ||
	    IN_MULTICAST(ntohl(a->addr.v4.s_addr)))) ||
	    (a->family == AF_INET6 &&
	    (IN6_IS_ADDR_UNSPECIFIED(&a->addr.v6) ||
	    IN6_IS_ADDR_MULTICAST(&a->addr.v6))))
		return perr(p, p->line, "%s: \"%s\" is not a host address",
		    key, text);
	return 0;
}

static int
set_address(struct parse *p, const char *key, char *value)
{
	struct config		*conf = p->conf;
	struct peer_conf	*pc;
	char			 text[PREFIX_STRLEN];

	if (prefix_list(p, key, value, address_elem, "address of ",
	    conf->address, &conf->n_address) == -1)
		return -1;
	/* Peers before [node] are complete; later ones check in set_mtu. */
	if (node_has_v6(conf, text))
		TAILQ_FOREACH(pc, &conf->peers, entry)
			if (pc->mtu < CONFIG_MTU_MIN_V6)
				return perr(p, p->line, "%s: %s is IPv6, which "
				    "needs an mtu of at least %d, but peer %s "
				    "has mtu %u (line %d)", key, text,
				    CONFIG_MTU_MIN_V6, pc->name, pc->mtu,
				    pc->line);
	return 0;
}

/*
 * Prefixes routed through this node, announced to every peer.  Host bits
 * are cleared (192.168.1.1/24 announces 192.168.1.0/24): the address of
 * a router on the LAN is a natural thing to write.
 */
/* A network, its host bits cleared; the length must be written. */
static int
announce_elem(struct parse *p, const char *key, const char *text,
    struct prefix *a)
{
	if (strchr(text, '/') == NULL || prefix_parse(text, a) == -1)
		return perr(p, p->line, "%s: \"%s\" is not a prefix (expected "
		    "e.g. 192.168.1.0/24 or fd00:1::/64)", key, text);
	prefix_mask(a);
	return 0;
}

static int
set_announce(struct parse *p, const char *key, char *value)
{
	return prefix_list(p, key, value, announce_elem, "",
	    p->conf->announce, &p->conf->n_announce);
}

static int
resolve_user(struct parse *p, int line, const char *user, int dflt)
{
	struct config	*conf = p->conf;
	struct passwd	*pw;

	if (strlen(user) > CONFIG_USER_MAX)
		return perr(p, line, "user: \"%s\" is longer than %d "
		    "characters", user, CONFIG_USER_MAX);
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (dflt)
			return perr(p, line, "[node]: user \"%s\" (the "
			    "default) does not exist; create it or set user",
			    user);
		return perr(p, line, "user: no such user \"%s\" (expected "
		    "the unprivileged user forwarders run as)", user);
	}
	if (pw->pw_uid == 0)
		return perr(p, line, "user: \"%s\" has uid 0; forwarders must "
		    "run as an unprivileged user", user);
	strcpy(conf->user, user);
	conf->uid = pw->pw_uid;
	conf->gid = pw->pw_gid;
	return 0;
}

static int
set_user(struct parse *p, const char *key, char *value)
{
	return resolve_user(p, p->line, value, 0);
}

int
config_control_check(const char *path, char *err, size_t errlen)
{
	if (path[0] != '/') {
		snprintf(err, errlen, "\"%s\" is not an absolute path", path);
		return -1;
	}
	if (strlen(path) >= sizeof(((struct config *)0)->control)) {
		snprintf(err, errlen, "path is %zu characters long; a socket "
		    "path must be shorter than %zu", strlen(path),
		    sizeof(((struct config *)0)->control));
		return -1;
	}
	return 0;
}

static int
set_control(struct parse *p, const char *key, char *value)
{
	char	err[128];

	if (config_control_check(value, err, sizeof(err)) == -1)
		return perr(p, p->line, "%s: %s", key, err);
	strcpy(p->conf->control, value);
	return 0;
}

/* A whole number from min to max; what it is, for the error: "a number". */
static int
parse_range(struct parse *p, const char *key, const char *value,
    unsigned long min, unsigned long max, const char *what,
    unsigned long *v)
{
	if (parse_uint(value, max, v) == -1 || *v < min)
		return perr(p, p->line, "%s: \"%s\" is not %s from %lu to %lu",
		    key, value, what, min, max);
	return 0;
}

static int
set_heartbeat(struct parse *p, const char *key, char *value)
{
	unsigned long	v;

	if (parse_range(p, key, value, 1, CONFIG_HEARTBEAT_MAX,
	    "a number of seconds", &v) == -1)
		return -1;
	p->conf->heartbeat_interval = v;
	return 0;
}

static int
set_dead_after(struct parse *p, const char *key, char *value)
{
	unsigned long	v;

	if (parse_range(p, key, value, 2, CONFIG_DEAD_MAX,
	    "a number of seconds", &v) == -1)
		return -1;
	p->conf->dead_after = v;
	return 0;
}

/* on/yes or off/no, into *out. */
static int
parse_onoff(struct parse *p, const char *key, const char *value, int *out)
{
	if (strcmp(value, "on") == 0 || strcmp(value, "yes") == 0)
		*out = 1;
	else if (strcmp(value, "off") == 0 || strcmp(value, "no") == 0)
		*out = 0;
	else
		return perr(p, p->line, "%s: \"%s\" is not on or off", key,
		    value);
	return 0;
}

static int
set_offload(struct parse *p, const char *key, char *value)
{
	if (parse_onoff(p, key, value, &p->conf->offload) == -1)
		return -1;
	if (p->conf->offload)
		p->offload_line = p->line;
	return 0;
}

static int
set_public_key(struct parse *p, const char *key, char *value)
{
	struct config		*conf = p->conf;
	struct peer_conf	*pc;

	if (key_from_base64(p->peer->pubkey, value) == -1)
		return perr(p, p->line, "%s: \"%s\" is not a public key "
		    "(expected " KEY_EXPECT " pubkey)", key, value);
	if (sodium_is_zero(p->peer->pubkey, KEY_LEN))
		return perr(p, p->line, "%s: the all-zero key is not a public "
		    "key", key);
	if ((pc = keyidx_get(&p->keys, p->peer->pubkey, KEY_LEN)) != NULL)
		return perr(p, p->line, "%s: same as the public-key of "
		    "peer %s (line %d)", key, pc->name, pc->line);
	if (p->node_line != 0 && p->conf->private_key_file[0] != '\0' &&
	    sodium_memcmp(conf->key.pub, p->peer->pubkey, KEY_LEN) == 0)
		return perr(p, p->line, "%s: this is the node's own public "
		    "key", key);
	return index_add(p, &p->keys, p->peer->pubkey, KEY_LEN, p->peer);
}

static int
set_endpoint(struct parse *p, const char *key, char *value)
{
	const char	*why;

	/* Syntax only: `ipcpd -n' must not need DNS or the interface. */
	if (endpoint_spec_parse(value, &p->peer->endpoint, &why) == -1)
		return perr(p, p->line, "%s: \"%s\": %s", key, value, why);
	p->peer->has_endpoint = 1;
	return 0;
}

static int
set_psk(struct parse *p, const char *key, char *value)
{
	struct peer_conf	*pc = p->peer;

	if (parse_path(p, key, value, pc->psk_file, sizeof(pc->psk_file)) ==
	    -1)
		return -1;
	if (read_key(p, key, value, pc->psk) == -1)
		return -1;
	pc->has_psk = 1;
	return 0;
}

/* A network, host bits clear: a set one is a typo worth naming. */
static int
allowed_elem(struct parse *p, const char *key, const char *text,
    struct prefix *a)
{
	struct prefix	net;
	char		suggest[PREFIX_STRLEN];

	if (prefix_parse(text, a) == -1)
		return perr(p, p->line, "%s: \"%s\" is not a prefix (expected "
		    "e.g. 10.77.0.0/24 or fd77::/64)", key, text);
	if (!prefix_is_network(a)) {
		/* Suggest the network the user probably meant. */
		net = *a;
		prefix_mask(&net);
		prefix_format(&net, suggest);
		return perr(p, p->line, "%s: \"%s\" has host bits set "
		    "(expected a network address: %s, or a longer prefix "
		    "length)", key, text, suggest);
	}
	return 0;
}

static int
set_allowed_ips(struct parse *p, const char *key, char *value)
{
	return prefix_list(p, key, value, allowed_elem, "", p->peer->allowed,
	    &p->peer->n_allowed);
}

static int
set_fwmark(struct parse *p, const char *key, char *value)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(value, &end, 0);
	/* 0 is "no mark": our outer sockets would look like any other. */
	if (errno != 0 || *end != '\0' || value[0] == '-' || v == 0 ||
	    v > UINT32_MAX)
		return perr(p, p->line, "%s: \"%s\" is not a mark from 1 to "
		    "0xffffffff", key, value);
	p->conf->fwmark = (uint32_t)v;
	return 0;
}

/*
 * on/off keys, by section and name.  Peers' flags only take effect with
 * what they build on, checked at the end of the section.
 */
static int
set_flag(struct parse *p, const char *key, char *value)
{
	struct gateway_conf	*gw = &p->conf->gw;
	int			*f;

	if (p->sec == SEC_GATEWAY)
		f = strcmp(key, "nat") == 0 ? &gw->nat : &gw->secure;
	else if (strcmp(key, "lease") == 0)
		f = &p->peer->lease;
	else if (strcmp(key, "full-tunnel") == 0)
		f = &p->peer->full_tunnel;
	else if (strcmp(key, "killswitch") == 0)
		f = &p->peer->killswitch;
	else
		f = &p->peer->dns;
	return parse_onoff(p, key, value, f);
}

/* A pool: a network with room for clients besides its own address. */
static int
pool_elem(struct parse *p, const char *key, const char *text,
    struct prefix *a)
{
	if (allowed_elem(p, key, text, a) == -1)
		return -1;
	if ((a->family == AF_INET && a->plen > 30) ||
	    (a->family == AF_INET6 && a->plen > 126))
		return perr(p, p->line, "%s: \"%s\" has no room for clients "
		    "(at most /30 for IPv4, /126 for IPv6)", key, text);
	return 0;
}

static int
set_pool(struct parse *p, const char *key, char *value)
{
	struct gateway_conf	*gw = &p->conf->gw;
	size_t			 i, j, at = gw->n_pool;
	char			 a[PREFIX_STRLEN], b[PREFIX_STRLEN];

	if (prefix_list(p, key, value, pool_elem, "", gw->pool,
	    &gw->n_pool) == -1)
		return -1;
	/* Two pools that overlap would lease one address twice. */
	for (i = at; i < gw->n_pool; i++)
		for (j = 0; j < i; j++)
			if (prefix_contains(&gw->pool[j], &gw->pool[i]) ||
			    prefix_contains(&gw->pool[i], &gw->pool[j])) {
				prefix_format(&gw->pool[i], a);
				prefix_format(&gw->pool[j], b);
				return perr(p, p->line, "%s: %s overlaps %s",
				    key, a, b);
			}
	return 0;
}

static int
set_routes(struct parse *p, const char *key, char *value)
{
	return prefix_list(p, key, value, allowed_elem, "",
	    p->conf->gw.routes, &p->conf->gw.n_routes);
}

static int
set_gw_dns(struct parse *p, const char *key, char *value)
{
	struct gateway_conf	*gw = &p->conf->gw;

	if (prefix_list(p, key, value, address_elem, "", gw->dns,
	    &gw->n_dns) == -1)
		return -1;
	if (gw->n_dns > CONFIG_DNS_MAX)
		return perr(p, p->line, "%s: more than %d nameservers", key,
		    CONFIG_DNS_MAX);
	return 0;
}

static int
set_lease_time(struct parse *p, const char *key, char *value)
{
	unsigned long	v;

	if (parse_range(p, key, value, CONFIG_LEASE_TIME_MIN,
	    CONFIG_LEASE_TIME_MAX, "a number of seconds", &v) == -1)
		return -1;
	p->conf->gw.lease_time = v;
	return 0;
}

static int
set_max_clients(struct parse *p, const char *key, char *value)
{
	unsigned long	v;

	if (parse_range(p, key, value, 1, CONFIG_MAX_CLIENTS_MAX,
	    "a number", &v) == -1)
		return -1;
	p->conf->gw.max_clients = v;
	return 0;
}

static int
set_state_dir(struct parse *p, const char *key, char *value)
{
	return parse_path(p, key, value, p->conf->gw.state_dir,
	    sizeof(p->conf->gw.state_dir));
}

void
config_passcode_key(const char *passcode, size_t len, uint8_t out[KEY_LEN])
{
	static const char	label[] = CONFIG_PASSCODE_LABEL;

	crypto_generichash(out, KEY_LEN, (const uint8_t *)passcode, len,
	    (const uint8_t *)label, sizeof(label) - 1);
}

/*
 * The passcode file's first line, without its line end: what a person
 * would type.  An empty one would let anyone in.
 */
static int
read_passcode(struct parse *p, const char *key, const char *path,
    uint8_t out[KEY_LEN])
{
	char	 buf[CONFIG_PASSCODE_MAX + 2];
	ssize_t	 n;
	size_t	 len;
	int	 fd;

	if ((fd = file_open_regular(path, 65536)) == -1) {
		if (errno == ENOTSUP)
			return perr(p, p->line, "%s: %s is not a regular "
			    "file", key, path);
		return perr(p, p->line, "%s: cannot read %s: %s", key, path,
		    errno == EFBIG ? "too large" : strerror(errno));
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return perr(p, p->line, "%s: cannot read %s: %s", key, path,
		    strerror(errno));
	buf[n] = '\0';
	len = strcspn(buf, "\r\n");
	if (len > CONFIG_PASSCODE_MAX)
		return perr(p, p->line, "%s: %s: the passcode is longer than "
		    "%d characters", key, path, CONFIG_PASSCODE_MAX);
	if (len == 0)
		return perr(p, p->line, "%s: %s holds no passcode (expected "
		    "one line of text)", key, path);
	config_passcode_key(buf, len, out);
	sodium_memzero(buf, sizeof(buf));
	warn_readable(p, key, path);
	return 0;
}

static int
set_passcode(struct parse *p, const char *key, char *value)
{
	struct gateway_conf	*gw = &p->conf->gw;
	struct peer_conf	*pc = p->peer;

	if (p->sec == SEC_GATEWAY) {
		if (parse_path(p, key, value, gw->passcode_file,
		    sizeof(gw->passcode_file)) == -1 ||
		    read_passcode(p, key, value, gw->passcode) == -1)
			return -1;
		gw->has_passcode = 1;
		return 0;
	}
	/* A peer's passcode is its psk, so the file name is kept there. */
	if (parse_path(p, key, value, pc->psk_file, sizeof(pc->psk_file)) ==
	    -1 || read_passcode(p, key, value, pc->psk) == -1)
		return -1;
	pc->has_psk = 1;
	pc->has_passcode = 1;
	return 0;
}

static int
set_killswitch_allow(struct parse *p, const char *key, char *value)
{
	return prefix_list(p, key, value, allowed_elem, "",
	    p->peer->killswitch_allow, &p->peer->n_killswitch_allow);
}

int
config_state_file(const struct config *conf, const char *ext, char *out,
    size_t len)
{
	int	n;

	n = snprintf(out, len, "%s/%s.%s", conf->gw.state_dir, conf->name,
	    ext);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
config_full_tunnel(const struct config *conf)
{
	const struct peer_conf	*pc;

	TAILQ_FOREACH(pc, &conf->peers, entry)
		if (pc->full_tunnel)
			return 1;
	return 0;
}

int
config_killswitch(const struct config *conf)
{
	const struct peer_conf	*pc;

	TAILQ_FOREACH(pc, &conf->peers, entry)
		if (pc->killswitch)
			return 1;
	return 0;
}

static int
set_interface(struct parse *p, const char *key, char *value)
{
	struct peer_conf	*pc;

	if (!ifname_valid(value))
		return perr(p, p->line, "%s: \"%s\" is not a valid interface "
		    "name (expected " IFNAME_EXPECT ")", key, value);
	if ((pc = keyidx_get_str(&p->ifnames, value)) != NULL)
		return perr(p, p->line, "%s: %s is also the interface "
		    "of peer %s (line %d)", key, value, pc->name,
		    pc->line);
	strcpy(p->peer->ifname, value);
	return index_add(p, &p->ifnames, value, strlen(value), p->peer);
}

static int
set_mtu(struct parse *p, const char *key, char *value)
{
	unsigned long	v;
	char		text[PREFIX_STRLEN];

	if (parse_range(p, key, value, CONFIG_MTU_MIN, CONFIG_MTU_MAX,
	    "an mtu", &v) == -1)
		return -1;
	if (v < CONFIG_MTU_MIN_V6 && node_has_v6(p->conf, text))
		return perr(p, p->line, "%s: %lu is below %d, the minimum for "
		    "IPv6, and this node has address %s", key, v,
		    CONFIG_MTU_MIN_V6, text);
	p->peer->mtu = v;
	return 0;
}

static int
set_metric(struct parse *p, const char *key, char *value)
{
	unsigned long	v;

	if (parse_range(p, key, value, 1, CONFIG_METRIC_MAX, "a number",
	    &v) == -1)
		return -1;
	p->peer->metric = v;
	return 0;
}

static int
set_max_routes(struct parse *p, const char *key, char *value)
{
	unsigned long	v;

	if (parse_range(p, key, value, 1, CONFIG_MAX_ROUTES_MAX, "a number",
	    &v) == -1)
		return -1;
	p->peer->max_routes = v;
	return 0;
}

static int
set_wire(struct parse *p, const char *key, char *value)
{
	if (strcmp(value, "ipcp") == 0)
		p->peer->wire = CONFIG_WIRE_IPCP;
	else if (strcmp(value, "legacy") == 0)
		p->peer->wire = CONFIG_WIRE_LEGACY;
	else
		return perr(p, p->line, "%s: \"%s\" is not ipcp or legacy", key,
		    value);
	return 0;
}

/*
 * wire = legacy: the original ipcp has no public keys, no offloads and
 * frames of at most 4 KiB, and its secret is all there is to a peer.
 * The peer's identity (for reload's diff, never for a handshake) is a
 * hash of that secret, so two legacy peers cannot share one.
 */
/*
 * A legacy peer has no public key; a hash of its secret stands in for
 * one, so it is found, and its duplicates refused, like any peer.
 */
static void
legacy_identity(struct peer_conf *pc, const uint8_t secret[KEY_LEN])
{
	crypto_generichash(pc->pubkey, KEY_LEN,
	    (const uint8_t *)CONFIG_LEGACY_LABEL, strlen(CONFIG_LEGACY_LABEL),
	    secret, KEY_LEN);
}

static int
legacy_peer_end(struct parse *p)
{
	struct peer_conf	*pc = p->peer, *o;
	int			 line;

	if ((line = p->keyline[KEY_PUBLIC_KEY]) != 0)
		return perr(p, line, "public-key: a peer with wire = legacy "
		    "has none (the original ipcp has no public keys; its psk "
		    "is the whole key)");
	if (!pc->has_psk)
		return perr(p, p->keyline[KEY_WIRE], "wire = legacy needs psk "
		    "(the file with the secret both sides share)");
	if (pc->mtu > LEGACY_MTU_MAX)
		return perr(p, p->keyline[KEY_MTU], "mtu: %u is more than a "
		    "legacy frame carries (at most %d)", pc->mtu,
		    LEGACY_MTU_MAX);
	legacy_identity(pc, pc->psk);
	/* The keys index holds every earlier peer, legacy or not. */
	if ((o = keyidx_get(&p->keys, pc->pubkey, KEY_LEN)) != NULL)
		return perr(p, p->keyline[KEY_PSK], "psk: the same "
		    "secret as legacy peer %s (line %d); nothing "
		    "would tell them apart", o->name, o->line);
	if (!pc->has_endpoint &&
	    p->conf->legacy_waiting++ >= CONFIG_LEGACY_WAITING_MAX)
		return perr(p, p->sec_line, "[peer %s]: more than %d legacy "
		    "peers without an endpoint (each connection is tried "
		    "against every one)", pc->name, CONFIG_LEGACY_WAITING_MAX);
	if (index_add(p, &p->keys, pc->pubkey, KEY_LEN, pc) == -1)
		return -1;
	if (p->offload_line != 0)
		pwarn(p, p->offload_line, "offload: not for legacy peer %s "
		    "(line %d): its interface runs without offloads", pc->name,
		    p->sec_line);
	return 0;
}

/* [gateway]: something to lease, and nameservers a lease can carry. */
static int
gateway_end(struct parse *p)
{
	if (p->conf->gw.n_pool == 0)
		return perr(p, p->sec_line, "[gateway]: missing pool (expected "
		    "pool = the prefixes to lease addresses from, e.g. "
		    "10.99.0.0/24, fd99::/112)");
	return 0;
}

/* A peer's gateway-client keys, against each other and the rest. */
static int
peer_gateway_end(struct parse *p)
{
	struct peer_conf	*pc = p->peer;
	int			*k = p->keyline;
	size_t			 i;
	int			 v4 = 0, v6 = 0;

	if (k[KEY_PASSCODE] != 0 && k[KEY_PSK] != 0)
		return perr(p, k[KEY_PASSCODE], "[peer %s]: passcode and psk "
		    "(line %d) both set: the passcode is the psk", pc->name,
		    k[KEY_PSK]);
	if (k[KEY_PASSCODE] != 0 && pc->wire == CONFIG_WIRE_LEGACY)
		return perr(p, k[KEY_PASSCODE], "[peer %s]: wire = legacy has "
		    "no handshake to prove a passcode in", pc->name);
	if (pc->lease && pc->wire == CONFIG_WIRE_LEGACY)
		return perr(p, k[KEY_LEASE], "[peer %s]: wire = legacy carries "
		    "no lease messages", pc->name);
	if (pc->dns && !pc->lease)
		return perr(p, k[KEY_DNS], "[peer %s]: dns = on takes the "
		    "nameservers of a lease; set lease = on", pc->name);
	if (pc->n_killswitch_allow > 0 && !pc->killswitch)
		pwarn(p, k[KEY_KILLSWITCH_ALLOW], "[peer %s]: killswitch-allow "
		    "without killswitch = on does nothing", pc->name);
	if (!pc->full_tunnel)
		return 0;
	for (i = 0; i < pc->n_allowed; i++) {
		if (pc->allowed[i].plen != 0)
			continue;
		if (pc->allowed[i].family == AF_INET)
			v4 = 1;
		else
			v6 = 1;
	}
	/* Its default route would be refused like any announcement. */
	if (!v4 && !v6)
		pwarn(p, k[KEY_FULL_TUNNEL], "[peer %s]: full-tunnel, but "
		    "allowed-ips has neither 0.0.0.0/0 nor ::/0: no default "
		    "route will be taken from it", pc->name);
	return 0;
}

static int
section_end(struct parse *p)
{
	struct config		*conf = p->conf;
	struct peer_conf	*pc = p->peer, *o;
	int			 line;

	switch (p->sec) {
	case SEC_NONE:
	case SEC_N:
		break;
	case SEC_NODE:
		if (p->keyline[KEY_NAME] == 0)
			return perr(p, p->sec_line, "[node]: missing name "
			    "(expected name = this node's name, " NAME_EXPECT
			    ")");
		if (p->keyline[KEY_PRIVATE_KEY] == 0)
			return perr(p, p->sec_line, "[node]: missing "
			    "private-key (expected private-key = the file "
			    "holding this node's private key)");
		if (p->keyline[KEY_USER] == 0 &&
		    resolve_user(p, p->sec_line, CONFIG_DEFAULT_USER, 1) == -1)
			return -1;
		if (conf->dead_after > conf->heartbeat_interval)
			break;
		if ((line = p->keyline[KEY_DEAD_AFTER]) != 0)
			return perr(p, line, "dead-after: %u must be greater "
			    "than heartbeat-interval (%u)", conf->dead_after,
			    conf->heartbeat_interval);
		return perr(p, p->keyline[KEY_HEARTBEAT], "heartbeat-interval: "
		    "%u must be less than dead-after (%u, the default)",
		    conf->heartbeat_interval, conf->dead_after);
	case SEC_GATEWAY:
		if (gateway_end(p) == -1)
			return -1;
		break;
	case SEC_PEER:
		if (peer_gateway_end(p) == -1)
			return -1;
		if (pc->wire == CONFIG_WIRE_LEGACY) {
			if (legacy_peer_end(p) == -1)
				return -1;
		} else if (p->keyline[KEY_PUBLIC_KEY] == 0)
			return perr(p, p->sec_line, "[peer %s]: missing "
			    "public-key (expected public-key = the peer's "
			    "base64 public key)", pc->name);
		/* A gateway's clients send from what they lease. */
		if (pc->n_allowed == 0 && p->gateway_line == 0)
			pwarn(p, p->sec_line, "[peer %s]: no allowed-ips: it "
			    "can send no packet and announce no route",
			    pc->name);
		if (p->keyline[KEY_INTERFACE] != 0)
			break;
		if (strlen(CONFIG_IFPREFIX) + strlen(pc->name) >= IFNAMSIZ)
			return perr(p, p->sec_line, "[peer %s]: the default "
			    "interface name \"" CONFIG_IFPREFIX "%s\" is "
			    "longer than %d characters; set interface",
			    pc->name, pc->name, IFNAMSIZ - 1);
		snprintf(pc->ifname, sizeof(pc->ifname), CONFIG_IFPREFIX "%s",
		    pc->name);
		if ((o = keyidx_get_str(&p->ifnames, pc->ifname)) != NULL)
			return perr(p, p->sec_line, "[peer %s]: the "
			    "default interface %s is also the "
			    "interface of peer %s (line %d); set "
			    "interface", pc->name, pc->ifname,
			    o->name, o->line);
		if (index_add(p, &p->ifnames, pc->ifname,
		    strlen(pc->ifname), pc) == -1)
			return -1;
		break;
	}
	p->sec = SEC_NONE;
	p->peer = NULL;
	return 0;
}

static int
section_begin(struct parse *p, char *name)
{
	struct config		*conf = p->conf;
	struct peer_conf	*pc;
	char			*s, *e;

	if (section_end(p) == -1)
		return -1;
	memset(p->keyline, 0, sizeof(p->keyline));
	p->sec_line = p->line;
	for (s = name; *s == ' ' || *s == '\t'; s++)
		;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*e = '\0';

	if (strcmp(s, "node") == 0) {
		if (p->node_line != 0)
			return perr(p, p->line, "duplicate [node] section "
			    "(first at line %d)", p->node_line);
		p->node_line = p->line;
		p->sec = SEC_NODE;
		return 0;
	}
	if (strcmp(s, "gateway") == 0) {
		if (p->gateway_line != 0)
			return perr(p, p->line, "duplicate [gateway] section "
			    "(first at line %d)", p->gateway_line);
		p->gateway_line = p->line;
		conf->gw.enabled = 1;
		p->sec = SEC_GATEWAY;
		return 0;
	}
	if (strncmp(s, "peer", 4) != 0 ||
	    (s[4] != ' ' && s[4] != '\t' && s[4] != '\0'))
		return perr(p, p->line, "unknown section [%s] (expected [node], "
		    "[gateway] or [peer NAME])", s);
	for (s += 4; *s == ' ' || *s == '\t'; s++)
		;
	if (*s == '\0')
		return perr(p, p->line, "[peer] without a name (expected "
		    "[peer NAME])");
	if (!name_valid(s))
		return perr(p, p->line, "[peer %s]: \"%s\" is not a valid peer "
		    "name (expected " NAME_EXPECT ")", s, s);
	if ((pc = keyidx_get_str(&p->names, s)) != NULL)
		return perr(p, p->line, "duplicate peer name \"%s\" "
		    "(first at line %d)", s, pc->line);
	if (strcmp(conf->name, s) == 0)
		return perr(p, p->line, "[peer %s]: \"%s\" is this node's own "
		    "name", s, s);
	if (conf->n_peers == CONFIG_PEERS_MAX)
		return perr(p, p->line, "more than %d peers",
		    CONFIG_PEERS_MAX);
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return perr(p, p->line, "%s", strerror(errno));
	strcpy(pc->name, s);
	pc->mtu = CONFIG_DEFAULT_MTU;
	pc->metric = CONFIG_DEFAULT_METRIC;
	pc->max_routes = CONFIG_DEFAULT_MAX_ROUTES;
	pc->line = p->line;
	TAILQ_INSERT_TAIL(&conf->peers, pc, entry);
	conf->n_peers++;
	if (index_add(p, &p->names, pc->name, strlen(pc->name), pc) == -1)
		return -1;
	p->peer = pc;
	p->sec = SEC_PEER;
	return 0;
}

/*
 * inih's find_chars_or_comment(): the first of `chars', or the start of
 * an inline comment (a ';' after white space), or the end of the string.
 */
static char *
find_chars_or_comment(char *s, const char *chars)
{
	int	was_space = 0;

	while (*s != '\0' && strchr(chars, *s) == NULL &&
	    !(was_space && *s == ';')) {
		was_space = *s == ' ' || *s == '\t';
		s++;
	}
	return s;
}

/*
 * inih's line source.  Reading the line ourselves lets us count lines,
 * refuse a line inih would cut in two, and see each [section] header
 * (and so its line, and empty sections) before inih does.  Leading white
 * space is stripped, which also keeps inih's multi-line continuation
 * (an indented line) from turning a stray indent into a repeated key.
 */
static char *
reader(char *str, int num, void *arg)
{
	struct parse	*p = arg;
	size_t		 len = 0, max, i;
	int		 c;
	char		*s, *e, *t;
	char		 hdr[INI_MAX_LINE];

	if (p->failed || num < 4)
		return NULL;
	/* Room for the line, a newline and the NUL, as inih asks. */
	max = (size_t)num - 3;
	while ((c = getc(p->fp)) != EOF && c != '\n') {
		if (len < (size_t)num - 1)
			str[len] = c;
		len++;
	}
	if (c == EOF && ferror(p->fp)) {
		perr(p, 0, "cannot read: %s", strerror(errno));
		return NULL;
	}
	if (c == EOF && len == 0)
		return NULL;
	p->line++;
	if (len > 0 && len < (size_t)num && str[len - 1] == '\r')
		len--;
	if (len > max) {
		perr(p, p->line, "line too long (%zu characters, at most %zu)",
		    len, max);
		return NULL;
	}
	str[len] = '\0';
	for (i = 0; i < len; i++) {
		c = (unsigned char)str[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			perr(p, p->line, "control character 0x%02x in line",
			    c);
			return NULL;
		}
	}

	s = str;
	if (p->line == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (*s == ' ' || *s == '\t')
		s++;
	memmove(str, s, strlen(s) + 1);
	s = str;
	if (*s == '\0' || *s == ';' || *s == '#')
		return str;

	if (*s == '[') {
		e = find_chars_or_comment(s + 1, "]");
		if (*e != ']') {
			perr(p, p->line, "section header without a closing "
			    "']' (expected [node] or [peer NAME])");
			return NULL;
		}
		for (t = e + 1; *t == ' ' || *t == '\t'; t++)
			;
		if (*t != '\0' && *t != ';') {
			perr(p, p->line, "unexpected \"%s\" after ']'", t);
			return NULL;
		}
		if ((size_t)(e - s - 1) >= sizeof(hdr)) {
			perr(p, p->line, "section header too long");
			return NULL;
		}
		memcpy(hdr, s + 1, e - s - 1);
		hdr[e - s - 1] = '\0';
		if (section_begin(p, hdr) == -1)
			return NULL;
		return str;
	}

	e = find_chars_or_comment(s, "=:");
	if (*e != '=' && *e != ':') {
		perr(p, p->line, "expected \"key = value\", a [section] or a "
		    "comment");
		return NULL;
	}
	return str;
}

int
listen_conf_equal(const struct listen_conf *a, const struct listen_conf *b)
{
	return a->sslen == b->sslen && memcmp(&a->ss, &b->ss, a->sslen) == 0;
}

/* The keys of a section, as keywords[] has them, for error messages. */
static const char *
section_keys(enum section sec)
{
	static char	text[SEC_N][512];
	char		*t = text[sec];
	size_t		 i;

	if (t[0] != '\0')
		return t;
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (keywords[i].sec == sec)
			snprintf(t + strlen(t), sizeof(text[0]) - strlen(t),
			    "%s%s", t[0] != '\0' ? ", " : "",
			    keywords[i].name);
	return t;
}

static int
handler(void *arg, const char *section, const char *name, const char *value)
{
	struct parse		*p = arg;
	const struct keyword	*kw = NULL;
	char			 buf[INI_MAX_LINE];
	char			 where[CONFIG_NAME_MAX + 8];
	size_t			 i;

	if (p->failed)
		return 0;
	if (p->sec == SEC_NONE) {
		perr(p, p->line, "\"%s\" outside of any section (expected "
		    "[node], [gateway] or [peer NAME] first)", name);
		return 0;
	}
	if (p->sec == SEC_NODE)
		snprintf(where, sizeof(where), "[node]");
	else if (p->sec == SEC_GATEWAY)
		snprintf(where, sizeof(where), "[gateway]");
	else
		snprintf(where, sizeof(where), "[peer %s]", p->peer->name);
	if (*name == '\0') {
		perr(p, p->line, "missing key before '=' (expected one of: %s)",
		    section_keys(p->sec));
		return 0;
	}
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (keywords[i].sec == p->sec &&
		    strcmp(keywords[i].name, name) == 0)
			kw = &keywords[i];
	if (kw == NULL) {
		perr(p, p->line, "unknown key \"%s\" in %s (expected one of: "
		    "%s)", name, where, section_keys(p->sec));
		return 0;
	}
	/* A list may go on over several lines; anything else is a typo. */
	if (p->keyline[kw->key] != 0 && !kw->list) {
		perr(p, p->line, "duplicate key \"%s\" in %s (first at line "
		    "%d)", name, where, p->keyline[kw->key]);
		return 0;
	}
	if (p->keyline[kw->key] == 0)
		p->keyline[kw->key] = p->line;
	if (!kw->list && *value == '\0') {
		perr(p, p->line, "%s: empty value", name);
		return 0;
	}
	/* The setters split lists in place. */
	if (strlen(value) >= sizeof(buf)) {
		perr(p, p->line, "%s: value too long", name);
		return 0;
	}
	strcpy(buf, value);
	return kw->set(p, kw->name, buf) == 0;
}

static struct config *
config_new(void)
{
	struct config	*conf;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		return NULL;
	TAILQ_INIT(&conf->peers);
	strcpy(conf->control, CONFIG_DEFAULT_CONTROL);
	conf->heartbeat_interval = CONFIG_DEFAULT_HEARTBEAT;
	conf->dead_after = CONFIG_DEFAULT_DEAD;
	conf->offload = 1;
	conf->fwmark = CONFIG_DEFAULT_FWMARK;
	conf->gw.lease_time = CONFIG_DEFAULT_LEASE_TIME;
	conf->gw.max_clients = CONFIG_DEFAULT_MAX_CLIENTS;
	strcpy(conf->gw.state_dir, CONFIG_DEFAULT_STATE_DIR);
	return conf;
}

struct config *
config_parse(const char *path, char *err, size_t errlen)
{
	struct parse	 p;
	int		 r, fd;

	memset(&p, 0, sizeof(p));
	p.path = path;
	p.err = err;
	p.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if ((p.conf = config_new()) == NULL) {
		perr(&p, 0, "%s", strerror(errno));
		return NULL;
	}
	if (strlen(path) >= sizeof(p.conf->file)) {
		perr(&p, 0, "path too long");
		goto fail;
	}
	strcpy(p.conf->file, path);
	/* Not a FIFO that blocks, nor /dev/zero that never ends. */
	if ((fd = file_open_regular(path, CONFIG_FILE_MAX)) == -1) {
		if (errno == ENOTSUP)
			perr(&p, 0, "cannot open: not a regular file");
		else if (errno == EFBIG)
			perr(&p, 0, "cannot open: larger than %d MiB",
			    CONFIG_FILE_MAX / (1024 * 1024));
		else
			perr(&p, 0, "cannot open: %s", strerror(errno));
		goto fail;
	}
	if ((p.fp = fdopen(fd, "r")) == NULL) {
		perr(&p, 0, "cannot open: %s", strerror(errno));
		close(fd);
		goto fail;
	}
	r = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.fp);
	/* Our reader and handler name every error; this is a safety net. */
	if (!p.failed && r > 0)
		perr(&p, r, "syntax error (expected \"key = value\" or a "
		    "[section])");
	else if (!p.failed && r < 0)
		perr(&p, 0, "cannot parse: %s", strerror(ENOMEM));
	if (p.failed || section_end(&p) == -1)
		goto fail;
	if (p.node_line == 0) {
		perr(&p, 0, "missing [node] section");
		goto fail;
	}
	index_free(&p);
	return p.conf;
fail:
	index_free(&p);
	config_free(p.conf);
	return NULL;
}

static int
compat_user(struct config *conf)
{
	const char	*users[] = {
		CONFIG_DEFAULT_USER, CONFIG_COMPAT_USER2
	};
	struct passwd	*pw;
	size_t		 i;

	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		if ((pw = getpwnam(users[i])) == NULL || pw->pw_uid == 0)
			continue;
		strcpy(conf->user, users[i]);
		conf->uid = pw->pw_uid;
		conf->gid = pw->pw_gid;
		return 0;
	}
	return -1;
}

/*
 * Read the seed's secret: exactly 32 raw bytes.  Count what is there so a
 * base64 or newline-terminated file gets a message that says so.
 */
static int
compat_secret(const char *path, uint8_t secret[KEY_LEN], char *err,
    size_t errlen)
{
	uint8_t		 buf[KEY_LEN + 1], scratch[512], *dst;
	size_t		 total = 0, room;
	ssize_t		 n;
	int		 fd, r = -1;

	if ((fd = file_open_regular(path, CONFIG_SECRET_SCAN_MAX)) == -1) {
		if (errno == ENOTSUP)
			cerr(err, errlen, "%s: not a regular file", path);
		else if (errno == EFBIG)
			cerr(err, errlen, "%s: must hold exactly %d bytes, "
			    "found more than %d", path, KEY_LEN,
			    CONFIG_SECRET_SCAN_MAX);
		else
			cerr(err, errlen, "%s: cannot open: %s", path,
			    strerror(errno));
		return -1;
	}
	while (total <= CONFIG_SECRET_SCAN_MAX) {
		dst = total < sizeof(buf) ? buf + total : scratch;
		room = total < sizeof(buf) ? sizeof(buf) - total :
		    sizeof(scratch);
		if ((n = read(fd, dst, room)) == -1) {
			if (errno == EINTR)
				continue;
			cerr(err, errlen, "%s: cannot read: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		total += n;
	}
	if (total > CONFIG_SECRET_SCAN_MAX)
		cerr(err, errlen, "%s: must hold exactly %d bytes, found more "
		    "than %d", path, KEY_LEN, CONFIG_SECRET_SCAN_MAX);
	else if (total != KEY_LEN)
		cerr(err, errlen, "%s: must hold exactly %d bytes, found %zu "
		    "(make one with: head -c %d /dev/urandom)", path, KEY_LEN,
		    total, KEY_LEN);
	else {
		memcpy(secret, buf, KEY_LEN);
		r = 0;
	}
out:
	close(fd);
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(scratch, sizeof(scratch));
	return r;
}

struct config *
config_compat(const char *ifname, const char *ip, const char *port,
    const char *server, const char *secret, int legacy, char *err,
    size_t errlen)
{
	struct config		*conf = NULL;
	struct peer_conf	*pc;
	struct listen_conf	 lc;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&lc.ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&lc.ss;
	uint8_t			 psk[KEY_LEN], priv[KEY_LEN];
	unsigned long		 pn;
	int			 listen, r;

	if (errlen > 0)
		err[0] = '\0';
	if (!ifname_valid(ifname)) {
		cerr(err, errlen, "interface name \"%s\" is not valid "
		    "(expected " IFNAME_EXPECT ")", ifname);
		return NULL;
	}
	if (strcmp(server, "1") == 0)
		listen = 1;
	else if (strcmp(server, "0") == 0)
		listen = 0;
	else {
		cerr(err, errlen, "server flag \"%s\" must be 1 (listen on "
		    "IP:PORT) or 0 (dial IP:PORT)", server);
		return NULL;
	}
	if (parse_uint(port, 65535, &pn) == -1 || pn == 0) {
		cerr(err, errlen, "port \"%s\" is not a number from 1 to "
		    "65535", port);
		return NULL;
	}
	memset(&lc, 0, sizeof(lc));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(pn);
		lc.sslen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(pn);
		lc.sslen = sizeof(*sin6);
	} else {
		cerr(err, errlen, "\"%s\" is not a numeric IPv4 or IPv6 "
		    "address", ip);
		return NULL;
	}
	endpoint_format((struct sockaddr *)&lc.ss, lc.text);
	if (strlen(secret) >= sizeof(pc->psk_file)) {
		cerr(err, errlen, "%s: path too long", secret);
		return NULL;
	}
	if (compat_secret(secret, psk, err, errlen) == -1)
		return NULL;

	if ((conf = config_new()) == NULL ||
	    (pc = calloc(1, sizeof(*pc))) == NULL) {
		cerr(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	TAILQ_INSERT_TAIL(&conf->peers, pc, entry);
	conf->n_peers = 1;
	conf->compat = 1;

	/*
	 * Both ends hold the same secret, so both derive the same static
	 * key pair and each expects the other to present it.  The secret
	 * itself is the psk: without it that public key is worth nothing.
	 */
	crypto_generichash(priv, sizeof(priv),
	    (const uint8_t *)CONFIG_COMPAT_LABEL, strlen(CONFIG_COMPAT_LABEL),
	    psk, sizeof(psk));
	r = hs_keypair_from_private(&conf->key, priv);
	sodium_memzero(priv, sizeof(priv));
	if (r == -1) {
		cerr(err, errlen, "%s: cannot derive a key pair from the "
		    "secret", secret);
		goto fail;
	}
	strcpy(conf->name, CONFIG_COMPAT_NAME);
	snprintf(conf->control, sizeof(conf->control),
	    "/run/ipcp/ipcpd-%s.sock", ifname);
	if (compat_user(conf) == -1) {
		cerr(err, errlen, "neither user %s nor user %s exists",
		    CONFIG_DEFAULT_USER, CONFIG_COMPAT_USER2);
		goto fail;
	}
	if (listen) {
		conf->listen[0] = lc;
		conf->n_listen = 1;
	} else {
		endpoint_spec_from_sa(&pc->endpoint,
		    (const struct sockaddr *)&lc.ss, lc.sslen);
		pc->has_endpoint = 1;
	}

	strcpy(pc->name, CONFIG_COMPAT_NAME);
	memcpy(pc->pubkey, conf->key.pub, KEY_LEN);
	pc->has_psk = 1;
	strcpy(pc->psk_file, secret);
	memcpy(pc->psk, psk, KEY_LEN);
	/* The user's own ip commands decide what goes through the tunnel. */
	prefix_parse("0.0.0.0/0", &pc->allowed[0]);
	prefix_parse("::/0", &pc->allowed[1]);
	pc->n_allowed = 2;
	strcpy(pc->ifname, ifname);
	pc->mtu = CONFIG_DEFAULT_MTU;
	pc->metric = CONFIG_DEFAULT_METRIC;
	pc->max_routes = CONFIG_DEFAULT_MAX_ROUTES;
	if (legacy) {
		/* The original's secret is its frame key, as it is. */
		pc->wire = CONFIG_WIRE_LEGACY;
		legacy_identity(pc, psk);
		if (!pc->has_endpoint)
			conf->legacy_waiting = 1;
		/* No offloads: TSO super-packets do not fit its frames. */
		conf->offload = 0;
	}
	sodium_memzero(psk, sizeof(psk));
	return conf;
fail:
	sodium_memzero(psk, sizeof(psk));
	config_free(conf);
	return NULL;
}

void
config_free(struct config *conf)
{
	struct peer_conf	*pc;

	if (conf == NULL)
		return;
	while ((pc = TAILQ_FIRST(&conf->peers)) != NULL) {
		TAILQ_REMOVE(&conf->peers, pc, entry);
		sodium_memzero(pc, sizeof(*pc));
		free(pc);
	}
	sodium_memzero(conf, sizeof(*conf));
	free(conf);
}

int
config_absolute(struct config *conf)
{
	char	path[PATH_MAX];

	if (conf->file[0] == '/')
		return 0;
	if (realpath(conf->file, path) == NULL)
		return -1;
	if (strlen(path) >= sizeof(conf->file)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(conf->file, path);
	return 0;
}

struct peer_conf *
config_peer_by_key(const struct config *conf, const uint8_t pubkey[KEY_LEN])
{
	struct peer_conf	*pc;

	TAILQ_FOREACH(pc, &conf->peers, entry)
		if (sodium_memcmp(pc->pubkey, pubkey, KEY_LEN) == 0)
			return pc;
	return NULL;
}
