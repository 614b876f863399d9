/* SPDX-License-Identifier: ISC */
/*
 * The ipcp handshake: Noise_IKpsk2_25519_ChaChaPoly_BLAKE2b, built from
 * libsodium primitives, plus a third message that confirms the keys so the
 * responder installs a session only once the initiator has proven it holds
 * them.  All messages have a fixed size; each ends in a keyed-BLAKE2b mac1
 * over everything before it, keyed by the receiver's static public key, so
 * a responder can drop garbage before doing any Diffie-Hellman.
 *
 *   msg1  i -> r   type ver 0 0 | e (32) | enc s (48) | enc payload1 (32) | mac1 (16)
 *   msg2  r -> i   type ver 0 0 | e (32) | enc payload2 (20)              | mac1 (16)
 *   msg3  i -> r   type ver 0 0 | confirm tag (16)                         | mac1 (16)
 *
 * payload1 = TAI64N timestamp (12) | capability bits (4, big endian)
 * payload2 = chosen data cipher (4, big endian)
 * confirm  = AEAD(key = KDF(ck, "confirm"), nonce 0, empty, ad = h)
 *
 * This module does no I/O and keeps no peer table: the caller reads the
 * initiator's static key out of msg1, looks the peer up, checks the
 * timestamp against the last one it accepted from that peer, and supplies
 * the pre-shared key.
 */
#ifndef IPCP_HANDSHAKE_H
#define IPCP_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

#define HS_KEY_LEN	32
#define HS_TAI64N_LEN	12
#define HS_MSG1_LEN	132
#define HS_MSG2_LEN	72
#define HS_MSG3_LEN	36
#define HS_MSG_MAX	HS_MSG1_LEN

#define HS_TYPE_MSG1	1
#define HS_TYPE_MSG2	2
#define HS_TYPE_MSG3	3
#define HS_VERSION	1

/* Capability bits in payload1. */
#define HS_CAP_AESGCM	0x1	/* sender has AES-256-GCM in hardware */

struct hs_keypair {
	uint8_t	priv[HS_KEY_LEN];
	uint8_t	pub[HS_KEY_LEN];
};

enum hs_role { HS_INITIATOR = 1, HS_RESPONDER = 2 };

/* Result of a completed handshake; wipe it once handed on. */
struct hs_session {
	uint8_t		tx_key[HS_KEY_LEN];
	uint8_t		rx_key[HS_KEY_LEN];
	int		cipher;		/* FRAME_CIPHER_* */
};

struct hs_state {
	enum hs_role	role;
	int		step;
	uint8_t		ck[HS_KEY_LEN];
	uint8_t		h[HS_KEY_LEN];
	uint8_t		e_priv[HS_KEY_LEN], e_pub[HS_KEY_LEN];
	uint8_t		re_pub[HS_KEY_LEN];	/* remote ephemeral */
	uint8_t		rs_pub[HS_KEY_LEN];	/* remote static */
	uint8_t		psk[HS_KEY_LEN];
	uint32_t	local_caps, remote_caps;
	int		cipher;
	const struct hs_keypair	*local;
};

/* handshake.c */
void	 hs_keypair_generate(struct hs_keypair *);
/* Derive the public key from priv; returns 0 or -1. */
int	 hs_keypair_from_private(struct hs_keypair *,
	    const uint8_t priv[HS_KEY_LEN]);
/* Our own capabilities: HS_CAP_AESGCM if the CPU has AES-NI. */
uint32_t hs_local_caps(void);
/* TAI64N of now, for payload1 (big endian, so memcmp orders it). */
void	 hs_tai64n_now(uint8_t out[HS_TAI64N_LEN]);

/* Initiator. psk may be NULL for none (all zero, as in WireGuard). */
int	 hs_initiator_init(struct hs_state *, const struct hs_keypair *local,
	    const uint8_t remote_pub[HS_KEY_LEN], const uint8_t *psk,
	    uint32_t caps);
int	 hs_write_msg1(struct hs_state *, uint8_t out[HS_MSG1_LEN]);
/* Checks mac1 and the AEAD; fails with -1/EBADMSG. */
int	 hs_read_msg2(struct hs_state *, const uint8_t in[HS_MSG2_LEN]);
int	 hs_write_msg3(struct hs_state *, uint8_t out[HS_MSG3_LEN],
	    struct hs_session *);

/* Responder. */
void	 hs_responder_init(struct hs_state *, const struct hs_keypair *local,
	    uint32_t caps);
/* Cheap: only the mac1 check, before any Diffie-Hellman. 0 or -1. */
int	 hs_check_mac1(const uint8_t *msg, size_t len,
	    const uint8_t receiver_pub[HS_KEY_LEN]);
/*
 * Checks mac1, then decrypts the initiator's static key and payload.
 * On success copies the initiator's static public key and its timestamp
 * out; the caller must then find the peer, reject a timestamp not newer
 * than the last one accepted, and call hs_write_msg2 with its psk.
 */
int	 hs_read_msg1(struct hs_state *, const uint8_t in[HS_MSG1_LEN],
	    uint8_t remote_pub[HS_KEY_LEN], uint8_t ts[HS_TAI64N_LEN]);
int	 hs_write_msg2(struct hs_state *, const uint8_t *psk,
	    uint8_t out[HS_MSG2_LEN]);
/* Verifies key confirmation; only then fills the session. */
int	 hs_read_msg3(struct hs_state *, const uint8_t in[HS_MSG3_LEN],
	    struct hs_session *);

void	 hs_state_wipe(struct hs_state *);

#endif
