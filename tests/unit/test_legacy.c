/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for proto/legacy.c, the original ipcp's frames: frames built
 * here by hand with crypto_secretbox_easy (as the original builds them)
 * must open, ours must open by hand, and every bound the original sets
 * must hold: the length field, the message length, the types, tampering
 * and the wrong key.  Also the legacy FwdStream's validation.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "legacy.h"
#include "msg.h"
#include "util.h"

static uint8_t	key[LEGACY_KEY_LEN];
static uint8_t	frame[LEGACY_FRAME_MAX + 64];
static uint8_t	plain[LEGACY_PLAIN_MAX];
static uint8_t	payload[LEGACY_PAYLOAD_MAX + 1];

static int
setup(void **state)
{
	if (sodium_init() < 0)
		return -1;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(payload, sizeof(payload));
	return 0;
}


/*
 * A frame as the original's protocolSecureEncodeMessage writes it, with
 * any type and any claimed n: returns its whole length.
 */
static size_t
by_hand(const uint8_t *k, uint8_t type, uint32_t claimed, const uint8_t *p,
    size_t n, uint8_t *out)
{
	uint8_t	m[LEGACY_PLAIN_MAX + 16];
	uint8_t	*nonce = out + LEGACY_LEN_LEN;

	m[0] = type;
	be32_put(m + 1, claimed);
	if (n > 0)	/* p may be NULL then */
		memcpy(m + 5, p, n);
	randombytes_buf(nonce, LEGACY_NONCE_LEN);
	crypto_secretbox_easy(nonce + LEGACY_NONCE_LEN, m, 5 + n, nonce, k);
	be32_put(out, LEGACY_NONCE_LEN + LEGACY_TAG_LEN + 5 + n);
	return LEGACY_LEN_LEN + LEGACY_NONCE_LEN + LEGACY_TAG_LEN + 5 + n;
}

static void
test_round_trip(void **state)
{
	size_t	sizes[] = { 1, 4, 60, 1504, LEGACY_PAYLOAD_MAX };
	size_t	i, len, n;
	uint8_t	type;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		len = legacy_seal(key, LEGACY_DATA, payload, sizes[i], frame);
		assert_int_equal(len, 4 + 24 + 16 + 5 + sizes[i]);
		assert_int_equal(legacy_open(key, frame, len, plain, &type,
		    &n), LEGACY_OK);
		assert_int_equal(type, LEGACY_DATA);
		assert_int_equal(n, sizes[i]);
		assert_memory_equal(plain + LEGACY_MSG_HDR_LEN, payload, n);
	}
	/* The largest frame is exactly the original's largest: L = 4096. */
	assert_int_equal(len, LEGACY_FRAME_MAX);
	for (type = LEGACY_HEARTBEAT; type <= LEGACY_HEARTBEAT_ACK; type++) {
		uint8_t	got;

		len = legacy_seal(key, type, NULL, 0, frame);
		assert_int_equal(len, 4 + 24 + 16 + 5);
		assert_int_equal(legacy_open(key, frame, len, plain, &got, &n),
		    LEGACY_OK);
		assert_int_equal(got, type);
		assert_int_equal(n, 0);
	}
}

/* Our frames in the original's layout, opened without our code. */
static void
test_layout(void **state)
{
	size_t	len = legacy_seal(key, LEGACY_DATA, payload, 100, frame);
	uint8_t	m[LEGACY_PLAIN_MAX];

	assert_int_equal(len, 4 + 24 + 16 + 105);
	assert_int_equal(frame[0], 0);
	assert_int_equal(frame[1], 0);
	assert_int_equal(frame[2] << 8 | frame[3], 24 + 16 + 105);
	assert_int_equal(crypto_secretbox_open_easy(m, frame + 28, 16 + 105,
	    frame + 4, key), 0);
	assert_int_equal(m[0], LEGACY_DATA);
	assert_int_equal(m[1] | m[2] | m[3], 0);
	assert_int_equal(m[4], 100);
	assert_memory_equal(m + 5, payload, 100);
	/* A fresh nonce every time: two seals of the same differ. */
	memcpy(m, frame, len);
	legacy_seal(key, LEGACY_DATA, payload, 100, frame);
	assert_memory_not_equal(m + 4, frame + 4, 24);
}

/* Frames written the original's way open here. */
static void
test_by_hand(void **state)
{
	size_t	len, n;
	uint8_t	type;

	len = by_hand(key, LEGACY_DATA, 60, payload, 60, frame);
	assert_int_equal(legacy_open(key, frame, len, plain, &type, &n),
	    LEGACY_OK);
	assert_int_equal(type, LEGACY_DATA);
	assert_int_equal(n, 60);
	assert_memory_equal(plain + 5, payload, 60);
	len = by_hand(key, LEGACY_HEARTBEAT, 0, NULL, 0, frame);
	assert_int_equal(legacy_open(key, frame, len, plain, &type, &n),
	    LEGACY_OK);
	assert_int_equal(type, LEGACY_HEARTBEAT);
}

static void
test_length_bounds(void **state)
{
	uint8_t	h[4];
	size_t	body;
	struct { uint32_t l; int ok; } c[] = {
		{ 0, 0 }, { 1, 0 }, { 40, 0 }, { 41, 1 }, { 45, 1 },
		{ 4096, 1 }, { 4097, 0 }, { 65536, 0 }, { 0xffffffff, 0 },
		/* An ipcp msg1 starts 01 01 00 00: never a legacy length. */
		{ 0x01010000, 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		be32_put(h, c[i].l);
		body = 12345;
		assert_int_equal(legacy_frame_len(h, &body), c[i].ok ? 0 : -1);
		if (c[i].ok)
			assert_int_equal(body, c[i].l);
	}
	/* legacy_open checks the field against what it was given too. */
	size_t len = legacy_seal(key, LEGACY_DATA, payload, 10, frame);
	size_t n;
	uint8_t type;

	assert_int_equal(legacy_open(key, frame, len - 1, plain, &type, &n),
	    LEGACY_ERR_LENGTH);
	assert_int_equal(legacy_open(key, frame, len + 1, plain, &type, &n),
	    LEGACY_ERR_LENGTH);
	assert_int_equal(legacy_open(key, frame, 3, plain, &type, &n),
	    LEGACY_ERR_LENGTH);
	be32_put(frame, 5000);
	assert_int_equal(legacy_open(key, frame, 5004, plain, &type, &n),
	    LEGACY_ERR_LENGTH);
}

static void
test_tamper_every_byte(void **state)
{
	size_t		len = legacy_seal(key, LEGACY_DATA, payload, 64, frame);
	size_t		i, n;
	uint8_t		type;
	enum legacy_err	e;

	for (i = 0; i < len; i++) {
		frame[i] ^= 0x01;
		e = legacy_open(key, frame, len, plain, &type, &n);
		/* The length field, or the box: never OK. */
		if (i < LEGACY_LEN_LEN)
			assert_int_equal(e, LEGACY_ERR_LENGTH);
		else
			assert_int_equal(e, LEGACY_ERR_AUTH);
		frame[i] ^= 0x01;
	}
	assert_int_equal(legacy_open(key, frame, len, plain, &type, &n),
	    LEGACY_OK);
}

static void
test_wrong_key(void **state)
{
	uint8_t	other[LEGACY_KEY_LEN];
	size_t	len, n;
	uint8_t	type;

	memcpy(other, key, sizeof(other));
	other[31] ^= 0x80;
	len = legacy_seal(key, LEGACY_HEARTBEAT, NULL, 0, frame);
	assert_int_equal(legacy_open(other, frame, len, plain, &type, &n),
	    LEGACY_ERR_AUTH);
}

static void
test_bad_messages(void **state)
{
	uint8_t	bad_types[] = { 0, 4, 9, 0x81, 0xff };
	size_t	i, len, n;
	uint8_t	type;

	for (i = 0; i < sizeof(bad_types); i++) {
		len = by_hand(key, bad_types[i], 0, NULL, 0, frame);
		assert_int_equal(legacy_open(key, frame, len, plain, &type,
		    &n), LEGACY_ERR_TYPE);
	}
	/* n says more, or less, than the frame holds. */
	len = by_hand(key, LEGACY_DATA, 61, payload, 60, frame);
	assert_int_equal(legacy_open(key, frame, len, plain, &type, &n),
	    LEGACY_ERR_FORMAT);
	len = by_hand(key, LEGACY_DATA, 59, payload, 60, frame);
	assert_int_equal(legacy_open(key, frame, len, plain, &type, &n),
	    LEGACY_ERR_FORMAT);
	len = by_hand(key, LEGACY_DATA, 0xffffffff, payload, 60, frame);
	assert_int_equal(legacy_open(key, frame, len, plain, &type, &n),
	    LEGACY_ERR_FORMAT);
	/* DATA without a payload, heartbeats with one. */
	len = by_hand(key, LEGACY_DATA, 0, NULL, 0, frame);
	assert_int_equal(legacy_open(key, frame, len, plain, &type, &n),
	    LEGACY_ERR_FORMAT);
	len = by_hand(key, LEGACY_HEARTBEAT_ACK, 3, payload, 3, frame);
	assert_int_equal(legacy_open(key, frame, len, plain, &type, &n),
	    LEGACY_ERR_FORMAT);
}

/* A box of fewer than 5 bytes: authentic, but no message header. */
static void
test_short_plaintext(void **state)
{
	uint8_t	m[4] = { LEGACY_DATA, 0, 0, 0 };
	size_t	n;
	uint8_t	type;

	randombytes_buf(frame + 4, LEGACY_NONCE_LEN);
	crypto_secretbox_easy(frame + 28, m, sizeof(m), frame + 4, key);
	be32_put(frame, 24 + 16 + 4);
	assert_int_equal(legacy_open(key, frame, 4 + 24 + 16 + 4, plain,
	    &type, &n), LEGACY_ERR_FORMAT);
}

static void
test_seal_limits(void **state)
{
	errno = 0;
	assert_int_equal(legacy_seal(key, LEGACY_DATA, payload,
	    LEGACY_PAYLOAD_MAX + 1, frame), 0);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(legacy_seal(key, LEGACY_DATA, payload, 0, frame), 0);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(legacy_seal(key, 9, payload, 1, frame), 0);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(legacy_seal(key, LEGACY_HEARTBEAT, payload, 1,
	    frame), 0);
	assert_int_equal(errno, EINVAL);
	assert_string_not_equal(legacy_strerror(LEGACY_ERR_TYPE), "");
}

/* FwdStream: a legacy one carries its key and nothing of ours. */
static void
test_stream_validate(void **state)
{
	Ipcp__Envelope	env = IPCP__ENVELOPE__INIT;
	Ipcp__FwdStream	s;
	uint8_t		k2[32] = { 0 };

	msg_fwd_stream_legacy_build(&env, &s, key, 1, frame, 100);
	assert_int_equal(msg_validate(&env), 0);
	msg_fwd_stream_legacy_build(&env, &s, key, 0, NULL, 0);
	assert_int_equal(msg_validate(&env), 0);
	s.legacy_first.len = LEGACY_FRAME_MAX + 1;
	assert_int_equal(msg_validate(&env), -1);
	msg_fwd_stream_legacy_build(&env, &s, key, 0, NULL, 0);
	s.legacy_key.len = 31;
	assert_int_equal(msg_validate(&env), -1);
	msg_fwd_stream_legacy_build(&env, &s, key, 0, NULL, 0);
	s.cipher = 1;
	assert_int_equal(msg_validate(&env), -1);
	/* Ours with legacy fields: refused too. */
	msg_fwd_stream_build(&env, &s, 1, k2, k2, 0);
	assert_int_equal(msg_validate(&env), 0);
	s.legacy_client = 1;
	assert_int_equal(msg_validate(&env), -1);
	msg_fwd_stream_build(&env, &s, 1, k2, k2, 0);
	s.legacy_key.data = key;
	s.legacy_key.len = 32;
	assert_int_equal(msg_validate(&env), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_by_hand),
		cmocka_unit_test(test_length_bounds),
		cmocka_unit_test(test_tamper_every_byte),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_bad_messages),
		cmocka_unit_test(test_short_plaintext),
		cmocka_unit_test(test_seal_limits),
		cmocka_unit_test(test_stream_validate),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
