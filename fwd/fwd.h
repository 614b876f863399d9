/* SPDX-License-Identifier: ISC */
/*
 * ipcp-fwd, the per-session forwarder.  One process per TCP session: it
 * holds the peer's TUN fd, the connected TCP socket and the two session
 * keys, and moves IP packets between them inside a libuv loop after it
 * has confined itself (sandbox.h).  It talks to ipcpd on fd 3 with the
 * message layer (msg.h): setup and stream in, logs, stats, CONTROL
 * payloads and the reason it ended out.
 *
 *   TUN --read--> [hdr|vnet hdr|packet|tag room] queued as plaintext
 *       --sealed just before the write, a bounded chunk ahead--> TCP
 *   TCP --read--> ibuf --frames opened in place--> vnet check --> TUN
 *
 * Sealing late is what lets HEARTBEAT, HEARTBEAT_ACK, CONTROL, REKEY and
 * CLOSE overtake queued DATA: nonces are implicit counters, so the wire
 * order is the sealing order, and a frame sealed last can only go first
 * if what it overtakes is not sealed yet.
 */
#ifndef IPCP_FWD_H
#define IPCP_FWD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "frame.h"
#include "log.h"
#include "msg.h"
#include "util.h"

/* How long ipcpd has to hand over setup and stream. */
#define FWD_SETUP_TIMEOUT_MS	10000
/*
 * DATA frames waiting for the socket live in a ring of chunks, each
 * filled with whole frames, in memory touched only as it is used.  At most
 * FWD_OQ_MAX bytes wait: past that, packets read from the TUN are
 * dropped (tx_dropped), because every byte queued here is delay added
 * to every packet behind it, a ping's included.  The kernel keeps at
 * most FWD_NOTSENT_LOWAT more unsent (TCP_NOTSENT_LOWAT).
 */
#define FWD_CHUNK_SIZE		(256 * 1024)
#define FWD_NCHUNKS		8
#ifndef FWD_OQ_MAX
#define FWD_OQ_MAX		(512 * 1024)
#endif
#ifndef FWD_NOTSENT_LOWAT
#define FWD_NOTSENT_LOWAT	(128 * 1024)
#endif
/* DATA sealed ahead of the socket: a priority frame waits for no more. */
#ifndef FWD_SEAL_AHEAD
#define FWD_SEAL_AHEAD		(128 * 1024)
#endif
/* Priority frames (small: heartbeats, CONTROL, REKEY, CLOSE). */
#define FWD_PBUF_SIZE		(64 * 1024)
/*
 * A small packet of a flow with nothing queued (a ping, a DNS query, a
 * keystroke, a bare ACK) goes with the priority frames too, copied, as
 * long as they take at most half of their buffer: it cannot overtake a
 * packet of its own flow, and it need not wait behind everyone else's
 * bulk.  Flows are told apart by a hash of addresses, protocol and ports
 * into FWD_FLOWS buckets, each counting its packets queued unsealed.
 */
#ifndef FWD_SPARSE_MAX
#define FWD_SPARSE_MAX		1600
#endif
#define FWD_FLOW_BITS		10
#define FWD_FLOWS		(1 << FWD_FLOW_BITS)
/* One read from the socket; many frames are parsed out of it. */
#define FWD_IBUF_SIZE		(512 * 1024)
/* TUN packets taken per wakeup, so the socket side gets its turn. */
#define FWD_TUN_BATCH		64
/* Socket reads per wakeup, likewise. */
#define FWD_TCP_BATCH		4
#define FWD_REKEY_FRAMES	(1ULL << 24)
#define FWD_REKEY_MS		(10 * 60 * 1000)
/* After fwd_close from ipcpd, time to flush the CLOSE frame. */
#define FWD_CLOSE_FLUSH_MS	1000
/*
 * An idle session wakes for the heartbeats and nothing else (fwd.c):
 *
 * - The side that dialed (the heartbeater) sends one every
 *   heartbeat-interval; the side that accepted (the answerer) sends none
 *   of its own while the peer's come, only the acks: each side still
 *   hears from the other every interval, and the answerer, a gateway
 *   with a thousand clients, wakes once per interval per session.  An
 *   answerer that hears nothing for FWD_HB_QUIET of an interval
 *   heartbeats as before, so a peer that only answers (or a previous
 *   version, which heartbeats anyway) keeps the session alive.
 * - An answerer learns the round trip by sending its own heartbeat with
 *   the ack of every FWD_RTT_PROBE_HB-th (two minutes at the default
 *   interval): one more wakeup, for the ack.
 * - Counters go to ipcpd at most every FWD_STATS_MS while packets move,
 *   the first after a quiet spell at once, with the wakeup that moved
 *   them (a lone packet costs no second wakeup).  Idle, ipcpd must
 *   still hear from us within dead-after (its watchdog kills a silent
 *   forwarder): the report goes with the first wakeup past
 *   FWD_STATS_SOFT since the last one (a heartbeat's, usually), and
 *   only by a timer of its own at FWD_STATS_HARD of dead-after.
 * - The dead-peer check, trimming and rekeying are deadlines looked at
 *   after each wakeup, not timers of their own.
 */
#define FWD_STATS_MS		1000
#define FWD_HB_QUIET(ms)	((ms) + (ms) / 2)
#define FWD_RTT_PROBE_HB	24
#define FWD_STATS_HARD(dead)	((dead) * 3 / 4)
/*
 * The soft mark leaves more than one heartbeat interval before the hard
 * one, so that a heartbeat's wakeup always falls between them and the
 * report needs no timer of its own (at the default 5 s and 15 s, a
 * report every 5 or 10 s).
 */
#define FWD_STATS_SOFT(dead, hb)					\
	(FWD_STATS_HARD(dead) > (hb) * 5 / 4 + FWD_STATS_MS ?		\
	    FWD_STATS_HARD(dead) - (hb) * 5 / 4 : FWD_STATS_MS)
/*
 * Messages for ipcpd wait in a queue while its end of the channel is
 * full; past this many bytes ipcpd is not reading, and we give up.
 */
#define FWD_CHAN_QUEUE_MAX	(4 * 1024 * 1024)
/*
 * CONTROL messages a peer may send: bursts of FWD_CONTROL_BURST, then
 * one per FWD_CONTROL_EVERY_MS.  Far above what ipcp itself sends (a
 * whole table of 1000 routes is a handful of messages); past it they are
 * dropped and counted, so a flooding peer cannot make ipcpd flap its
 * routes or its log.
 */
#define FWD_CONTROL_BURST	1000
#define FWD_CONTROL_EVERY_MS	5
/* Quiet this long with empty queues: give the buffers' pages back. */
#define FWD_IDLE_TRIM_MS	2000
#define FWD_REASON_LEN		256

struct fwd {
	uv_loop_t		 loop;
	uv_poll_t		 chan_poll;
	uv_poll_t		 tun_poll;
	uv_poll_t		 tcp_poll;
	/* What is due is looked at before every sleep (fwd.c tick_prepare). */
	uv_prepare_t		 tick_prep;
	/* Wakes us when nothing else would before a deadline. */
	uv_timer_t		 tick_timer;
	uint64_t		 tick_due;	/* 0: tick_timer not armed */
	uv_timer_t		 flush_timer;

	int			 chan_fd;
	int			 tun_fd;
	int			 tcp_fd;
	int			 tun_events;	/* as last given to uv_poll */
	int			 tcp_events;

	/* From FwdSetup, and FwdUpdate after a reload. */
	struct fwd_params	 params;
	/* Messages for ipcpd that its end did not take yet. */
	struct msgq		 chan_out;
	int			 chan_events;
	int			 running;	/* the loop polls the channel */
	/* A CONTROL from ipcpd waiting for room among the priority frames. */
	Ipcp__Envelope		*ctl_pending;

	struct frame_key	 tx;
	struct frame_key	 rx;
	int			 keys_ready;

	/*
	 * DATA output: chunks oc_first .. oc_first + oc_n - 1 (mod
	 * FWD_NCHUNKS), each with written | sealed | plaintext frames.
	 */
	struct fwd_chunk {
		uint8_t		*buf;	/* FWD_CHUNK_SIZE bytes */
		size_t		 head;	/* next byte to write */
		size_t		 seal;	/* end of the sealed frames */
		size_t		 tail;	/* end of the queued frames */
	}			 oc[FWD_NCHUNKS];
	unsigned		 oc_first;
	unsigned		 oc_n;
	size_t			 oq_bytes;	/* queued, not yet written */
	/* Priority output: written | sealed | plaintext frames. */
	uint8_t			 pbuf[FWD_PBUF_SIZE];
	size_t			 poff;
	size_t			 pseal;
	size_t			 plen;
	size_t			 win;	/* sealed, not yet written */
	uint16_t		 flow_q[FWD_FLOWS];
	/* Where packets go that there is no room for. */
	uint8_t			*dropbuf;
	/* One mapping holds the chunks, ibuf and dropbuf. */
	uint8_t			*mem;
	size_t			 memlen;
	/* Input: received bytes in [ioff, ilen) of ibuf. */
	uint8_t			*ibuf;
	size_t			 ioff;
	size_t			 ilen;

	/* Times in ms are the loop's (uv_now). */
	uint64_t		 last_rx_ms;	/* last authenticated frame */
	int			 heartbeater;	/* we dialed: we send them */
	uint64_t		 hb_sent_ms;	/* our last heartbeat, or 0 */
	uint64_t		 tx_since_rekey;
	uint64_t		 rekey_at_ms;
	int			 rekey_queued;
	uint64_t		 trim_moved;	/* packets moved at last look */
	uint64_t		 busy_ms;	/* when they last changed */
	int			 trimmed;	/* pages given back since */
	int			 closing;	/* flushing the CLOSE frame */
	char			 close_reason[FWD_REASON_LEN];
	int			 peer_goodbye;	/* the peer said goodbye */
	int			 chan_gone;	/* ipcpd's end closed */

	struct fwd_counters	 st;
	struct fwd_counters	 st_sent;	/* as last reported */
	int			 stats_moved;	/* packets since the last report */
	uint64_t		 st_sent_ms;
	struct log_ratelimit	 drop_rl;
	struct log_ratelimit	 ctl_rl;	/* bad CONTROL from the peer */
	struct log_ratelimit	 ctl_rate;	/* CONTROL the peer may send */

	/* wire = legacy: legacy.c runs the session instead of stream.c. */
	int			 legacy;
	struct fwd_legacy	*lg;
};

/* fwd.c */
/* Wipe the keys and exit. */
void	 fwd_exit(struct fwd *, int status) __attribute__((noreturn));
/* ipcpd wants the session gone: say goodbye, flush briefly, exit. */
void	 fwd_shutdown(struct fwd *, const char *why);
/* Packets moved: counters go to ipcpd within FWD_STATS_MS. */
void	 fwd_stats_wake(struct fwd *);
/* The loop's idea of now, in ms: read once per wakeup, no system call. */
uint64_t fwd_now(struct fwd *);

/* chan.c */
void	 chan_init(struct fwd *);
/* Take FwdSetup and FwdStream from ipcpd, before the sandbox. */
void	 chan_setup_recv(struct fwd *);
void	 chan_poll_cb(uv_poll_t *, int, int);
/* Queue one envelope for ipcpd; a gone ipcpd ends us. */
void	 chan_send(struct fwd *, const Ipcp__Envelope *);
/* Counters to ipcpd if they moved (or forced); did they move? */
int	 chan_stats(struct fwd *, int force);
/*
 * End the session: goodbye to the peer (a CLOSE frame) if say_goodbye and
 * the stream still works, the last counters and the reason to ipcpd, then
 * fwd_exit.
 */
void	 fwd_end(struct fwd *, int status, int say_goodbye,
	    const char *fmt, ...)
	    __attribute__((format(printf, 4, 5))) __attribute__((noreturn));
void	 chan_log_sink(int priority, const char *line);
/* Write what ipcpd's end takes now; fit the poll to what is left. */
void	 chan_flush(struct fwd *);
/* A CONTROL frame from the peer: validate, pass on to ipcpd. */
void	 chan_control_in(struct fwd *, const uint8_t *, size_t);
/* Room among the priority frames again: send a waiting CONTROL. */
void	 chan_control_retry(struct fwd *);

/* stream.c */
int	 stream_init(struct fwd *);
void	 stream_update_poll(struct fwd *);
/*
 * Room for one DATA frame of up to FRAME_MAX_PAYLOAD bytes: returns where
 * its header goes (the payload at +FRAME_HDR_LEN), or NULL if the queue
 * is full.  stream_data_commit queues it, still in plaintext.
 */
uint8_t	*stream_data_reserve(struct fwd *);
void	 stream_data_commit(struct fwd *, size_t plen);
/*
 * Queue a small DATA payload with the priority frames (copied) if its
 * flow has nothing queued and there is room; 0, or -1 if not.
 */
int	 stream_data_sparse(struct fwd *, const uint8_t *, size_t);
/* Queue a priority frame; -1 with errno ENOBUFS if there is no room. */
int	 stream_send(struct fwd *, uint8_t type, const void *, size_t);
/* Write what the socket takes now; -1 with errno if it is dead. */
int	 stream_write(struct fwd *);
/*
 * Write what the socket takes, then fit the polls to what is left; a dead
 * socket ends the session here, so no caller has to.
 */
void	 stream_flush(struct fwd *);
/* Queue a heartbeat of ours, timestamped for the round trip. */
void	 stream_heartbeat(struct fwd *);
void	 stream_rekey_check(struct fwd *);
void	 stream_goodbye(struct fwd *, const char *reason);
void	 stream_poll_cb(uv_poll_t *, int, int);
/* Give the pages of empty buffers back after a quiet spell. */
void	 stream_trim(struct fwd *);

/* legacy.c */
/* From FwdStream, before the sandbox; 0, or -1 with errno. */
int	 legacy_setup(struct fwd *, const uint8_t *key, int client,
	    const uint8_t *first, size_t first_len);
void	 legacy_wipe(struct fwd *);
/* Polls and the first frame, once confined. */
void	 legacy_start(struct fwd *);
/* When the heartbeat rules next have something to do; do it. */
uint64_t legacy_due(struct fwd *);
void	 legacy_tick(struct fwd *, uint64_t now);
/* stream_flush for a legacy session. */
void	 legacy_flush(struct fwd *);

/* packet.c */
void	 packet_update_poll(struct fwd *);
void	 packet_poll_cb(uv_poll_t *, int, int);
void	 packet_deliver(struct fwd *, uint8_t *, size_t);
/* The flow bucket of a DATA payload (virtio-net header and packet). */
unsigned packet_flow(const uint8_t *, size_t);

#endif
