/* SPDX-License-Identifier: ISC */
/*
 * The AEAD engine of the frames on the stream between two forwarders;
 * the layout is in wire.h.  Sealing and opening happen in place, so the
 * data path never copies a packet between the TUN read and the socket
 * write.  Only ipcp-fwd links this (and with it libgcrypt).
 */
#include <errno.h>
#include <string.h>

#include "frame.h"

/* A counter this high has moved ~2^60 frames; the session must end. */
#define FRAME_COUNTER_LIMIT	(UINT64_MAX - (1ULL << 16))

/*
 * libgcrypt wants its version check before any other call, and no secure
 * memory here: keys live in ordinary memory the forwarder never dumps
 * (PR_SET_DUMPABLE 0), and locked pages would need a privilege we drop.
 */
static int
gcrypt_init(void)
{
	static int	done;

	if (done)
		return 0;
	if (gcry_check_version("1.8.0") == NULL) {
		errno = ENOTSUP;
		return -1;
	}
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	done = 1;
	return 0;
}

/* Put key into k, whose cipher and (for AES) handle are set up. */
static int
key_set(struct frame_key *k, const uint8_t key[FRAME_KEY_LEN])
{
	if (k->gcm != NULL && gcry_cipher_setkey(k->gcm, key, FRAME_KEY_LEN)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(k->key, key, FRAME_KEY_LEN);
	k->counter = 0;
	return 0;
}

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
		if (gcrypt_init() == -1)
			return -1;
		if (gcry_cipher_open(&k->gcm, GCRY_CIPHER_AES256,
		    GCRY_CIPHER_MODE_GCM, 0)) {
			k->gcm = NULL;
			errno = ENOMEM;
			return -1;
		}
		break;
	case FRAME_CIPHER_CHACHA20POLY1305:
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	k->cipher = cipher;
	if (key_set(k, key) == -1) {
		frame_key_wipe(k);
		return -1;
	}
	return 0;
}

void
frame_key_wipe(struct frame_key *k)
{
	/* gcry_cipher_close zeroes the expanded key schedule. */
	if (k->gcm != NULL)
		gcry_cipher_close(k->gcm);
	sodium_memzero(k, sizeof(*k));
}

int
frame_key_ratchet(struct frame_key *k)
{
	static const uint8_t	label[] = "ipcp rekey";
	uint8_t			next[FRAME_KEY_LEN];
	int			r;

	crypto_generichash(next, sizeof(next), label, sizeof(label) - 1,
	    k->key, FRAME_KEY_LEN);
	/* Same handle: the sandboxed forwarder may not be able to open one. */
	r = key_set(k, next);
	sodium_memzero(next, sizeof(next));
	return r;
}

/*
 * AES-256-GCM in place with the header as AAD; the tag goes right after
 * the text.  The same construction as libsodium's aes256gcm (12-byte
 * nonce, 16-byte tag), so either end may use either library.  libgcrypt
 * decrypts before it checks the tag: on a bad tag, zero what it wrote,
 * so no unauthenticated plaintext stays behind in the buffer.
 */
static int
gcm_crypt(gcry_cipher_hd_t h, int seal, const uint8_t nonce[FRAME_NONCE_LEN],
    const uint8_t *hdr, uint8_t *p, size_t len)
{
	if (gcry_cipher_setiv(h, nonce, FRAME_NONCE_LEN) ||
	    gcry_cipher_authenticate(h, hdr, FRAME_HDR_LEN) ||
	    gcry_cipher_final(h)) {
		errno = EINVAL;
		return -1;
	}
	if (seal) {
		if (gcry_cipher_encrypt(h, p, len, NULL, 0) ||
		    gcry_cipher_gettag(h, p + len, FRAME_TAG_LEN)) {
			errno = EINVAL;
			return -1;
		}
	} else if (gcry_cipher_decrypt(h, p, len, NULL, 0) ||
	    gcry_cipher_checktag(h, p + len, FRAME_TAG_LEN)) {
		sodium_memzero(p, len);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

size_t
frame_seal(struct frame_key *k, uint8_t type, uint8_t *buf, size_t plen)
{
	uint8_t		 nonce[FRAME_NONCE_LEN];
	uint8_t		*p = buf + FRAME_HDR_LEN;

	if (frame_max_payload(type) == 0 ||
	    plen > frame_max_payload(type)) {
		errno = EMSGSIZE;
		return 0;
	}
	if (k->counter >= FRAME_COUNTER_LIMIT) {
		errno = EOVERFLOW;
		return 0;
	}
	frame_hdr_put(buf, type, plen);
	frame_nonce(nonce, k->counter);
	if (k->cipher == FRAME_CIPHER_AES256GCM) {
		if (gcm_crypt(k->gcm, 1, nonce, buf, p, plen) == -1)
			return 0;
	} else
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(p,
		    p + plen, NULL, p, plen, buf, FRAME_HDR_LEN, NULL, nonce,
		    k->key);
	k->counter++;
	return FRAME_HDR_LEN + plen + FRAME_TAG_LEN;
}

int
frame_open(struct frame_key *k, uint8_t *frame, size_t len,
    uint8_t **payload, size_t *plen)
{
	uint8_t		 nonce[FRAME_NONCE_LEN], type;
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
		r = gcm_crypt(k->gcm, 0, nonce, frame, c, clen);
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
