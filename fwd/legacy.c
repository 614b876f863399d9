/* SPDX-License-Identifier: ISC */
/*
 * A forwarder speaking the original ipcp's wire (proto/legacy.h), for a
 * peer configured with wire = legacy.  It replaces stream.c and the TUN
 * read side of packet.c for such a session; the channel to ipcpd, the
 * sandbox and inbound delivery (packet_deliver, with its allowed-ips
 * check) are the same.
 *
 * The original has no CONTROL, REKEY or CLOSE: what ipcpd would send the
 * peer is dropped, and a session ends by closing the socket.  Its TUN
 * reads carry a 4-byte packet information header, ours a virtio-net
 * header with offloads off (ipcpd opens a legacy peer's TUN so): the
 * header is swapped on the way through, and a packet whose protocol
 * field contradicts its IP version is dropped.
 *
 * Heartbeats are the original's, not ours: only the client (the side
 * that dialed) asks, after LEGACY_HEARTBEAT_MS idle both ways, one at a
 * time, and gives up LEGACY_DEAD_MS after an unanswered one; the server
 * only answers, and gives up after LEGACY_DEAD_MS without a valid frame.
 * Anything that does not parse, open or fit ends the session, saying why.
 *
 * Output is one small buffer of whole sealed frames; while it has no room
 * for two more, the TUN is not read (the kernel's queue drops), so at
 * most LEGACY_OBUF_SIZE bytes of delay wait here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "fwd.h"
#include "legacy.h"
#include "vnet.h"

#define LEGACY_OBUF_SIZE	(64 * 1024)
#define LEGACY_IBUF_SIZE	(64 * 1024)
/* A heartbeat that found no room is tried again this much later. */
#define LEGACY_RETRY_MS		250

struct fwd_legacy {
	uint8_t		 key[LEGACY_KEY_LEN];
	int		 client;	/* we dialed: we send heartbeats */
	uint8_t		 obuf[LEGACY_OBUF_SIZE];
	size_t		 ooff, olen;
	uint8_t		 ibuf[LEGACY_IBUF_SIZE];
	size_t		 ioff, ilen;
	uint8_t		 plain[LEGACY_PLAIN_MAX];
	/* A TUN read, and an inbound packet with its virtio-net header. */
	uint8_t		 pkt[VNET_HDR_LEN + LEGACY_MTU_MAX + 1];
	uint64_t	 last_rx_ms;		/* any valid frame */
	uint64_t	 data_tx_ms, data_rx_ms;
	uint64_t	 hb_sent_ms;
	uint64_t	 retry_ms;		/* no heartbeat before */
	int		 hb_pending;
};

/* The protocol fields of struct tun_pi that the original writes. */
#define PI_IPV4		0x0800
#define PI_IPV6		0x86dd

static void	legacy_tcp_cb(uv_poll_t *, int, int);
static void	legacy_tun_cb(uv_poll_t *, int, int);

int
legacy_setup(struct fwd *f, const uint8_t *key, int client,
    const uint8_t *first, size_t first_len)
{
	struct fwd_legacy	*lg;

	if (first_len > LEGACY_FRAME_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if ((lg = calloc(1, sizeof(*lg))) == NULL)
		return -1;
	memcpy(lg->key, key, LEGACY_KEY_LEN);
	lg->client = client;
	/* A client dialed: nothing was read before us (first is NULL). */
	if (first_len > 0)
		memcpy(lg->ibuf, first, first_len);
	lg->ilen = first_len;
	f->lg = lg;
	f->legacy = 1;
	return 0;
}

void
legacy_wipe(struct fwd *f)
{
	if (f->lg != NULL)
		sodium_memzero(f->lg, sizeof(*f->lg));
}

static size_t
room(const struct fwd_legacy *lg)
{
	return LEGACY_OBUF_SIZE - (lg->olen - lg->ooff);
}

/* Seal one message behind what waits; -1 with ENOBUFS if it cannot fit. */
static int
legacy_queue(struct fwd *f, uint8_t type, const uint8_t *p, size_t n)
{
	struct fwd_legacy	*lg = f->lg;
	size_t			 len;

	if (LEGACY_OBUF_SIZE - lg->olen < LEGACY_FRAME_MAX && lg->ooff > 0) {
		memmove(lg->obuf, lg->obuf + lg->ooff, lg->olen - lg->ooff);
		lg->olen -= lg->ooff;
		lg->ooff = 0;
	}
	if (LEGACY_OBUF_SIZE - lg->olen < LEGACY_FRAME_MAX) {
		errno = ENOBUFS;
		return -1;
	}
	if ((len = legacy_seal(lg->key, type, p, n, lg->obuf + lg->olen)) == 0)
		return -1;
	lg->olen += len;
	return 0;
}

static void
legacy_update_poll(struct fwd *f)
{
	struct fwd_legacy	*lg = f->lg;
	int			 tcp = UV_READABLE, tun = 0;

	if (lg->olen > lg->ooff)
		tcp |= UV_WRITABLE;
	/* Room for a DATA frame and, behind it, a heartbeat or its ack. */
	if (room(lg) >= 2 * LEGACY_FRAME_MAX)
		tun = UV_READABLE;
	if (tcp != f->tcp_events) {
		uv_poll_start(&f->tcp_poll, tcp, legacy_tcp_cb);
		f->tcp_events = tcp;
	}
	if (tun != f->tun_events) {
		if (tun == 0)
			uv_poll_stop(&f->tun_poll);
		else
			uv_poll_start(&f->tun_poll, tun, legacy_tun_cb);
		f->tun_events = tun;
	}
}

void
legacy_flush(struct fwd *f)
{
	struct fwd_legacy	*lg = f->lg;
	ssize_t			 n;

	while (lg->olen > lg->ooff) {
		n = write(f->tcp_fd, lg->obuf + lg->ooff, lg->olen - lg->ooff);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			fwd_end(f, 0, 0, "write to peer: %s", strerror(errno));
		}
		lg->ooff += n;
	}
	if (lg->ooff == lg->olen)
		lg->ooff = lg->olen = 0;
	legacy_update_poll(f);
}

/* An IP packet with a virtio-net header, from our TUN, to the peer. */
static void
legacy_tun_packet(struct fwd *f, uint8_t *p, size_t n)
{
	struct fwd_legacy	*lg = f->lg;
	uint8_t			*pi = p + VNET_HDR_LEN - LEGACY_PI_LEN;
	size_t			 iplen = n - VNET_HDR_LEN;
	int			 v = p[VNET_HDR_LEN] >> 4;

	/* Offloads are off on this TUN: a super-packet is a broken kernel. */
	if (p[1] != VNET_GSO_NONE || iplen < 1 || (v != 4 && v != 6)) {
		f->st.tx_dropped++;
		return;
	}
	pi[0] = pi[1] = 0;
	pi[2] = (v == 4 ? PI_IPV4 : PI_IPV6) >> 8;
	pi[3] = (v == 4 ? PI_IPV4 : PI_IPV6) & 0xff;
	if (legacy_queue(f, LEGACY_DATA, pi, LEGACY_PI_LEN + iplen) == -1) {
		f->st.tx_dropped++;
		return;
	}
	lg->data_tx_ms = fwd_now(f);
	f->st.tx_packets++;
	f->st.tx_bytes += iplen;
}

static void
legacy_tun_cb(uv_poll_t *h, int status, int events)
{
	struct fwd		*f = h->data;
	struct fwd_legacy	*lg = f->lg;
	ssize_t			 n;
	int			 i;

	if (status < 0)
		fwd_end(f, 0, 0, "TUN: %s", uv_strerror(status));
	for (i = 0; i < FWD_TUN_BATCH && room(lg) >= 2 * LEGACY_FRAME_MAX;
	    i++) {
		n = read(f->tun_fd, lg->pkt, sizeof(lg->pkt));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			fwd_end(f, 0, 0, "read from TUN: %s", strerror(errno));
		}
		if (n == 0)
			fwd_end(f, 0, 0, "TUN closed");
		/* Longer than an original frame carries (ipcpd caps mtu). */
		if ((size_t)n >= sizeof(lg->pkt) || n <= VNET_HDR_LEN) {
			f->st.tx_dropped++;
			continue;
		}
		legacy_tun_packet(f, lg->pkt, n);
	}
	legacy_flush(f);
}

static void
pi_drop(struct fwd *f, const char *why)
{
	f->st.rx_dropped++;
	if (log_ratelimit(&f->drop_rl))
		log_warnx("dropped packet from peer: %s", why);
}

/* DATA from the peer: its packet information header, then the packet. */
static void
legacy_data(struct fwd *f, const uint8_t *p, size_t n)
{
	struct fwd_legacy	*lg = f->lg;
	unsigned		 proto;
	int			 v;

	lg->data_rx_ms = fwd_now(f);
	if (n <= LEGACY_PI_LEN) {
		pi_drop(f, "no packet behind its header");
		return;
	}
	proto = (unsigned)p[2] << 8 | p[3];
	v = p[LEGACY_PI_LEN] >> 4;
	if (!(proto == PI_IPV4 && v == 4) && !(proto == PI_IPV6 && v == 6)) {
		pi_drop(f, "protocol field does not match the packet");
		return;
	}
	/* legacy_open bounded n by LEGACY_PAYLOAD_MAX: it fits pkt. */
	memset(lg->pkt, 0, VNET_HDR_LEN);
	memcpy(lg->pkt + VNET_HDR_LEN, p + LEGACY_PI_LEN, n - LEGACY_PI_LEN);
	packet_deliver(f, lg->pkt, VNET_HDR_LEN + n - LEGACY_PI_LEN);
}

static void
legacy_dispatch(struct fwd *f, uint8_t type, const uint8_t *p, size_t n)
{
	struct fwd_legacy	*lg = f->lg;
	uint64_t		 now = fwd_now(f);

	lg->last_rx_ms = f->last_rx_ms = now;
	switch (type) {
	case LEGACY_DATA:
		legacy_data(f, p, n);
		break;
	case LEGACY_HEARTBEAT:
		/* The original's client ends here too: only it asks. */
		if (lg->client)
			fwd_end(f, 0, 0, "heartbeat request from the server "
			    "side");
		if (legacy_queue(f, LEGACY_HEARTBEAT_ACK, NULL, 0) == -1)
			fwd_end(f, 0, 0, "cannot queue heartbeat ack: %s",
			    strerror(errno));
		break;
	case LEGACY_HEARTBEAT_ACK:
		if (!lg->client || !lg->hb_pending)
			fwd_end(f, 0, 0, "unexpected heartbeat ack");
		lg->hb_pending = 0;
		f->st.rtt_us = (now - lg->hb_sent_ms) * 1000;
		break;
	}
}

/* Whole frames out of ibuf; the first bad one ends the session. */
static void
legacy_parse(struct fwd *f)
{
	struct fwd_legacy	*lg = f->lg;
	enum legacy_err		 e;
	size_t			 body, n;
	uint8_t			 type;

	while (lg->ilen - lg->ioff >= LEGACY_LEN_LEN) {
		/* Bounded before a byte of the body is waited for. */
		if (legacy_frame_len(lg->ibuf + lg->ioff, &body) == -1) {
			fwd_end(f, 0, 0, "bad frame from peer: length %u out "
			    "of bounds (%d..%d)", be32_get(lg->ibuf + lg->ioff),
			    LEGACY_BODY_MIN, LEGACY_BODY_MAX);
		}
		if (lg->ilen - lg->ioff < LEGACY_LEN_LEN + body)
			break;
		e = legacy_open(lg->key, lg->ibuf + lg->ioff,
		    LEGACY_LEN_LEN + body, lg->plain, &type, &n);
		if (e != LEGACY_OK) {
			/* Counted like the ipcp wire's (stream.c). */
			if (e == LEGACY_ERR_AUTH)
				f->st.drop_auth++;
			if (e == LEGACY_ERR_TYPE)
				fwd_end(f, 0, 0, "bad frame from peer: %s %u",
				    legacy_strerror(e), lg->plain[0]);
			fwd_end(f, 0, 0, "bad frame from peer: %s",
			    legacy_strerror(e));
		}
		lg->ioff += LEGACY_LEN_LEN + body;
		legacy_dispatch(f, type, lg->plain + LEGACY_MSG_HDR_LEN, n);
	}
	sodium_memzero(lg->plain, sizeof(lg->plain));
	if (lg->ioff == lg->ilen)
		lg->ioff = lg->ilen = 0;
	else if (LEGACY_IBUF_SIZE - lg->ilen < LEGACY_FRAME_MAX) {
		memmove(lg->ibuf, lg->ibuf + lg->ioff, lg->ilen - lg->ioff);
		lg->ilen -= lg->ioff;
		lg->ioff = 0;
	}
}

static void
legacy_tcp_cb(uv_poll_t *h, int status, int events)
{
	struct fwd		*f = h->data;
	struct fwd_legacy	*lg = f->lg;
	ssize_t			 n;
	int			 i;

	if (status < 0)
		fwd_end(f, 0, 0, "connection: %s", uv_strerror(status));
	if (events & UV_WRITABLE)
		legacy_flush(f);
	for (i = 0; (events & UV_READABLE) && i < FWD_TCP_BATCH; i++) {
		n = read(f->tcp_fd, lg->ibuf + lg->ilen,
		    LEGACY_IBUF_SIZE - lg->ilen);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			fwd_end(f, 0, 0, "read from peer: %s",
			    strerror(errno));
		}
		if (n == 0)
			fwd_end(f, 0, 0, "peer closed the connection");
		lg->ilen += n;
		legacy_parse(f);
	}
	legacy_flush(f);
}

/*
 * The original's heartbeat rules, client or server (session.c there), as
 * deadlines: fwd.c looks at them after every wakeup and wakes us for the
 * earliest, instead of a tick four times a second.
 */
uint64_t
legacy_due(struct fwd *f)
{
	struct fwd_legacy	*lg = f->lg;
	uint64_t		 t;

	if (!lg->client)
		return lg->last_rx_ms + LEGACY_DEAD_MS;
	if (lg->hb_pending)
		return lg->hb_sent_ms + LEGACY_DEAD_MS;
	t = lg->data_tx_ms > lg->data_rx_ms ? lg->data_tx_ms : lg->data_rx_ms;
	if (lg->hb_sent_ms > t)
		t = lg->hb_sent_ms;
	t += LEGACY_HEARTBEAT_MS;
	return t > lg->retry_ms ? t : lg->retry_ms;
}

void
legacy_tick(struct fwd *f, uint64_t now)
{
	struct fwd_legacy	*lg = f->lg;

	if (!lg->client) {
		if (now - lg->last_rx_ms >= LEGACY_DEAD_MS)
			fwd_end(f, 0, 0, "no valid frame from the client for "
			    "%d s", LEGACY_DEAD_MS / 1000);
		return;
	}
	if (!lg->hb_pending && now >= legacy_due(f)) {
		/* No room is a full buffer, and then traffic moves anyway. */
		if (legacy_queue(f, LEGACY_HEARTBEAT, NULL, 0) == 0) {
			lg->hb_pending = 1;
			lg->hb_sent_ms = now;
		} else
			lg->retry_ms = now + LEGACY_RETRY_MS;
		legacy_flush(f);
	}
	if (lg->hb_pending && now - lg->hb_sent_ms >= LEGACY_DEAD_MS)
		fwd_end(f, 0, 0, "no heartbeat ack from the server for %d s",
		    LEGACY_DEAD_MS / 1000);
}

/* Sandboxed, in the loop: start moving, beginning with ipcpd's frame. */
void
legacy_start(struct fwd *f)
{
	struct fwd_legacy	*lg = f->lg;
	uint64_t		 now = fwd_now(f);

	lg->last_rx_ms = lg->data_tx_ms = lg->data_rx_ms = now;
	lg->hb_sent_ms = now;
	log_warnx("legacy wire (the original ipcp's, as %s): no replay "
	    "protection and no forward secrecy", lg->client ? "client" :
	    "server");
	legacy_parse(f);
	legacy_flush(f);
}
