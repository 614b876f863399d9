/* SPDX-License-Identifier: ISC */
/*
 * Encrypted frames on the TCP stream between two forwarders.
 *
 *	u32 length (big endian) | u8 type | ciphertext | 16-byte tag
 *
 * "length" counts the bytes after the 5-byte header (ciphertext + tag).
 * The header travels in the clear and is authenticated as AAD.  Nonces are
 * implicit: a 64-bit per-direction counter, little endian in the last 8 of
 * 12 nonce bytes, starting at 0.  A frame that does not open with the
 * receiver's next counter fails, so reordering, replay and loss all close
 * the session.  The length is checked against FRAME_MAX_BODY before a
 * single byte of the body is buffered.
 */
#ifndef IPCP_FRAME_H
#define IPCP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <gcrypt.h>
#include <sodium.h>

#define FRAME_HDR_LEN		5
#define FRAME_TAG_LEN		16
#define FRAME_KEY_LEN		32
/* One IP packet or offload super-packet plus a virtio-net header. */
#define FRAME_MAX_PAYLOAD	(65535 + 64)
#define FRAME_MAX_BODY		(FRAME_MAX_PAYLOAD + FRAME_TAG_LEN)
#define FRAME_MAX_LEN		(FRAME_HDR_LEN + FRAME_MAX_BODY)
/* CONTROL payloads are small protobufs. */
#define FRAME_MAX_CONTROL	4096

enum frame_type {
	FRAME_DATA = 1,
	FRAME_HEARTBEAT = 2,
	FRAME_HEARTBEAT_ACK = 3,
	FRAME_CONTROL = 4,
	FRAME_REKEY = 5,
	FRAME_CLOSE = 6,
};

enum frame_cipher {
	FRAME_CIPHER_CHACHA20POLY1305 = 1,
	FRAME_CIPHER_AES256GCM = 2,
};

/*
 * One direction's key.  AES-256-GCM runs in libgcrypt, whose VAES and
 * VPCLMULQDQ code moves 64 KiB frames about 2.5 times as fast as
 * libsodium 1.0.18's AES-NI code on our machines (the forwarder spends
 * most of its CPU there); ChaCha20-Poly1305 and everything else stays
 * with libsodium.  The handle is opened by frame_key_init, before the
 * forwarder's sandbox, and only re-keyed after that.
 */
struct frame_key {
	gcry_cipher_hd_t	gcm;	/* AES-256-GCM only, else NULL */
	uint8_t			key[FRAME_KEY_LEN];
	uint64_t		counter;
	int			cipher;
};

/* frame.c */
/* "aes-256-gcm", "chacha20-poly1305", or "unknown": for logs and ipcpctl. */
const char *frame_cipher_name(int cipher);
/* Write the clear header of a frame carrying plen payload bytes. */
void	 frame_hdr_put(uint8_t *hdr, uint8_t type, size_t plen);
/* The length field of a header as sent: body bytes, unchecked. */
uint32_t frame_hdr_body(const uint8_t *hdr);
/* The 12-byte AEAD nonce for a counter: 4 zero bytes, then LE64. */
void	 frame_nonce(uint8_t nonce[12], uint64_t counter);
/*
 * Returns 0, or -1 with errno EINVAL (bad cipher) / ENOTSUP (no AES-NI) /
 * ENOMEM.  The first call initialises libgcrypt, which reads a few files
 * under /etc and /proc: make it before a sandbox forbids that.  Pair every
 * successful call with frame_key_wipe.
 */
int	 frame_key_init(struct frame_key *, int cipher,
	    const uint8_t key[FRAME_KEY_LEN]);
/* Close the cipher handle and zero the key; safe on a zeroed key. */
void	 frame_key_wipe(struct frame_key *);
/*
 * Replace the key with BLAKE2b(key=old key, "ipcp rekey") and reset the
 * counter: both sides do it at the REKEY frame, so old traffic cannot be
 * decrypted with a key taken from the forwarder's memory later.
 */
int	 frame_key_ratchet(struct frame_key *);
/*
 * Seal in place.  buf holds FRAME_HDR_LEN bytes of room, then plen bytes
 * of plaintext, then FRAME_TAG_LEN bytes of room.  Writes the header and
 * the tag; returns the total frame length, or 0 with errno EMSGSIZE if plen
 * is over the limit for the type, EOVERFLOW if the counter is exhausted.
 */
size_t	 frame_seal(struct frame_key *, uint8_t type, uint8_t *buf,
	    size_t plen);
/*
 * Check a header (at least FRAME_HDR_LEN bytes): known type, body length
 * at least FRAME_TAG_LEN and within the limit for the type.  Returns 0 and
 * fills *type and *body_len, or -1 with errno EBADMSG (unknown type) or
 * EMSGSIZE (bad length).
 */
int	 frame_header(const uint8_t *hdr, uint8_t *type, uint32_t *body_len);
/*
 * Open a whole frame (header + body, as checked by frame_header) in place.
 * On success returns 0, *payload points into frame, *plen is its length,
 * and the counter advances.  On failure returns -1 with errno EBADMSG and
 * the counter is unchanged.
 */
int	 frame_open(struct frame_key *, uint8_t *frame, size_t len,
	    uint8_t **payload, size_t *plen);

#endif
