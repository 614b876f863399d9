/* SPDX-License-Identifier: ISC */
/*
 * The encrypted TCP side of a forwarder.  Outgoing frames are sealed in
 * place in one contiguous output buffer and written as the socket takes
 * them; incoming bytes are read in large chunks and parsed into frames,
 * each header checked before its body is waited for, each body opened in
 * place.  Any frame that fails a check ends the session: the stream has
 * no way to resynchronise, and a peer that sends one is broken or lying.
 * Heartbeats, their round trip, and the periodic rekey live here too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fwd.h"

/* A goodbye from the peer is logged; keep it short and printable. */
#define STREAM_GOODBYE_MAX	200
#define STREAM_HB_LEN		8

static void	stream_dispatch(struct fwd *, uint8_t, uint8_t *, size_t);

uint64_t
stream_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
stream_init(struct fwd *f)
{
	if ((f->obuf = malloc(FWD_OBUF_SIZE)) == NULL ||
	    (f->ibuf = malloc(FWD_IBUF_SIZE)) == NULL)
		return -1;
	f->ooff = f->olen = 0;
	f->ioff = f->ilen = 0;
	return 0;
}

void
stream_update_poll(struct fwd *f)
{
	int	events = 0;

	/* While saying goodbye nothing the peer sends matters any more. */
	if (!f->closing)
		events |= UV_READABLE;
	if (f->olen > f->ooff)
		events |= UV_WRITABLE;
	if (events == f->tcp_events)
		return;
	if (events == 0)
		uv_poll_stop(&f->tcp_poll);
	else
		uv_poll_start(&f->tcp_poll, events, stream_poll_cb);
	f->tcp_events = events;
}

uint8_t *
stream_reserve(struct fwd *f, size_t plen)
{
	size_t	need = FRAME_HDR_LEN + plen + FRAME_TAG_LEN;

	if (FWD_OBUF_SIZE - f->olen < need && f->ooff > 0) {
		memmove(f->obuf, f->obuf + f->ooff, f->olen - f->ooff);
		f->olen -= f->ooff;
		f->ooff = 0;
	}
	if (FWD_OBUF_SIZE - f->olen < need)
		return NULL;
	return f->obuf + f->olen;
}

int
stream_commit(struct fwd *f, uint8_t type, size_t plen)
{
	size_t	n;

	if ((n = frame_seal(&f->tx, type, f->obuf + f->olen, plen)) == 0)
		return -1;
	f->olen += n;
	f->tx_since_rekey++;
	return 0;
}

int
stream_send(struct fwd *f, uint8_t type, const void *data, size_t len)
{
	uint8_t	*buf;

	if ((buf = stream_reserve(f, len)) == NULL) {
		errno = ENOBUFS;
		return -1;
	}
	memcpy(buf + FRAME_HDR_LEN, data, len);
	return stream_commit(f, type, len);
}

int
stream_data_room(struct fwd *f)
{
	return f->olen - f->ooff + FRAME_MAX_LEN <= FWD_OBUF_DATA_MAX;
}

/* Write what the socket takes now; 0, or -1 with errno on a dead socket. */
static int
stream_write(struct fwd *f)
{
	ssize_t	n;

	while (f->ooff < f->olen) {
		n = write(f->tcp_fd, f->obuf + f->ooff, f->olen - f->ooff);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		f->ooff += n;
	}
	if (f->ooff == f->olen)
		f->ooff = f->olen = 0;
	return 0;
}

int
stream_flush(struct fwd *f)
{
	if (stream_write(f) == -1) {
		/* Saying goodbye to a peer that has gone: it ended anyway. */
		if (f->closing)
			fwd_end(f, 0, 0, "%s", f->close_reason);
		return -1;
	}
	if (f->closing && f->olen == 0)
		fwd_end(f, 0, 0, "%s", f->close_reason);
	stream_update_poll(f);
	packet_update_poll(f);
	return 0;
}

void
stream_goodbye(struct fwd *f, const char *reason)
{
	size_t	len = strnlen(reason, FRAME_MAX_CONTROL);

	/* Best effort: the session ends whether or not this gets out. */
	if (stream_send(f, FRAME_CLOSE, reason, len) == 0)
		(void)stream_write(f);
}

void
stream_heartbeat(struct fwd *f)
{
	uint8_t		*buf;
	uint64_t	 now = stream_now_us();
	int		 i;

	if (f->closing)
		return;
	/* With the buffer full the peer is not reading; it will notice. */
	if ((buf = stream_reserve(f, STREAM_HB_LEN)) == NULL)
		return;
	for (i = 0; i < STREAM_HB_LEN; i++)
		buf[FRAME_HDR_LEN + i] = (uint8_t)(now >> (56 - 8 * i));
	if (stream_commit(f, FRAME_HEARTBEAT, STREAM_HB_LEN) == -1)
		fwd_end(f, 0, 0, "cannot seal heartbeat: %s", strerror(errno));
}

void
stream_rekey_check(struct fwd *f)
{
	if (f->closing)
		return;
	if (f->tx_since_rekey < FWD_REKEY_FRAMES && now_ms() < f->rekey_at_ms)
		return;
	/* No room now: the next TUN batch or stats tick tries again. */
	if (stream_reserve(f, 0) == NULL)
		return;
	/* REKEY goes out under the old key; everything after under the new. */
	if (stream_commit(f, FRAME_REKEY, 0) == -1 ||
	    frame_key_ratchet(&f->tx) == -1)
		fwd_end(f, 0, 0, "cannot rekey: %s", strerror(errno));
	f->tx_since_rekey = 0;
	f->rekey_at_ms = now_ms() + FWD_REKEY_MS;
	log_debug("rekeyed the sending direction");
}

static void
stream_parse(struct fwd *f)
{
	uint8_t		*frame, *payload, type;
	uint32_t	 body;
	size_t		 plen, need;

	while (f->ilen - f->ioff >= FRAME_HDR_LEN) {
		frame = f->ibuf + f->ioff;
		if (frame_header(frame, &type, &body) == -1) {
			uint32_t claim = (uint32_t)frame[0] << 24 |
			    (uint32_t)frame[1] << 16 | (uint32_t)frame[2] << 8 |
			    frame[3];

			/* Garbage or a peer from another protocol. */
			if (errno == EBADMSG)
				fwd_end(f, 0, 1, "unknown frame type %u",
				    frame[4]);
			if (claim < FRAME_TAG_LEN)
				fwd_end(f, 0, 1, "frame too short (%u bytes)",
				    claim);
			fwd_end(f, 0, 1, "frame too long (%u bytes)", claim);
		}
		need = FRAME_HDR_LEN + body;
		if (f->ilen - f->ioff < need)
			break;
		if (frame_open(&f->rx, frame, need, &payload, &plen) == -1)
			fwd_end(f, 0, 1, "authentication failed");
		f->ioff += need;
		f->last_rx_ms = now_ms();
		stream_dispatch(f, type, payload, plen);
	}
	if (f->ioff == f->ilen)
		f->ioff = f->ilen = 0;
	else if (FWD_IBUF_SIZE - f->ilen < FRAME_MAX_LEN) {
		/* Make sure the rest of a partial frame fits behind it. */
		memmove(f->ibuf, f->ibuf + f->ioff, f->ilen - f->ioff);
		f->ilen -= f->ioff;
		f->ioff = 0;
	}
}

static void
stream_read(struct fwd *f)
{
	ssize_t	n;

	do {
		n = read(f->tcp_fd, f->ibuf + f->ilen, FWD_IBUF_SIZE - f->ilen);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		fwd_end(f, 0, 0, "read from peer: %s", strerror(errno));
	}
	if (n == 0)
		fwd_end(f, 0, 0, "peer closed the connection");
	f->ilen += n;
	stream_parse(f);
}

/* Keep what the peer wrote only if it is plain text, and not too much. */
static void
sanitize(char *out, size_t outlen, const uint8_t *in, size_t len)
{
	size_t	i;

	if (len > outlen - 1)
		len = outlen - 1;
	for (i = 0; i < len; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? (char)in[i] : '?';
	out[len] = '\0';
}

static void
stream_dispatch(struct fwd *f, uint8_t type, uint8_t *p, size_t len)
{
	char		 text[STREAM_GOODBYE_MAX + 1];
	uint64_t	 sent, now;
	size_t		 i;

	switch (type) {
	case FRAME_DATA:
		packet_deliver(f, p, len);
		break;
	case FRAME_HEARTBEAT:
		/* If the buffer is full the ack is skipped; data counts too. */
		if (!f->closing && stream_send(f, FRAME_HEARTBEAT_ACK, p,
		    len) == -1 && errno != ENOBUFS)
			fwd_end(f, 0, 0, "cannot seal: %s", strerror(errno));
		break;
	case FRAME_HEARTBEAT_ACK:
		/* Not an echo of one of ours: ignore rather than guess. */
		if (len != STREAM_HB_LEN)
			break;
		for (sent = 0, i = 0; i < STREAM_HB_LEN; i++)
			sent = sent << 8 | p[i];
		now = stream_now_us();
		if (sent <= now)
			f->rtt_us = now - sent;
		break;
	case FRAME_CONTROL:
		fwd_chan_control(f, p, len);
		break;
	case FRAME_REKEY:
		if (frame_key_ratchet(&f->rx) == -1)
			fwd_end(f, 0, 0, "cannot rekey: %s", strerror(errno));
		log_debug("peer rekeyed its sending direction");
		break;
	case FRAME_CLOSE:
		sanitize(text, sizeof(text), p, len);
		fwd_end(f, 0, 0, "peer said goodbye: %s", text);
	}
}

void
stream_poll_cb(uv_poll_t *h, int status, int events)
{
	struct fwd	*f = h->data;

	if (status < 0)
		fwd_end(f, 0, 0, "peer socket: %s", uv_strerror(status));
	if ((events & UV_READABLE) && !f->closing)
		stream_read(f);
	stream_rekey_check(f);
	if (stream_flush(f) == -1)
		fwd_end(f, 0, 0, "write to peer: %s", strerror(errno));
}
