/* SPDX-License-Identifier: ISC */
/*
 * The AEAD engine of the frames between two forwarders (the layout is in
 * wire.h).  A frame that does not open with the receiver's next counter
 * fails, so reordering, replay and loss all close the session.  The
 * length is checked against FRAME_MAX_BODY before a single byte of the
 * body is buffered (frame_header in wire.c).
 */
#ifndef IPCP_FRAME_H
#define IPCP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <gcrypt.h>
#include <sodium.h>

#include "wire.h"

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
 * Open a whole frame (header + body, as checked by frame_header) in place.
 * On success returns 0, *payload points into frame, *plen is its length,
 * and the counter advances.  On failure returns -1 with errno EBADMSG and
 * the counter is unchanged.
 */
int	 frame_open(struct frame_key *, uint8_t *frame, size_t len,
	    uint8_t **payload, size_t *plen);

#endif
