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

#include "handshake.h"
#include "util.h"

#define CONFIG_NAME_MAX		32	/* node and peer names */
#define CONFIG_USER_MAX		32
#define CONFIG_LIST_MAX		64	/* entries in one comma list */
#define CONFIG_PEERS_MAX	1024
#define CONFIG_DEFAULT_FILE	"/etc/ipcp/ipcpd.conf"
#define CONFIG_DEFAULT_CONTROL	"/run/ipcp/ipcpd.sock"
#define CONFIG_DEFAULT_USER	"ipcp"
#define CONFIG_DEFAULT_HEARTBEAT 5
#define CONFIG_DEFAULT_DEAD	15
#define CONFIG_DEFAULT_MTU	1500

struct listen_conf {
	struct sockaddr_storage	ss;
	socklen_t		sslen;
	char			text[ENDPOINT_STRLEN];
};

struct peer_conf {
	TAILQ_ENTRY(peer_conf)	entry;
	char			name[CONFIG_NAME_MAX + 1];
	uint8_t			pubkey[KEY_LEN];
	int			has_endpoint;
	struct listen_conf	endpoint;
	int			has_psk;
	char			psk_file[PATH_MAX];
	uint8_t			psk[KEY_LEN];
	struct prefix		allowed[CONFIG_LIST_MAX];
	size_t			n_allowed;
	char			ifname[IFNAMSIZ];
	unsigned		mtu;
	int			line;		/* of the [peer] header */
};

TAILQ_HEAD(peer_conf_head, peer_conf);

struct config {
	char			file[PATH_MAX];
	char			name[CONFIG_NAME_MAX + 1];
	char			private_key_file[PATH_MAX];
	struct hs_keypair	key;
	struct listen_conf	listen[CONFIG_LIST_MAX];
	size_t			n_listen;
	struct prefix		address[CONFIG_LIST_MAX];
	size_t			n_address;
	char			user[CONFIG_USER_MAX + 1];
	uid_t			uid;
	gid_t			gid;
	char			control[108];	/* sun_path */
	unsigned		heartbeat_interval;	/* seconds */
	unsigned		dead_after;		/* seconds */
	/* TUN segmentation and checksum offloads (TUNSETOFFLOAD). */
	int			offload;
	struct peer_conf_head	peers;
	size_t			n_peers;
	/*
	 * Seed mode (ipcpd IFNAME IP PORT SERVERFLAG SECRETFILE): one peer,
	 * both sides share a static key derived from the secret.
	 */
	int			compat;
};

/* config.c */
/*
 * Parse `path'.  On error returns NULL and writes "file:line: message"
 * (or "file: message") into err.
 */
struct config	*config_parse(const char *path, char *err, size_t errlen);
/*
 * The seed command line.  `server' is "1" (listen on ip:port) or "0"
 * (dial ip:port); the secret file holds exactly 32 raw bytes.
 */
struct config	*config_compat(const char *ifname, const char *ip,
		    const char *port, const char *server, const char *secret,
		    char *err, size_t errlen);
void		 config_free(struct config *);
struct peer_conf *config_peer_by_key(const struct config *,
		    const uint8_t pubkey[KEY_LEN]);

/* printconf.c */
/* The canonical form: parses again to the same config.  No secrets. */
void		 config_print(FILE *, const struct config *);

#endif
