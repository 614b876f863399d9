/* SPDX-License-Identifier: ISC */
/*
 * mac1 as handshake.h defines it, computed independently of
 * proto/handshake.c, for the tests and fuzzers that forge or check
 * handshake messages: BLAKE2b-128 keyed with BLAKE2b("mac1----" ||
 * receiver's public key), over the message up to its last 16 bytes.
 */
#ifndef IPCP_TESTS_MAC1_REF_H
#define IPCP_TESTS_MAC1_REF_H

#include <sodium.h>

#include "handshake.h"

#define MAC1_LEN	16

static inline void
mac1_set(uint8_t *msg, size_t len, const uint8_t pub[HS_KEY_LEN])
{
	crypto_generichash_state	st;
	uint8_t				key[32];

	crypto_generichash_init(&st, NULL, 0, sizeof(key));
	crypto_generichash_update(&st, (const uint8_t *)"mac1----", 8);
	crypto_generichash_update(&st, pub, HS_KEY_LEN);
	crypto_generichash_final(&st, key, sizeof(key));
	crypto_generichash(msg + len - MAC1_LEN, MAC1_LEN, msg,
	    len - MAC1_LEN, key, sizeof(key));
}

#endif
