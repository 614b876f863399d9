/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for proto/frame.c: round trips for both ciphers and every
 * frame type, tampering at every byte, truncation, header bounds, counter
 * discipline and the rekey ratchet.
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

#include "frame.h"

static const int	ciphers[] = {
	FRAME_CIPHER_CHACHA20POLY1305,
	FRAME_CIPHER_AES256GCM,
};
static const uint8_t	types[] = {
	FRAME_DATA, FRAME_HEARTBEAT, FRAME_HEARTBEAT_ACK, FRAME_CONTROL,
	FRAME_REKEY, FRAME_CLOSE,
};

#define NCIPHERS	(sizeof(ciphers) / sizeof(ciphers[0]))
#define NTYPES		(sizeof(types) / sizeof(types[0]))

static uint8_t	key[FRAME_KEY_LEN];
static uint8_t	*buf, *copy, *plain;

static int
setup(void **state)
{
	if (sodium_init() < 0)
		return -1;
	randombytes_buf(key, sizeof(key));
	if ((buf = malloc(FRAME_MAX_LEN)) == NULL ||
	    (copy = malloc(FRAME_MAX_LEN)) == NULL ||
	    (plain = malloc(FRAME_MAX_PAYLOAD)) == NULL)
		return -1;
	randombytes_buf(plain, FRAME_MAX_PAYLOAD);
	return 0;
}

static int
teardown(void **state)
{
	free(buf);
	free(copy);
	free(plain);
	return 0;
}

/* AES-GCM only where libsodium has it; skip the case, do not fail it. */
static int
keys_init(int cipher, struct frame_key *tx, struct frame_key *rx)
{
	if (cipher == FRAME_CIPHER_AES256GCM &&
	    !crypto_aead_aes256gcm_is_available()) {
		assert_int_equal(frame_key_init(tx, cipher, key), -1);
		assert_int_equal(errno, ENOTSUP);
		return -1;
	}
	assert_int_equal(frame_key_init(tx, cipher, key), 0);
	assert_int_equal(frame_key_init(rx, cipher, key), 0);
	return 0;
}

static size_t
type_max(uint8_t type)
{
	switch (type) {
	case FRAME_DATA:
		return FRAME_MAX_PAYLOAD;
	case FRAME_CONTROL:
		return FRAME_MAX_CONTROL;
	case FRAME_CLOSE:
		return FRAME_MAX_CLOSE;
	default:
		return FRAME_MAX_SMALL;
	}
}

static void
keys_wipe(struct frame_key *tx, struct frame_key *rx)
{
	frame_key_wipe(tx);
	frame_key_wipe(rx);
}

static size_t
seal(struct frame_key *tx, uint8_t type, size_t plen)
{
	memcpy(buf + FRAME_HDR_LEN, plain, plen);
	return frame_seal(tx, type, buf, plen);
}

static void
test_round_trip(void **state)
{
	const size_t		 sizes[] = {
	    0, 1, 1500, FRAME_MAX_PAYLOAD
	};
	struct frame_key	 tx, rx;
	uint8_t			*p, type;
	uint32_t		 body;
	size_t			 c, t, z, n, plen, want;
	uint64_t		 frames = 0;

	for (c = 0; c < NCIPHERS; c++) {
		if (keys_init(ciphers[c], &tx, &rx) == -1)
			continue;
		frames = 0;
		for (t = 0; t < NTYPES; t++) {
			for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
				/* Clamp to the type's limit; test that too. */
				want = sizes[z] > type_max(types[t]) ?
				    type_max(types[t]) : sizes[z];
				n = seal(&tx, types[t], want);
				assert_int_equal(n,
				    FRAME_HDR_LEN + want + FRAME_TAG_LEN);
				assert_int_equal(frame_header(buf, &type,
				    &body), 0);
				assert_int_equal(type, types[t]);
				assert_int_equal(body, want + FRAME_TAG_LEN);
				/* Encrypted (false alarm: 2^-128). */
				if (want >= 16)
					assert_memory_not_equal(
					    buf + FRAME_HDR_LEN, plain, 16);
				assert_int_equal(frame_open(&rx, buf, n, &p,
				    &plen), 0);
				assert_int_equal(plen, want);
				assert_ptr_equal(p, buf + FRAME_HDR_LEN);
				assert_memory_equal(p, plain, want);
				frames++;
				assert_int_equal(tx.counter, frames);
				assert_int_equal(rx.counter, frames);
			}
		}
		keys_wipe(&tx, &rx);
	}
}

static void
test_tamper_every_byte(void **state)
{
	struct frame_key	 tx, rx;
	uint8_t			*p;
	size_t			 c, n, off, plen;

	for (c = 0; c < NCIPHERS; c++) {
		if (keys_init(ciphers[c], &tx, &rx) == -1)
			continue;
		n = seal(&tx, FRAME_DATA, 100);
		memcpy(copy, buf, n);
		for (off = 0; off < n; off++) {
			/* Opening in place may scribble: start clean. */
			memcpy(buf, copy, n);
			buf[off] ^= 0x01;
			assert_int_equal(frame_open(&rx, buf, n, &p, &plen),
			    -1);
			assert_int_equal(errno, EBADMSG);
			assert_int_equal(rx.counter, 0);
			memcpy(buf, copy, n);
			buf[off] ^= 0x80;
			assert_int_equal(frame_open(&rx, buf, n, &p, &plen),
			    -1);
		}
		memcpy(buf, copy, n);
		assert_int_equal(frame_open(&rx, buf, n, &p, &plen), 0);
		assert_memory_equal(p, plain, 100);
		keys_wipe(&tx, &rx);
	}
}

static void
test_truncation(void **state)
{
	struct frame_key	 tx, rx;
	uint8_t			*p;
	size_t			 c, n, len, plen;

	for (c = 0; c < NCIPHERS; c++) {
		if (keys_init(ciphers[c], &tx, &rx) == -1)
			continue;
		n = seal(&tx, FRAME_CONTROL, 40);
		memcpy(copy, buf, n);
		for (len = 0; len < n; len++) {
			memcpy(buf, copy, n);
			assert_int_equal(frame_open(&rx, buf, len, &p, &plen),
			    -1);
			assert_int_equal(errno, EBADMSG);
		}
		/* One byte too many is no better. */
		memcpy(buf, copy, n);
		buf[n] = 0;
		assert_int_equal(frame_open(&rx, buf, n + 1, &p, &plen), -1);
		/*
		 * A frame cut short but with its length field rewritten to
		 * match still fails: the tag no longer verifies.
		 */
		memcpy(buf, copy, n);
		buf[3] -= 1;
		assert_int_equal(frame_open(&rx, buf, n - 1, &p, &plen), -1);
		assert_int_equal(rx.counter, 0);
		memcpy(buf, copy, n);
		assert_int_equal(frame_open(&rx, buf, n, &p, &plen), 0);
		keys_wipe(&tx, &rx);
	}
}

static void
put_hdr(uint8_t *h, uint32_t len, uint8_t type)
{
	h[0] = len >> 24;
	h[1] = len >> 16;
	h[2] = len >> 8;
	h[3] = len;
	h[4] = type;
}

static void
test_header_bounds(void **state)
{
	uint8_t		h[FRAME_HDR_LEN], type;
	uint32_t	body;
	size_t		t;

	for (t = 0; t < NTYPES; t++) {
		uint32_t max = type_max(types[t]) + FRAME_TAG_LEN;

		put_hdr(h, max, types[t]);
		assert_int_equal(frame_header(h, &type, &body), 0);
		assert_int_equal(body, max);
		put_hdr(h, FRAME_TAG_LEN, types[t]);
		assert_int_equal(frame_header(h, &type, &body), 0);

		put_hdr(h, max + 1, types[t]);
		assert_int_equal(frame_header(h, &type, &body), -1);
		assert_int_equal(errno, EMSGSIZE);
		put_hdr(h, FRAME_TAG_LEN - 1, types[t]);
		assert_int_equal(frame_header(h, &type, &body), -1);
		assert_int_equal(errno, EMSGSIZE);
		put_hdr(h, 0, types[t]);
		assert_int_equal(frame_header(h, &type, &body), -1);
		assert_int_equal(errno, EMSGSIZE);
		put_hdr(h, UINT32_MAX, types[t]);
		assert_int_equal(frame_header(h, &type, &body), -1);
		assert_int_equal(errno, EMSGSIZE);
	}
	put_hdr(h, FRAME_MAX_BODY + 1, FRAME_DATA);
	assert_int_equal(frame_header(h, &type, &body), -1);
	assert_int_equal(errno, EMSGSIZE);

	put_hdr(h, 32, 0);
	assert_int_equal(frame_header(h, &type, &body), -1);
	assert_int_equal(errno, EBADMSG);
	put_hdr(h, 32, FRAME_CLOSE + 1);
	assert_int_equal(frame_header(h, &type, &body), -1);
	assert_int_equal(errno, EBADMSG);
	put_hdr(h, 32, 0xff);
	assert_int_equal(frame_header(h, &type, &body), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_counter_mismatch(void **state)
{
	struct frame_key	 tx, rx;
	uint8_t			*p;
	size_t			 c, n, plen;

	for (c = 0; c < NCIPHERS; c++) {
		if (keys_init(ciphers[c], &tx, &rx) == -1)
			continue;
		/* Receiver one ahead: the frame with counter 0 fails. */
		n = seal(&tx, FRAME_DATA, 64);
		memcpy(copy, buf, n);
		rx.counter = 1;
		assert_int_equal(frame_open(&rx, buf, n, &p, &plen), -1);
		assert_int_equal(errno, EBADMSG);
		assert_int_equal(rx.counter, 1);

		/* Receiver one behind: the frame with counter 1 fails. */
		rx.counter = 0;
		n = seal(&tx, FRAME_DATA, 64);
		assert_int_equal(frame_open(&rx, buf, n, &p, &plen), -1);
		assert_int_equal(rx.counter, 0);

		/* In order it works; a replay of the first then fails. */
		memcpy(buf, copy, n);
		assert_int_equal(frame_open(&rx, buf, n, &p, &plen), 0);
		assert_int_equal(rx.counter, 1);
		memcpy(buf, copy, n);
		assert_int_equal(frame_open(&rx, buf, n, &p, &plen), -1);
		assert_int_equal(rx.counter, 1);
		keys_wipe(&tx, &rx);
	}
}

static void
test_ratchet(void **state)
{
	struct frame_key	 tx, rx, old;
	uint8_t			*p;
	size_t			 c, n, plen;
	int			 round;

	for (c = 0; c < NCIPHERS; c++) {
		if (keys_init(ciphers[c], &tx, &rx) == -1)
			continue;
		for (round = 0; round < 3; round++) {
			n = seal(&tx, FRAME_DATA, 200);
			assert_int_equal(frame_open(&rx, buf, n, &p, &plen),
			    0);
			/* Its own handle: a struct copy would share rx's. */
			assert_int_equal(frame_key_init(&old, ciphers[c],
			    rx.key), 0);
			assert_int_equal(frame_key_ratchet(&tx), 0);
			assert_int_equal(frame_key_ratchet(&rx), 0);
			assert_int_equal(tx.counter, 0);
			assert_int_equal(rx.counter, 0);
			assert_int_equal(tx.cipher, ciphers[c]);
			assert_memory_equal(tx.key, rx.key, FRAME_KEY_LEN);
			assert_memory_not_equal(tx.key, old.key,
			    FRAME_KEY_LEN);

			n = seal(&tx, FRAME_DATA, 200);
			memcpy(copy, buf, n);
			/* The old key, even at the right counter, fails. */
			old.counter = 0;
			assert_int_equal(frame_open(&old, buf, n, &p, &plen),
			    -1);
			frame_key_wipe(&old);
			memcpy(buf, copy, n);
			assert_int_equal(frame_open(&rx, buf, n, &p, &plen),
			    0);
			assert_memory_equal(p, plain, 200);
		}
		/* Only one side ratcheting breaks the stream. */
		assert_int_equal(frame_key_ratchet(&tx), 0);
		n = seal(&tx, FRAME_DATA, 10);
		assert_int_equal(frame_open(&rx, buf, n, &p, &plen), -1);
		keys_wipe(&tx, &rx);
	}
}

/*
 * Our AES-256-GCM (libgcrypt) against libsodium's, both ways: the same
 * construction, so frames interoperate with any standard GCM, and neither
 * library can drift from the other unnoticed.
 */
static void
test_gcm_matches_libsodium(void **state)
{
	const size_t		 sizes[] = { 0, 1, 15, 16, 17, 1500, 65536,
	    FRAME_MAX_PAYLOAD };
	struct frame_key	 tx, rx;
	crypto_aead_aes256gcm_state st __attribute__((aligned(16)));
	uint8_t			 nonce[12], *p;
	size_t			 i, n, plen;
	unsigned long long	 tl;

	if (keys_init(FRAME_CIPHER_AES256GCM, &tx, &rx) == -1)
		skip();
	crypto_aead_aes256gcm_beforenm(&st, key);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* Ours seals, libsodium opens. */
		frame_nonce(nonce, tx.counter);
		n = seal(&tx, FRAME_DATA, sizes[i]);
		assert_int_equal(n, FRAME_HDR_LEN + sizes[i] + FRAME_TAG_LEN);
		assert_int_equal(crypto_aead_aes256gcm_decrypt_detached_afternm(
		    buf + FRAME_HDR_LEN, NULL, buf + FRAME_HDR_LEN, sizes[i],
		    buf + FRAME_HDR_LEN + sizes[i], buf, FRAME_HDR_LEN, nonce,
		    &st), 0);
		assert_memory_equal(buf + FRAME_HDR_LEN, plain, sizes[i]);

		/* libsodium seals, ours opens. */
		frame_nonce(nonce, rx.counter);
		frame_hdr_put(buf, FRAME_DATA, sizes[i]);
		memcpy(buf + FRAME_HDR_LEN, plain, sizes[i]);
		crypto_aead_aes256gcm_encrypt_detached_afternm(
		    buf + FRAME_HDR_LEN, buf + FRAME_HDR_LEN + sizes[i], &tl,
		    buf + FRAME_HDR_LEN, sizes[i], buf, FRAME_HDR_LEN, NULL,
		    nonce, &st);
		assert_int_equal(frame_open(&rx, buf, n, &p, &plen), 0);
		assert_int_equal(plen, sizes[i]);
		assert_memory_equal(p, plain, sizes[i]);
	}
	keys_wipe(&tx, &rx);
}

static void
test_seal_limits(void **state)
{
	struct frame_key	 tx, rx;
	size_t			 c, t;

	for (c = 0; c < NCIPHERS; c++) {
		if (keys_init(ciphers[c], &tx, &rx) == -1)
			continue;
		for (t = 0; t < NTYPES; t++) {
			assert_int_equal(frame_seal(&tx, types[t], buf,
			    type_max(types[t]) + 1), 0);
			assert_int_equal(errno, EMSGSIZE);
		}
		assert_int_equal(frame_seal(&tx, FRAME_DATA, buf,
		    (size_t)UINT32_MAX + 1), 0);
		assert_int_equal(errno, EMSGSIZE);
		assert_int_equal(frame_seal(&tx, 0, buf, 1), 0);
		assert_int_equal(frame_seal(&tx, 0x7f, buf, 1), 0);
		/* Nothing was sent, so the counter did not move. */
		assert_int_equal(tx.counter, 0);

		/* The counter stops short of wrapping. */
		tx.counter = UINT64_MAX;
		assert_int_equal(frame_seal(&tx, FRAME_DATA, buf, 1), 0);
		assert_int_equal(errno, EOVERFLOW);
		keys_wipe(&tx, &rx);
	}
}

static void
test_key_init(void **state)
{
	struct frame_key	k;

	assert_int_equal(frame_key_init(&k, 0, key), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(frame_key_init(&k, 3, key), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(frame_key_init(&k, FRAME_CIPHER_CHACHA20POLY1305,
	    key), 0);
	frame_key_wipe(&k);
	assert_true(sodium_is_zero((const uint8_t *)&k, sizeof(k)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tamper_every_byte),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_header_bounds),
		cmocka_unit_test(test_counter_mismatch),
		cmocka_unit_test(test_ratchet),
		cmocka_unit_test(test_gcm_matches_libsodium),
		cmocka_unit_test(test_seal_limits),
		cmocka_unit_test(test_key_init),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
