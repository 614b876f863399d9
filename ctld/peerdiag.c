/* SPDX-License-Identifier: ISC */
/*
 * Why a peer is down: what ipcpctl peers, status and metrics say beyond
 * the state.  Handshakes are counted by result for the node and the last
 * one is kept per peer; the last dial or session failure is kept as text
 * with its time; a session's drops by reason are added up when it ends,
 * so that "authentication failed", which ends the session that counted
 * it, is still there to be read once the session is gone.
 *
 * The result names are metric label values and JSON strings: lower case,
 * no spaces, and never renamed.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ipcpd.h"

static const char *const hs_result_names[HS_RESULT_N] = {
	[HS_RESULT_OK] = "ok",
	[HS_RESULT_CONNECT] = "connect_failed",
	[HS_RESULT_BAD_MAC1] = "bad_mac1",
	[HS_RESULT_UNKNOWN_KEY] = "unknown_key",
	[HS_RESULT_DECRYPT] = "decrypt_failed",
	[HS_RESULT_REPLAY] = "replay",
	[HS_RESULT_TIMEOUT] = "timeout",
	[HS_RESULT_CLOSED] = "closed",
	[HS_RESULT_REFUSED] = "refused",
	[HS_RESULT_ERROR] = "error",
};

const char *
hs_result_name(enum hs_result r)
{
	return r < HS_RESULT_N ? hs_result_names[r] : "error";
}

void
hs_result_count(struct peer *p, enum hs_result r)
{
	if (r >= HS_RESULT_N)
		r = HS_RESULT_ERROR;
	ipcpd->hs_results[r]++;
	if (p == NULL)
		return;
	p->last_hs_ms = now_ms();
	p->last_hs_result = r;
}

void
peer_error(struct peer *p, const char *fmt, ...)
{
	va_list	ap;
	char	*s;

	va_start(ap, fmt);
	vsnprintf(p->last_error, sizeof(p->last_error), fmt, ap);
	va_end(ap);
	/* strerror's capital in mid-sentence: "connect: connection refused". */
	for (s = p->last_error; (s = strstr(s, ": ")) != NULL; s += 2)
		if (isupper((unsigned char)s[2]) &&
		    islower((unsigned char)s[3]))
			s[2] = tolower((unsigned char)s[2]);
	p->last_error_ms = now_ms();
}

void
peer_drops(const struct peer *p, uint64_t *source, uint64_t *queue_full,
    uint64_t *auth)
{
	*source = p->drop_source;
	*queue_full = p->drop_queue_full;
	*auth = p->drop_auth;
	if (p->fwd == NULL)
		return;
	*source += p->stats.drop_source;
	*queue_full += p->stats.drop_queue_full;
	*auth += p->stats.drop_auth;
}

void
peer_drops_keep(struct peer *p)
{
	p->drop_source += p->stats.drop_source;
	p->drop_queue_full += p->stats.drop_queue_full;
	p->drop_auth += p->stats.drop_auth;
	p->stats.drop_source = p->stats.drop_queue_full =
	    p->stats.drop_auth = 0;
}
