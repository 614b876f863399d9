/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for vnet_check, the forwarder's judgement of a DATA
 * payload (a virtio-net header and the packet behind it) before it goes
 * to the TUN: any bytes, as an authenticated peer could send them.  The
 * verdict must come with a reason when it is not OK, an OK packet must
 * name a family and a source inside the buffer, and the header it
 * rewrites must pass again unchanged (the check is idempotent).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "vnet.h"
#include "frame.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t	buf[FRAME_MAX_PAYLOAD], again[FRAME_MAX_PAYLOAD];
	struct vnet_pkt	pkt, pkt2;
	size_t		alen;

	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	memset(&pkt, 0, sizeof(pkt));
	switch (vnet_check(buf, size, &pkt)) {
	case VNET_OK:
		break;
	case VNET_DROP:
	case VNET_LIE:
		if (pkt.why == NULL)
			abort();
		return 0;
	default:
		abort();
	}
	alen = pkt.family == AF_INET ? 4 : pkt.family == AF_INET6 ? 16 : 0;
	if (alen == 0 || pkt.src == NULL || pkt.src < buf ||
	    pkt.src + alen > buf + size)
		abort();
	memcpy(again, buf, size);
	if (vnet_check(again, size, &pkt2) != VNET_OK ||
	    memcmp(again, buf, size) != 0 || pkt2.family != pkt.family ||
	    memcmp(pkt2.src - again + buf, pkt.src, alen) != 0)
		abort();
	return 0;
}
