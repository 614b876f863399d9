/* SPDX-License-Identifier: ISC */
/*
 * The forwarder's channel to ipcpd, on fd 3 (msg.h, msg_chan_to_fwd and
 * msg_chan_from_fwd).
 *
 * In: FwdSetup with the TUN fd and FwdStream with the TCP socket and keys
 * (before the sandbox), then Control to send to the peer, FwdUpdate after
 * a reload, and FwdClose.  Out: log lines, counters, the peer's CONTROL
 * messages and, just before we exit, the reason.
 *
 * The peer's CONTROL frames are parsed here, not in ipcpd: each is
 * unpacked, bounded and validated (msg_control_unpack), and only a clean,
 * typed message goes on to ipcpd.  A bad one is counted, logged
 * (rate-limited) and dropped, as are messages past a rate limit; the
 * session goes on.
 *
 * Nothing is dropped on the way to ipcpd for lack of room: messages wait
 * in a queue while ipcpd's end is full.  The other way, a CONTROL that
 * finds the priority frames full waits here, and we stop reading the
 * channel until it has gone, so the queue stays in ipcpd's hands.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fwd.h"

/* Messages taken from ipcpd per wakeup, so the data path gets its turn. */
#define CHAN_BATCH	64

static struct fwd	*sink_fwd;

void
chan_init(struct fwd *f)
{
	sink_fwd = f;
	f->chan_fd = FWD_CHAN_FD;
	msgq_init(&f->chan_out, FWD_CHAN_QUEUE_MAX);
}

static void
chan_update_poll(struct fwd *f)
{
	int	events = 0;

	/* Before the loop runs, setup is read with poll(2) instead. */
	if (!f->running)
		return;
	/* Even while not reading: ipcpd gone is news (chan_gone). */
	events |= UV_DISCONNECT;
	if (f->ctl_pending == NULL)
		events |= UV_READABLE;
	if (msgq_pending(&f->chan_out))
		events |= UV_WRITABLE;
	if (events == f->chan_events)
		return;
	uv_poll_start(&f->chan_poll, events, chan_poll_cb);
	f->chan_events = events;
}

void
chan_flush(struct fwd *f)
{
	if (msgq_flush(&f->chan_out, f->chan_fd) == -1) {
		/* ipcpd is gone: nobody to forward for any more. */
		fwd_exit(f, 1);
	}
	chan_update_poll(f);
}

void
chan_send(struct fwd *f, const Ipcp__Envelope *env)
{
	if (f->chan_gone)
		return;
	if (msgq_push(&f->chan_out, &msg_chan_from_fwd, env, -1) == -1) {
		/* Megabytes behind: ipcpd is stuck, and we cannot say so. */
		if (errno == ENOBUFS)
			fwd_exit(f, 1);
		return;
	}
	chan_flush(f);
}

void
chan_log_sink(int priority, const char *line)
{
	struct fwd	*f = sink_fwd;
	Ipcp__Envelope	 env = IPCP__ENVELOPE__INIT;
	Ipcp__FwdLog	 log;

	if (f == NULL || f->chan_gone)
		return;
	msg_fwd_log_build(&env, &log, priority, line);
	/* A log line is worth less than what queues behind it: drop it. */
	if (msgq_push(&f->chan_out, &msg_chan_from_fwd, &env, -1) == 0)
		chan_flush(f);
}

int
chan_stats(struct fwd *f, int force)
{
	Ipcp__Envelope		env = IPCP__ENVELOPE__INIT;
	Ipcp__FwdStats		st;
	struct fwd_counters	cur = f->st, sent = f->st_sent;
	int			moved;

	/* Each heartbeat moves the round trip: only the first is news. */
	if (sent.rtt_us != 0)
		cur.rtt_us = sent.rtt_us;
	moved = memcmp(&cur, &sent, sizeof(cur)) != 0;
	if (!force && !moved)
		return 0;
	msg_fwd_stats_build(&env, &st, &f->st);
	chan_send(f, &env);
	f->st_sent = f->st;
	f->st_sent_ms = fwd_now(f);
	return moved;
}

static void
last_words(struct fwd *f, int say_goodbye, const char *reason)
{
	Ipcp__Envelope	env = IPCP__ENVELOPE__INIT;
	Ipcp__FwdClose	cl;

	/* Tell the peer why, if our direction of the stream still works. */
	if (say_goodbye && f->keys_ready && !f->closing)
		stream_goodbye(f, reason);
	if (f->keys_ready)
		chan_stats(f, 1);
	msg_fwd_close_build(&env, &cl, reason);
	cl.peer_goodbye = f->peer_goodbye;
	chan_send(f, &env);
}

void
fwd_end(struct fwd *f, int status, int say_goodbye, const char *fmt, ...)
{
	char		reason[FWD_REASON_LEN];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	last_words(f, say_goodbye, reason);
	/* What ipcpd's end does not take now is lost with us. */
	fwd_exit(f, status);
}

void
chan_control_in(struct fwd *f, const uint8_t *payload, size_t len)
{
	Ipcp__Envelope	 env = IPCP__ENVELOPE__INIT;
	Ipcp__Control	*c;

	f->st.control_rx_bytes += len;
	/* Before any parsing: a flood costs us as little as possible. */
	if (!ratelimit_take(&f->ctl_rate)) {
		f->st.control_flood++;
		if (log_ratelimit(&f->ctl_rl))
			log_warnx("CONTROL messages from peer over the rate "
			    "limit dropped");
		return;
	}
	if ((c = msg_control_unpack(payload, len)) == NULL) {
		f->st.control_invalid++;
		if (log_ratelimit(&f->ctl_rl))
			log_warnx("invalid CONTROL message from peer (%zu "
			    "bytes) dropped", len);
		return;
	}
	/* From a newer version of ipcp; nothing for us. */
	if (c->body_case == IPCP__CONTROL__BODY__NOT_SET) {
		msg_control_free(c);
		return;
	}
	env.body_case = IPCP__ENVELOPE__BODY_CONTROL;
	env.control = c;
	chan_send(f, &env);
	msg_control_free(c);
}

/*
 * Queue ipcpd's Control for the peer.  Returns 0 when it is done with
 * (sent or dropped), 1 when it must wait for room (f->ctl_pending).
 */
static int
control_out(struct fwd *f, Ipcp__Envelope *env)
{
	uint8_t	buf[FRAME_MAX_CONTROL];
	size_t	n;

	/* The original ipcp has no CONTROL: routes are the user's. */
	if (f->closing || f->legacy)
		return 0;
	if ((n = msg_control_pack(env->control, buf, sizeof(buf))) == 0) {
		log_warnx("CONTROL from ipcpd does not fit a frame; dropped");
		return 0;
	}
	if (stream_send(f, FRAME_CONTROL, buf, n) == -1) {
		if (errno != ENOBUFS)
			fwd_end(f, 0, 0, "cannot queue CONTROL: %s",
			    strerror(errno));
		return 1;
	}
	f->st.control_tx_bytes += n;
	return 0;
}

void
chan_control_retry(struct fwd *f)
{
	Ipcp__Envelope	*env = f->ctl_pending;

	if (env == NULL)
		return;
	f->ctl_pending = NULL;
	if (control_out(f, env) == 1) {
		f->ctl_pending = env;
		return;
	}
	msg_free(env);
	/* Reading the channel again; what waits there is taken next turn. */
	chan_update_poll(f);
}

/* What f->params says about logging, at setup and after an update. */
static void
params_apply(struct fwd *f)
{
	log_procinit(f->params.peer_name);
	log_setverbose(f->params.verbose);
}

static void
update_apply(struct fwd *f, const Ipcp__FwdParams *u)
{
	/*
	 * New intervals count from the last heartbeat, frame and report:
	 * fwd.c reads them before the loop sleeps again.  The legacy
	 * wire's are fixed.
	 */
	msg_fwd_update_read(u, &f->params);
	params_apply(f);
	log_debug("settings updated by ipcpd");
}

/* One message from ipcpd; returns 1 if it keeps env (a waiting CONTROL). */
static int
chan_dispatch(struct fwd *f, Ipcp__Envelope *env)
{
	switch (env->body_case) {
	case IPCP__ENVELOPE__BODY_CONTROL:
		if (control_out(f, env) == 1) {
			f->ctl_pending = env;
			return 1;
		}
		break;
	case IPCP__ENVELOPE__BODY_FWD_UPDATE:
		update_apply(f, env->fwd_update);
		break;
	case IPCP__ENVELOPE__BODY_FWD_CLOSE:
		fwd_shutdown(f, env->fwd_close->reason);
		break;
	default:
		fwd_end(f, 1, 1, "unexpected message from ipcpd (type %d)",
		    env->body_case);
	}
	return 0;
}

/*
 * ipcpd has gone (crashed, killed): nobody to forward for.  Exit now, so
 * the TUN we hold goes and a new ipcpd can make it again, and say
 * goodbye, so the peer redials soon instead of backing off.
 */
static void
chan_gone(struct fwd *f)
{
	f->chan_gone = 1;
	fwd_end(f, 1, 1, "ipcpd is gone");
}

void
chan_poll_cb(uv_poll_t *h, int status, int events)
{
	struct fwd	*f = h->data;
	Ipcp__Envelope	*env;
	int		 i;

	if (status < 0)
		fwd_exit(f, 1);
	/* Not reading (a CONTROL waits), yet ipcpd's end has closed. */
	if ((events & UV_DISCONNECT) && !(events & UV_READABLE))
		chan_gone(f);
	if (events & UV_WRITABLE)
		chan_flush(f);
	for (i = 0; (events & UV_READABLE) && i < CHAN_BATCH &&
	    f->ctl_pending == NULL; i++) {
		if ((env = msg_recv(f->chan_fd, &msg_chan_to_fwd,
		    NULL)) == NULL) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				chan_gone(f);
			/* A body this channel does not carry: a broken ipcpd. */
			if (errno == EPROTO)
				fwd_end(f, 1, 1, "unexpected message from "
				    "ipcpd");
			fwd_end(f, 1, 1, "bad message from ipcpd: %s",
			    strerror(errno));
		}
		if (chan_dispatch(f, env) == 0)
			msg_free(env);
	}
	stream_flush(f);
	chan_flush(f);
}

static void
setup_apply(struct fwd *f, const Ipcp__FwdSetup *s, int tunfd)
{
	f->tun_fd = tunfd;
	msg_fwd_setup_read(s, &f->params);
	params_apply(f);
}

static void
stream_apply(struct fwd *f, Ipcp__FwdStream *s, int tcpfd)
{
	int	r;

	f->tcp_fd = tcpfd;
	if (s->legacy) {
		r = legacy_setup(f, s->legacy_key.data, s->legacy_client,
		    s->legacy_first.data, s->legacy_first.len);
		sodium_memzero(s->legacy_key.data, s->legacy_key.len);
		sodium_memzero(s->legacy_first.data, s->legacy_first.len);
		if (r == -1)
			fwd_end(f, 1, 0, "legacy stream: %s", strerror(errno));
		f->keys_ready = 1;
		return;
	}
	f->heartbeater = s->initiator;
	r = frame_key_init(&f->tx, s->cipher, s->tx_key.data);
	if (r == 0)
		r = frame_key_init(&f->rx, s->cipher, s->rx_key.data);
	/* The keys live in struct frame_key only from here on. */
	sodium_memzero(s->tx_key.data, s->tx_key.len);
	sodium_memzero(s->rx_key.data, s->rx_key.len);
	if (r == -1)
		fwd_end(f, 1, 0, "cipher %u: %s", s->cipher, strerror(errno));
	f->keys_ready = 1;
}

/*
 * Take FwdSetup with the TUN fd, then FwdStream with the TCP fd, from
 * ipcpd within FWD_SETUP_TIMEOUT_MS.  Anything else ends us.
 */
void
chan_setup_recv(struct fwd *f)
{
	struct pollfd	 pfd;
	Ipcp__Envelope	*env;
	uint64_t	 deadline = now_ms() + FWD_SETUP_TIMEOUT_MS, now;
	int		 fd, step = 0;

	while (step < 2) {
		if ((env = msg_recv(f->chan_fd, &msg_chan_to_fwd,
		    &fd)) == NULL) {
			if (errno == EPIPE || errno == ECONNRESET)
				fwd_exit(f, 1);
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				fwd_end(f, 1, 0, "bad message from ipcpd: %s",
				    strerror(errno));
			if ((now = now_ms()) >= deadline)
				fwd_end(f, 1, 0, "no %s from ipcpd in time",
				    step == 0 ? "setup" : "stream");
			pfd.fd = f->chan_fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, (int)(deadline - now)) == -1 &&
			    errno != EINTR)
				fwd_end(f, 1, 0, "poll: %s", strerror(errno));
			continue;
		}
		if (step == 0 &&
		    env->body_case == IPCP__ENVELOPE__BODY_FWD_SETUP &&
		    fd != -1)
			setup_apply(f, env->fwd_setup, fd);
		else if (step == 1 &&
		    env->body_case == IPCP__ENVELOPE__BODY_FWD_STREAM &&
		    fd != -1)
			stream_apply(f, env->fwd_stream, fd);
		else {
			int	type = env->body_case;

			if (fd != -1)
				close(fd);
			msg_free(env);
			fwd_end(f, 1, 0, "unexpected message from ipcpd "
			    "during setup (type %d%s)", type,
			    fd == -1 ? ", no fd" : "");
		}
		msg_free(env);
		step++;
	}
}
