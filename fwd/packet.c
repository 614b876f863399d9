/* SPDX-License-Identifier: ISC */
/*
 * The TUN side of a forwarder.  Every read and write is a virtio-net
 * header and one IP packet or TCP/UDP super-packet (vnet.h).
 *
 * Outbound, each packet is read straight into the output queue behind
 * room for a frame header, checked with the same vnet_check the peer will
 * run (a packet it would refuse is dropped here rather than ending the
 * session there), and queued; it is sealed later, just before the write
 * (stream.c).  When the queue is full the packet is read anyway and
 * dropped: leaving it in the TUN would only move the queue into the
 * kernel's ring, which holds hundreds of 64 KiB packets and would add
 * many milliseconds to every packet behind them, pings included.
 *
 * Inbound, each DATA payload gets a virtio-net header rebuilt from its
 * packet; one that lies about its packet ends the session, one that is
 * merely not an IP packet we deliver, or whose source the peer may not
 * use (outside its allowed-ips, and not IPv6 link-local), is dropped and
 * counted.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fwd.h"
#include "vnet.h"

void
packet_update_poll(struct fwd *f)
{
	int	events = 0;

	if (!f->closing)
		events = UV_READABLE;
	if (events == f->tun_events)
		return;
	if (events == 0)
		uv_poll_stop(&f->tun_poll);
	else
		uv_poll_start(&f->tun_poll, events, packet_poll_cb);
	f->tun_events = events;
}

static void
packet_tx_drop(struct fwd *f, const char *why)
{
	f->st.tx_dropped++;
	if (log_ratelimit(&f->drop_rl))
		log_warnx("dropped outbound packet: %s", why);
}

void
packet_poll_cb(uv_poll_t *h, int status, int events)
{
	struct fwd	*f = h->data;
	struct vnet_pkt	 pkt;
	uint8_t		*buf, *p;
	ssize_t		 n;
	int		 i;

	if (status < 0)
		fwd_end(f, 0, 1, "TUN: %s", uv_strerror(status));
	fwd_stats_wake(f);
	for (i = 0; i < FWD_TUN_BATCH && !f->closing; i++) {
		if ((buf = stream_data_reserve(f)) == NULL) {
			/* Full: give the socket what it takes, then look. */
			if (stream_write(f) == -1)
				fwd_end(f, 0, 0, "write to peer: %s",
				    strerror(errno));
			buf = stream_data_reserve(f);
		}
		p = buf != NULL ? buf + FRAME_HDR_LEN : f->dropbuf;
		n = read(f->tun_fd, p, FRAME_MAX_PAYLOAD);
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
		/* A TUN says how long a packet was, even one cut short. */
		if (n > FRAME_MAX_PAYLOAD) {
			packet_tx_drop(f, "larger than a frame");
			continue;
		}
		if (vnet_check(p, n, &pkt) != VNET_OK) {
			packet_tx_drop(f, pkt.why);
			continue;
		}
		/* No room: only a sparse flow's small packet still goes. */
		if (buf == NULL) {
			if (stream_data_sparse(f, p, n) == -1) {
				f->st.tx_dropped++;
				f->st.drop_queue_full++;
				continue;
			}
		} else
			stream_data_commit(f, n);
		f->st.tx_packets++;
		f->st.tx_bytes += n - VNET_HDR_LEN;
	}
	stream_rekey_check(f);
	stream_flush(f);
}

/*
 * Addresses, protocol and, for TCP and UDP, ports: enough to keep one
 * flow's packets in order without parsing more than the sender's own
 * kernel wrote (vnet_check passed it).  Collisions only cost priority.
 */
unsigned
packet_flow(const uint8_t *p, size_t len)
{
	const uint8_t	*ip = p + VNET_HDR_LEN;
	size_t		 plen = len - VNET_HDR_LEN, l4;
	uint32_t	 h;
	uint8_t		 proto;
	int		 i;

	if (len < VNET_HDR_LEN + 20)
		return 0;
	if (ip[0] >> 4 == 4) {
		proto = ip[9];
		l4 = (size_t)(ip[0] & 0x0f) * 4;
		h = be32_get(ip + 12) * 0x9e3779b1U ^ be32_get(ip + 16) ^ proto;
		/* A later fragment has no ports: the whole pair is one. */
		if ((ip[6] & 0x3f) != 0 || ip[7] != 0)
			proto = 0;
	} else if (plen >= 40) {
		proto = ip[6];
		l4 = 40;
		for (h = proto, i = 8; i < 40; i += 4)
			h = (h ^ be32_get(ip + i)) * 0x9e3779b1U;
	} else
		return 0;
	if ((proto == 6 || proto == 17) && l4 + 4 <= plen)
		h ^= be32_get(ip + l4) * 0x85ebca6bU;
	h *= 0x9e3779b1U;
	return h >> (32 - FWD_FLOW_BITS);
}

/*
 * An IPv6 link-local source names the peer's end of this link, not an
 * address it routes for: routing daemons (OSPFv3, Babel) and neighbour
 * discovery speak from it, and no router forwards it further, so it
 * passes whatever the allowed-ips say.
 */
static int
link_local(const struct vnet_pkt *pkt)
{
	return pkt->family == AF_INET6 && pkt->src != NULL &&
	    pkt->src[0] == 0xfe && (pkt->src[1] & 0xc0) == 0x80;
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
packet_deliver(struct fwd *f, uint8_t *p, size_t len)
{
	struct vnet_pkt	 pkt;
	size_t		 i;
	ssize_t		 n;

	fwd_stats_wake(f);
	switch (vnet_check(p, len, &pkt)) {
	case VNET_OK:
		break;
	case VNET_DROP:
		packet_drop(f, pkt.why, pkt.family, pkt.src);
		return;
	case VNET_LIE:
		/* Our own sender never sends one: broken or lying. */
		fwd_end(f, 0, 1, "bad DATA frame from peer: %s", pkt.why);
	}
	for (i = 0; i < f->params.n_allowed; i++)
		if (prefix_match_addr(&f->params.allowed[i], pkt.family,
		    pkt.src))
			break;
	if (i == f->params.n_allowed && !link_local(&pkt)) {
		f->st.drop_source++;
		packet_drop(f, "source not in allowed-ips", pkt.family,
		    pkt.src);
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
			f->st.drop_queue_full++;
			return;
		}
		packet_drop(f, strerror(errno), pkt.family, pkt.src);
		return;
	}
	f->st.rx_packets++;
	f->st.rx_bytes += len - VNET_HDR_LEN;
}
