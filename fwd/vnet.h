/* SPDX-License-Identifier: ISC */
/*
 * The virtio-net header in front of every packet a TUN with IFF_VNET_HDR
 * reads or writes, and so in front of every DATA payload on the wire:
 *
 *	u8 flags | u8 gso_type | le16 hdr_len | le16 gso_size |
 *	le16 csum_start | le16 csum_offset | IP packet (<= 64 KiB)
 *
 * The peer's header is a claim about the packet behind it, and the kernel
 * acts on it (segments by gso_size, checksums at csum_start +
 * csum_offset), so vnet_check() never passes it on: it parses the IP and
 * TCP/UDP headers and writes a header of its own, or says why not.  The
 * sender runs the same check on what its TUN gave it, so a packet one
 * side would refuse is dropped where it was read instead of ending the
 * session at the other.
 */
#ifndef IPCP_VNET_H
#define IPCP_VNET_H

#include <stddef.h>
#include <stdint.h>

#define VNET_HDR_LEN		10

/* <linux/virtio_net.h>, restated so the check has no kernel headers. */
#define VNET_F_NEEDS_CSUM	1
#define VNET_F_DATA_VALID	2
#define VNET_GSO_NONE		0
#define VNET_GSO_TCPV4		1
#define VNET_GSO_TCPV6		4
#define VNET_GSO_UDP_L4		5
#define VNET_GSO_ECN		0x80

enum vnet_verdict {
	VNET_OK = 0,
	VNET_DROP,	/* not a packet we deliver; the session goes on */
	VNET_LIE,	/* the header contradicts the packet: end it */
};

struct vnet_pkt {
	int		 family;	/* AF_INET, AF_INET6, or AF_UNSPEC */
	const uint8_t	*src;		/* source address, or NULL */
	const char	*why;		/* static text, for anything not OK */
};

/* vnet.c */
/*
 * Check buf (a virtio-net header and the packet behind it, len bytes in
 * all) and, if it is VNET_OK, rewrite the header in place from the
 * packet: flags NEEDS_CSUM with our csum_start/csum_offset/hdr_len for
 * TCP and UDP checksum offload, or all zero; gso_type and gso_size kept
 * only where they fit the packet.  Fills *pkt on every verdict as far as
 * parsing got.
 */
enum vnet_verdict vnet_check(uint8_t *buf, size_t len, struct vnet_pkt *pkt);

#endif
