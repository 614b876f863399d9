/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for proto/handshake.c: complete handshakes in both
 * directions, cipher agreement, rejection of wrong keys, wrong pre-shared
 * keys, tampered messages and calls out of order, and what the caller
 * needs for its replay check.  The tests recompute mac1 themselves where
 * they want a tampered message to get past it, which also pins the mac1
 * construction to the one handshake.h documents.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "frame.h"
#include "handshake.h"
#include "../mac1_ref.h"

static struct hs_keypair	kp_a, kp_b, kp_c;
static uint8_t			psk1[HS_KEY_LEN], psk2[HS_KEY_LEN];

static const uint8_t		zero_session[sizeof(struct hs_session)];

static int
setup(void **state)
{
	if (sodium_init() < 0)
		return -1;
	hs_keypair_generate(&kp_a);
	hs_keypair_generate(&kp_b);
	hs_keypair_generate(&kp_c);
	randombytes_buf(psk1, sizeof(psk1));
	randombytes_buf(psk2, sizeof(psk2));
	return 0;
}

/*
 * Runs a handshake from initiator (local ikp, aiming at target_pub) to a
 * responder holding rkp.  Returns the message number (1..3) whose read
 * failed, or 0 on success.
 */
static int
run(const struct hs_keypair *ikp, const uint8_t *target_pub,
    const uint8_t *ipsk, uint32_t icaps, const struct hs_keypair *rkp,
    const uint8_t *rpsk, uint32_t rcaps, struct hs_session *si,
    struct hs_session *sr)
{
	struct hs_state	i, r;
	uint8_t		m1[HS_MSG1_LEN], m2[HS_MSG2_LEN];
	uint8_t		m3[HS_MSG3_LEN];
	uint8_t		rs[HS_KEY_LEN], ts[HS_TAI64N_LEN];

	memset(si, 0, sizeof(*si));
	memset(sr, 0, sizeof(*sr));
	assert_int_equal(hs_initiator_init(&i, ikp, target_pub, ipsk, icaps),
	    0);
	hs_responder_init(&r, rkp, rcaps);
	assert_int_equal(hs_write_msg1(&i, m1), 0);
	if (hs_read_msg1(&r, m1, rs, ts) == -1) {
		assert_int_equal(errno, EBADMSG);
		return 1;
	}
	assert_memory_equal(rs, ikp->pub, HS_KEY_LEN);
	assert_int_equal(hs_write_msg2(&r, rpsk, m2), 0);
	if (hs_read_msg2(&i, m2) == -1) {
		assert_int_equal(errno, EBADMSG);
		return 2;
	}
	assert_int_equal(hs_write_msg3(&i, m3, si), 0);
	if (hs_read_msg3(&r, m3, sr) == -1) {
		assert_int_equal(errno, EBADMSG);
		return 3;
	}
	return 0;
}

static void
assert_sessions_match(const struct hs_session *si,
    const struct hs_session *sr)
{
	assert_memory_equal(si->tx_key, sr->rx_key, HS_KEY_LEN);
	assert_memory_equal(si->rx_key, sr->tx_key, HS_KEY_LEN);
	assert_memory_not_equal(si->tx_key, si->rx_key, HS_KEY_LEN);
	assert_false(sodium_is_zero(si->tx_key, HS_KEY_LEN));
	assert_false(sodium_is_zero(si->rx_key, HS_KEY_LEN));
	assert_int_equal(si->cipher, sr->cipher);
}

static void
test_success_both_ways(void **state)
{
	struct hs_session	si, sr, si2, sr2;

	assert_int_equal(run(&kp_a, kp_b.pub, psk1, 0, &kp_b, psk1, 0,
	    &si, &sr), 0);
	assert_sessions_match(&si, &sr);
	assert_int_equal(si.cipher, FRAME_CIPHER_CHACHA20POLY1305);

	assert_int_equal(run(&kp_b, kp_a.pub, psk1, 0, &kp_a, psk1, 0,
	    &si2, &sr2), 0);
	assert_sessions_match(&si2, &sr2);
	/* Fresh ephemerals: a new handshake gives new keys. */
	assert_memory_not_equal(si.tx_key, si2.tx_key, HS_KEY_LEN);
	assert_memory_not_equal(si.tx_key, sr2.tx_key, HS_KEY_LEN);

	/* No psk on either side is the all-zero psk. */
	assert_int_equal(run(&kp_a, kp_b.pub, NULL, 0, &kp_b, NULL, 0,
	    &si, &sr), 0);
	assert_sessions_match(&si, &sr);
}

/* The session keys drive the frame codec in both directions. */
static void
test_session_keys_carry_frames(void **state)
{
	struct hs_session	 si, sr;
	struct frame_key	 itx, irx, rtx, rrx;
	uint8_t			 buf[FRAME_HDR_LEN + 4 + FRAME_TAG_LEN];
	uint8_t			*p;
	size_t			 n, plen;

	assert_int_equal(run(&kp_a, kp_b.pub, psk1, 0, &kp_b, psk1, 0,
	    &si, &sr), 0);
	assert_int_equal(frame_key_init(&itx, si.cipher, si.tx_key), 0);
	assert_int_equal(frame_key_init(&irx, si.cipher, si.rx_key), 0);
	assert_int_equal(frame_key_init(&rtx, sr.cipher, sr.tx_key), 0);
	assert_int_equal(frame_key_init(&rrx, sr.cipher, sr.rx_key), 0);

	memcpy(buf + FRAME_HDR_LEN, "ping", 4);
	n = frame_seal(&itx, FRAME_DATA, buf, 4);
	assert_int_equal(n, sizeof(buf));
	assert_int_equal(frame_open(&rrx, buf, n, &p, &plen), 0);
	assert_int_equal(plen, 4);
	assert_memory_equal(p, "ping", 4);

	memcpy(buf + FRAME_HDR_LEN, "pong", 4);
	n = frame_seal(&rtx, FRAME_DATA, buf, 4);
	assert_int_equal(frame_open(&irx, buf, n, &p, &plen), 0);
	assert_memory_equal(p, "pong", 4);
}

static void
test_cipher_agreement(void **state)
{
	static const struct {
		uint32_t	icaps, rcaps;
		int		cipher;
	} cases[] = {
		{ 0, 0, FRAME_CIPHER_CHACHA20POLY1305 },
		{ HS_CAP_AESGCM, 0, FRAME_CIPHER_CHACHA20POLY1305 },
		{ 0, HS_CAP_AESGCM, FRAME_CIPHER_CHACHA20POLY1305 },
		{ HS_CAP_AESGCM, HS_CAP_AESGCM, FRAME_CIPHER_AES256GCM },
	};
	struct hs_session	si, sr;
	size_t			c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		assert_int_equal(run(&kp_a, kp_b.pub, psk1, cases[c].icaps,
		    &kp_b, psk1, cases[c].rcaps, &si, &sr), 0);
		assert_sessions_match(&si, &sr);
		assert_int_equal(si.cipher, cases[c].cipher);
		assert_int_equal(sr.cipher, cases[c].cipher);
	}
}

/* A responder that picks AES the initiator never offered is refused. */
static void
test_cipher_not_offered(void **state)
{
	struct hs_state	i, r;
	uint8_t		m1[HS_MSG1_LEN], m2[HS_MSG2_LEN];
	uint8_t		rs[HS_KEY_LEN], ts[HS_TAI64N_LEN];

	assert_int_equal(hs_initiator_init(&i, &kp_a, kp_b.pub, psk1, 0), 0);
	hs_responder_init(&r, &kp_b, HS_CAP_AESGCM);
	assert_int_equal(hs_write_msg1(&i, m1), 0);
	assert_int_equal(hs_read_msg1(&r, m1, rs, ts), 0);
	assert_int_equal(r.remote_caps, 0);
	/* Lie in the responder's state, as a broken responder would. */
	r.remote_caps = HS_CAP_AESGCM;
	assert_int_equal(hs_write_msg2(&r, psk1, m2), 0);
	assert_int_equal(hs_read_msg2(&i, m2), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_wrong_responder_key(void **state)
{
	struct hs_state		i, r;
	struct hs_session	si, sr;
	uint8_t			m1[HS_MSG1_LEN];
	uint8_t			rs[HS_KEY_LEN], ts[HS_TAI64N_LEN];

	/* Aimed at c, received by b: mac1 already fails. */
	assert_int_equal(run(&kp_a, kp_c.pub, psk1, 0, &kp_b, psk1, 0,
	    &si, &sr), 1);
	assert_memory_equal(&si, zero_session, sizeof(si));
	assert_memory_equal(&sr, zero_session, sizeof(sr));

	/* Even with a mac1 valid for b, the Noise layer refuses it. */
	assert_int_equal(hs_initiator_init(&i, &kp_a, kp_c.pub, psk1, 0), 0);
	assert_int_equal(hs_write_msg1(&i, m1), 0);
	mac1_set(m1, sizeof(m1), kp_b.pub);
	assert_int_equal(hs_check_mac1(m1, sizeof(m1), kp_b.pub), 0);
	hs_responder_init(&r, &kp_b, 0);
	assert_int_equal(hs_read_msg1(&r, m1, rs, ts), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_wrong_psk(void **state)
{
	struct hs_state		i, r;
	struct hs_session	si, sr;
	uint8_t			m1[HS_MSG1_LEN], m2[HS_MSG2_LEN];
	uint8_t			m3[HS_MSG3_LEN];
	uint8_t			rs[HS_KEY_LEN], ts[HS_TAI64N_LEN];

	/* psk2 makes msg2 fail at the initiator, before any session. */
	assert_int_equal(run(&kp_a, kp_b.pub, psk1, 0, &kp_b, psk2, 0,
	    &si, &sr), 2);
	assert_int_equal(run(&kp_a, kp_b.pub, NULL, 0, &kp_b, psk2, 0,
	    &si, &sr), 2);
	assert_int_equal(run(&kp_a, kp_b.pub, psk1, 0, &kp_b, NULL, 0,
	    &si, &sr), 2);

	/*
	 * The initiator will not write msg3 after that, and the responder
	 * accepts no msg3 an attacker can make without the keys.
	 */
	assert_int_equal(hs_initiator_init(&i, &kp_a, kp_b.pub, psk1, 0), 0);
	hs_responder_init(&r, &kp_b, 0);
	assert_int_equal(hs_write_msg1(&i, m1), 0);
	assert_int_equal(hs_read_msg1(&r, m1, rs, ts), 0);
	assert_int_equal(hs_write_msg2(&r, psk2, m2), 0);
	assert_int_equal(hs_read_msg2(&i, m2), -1);
	memset(&si, 0, sizeof(si));
	assert_int_equal(hs_write_msg3(&i, m3, &si), -1);
	assert_memory_equal(&si, zero_session, sizeof(si));

	m3[0] = HS_TYPE_MSG3;
	m3[1] = HS_VERSION;
	m3[2] = m3[3] = 0;
	randombytes_buf(m3 + 4, 16);
	mac1_set(m3, sizeof(m3), kp_b.pub);
	memset(&sr, 0, sizeof(sr));
	assert_int_equal(hs_read_msg3(&r, m3, &sr), -1);
	assert_int_equal(errno, EBADMSG);
	assert_memory_equal(&sr, zero_session, sizeof(sr));
}

static void
test_replay_timestamp(void **state)
{
	struct hs_state	i, r;
	uint8_t		m1[HS_MSG1_LEN], m1b[HS_MSG1_LEN];
	uint8_t		rs[HS_KEY_LEN], ts1[HS_TAI64N_LEN];
	uint8_t		ts2[HS_TAI64N_LEN], ts3[HS_TAI64N_LEN];

	assert_int_equal(hs_initiator_init(&i, &kp_a, kp_b.pub, psk1, 0), 0);
	assert_int_equal(hs_write_msg1(&i, m1), 0);
	hs_responder_init(&r, &kp_b, 0);
	assert_int_equal(hs_read_msg1(&r, m1, rs, ts1), 0);

	/* The same bytes again: the module accepts, the caller compares. */
	hs_responder_init(&r, &kp_b, 0);
	assert_int_equal(hs_read_msg1(&r, m1, rs, ts2), 0);
	assert_memory_equal(ts1, ts2, HS_TAI64N_LEN);
	assert_memory_equal(rs, kp_a.pub, HS_KEY_LEN);

	/* Immediately after: strictly newer, even within one clock tick. */
	assert_int_equal(hs_initiator_init(&i, &kp_a, kp_b.pub, psk1, 0), 0);
	assert_int_equal(hs_write_msg1(&i, m1b), 0);
	hs_responder_init(&r, &kp_b, 0);
	assert_int_equal(hs_read_msg1(&r, m1b, rs, ts3), 0);
	assert_true(memcmp(ts3, ts1, HS_TAI64N_LEN) > 0);
}

static void
test_tai64n_format(void **state)
{
	uint8_t		a[HS_TAI64N_LEN], b[HS_TAI64N_LEN];
	uint64_t	sec = 0;
	uint32_t	nsec;
	time_t		now;
	int		k;

	now = time(NULL);
	hs_tai64n_now(a);
	for (k = 0; k < 8; k++)
		sec = sec << 8 | a[k];
	nsec = (uint32_t)a[8] << 24 | (uint32_t)a[9] << 16 |
	    (uint32_t)a[10] << 8 | a[11];
	sec -= (1ULL << 62) + 10;
	assert_true(sec >= (uint64_t)now && sec <= (uint64_t)now + 2);
	assert_true(nsec < 1000000000U);
	for (k = 0; k < 1000; k++) {
		hs_tai64n_now(b);
		assert_true(memcmp(b, a, sizeof(a)) > 0);
		memcpy(a, b, sizeof(a));
	}
}

/* Flip every bit of m; each copy must fail read() on a fresh snapshot. */
static void
flip_all(const uint8_t *m, size_t len, const struct hs_state *snap,
    const uint8_t *mac_pub, int which)
{
	struct hs_state		st;
	struct hs_session	sess;
	uint8_t			bad[HS_MSG_MAX];
	uint8_t			rs[HS_KEY_LEN], ts[HS_TAI64N_LEN];
	size_t			off;
	int			bit, remac, r;

	/*
	 * Pass 0 leaves mac1 as it is, so mac1 catches the flip; pass 1
	 * recomputes mac1 over the tampered bytes so that the header check
	 * or the AEAD must catch it.
	 */
	for (remac = 0; remac < 2; remac++) {
		for (off = 0; off < len; off++) {
			if (remac && off >= len - MAC1_LEN)
				break;
			for (bit = 0; bit < 8; bit++) {
				memcpy(bad, m, len);
				bad[off] ^= 1 << bit;
				if (remac)
					mac1_set(bad, len, mac_pub);
				st = *snap;
				memset(&sess, 0, sizeof(sess));
				if (which == 1)
					r = hs_read_msg1(&st, bad, rs, ts);
				else if (which == 2)
					r = hs_read_msg2(&st, bad);
				else
					r = hs_read_msg3(&st, bad, &sess);
				if (r != -1)
					fail_msg("msg%d: flip at %zu bit %d "
					    "(remac %d) accepted", which, off,
					    bit, remac);
				assert_int_equal(errno, EBADMSG);
				assert_memory_equal(&sess, zero_session,
				    sizeof(sess));
				if (hs_check_mac1(bad, len, mac_pub) == 0 &&
				    !remac)
					fail_msg("msg%d: mac1 passed a flip at "
					    "%zu", which, off);
			}
		}
	}
	/* And the untouched message still goes through. */
	st = *snap;
	if (which == 1)
		r = hs_read_msg1(&st, m, rs, ts);
	else if (which == 2)
		r = hs_read_msg2(&st, m);
	else
		r = hs_read_msg3(&st, m, &sess);
	assert_int_equal(r, 0);
}

static void
test_bit_flips(void **state)
{
	struct hs_state		i, r, snap;
	struct hs_session	si, sr;
	uint8_t			m1[HS_MSG1_LEN], m2[HS_MSG2_LEN];
	uint8_t			m3[HS_MSG3_LEN];
	uint8_t			rs[HS_KEY_LEN], ts[HS_TAI64N_LEN];

	assert_int_equal(hs_initiator_init(&i, &kp_a, kp_b.pub, psk1,
	    HS_CAP_AESGCM), 0);
	hs_responder_init(&r, &kp_b, HS_CAP_AESGCM);
	assert_int_equal(hs_write_msg1(&i, m1), 0);

	snap = r;
	flip_all(m1, sizeof(m1), &snap, kp_b.pub, 1);
	assert_int_equal(hs_read_msg1(&r, m1, rs, ts), 0);
	assert_int_equal(hs_write_msg2(&r, psk1, m2), 0);

	snap = i;
	flip_all(m2, sizeof(m2), &snap, kp_a.pub, 2);
	assert_int_equal(hs_read_msg2(&i, m2), 0);
	assert_int_equal(hs_write_msg3(&i, m3, &si), 0);

	snap = r;
	flip_all(m3, sizeof(m3), &snap, kp_b.pub, 3);
	assert_int_equal(hs_read_msg3(&r, m3, &sr), 0);
	assert_sessions_match(&si, &sr);
	assert_int_equal(si.cipher, FRAME_CIPHER_AES256GCM);
}

static void
test_check_mac1(void **state)
{
	struct hs_state		i, r;
	struct hs_session	si, sr;
	uint8_t			m1[HS_MSG1_LEN], m2[HS_MSG2_LEN];
	uint8_t			m3[HS_MSG3_LEN], junk[HS_MSG_MAX + 1];
	uint8_t			rs[HS_KEY_LEN], ts[HS_TAI64N_LEN];
	size_t			len;

	assert_int_equal(hs_initiator_init(&i, &kp_a, kp_b.pub, psk1, 0), 0);
	hs_responder_init(&r, &kp_b, 0);
	assert_int_equal(hs_write_msg1(&i, m1), 0);
	assert_int_equal(hs_check_mac1(m1, sizeof(m1), kp_b.pub), 0);
	assert_int_equal(hs_check_mac1(m1, sizeof(m1), kp_a.pub), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(hs_check_mac1(m1, sizeof(m1) - 1, kp_b.pub), -1);
	assert_int_equal(hs_read_msg1(&r, m1, rs, ts), 0);
	assert_int_equal(hs_write_msg2(&r, psk1, m2), 0);
	/* msg2's receiver is the initiator. */
	assert_int_equal(hs_check_mac1(m2, sizeof(m2), kp_a.pub), 0);
	assert_int_equal(hs_check_mac1(m2, sizeof(m2), kp_b.pub), -1);
	assert_int_equal(hs_read_msg2(&i, m2), 0);
	assert_int_equal(hs_write_msg3(&i, m3, &si), 0);
	assert_int_equal(hs_check_mac1(m3, sizeof(m3), kp_b.pub), 0);
	assert_int_equal(hs_read_msg3(&r, m3, &sr), 0);

	/* Garbage of every length, random and all zero. */
	for (len = 0; len <= sizeof(junk); len++) {
		randombytes_buf(junk, sizeof(junk));
		assert_int_equal(hs_check_mac1(junk, len, kp_b.pub), -1);
		memset(junk, 0, sizeof(junk));
		assert_int_equal(hs_check_mac1(junk, len, kp_b.pub), -1);
	}
	/* Right header, right length, made-up mac. */
	memcpy(junk, m1, sizeof(m1));
	randombytes_buf(junk + 4, sizeof(m1) - 4);
	assert_int_equal(hs_check_mac1(junk, sizeof(m1), kp_b.pub), -1);
	/* A valid mac1 on a message of the wrong type for its length. */
	memcpy(junk, m1, sizeof(m1));
	junk[0] = HS_TYPE_MSG2;
	mac1_set(junk, sizeof(m1), kp_b.pub);
	assert_int_equal(hs_check_mac1(junk, sizeof(m1), kp_b.pub), -1);
}

static void
test_header_checks(void **state)
{
	struct hs_state	i, r;
	uint8_t		m1[HS_MSG1_LEN], bad[HS_MSG1_LEN];
	uint8_t		rs[HS_KEY_LEN], ts[HS_TAI64N_LEN];
	int		k;

	assert_int_equal(hs_initiator_init(&i, &kp_a, kp_b.pub, psk1, 0), 0);
	assert_int_equal(hs_write_msg1(&i, m1), 0);
	assert_int_equal(m1[0], HS_TYPE_MSG1);
	assert_int_equal(m1[1], HS_VERSION);
	assert_int_equal(m1[2], 0);
	assert_int_equal(m1[3], 0);
	for (k = 0; k < 4; k++) {
		memcpy(bad, m1, sizeof(m1));
		bad[k] = k == 0 ? HS_TYPE_MSG3 : k == 1 ? HS_VERSION + 1 : 1;
		mac1_set(bad, sizeof(bad), kp_b.pub);
		assert_int_equal(hs_check_mac1(bad, sizeof(bad), kp_b.pub), -1);
		hs_responder_init(&r, &kp_b, 0);
		assert_int_equal(hs_read_msg1(&r, bad, rs, ts), -1);
		assert_int_equal(errno, EBADMSG);
	}
}

/* X25519 points of low order give an all-zero secret: refused. */
static void
test_low_order_points(void **state)
{
	static const uint8_t	zero[HS_KEY_LEN];
	struct hs_state		i, r;
	uint8_t			m1[HS_MSG1_LEN];
	uint8_t			rs[HS_KEY_LEN], ts[HS_TAI64N_LEN];

	assert_int_equal(hs_initiator_init(&i, &kp_a, zero, psk1, 0), 0);
	assert_int_equal(hs_write_msg1(&i, m1), -1);
	assert_int_equal(errno, EINVAL);

	assert_int_equal(hs_initiator_init(&i, &kp_a, kp_b.pub, psk1, 0), 0);
	assert_int_equal(hs_write_msg1(&i, m1), 0);
	memset(m1 + 4, 0, HS_KEY_LEN);		/* e = 0 */
	mac1_set(m1, sizeof(m1), kp_b.pub);
	hs_responder_init(&r, &kp_b, 0);
	assert_int_equal(hs_read_msg1(&r, m1, rs, ts), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_wrong_order(void **state)
{
	struct hs_state		i, r;
	struct hs_session	si, sr;
	uint8_t			m1[HS_MSG1_LEN], m2[HS_MSG2_LEN];
	uint8_t			m3[HS_MSG3_LEN];
	uint8_t			rs[HS_KEY_LEN], ts[HS_TAI64N_LEN];

	/* Initiator: msg2 and msg3 before msg1; responder calls. */
	assert_int_equal(hs_initiator_init(&i, &kp_a, kp_b.pub, psk1, 0), 0);
	memset(m2, 0, sizeof(m2));
	assert_int_equal(hs_read_msg2(&i, m2), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(hs_initiator_init(&i, &kp_a, kp_b.pub, psk1, 0), 0);
	assert_int_equal(hs_write_msg3(&i, m3, &si), -1);
	assert_int_equal(hs_initiator_init(&i, &kp_a, kp_b.pub, psk1, 0), 0);
	assert_int_equal(hs_write_msg2(&i, psk1, m2), -1);
	assert_int_equal(hs_initiator_init(&i, &kp_a, kp_b.pub, psk1, 0), 0);
	assert_int_equal(hs_write_msg1(&i, m1), 0);
	/* msg1 twice, msg3 before msg2. */
	{
		struct hs_state	snap = i;

		assert_int_equal(hs_write_msg1(&snap, m1), -1);
		assert_int_equal(errno, EINVAL);
		snap = i;
		assert_int_equal(hs_write_msg3(&snap, m3, &si), -1);
		snap = i;
		assert_int_equal(hs_read_msg1(&snap, m1, rs, ts), -1);
	}

	/* Responder: msg2 before msg1, msg3 before msg2. */
	hs_responder_init(&r, &kp_b, 0);
	assert_int_equal(hs_write_msg2(&r, psk1, m2), -1);
	assert_int_equal(errno, EINVAL);
	hs_responder_init(&r, &kp_b, 0);
	assert_int_equal(hs_read_msg3(&r, m3, &sr), -1);
	hs_responder_init(&r, &kp_b, 0);
	assert_int_equal(hs_write_msg1(&r, m1), -1);
	hs_responder_init(&r, &kp_b, 0);
	assert_int_equal(hs_read_msg1(&r, m1, rs, ts), 0);
	{
		struct hs_state	snap = r;

		assert_int_equal(hs_read_msg1(&snap, m1, rs, ts), -1);
		snap = r;
		memset(m3, 0, sizeof(m3));
		assert_int_equal(hs_read_msg3(&snap, m3, &sr), -1);
	}
	assert_int_equal(hs_write_msg2(&r, psk1, m2), 0);
	assert_int_equal(hs_write_msg2(&r, psk1, m2), -1);
}

/* A failed step ends the handshake; a finished one leaves no secrets. */
static void
test_state_wiped(void **state)
{
	static const uint8_t	zero_state[sizeof(struct hs_state)];
	struct hs_state		i, r;
	struct hs_session	si, sr;
	uint8_t			m1[HS_MSG1_LEN], m2[HS_MSG2_LEN];
	uint8_t			m3[HS_MSG3_LEN], bad[HS_MSG2_LEN];
	uint8_t			rs[HS_KEY_LEN], ts[HS_TAI64N_LEN];

	assert_int_equal(hs_initiator_init(&i, &kp_a, kp_b.pub, psk1, 0), 0);
	hs_responder_init(&r, &kp_b, 0);
	assert_int_equal(hs_write_msg1(&i, m1), 0);
	assert_int_equal(hs_read_msg1(&r, m1, rs, ts), 0);
	assert_int_equal(hs_write_msg2(&r, psk1, m2), 0);

	/* A bad msg2 kills the initiator: the good one is then refused. */
	{
		struct hs_state	snap = i;

		memcpy(bad, m2, sizeof(bad));
		bad[10] ^= 1;
		assert_int_equal(hs_read_msg2(&snap, bad), -1);
		assert_memory_equal(&snap, zero_state, sizeof(snap));
		assert_int_equal(hs_read_msg2(&snap, m2), -1);
	}
	assert_int_equal(hs_read_msg2(&i, m2), 0);
	assert_int_equal(hs_write_msg3(&i, m3, &si), 0);
	assert_memory_equal(&i, zero_state, sizeof(i));
	assert_int_equal(hs_read_msg3(&r, m3, &sr), 0);
	assert_memory_equal(&r, zero_state, sizeof(r));
	assert_sessions_match(&si, &sr);

	hs_initiator_init(&i, &kp_a, kp_b.pub, psk1, 0);
	hs_state_wipe(&i);
	assert_memory_equal(&i, zero_state, sizeof(i));
}

static void
test_keypair(void **state)
{
	struct hs_keypair	kp;
	uint32_t		caps;

	assert_int_equal(hs_keypair_from_private(&kp, kp_a.priv), 0);
	assert_memory_equal(kp.pub, kp_a.pub, HS_KEY_LEN);
	assert_memory_not_equal(kp_a.pub, kp_b.pub, HS_KEY_LEN);
	caps = hs_local_caps();
	assert_int_equal(caps, crypto_aead_aes256gcm_is_available() ?
	    HS_CAP_AESGCM : 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success_both_ways),
		cmocka_unit_test(test_session_keys_carry_frames),
		cmocka_unit_test(test_cipher_agreement),
		cmocka_unit_test(test_cipher_not_offered),
		cmocka_unit_test(test_wrong_responder_key),
		cmocka_unit_test(test_wrong_psk),
		cmocka_unit_test(test_replay_timestamp),
		cmocka_unit_test(test_tai64n_format),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_check_mac1),
		cmocka_unit_test(test_header_checks),
		cmocka_unit_test(test_low_order_points),
		cmocka_unit_test(test_wrong_order),
		cmocka_unit_test(test_state_wiped),
		cmocka_unit_test(test_keypair),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
