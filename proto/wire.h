/* SPDX-License-Identifier: ISC */
/*
 * The frame format on the TCP stream between two forwarders, without the
 * cryptography: sizes, types, cipher numbers, the clear header and the
 * nonce layout.  Everyone needs these (ipcpd names ciphers and bounds
 * CONTROL payloads, the handshake builds nonces); only the forwarder
 * needs the AEAD engine in frame.h, so only it links libgcrypt.
 *
 *	u32 length (big endian) | u8 type | ciphertext | 16-byte tag
 *
 * "length" counts the bytes after the 5-byte header (ciphertext + tag).
 * The header travels in the clear and is authenticated as AAD.  Nonces
 * are implicit: a 64-bit per-direction counter, little endian in the last
 * 8 of 12 nonce bytes, starting at 0.
 */
#ifndef IPCP_WIRE_H
#define IPCP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR_LEN		5
#define FRAME_TAG_LEN		16
#define FRAME_KEY_LEN		32
#define FRAME_NONCE_LEN		12
/* One IP packet or offload super-packet plus a virtio-net header. */
#define FRAME_MAX_PAYLOAD	(65535 + 64)
#define FRAME_MAX_BODY		(FRAME_MAX_PAYLOAD + FRAME_TAG_LEN)
#define FRAME_MAX_LEN		(FRAME_HDR_LEN + FRAME_MAX_BODY)
/* CONTROL payloads are protobufs (a route update, a trace probe). */
#define FRAME_MAX_CONTROL	16384
/* A CLOSE reason is text for a log line. */
#define FRAME_MAX_CLOSE		1024
/* Heartbeats, their acks and REKEY are tiny. */
#define FRAME_MAX_SMALL		64

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

/* wire.c */
/* "aes-256-gcm", "chacha20-poly1305", or "unknown": for logs and ipcpctl. */
const char *frame_cipher_name(int cipher);
/* The largest payload a frame of this type may carry; 0: no such type. */
size_t	 frame_max_payload(uint8_t type);
/* Write the clear header of a frame carrying plen payload bytes. */
void	 frame_hdr_put(uint8_t *hdr, uint8_t type, size_t plen);
/* The length field of a header as sent: body bytes, unchecked. */
uint32_t frame_hdr_body(const uint8_t *hdr);
/*
 * Check a header (at least FRAME_HDR_LEN bytes): known type, body length
 * at least FRAME_TAG_LEN and within the limit for the type.  Returns 0 and
 * fills *type and *body_len, or -1 with errno EBADMSG (unknown type) or
 * EMSGSIZE (bad length).
 */
int	 frame_header(const uint8_t *hdr, uint8_t *type, uint32_t *body_len);
/* The 12-byte AEAD nonce for a counter: 4 zero bytes, then LE64. */
void	 frame_nonce(uint8_t nonce[FRAME_NONCE_LEN], uint64_t counter);

#endif
