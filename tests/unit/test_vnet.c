/* SPDX-License-Identifier: ISC */
/*
 * Tests for vnet_check (fwd/vnet.c): the virtio-net header a peer sends
 * in front of each packet is rebuilt from the packet when it is one a
 * Linux TUN could have produced, and every kind of lie about the packet
 * is refused (VNET_LIE, the session ends) rather than handed to the
 * kernel.  Malformed packets that ask for no offload are only dropped.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vnet.h"

#define P_TCP	6
#define P_UDP	17
#define P_ICMP	1

struct hdr {
	uint8_t		flags;
	uint8_t		gso_type;
	uint16_t	hdr_len;
	uint16_t	gso_size;
	uint16_t	csum_start;
	uint16_t	csum_offset;
};

static uint8_t	buf[VNET_HDR_LEN + 65535 + 40];

static void
hdr_put(uint8_t *p, const struct hdr *h)
{
	p[0] = h->flags;
	p[1] = h->gso_type;
	p[2] = h->hdr_len;
	p[3] = h->hdr_len >> 8;
	p[4] = h->gso_size;
	p[5] = h->gso_size >> 8;
	p[6] = h->csum_start;
	p[7] = h->csum_start >> 8;
	p[8] = h->csum_offset;
	p[9] = h->csum_offset >> 8;
}

static void
hdr_get(const uint8_t *p, struct hdr *h)
{
	h->flags = p[0];
	h->gso_type = p[1];
	h->hdr_len = p[2] | p[3] << 8;
	h->gso_size = p[4] | p[5] << 8;
	h->csum_start = p[6] | p[7] << 8;
	h->csum_offset = p[8] | p[9] << 8;
}

/* The L4 header at l4 (TCP with doff 32-bit words, or UDP), then data. */
static size_t
l4_put(uint8_t *p, int proto, int doff, size_t paylen)
{
	size_t	hl;

	if (proto == P_TCP) {
		hl = (size_t)doff * 4;
		memset(p, 0, hl);
		p[12] = doff << 4;
		p[13] = 0x10;
	} else if (proto == P_UDP) {
		hl = 8;
		memset(p, 0, hl);
		p[4] = (hl + paylen) >> 8;
		p[5] = hl + paylen;
	} else {
		hl = 8;
		memset(p, 0, hl);
		p[0] = 8;
	}
	memset(p + hl, 0xa5, paylen);
	return hl + paylen;
}

/* [vnet header][IPv4 | L4 | payload]; returns the whole length. */
static size_t
v4(const struct hdr *h, int proto, int doff, size_t paylen)
{
	uint8_t	*ip = buf + VNET_HDR_LEN;
	size_t	 len;

	hdr_put(buf, h);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[6] = 0x40;	/* DF */
	ip[8] = 64;
	ip[9] = proto;
	assert_int_equal(inet_pton(AF_INET, "10.9.0.5", ip + 12), 1);
	assert_int_equal(inet_pton(AF_INET, "10.8.0.1", ip + 16), 1);
	len = 20 + l4_put(ip + 20, proto, doff, paylen);
	ip[2] = len >> 8;
	ip[3] = len;
	return VNET_HDR_LEN + len;
}

static size_t
v6(const struct hdr *h, int nexthdr, int doff, size_t paylen)
{
	uint8_t	*ip = buf + VNET_HDR_LEN;
	size_t	 len;

	hdr_put(buf, h);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[6] = nexthdr;
	ip[7] = 64;
	assert_int_equal(inet_pton(AF_INET6, "fd00:9::7", ip + 8), 1);
	assert_int_equal(inet_pton(AF_INET6, "fd00:8::1", ip + 24), 1);
	len = l4_put(ip + 40, nexthdr, doff, paylen);
	ip[4] = len >> 8;
	ip[5] = len;
	return VNET_HDR_LEN + 40 + len;
}

static void
expect_ok(size_t len, const struct hdr *want)
{
	struct vnet_pkt	pkt;
	struct hdr	got;

	assert_int_equal(vnet_check(buf, len, &pkt), VNET_OK);
	hdr_get(buf, &got);
	assert_int_equal(got.flags, want->flags);
	assert_int_equal(got.gso_type, want->gso_type);
	assert_int_equal(got.hdr_len, want->hdr_len);
	assert_int_equal(got.gso_size, want->gso_size);
	assert_int_equal(got.csum_start, want->csum_start);
	assert_int_equal(got.csum_offset, want->csum_offset);
	assert_non_null(pkt.src);
}

static void
expect_verdict(size_t len, enum vnet_verdict v, const char *why)
{
	struct vnet_pkt	pkt;

	assert_int_equal(vnet_check(buf, len, &pkt), v);
	assert_non_null(pkt.why);
	if (strstr(pkt.why, why) == NULL)
		fail_msg("reason \"%s\", want \"%s\"", pkt.why, why);
}

static void
test_tcp4_gso(void **state)
{
	/* hdr_len as a TUN gives it (its linear part): ignored. */
	struct hdr	in = { 1, 1, 128, 1448, 20, 16 };
	struct hdr	want = { 1, 1, 40, 1448, 20, 16 };
	struct vnet_pkt	pkt;
	size_t		len = v4(&in, P_TCP, 5, 60000);

	expect_ok(len, &want);
	assert_int_equal(vnet_check(buf, len, &pkt), VNET_OK);
	assert_int_equal(pkt.family, AF_INET);
	assert_ptr_equal(pkt.src, buf + VNET_HDR_LEN + 12);

	/* TCP options count in the header length. */
	len = v4(&in, P_TCP, 8, 30000);
	want.hdr_len = 20 + 32;
	expect_ok(len, &want);
}

static void
test_tcp6_gso(void **state)
{
	struct hdr	in = { 1, 4 | 0x80, 0, 1428, 40, 16 };
	struct hdr	want = { 1, 4 | 0x80, 72, 1428, 40, 16 };
	struct vnet_pkt	pkt;
	size_t		len = v6(&in, P_TCP, 8, 65000);

	/* ECN rides along with TCP. */
	expect_ok(len, &want);
	assert_int_equal(vnet_check(buf, len, &pkt), VNET_OK);
	assert_int_equal(pkt.family, AF_INET6);
	assert_ptr_equal(pkt.src, buf + VNET_HDR_LEN + 8);
}

static void
test_udp_gso(void **state)
{
	struct hdr	in = { 1, 5, 0, 1200, 20, 6 };
	struct hdr	want = { 1, 5, 28, 1200, 20, 6 };

	expect_ok(v4(&in, P_UDP, 0, 12000), &want);
	in.csum_start = want.csum_start = 40;
	want.hdr_len = 48;
	expect_ok(v6(&in, P_UDP, 0, 12000), &want);
}

static void
test_csum_only(void **state)
{
	struct hdr	in = { 1, 0, 0, 0, 20, 16 };
	struct hdr	want = { 1, 0, 40, 0, 20, 16 };

	expect_ok(v4(&in, P_TCP, 5, 100), &want);
	in.csum_start = want.csum_start = 40;
	in.csum_offset = want.csum_offset = 6;
	want.hdr_len = 48;
	expect_ok(v6(&in, P_UDP, 0, 100), &want);
}

static void
test_plain(void **state)
{
	struct hdr	in = { 0 }, want = { 0 };

	expect_ok(v4(&in, P_ICMP, 0, 56), &want);
	expect_ok(v6(&in, P_UDP, 0, 1300), &want);
	/* DATA_VALID is the sender's kernel's word: not passed on. */
	in.flags = 2;
	expect_ok(v4(&in, P_TCP, 5, 1000), &want);
	/* An extension header is fine when nothing is offloaded. */
	in.flags = 0;
	expect_ok(v6(&in, 60, 0, 100), &want);
}

static void
test_lie_header(void **state)
{
	struct hdr	h = { 1, 1, 0, 1448, 20, 16 };

	h.flags = 4;
	expect_verdict(v4(&h, P_TCP, 5, 5000), VNET_LIE, "flags");
	h.flags = 1;
	h.gso_type = 3;		/* UFO: no Linux TUN hands it out */
	expect_verdict(v4(&h, P_UDP, 0, 5000), VNET_LIE, "GSO type");
	h.gso_type = 5 | 0x80;
	expect_verdict(v4(&h, P_UDP, 0, 5000), VNET_LIE, "ECN");
	h.gso_type = 0x80;
	expect_verdict(v4(&h, P_TCP, 5, 5000), VNET_LIE, "ECN");
	h.gso_type = 0;
	expect_verdict(v4(&h, P_TCP, 5, 5000), VNET_LIE, "gso_size");
	h.gso_type = 1;
	h.gso_size = 0;
	expect_verdict(v4(&h, P_TCP, 5, 5000), VNET_LIE, "gso_size of 0");
	h.gso_size = 1448;
	h.flags = 0;
	expect_verdict(v4(&h, P_TCP, 5, 5000), VNET_LIE,
	    "GSO without checksum");
	h.gso_type = 0;
	h.gso_size = 0;
	expect_verdict(v4(&h, P_TCP, 5, 5000), VNET_LIE, "checksum offsets");
	/* Too short to hold a header and a byte. */
	expect_verdict(VNET_HDR_LEN, VNET_LIE, "shorter");
}

static void
test_lie_packet(void **state)
{
	struct hdr	h = { 1, 1, 0, 1448, 20, 16 };
	size_t		len;

	/* GSO types that do not match the packet's version or protocol. */
	expect_verdict(v4(&h, P_UDP, 0, 5000), VNET_LIE, "TCPv4 GSO");
	h.csum_start = 40;
	expect_verdict(v6(&h, P_TCP, 5, 5000), VNET_LIE, "TCPv4 GSO");
	h.gso_type = 4;
	h.csum_start = 20;
	expect_verdict(v4(&h, P_TCP, 5, 5000), VNET_LIE, "TCPv6 GSO");
	h.gso_type = 5;
	expect_verdict(v4(&h, P_TCP, 5, 5000), VNET_LIE, "UDP GSO");
	/* Offload on something that has no TCP/UDP checksum. */
	h.gso_type = 1;
	expect_verdict(v4(&h, P_ICMP, 0, 5000), VNET_LIE, "TCPv4 GSO");
	h.gso_type = 0;
	h.gso_size = 0;
	expect_verdict(v4(&h, P_ICMP, 0, 5000), VNET_LIE, "neither TCP");
	/* Checksum offsets off the packet. */
	h.gso_type = 1;
	h.gso_size = 1448;
	h.csum_start = 24;
	expect_verdict(v4(&h, P_TCP, 5, 5000), VNET_LIE, "offsets off");
	h.csum_start = 20;
	h.csum_offset = 6;
	expect_verdict(v4(&h, P_TCP, 5, 5000), VNET_LIE, "offsets off");
	h.csum_start = 60000;
	h.csum_offset = 16;
	expect_verdict(v4(&h, P_TCP, 5, 5000), VNET_LIE, "offsets off");
	/* A TCP header longer than the packet. */
	h.csum_start = 20;
	len = v4(&h, P_TCP, 5, 0);
	buf[VNET_HDR_LEN + 20 + 12] = 15 << 4;
	expect_verdict(len, VNET_LIE, "truncated TCP");
	len = v4(&h, P_TCP, 5, 0);
	buf[VNET_HDR_LEN + 20 + 12] = 4 << 4;
	expect_verdict(len, VNET_LIE, "truncated TCP");
	/* One segment or less is not a super-packet. */
	expect_verdict(v4(&h, P_TCP, 5, 1448), VNET_LIE, "one segment");
	h.gso_size = 65535;
	expect_verdict(v4(&h, P_TCP, 5, 60000), VNET_LIE, "one segment");
	/* Offload on a fragment. */
	h.gso_size = 1448;
	len = v4(&h, P_TCP, 5, 5000);
	buf[VNET_HDR_LEN + 6] |= 0x20;
	expect_verdict(len, VNET_LIE, "fragment");
	/* Lengths that do not add up, with offload asked for. */
	len = v4(&h, P_TCP, 5, 5000);
	expect_verdict(len - 1, VNET_LIE, "bad IPv4");
	h.gso_type = 4;
	h.csum_start = 40;
	len = v6(&h, P_TCP, 5, 5000);
	expect_verdict(len + 1, VNET_LIE, "bad IPv6");
	len = v4(&h, P_TCP, 5, 5000);
	buf[VNET_HDR_LEN] = 0x75;
	expect_verdict(len, VNET_LIE, "not an IP");
}

static void
test_drop(void **state)
{
	struct hdr	h = { 0 };
	size_t		len;

	/* Malformed, nothing asked for: dropped, not a reason to end. */
	len = v4(&h, P_UDP, 0, 100);
	buf[VNET_HDR_LEN + 3] ^= 1;
	expect_verdict(len, VNET_DROP, "bad IPv4");
	len = v4(&h, P_UDP, 0, 100);
	buf[VNET_HDR_LEN] = 0x44;
	expect_verdict(len, VNET_DROP, "bad IPv4");
	len = v4(&h, P_UDP, 0, 100);
	buf[VNET_HDR_LEN] = 0x05;
	expect_verdict(len, VNET_DROP, "not an IP");
	expect_verdict(v6(&h, P_UDP, 0, 100) - 3, VNET_DROP, "bad IPv6");
	/* We do not walk IPv6 extension headers to offload behind them. */
	h.flags = 1;
	h.csum_start = 40;
	h.csum_offset = 16;
	expect_verdict(v6(&h, 0, 0, 100), VNET_DROP, "extension");
	h.gso_type = 4;
	h.gso_size = 1000;
	expect_verdict(v6(&h, 43, 0, 5000), VNET_DROP, "extension");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4_gso),
		cmocka_unit_test(test_tcp6_gso),
		cmocka_unit_test(test_udp_gso),
		cmocka_unit_test(test_csum_only),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_lie_header),
		cmocka_unit_test(test_lie_packet),
		cmocka_unit_test(test_drop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
