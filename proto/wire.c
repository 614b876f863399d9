/* SPDX-License-Identifier: ISC */
/*
 * The clear parts of a frame: header, type limits, nonces, cipher names.
 * See wire.h.  No cryptography here, so ipcpd and ipcpctl can use it
 * without linking the data plane's AEAD engine (frame.c).
 */
#include <errno.h>
#include <string.h>

#include "util.h"
#include "wire.h"

const char *
frame_cipher_name(int cipher)
{
	switch (cipher) {
	case FRAME_CIPHER_AES256GCM:
		return "aes-256-gcm";
	case FRAME_CIPHER_CHACHA20POLY1305:
		return "chacha20-poly1305";
	default:
		return "unknown";
	}
}

size_t
frame_max_payload(uint8_t type)
{
	switch (type) {
	case FRAME_DATA:
		return FRAME_MAX_PAYLOAD;
	case FRAME_CONTROL:
		return FRAME_MAX_CONTROL;
	case FRAME_CLOSE:
		return FRAME_MAX_CLOSE;
	case FRAME_HEARTBEAT:
	case FRAME_HEARTBEAT_ACK:
	case FRAME_REKEY:
		return FRAME_MAX_SMALL;
	default:
		return 0;
	}
}

void
frame_nonce(uint8_t nonce[FRAME_NONCE_LEN], uint64_t counter)
{
	int	i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

void
frame_hdr_put(uint8_t *h, uint8_t type, size_t plen)
{
	uint32_t	body = plen + FRAME_TAG_LEN;

	be32_put(h, body);
	h[4] = type;
}

uint32_t
frame_hdr_body(const uint8_t *h)
{
	return be32_get(h);
}

int
frame_header(const uint8_t *hdr, uint8_t *type, uint32_t *body_len)
{
	uint32_t	len;
	size_t		max;

	len = frame_hdr_body(hdr);
	/* An unknown type is a peer we cannot speak to; say so early. */
	if ((max = frame_max_payload(hdr[4])) == 0) {
		errno = EBADMSG;
		return -1;
	}
	/* The length is the peer's claim: bound it before we buffer. */
	if (len < FRAME_TAG_LEN || len - FRAME_TAG_LEN > max) {
		errno = EMSGSIZE;
		return -1;
	}
	*type = hdr[4];
	*body_len = len;
	return 0;
}
