/* SPDX-License-Identifier: ISC */
/*
 * The one message layer: protobuf Envelopes over SOCK_SEQPACKET, one per
 * datagram, with at most one fd per message (after OpenBSD imsg and the
 * OpenSSH monitor).  It carries ipcpctl <-> ipcpd and ipcpd <-> ipcp-fwd,
 * and is the only code that calls sendmsg/recvmsg with control data.
 *
 * Each direction of each channel has its own rules (struct msg_chan):
 * the bodies it may carry, a size cap, and whether an fd may come with a
 * message.  msg_send refuses what the channel does not allow; msg_recv
 * returns only messages that fit the channel and passed their validator.
 * The validators, and the code that builds and reads each message, sit
 * together per channel:
 *
 *	msg_ctl.c	ipcpctl <-> ipcpd
 *	msg_fwd.c	ipcpd <-> ipcp-fwd
 *	msg_control.c	peer <-> peer (CONTROL frames), and Control as
 *			it travels typed between ipcpd and a forwarder
 *
 * Long replies and bursts go through a struct msgq, an output queue that
 * is written as the socket takes it, so no sender ever blocks or drops.
 */
#ifndef IPCP_MSG_H
#define IPCP_MSG_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "ipcp.pb-c.h"
#include "util.h"
#include "wire.h"

/* Bounds checked by the validators. */
#define MSG_MAX_NAME		64	/* short strings: states, addresses */
#define MSG_MAX_ENDPOINT	300	/* "[host%scope]:port", host a name */
#define MSG_MAX_COUNTERS	64	/* named counts in one list */
#define MSG_MAX_TEXT		1024	/* log lines, reasons, errors */
#define MSG_NODE_NAME_MAX	32	/* node and peer names, as in config */
#define MSG_MAX_PREFIXES	256	/* allowed-ips in one message */
#define MSG_MAX_LISTENERS	64
#define MSG_MAX_PATH		64	/* nodes in a route's path */
#define MSG_MAX_UPDATE		512	/* announces + withdraws per update */
#define MSG_MAX_TRACE_HOPS	64	/* each way */
#define MSG_MAX_TRACE_INFO	64	/* peers, routes in a trace answer */
#define MSG_MAX_NOTES		32
/* PeerInfos in one PeerList; the datagram's cap bounds them before this. */
#define MSG_MAX_PEER_BATCH	256
/* A lease: host addresses (one per family, some to spare), nameservers. */
#define MSG_LEASE_ADDR_MAX	4
#define MSG_LEASE_DNS_MAX	8
#define MSG_LEASE_TIME_MAX	(366U * 86400)
/* Lease peers one status reply lists, and routes per lease peer. */
#define MSG_MAX_LEASE_PEERS	64
#define MSG_MAX_LEASE_ROUTES	64
/* Route costs add up per hop; beyond this a path is absurd. */
#define MSG_COST_MAX		(1U << 24)

/* Size caps per channel direction. */
#define MSG_MAX_CTL_REQUEST	4096
#define MSG_MAX_CTL_REPLY	32768
#define MSG_MAX_FWD		32768

/* Result codes sent in a Result message; see ctl_result_str(). */
enum ctl_result {
	CTL_RES_OK = 0,
	CTL_RES_UNKNOWN = 1,	/* unknown command */
	CTL_RES_DENIED = 2,	/* needs root (SO_PEERCRED) */
	CTL_RES_INVALID = 3,	/* request failed validation */
	CTL_RES_PENDING = 4,	/* another change is in progress */
	CTL_RES_FAILED = 5,
	CTL_RES_CONFIG = 6,	/* the config file has an error */
	CTL_RES_TIMEOUT = 7,	/* no answer in time (trace) */
};

/* The rules of one direction of a channel. */
struct msg_chan {
	const char	*name;
	size_t		 cap;		/* bytes in one datagram */
	int		 fds;		/* a message may carry an fd */
	uint64_t	 bodies;	/* 1 << IPCP__ENVELOPE__BODY_* */
};

extern const struct msg_chan msg_chan_ctl_request;	/* ipcpctl -> ipcpd */
extern const struct msg_chan msg_chan_ctl_reply;	/* ipcpd -> ipcpctl */
/* The descriptor a forwarder finds its channel to ipcpd on. */
#define FWD_CHAN_FD		3
extern const struct msg_chan msg_chan_to_fwd;		/* ipcpd -> ipcp-fwd */
extern const struct msg_chan msg_chan_from_fwd;	/* ipcp-fwd -> ipcpd */

/* msg.c */
/*
 * Send one envelope now.  0, or -1 with errno: EPROTO (body not allowed
 * on the channel, or an fd where none may go), EMSGSIZE (over the cap),
 * EAGAIN, or a sendmsg error.  passfd < 0: no fd.
 */
int		 msg_send(int sock, const struct msg_chan *,
		    const Ipcp__Envelope *, int passfd);
/*
 * Receive, unpack and validate one envelope.  If the channel carries fds
 * and fdp is non-NULL, *fdp gets a passed fd or -1; any other fd is
 * closed.  Returns NULL with errno: EAGAIN (nothing there), EPIPE (peer
 * closed), EMSGSIZE (over the cap, dropped), EPROTO (a body the channel
 * does not carry), EBADMSG (does not unpack or validate), or a recvmsg
 * error.
 */
Ipcp__Envelope	*msg_recv(int sock, const struct msg_chan *, int *fdp);
void		 msg_free(Ipcp__Envelope *);
/* Drop unknown fields from m and every message inside it. */
void		 msg_strip_unknown(ProtobufCMessage *);
/* The validator of the envelope's body; 0 or -1. */
int		 msg_validate(const Ipcp__Envelope *);
const char	*ctl_result_str(unsigned);

/*
 * An output queue of packed messages (each with its fd, dup'ed), for a
 * non-blocking socket.  Push, then flush when the socket is writable;
 * watch for writability while msgq_pending().  `cap' bounds the bytes
 * waiting: a reader that falls that far behind is broken or hostile.
 */
struct msgq_item;
struct msgq {
	TAILQ_HEAD(, msgq_item)	 items;
	size_t			 bytes;
	size_t			 cap;
};

void		 msgq_init(struct msgq *, size_t cap);
/* 0, or -1 with errno: ENOBUFS (over the cap), EPROTO, EMSGSIZE. */
int		 msgq_push(struct msgq *, const struct msg_chan *,
		    const Ipcp__Envelope *, int passfd);
/* 0: all written; 1: the socket is full; -1 with errno: it failed. */
int		 msgq_flush(struct msgq *, int sock);
int		 msgq_pending(const struct msgq *);
void		 msgq_clear(struct msgq *);

/* Helpers for the validators and builders of every channel. */
int		 msg_str_ok(const char *, size_t max);
/* Text a peer wrote for a person: no control characters. */
int		 msg_printable_ok(const char *, size_t max);
/* A node or peer name: 1 to 32 of A-Z a-z 0-9 _ - (as the config). */
int		 msg_name_ok(const char *);
/* From min to max names, each one. */
int		 msg_names_ok(char *const *, size_t n, size_t min,
		    size_t max);
/* A prefix of the right length for its family, host bits zero. */
int		 msg_prefix_ok(const Ipcp__Prefix *);
int		 msg_prefixes_ok(Ipcp__Prefix *const *, size_t n,
		    size_t max);
int		 msg_prefix_get(const Ipcp__Prefix *, struct prefix *);
/* "addr/len", as prefix_format; "?" for one that is not a prefix. */
const char	*msg_prefix_format(const Ipcp__Prefix *, char out[PREFIX_STRLEN]);
void		 msg_prefix_set(Ipcp__Prefix *, const struct prefix *);
/*
 * What a length-delimited field of `body' bytes adds around it: one tag
 * byte (field numbers under 16) and the length's varint.
 */
size_t		 msg_field_size(size_t body);
/* A host prefix: /32 or /128 (a leased address, a nameserver). */
int		 msg_hosts_ok(Ipcp__Prefix *const *, size_t n, size_t max);
/* Fill pfx[0..n) and the pointer array ptrs from in[0..n); returns n. */
size_t		 msg_prefixes_set(Ipcp__Prefix *pfx, Ipcp__Prefix **ptrs,
		    const struct prefix *in, size_t n);

/* msg_ctl.c */
int		 msg_ctl_validate(const Ipcp__Envelope *);

/* msg_fwd.c */
/* What a forwarder is told about its peer, at setup and on reload. */
struct fwd_params {
	char		peer_name[MSG_NODE_NAME_MAX + 1];
	uid_t		uid;		/* setup only */
	gid_t		gid;
	uint32_t	heartbeat_ms;
	uint32_t	dead_after_ms;
	struct prefix	allowed[MSG_MAX_PREFIXES];
	size_t		n_allowed;
	int		verbose;
};

/* A forwarder's counters, as FwdStats carries them. */
struct fwd_counters {
	uint64_t	rx_bytes;	/* peer -> TUN, inner IP bytes */
	uint64_t	tx_bytes;	/* TUN -> peer */
	uint64_t	rx_packets;
	uint64_t	tx_packets;
	uint64_t	rx_dropped;	/* inbound packets not delivered */
	uint64_t	tx_dropped;	/* outbound packets not sent */
	uint64_t	rtt_us;
	uint64_t	control_rx_bytes;
	uint64_t	control_tx_bytes;
	uint64_t	control_invalid;
	uint64_t	control_flood;
	/* Drops by reason, each also in rx_ or tx_dropped (not auth). */
	uint64_t	drop_source;	/* source outside allowed-ips */
	uint64_t	drop_queue_full; /* TUN or TCP queue full */
	uint64_t	drop_auth;	/* a frame failed to open */
};

/* Room for the parts of a FwdSetup or FwdUpdate being built. */
struct msg_fwd_buf {
	Ipcp__FwdSetup	 setup;
	Ipcp__FwdParams	 params;
	Ipcp__Prefix	 pfx[MSG_MAX_PREFIXES];
	Ipcp__Prefix	*ppfx[MSG_MAX_PREFIXES];
};

void		 msg_fwd_setup_build(Ipcp__Envelope *, struct msg_fwd_buf *,
		    const struct fwd_params *);
void		 msg_fwd_setup_read(const Ipcp__FwdSetup *,
		    struct fwd_params *);
void		 msg_fwd_update_build(Ipcp__Envelope *, struct msg_fwd_buf *,
		    const struct fwd_params *);
/* An update leaves uid and gid as they are. */
void		 msg_fwd_update_read(const Ipcp__FwdParams *,
		    struct fwd_params *);
void		 msg_fwd_stats_build(Ipcp__Envelope *, Ipcp__FwdStats *,
		    const struct fwd_counters *);
void		 msg_fwd_stats_read(const Ipcp__FwdStats *,
		    struct fwd_counters *);
/*
 * Keys are pointed to, not copied: keep them until the envelope is sent.
 * initiator: we dialed, and our forwarder sends the heartbeats.
 */
void		 msg_fwd_stream_build(Ipcp__Envelope *, Ipcp__FwdStream *,
		    int cipher, const uint8_t *tx_key, const uint8_t *rx_key,
		    int initiator);
/*
 * The same for wire = legacy: the peer's static key, whether we are the
 * client (we dialed), and the first frame if ipcpd has read it already.
 */
void		 msg_fwd_stream_legacy_build(Ipcp__Envelope *,
		    Ipcp__FwdStream *, const uint8_t *key, int client,
		    const uint8_t *first, size_t first_len);
void		 msg_fwd_log_build(Ipcp__Envelope *, Ipcp__FwdLog *,
		    int priority, const char *text);
void		 msg_fwd_close_build(Ipcp__Envelope *, Ipcp__FwdClose *,
		    const char *reason);
int		 msg_fwd_validate(const Ipcp__Envelope *);

/* msg_control.c */
/* Version sent in Hello; a peer with another major version is refused. */
#define MSG_HELLO_VERSION	2
int		 msg_control_validate(const Ipcp__Control *);
/* Trace hops and peers, as a probe and ipcpctl's result carry them. */
int		 msg_trace_hops_ok(Ipcp__TraceHop *const *, size_t n,
		    size_t min);
int		 msg_trace_peers_ok(Ipcp__TracePeer *const *, size_t n);
/*
 * A CONTROL frame's payload.  Pack into buf (at most len bytes); returns
 * the packed size, or 0 if it does not fit a frame.  Unpack returns a
 * validated message with unknown fields dropped, or NULL.
 */
size_t		 msg_control_pack(const Ipcp__Control *, uint8_t *buf,
		    size_t len);
Ipcp__Control	*msg_control_unpack(const uint8_t *buf, size_t len);
void		 msg_control_free(Ipcp__Control *);
/* The size one Route adds to a RouteUpdate (tag and length included). */
size_t		 msg_route_size(const Ipcp__Route *);
size_t		 msg_prefix_size(const Ipcp__Prefix *);

#endif
