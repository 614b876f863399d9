/* SPDX-License-Identifier: ISC */
/*
 * The TUN side of a forwarder.  Outbound, each packet is read straight
 * into the output buffer behind room for a frame header and sealed there,
 * so a packet is never copied; when the buffer is full the TUN is no
 * longer polled and the kernel's queue drops instead of our memory
 * growing.  Inbound, each DATA payload must be one well-formed IPv4 or
 * IPv6 packet whose source the peer may use (its allowed-ips), or it is
 * dropped and counted; a bad packet does not end the session.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fwd.h"

void
packet_update_poll(struct fwd *f)
{
	int	events = 0;

	if (!f->closing && stream_data_room(f))
		events = UV_READABLE;
	if (events == f->tun_events)
		return;
	if (events == 0)
		uv_poll_stop(&f->tun_poll);
	else
		uv_poll_start(&f->tun_poll, events, packet_poll_cb);
	f->tun_events = events;
}

void
packet_poll_cb(uv_poll_t *h, int status, int events)
{
	struct fwd	*f = h->data;
	uint8_t		*buf;
	ssize_t		 n;
	int		 i;

	if (status < 0)
		fwd_end(f, 0, 1, "TUN: %s", uv_strerror(status));
	for (i = 0; i < FWD_TUN_BATCH && stream_data_room(f); i++) {
		if ((buf = stream_reserve(f, FRAME_MAX_PAYLOAD)) == NULL)
			break;
		n = read(f->tun_fd, buf + FRAME_HDR_LEN, FRAME_MAX_PAYLOAD);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			fwd_end(f, 0, 1, "read from TUN: %s", strerror(errno));
		}
		/* A TUN never returns 0; a stand-in socket does on close. */
		if (n == 0)
			fwd_end(f, 0, 1, "TUN closed");
		if (stream_commit(f, FRAME_DATA, n) == -1) {
			f->st.tx_dropped++;
			continue;
		}
		f->st.tx_packets++;
		f->st.tx_bytes += n;
	}
	stream_rekey_check(f);
	if (stream_flush(f) == -1)
		fwd_end(f, 0, 0, "write to peer: %s", strerror(errno));
}

/*
 * Returns the source address and its family, or NULL if this is not one
 * whole IP packet.  The kernel would reject most of these too; we check
 * so that the allowed-ips test below looks at a real source.
 */
static const uint8_t *
packet_source(const uint8_t *p, size_t len, int *family)
{
	if (len < 1)
		return NULL;
	switch (p[0] >> 4) {
	case 4:
		if (len < 20 || (p[0] & 0x0f) < 5 ||
		    (size_t)(p[0] & 0x0f) * 4 > len ||
		    (size_t)(p[2] << 8 | p[3]) != len)
			return NULL;
		*family = AF_INET;
		return p + 12;
	case 6:
		if (len < 40 || (size_t)(p[4] << 8 | p[5]) + 40 != len)
			return NULL;
		*family = AF_INET6;
		return p + 8;
	default:
		return NULL;
	}
}

static void
packet_drop(struct fwd *f, const char *why, int family, const uint8_t *src)
{
	char	addr[INET6_ADDRSTRLEN];

	f->st.rx_dropped++;
	/* The peer decides how often this happens: rate-limit it. */
	if (!log_ratelimit(&f->drop_rl))
		return;
	if (src != NULL && inet_ntop(family, src, addr, sizeof(addr)) != NULL)
		log_warnx("dropped packet from %s: %s", addr, why);
	else
		log_warnx("dropped packet: %s", why);
}

void
packet_deliver(struct fwd *f, const uint8_t *p, size_t len)
{
	const uint8_t	*src;
	size_t		 i;
	ssize_t		 n;
	int		 family = AF_UNSPEC;

	if ((src = packet_source(p, len, &family)) == NULL) {
		packet_drop(f, "not an IP packet", family, NULL);
		return;
	}
	for (i = 0; i < f->nallowed; i++)
		if (prefix_match_addr(&f->allowed[i], family, src))
			break;
	if (i == f->nallowed) {
		packet_drop(f, "source not in allowed-ips", family, src);
		return;
	}
	do {
		n = write(f->tun_fd, p, len);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		/* A full TUN queue is congestion, not an error. */
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS) {
			f->st.rx_dropped++;
			return;
		}
		packet_drop(f, strerror(errno), family, src);
		return;
	}
	f->st.rx_packets++;
	f->st.rx_bytes += len;
}
