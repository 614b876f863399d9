/* SPDX-License-Identifier: ISC */
/*
 * AEAD frames on the stream between two forwarders; see frame.h for the
 * layout.  Sealing and opening happen in place, so the data path never
 * copies a packet between the TUN read and the socket write.
 */
#include <errno.h>
#include <string.h>

#include "frame.h"

/* A counter this high has moved ~2^60 frames; the session must end. */
#define FRAME_COUNTER_LIMIT	(UINT64_MAX - (1ULL << 16))

int
frame_key_init(struct frame_key *k, int cipher,
    const uint8_t key[FRAME_KEY_LEN])
{
	memset(k, 0, sizeof(*k));
	switch (cipher) {
	case FRAME_CIPHER_AES256GCM:
		if (!crypto_aead_aes256gcm_is_available()) {
			errno = ENOTSUP;
			return -1;
		}
		crypto_aead_aes256gcm_beforenm(&k->aes, key);
		break;
	case FRAME_CIPHER_CHACHA20POLY1305:
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	memcpy(k->key, key, FRAME_KEY_LEN);
	k->cipher = cipher;
	return 0;
}

void
frame_key_wipe(struct frame_key *k)
{
	sodium_memzero(k, sizeof(*k));
}

int
frame_key_ratchet(struct frame_key *k)
{
	static const uint8_t	label[] = "ipcp rekey";
	uint8_t			next[FRAME_KEY_LEN];
	int			cipher = k->cipher, r;

	crypto_generichash(next, sizeof(next), label, sizeof(label) - 1,
	    k->key, FRAME_KEY_LEN);
	r = frame_key_init(k, cipher, next);
	sodium_memzero(next, sizeof(next));
	return r;
}

void
frame_nonce(uint8_t nonce[12], uint64_t counter)
{
	int	i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

static size_t
max_payload(uint8_t type)
{
	switch (type) {
	case FRAME_DATA:
		return FRAME_MAX_PAYLOAD;
	case FRAME_CONTROL:
	case FRAME_CLOSE:
		return FRAME_MAX_CONTROL;
	case FRAME_HEARTBEAT:
	case FRAME_HEARTBEAT_ACK:
	case FRAME_REKEY:
		return 64;
	default:
		return 0;
	}
}

void
frame_hdr_put(uint8_t *h, uint8_t type, size_t plen)
{
	uint32_t	body = plen + FRAME_TAG_LEN;

	h[0] = body >> 24;
	h[1] = body >> 16;
	h[2] = body >> 8;
	h[3] = body;
	h[4] = type;
}

uint32_t
frame_hdr_body(const uint8_t *h)
{
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];
}

size_t
frame_seal(struct frame_key *k, uint8_t type, uint8_t *buf, size_t plen)
{
	uint8_t		 nonce[12];
	uint8_t		*p = buf + FRAME_HDR_LEN;

	if (max_payload(type) == 0 || plen > max_payload(type)) {
		errno = EMSGSIZE;
		return 0;
	}
	if (k->counter >= FRAME_COUNTER_LIMIT) {
		errno = EOVERFLOW;
		return 0;
	}
	frame_hdr_put(buf, type, plen);
	frame_nonce(nonce, k->counter);
	if (k->cipher == FRAME_CIPHER_AES256GCM)
		crypto_aead_aes256gcm_encrypt_detached_afternm(p, p + plen,
		    NULL, p, plen, buf, FRAME_HDR_LEN, NULL, nonce, &k->aes);
	else
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(p,
		    p + plen, NULL, p, plen, buf, FRAME_HDR_LEN, NULL, nonce,
		    k->key);
	k->counter++;
	return FRAME_HDR_LEN + plen + FRAME_TAG_LEN;
}

int
frame_header(const uint8_t *hdr, uint8_t *type, uint32_t *body_len)
{
	uint32_t	len;
	size_t		max;

	len = frame_hdr_body(hdr);
	/* An unknown type is a peer we cannot speak to; say so early. */
	if ((max = max_payload(hdr[4])) == 0) {
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

int
frame_open(struct frame_key *k, uint8_t *frame, size_t len,
    uint8_t **payload, size_t *plen)
{
	uint8_t		 nonce[12], type;
	uint32_t	 body;
	uint8_t		*c = frame + FRAME_HDR_LEN;
	size_t		 clen;
	int		 r;

	if (len < FRAME_HDR_LEN + FRAME_TAG_LEN ||
	    frame_header(frame, &type, &body) == -1 ||
	    body != len - FRAME_HDR_LEN || k->counter >= FRAME_COUNTER_LIMIT) {
		errno = EBADMSG;
		return -1;
	}
	clen = body - FRAME_TAG_LEN;
	frame_nonce(nonce, k->counter);
	if (k->cipher == FRAME_CIPHER_AES256GCM)
		r = crypto_aead_aes256gcm_decrypt_detached_afternm(c, NULL, c,
		    clen, c + clen, frame, FRAME_HDR_LEN, nonce, &k->aes);
	else
		r = crypto_aead_chacha20poly1305_ietf_decrypt_detached(c, NULL,
		    c, clen, c + clen, frame, FRAME_HDR_LEN, nonce, k->key);
	if (r != 0) {
		errno = EBADMSG;
		return -1;
	}
	k->counter++;
	*payload = c;
	*plen = clen;
	return 0;
}
