/* SPDX-License-Identifier: ISC */
/*
 * ipcpd, the supervisor.  It owns the config, the node's static key, the
 * TUN devices, rtnetlink, the listeners, the handshakes and the control
 * socket, and starts one sandboxed ipcp-fwd per peer session.  It never
 * reads a data-plane frame: from the network it reads only the fixed-size
 * handshake messages (hsconn.c).
 *
 * Everything runs on one libuv loop.  Prototypes are grouped by file.
 */
#ifndef IPCP_IPCPD_H
#define IPCP_IPCPD_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>

#include <uv.h>

#include "config.h"
#include "handshake.h"
#include "util.h"

/* Handshake limits (hsconn.c). */
#define HSCONN_MAX		64	/* unauthenticated connections, total */
#define HSCONN_MAX_PER_SRC	8	/* ... from one source address */
#define HSCONN_TIMEOUT_MS	5000	/* connect + handshake must finish */

/* Redial backoff (peer.c). */
#define PEER_BACKOFF_MIN_MS	1000
#define PEER_BACKOFF_MAX_MS	30000
/* A session that lived this long resets the backoff. */
#define PEER_STABLE_MS		10000
/*
 * Two sessions that overlap this closely come from both sides dialing at
 * once; keep the one the lower public key initiated, as both sides agree.
 */
#define PEER_SIMUL_MS		5000

/* How long forwarders get to say goodbye at shutdown. */
#define FWD_STOP_MS		2000

enum peer_state {
	PEER_STATE_WAITING,	/* no endpoint: waiting for the peer to dial */
	PEER_STATE_CONNECTING,	/* dialing and handshaking */
	PEER_STATE_BACKOFF,	/* waiting to redial */
	PEER_STATE_UP,		/* a forwarder runs the session */
	PEER_STATE_STOPPED,	/* shutting down */
};

enum peer_event {
	PEER_EV_START,
	PEER_EV_DIAL_FAILED,
	PEER_EV_TIMER,
	PEER_EV_SESSION_UP,
	PEER_EV_SESSION_DOWN,
	PEER_EV_STOP,
};

struct fwdproc;
struct hsconn;

struct peer_stats {
	uint64_t	rx_bytes, tx_bytes, rx_packets, tx_packets;
	uint64_t	rtt_us;
};

struct peer {
	TAILQ_ENTRY(peer)	 entry;
	const struct peer_conf	*conf;
	enum peer_state		 state;
	int			 tun_fd;
	int			 ifindex;
	uv_timer_t		 timer;		/* backoff */
	unsigned		 backoff_ms;
	uint32_t		 reconnects;
	/* Newest TAI64N accepted in a msg1 from this peer (replay). */
	uint8_t			 last_ts[HS_TAI64N_LEN];
	struct hsconn		*dial;		/* our outbound attempt */
	struct fwdproc		*fwd;		/* the current session */
	uint64_t		 session_start_ms;
	int			 session_initiator; /* 1: we dialed */
	int			 cipher;
	char			 remote[ENDPOINT_STRLEN];
	struct peer_stats	 stats;
	/* Routes installed from the peer's hello (route.c). */
	struct prefix		 routes[CONFIG_LIST_MAX];
	size_t			 n_routes;
};

TAILQ_HEAD(peer_head, peer);

struct listener {
	int			 fd;
	uv_poll_t		 poll;
	const struct listen_conf *conf;
};

/* The daemon's state; one instance, see ipcpd.c. */
struct ipcpd {
	uv_loop_t		*loop;
	struct config		*conf;
	struct peer_head	 peers;
	struct listener		*listeners;
	size_t			 n_listeners;
	uint64_t		 start_ms;
	int			 stopping;
	char			 fwd_path[PATH_MAX];
	uint32_t		 local_caps;
};

extern struct ipcpd *ipcpd;

/* ipcpd.c */
void		 ipcpd_shutdown_check(void);

/* peer.c */
int		 peer_init_all(void);
void		 peer_start_all(void);
void		 peer_stop_all(void);
void		 peer_free_all(void);
void		 peer_fsm(struct peer *, enum peer_event);
struct peer	*peer_by_key(const uint8_t pubkey[KEY_LEN]);
const char	*peer_state_name(enum peer_state);
/* A handshake finished: start a forwarder on fd (consumed). */
void		 peer_session_ready(struct peer *, int fd, int initiator,
		    struct hs_session *, const char *remote);
/* The current session's forwarder is gone. */
void		 peer_session_down(struct peer *, struct fwdproc *);
size_t		 peer_count_up(void);

/* hsconn.c */
int		 listener_open_all(void);
void		 listener_close_all(void);
/* Dial the peer's endpoint and run the handshake as initiator. */
int		 hsconn_dial(struct peer *);
void		 hsconn_abort(struct hsconn *);
void		 hsconn_close_all(void);

/* fwdproc.c */
struct fwdproc	*fwd_spawn(struct peer *, int tcp_fd, int initiator,
		    struct hs_session *);
/* Ask the forwarder to say goodbye and exit; it is reaped later. */
void		 fwd_stop(struct fwdproc *, const char *reason);
/* Forget the peer (a newer session replaced this one). */
void		 fwd_detach(struct fwdproc *);
int		 fwd_pid(const struct fwdproc *);
int		 fwd_send_control(struct fwdproc *, const uint8_t *, size_t);
void		 fwd_kill_all(void);
size_t		 fwd_count(void);

/* route.c */
void		 route_hello(struct peer *, const uint8_t *payload, size_t);
void		 route_withdraw_all(struct peer *);
/* Our hello, packed, for a new session. 0 on failure. */
size_t		 route_hello_pack(uint8_t *buf, size_t len);

/* control.c */
int		 control_open(const char *path);
void		 control_close(void);

#endif
