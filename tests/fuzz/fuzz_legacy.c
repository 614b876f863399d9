/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the original ipcp's frames (proto/legacy.c), as a
 * legacy forwarder and ipcpd's first-frame check meet them.  The first
 * byte picks what the rest is:
 *
 *   even: bytes off the wire, under a key the fuzzer does not have, so
 *         legacy_open must refuse them (and read only what it was given);
 *   odd:  a plaintext, boxed here with the key the way the original
 *         boxes it, so the checks after authentication are reached: what
 *         opens must be a message the original would accept.
 *
 * Built and run by make fuzz (tests/fuzz/run.sh).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "legacy.h"

static const uint8_t	key[LEGACY_KEY_LEN] = { 7 };

static void
check_open(const uint8_t *frame, size_t len, int authentic)
{
	uint8_t		plain[LEGACY_PLAIN_MAX], type;
	size_t		body, n;
	enum legacy_err	e;

	e = legacy_open(key, frame, len, plain, &type, &n);
	if (e != LEGACY_OK) {
		if (legacy_strerror(e) == NULL)
			abort();
		return;
	}
	if (!authentic)
		abort();
	if (legacy_frame_len(frame, &body) == -1 || body + 4 != len)
		abort();
	if (n != len - LEGACY_LEN_LEN - LEGACY_NONCE_LEN - LEGACY_TAG_LEN -
	    LEGACY_MSG_HDR_LEN)
		abort();
	if (type == LEGACY_DATA ? n == 0 || n > LEGACY_PAYLOAD_MAX :
	    (type == LEGACY_HEARTBEAT || type == LEGACY_HEARTBEAT_ACK) ?
	    n != 0 : 1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t	frame[LEGACY_FRAME_MAX + LEGACY_TAG_LEN];
	size_t		plen;

	if (sodium_init() < 0)
		abort();
	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0) {
		check_open(data + 1, size - 1, 0);
		return 0;
	}
	plen = size - 1;
	if (plen > LEGACY_PLAIN_MAX)
		return 0;
	/* A fixed nonce: the same input, the same run. */
	memset(frame + 4, 0, LEGACY_NONCE_LEN);
	crypto_secretbox_easy(frame + 4 + LEGACY_NONCE_LEN, data + 1, plen,
	    frame + 4, key);
	plen += LEGACY_NONCE_LEN + LEGACY_TAG_LEN;
	frame[0] = plen >> 24;
	frame[1] = plen >> 16;
	frame[2] = plen >> 8;
	frame[3] = plen;
	check_open(frame, 4 + plen, 1);
	return 0;
}
