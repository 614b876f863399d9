/* SPDX-License-Identifier: ISC */
/*
 * The original ipcp's wire (github.com/gyf1214/ipcp, up to the last
 * version with the five-argument command line), spoken only when a peer
 * says wire = legacy or ipcpd runs with --legacy.  There is no handshake:
 *
 *   frame  = u32 L (big endian, 41 <= L <= 4096) || body[L]
 *   body   = nonce[24] || crypto_secretbox_easy(plain, nonce, key)
 *   plain  = u8 type || u32 n (big endian) || payload[n]
 *
 * One static 32-byte key both ways and a random nonce per frame: nothing
 * stops a replayed or reflected frame, and whoever gets the key reads all
 * past traffic.  Type 1 is DATA (one TUN read with its 4-byte packet
 * information header), 2 a heartbeat request, 3 its ack (both n = 0).
 *
 * Shared by the forwarder (fwd/legacy.c), which runs such a session, and
 * ipcpd, which opens the first frame of an accepted connection to find
 * which legacy peer it is from (hsconn.c).  No allocation, no logging.
 */
#ifndef IPCP_LEGACY_H
#define IPCP_LEGACY_H

#include <stddef.h>
#include <stdint.h>

#define LEGACY_KEY_LEN		32
#define LEGACY_NONCE_LEN	24
#define LEGACY_TAG_LEN		16
#define LEGACY_LEN_LEN		4
#define LEGACY_MSG_HDR_LEN	5	/* type, n */
/* The original refuses L <= nonce + tag and L > 4096. */
#define LEGACY_BODY_MIN		(LEGACY_NONCE_LEN + LEGACY_TAG_LEN + 1)
#define LEGACY_BODY_MAX		4096
#define LEGACY_FRAME_MAX	(LEGACY_LEN_LEN + LEGACY_BODY_MAX)
#define LEGACY_PLAIN_MAX	\
	(LEGACY_BODY_MAX - LEGACY_NONCE_LEN - LEGACY_TAG_LEN)
#define LEGACY_PAYLOAD_MAX	(LEGACY_PLAIN_MAX - LEGACY_MSG_HDR_LEN)
/* The packet information header (struct tun_pi) the original keeps. */
#define LEGACY_PI_LEN		4
/* The largest IP packet one DATA frame carries, so the largest MTU. */
#define LEGACY_MTU_MAX		(LEGACY_PAYLOAD_MAX - LEGACY_PI_LEN)

#define LEGACY_DATA		1
#define LEGACY_HEARTBEAT	2
#define LEGACY_HEARTBEAT_ACK	3

/* The original's fixed timers: 5 s interval, dead after 3 missed. */
#define LEGACY_HEARTBEAT_MS	5000
#define LEGACY_DEAD_MS		15000

/* Why legacy_open refused a frame, for the log. */
enum legacy_err {
	LEGACY_OK,
	LEGACY_ERR_LENGTH,	/* L out of bounds */
	LEGACY_ERR_AUTH,	/* secretbox did not open: wrong key, corrupt */
	LEGACY_ERR_FORMAT,	/* n does not match, or is wrong for the type */
	LEGACY_ERR_TYPE,	/* not 1, 2 or 3 */
};

/* legacy.c */
/*
 * The body length from the first LEGACY_LEN_LEN bytes: 0, or -1 if it is
 * outside [LEGACY_BODY_MIN, LEGACY_BODY_MAX] (nothing more may be read).
 */
int	 legacy_frame_len(const uint8_t hdr[LEGACY_LEN_LEN], size_t *body);
/*
 * Seal one message into out (LEGACY_FRAME_MAX bytes of room) with a
 * fresh random nonce; returns the frame's length, length field included,
 * or 0 with errno EMSGSIZE (payload too long) or EINVAL (bad type, or n
 * wrong for it).
 */
size_t	 legacy_seal(const uint8_t key[LEGACY_KEY_LEN], uint8_t type,
	    const uint8_t *payload, size_t n, uint8_t *out);
/*
 * Open one whole frame of len bytes (length field included) into plain
 * (LEGACY_PLAIN_MAX bytes of room).  On LEGACY_OK, *type is the type and
 * the payload is plain[LEGACY_MSG_HDR_LEN .. + *n].
 */
enum legacy_err legacy_open(const uint8_t key[LEGACY_KEY_LEN],
	    const uint8_t *frame, size_t len, uint8_t *plain, uint8_t *type,
	    size_t *n);
const char *legacy_strerror(enum legacy_err);

#endif
