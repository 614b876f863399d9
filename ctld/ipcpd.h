/* SPDX-License-Identifier: ISC */
/*
 * ipcpd, the supervisor.  It owns the config, the node's static key, the
 * TUN devices, rtnetlink, the listeners, the handshakes, the RIB and the
 * control socket, and starts one sandboxed ipcp-fwd per peer session.  It
 * never parses bytes from the network beyond the fixed-size handshake
 * (hsconn.c): the forwarders unpack and validate the peers' CONTROL
 * messages and hand over typed envelopes.
 *
 * peer.c is the hub.  hsconn.c reports a finished handshake, fwdproc.c a
 * session's end and what its forwarder passed on, reload.c added,
 * changed, restarted and removed peers: all as events into peer_fsm(),
 * the one place a peer changes state.
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
#include "log.h"
#include "msg.h"
#include "rib.h"
#include "util.h"

/* Handshake limits (hsconn.c, hsguard.c). */
#define HSCONN_MAX		64	/* unauthenticated connections, total */
#define HSCONN_MAX_PER_SRC	8	/* ... from one source address */
#define HSCONN_TIMEOUT_MS	5000	/* connect + handshake must finish */
#define HSCONN_MSG1_MS		1000	/* the first message must be in */
/*
 * ... or, while a legacy peer waits, its first frame: the original's
 * client sends one only with data or after 5 s of quiet (a heartbeat).
 */
#define HSCONN_LEGACY_FIRST_MS	8000
/* First messages whose X25519 may run: at most 7% of a core here. */
#define HSCONN_DH_PER_S		1000
#define HSCONN_DH_BURST		100
/* First messages one address has credit for: a burst, then a rate. */
#define HSCONN_SRC_BURST	8
#define HSCONN_SRC_PER_S	2

/*
 * Redial backoff (peer.c).  The cap is short, as WireGuard retries its
 * handshake every 5 s: a dial to a gateway that is down costs a SYN, and
 * one that is up but busy is held back by its own admission (hsguard.c),
 * so a longer wait only keeps clients away after it is back (with 30 s,
 * a thousand clients of a restarted gateway took a minute).
 */
#define PEER_BACKOFF_MIN_MS	1000
#define PEER_BACKOFF_MAX_MS	5000
/* A session that lived this long resets the backoff. */
#define PEER_STABLE_MS		10000
/*
 * Two sessions that overlap this closely come from both sides dialing at
 * once; keep the one the lower public key initiated, as both sides agree.
 */
#define PEER_SIMUL_MS		5000
/* A TUN that could not be made (its name still busy) is retried. */
#define PEER_TUN_RETRY_MS	2000
/*
 * CONTROL messages ipcpd takes from one peer's forwarder: twice what the
 * forwarder itself lets a peer send (FWD_CONTROL_BURST, _EVERY_MS).
 */
#define PEER_CONTROL_BURST	2000
#define PEER_CONTROL_EVERY_MS	2
/*
 * A peer that said goodbye is stopping or restarting (a gateway's
 * systemctl restart).  Redial soon, its clients spread over a second so
 * they do not all come at once (the X25519 budget is HSCONN_DH_PER_S),
 * and for a while back off no further than PEER_GOODBYE_BACKOFF_MS, so
 * all are back within a few seconds of the peer being back.  A goodbye
 * ends a session, which took a handshake: it cannot make a storm.
 */
#define PEER_GOODBYE_MIN_MS	250
#define PEER_GOODBYE_SPREAD_MS	1000
#define PEER_GOODBYE_BACKOFF_MS	1000
#define PEER_GOODBYE_WINDOW_MS	60000
/* After our own forwarder hung, the network is fine: redial at once. */
#define PEER_REDIAL_NOW_MS	100

/* How long forwarders get to say goodbye before they are killed. */
#define FWD_STOP_MS		2000
/* Bytes waiting for one forwarder before it counts as stuck. */
#define FWD_QUEUE_MAX		(8 * 1024 * 1024)

enum peer_state {
	PEER_STATE_NOTUN,	/* its TUN could not be made yet: retrying */
	PEER_STATE_WAITING,	/* no endpoint: waiting for the peer to dial */
	PEER_STATE_CONNECTING,	/* dialing and handshaking */
	PEER_STATE_BACKOFF,	/* waiting to redial */
	PEER_STATE_UP,		/* a forwarder runs the session */
	PEER_STATE_STOPPED,	/* ipcpd is shutting down */
};

enum peer_event {
	PEER_EV_START,
	PEER_EV_DIAL_FAILED,
	PEER_EV_TIMER,
	PEER_EV_HANDSHAKE_DONE,	/* arg: struct peer_session */
	PEER_EV_SESSION_DOWN,	/* arg: the struct fwdproc that ended */
	PEER_EV_FWD_HUNG,	/* arg: the same, killed by the watchdog */
	PEER_EV_CLOSE,		/* arg: reason; end the session, redial */
	PEER_EV_RECONFIGURE,	/* arg: new struct peer_conf, applied live */
	PEER_EV_RESTART,	/* arg: new struct peer_conf, new session */
	PEER_EV_STOP,		/* arg: reason; ipcpd is going */
	PEER_EV_DELETE,		/* arg: reason; the peer is freed */
};

/*
 * How a handshake ended, counted per node and kept per peer (peerdiag.c,
 * for ipcpctl status, peers and metrics).  A dial that never connected
 * counts too, as HS_RESULT_CONNECT.
 */
enum hs_result {
	HS_RESULT_OK,
	HS_RESULT_CONNECT,	/* resolve or connect failed */
	HS_RESULT_BAD_MAC1,	/* not for us: wrong or no key of ours */
	HS_RESULT_UNKNOWN_KEY,	/* a node we have no [peer] for */
	HS_RESULT_DECRYPT,	/* a message did not open: key or psk */
	HS_RESULT_REPLAY,	/* an old first message again */
	HS_RESULT_TIMEOUT,
	HS_RESULT_CLOSED,	/* the connection ended or failed midway */
	HS_RESULT_REFUSED,	/* we would not: busy, stopping, limits */
	HS_RESULT_ERROR,	/* our own failure */
	HS_RESULT_N
};

/* The text of a peer's last error; a DNS name fits whole. */
#define PEER_ERROR_LEN		384

struct fwdproc;
struct hsconn;
struct dialreq;

/* A finished handshake, handed to the peer with PEER_EV_HANDSHAKE_DONE. */
struct peer_session {
	int			 fd;		/* the connected socket */
	int			 initiator;	/* we dialed */
	const struct hs_session	*keys;		/* NULL: wire = legacy */
	const char		*remote;	/* "addr:port" */
	/* Legacy: the first frame, read to tell which peer it was from. */
	const uint8_t		*first;
	size_t			 first_len;
};

struct peer {
	TAILQ_ENTRY(peer)	 entry;
	uint64_t		 id;		/* unique while ipcpd runs */
	/* Our own copy: configs come and go with reloads. */
	struct peer_conf	 conf;
	enum peer_state		 state;
	int			 tun_fd;
	int			 ifindex;
	int			 tun_grouped;	/* in peer.c's link group */
	uv_timer_t		 timer;		/* backoff, TUN retry */
	unsigned		 backoff_ms;
	uint64_t		 goodbye_ms;	/* its last goodbye */
	uint32_t		 reconnects;
	/*
	 * New when its key material changes (a restart by reload), and
	 * never the same for two peers: a handshake that began before is
	 * not completed for the peer as it is now (hsconn.c).
	 */
	uint32_t		 gen;
	/* Newest TAI64N accepted in a msg1 from this peer (replay). */
	uint8_t			 last_ts[HS_TAI64N_LEN];
	struct hsconn		*dial;		/* our outbound attempt */
	struct dialreq		*resolving;	/* its name, before that */
	struct fwdproc		*fwd;		/* the current session */
	uint64_t		 session_start_ms;
	int			 session_initiator; /* 1: we dialed */
	int			 cipher;
	char			 remote[ENDPOINT_STRLEN];
	struct fwd_counters	 stats;
	/*
	 * Why it is down (peerdiag.c): the last failure and when, the last
	 * handshake and how it ended, dials failed since the last session,
	 * and drops by reason of the sessions that ended.
	 */
	char			 last_error[PEER_ERROR_LEN];
	uint64_t		 last_error_ms;
	uint64_t		 last_hs_ms;
	enum hs_result		 last_hs_result;
	uint32_t		 dial_failures;
	uint64_t		 drop_source;
	uint64_t		 drop_queue_full;
	uint64_t		 drop_auth;
	struct log_ratelimit	 tun_rl;
	int			 tun_reclaimed;	/* tun_reclaim.c, once */
	/* CONTROL it may pass through its forwarder (a second fence). */
	struct log_ratelimit	 ctl_rate;
	uint64_t		 control_dropped;
	/* Routes (route.c): the peer's node name, from its hello. */
	char			 node[MSG_NODE_NAME_MAX + 1];
	int			 synced;	/* has our whole table */
	/* What it takes from us, from its hello; none: everything. */
	struct prefix		 accept[CONFIG_PREFIX_MAX];
	size_t			 n_accept;
	struct rib_entry_head	 rib_in;	/* learned from it */
	size_t			 n_routes;
	uint64_t		 routes_rejected;
	uint64_t		 routes_looped;
	struct log_ratelimit	 route_rl;
	/* gateway.c: the lease this client holds from us; NULL: none. */
	struct gw_lease		*gw_lease;
	/* lease_client.c: what this peer leased to us (lease = on). */
	struct held_lease	*held;
	/* openpeer.c: a passcode client without a session goes then. */
	uint64_t		 open_until_ms;
};

TAILQ_HEAD(peer_head, peer);

/* The daemon's state; one instance, see ipcpd.c. */
struct ipcpd {
	uv_loop_t		*loop;
	/* Node settings; peers hold copies of their own sections. */
	struct config		*conf;
	struct peer_head	 peers;
	size_t			 n_peers;
	uint64_t		 next_peer_id;
	uint64_t		 start_ms;
	int			 stopping;
	char			 fwd_path[PATH_MAX];
	/* -s: the control socket, whatever the file says (reload too). */
	const char		*control;
	/* Ourselves, as installed: what ipcpctl restart runs. */
	char			 self_path[PATH_MAX];
	/* Where we started, and how (without a restart's -U). */
	char			 cwd[PATH_MAX];
	char			**argv;
	int			 argc;
	uint32_t		 local_caps;
	uint64_t		 hs_results[HS_RESULT_N];
};

extern struct ipcpd *ipcpd;

/* Who to answer on the control socket, for replies that come later. */
struct ctl_req {
	uint64_t	client;
	uint32_t	id;
};

/* ipcpd.c */
/* SIGTERM and goodbye: tell every peer, stop, clean up, exit 0. */
void		 ipcpd_shutdown(const char *reason);
/* ipcpd -s: the socket it listens on, whatever the file says. */
void		 ipcpd_control_override(struct config *);
/* A forwarder is gone: the last one at shutdown lets us exit. */
void		 ipcpd_shutdown_check(void);

/* notify.c: sd_notify(3); nothing without NOTIFY_SOCKET. */
void		 notify_init(void);	/* status and watchdog timers */
void		 notify_ready(void);
void		 notify_reloading(void);
void		 notify_stopping(void);
void		 notify_close(void);

/* peer.c */
/* A configured peer: its TUN and FSM (start it with PEER_EV_START). */
struct peer	*peer_add(const struct peer_conf *);
void		 peer_remove(struct peer *, const char *reason);
void		 peer_fsm(struct peer *, enum peer_event, const void *arg);
void		 peer_stop_all(const char *reason);
void		 peer_free_all(void);
void		 peer_tun_delete_some(struct peer **, size_t);
/* An up peer whose hello named this node. */
struct peer	*peer_by_node(const char *node);
const char	*peer_state_name(enum peer_state);
size_t		 peer_count_up(void);
/* takeover.c: a session the binary before us ran goes on. */
void		 peer_resume_session(struct peer *, struct fwdproc *);
/* What a forwarder passed on (fwdproc.c). */
void		 peer_fwd_stats(struct peer *, const struct fwd_counters *);
void		 peer_fwd_control(struct peer *, const Ipcp__Control *);
/* To the peer's forwarder, for the peer; -1 without a session. */
int		 peer_send_control(struct peer *, const Ipcp__Control *);
/* The peer's settings (its allowed-ips, a lease's) to its forwarder. */
void		 peer_fwd_update(struct peer *);
/* Settings every forwarder got at setup, again (log verbosity). */
void		 peer_update_all(void);
/* A TUN name may have come free: peers without one try again. */
void		 peer_tun_retry_all(void);
/* The node's addresses changed: add and remove them on every TUN. */
void		 peer_addresses_sync(const struct config *old);
void		 peer_offload_sync(void);

/* peertab.c: the peers by key and by name, kept in step with their config. */
int		 peertab_add(struct peer *);
void		 peertab_del(struct peer *);
/* p->conf = *pc, moving it in the indexes when its name or key changed. */
void		 peertab_set_conf(struct peer *, const struct peer_conf *);
void		 peertab_free(void);
struct peer	*peer_by_key(const uint8_t pubkey[KEY_LEN]);
struct peer	*peer_by_name(const char *);

/*
 * openpeer.c: gateway clients not listed as [peer] that proved the
 * passcode in their handshake; made when it completes, gone lease-time
 * after their session.
 */
/* Prefixes an open peer may announce (its own addresses, no more). */
#define OPENPEER_MAX_ROUTES	16
size_t		 openpeer_count(void);
/* As many as gw.max_clients: no new one now. */
int		 openpeer_full(void);
/* Its name, from its key; try > 0 for another if that one is taken. */
void		 openpeer_name(const uint8_t key[KEY_LEN], unsigned try,
		    char out[CONFIG_NAME_MAX + 1]);
/* Made and added, not started; name NULL: from the key.  NULL, errno. */
struct peer	*openpeer_add(const uint8_t key[KEY_LEN], const char *name);
/* takeover.c: one the binary before us had; until_ms 0: from now. */
struct peer	*openpeer_resume(const uint8_t key[KEY_LEN],
		    const char *name, uint64_t until_ms);
/* Hooks of peer.c: its session ended; it is being removed. */
void		 openpeer_session_end(struct peer *);
void		 openpeer_removed(struct peer *);
/* Remove those whose time is up; ms to the next one due, 0: none. */
uint64_t	 openpeer_sweep(uint64_t now);
/* reload.c, with the new config in place and before any [peer] moves. */
void		 openpeer_reconf(const struct config *old);

/* tun_reclaim.c */
/* Kill orphaned forwarders of ours holding ifname; how many, or -1. */
int		 tun_reclaim(const char *ifname);

/* peerdiag.c */
/* "ok", "connect_failed", "bad_mac1", ...: metric labels too. */
const char	*hs_result_name(enum hs_result);
/* A handshake ended; p is the peer it was with, if known. */
void		 hs_result_count(struct peer *, enum hs_result);
/* Why the peer's dial or session failed, for ipcpctl peers. */
void		 peer_error(struct peer *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* Drops by reason: of the sessions that ended, plus this one. */
void		 peer_drops(const struct peer *, uint64_t *source,
		    uint64_t *queue_full, uint64_t *auth);
/* At a session's end, keep its drops. */
void		 peer_drops_keep(struct peer *);

/* dial.c */
/*
 * Resolve the peer's endpoint (a name by uv_getaddrinfo, a link-local
 * address's interface) and dial it.  0: under way, and a failure comes
 * later as PEER_EV_DIAL_FAILED; -1: failed now, said in p->last_error.
 */
int		 dial_start(struct peer *);
/* The dial (resolution or handshake) is no longer wanted. */
void		 dial_abort(struct peer *);

/* hsconn.c */
/* Dial this address for the peer and run the handshake as initiator. */
int		 hsconn_dial(struct peer *, const struct sockaddr *,
		    socklen_t);
void		 hsconn_abort(struct hsconn *);
/* A connection accepted by a listener; fd is consumed. */
void		 hsconn_accept(int fd, const struct sockaddr_storage *);
void		 hsconn_close_all(void);

/* hsguard.c */
/* No slot for a new connection, nor one that may be taken: wait. */
int		 hsguard_full(void);

/* listener.c */
/*
 * Make the listening sockets match conf: new ones are opened before old
 * ones close, and if one cannot be opened nothing changes (-1, err).
 */
int		 listener_sync(const struct config *, char *err, size_t);
void		 listener_close_all(void);
/* Shutting down: no more accepts; the sockets close at exit. */
void		 listener_quiesce(void);
/* A handshake ended: a paused listener may accept again. */
void		 listener_wake(void);
/* A restart (handover.c, takeover.c): the sockets change binaries. */
void		 listener_foreach(void (*)(int fd, const struct listen_conf *,
		    void *), void *);
int		 listener_adopt(int fd, const struct listen_conf *);

/* fwdproc.c */
/* 1: enough fds for one more session (logs, rate-limited, if not). */
int		 fwd_room(void);
/* Consumes s->fd. */
struct fwdproc	*fwd_spawn(struct peer *, const struct peer_session *s,
		    const struct fwd_params *);
/* Ask the forwarder to say goodbye and exit; it is reaped later. */
void		 fwd_stop(struct fwdproc *, const char *reason);
/* Forget the peer and stop: the session is over for ipcpd now. */
void		 fwd_detach(struct fwdproc *, const char *reason);
/* A reload waits for this forwarder to be gone before it answers. */
void		 fwd_wait(struct fwdproc *);
size_t		 fwd_count_waited(void);
int		 fwd_pid(const struct fwdproc *);
/* What the forwarder said as it went; "" if nothing. */
const char	*fwd_reason(const struct fwdproc *);
/* The session ended with the peer's goodbye (CLOSE frame). */
int		 fwd_peer_goodbye(const struct fwdproc *);
int		 fwd_send_control(struct fwdproc *, const Ipcp__Control *);
int		 fwd_send_update(struct fwdproc *,
		    const struct fwd_params *);
void		 fwd_kill_all(void);
size_t		 fwd_count(void);
/* A restart (handover.c, takeover.c): forwarders change supervisors. */
int		 fwd_chan_fd(const struct fwdproc *);
size_t		 fwd_count_detached(void);
/* Forwarders whose process is still being started. */
size_t		 fwd_count_starting(void);
int		 fwd_flush_all_sync(unsigned ms);
struct fwdproc	*fwd_adopt(struct peer *, int pid, int chan_fd);

/* route.c */
/* This node's own prefixes (addresses, announce) into the RIB. */
void		 route_local_sync(void);
void		 route_send_hello(struct peer *);
void		 route_set_accept(struct peer *, Ipcp__Prefix *const *,
		    size_t n);
/* Does the peer take announcements of this prefix from us? */
int		 route_accepted(const struct peer *, const struct prefix *);
void		 route_hello(struct peer *, const Ipcp__Hello *);
void		 route_update(struct peer *, const Ipcp__RouteUpdate *);
void		 route_refresh(struct peer *);
/* The session ended: everything learned from it goes. */
void		 route_peer_down(struct peer *);
/* Its allowed-ips, metric or max-routes changed (p->conf is new). */
void		 route_peer_reconf(struct peer *,
		    const struct peer_conf *old);
void		 route_node_renamed(void);
/* takeover.c: what the peer taught the binary before us. */
void		 route_resume(struct peer *, Ipcp__Route **, size_t n);

/* trace.c */
void		 trace_request(const struct ctl_req *, const char *target);
void		 trace_input(struct peer *, const Ipcp__Trace *);
void		 trace_clear(void);

/* reload.c */
/* ipcpctl reload (req non-NULL) or SIGHUP (NULL). */
void		 reload_request(const struct ctl_req *, int check,
		    unsigned confirm_s);
void		 reload_confirm(const struct ctl_req *);
/* Seconds until a pending --confirm rolls back; 0 if none. */
unsigned	 reload_confirm_left(void);
/* A forwarder stopped by a reload is gone; maybe the reload is done. */
void		 reload_progress(void);
/* A reload waits for forwarders to be gone before it answers. */
int		 reload_busy(void);
/* The config file again, as this ipcpd reads it (ipcpd -s wins). */
struct config	*reload_parse(char *err, size_t);
void		 reload_clear(void);

/*
 * The gateway, server side (gateway.c): leases from [gateway] pool,
 * sticky per client key and kept in state-dir; the routes it pushes are
 * local announcements that go to its lease clients only.
 */
/* At start (a restart's too): load the leases, set up NAT and secure. */
int		 gateway_init(char *err, size_t);
void		 gateway_reconf(const struct config *old);
/* A clean stop: leases saved, NAT and secure rules gone. */
void		 gateway_stop(void);
void		 gateway_lease_request(struct peer *,
		    const Ipcp__LeaseRequest *);
/* Its session ended (the lease holds, and runs down); it was removed. */
void		 gateway_peer_down(struct peer *);
void		 gateway_peer_removed(struct peer *);
/* The addresses leased to the peer: its source filter grows by them. */
size_t		 gateway_peer_allowed(const struct peer *, struct prefix *,
		    size_t max);
/*
 * May a best path from peer from_id (0: ours; from_lease: a gateway we
 * lease from) be announced to `to'?  A lease client hears only ours, and
 * a gateway nothing another gateway pushed to us.
 */
int		 gateway_export_ok(const struct peer *to, uint64_t from_id,
		    int from_lease);
void		 gateway_ctl_leases(const struct ctl_req *);
void		 gateway_status(Ipcp__Status *);
/* handover.c: the lease file as it is now, before a restart's exec. */
void		 gateway_sync_file(void);
/* takeover.c: a client's session goes on, and with it its lease. */
void		 gateway_peer_resume(struct peer *);

/* gwnat.c: the gateway's nftables table (nat, secure) and forwarding. */
int		 gwnat_sync(char *err, size_t);
void		 gwnat_stop(void);

/*
 * The client side (lease_client.c): a peer with lease = on asks it for a
 * lease on every session; the address goes on its TUN, and routes
 * through it take that address as their source.
 */
void		 lease_client_up(struct peer *);
void		 lease_client_offer(struct peer *, const Ipcp__LeaseOffer *);
void		 lease_client_down(struct peer *);
void		 lease_client_reconf(struct peer *, const struct peer_conf *);
void		 lease_client_removed(struct peer *);
/* The leased address of that family, for routes via the peer; -1: none. */
int		 lease_client_src(const struct peer *, int family,
		    struct prefix *);
void		 lease_client_status(Ipcp__Status *);
/* A restart (handover.c, takeover.c): the lease changes binaries. */
/* 1: the peer holds a lease, now in *o (pointing into the peer's state). */
int		 lease_client_handover(struct peer *, Ipcp__LeaseOffer *o,
		    uint64_t *until_ms);
void		 lease_client_resume(struct peer *, const Ipcp__LeaseOffer *,
		    uint64_t until_ms);
/*
 * The nameservers of the leases from peers with dns = on, best gateway
 * first, each once; tunnel.c applies them (tunnel_dns_changed).
 */
size_t		 lease_client_dns(struct prefix *, size_t max);

/*
 * Full tunnel, killswitch, DNS (tunnel.c, resolv.c): what a client does
 * to the host beyond its TUNs.  init takes over what an earlier ipcpd
 * left (a kill -9, a restart) before it applies the config; stop leaves
 * the host as it was before ipcpd started.
 */
int		 tunnel_init(char *err, size_t);
void		 tunnel_reconf(const struct config *old);
void		 tunnel_stop(void);
/* Mark an outer socket before it connects (SO_MARK); -1 with errno. */
int		 tunnel_mark_socket(int fd);
/* kroute.c: the table of a route via p (a full tunnel's default: ours). */
uint32_t	 tunnel_route_table(const struct peer *p,
		    const struct prefix *dst);
/* The leases' nameservers changed: apply them (dns = on), or restore. */
void		 tunnel_dns_changed(void);

/*
 * connmark.c: the full tunnel's outer connections past a strict
 * rp_filter (our nftables table and src_valid_mark, or neither).
 */
void		 connmark_sync(uint32_t mark, int want);

/* killswitch.c: fail closed while the tunnel or ipcpd is down. */
/* At start: the table in place (or an earlier one's gone); -1 and err. */
int		 killswitch_init(const struct config *, char *err, size_t);
/* After a reload: on, off or changed, in one transaction. */
void		 killswitch_sync(const struct config *);
/* A clean stop. */
void		 killswitch_stop(void);

/* control.c */
/* The single-instance check too: -1 with the reason in err. */
int		 control_open(const char *path, char *err, size_t);
void		 control_close(void);
/* Replies for requests answered later; 0, or -1 if the client left. */
int		 ctl_reply(const struct ctl_req *, Ipcp__Envelope *);
void		 ctl_result(const struct ctl_req *, unsigned code,
		    const char *text);
/* Write what waits for every client now (before exit). */
void		 control_flush_all(void);
/* A restart (handover.c, takeover.c): the sockets change binaries. */
int		 control_listen_fd(void);
int		 control_client_fd(const struct ctl_req *);
void		 control_adopt(int fd, const char *path);
int		 control_adopt_client(int fd, uint32_t id, struct ctl_req *);

#endif
