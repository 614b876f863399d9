/* SPDX-License-Identifier: ISC */
/*
 * Checking a virtio-net header against its packet and rebuilding it from
 * the packet (see vnet.h).  Pure: no I/O, no state, so the unit test can
 * throw every lie at it.  What we accept is what a Linux TUN hands out:
 *
 *  - no offload: flags 0 or DATA_VALID, everything else 0;
 *  - checksum offload: NEEDS_CSUM on TCP or UDP, csum_start at the L4
 *    header, csum_offset 16 (TCP) or 6 (UDP);
 *  - segmentation: the above plus TCPV4 (IPv4 TCP), TCPV6 (IPv6 TCP) or
 *    UDP_L4 (UDP) with a gso_size the payload is longer than; ECN only
 *    with TCP.  hdr_len is a hint the sender's kernel fills loosely: we
 *    ignore it and compute our own.
 *
 * Offload on an IPv4 fragment or on anything that is not TCP or UDP is a
 * lie.  IPv6 extension headers are legal but we do not walk them, so a
 * packet with one that asks for offload is dropped, not believed.  A
 * packet that asks for nothing and is merely malformed is dropped: the
 * kernel would drop it too.
 */
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vnet.h"

#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void
put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static int
ipv6_exthdr(uint8_t nh)
{
	switch (nh) {
	case 0:		/* hop-by-hop options */
	case 43:	/* routing */
	case 44:	/* fragment */
	case 51:	/* authentication */
	case 60:	/* destination options */
	case 135:	/* mobility */
	case 139:	/* HIP */
	case 140:	/* shim6 */
	case 253:
	case 254:	/* experiments */
		return 1;
	default:
		return 0;
	}
}

static enum vnet_verdict
verdict(struct vnet_pkt *pkt, enum vnet_verdict v, const char *why)
{
	pkt->why = why;
	return v;
}

enum vnet_verdict
vnet_check(uint8_t *buf, size_t len, struct vnet_pkt *pkt)
{
	const uint8_t	*ip = buf + VNET_HDR_LEN;
	size_t		 plen, l4, hl = 0;
	uint16_t	 gso_size, cstart, coff, want_coff = 0;
	uint8_t		 flags, gso, gtype, proto;
	int		 offload, v4;

	pkt->family = 0;
	pkt->src = NULL;
	pkt->why = NULL;
	if (len < VNET_HDR_LEN + 1)
		return verdict(pkt, VNET_LIE, "DATA shorter than its "
		    "virtio-net header");
	plen = len - VNET_HDR_LEN;
	flags = buf[0];
	gso = buf[1];
	gtype = gso & ~VNET_GSO_ECN;
	gso_size = le16(buf + 4);
	cstart = le16(buf + 6);
	coff = le16(buf + 8);

	/* The header on its own. */
	if (flags & ~(VNET_F_NEEDS_CSUM | VNET_F_DATA_VALID))
		return verdict(pkt, VNET_LIE, "unknown virtio-net flags");
	if (gtype != VNET_GSO_NONE && gtype != VNET_GSO_TCPV4 &&
	    gtype != VNET_GSO_TCPV6 && gtype != VNET_GSO_UDP_L4)
		return verdict(pkt, VNET_LIE, "unknown GSO type");
	if ((gso & VNET_GSO_ECN) && gtype != VNET_GSO_TCPV4 &&
	    gtype != VNET_GSO_TCPV6)
		return verdict(pkt, VNET_LIE, "GSO ECN without TCP GSO");
	if (gtype == VNET_GSO_NONE && gso_size != 0)
		return verdict(pkt, VNET_LIE, "gso_size without a GSO type");
	if (gtype != VNET_GSO_NONE && gso_size == 0)
		return verdict(pkt, VNET_LIE, "GSO with a gso_size of 0");
	if (gtype != VNET_GSO_NONE && !(flags & VNET_F_NEEDS_CSUM))
		return verdict(pkt, VNET_LIE, "GSO without checksum offload");
	if (!(flags & VNET_F_NEEDS_CSUM) && (cstart != 0 || coff != 0))
		return verdict(pkt, VNET_LIE, "checksum offsets without "
		    "checksum offload");
	offload = (flags & VNET_F_NEEDS_CSUM) != 0;

	/* The IP header, whose lengths must add up to the frame's. */
	switch (ip[0] >> 4) {
	case 4:
		if (plen < 20 || (ip[0] & 0x0f) < 5 ||
		    (size_t)(ip[0] & 0x0f) * 4 > plen ||
		    (size_t)(ip[2] << 8 | ip[3]) != plen)
			return verdict(pkt, offload ? VNET_LIE : VNET_DROP,
			    "bad IPv4 header");
		pkt->family = AF_INET;
		pkt->src = ip + 12;
		v4 = 1;
		proto = ip[9];
		l4 = (size_t)(ip[0] & 0x0f) * 4;
		/* MF or a fragment offset: no L4 header to offload on. */
		if (offload && ((ip[6] & 0x3f) != 0 || ip[7] != 0))
			return verdict(pkt, VNET_LIE, "offload on an IPv4 "
			    "fragment");
		break;
	case 6:
		if (plen < 40 || (size_t)(ip[4] << 8 | ip[5]) + 40 != plen)
			return verdict(pkt, offload ? VNET_LIE : VNET_DROP,
			    "bad IPv6 header");
		pkt->family = AF_INET6;
		pkt->src = ip + 8;
		v4 = 0;
		proto = ip[6];
		l4 = 40;
		if (offload && ipv6_exthdr(proto))
			return verdict(pkt, VNET_DROP, "offload on an IPv6 "
			    "packet with extension headers");
		break;
	default:
		return verdict(pkt, offload ? VNET_LIE : VNET_DROP,
		    "not an IP packet");
	}

	if (!offload) {
		/* DATA_VALID is the sender's kernel's business, not ours. */
		memset(buf, 0, VNET_HDR_LEN);
		return VNET_OK;
	}

	/* A segmentation type must be this packet's. */
	switch (gtype) {
	case VNET_GSO_NONE:
		break;
	case VNET_GSO_TCPV4:
		if (!v4 || proto != IPPROTO_TCP_)
			return verdict(pkt, VNET_LIE, "TCPv4 GSO on a packet "
			    "that is not IPv4 TCP");
		break;
	case VNET_GSO_TCPV6:
		if (v4 || proto != IPPROTO_TCP_)
			return verdict(pkt, VNET_LIE, "TCPv6 GSO on a packet "
			    "that is not IPv6 TCP");
		break;
	case VNET_GSO_UDP_L4:
		if (proto != IPPROTO_UDP_)
			return verdict(pkt, VNET_LIE, "UDP GSO on a packet "
			    "that is not UDP");
		break;
	}

	/* Checksum offload: TCP or UDP, with the whole L4 header there. */
	switch (proto) {
	case IPPROTO_TCP_:
		if (l4 + 20 > plen || (ip[l4 + 12] >> 4) < 5 ||
		    l4 + (size_t)(ip[l4 + 12] >> 4) * 4 > plen)
			return verdict(pkt, VNET_LIE, "offload on a truncated "
			    "TCP header");
		hl = l4 + (size_t)(ip[l4 + 12] >> 4) * 4;
		want_coff = 16;
		break;
	case IPPROTO_UDP_:
		if (l4 + 8 > plen)
			return verdict(pkt, VNET_LIE, "offload on a truncated "
			    "UDP header");
		hl = l4 + 8;
		want_coff = 6;
		break;
	default:
		return verdict(pkt, VNET_LIE, "offload on a packet that is "
		    "neither TCP nor UDP");
	}
	if (cstart != l4 || coff != want_coff)
		return verdict(pkt, VNET_LIE, "checksum offsets off the "
		    "packet");

	/* Segmentation: worth it only past one segment. */
	if (gtype != VNET_GSO_NONE && plen - hl <= gso_size)
		return verdict(pkt, VNET_LIE, "GSO packet not longer than "
		    "one segment");

	buf[0] = VNET_F_NEEDS_CSUM;
	buf[1] = gso;
	put_le16(buf + 2, (uint16_t)hl);
	put_le16(buf + 4, gso_size);
	put_le16(buf + 6, (uint16_t)l4);
	put_le16(buf + 8, want_coff);
	return VNET_OK;
}
