/* SPDX-License-Identifier: ISC */
/*
 * Noise_IKpsk2_25519_ChaChaPoly_BLAKE2b plus key confirmation; see
 * handshake.h for the message layout.  Everything is built from libsodium
 * primitives:
 *
 *   DH     X25519 (crypto_scalarmult); an all-zero result, i.e. a
 *          low-order point from the peer, fails the handshake.
 *   AEAD   ChaCha20-Poly1305 IETF, nonce = 4 zero bytes | 64-bit little
 *          endian counter, the counter starting at 0 for each key.
 *   HASH   BLAKE2b with a 32-byte output (crypto_generichash).
 *   HMAC   RFC 2104 HMAC over that HASH with BLAKE2b's 128-byte block, and
 *          HKDF built from it exactly as the Noise specification (section
 *          4.3) builds it.  We chose HMAC over keyed BLAKE2b so that the
 *          key schedule is the Noise one, not a variant of it.  Note that
 *          HASHLEN is 32, not the 64 Noise uses for BLAKE2b (as WireGuard
 *          does with BLAKE2s), so this does not interoperate with other
 *          Noise_*_BLAKE2b implementations; only with itself.
 *
 * Tokens:  <- s ;  -> e, es, s, ss ;  <- e, ee, se, psk.  Because this is a
 * PSK handshake, every "e" token also does MixKey(e.pub).  Prologue is
 * "ipcp v1".  Split() gives the initiator's send key first.  Message 3 is
 * AEAD(HKDF(ck, "confirm") first output, nonce 0, empty, ad = h): only a
 * party holding the final chaining key and transcript hash can make it.
 *
 * mac1 = BLAKE2b-128(key = BLAKE2b-256("mac1----" | receiver static pub),
 * all bytes before mac1).  It proves nothing about the sender; it lets a
 * responder drop traffic not meant for it before any Diffie-Hellman.
 *
 * Steps are enforced with s->step; any failure wipes the state, so a
 * caller must start over with *_init.  Failures on input return -1 with
 * errno EBADMSG; calls out of order or with unusable keys return -1 with
 * errno EINVAL.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "wire.h"
#include "handshake.h"
#include "util.h"

#define HASH_LEN	32
#define HMAC_BLOCK	128
#define AEAD_TAG_LEN	16
#define MAC1_LEN	16
#define HDR_LEN		4

#define PAYLOAD1_LEN	(HS_TAI64N_LEN + 4)
#define PAYLOAD2_LEN	4

/* Offsets in the messages. */
#define M1_E		HDR_LEN
#define M1_S		(M1_E + HS_KEY_LEN)
#define M1_P		(M1_S + HS_KEY_LEN + AEAD_TAG_LEN)
#define M1_MAC		(M1_P + PAYLOAD1_LEN + AEAD_TAG_LEN)
#define M2_E		HDR_LEN
#define M2_P		(M2_E + HS_KEY_LEN)
#define M2_MAC		(M2_P + PAYLOAD2_LEN + AEAD_TAG_LEN)
#define M3_TAG		HDR_LEN
#define M3_MAC		(M3_TAG + AEAD_TAG_LEN)

static const char	proto_name[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2b";
static const char	prologue[] = "ipcp v1";
static const char	mac1_label[] = "mac1----";
static const char	confirm_label[] = "confirm";

/*
 * Steps.  The initiator goes 1 (write msg1), 2 (read msg2), 3 (write
 * msg3); the responder 1 (read msg1), 2 (write msg2), 3 (read msg3).
 * A wiped state is step 0 with no role, which every call refuses.
 */
enum {
	STEP_MSG1 = 1,
	STEP_MSG2,
	STEP_MSG3,
};

/* Noise CipherState; it never outlives the message that set its key. */
struct cipher {
	uint8_t		k[HS_KEY_LEN];
	uint64_t	n;
};

_Static_assert(M1_MAC + MAC1_LEN == HS_MSG1_LEN, "msg1 layout");
_Static_assert(M2_MAC + MAC1_LEN == HS_MSG2_LEN, "msg2 layout");
_Static_assert(M3_MAC + MAC1_LEN == HS_MSG3_LEN, "msg3 layout");
_Static_assert(HASH_LEN == HS_KEY_LEN, "HASHLEN is the key length");

static void
hash2(uint8_t out[HASH_LEN], const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen)
{
	crypto_generichash_state	st;

	crypto_generichash_init(&st, NULL, 0, HASH_LEN);
	crypto_generichash_update(&st, a, alen);
	crypto_generichash_update(&st, b, blen);
	crypto_generichash_final(&st, out, HASH_LEN);
	sodium_memzero(&st, sizeof(st));
}

/* HMAC-BLAKE2b-256 of a | b under a HASH_LEN key (shorter than a block). */
static void
hmac(uint8_t out[HASH_LEN], const uint8_t key[HASH_LEN], const uint8_t *a,
    size_t alen, const uint8_t *b, size_t blen)
{
	crypto_generichash_state	st;
	uint8_t				pad[HMAC_BLOCK], inner[HASH_LEN];
	size_t				i;

	memset(pad, 0x36, sizeof(pad));
	for (i = 0; i < HASH_LEN; i++)
		pad[i] ^= key[i];
	crypto_generichash_init(&st, NULL, 0, HASH_LEN);
	crypto_generichash_update(&st, pad, sizeof(pad));
	crypto_generichash_update(&st, a, alen);
	crypto_generichash_update(&st, b, blen);
	crypto_generichash_final(&st, inner, sizeof(inner));

	memset(pad, 0x5c, sizeof(pad));
	for (i = 0; i < HASH_LEN; i++)
		pad[i] ^= key[i];
	crypto_generichash_init(&st, NULL, 0, HASH_LEN);
	crypto_generichash_update(&st, pad, sizeof(pad));
	crypto_generichash_update(&st, inner, sizeof(inner));
	crypto_generichash_final(&st, out, HASH_LEN);

	sodium_memzero(&st, sizeof(st));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
}

/* Noise HKDF: up to three outputs; o2 and o3 may be NULL. */
static void
hkdf(const uint8_t ck[HASH_LEN], const uint8_t *ikm, size_t ikmlen,
    uint8_t o1[HASH_LEN], uint8_t *o2, uint8_t *o3)
{
	uint8_t	prk[HASH_LEN], t[HASH_LEN], c;

	hmac(prk, ck, ikm, ikmlen, NULL, 0);
	c = 1;
	hmac(t, prk, &c, 1, NULL, 0);
	memcpy(o1, t, HASH_LEN);
	if (o2 != NULL) {
		c = 2;
		hmac(t, prk, t, HASH_LEN, &c, 1);
		memcpy(o2, t, HASH_LEN);
	}
	if (o3 != NULL) {
		c = 3;
		hmac(t, prk, t, HASH_LEN, &c, 1);
		memcpy(o3, t, HASH_LEN);
	}
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(t, sizeof(t));
}

static void
mix_hash(struct hs_state *s, const uint8_t *data, size_t len)
{
	hash2(s->h, s->h, HASH_LEN, data, len);
}

/* MixKey: ck, k = HKDF(ck, ikm); the new key starts at nonce 0. */
static void
mix_key(struct hs_state *s, struct cipher *cs, const uint8_t *ikm,
    size_t len)
{
	hkdf(s->ck, ikm, len, s->ck, cs->k, NULL);
	cs->n = 0;
}

static void
mix_key_and_hash(struct hs_state *s, struct cipher *cs, const uint8_t *ikm,
    size_t len)
{
	uint8_t	th[HASH_LEN];

	hkdf(s->ck, ikm, len, s->ck, th, cs->k);
	cs->n = 0;
	mix_hash(s, th, sizeof(th));
	sodium_memzero(th, sizeof(th));
}

/* Both sides' ephemerals and statics are mixed through here. */
static int
mix_dh(struct hs_state *s, struct cipher *cs, const uint8_t priv[HS_KEY_LEN],
    const uint8_t pub[HS_KEY_LEN])
{
	uint8_t	shared[HS_KEY_LEN];
	int	r = 0;

	/* A low-order point would make the shared secret public. */
	if (crypto_scalarmult(shared, priv, pub) != 0 ||
	    sodium_is_zero(shared, sizeof(shared)))
		r = -1;
	else
		mix_key(s, cs, shared, sizeof(shared));
	sodium_memzero(shared, sizeof(shared));
	return r;
}

/* EncryptAndHash; out gets len + AEAD_TAG_LEN bytes. */
static void
encrypt_and_hash(struct hs_state *s, struct cipher *cs, uint8_t *out,
    const uint8_t *in, size_t len)
{
	uint8_t	nonce[12];

	frame_nonce(nonce, cs->n++);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, in, len,
	    s->h, HASH_LEN, NULL, nonce, cs->k);
	mix_hash(s, out, len + AEAD_TAG_LEN);
}

/* DecryptAndHash; in holds len + AEAD_TAG_LEN bytes, out gets len. */
static int
decrypt_and_hash(struct hs_state *s, struct cipher *cs, uint8_t *out,
    const uint8_t *in, size_t len)
{
	uint8_t	nonce[12];

	frame_nonce(nonce, cs->n++);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, in,
	    len + AEAD_TAG_LEN, s->h, HASH_LEN, nonce, cs->k) != 0)
		return -1;
	mix_hash(s, in, len + AEAD_TAG_LEN);
	return 0;
}

static void
mac1_compute(uint8_t out[MAC1_LEN], const uint8_t *msg, size_t len,
    const uint8_t receiver_pub[HS_KEY_LEN])
{
	uint8_t	key[HASH_LEN];

	hash2(key, (const uint8_t *)mac1_label, sizeof(mac1_label) - 1,
	    receiver_pub, HS_KEY_LEN);
	crypto_generichash(out, MAC1_LEN, msg, len, key, sizeof(key));
}

static void
header_write(uint8_t *msg, uint8_t type)
{
	msg[0] = type;
	msg[1] = HS_VERSION;
	msg[2] = 0;
	msg[3] = 0;
}

/* Fails the handshake: nothing of it may be used again. */
static int
fail(struct hs_state *s, int error)
{
	hs_state_wipe(s);
	errno = error;
	return -1;
}

void
hs_keypair_generate(struct hs_keypair *kp)
{
	randombytes_buf(kp->priv, sizeof(kp->priv));
	/* Clamped inside X25519, so this cannot fail. */
	(void)crypto_scalarmult_base(kp->pub, kp->priv);
}

int
hs_keypair_from_private(struct hs_keypair *kp,
    const uint8_t priv[HS_KEY_LEN])
{
	memmove(kp->priv, priv, HS_KEY_LEN);
	if (crypto_scalarmult_base(kp->pub, kp->priv) != 0) {
		sodium_memzero(kp, sizeof(*kp));
		errno = EINVAL;
		return -1;
	}
	return 0;
}

uint32_t
hs_local_caps(void)
{
	return crypto_aead_aes256gcm_is_available() ? HS_CAP_AESGCM : 0;
}

void
hs_tai64n_now(uint8_t out[HS_TAI64N_LEN])
{
	/* Last value handed out, as nanoseconds since the Unix epoch. */
	static _Atomic uint64_t	last;
	struct timespec		ts;
	uint64_t		now, prev, sec;
	uint32_t		nsec;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	/*
	 * The responder drops a msg1 whose timestamp is not newer than the
	 * last one, so two handshakes in the same clock tick, or a clock
	 * step backwards while we run, must still give increasing values.
	 */
	prev = atomic_load(&last);
	do {
		if (now <= prev)
			now = prev + 1;
	} while (!atomic_compare_exchange_weak(&last, &prev, now));

	sec = now / 1000000000ULL + (1ULL << 62) + 10;
	nsec = now % 1000000000ULL;
	be32_put(out, sec >> 32);
	be32_put(out + 4, (uint32_t)sec);
	be32_put(out + 8, nsec);
}

static void
ephemeral_generate(struct hs_state *s)
{
	randombytes_buf(s->e_priv, sizeof(s->e_priv));
	(void)crypto_scalarmult_base(s->e_pub, s->e_priv);
}

/* h = HASH(name) (longer than HASHLEN), ck = h, then the prologue. */
static void
symmetric_init(struct hs_state *s)
{
	crypto_generichash(s->h, HASH_LEN, (const uint8_t *)proto_name,
	    sizeof(proto_name) - 1, NULL, 0);
	memcpy(s->ck, s->h, HASH_LEN);
	mix_hash(s, (const uint8_t *)prologue, sizeof(prologue) - 1);
}

int
hs_initiator_init(struct hs_state *s, const struct hs_keypair *local,
    const uint8_t remote_pub[HS_KEY_LEN], const uint8_t *psk, uint32_t caps)
{
	memset(s, 0, sizeof(*s));
	if (local == NULL || remote_pub == NULL) {
		errno = EINVAL;
		return -1;
	}
	s->role = HS_INITIATOR;
	s->step = STEP_MSG1;
	s->local = local;
	s->local_caps = caps;
	memcpy(s->rs_pub, remote_pub, HS_KEY_LEN);
	if (psk != NULL)
		memcpy(s->psk, psk, HS_KEY_LEN);
	symmetric_init(s);
	/* Pre-message: <- s. */
	mix_hash(s, s->rs_pub, HS_KEY_LEN);
	return 0;
}

void
hs_responder_init(struct hs_state *s, const struct hs_keypair *local,
    uint32_t caps)
{
	memset(s, 0, sizeof(*s));
	s->role = HS_RESPONDER;
	s->step = STEP_MSG1;
	s->local = local;
	s->local_caps = caps;
	symmetric_init(s);
	mix_hash(s, local->pub, HS_KEY_LEN);
}

int
hs_write_msg1(struct hs_state *s, uint8_t out[HS_MSG1_LEN])
{
	struct cipher	cs;
	uint8_t		payload[PAYLOAD1_LEN];
	int		r = -1;

	if (s->role != HS_INITIATOR || s->step != STEP_MSG1)
		return fail(s, EINVAL);
	memset(&cs, 0, sizeof(cs));
	header_write(out, HS_TYPE_MSG1);

	/* e */
	ephemeral_generate(s);
	memcpy(out + M1_E, s->e_pub, HS_KEY_LEN);
	mix_hash(s, s->e_pub, HS_KEY_LEN);
	mix_key(s, &cs, s->e_pub, HS_KEY_LEN);
	/* es */
	if (mix_dh(s, &cs, s->e_priv, s->rs_pub) == -1)
		goto done;
	/* s */
	encrypt_and_hash(s, &cs, out + M1_S, s->local->pub, HS_KEY_LEN);
	/* ss */
	if (mix_dh(s, &cs, s->local->priv, s->rs_pub) == -1)
		goto done;
	hs_tai64n_now(payload);
	be32_put(payload + HS_TAI64N_LEN, s->local_caps);
	encrypt_and_hash(s, &cs, out + M1_P, payload, sizeof(payload));

	mac1_compute(out + M1_MAC, out, M1_MAC, s->rs_pub);
	s->step = STEP_MSG2;
	r = 0;
done:
	sodium_memzero(&cs, sizeof(cs));
	sodium_memzero(payload, sizeof(payload));
	if (r == -1) {
		/* The remote key is a low-order point: a config error. */
		sodium_memzero(out, HS_MSG1_LEN);
		return fail(s, EINVAL);
	}
	return 0;
}

/* Type, version and reserved bytes, then mac1; no secrets involved. */
static int
check_hdr_mac1(const uint8_t *msg, size_t len, uint8_t type,
    const uint8_t receiver_pub[HS_KEY_LEN])
{
	uint8_t	mac[MAC1_LEN];

	if (msg[0] != type || msg[1] != HS_VERSION || msg[2] != 0 ||
	    msg[3] != 0)
		return -1;
	mac1_compute(mac, msg, len - MAC1_LEN, receiver_pub);
	return sodium_memcmp(mac, msg + len - MAC1_LEN, MAC1_LEN);
}

int
hs_check_mac1(const uint8_t *msg, size_t len,
    const uint8_t receiver_pub[HS_KEY_LEN])
{
	uint8_t	type;

	switch (len) {
	case HS_MSG1_LEN:
		type = HS_TYPE_MSG1;
		break;
	case HS_MSG2_LEN:
		type = HS_TYPE_MSG2;
		break;
	case HS_MSG3_LEN:
		type = HS_TYPE_MSG3;
		break;
	default:
		errno = EBADMSG;
		return -1;
	}
	if (check_hdr_mac1(msg, len, type, receiver_pub) != 0) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

int
hs_read_msg1(struct hs_state *s, const uint8_t in[HS_MSG1_LEN],
    uint8_t remote_pub[HS_KEY_LEN], uint8_t ts[HS_TAI64N_LEN])
{
	struct cipher	cs;
	uint8_t		payload[PAYLOAD1_LEN];
	int		r = -1;

	if (s->role != HS_RESPONDER || s->step != STEP_MSG1)
		return fail(s, EINVAL);
	/* Cheap check first: the sender must at least know our key. */
	if (check_hdr_mac1(in, HS_MSG1_LEN, HS_TYPE_MSG1, s->local->pub) != 0)
		return fail(s, EBADMSG);
	memset(&cs, 0, sizeof(cs));

	/* e */
	memcpy(s->re_pub, in + M1_E, HS_KEY_LEN);
	mix_hash(s, s->re_pub, HS_KEY_LEN);
	mix_key(s, &cs, s->re_pub, HS_KEY_LEN);
	/* es */
	if (mix_dh(s, &cs, s->local->priv, s->re_pub) == -1)
		goto done;
	/* s */
	if (decrypt_and_hash(s, &cs, s->rs_pub, in + M1_S, HS_KEY_LEN) == -1)
		goto done;
	/* ss */
	if (mix_dh(s, &cs, s->local->priv, s->rs_pub) == -1)
		goto done;
	if (decrypt_and_hash(s, &cs, payload, in + M1_P,
	    sizeof(payload)) == -1)
		goto done;

	s->remote_caps = be32_get(payload + HS_TAI64N_LEN);
	memcpy(remote_pub, s->rs_pub, HS_KEY_LEN);
	memcpy(ts, payload, HS_TAI64N_LEN);
	s->step = STEP_MSG2;
	r = 0;
done:
	sodium_memzero(&cs, sizeof(cs));
	sodium_memzero(payload, sizeof(payload));
	if (r == -1)
		return fail(s, EBADMSG);
	return 0;
}

int
hs_write_msg2(struct hs_state *s, const uint8_t *psk,
    uint8_t out[HS_MSG2_LEN])
{
	struct cipher	cs;
	uint8_t		payload[PAYLOAD2_LEN];
	int		r = -1;

	if (s->role != HS_RESPONDER || s->step != STEP_MSG2)
		return fail(s, EINVAL);
	memset(&cs, 0, sizeof(cs));
	if (psk != NULL)
		memcpy(s->psk, psk, HS_KEY_LEN);
	/* AES only when both ends have it in hardware. */
	s->cipher = (s->local_caps & s->remote_caps & HS_CAP_AESGCM) ?
	    FRAME_CIPHER_AES256GCM : FRAME_CIPHER_CHACHA20POLY1305;
	header_write(out, HS_TYPE_MSG2);

	/* e */
	ephemeral_generate(s);
	memcpy(out + M2_E, s->e_pub, HS_KEY_LEN);
	mix_hash(s, s->e_pub, HS_KEY_LEN);
	mix_key(s, &cs, s->e_pub, HS_KEY_LEN);
	/* ee */
	if (mix_dh(s, &cs, s->e_priv, s->re_pub) == -1)
		goto done;
	/* se */
	if (mix_dh(s, &cs, s->e_priv, s->rs_pub) == -1)
		goto done;
	/* psk */
	mix_key_and_hash(s, &cs, s->psk, HS_KEY_LEN);
	sodium_memzero(s->psk, sizeof(s->psk));
	be32_put(payload, s->cipher);
	encrypt_and_hash(s, &cs, out + M2_P, payload, sizeof(payload));

	mac1_compute(out + M2_MAC, out, M2_MAC, s->rs_pub);
	s->step = STEP_MSG3;
	r = 0;
done:
	sodium_memzero(&cs, sizeof(cs));
	if (r == -1) {
		sodium_memzero(out, HS_MSG2_LEN);
		return fail(s, EBADMSG);
	}
	return 0;
}

int
hs_read_msg2(struct hs_state *s, const uint8_t in[HS_MSG2_LEN])
{
	struct cipher	cs;
	uint8_t		payload[PAYLOAD2_LEN];
	uint32_t	cipher;
	int		r = -1;

	if (s->role != HS_INITIATOR || s->step != STEP_MSG2)
		return fail(s, EINVAL);
	if (check_hdr_mac1(in, HS_MSG2_LEN, HS_TYPE_MSG2, s->local->pub) != 0)
		return fail(s, EBADMSG);
	memset(&cs, 0, sizeof(cs));

	/* e */
	memcpy(s->re_pub, in + M2_E, HS_KEY_LEN);
	mix_hash(s, s->re_pub, HS_KEY_LEN);
	mix_key(s, &cs, s->re_pub, HS_KEY_LEN);
	/* ee */
	if (mix_dh(s, &cs, s->e_priv, s->re_pub) == -1)
		goto done;
	/* se */
	if (mix_dh(s, &cs, s->local->priv, s->re_pub) == -1)
		goto done;
	/* psk */
	mix_key_and_hash(s, &cs, s->psk, HS_KEY_LEN);
	sodium_memzero(s->psk, sizeof(s->psk));
	if (decrypt_and_hash(s, &cs, payload, in + M2_P,
	    sizeof(payload)) == -1)
		goto done;

	/* The responder may only pick what we offered. */
	cipher = be32_get(payload);
	if (cipher == FRAME_CIPHER_AES256GCM &&
	    (s->local_caps & HS_CAP_AESGCM))
		s->cipher = cipher;
	else if (cipher == FRAME_CIPHER_CHACHA20POLY1305)
		s->cipher = cipher;
	else
		goto done;
	s->step = STEP_MSG3;
	r = 0;
done:
	sodium_memzero(&cs, sizeof(cs));
	if (r == -1)
		return fail(s, EBADMSG);
	return 0;
}

/* The confirmation tag and the session keys, from the final ck and h. */
static void
finish(struct hs_state *s, uint8_t tag[AEAD_TAG_LEN],
    struct hs_session *sess)
{
	uint8_t	ck_key[HS_KEY_LEN], k1[HS_KEY_LEN], k2[HS_KEY_LEN];
	uint8_t	nonce[12], empty[1] = { 0 };

	hkdf(s->ck, (const uint8_t *)confirm_label,
	    sizeof(confirm_label) - 1, ck_key, NULL, NULL);
	frame_nonce(nonce, 0);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(empty, tag, NULL,
	    empty, 0, s->h, HASH_LEN, NULL, nonce, ck_key);

	/* Split(). */
	hkdf(s->ck, NULL, 0, k1, k2, NULL);
	if (s->role == HS_INITIATOR) {
		memcpy(sess->tx_key, k1, HS_KEY_LEN);
		memcpy(sess->rx_key, k2, HS_KEY_LEN);
	} else {
		memcpy(sess->tx_key, k2, HS_KEY_LEN);
		memcpy(sess->rx_key, k1, HS_KEY_LEN);
	}
	sess->cipher = s->cipher;
	sodium_memzero(ck_key, sizeof(ck_key));
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
}

int
hs_write_msg3(struct hs_state *s, uint8_t out[HS_MSG3_LEN],
    struct hs_session *sess)
{
	if (s->role != HS_INITIATOR || s->step != STEP_MSG3)
		return fail(s, EINVAL);
	header_write(out, HS_TYPE_MSG3);
	finish(s, out + M3_TAG, sess);
	mac1_compute(out + M3_MAC, out, M3_MAC, s->rs_pub);
	/* Done: nothing in the state is needed any more. */
	hs_state_wipe(s);
	return 0;
}

int
hs_read_msg3(struct hs_state *s, const uint8_t in[HS_MSG3_LEN],
    struct hs_session *sess)
{
	struct hs_session	tmp;
	uint8_t			tag[AEAD_TAG_LEN];
	int			r;

	if (s->role != HS_RESPONDER || s->step != STEP_MSG3)
		return fail(s, EINVAL);
	if (check_hdr_mac1(in, HS_MSG3_LEN, HS_TYPE_MSG3, s->local->pub) != 0)
		return fail(s, EBADMSG);
	finish(s, tag, &tmp);
	r = sodium_memcmp(tag, in + M3_TAG, AEAD_TAG_LEN);
	if (r == 0)
		memcpy(sess, &tmp, sizeof(tmp));
	sodium_memzero(&tmp, sizeof(tmp));
	hs_state_wipe(s);
	if (r != 0) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

void
hs_state_wipe(struct hs_state *s)
{
	sodium_memzero(s, sizeof(*s));
}
