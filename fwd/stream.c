/* SPDX-License-Identifier: ISC */
/*
 * The encrypted TCP side of a forwarder.
 *
 * Output.  DATA frames are queued in plaintext, in a ring of chunks
 * (fwd.h), with room for their header and tag around the packet, and
 * sealed in place only when the socket is about to take them: at most
 * FWD_SEAL_AHEAD bytes of sealed DATA wait at any time.  The sealed but
 * unwritten bytes are the "window"; a new window is sealed only once the
 * last one is fully written, so every frame boundary on the wire is a
 * window boundary or inside one, and the window starts with whatever
 * priority frames (heartbeats and their acks, CONTROL, REKEY, CLOSE)
 * have queued meanwhile.  That keeps the nonce order (sealing order) and
 * the wire order the same while letting small frames past bulk data.
 * Each turn of the loop writes the window with one writev.
 *
 * Input.  Bytes are read in large chunks and parsed into frames, each
 * header checked before its body is waited for, each body opened in
 * place.  Any frame that fails a check ends the session: the stream has
 * no way to resynchronise, and a peer that sends one is broken or lying.
 * Heartbeats, their round trip, and the periodic rekey live here too;
 * when they are sent is fwd.c's business (fwd.h has the rules).
 */
#include <sys/mman.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fwd.h"

/* A goodbye from the peer is logged; keep it short and printable. */
#define STREAM_GOODBYE_MAX	200
#define STREAM_HB_LEN		8
/* Room for the largest packet a TUN read returns, page-rounded. */
#define STREAM_DROPBUF_SIZE	(2 * 65536)

#define OC(f, i)	(&(f)->oc[((f)->oc_first + (i)) % FWD_NCHUNKS])

static void	stream_dispatch(struct fwd *, uint8_t, uint8_t *, size_t);

/* Anonymous memory, touched only as used; NULL on failure. */
static void *
stream_alloc(size_t len)
{
	void	*p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * One mapping for every big buffer: an idle forwarder has touched almost
 * none of it, and stream_trim can give it all back with one madvise.
 */
int
stream_init(struct fwd *f)
{
	size_t	i;

	f->memlen = FWD_NCHUNKS * FWD_CHUNK_SIZE + FWD_IBUF_SIZE +
	    STREAM_DROPBUF_SIZE;
	if ((f->mem = stream_alloc(f->memlen)) == NULL)
		return -1;
	for (i = 0; i < FWD_NCHUNKS; i++)
		f->oc[i].buf = f->mem + i * FWD_CHUNK_SIZE;
	f->ibuf = f->mem + FWD_NCHUNKS * FWD_CHUNK_SIZE;
	f->dropbuf = f->ibuf + FWD_IBUF_SIZE;
	f->oc_first = f->oc_n = 0;
	f->oq_bytes = f->win = 0;
	f->poff = f->pseal = f->plen = 0;
	f->ioff = f->ilen = 0;
	return 0;
}

void
stream_trim(struct fwd *f)
{
	uint64_t	moved = f->st.rx_packets + f->st.tx_packets +
			    f->st.rx_dropped + f->st.tx_dropped;
	uint64_t	now = fwd_now(f);

	if (moved != f->trim_moved) {
		f->trim_moved = moved;
		f->busy_ms = now;
		f->trimmed = 0;
		return;
	}
	if (f->trimmed || now - f->busy_ms < FWD_IDLE_TRIM_MS ||
	    f->oq_bytes != 0 || f->win != 0 || f->ilen != 0)
		return;
	/* Empty queues: their pages come back as zeroes when next used. */
	f->oc_first = f->oc_n = 0;
	(void)madvise(f->mem, f->memlen, MADV_DONTNEED);
	f->trimmed = 1;
}

static int
stream_has_output(struct fwd *f)
{
	return f->win > 0 || f->plen > f->pseal || f->oq_bytes > 0;
}

void
stream_update_poll(struct fwd *f)
{
	int	events = 0;

	/* While saying goodbye nothing the peer sends matters any more. */
	if (!f->closing)
		events |= UV_READABLE;
	if (stream_has_output(f))
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
stream_data_reserve(struct fwd *f)
{
	struct fwd_chunk	*c;

	if (f->oq_bytes >= FWD_OQ_MAX)
		return NULL;
	if (f->oc_n > 0) {
		c = OC(f, f->oc_n - 1);
		if (FWD_CHUNK_SIZE - c->tail >= FRAME_MAX_LEN)
			return c->buf + c->tail;
	}
	if (f->oc_n == FWD_NCHUNKS)
		return NULL;
	c = OC(f, f->oc_n);
	c->head = c->seal = c->tail = 0;
	f->oc_n++;
	return c->buf;
}

int
stream_data_sparse(struct fwd *f, const uint8_t *p, size_t plen)
{
	unsigned	flow;

	if (plen > FWD_SPARSE_MAX || f->plen - f->poff + FRAME_HDR_LEN +
	    plen + FRAME_TAG_LEN > FWD_PBUF_SIZE / 2)
		return -1;
	flow = packet_flow(p, plen);
	if (f->flow_q[flow] != 0 || stream_send(f, FRAME_DATA, p, plen) == -1)
		return -1;
	f->flow_q[flow]++;
	return 0;
}

void
stream_data_commit(struct fwd *f, size_t plen)
{
	struct fwd_chunk	*c = OC(f, f->oc_n - 1);
	uint8_t			*p = c->buf + c->tail + FRAME_HDR_LEN;

	if (stream_data_sparse(f, p, plen) == 0)
		return;
	f->flow_q[packet_flow(p, plen)]++;
	frame_hdr_put(c->buf + c->tail, FRAME_DATA, plen);
	c->tail += FRAME_HDR_LEN + plen + FRAME_TAG_LEN;
	f->oq_bytes += FRAME_HDR_LEN + plen + FRAME_TAG_LEN;
}

int
stream_send(struct fwd *f, uint8_t type, const void *data, size_t len)
{
	size_t	need = FRAME_HDR_LEN + len + FRAME_TAG_LEN;

	if (len > FRAME_MAX_CONTROL) {
		errno = EMSGSIZE;
		return -1;
	}
	if (FWD_PBUF_SIZE - f->plen < need && f->poff > 0) {
		memmove(f->pbuf, f->pbuf + f->poff, f->plen - f->poff);
		f->pseal -= f->poff;
		f->plen -= f->poff;
		f->poff = 0;
	}
	if (FWD_PBUF_SIZE - f->plen < need) {
		errno = ENOBUFS;
		return -1;
	}
	frame_hdr_put(f->pbuf + f->plen, type, len);
	if (len > 0)
		memcpy(f->pbuf + f->plen + FRAME_HDR_LEN, data, len);
	f->plen += need;
	return 0;
}

static void
seal_one(struct fwd *f, uint8_t *h)
{
	uint8_t	type = h[4];
	size_t	plen = frame_hdr_body(h) - FRAME_TAG_LEN;

	/* Sealed: its flow's next small packet may go ahead again. */
	if (type == FRAME_DATA)
		f->flow_q[packet_flow(h + FRAME_HDR_LEN, plen)]--;
	if (frame_seal(&f->tx, type, h, plen) == 0)
		fwd_end(f, 0, 0, "cannot seal: %s", strerror(errno));
	f->tx_since_rekey++;
	if (type != FRAME_REKEY)
		return;
	/* REKEY goes out under the old key; everything after under the new. */
	if (frame_key_ratchet(&f->tx) == -1)
		fwd_end(f, 0, 0, "cannot rekey: %s", strerror(errno));
	f->tx_since_rekey = 0;
	f->rekey_at_ms = fwd_now(f) + FWD_REKEY_MS;
	f->rekey_queued = 0;
	log_debug("rekeyed the sending direction");
}

/* Seal the next window: the priority frames, then a bounded run of DATA. */
static void
window_seal(struct fwd *f)
{
	struct fwd_chunk	*c;
	size_t			 n = 0, len;
	unsigned		 i;

	while (f->pseal < f->plen) {
		len = FRAME_HDR_LEN + frame_hdr_body(f->pbuf + f->pseal);
		seal_one(f, f->pbuf + f->pseal);
		f->pseal += len;
		f->win += len;
	}
	/* After the goodbye, nothing; before it, what was sealed. */
	if (f->closing)
		return;
	for (i = 0; i < f->oc_n && n < FWD_SEAL_AHEAD; i++) {
		c = OC(f, i);
		while (c->seal < c->tail && n < FWD_SEAL_AHEAD) {
			len = FRAME_HDR_LEN + frame_hdr_body(c->buf + c->seal);
			seal_one(f, c->buf + c->seal);
			c->seal += len;
			n += len;
		}
	}
	f->win += n;
}

/* Account for n bytes written: the window, then the chunks they were in. */
static void
window_advance(struct fwd *f, size_t n)
{
	struct fwd_chunk	*c;
	size_t			 step;
	unsigned		 i;

	f->win -= n;
	step = f->pseal - f->poff < n ? f->pseal - f->poff : n;
	f->poff += step;
	n -= step;
	for (i = 0; n > 0 && i < f->oc_n; i++) {
		c = OC(f, i);
		step = c->seal - c->head < n ? c->seal - c->head : n;
		c->head += step;
		f->oq_bytes -= step;
		n -= step;
	}
	while (f->oc_n > 0 && OC(f, 0)->head == OC(f, 0)->tail) {
		c = OC(f, 0);
		if (f->oc_n == 1) {
			c->head = c->seal = c->tail = 0;
			break;
		}
		f->oc_first = (f->oc_first + 1) % FWD_NCHUNKS;
		f->oc_n--;
	}
	if (f->poff == f->plen)
		f->poff = f->pseal = f->plen = 0;
}

int
stream_write(struct fwd *f)
{
	struct iovec		 iov[1 + FWD_NCHUNKS];
	struct fwd_chunk	*c;
	ssize_t			 n;
	size_t			 total;
	unsigned		 i;
	int			 cnt;

	for (;;) {
		if (f->win == 0) {
			window_seal(f);
			if (f->win == 0)
				return 0;
		}
		cnt = 0;
		total = 0;
		if (f->pseal > f->poff) {
			iov[cnt].iov_base = f->pbuf + f->poff;
			iov[cnt++].iov_len = f->pseal - f->poff;
			total += f->pseal - f->poff;
		}
		for (i = 0; i < f->oc_n; i++) {
			c = OC(f, i);
			if (c->seal == c->head)
				continue;
			iov[cnt].iov_base = c->buf + c->head;
			iov[cnt++].iov_len = c->seal - c->head;
			total += c->seal - c->head;
		}
		n = writev(f->tcp_fd, iov, cnt);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		window_advance(f, n);
		/* Short: the socket is full, and will say when it is not. */
		if ((size_t)n < total)
			return 0;
	}
}

void
stream_flush(struct fwd *f)
{
	if (f->legacy) {
		legacy_flush(f);
		return;
	}
	if (stream_write(f) == -1) {
		/* Saying goodbye to a peer that has gone: it ended anyway. */
		if (f->closing)
			fwd_end(f, 0, 0, "%s", f->close_reason);
		fwd_end(f, 0, 0, "write to peer: %s", strerror(errno));
	}
	/* The goodbye is out once nothing sealed or queued ahead remains. */
	if (f->closing && f->win == 0 && f->plen == 0)
		fwd_end(f, 0, 0, "%s", f->close_reason);
	/* Room among the priority frames for a CONTROL that waited? */
	if (f->ctl_pending != NULL)
		chan_control_retry(f);
	stream_update_poll(f);
	packet_update_poll(f);
}

void
stream_goodbye(struct fwd *f, const char *reason)
{
	size_t	len = strnlen(reason, FRAME_MAX_CLOSE);

	/* The original ipcp has no CLOSE frame. */
	if (f->legacy)
		return;
	/* Best effort: the session ends whether or not this gets out. */
	if (stream_send(f, FRAME_CLOSE, reason, len) == 0) {
		f->closing = 1;
		(void)stream_write(f);
	}
}

void
stream_heartbeat(struct fwd *f)
{
	uint8_t		 buf[STREAM_HB_LEN];
	uint64_t	 now = now_us();
	int		 i;

	if (f->closing)
		return;
	for (i = 0; i < STREAM_HB_LEN; i++)
		buf[i] = (uint8_t)(now >> (56 - 8 * i));
	/* With no room the peer is not reading; it will notice. */
	(void)stream_send(f, FRAME_HEARTBEAT, buf, sizeof(buf));
	f->hb_sent_ms = fwd_now(f);
}

void
stream_rekey_check(struct fwd *f)
{
	if (f->closing || f->rekey_queued)
		return;
	if (f->tx_since_rekey < FWD_REKEY_FRAMES &&
	    fwd_now(f) < f->rekey_at_ms)
		return;
	/* No room now: the next TUN batch or stats tick tries again. */
	if (stream_send(f, FRAME_REKEY, NULL, 0) == 0)
		f->rekey_queued = 1;
}

static void
stream_parse(struct fwd *f)
{
	uint8_t		*frame, *payload, type;
	uint32_t	 body;
	size_t		 plen, need;
	int		 opened = 0;

	while (f->ilen - f->ioff >= FRAME_HDR_LEN) {
		frame = f->ibuf + f->ioff;
		if (frame_header(frame, &type, &body) == -1) {
			uint32_t claim = frame_hdr_body(frame);

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
		if (frame_open(&f->rx, frame, need, &payload, &plen) == -1) {
			/* Counted, so that ipcpd can say why the peer went. */
			f->st.drop_auth++;
			fwd_end(f, 0, 1, "authentication failed");
		}
		f->ioff += need;
		opened = 1;
		stream_dispatch(f, type, payload, plen);
	}
	if (opened)
		f->last_rx_ms = fwd_now(f);
	if (f->ioff == f->ilen)
		f->ioff = f->ilen = 0;
	else if (FWD_IBUF_SIZE - f->ilen < FRAME_MAX_LEN) {
		/* Make sure the rest of a partial frame fits behind it. */
		memmove(f->ibuf, f->ibuf + f->ioff, f->ilen - f->ioff);
		f->ilen -= f->ioff;
		f->ioff = 0;
	}
}

/* A few large reads per wakeup, each parsed and delivered at once. */
static void
stream_read(struct fwd *f)
{
	size_t	want;
	ssize_t	n;
	int	i;

	for (i = 0; i < FWD_TCP_BATCH && !f->closing; i++) {
		want = FWD_IBUF_SIZE - f->ilen;
		n = read(f->tcp_fd, f->ibuf + f->ilen, want);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			fwd_end(f, 0, 0, "read from peer: %s",
			    strerror(errno));
		}
		if (n == 0)
			fwd_end(f, 0, 0, "peer closed the connection");
		f->ilen += n;
		stream_parse(f);
		/* Less than asked for: the socket is empty for now. */
		if ((size_t)n < want)
			return;
	}
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
		if (f->closing)
			break;
		/* It overtakes queued DATA; with no room it is skipped. */
		if (stream_send(f, FRAME_HEARTBEAT_ACK, p, len) == -1 &&
		    errno != ENOBUFS)
			fwd_end(f, 0, 0, "cannot seal: %s", strerror(errno));
		/*
		 * An answerer's own, now and then, for the round trip: in the
		 * same write as the ack, and the peer acks it at once.
		 */
		if (!f->heartbeater && (f->hb_sent_ms == 0 || fwd_now(f) >=
		    f->hb_sent_ms + FWD_RTT_PROBE_HB *
		    (uint64_t)f->params.heartbeat_ms))
			stream_heartbeat(f);
		break;
	case FRAME_HEARTBEAT_ACK:
		/* Not an echo of one of ours: ignore rather than guess. */
		if (len != STREAM_HB_LEN)
			break;
		for (sent = 0, i = 0; i < STREAM_HB_LEN; i++)
			sent = sent << 8 | p[i];
		now = now_us();
		if (sent <= now)
			f->st.rtt_us = now - sent;
		break;
	case FRAME_CONTROL:
		chan_control_in(f, p, len);
		break;
	case FRAME_REKEY:
		if (frame_key_ratchet(&f->rx) == -1)
			fwd_end(f, 0, 0, "cannot rekey: %s", strerror(errno));
		log_debug("peer rekeyed its sending direction");
		break;
	case FRAME_CLOSE:
		sanitize(text, sizeof(text), p, len);
		f->peer_goodbye = 1;
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
	stream_flush(f);
}
