/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the handshake messages a responder and an
 * initiator read from the network: hs_check_mac1 on any length, then
 * msg1 / msg2 / msg3 against states that expect them.  The fuzzer's input
 * gets a valid mac1 appended half the time so that it reaches the
 * Diffie-Hellman and AEAD code.  Nothing it makes may complete a
 * handshake.
 * Built and run by make fuzz (tests/fuzz/run.sh).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"
#include "handshake.h"
#include "../mac1_ref.h"

static struct hs_keypair	ikp, rkp;
static struct hs_state		i_after1, r_after2;

static void
init_once(void)
{
	struct hs_state	i, r;
	uint8_t		m1[HS_MSG1_LEN], m2[HS_MSG2_LEN];
	uint8_t		rs[HS_KEY_LEN], ts[HS_TAI64N_LEN];

	if (sodium_init() < 0)
		abort();
	hs_keypair_generate(&ikp);
	hs_keypair_generate(&rkp);
	/* Snapshots of an initiator awaiting msg2, a responder msg3. */
	if (hs_initiator_init(&i, &ikp, rkp.pub, NULL, HS_CAP_AESGCM) ||
	    hs_write_msg1(&i, m1))
		abort();
	i_after1 = i;
	hs_responder_init(&r, &rkp, HS_CAP_AESGCM);
	if (hs_read_msg1(&r, m1, rs, ts) || hs_write_msg2(&r, NULL, m2))
		abort();
	r_after2 = r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		ready;
	struct hs_state		st;
	struct hs_session	sess;
	uint8_t			msg[HS_MSG_MAX];
	uint8_t			rs[HS_KEY_LEN], ts[HS_TAI64N_LEN];
	size_t			len;

	if (!ready) {
		init_once();
		ready = 1;
	}
	(void)hs_check_mac1(data, size, rkp.pub);
	if (size < 1)
		return 0;
	/* First byte picks the message and whether to fix up mac1. */
	switch (data[0] % 3) {
	case 0:
		len = HS_MSG1_LEN;
		break;
	case 1:
		len = HS_MSG2_LEN;
		break;
	default:
		len = HS_MSG3_LEN;
		break;
	}
	memset(msg, 0, sizeof(msg));
	memcpy(msg, data + 1, size - 1 < len ? size - 1 : len);
	if (data[0] & 0x80)
		mac1_set(msg, len, len == HS_MSG2_LEN ? ikp.pub : rkp.pub);

	if (len == HS_MSG1_LEN) {
		/* A valid msg1 needs our key and ChaCha20-Poly1305 forgery. */
		hs_responder_init(&st, &rkp, HS_CAP_AESGCM);
		if (hs_read_msg1(&st, msg, rs, ts) == 0)
			abort();
	} else if (len == HS_MSG2_LEN) {
		st = i_after1;
		if (hs_read_msg2(&st, msg) == 0)
			abort();
	} else {
		st = r_after2;
		memset(&sess, 0, sizeof(sess));
		if (hs_read_msg3(&st, msg, &sess) == 0)
			abort();
	}
	hs_state_wipe(&st);
	return 0;
}
