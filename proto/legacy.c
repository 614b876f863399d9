/* SPDX-License-Identifier: ISC */
/*
 * The original ipcp's frames (legacy.h): bounds first, then secretbox,
 * then the message inside, each checked as strictly as the original
 * checks it, so that what one accepts the other accepts too.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "legacy.h"
#include "util.h"

int
legacy_frame_len(const uint8_t hdr[LEGACY_LEN_LEN], size_t *body)
{
	uint32_t	l = be32_get(hdr);

	if (l < LEGACY_BODY_MIN || l > LEGACY_BODY_MAX)
		return -1;
	*body = l;
	return 0;
}

/* What the original allows for each type: DATA carries, the others not. */
static int
msg_ok(uint8_t type, size_t n)
{
	switch (type) {
	case LEGACY_DATA:
		return n > 0 && n <= LEGACY_PAYLOAD_MAX;
	case LEGACY_HEARTBEAT:
	case LEGACY_HEARTBEAT_ACK:
		return n == 0;
	default:
		return 0;
	}
}

size_t
legacy_seal(const uint8_t key[LEGACY_KEY_LEN], uint8_t type,
    const uint8_t *payload, size_t n, uint8_t *out)
{
	uint8_t	 plain[LEGACY_PLAIN_MAX];
	uint8_t	*nonce = out + LEGACY_LEN_LEN;
	size_t	 plen = LEGACY_MSG_HDR_LEN + n;

	if (n > LEGACY_PAYLOAD_MAX) {
		errno = EMSGSIZE;
		return 0;
	}
	if (!msg_ok(type, n)) {
		errno = EINVAL;
		return 0;
	}
	plain[0] = type;
	be32_put(plain + 1, n);
	if (n > 0)
		memcpy(plain + LEGACY_MSG_HDR_LEN, payload, n);
	randombytes_buf(nonce, LEGACY_NONCE_LEN);
	crypto_secretbox_easy(nonce + LEGACY_NONCE_LEN, plain, plen, nonce,
	    key);
	sodium_memzero(plain, plen);
	be32_put(out, LEGACY_NONCE_LEN + LEGACY_TAG_LEN + plen);
	return LEGACY_LEN_LEN + LEGACY_NONCE_LEN + LEGACY_TAG_LEN + plen;
}

enum legacy_err
legacy_open(const uint8_t key[LEGACY_KEY_LEN], const uint8_t *frame,
    size_t len, uint8_t *plain, uint8_t *type, size_t *n)
{
	size_t		 body, plen;
	const uint8_t	*nonce = frame + LEGACY_LEN_LEN;

	if (len < LEGACY_LEN_LEN || legacy_frame_len(frame, &body) == -1 ||
	    body != len - LEGACY_LEN_LEN)
		return LEGACY_ERR_LENGTH;
	if (crypto_secretbox_open_easy(plain, nonce + LEGACY_NONCE_LEN,
	    body - LEGACY_NONCE_LEN, nonce, key) != 0)
		return LEGACY_ERR_AUTH;
	plen = body - LEGACY_NONCE_LEN - LEGACY_TAG_LEN;
	/* Authentic, so from someone with the key: still bound it all. */
	if (plen < LEGACY_MSG_HDR_LEN)
		return LEGACY_ERR_FORMAT;
	*type = plain[0];
	if (*type != LEGACY_DATA && *type != LEGACY_HEARTBEAT &&
	    *type != LEGACY_HEARTBEAT_ACK)
		return LEGACY_ERR_TYPE;
	*n = be32_get(plain + 1);
	if (*n != plen - LEGACY_MSG_HDR_LEN || !msg_ok(*type, *n))
		return LEGACY_ERR_FORMAT;
	return LEGACY_OK;
}

const char *
legacy_strerror(enum legacy_err e)
{
	switch (e) {
	case LEGACY_OK:
		return "ok";
	case LEGACY_ERR_LENGTH:
		return "frame length out of bounds";
	case LEGACY_ERR_AUTH:
		return "frame failed authentication (wrong key or corrupted)";
	case LEGACY_ERR_FORMAT:
		return "message length does not match the frame";
	case LEGACY_ERR_TYPE:
		return "unknown message type";
	}
	return "unknown error";
}
