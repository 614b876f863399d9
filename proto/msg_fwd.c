/* SPDX-License-Identifier: ISC */
/*
 * The ipcpd <-> ipcp-fwd channel: for each message, how it is built from
 * the C structs both programs share (msg.h), how it is read back, and
 * how it is validated, side by side (iked's config_setX/config_getX).
 * A forwarder that has read from the network is untrusted, so ipcpd
 * validates what it sends exactly as the forwarder validates ipcpd.
 */
#include <string.h>
#include <syslog.h>

#include "legacy.h"
#include "msg.h"

/* ---- FwdSetup and FwdUpdate: FwdParams, the forwarder's view of its peer */

static size_t
allowed_set(struct msg_fwd_buf *b, const struct fwd_params *p)
{
	size_t	n = p->n_allowed < MSG_MAX_PREFIXES ? p->n_allowed :
		    MSG_MAX_PREFIXES;

	return msg_prefixes_set(b->pfx, b->ppfx, p->allowed, n);
}

static void
allowed_get(Ipcp__Prefix *const *in, size_t n, struct fwd_params *p)
{
	size_t	i;

	/* Validated: every prefix converts, and n is in bounds. */
	p->n_allowed = 0;
	for (i = 0; i < n && i < MSG_MAX_PREFIXES; i++)
		if (msg_prefix_get(in[i], &p->allowed[p->n_allowed]) == 0)
			p->n_allowed++;
}

static int
timers_ok(uint32_t heartbeat_ms, uint32_t dead_after_ms)
{
	return heartbeat_ms > 0 && dead_after_ms > heartbeat_ms;
}

static void
params_build(Ipcp__FwdParams *m, struct msg_fwd_buf *b,
    const struct fwd_params *p)
{
	ipcp__fwd_params__init(m);
	m->peer_name = (char *)p->peer_name;
	m->heartbeat_ms = p->heartbeat_ms;
	m->dead_after_ms = p->dead_after_ms;
	m->n_allowed_ips = allowed_set(b, p);
	m->allowed_ips = b->ppfx;
	m->verbose = p->verbose;
}

/* What FwdParams carries; uid and gid stay as they are. */
static void
params_read(const Ipcp__FwdParams *m, struct fwd_params *p)
{
	memset(p->peer_name, 0, sizeof(p->peer_name));
	strncpy(p->peer_name, m->peer_name, sizeof(p->peer_name) - 1);
	p->heartbeat_ms = m->heartbeat_ms;
	p->dead_after_ms = m->dead_after_ms;
	allowed_get(m->allowed_ips, m->n_allowed_ips, p);
	p->verbose = m->verbose;
}

static int
params_ok(const Ipcp__FwdParams *m)
{
	return m != NULL && msg_str_ok(m->peer_name, MSG_NODE_NAME_MAX) &&
	    timers_ok(m->heartbeat_ms, m->dead_after_ms) &&
	    msg_prefixes_ok(m->allowed_ips, m->n_allowed_ips,
	    MSG_MAX_PREFIXES);
}

void
msg_fwd_setup_build(Ipcp__Envelope *env, struct msg_fwd_buf *b,
    const struct fwd_params *p)
{
	ipcp__fwd_setup__init(&b->setup);
	b->setup.uid = p->uid;
	b->setup.gid = p->gid;
	params_build(&b->params, b, p);
	b->setup.params = &b->params;
	env->body_case = IPCP__ENVELOPE__BODY_FWD_SETUP;
	env->fwd_setup = &b->setup;
}

void
msg_fwd_setup_read(const Ipcp__FwdSetup *s, struct fwd_params *p)
{
	memset(p, 0, sizeof(*p));
	p->uid = s->uid;
	p->gid = s->gid;
	params_read(s->params, p);
}

static int
setup_ok(const Ipcp__FwdSetup *s)
{
	/* Root is what the forwarder must never stay. */
	return s != NULL && s->uid != 0 && s->gid != 0 &&
	    params_ok(s->params);
}

void
msg_fwd_update_build(Ipcp__Envelope *env, struct msg_fwd_buf *b,
    const struct fwd_params *p)
{
	params_build(&b->params, b, p);
	env->body_case = IPCP__ENVELOPE__BODY_FWD_UPDATE;
	env->fwd_update = &b->params;
}

void
msg_fwd_update_read(const Ipcp__FwdParams *m, struct fwd_params *p)
{
	params_read(m, p);
}

/* ---- FwdStream: the connected socket's keys --------------------------- */

void
msg_fwd_stream_build(Ipcp__Envelope *env, Ipcp__FwdStream *s, int cipher,
    const uint8_t *tx_key, const uint8_t *rx_key, int initiator)
{
	ipcp__fwd_stream__init(s);
	s->cipher = cipher;
	s->initiator = initiator != 0;
	s->tx_key.data = (uint8_t *)tx_key;
	s->tx_key.len = FRAME_KEY_LEN;
	s->rx_key.data = (uint8_t *)rx_key;
	s->rx_key.len = FRAME_KEY_LEN;
	env->body_case = IPCP__ENVELOPE__BODY_FWD_STREAM;
	env->fwd_stream = s;
}

void
msg_fwd_stream_legacy_build(Ipcp__Envelope *env, Ipcp__FwdStream *s,
    const uint8_t *key, int client, const uint8_t *first, size_t first_len)
{
	ipcp__fwd_stream__init(s);
	s->legacy = 1;
	s->legacy_key.data = (uint8_t *)key;
	s->legacy_key.len = LEGACY_KEY_LEN;
	s->legacy_client = client != 0;
	s->legacy_first.data = (uint8_t *)first;
	s->legacy_first.len = first_len;
	env->body_case = IPCP__ENVELOPE__BODY_FWD_STREAM;
	env->fwd_stream = s;
}

/*
 * A legacy stream has its one key and nothing of ours; its first frame,
 * if any, is one whole frame at most.
 */
static int
stream_legacy_ok(const Ipcp__FwdStream *s)
{
	return s->legacy_key.len == LEGACY_KEY_LEN && s->tx_key.len == 0 &&
	    s->rx_key.len == 0 && s->cipher == 0 &&
	    s->legacy_first.len <= LEGACY_FRAME_MAX;
}

static int
stream_ok(const Ipcp__FwdStream *s)
{
	if (s != NULL && s->legacy)
		return stream_legacy_ok(s);
	return s != NULL && s->legacy_key.len == 0 &&
	    s->legacy_first.len == 0 && !s->legacy_client &&
	    s->tx_key.len == FRAME_KEY_LEN &&
	    s->rx_key.len == FRAME_KEY_LEN &&
	    (s->cipher == FRAME_CIPHER_CHACHA20POLY1305 ||
	    s->cipher == FRAME_CIPHER_AES256GCM);
}

/* ---- FwdStats ---------------------------------------------------------- */

void
msg_fwd_stats_build(Ipcp__Envelope *env, Ipcp__FwdStats *st,
    const struct fwd_counters *c)
{
	ipcp__fwd_stats__init(st);
	st->rx_bytes = c->rx_bytes;
	st->tx_bytes = c->tx_bytes;
	st->rx_packets = c->rx_packets;
	st->tx_packets = c->tx_packets;
	st->rtt_us = c->rtt_us;
	st->rx_dropped = c->rx_dropped;
	st->tx_dropped = c->tx_dropped;
	st->control_rx_bytes = c->control_rx_bytes;
	st->control_tx_bytes = c->control_tx_bytes;
	st->control_invalid = c->control_invalid;
	st->control_flood = c->control_flood;
	st->drop_source = c->drop_source;
	st->drop_queue_full = c->drop_queue_full;
	st->drop_auth = c->drop_auth;
	env->body_case = IPCP__ENVELOPE__BODY_FWD_STATS;
	env->fwd_stats = st;
}

void
msg_fwd_stats_read(const Ipcp__FwdStats *st, struct fwd_counters *c)
{
	c->rx_bytes = st->rx_bytes;
	c->tx_bytes = st->tx_bytes;
	c->rx_packets = st->rx_packets;
	c->tx_packets = st->tx_packets;
	c->rtt_us = st->rtt_us;
	c->rx_dropped = st->rx_dropped;
	c->tx_dropped = st->tx_dropped;
	c->control_rx_bytes = st->control_rx_bytes;
	c->control_tx_bytes = st->control_tx_bytes;
	c->control_invalid = st->control_invalid;
	c->control_flood = st->control_flood;
	c->drop_source = st->drop_source;
	c->drop_queue_full = st->drop_queue_full;
	c->drop_auth = st->drop_auth;
}

/* ---- FwdLog and FwdClose ----------------------------------------------- */

void
msg_fwd_log_build(Ipcp__Envelope *env, Ipcp__FwdLog *l, int priority,
    const char *text)
{
	ipcp__fwd_log__init(l);
	l->priority = priority;
	l->text = (char *)text;
	env->body_case = IPCP__ENVELOPE__BODY_FWD_LOG;
	env->fwd_log = l;
}

void
msg_fwd_close_build(Ipcp__Envelope *env, Ipcp__FwdClose *c,
    const char *reason)
{
	ipcp__fwd_close__init(c);
	c->reason = (char *)reason;
	env->body_case = IPCP__ENVELOPE__BODY_FWD_CLOSE;
	env->fwd_close = c;
}

int
msg_fwd_validate(const Ipcp__Envelope *env)
{
	switch (env->body_case) {
	case IPCP__ENVELOPE__BODY_FWD_SETUP:
		return setup_ok(env->fwd_setup) ? 0 : -1;
	case IPCP__ENVELOPE__BODY_FWD_UPDATE:
		return params_ok(env->fwd_update) ? 0 : -1;
	case IPCP__ENVELOPE__BODY_FWD_STREAM:
		return stream_ok(env->fwd_stream) ? 0 : -1;
	case IPCP__ENVELOPE__BODY_FWD_STATS:
		return env->fwd_stats != NULL ? 0 : -1;
	case IPCP__ENVELOPE__BODY_FWD_LOG:
		return env->fwd_log != NULL &&
		    msg_str_ok(env->fwd_log->text, MSG_MAX_TEXT) &&
		    env->fwd_log->priority <= LOG_DEBUG ? 0 : -1;
	case IPCP__ENVELOPE__BODY_FWD_CLOSE:
		return env->fwd_close != NULL &&
		    msg_str_ok(env->fwd_close->reason, MSG_MAX_TEXT) ? 0 : -1;
	default:
		return -1;
	}
}
