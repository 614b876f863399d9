/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the frame codec: frame_header and frame_open on
 * arbitrary bytes, as a forwarder meets them on its TCP stream.  A frame
 * that opens must have come from the key; with a fixed key and input
 * from the fuzzer that means frame_open must fail, and must never read or
 * write outside the buffer.
 * Built and run by make fuzz (tests/fuzz/run.sh).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct frame_key	 k[2];
	static int		 ready, have[2];
	static const uint8_t	 key[FRAME_KEY_LEN] = { 1 };
	uint8_t			*buf, *payload, type;
	uint32_t		 body;
	size_t			 plen;
	int			 i;

	/* Keys hold a cipher handle: make them once, rewind per input. */
	if (!ready) {
		if (sodium_init() < 0)
			abort();
		have[0] = frame_key_init(&k[0], FRAME_CIPHER_CHACHA20POLY1305,
		    key) == 0;
		have[1] = frame_key_init(&k[1], FRAME_CIPHER_AES256GCM,
		    key) == 0;
		ready = 1;
	}
	if (size < FRAME_HDR_LEN)
		return 0;
	if (frame_header(data, &type, &body) == 0 &&
	    (body < FRAME_TAG_LEN || body > FRAME_MAX_BODY))
		abort();
	if (size > FRAME_MAX_LEN)
		return 0;
	if ((buf = malloc(size)) == NULL)
		return 0;
	for (i = 0; i < 2; i++) {
		if (!have[i])
			continue;
		k[i].counter = 0;
		memcpy(buf, data, size);
		/* Forging a tag is not something a fuzzer does. */
		if (frame_open(&k[i], buf, size, &payload, &plen) == 0 ||
		    k[i].counter != 0)
			abort();
	}
	free(buf);
	return 0;
}
