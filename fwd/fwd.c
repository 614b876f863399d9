/* SPDX-License-Identifier: ISC */
/*
 * ipcp-fwd: main, the channel to ipcpd on fd 3, and the session timers.
 *
 * ipcpd starts us with fork+exec and fd 3 as our end of a SOCK_SEQPACKET
 * socketpair.  It sends FwdSetup with the peer's TUN fd, then FwdStream
 * with the connected TCP socket and the session keys.  We set up the
 * loop, confine ourselves (sandbox.h), and only then read from the
 * network.  From then on ipcpd may send FwdControl (a CONTROL frame for
 * the peer) and FwdClose (say goodbye and exit); we send FwdLog, FwdStats,
 * FwdControl (a CONTROL frame from the peer, relayed unchanged) and, just
 * before exiting, FwdClose with the reason the session ended.
 */
#include <sys/prctl.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fwd.h"
#include "paths.h"
#include "sandbox.h"

static struct fwd	 fwd_state;

/* Drop our keys and go; ipcpd reaps us and reads the reason, if any. */
static void __attribute__((noreturn))
fwd_exit(struct fwd *f, int status)
{
	frame_key_wipe(&f->tx);
	frame_key_wipe(&f->rx);
	exit(status);
}

/* Send one envelope to ipcpd; without ipcpd there is nothing to do. */
static void
chan_send(struct fwd *f, const Ipcp__Envelope *env)
{
	if (msg_send(f->chan_fd, env, -1) == -1 &&
	    (errno == EPIPE || errno == ECONNRESET))
		fwd_exit(f, 1);
}

static void
chan_sink(int priority, const char *line)
{
	Ipcp__Envelope	env = IPCP__ENVELOPE__INIT;
	Ipcp__FwdLog	log = IPCP__FWD_LOG__INIT;

	log.priority = priority;
	log.text = (char *)line;
	env.body_case = IPCP__ENVELOPE__BODY_FWD_LOG;
	env.fwd_log = &log;
	chan_send(&fwd_state, &env);
}

static void
chan_stats(struct fwd *f)
{
	Ipcp__Envelope	env = IPCP__ENVELOPE__INIT;
	Ipcp__FwdStats	st = IPCP__FWD_STATS__INIT;

	st.rx_bytes = f->st.rx_bytes;
	st.tx_bytes = f->st.tx_bytes;
	st.rx_packets = f->st.rx_packets;
	st.tx_packets = f->st.tx_packets;
	st.rtt_us = f->rtt_us;
	st.rx_dropped = f->st.rx_dropped;
	st.tx_dropped = f->st.tx_dropped;
	env.body_case = IPCP__ENVELOPE__BODY_FWD_STATS;
	env.fwd_stats = &st;
	chan_send(f, &env);
}

void
fwd_chan_control(struct fwd *f, const uint8_t *payload, size_t len)
{
	Ipcp__Envelope		env = IPCP__ENVELOPE__INIT;
	Ipcp__FwdControl	ctl = IPCP__FWD_CONTROL__INIT;

	ctl.payload.data = (uint8_t *)payload;
	ctl.payload.len = len;
	env.body_case = IPCP__ENVELOPE__BODY_FWD_CONTROL;
	env.fwd_control = &ctl;
	chan_send(f, &env);
}

void
fwd_end(struct fwd *f, int status, int say_goodbye, const char *fmt, ...)
{
	Ipcp__Envelope	env = IPCP__ENVELOPE__INIT;
	Ipcp__FwdClose	cl = IPCP__FWD_CLOSE__INIT;
	char		reason[FWD_REASON_LEN];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);

	/* Tell the peer why, if our direction of the stream still works. */
	if (say_goodbye && f->keys_ready && !f->closing)
		stream_goodbye(f, reason);
	if (f->keys_ready)
		chan_stats(f);
	cl.reason = reason;
	env.body_case = IPCP__ENVELOPE__BODY_FWD_CLOSE;
	env.fwd_close = &cl;
	chan_send(f, &env);
	fwd_exit(f, status);
}

static void
flush_timeout_cb(uv_timer_t *t)
{
	struct fwd	*f = t->data;

	fwd_end(f, 0, 0, "%s (goodbye not flushed)", f->close_reason);
}

/* ipcpd wants the session gone: say goodbye, flush briefly, exit. */
static void
fwd_shutdown(struct fwd *f, const char *why)
{
	if (f->closing)
		return;
	snprintf(f->close_reason, sizeof(f->close_reason),
	    "closed by ipcpd: %s", why);
	if (stream_send(f, FRAME_CLOSE, why, strlen(why)) == -1)
		fwd_end(f, 0, 0, "%s", f->close_reason);
	/* From here on only the output buffer matters (stream_flush). */
	f->closing = 1;
	uv_timer_start(&f->flush_timer, flush_timeout_cb, FWD_CLOSE_FLUSH_MS,
	    0);
}

static void
chan_poll_cb(uv_poll_t *h, int status, int events)
{
	struct fwd	*f = h->data;
	Ipcp__Envelope	*env;

	if (status < 0)
		fwd_exit(f, 1);
	for (;;) {
		if ((env = msg_recv(f->chan_fd, MSG_MAX_FWD, NULL)) == NULL) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			/* ipcpd is gone: nobody to forward for any more. */
			if (errno == EPIPE || errno == ECONNRESET)
				fwd_exit(f, 1);
			fwd_end(f, 1, 1, "bad message from ipcpd: %s",
			    strerror(errno));
		}
		switch (env->body_case) {
		case IPCP__ENVELOPE__BODY_FWD_CONTROL:
			if (f->closing)
				break;
			if (stream_send(f, FRAME_CONTROL,
			    env->fwd_control->payload.data,
			    env->fwd_control->payload.len) == -1)
				fwd_end(f, 0, 0, "cannot queue CONTROL: %s",
				    strerror(errno));
			break;
		case IPCP__ENVELOPE__BODY_FWD_CLOSE:
			fwd_shutdown(f, env->fwd_close->reason);
			break;
		default:
			fwd_end(f, 1, 1, "unexpected message from ipcpd "
			    "(type %d)", env->body_case);
		}
		msg_free(env);
	}
	stream_flush(f);
}

static void
heartbeat_cb(uv_timer_t *t)
{
	struct fwd	*f = t->data;

	stream_heartbeat(f);
	stream_flush(f);
}

static void
dead_cb(uv_timer_t *t)
{
	struct fwd	*f = t->data;
	uint64_t	 quiet = now_ms() - f->last_rx_ms;

	if (quiet < f->dead_after_ms) {
		uv_timer_start(&f->dead_timer, dead_cb,
		    f->dead_after_ms - quiet, 0);
		return;
	}
	if (f->dead_after_ms % 1000 == 0)
		fwd_end(f, 0, 1, "no frame from peer for %u s",
		    f->dead_after_ms / 1000);
	fwd_end(f, 0, 1, "no frame from peer for %u ms", f->dead_after_ms);
}

static void
stats_cb(uv_timer_t *t)
{
	struct fwd	*f = t->data;

	chan_stats(f);
	stream_trim(f);
	stream_rekey_check(f);
	stream_flush(f);
}

static void
setup_apply(struct fwd *f, const Ipcp__FwdSetup *s, int tunfd)
{
	size_t	i;

	f->tun_fd = tunfd;
	snprintf(f->peer_name, sizeof(f->peer_name), "%s", s->peer_name);
	f->uid = s->uid;
	f->gid = s->gid;
	f->heartbeat_ms = s->heartbeat_ms;
	f->dead_after_ms = s->dead_after_ms;
	/* msg_validate checked every prefix and the count. */
	for (i = 0; i < s->n_allowed_ips; i++)
		if (msg_prefix_get(s->allowed_ips[i], &f->allowed[i]) == -1)
			fwd_end(f, 1, 0, "bad allowed-ips from ipcpd");
	f->nallowed = s->n_allowed_ips;
	log_setverbose(s->verbose);
}

static void
stream_apply(struct fwd *f, Ipcp__FwdStream *s, int tcpfd)
{
	int	r;

	f->tcp_fd = tcpfd;
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
static void
setup_recv(struct fwd *f)
{
	struct pollfd	 pfd;
	Ipcp__Envelope	*env;
	uint64_t	 deadline = now_ms() + FWD_SETUP_TIMEOUT_MS, now;
	int		 fd, step = 0;

	while (step < 2) {
		if ((env = msg_recv(f->chan_fd, MSG_MAX_FWD, &fd)) == NULL) {
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

/* Everything the loop needs exists before the sandbox forbids making it. */
static void
loop_init(struct fwd *f)
{
	int	r, one = 1, lowat = FWD_NOTSENT_LOWAT;

	/*
	 * Frames are whole packets: Nagle would only add delay, and skew
	 * the heartbeat round trip.  Bytes the kernel holds unsent are
	 * delay we can no longer reorder or drop: keep few, and the rest
	 * in our queue, where heartbeats overtake DATA and a full queue
	 * drops.  Not a TCP socket (a test's socketpair): nothing to do.
	 */
	(void)setsockopt(f->tcp_fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one));
	(void)setsockopt(f->tcp_fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat,
	    sizeof(lowat));
	if (stream_init(f) == -1)
		fwd_end(f, 1, 0, "buffers: %s", strerror(errno));
	/* uv_poll_init also makes each fd non-blocking. */
	if ((r = uv_loop_init(&f->loop)) != 0 ||
	    (r = uv_poll_init(&f->loop, &f->chan_poll, f->chan_fd)) != 0 ||
	    (r = uv_poll_init(&f->loop, &f->tun_poll, f->tun_fd)) != 0 ||
	    (r = uv_poll_init(&f->loop, &f->tcp_poll, f->tcp_fd)) != 0 ||
	    (r = uv_timer_init(&f->loop, &f->hb_timer)) != 0 ||
	    (r = uv_timer_init(&f->loop, &f->dead_timer)) != 0 ||
	    (r = uv_timer_init(&f->loop, &f->stats_timer)) != 0 ||
	    (r = uv_timer_init(&f->loop, &f->flush_timer)) != 0)
		fwd_end(f, 1, 0, "libuv: %s", uv_strerror(r));
	f->chan_poll.data = f->tun_poll.data = f->tcp_poll.data = f;
	f->hb_timer.data = f->dead_timer.data = f->stats_timer.data = f;
	f->flush_timer.data = f;
}

static void
confine(struct fwd *f, uid_t uid, gid_t gid)
{
	if (sandbox_chroot(IPCP_EMPTY_DIR) == -1)
		fwd_end(f, 1, 0, "sandbox: chroot %s: %s", IPCP_EMPTY_DIR,
		    strerror(errno));
	if (sandbox_setids(uid, gid) == -1)
		fwd_end(f, 1, 0, "sandbox: uid %u gid %u: %s", uid, gid,
		    strerror(errno));
	if (sandbox_prctl() == -1)
		fwd_end(f, 1, 0, "sandbox: prctl: %s", strerror(errno));
	if (sandbox_rlimits() == -1)
		fwd_end(f, 1, 0, "sandbox: rlimits: %s", strerror(errno));
	if (sandbox_seccomp() == -1)
		fwd_end(f, 1, 0, "sandbox: seccomp: %s", strerror(errno));
}

static int
fwd_main(void)
{
	struct fwd	*f = &fwd_state;

	f->chan_fd = FWD_CHAN_FD;
	f->tun_fd = f->tcp_fd = -1;
	f->drop_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(5, 1000);
	log_init(1, 0, LOG_DAEMON);
	log_procinit("ipcp-fwd");
	/* Started by hand, not by ipcpd: say so where someone looks. */
	if (fcntl(FWD_CHAN_FD, F_GETFD) == -1) {
		fprintf(stderr, "ipcp-fwd: fd 3 is not open; this program is "
		    "started by ipcpd\n");
		return 1;
	}
	log_setsink(chan_sink);
	if (sodium_init() < 0)
		fwd_end(f, 1, 0, "sodium_init failed");
	/* Whatever else we inherited is not ours to hold. */
	if (close_range(FWD_CHAN_FD + 1, ~0U, 0) == -1)
		fwd_end(f, 1, 0, "close_range: %s", strerror(errno));
	/* A peer that closes mid-write is an error return, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "ipcp-fwd", 0, 0, 0);

	setup_recv(f);
	log_procinit(f->peer_name);
	loop_init(f);

	/* uid and gid were checked (non-zero) by msg_validate. */
	confine(f, f->uid, f->gid);

	f->last_rx_ms = now_ms();
	f->rekey_at_ms = f->last_rx_ms + FWD_REKEY_MS;
	uv_poll_start(&f->chan_poll, UV_READABLE, chan_poll_cb);
	stream_update_poll(f);
	packet_update_poll(f);
	uv_timer_start(&f->hb_timer, heartbeat_cb, f->heartbeat_ms,
	    f->heartbeat_ms);
	uv_timer_start(&f->dead_timer, dead_cb, f->dead_after_ms, 0);
	uv_timer_start(&f->stats_timer, stats_cb, FWD_STATS_MS, FWD_STATS_MS);
	log_debug("session up, pid %d", (int)getpid());

	uv_run(&f->loop, UV_RUN_DEFAULT);
	/* The loop only ends when every handle is gone; it should not. */
	fwd_end(f, 1, 0, "event loop ended");
}

int
main(void)
{
	return fwd_main();
}
