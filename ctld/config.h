/* SPDX-License-Identifier: ISC */
/*
 * ipcpd's configuration, as parsed from one INI file (config.c, with inih)
 * or made up from the seed command line (config_compat).  A config is
 * immutable once parsed; reload builds a fresh one and diffs.
 */
#ifndef IPCP_CONFIG_H
#define IPCP_CONFIG_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <net/if.h>

#include <limits.h>
#include <stdio.h>

#include "endpoint.h"
#include "handshake.h"
#include "util.h"

#define CONFIG_NAME_MAX		32	/* node and peer names */
#define CONFIG_USER_MAX		32
/*
 * Entries a list key may hold in all: it may be repeated, each line
 * adding to what the earlier ones said (as wg-quick's AllowedIPs).
 */
#define CONFIG_LISTEN_MAX	64
#define CONFIG_PREFIX_MAX	256	/* address, announce, allowed-ips */
#define CONFIG_PEERS_MAX	8192
#define CONFIG_WARN_MAX		16
#define CONFIG_WARN_LEN		256
/* A config file is text a person wrote; past this it is not one. */
#define CONFIG_FILE_MAX		(4 * 1024 * 1024)
#define CONFIG_DEFAULT_FILE	"/etc/ipcp/ipcpd.conf"
#define CONFIG_DEFAULT_CONTROL	"/run/ipcp/ipcpd.sock"
#define CONFIG_DEFAULT_USER	"ipcp"
#define CONFIG_DEFAULT_HEARTBEAT 5
#define CONFIG_DEFAULT_DEAD	15
#define CONFIG_DEFAULT_MTU	1500
#define CONFIG_DEFAULT_METRIC	10
#define CONFIG_METRIC_MAX	65535
#define CONFIG_DEFAULT_MAX_ROUTES 1000
/* [gateway] */
#define CONFIG_DEFAULT_LEASE_TIME 3600
#define CONFIG_LEASE_TIME_MIN	30
#define CONFIG_LEASE_TIME_MAX	(366 * 86400)
#define CONFIG_DEFAULT_MAX_CLIENTS 1000
#define CONFIG_MAX_CLIENTS_MAX	65536
#define CONFIG_DEFAULT_STATE_DIR "/var/lib/ipcp"
#define CONFIG_DNS_MAX		8	/* nameservers pushed (MSG_LEASE_DNS_MAX) */
/* A passcode is a line a person types, not a key file. */
#define CONFIG_PASSCODE_MAX	1024
/*
 * The mark on our outer TCP sockets, and the routing table a full-tunnel
 * default route goes into (as wg-quick uses one number for both).
 */
#define CONFIG_DEFAULT_FWMARK	0x6970
#define CONFIG_MAX_ROUTES_MAX	1000000

struct listen_conf {
	struct sockaddr_storage	ss;
	socklen_t		sslen;
	char			text[ENDPOINT_STRLEN];
};

/* Which protocol a peer speaks. */
#define CONFIG_WIRE_IPCP	0	/* ours: Noise handshake, AEAD frames */
#define CONFIG_WIRE_LEGACY	1	/* the original ipcp's (legacy.h) */

/*
 * Every passcode client's interface starts so ("ipcp-c-0123abcd",
 * openpeer.c): nftables rules match them by this pattern, so one joining
 * or leaving changes no table.
 */
#define OPENPEER_IFPREFIX	"ipcp-c-"

struct peer_conf {
	TAILQ_ENTRY(peer_conf)	entry;
	/*
	 * CONFIG_WIRE_LEGACY: no public key (pubkey is a hash of the psk,
	 * an identity for reload only); psk is the one key both ways.
	 */
	int			wire;
	char			name[CONFIG_NAME_MAX + 1];
	uint8_t			pubkey[KEY_LEN];
	int			has_endpoint;
	/* A name is resolved on each dial (dial.c), not here. */
	struct endpoint_spec	endpoint;
	int			has_psk;
	char			psk_file[PATH_MAX];
	uint8_t			psk[KEY_LEN];
	struct prefix		allowed[CONFIG_PREFIX_MAX];
	size_t			n_allowed;
	char			ifname[IFNAMSIZ];
	unsigned		mtu;
	/* Added to the cost of every route learned from this peer. */
	unsigned		metric;
	/* More prefixes than this from the peer close its session. */
	unsigned		max_routes;
	int			line;		/* of the [peer] header */
	/*
	 * Gateway client (lease = on): take an address, routes and DNS
	 * from this peer.  full-tunnel: everything through it but our
	 * marked outer sockets; killswitch: nothing leaves outside ipcp
	 * (node-wide, the union of every peer's killswitch-allow).
	 */
	int			lease;
	int			full_tunnel;
	int			killswitch;
	int			dns;
	struct prefix		killswitch_allow[CONFIG_PREFIX_MAX];
	size_t			n_killswitch_allow;
	/* passcode = FILE: psk is derived from it (config_passcode_key). */
	int			has_passcode;
	/*
	 * Not from the file: a client that joined a gateway with the
	 * passcode (its own TUN, like a listed peer, gone with its lease).
	 */
	int			open;
};

TAILQ_HEAD(peer_conf_head, peer_conf);

/* [gateway]: lease addresses, routes and DNS to clients (gateway.c). */
struct gateway_conf {
	int			enabled;	/* the section is there */
	struct prefix		pool[CONFIG_PREFIX_MAX];
	size_t			n_pool;
	struct prefix		routes[CONFIG_PREFIX_MAX];
	size_t			n_routes;
	struct prefix		dns[CONFIG_PREFIX_MAX];	/* hosts */
	size_t			n_dns;
	int			nat;
	int			secure;
	unsigned		lease_time;	/* seconds */
	int			has_passcode;
	char			passcode_file[PATH_MAX];
	uint8_t			passcode[KEY_LEN];	/* the derived psk */
	unsigned		max_clients;
	char			state_dir[PATH_MAX];
};

struct config {
	char			file[PATH_MAX];
	char			name[CONFIG_NAME_MAX + 1];
	char			private_key_file[PATH_MAX];
	struct hs_keypair	key;
	struct listen_conf	listen[CONFIG_LISTEN_MAX];
	size_t			n_listen;
	/* Host addresses (/32, /128) on every TUN, announced as such. */
	struct prefix		address[CONFIG_PREFIX_MAX];
	size_t			n_address;
	/* More prefixes this node routes for (a LAN behind it). */
	struct prefix		announce[CONFIG_PREFIX_MAX];
	size_t			n_announce;
	char			user[CONFIG_USER_MAX + 1];
	uid_t			uid;
	gid_t			gid;
	char			control[108];	/* sun_path */
	unsigned		heartbeat_interval;	/* seconds */
	unsigned		dead_after;		/* seconds */
	/* TUN segmentation and checksum offloads (TUNSETOFFLOAD). */
	int			offload;
	/* SO_MARK of the outer sockets; the full-tunnel routing table. */
	uint32_t		fwmark;
	struct gateway_conf	gw;
	struct peer_conf_head	peers;
	size_t			n_peers;
	/*
	 * Seed mode (ipcpd IFNAME IP PORT SERVERFLAG SECRETFILE): one peer,
	 * both sides share a static key derived from the secret.
	 */
	int			compat;
	/* What is allowed but probably a mistake: "file:line: warning: ". */
	char			warning[CONFIG_WARN_MAX][CONFIG_WARN_LEN];
	size_t			n_warning;
	/*
	 * Legacy peers without an endpoint: while there are any, accepted
	 * connections are told apart by their first bytes (hsconn.c).
	 */
	size_t			legacy_waiting;
};

/* What reload does to one peer (config_diff.c). */
enum reconf_action {
	RECONF_KEEP,
	RECONF_CHANGE,
	RECONF_RESTART,
	RECONF_ADD,
	RECONF_DELETE,
	RECONF_NACTIONS
};

/* Node-level changes, as flags. */
#define RECONF_NODE_NAME	0x001
#define RECONF_NODE_KEY		0x002
#define RECONF_NODE_USER	0x004
#define RECONF_NODE_LISTEN	0x008
#define RECONF_NODE_ADDRESS	0x010
#define RECONF_NODE_ANNOUNCE	0x020
#define RECONF_NODE_TIMERS	0x040
#define RECONF_NODE_OFFLOAD	0x080
#define RECONF_NODE_CONTROL	0x100
#define RECONF_NODE_GATEWAY	0x200	/* anything in [gateway] */
#define RECONF_NODE_FWMARK	0x400

struct reconf_peer {
	enum reconf_action	 action;
	const struct peer_conf	*old;	/* NULL when added */
	const struct peer_conf	*new;	/* NULL when removed */
};

struct reconf {
	unsigned		 node;
	struct reconf_peer	*peers;
	size_t			 n_peers;
	size_t			 count[RECONF_NACTIONS];
};

/* config.c */
/*
 * Parse `path'.  On error returns NULL and writes "file:line: message"
 * (or "file: message") into err.
 */
struct config	*config_parse(const char *path, char *err, size_t errlen);
/*
 * The seed command line.  `server' is "1" (listen on ip:port) or "0"
 * (dial ip:port); the secret file holds exactly 32 raw bytes.  legacy:
 * speak the original ipcp's wire with that secret as its key (--legacy).
 */
struct config	*config_compat(const char *ifname, const char *ip,
		    const char *port, const char *server, const char *secret,
		    int legacy, char *err, size_t errlen);
void		 config_free(struct config *);
/* A control socket path as `control' and ipcpd -s take it; -1 and err. */
int		 config_control_check(const char *path, char *err, size_t);
/*
 * The psk a passcode stands for: BLAKE2b-256 keyed with a label, of the
 * passcode (the file's first line).  Both ends derive it the same way, so
 * nothing about the passcode crosses the wire.
 */
void		 config_passcode_key(const char *passcode, size_t len,
		    uint8_t out[KEY_LEN]);
/*
 * A file of the gateway's state: "<state-dir>/<node name>.<ext>"
 * ("leases", "sysctl"); -1 with ENAMETOOLONG.
 */
int		 config_state_file(const struct config *, const char *ext,
		    char *out, size_t len);
/* Any peer with full-tunnel, killswitch: node-wide effects. */
int		 config_full_tunnel(const struct config *);
int		 config_killswitch(const struct config *);
/* Make conf->file absolute, so a reload finds it from anywhere. */
int		 config_absolute(struct config *);
struct peer_conf *config_peer_by_key(const struct config *,
		    const uint8_t pubkey[KEY_LEN]);
/* The same address and port. */
int		 listen_conf_equal(const struct listen_conf *,
		    const struct listen_conf *);

/* config_diff.c */
/* Classify every peer of old and new; 0, or -1 with errno ENOMEM. */
int		 config_diff(const struct config *old,
		    const struct config *new, struct reconf *);
void		 config_diff_free(struct reconf *);
/* The same [gateway], passcode included. */
int		 config_gateway_equal(const struct gateway_conf *,
		    const struct gateway_conf *);
/* "kept", "changed", "restarted", "added", "removed". */
const char	*reconf_action_name(enum reconf_action);

/* printconf.c */
/* The canonical form: parses again to the same config.  No secrets. */
void		 config_print(FILE *, const struct config *);

#endif
