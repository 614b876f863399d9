/* SPDX-License-Identifier: ISC */
/*
 * ipcp-fwd, the per-session forwarder.  One process per TCP session: it
 * holds the peer's TUN fd, the connected TCP socket and the two session
 * keys, and moves IP packets between them inside a libuv loop after it
 * has confined itself (sandbox.h).  It talks to ipcpd on fd 3 with the
 * message layer (msg.h): setup and stream in, logs, stats, CONTROL
 * payloads and the reason it ended out.
 *
 *   TUN --read--> [hdr|packet|tag] sealed in place --> obuf --write--> TCP
 *   TCP --read--> ibuf --frames opened in place--> checks --write--> TUN
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

#define FWD_CHAN_FD		3
/* How long ipcpd has to hand over setup and stream. */
#define FWD_SETUP_TIMEOUT_MS	10000
/* Sealed frames waiting for the socket.  TUN packets may fill up to
 * FWD_OBUF_DATA_MAX; the rest is kept for heartbeats, CONTROL, REKEY and
 * CLOSE, so the session can always speak even when data backs up. */
#define FWD_OBUF_DATA_MAX	(1024 * 1024)
#define FWD_OBUF_SIZE		(FWD_OBUF_DATA_MAX + 2 * FRAME_MAX_LEN)
/* One read from the socket; many frames are parsed out of it. */
#define FWD_IBUF_SIZE		(256 * 1024)
/* TUN packets taken per wakeup, so the socket side gets its turn. */
#define FWD_TUN_BATCH		64
#define FWD_REKEY_FRAMES	(1ULL << 24)
#define FWD_REKEY_MS		(10 * 60 * 1000)
/* After fwd_close from ipcpd, time to flush the CLOSE frame. */
#define FWD_CLOSE_FLUSH_MS	1000
#define FWD_STATS_MS		1000
#define FWD_REASON_LEN		256

struct fwd_stats {
	uint64_t	rx_bytes;	/* peer -> TUN, inner IP bytes */
	uint64_t	tx_bytes;	/* TUN -> peer */
	uint64_t	rx_packets;
	uint64_t	tx_packets;
	uint64_t	rx_dropped;	/* inbound packets not delivered */
	uint64_t	tx_dropped;	/* outbound packets not sent */
};

struct fwd {
	uv_loop_t		 loop;
	uv_poll_t		 chan_poll;
	uv_poll_t		 tun_poll;
	uv_poll_t		 tcp_poll;
	uv_timer_t		 hb_timer;
	uv_timer_t		 dead_timer;
	uv_timer_t		 stats_timer;
	uv_timer_t		 flush_timer;

	int			 chan_fd;
	int			 tun_fd;
	int			 tcp_fd;
	int			 tun_events;	/* as last given to uv_poll */
	int			 tcp_events;

	char			 peer_name[MSG_MAX_NAME + 1];
	uid_t			 uid;
	gid_t			 gid;
	uint32_t		 mtu;
	uint32_t		 heartbeat_ms;
	uint32_t		 dead_after_ms;
	struct prefix		 allowed[MSG_MAX_PREFIXES];
	size_t			 nallowed;

	struct frame_key	 tx;
	struct frame_key	 rx;
	int			 keys_ready;

	/* Output: sealed frames in [ooff, olen) of obuf. */
	uint8_t			*obuf;
	size_t			 ooff;
	size_t			 olen;
	/* Input: received bytes in [ioff, ilen) of ibuf. */
	uint8_t			*ibuf;
	size_t			 ioff;
	size_t			 ilen;

	uint64_t		 last_rx_ms;	/* last authenticated frame */
	uint64_t		 rtt_us;
	uint64_t		 tx_since_rekey;
	uint64_t		 rekey_at_ms;
	int			 closing;	/* flushing the CLOSE frame */
	char			 close_reason[FWD_REASON_LEN];

	struct fwd_stats	 st;
	struct log_ratelimit	 drop_rl;
};

/* fwd.c */
void	 fwd_end(struct fwd *, int status, int say_goodbye,
	    const char *fmt, ...)
	    __attribute__((format(printf, 4, 5))) __attribute__((noreturn));
void	 fwd_chan_control(struct fwd *, const uint8_t *, size_t);

/* stream.c */
int	 stream_init(struct fwd *);
void	 stream_update_poll(struct fwd *);
/* Room for a frame of plen payload bytes: returns where its header goes
 * (the payload at +FRAME_HDR_LEN), or NULL if the buffer is full. */
uint8_t	*stream_reserve(struct fwd *, size_t plen);
/* Seal the frame built at the pointer stream_reserve returned. */
int	 stream_commit(struct fwd *, uint8_t type, size_t plen);
int	 stream_send(struct fwd *, uint8_t type, const void *, size_t);
/* Room left for TUN data frames. */
int	 stream_data_room(struct fwd *);
int	 stream_flush(struct fwd *);
void	 stream_heartbeat(struct fwd *);
void	 stream_rekey_check(struct fwd *);
void	 stream_goodbye(struct fwd *, const char *reason);
void	 stream_poll_cb(uv_poll_t *, int, int);
uint64_t stream_now_us(void);

/* packet.c */
void	 packet_update_poll(struct fwd *);
void	 packet_poll_cb(uv_poll_t *, int, int);
void	 packet_deliver(struct fwd *, const uint8_t *, size_t);

#endif
