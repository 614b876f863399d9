/* SPDX-License-Identifier: ISC */
/*
 * ipcp-fwd: main, confinement, the session timers and how a session ends.
 *
 * ipcpd starts us with fork+exec and fd 3 as our end of a SOCK_SEQPACKET
 * socketpair (chan.c).  It sends FwdSetup with the peer's TUN fd, then
 * FwdStream with the connected TCP socket and the session keys.  We set
 * up the loop, confine ourselves (sandbox.h), and only then read from the
 * network.
 */
#include <sys/prctl.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fwd.h"
#include "paths.h"
#include "sandbox.h"

static struct fwd	 fwd_state;

/* Drop our keys and go; ipcpd reaps us and reads the reason, if any. */
void
fwd_exit(struct fwd *f, int status)
{
	frame_key_wipe(&f->tx);
	frame_key_wipe(&f->rx);
	legacy_wipe(f);
	exit(status);
}

static void
flush_timeout_cb(uv_timer_t *t)
{
	struct fwd	*f = t->data;

	fwd_end(f, 0, 0, "%s (goodbye not flushed)", f->close_reason);
}

void
fwd_shutdown(struct fwd *f, const char *why)
{
	if (f->closing)
		return;
	/* The original has no goodbye: the socket closing is all it gets. */
	if (f->legacy)
		fwd_end(f, 0, 0, "closed by ipcpd: %s", why);
	snprintf(f->close_reason, sizeof(f->close_reason),
	    "closed by ipcpd: %s", why);
	if (stream_send(f, FRAME_CLOSE, why, strlen(why)) == -1)
		fwd_end(f, 0, 0, "%s", f->close_reason);
	/* From here on only the output buffer matters (stream_flush). */
	f->closing = 1;
	uv_timer_start(&f->flush_timer, flush_timeout_cb, FWD_CLOSE_FLUSH_MS,
	    0);
}

uint64_t
fwd_now(struct fwd *f)
{
	return uv_now(&f->loop);
}

/*
 * When our next heartbeat is due: a heartbeater's every interval; an
 * answerer's only once the peer has been quiet for FWD_HB_QUIET of one
 * (and then every interval while it stays quiet).
 */
static uint64_t
hb_due(const struct fwd *f)
{
	uint64_t	hb = f->params.heartbeat_ms;
	uint64_t	due = f->hb_sent_ms + hb;

	if (!f->heartbeater && f->last_rx_ms + FWD_HB_QUIET(hb) > due)
		due = f->last_rx_ms + FWD_HB_QUIET(hb);
	return due;
}

static uint64_t
stats_due(const struct fwd *f)
{
	uint64_t	hard = FWD_STATS_HARD(f->params.dead_after_ms);

	if (f->stats_moved || hard < FWD_STATS_MS)
		return f->st_sent_ms + FWD_STATS_MS;
	return f->st_sent_ms + hard;
}

/*
 * Counters to ipcpd: at most every FWD_STATS_MS while packets move (at
 * once for the first after a quiet spell, so a lone packet costs no
 * wakeup of its own); idle, with whatever wakeup comes after
 * FWD_STATS_SOFT, or at the latest at stats_due.
 */
static void
stats_tick(struct fwd *f, uint64_t now)
{
	uint64_t	soft = FWD_STATS_SOFT(f->params.dead_after_ms,
	    (uint64_t)f->params.heartbeat_ms);

	if (f->stats_moved && now >= f->st_sent_ms + FWD_STATS_MS) {
		f->stats_moved = 0;
		/* Heartbeats move only the round trip: that is no traffic. */
		if (chan_stats(f, 0))
			return;
	}
	if (now >= f->st_sent_ms + soft || now >= stats_due(f))
		(void)chan_stats(f, 1);
}

static void
dead_end(struct fwd *f)
{
	uint32_t	dead = f->params.dead_after_ms;

	if (dead % 1000 == 0)
		fwd_end(f, 0, 1, "no frame from peer for %u s", dead / 1000);
	fwd_end(f, 0, 1, "no frame from peer for %u ms", dead);
}

/* Only wakes the loop: tick_prepare, which runs next, does the work. */
static void
tick_timer_cb(uv_timer_t *t)
{
	struct fwd	*f = t->data;

	f->tick_due = 0;
}

/*
 * Before every sleep, whatever woke us: do what is due, then make sure
 * the loop wakes for the next deadline if nothing else wakes it first.
 * All of it compares times of the loop's clock, read once per wakeup.
 */
static void
tick_prepare_cb(uv_prepare_t *h)
{
	struct fwd	*f = h->data;
	uint64_t	 now = fwd_now(f), due, t;
	int		 queued = 0;

	if (!f->legacy) {
		if (now >= f->last_rx_ms + f->params.dead_after_ms)
			dead_end(f);
		if (now >= hb_due(f) && !f->closing) {
			stream_heartbeat(f);
			queued = 1;
		}
		stream_trim(f);
		if (!f->rekey_queued) {
			stream_rekey_check(f);
			queued |= f->rekey_queued;
		}
	} else
		legacy_tick(f, now);
	stats_tick(f, now);
	if (queued)
		stream_flush(f);

	due = stats_due(f);
	if (f->legacy) {
		if ((t = legacy_due(f)) < due)
			due = t;
	} else {
		if (!f->closing && (t = hb_due(f)) < due)
			due = t;
		if ((t = f->last_rx_ms + f->params.dead_after_ms) < due)
			due = t;
	}
	/* Something due that could not be done now: not a busy loop. */
	if (due <= now)
		due = now + 1;
	if (due == f->tick_due)
		return;
	f->tick_due = due;
	uv_timer_start(&f->tick_timer, tick_timer_cb, due - now, 0);
}

void
fwd_stats_wake(struct fwd *f)
{
	f->stats_moved = 1;
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
	if (!f->legacy && stream_init(f) == -1)
		fwd_end(f, 1, 0, "buffers: %s", strerror(errno));
	/* uv_poll_init also makes each fd non-blocking. */
	if ((r = uv_loop_init(&f->loop)) != 0 ||
	    (r = uv_poll_init(&f->loop, &f->chan_poll, f->chan_fd)) != 0 ||
	    (r = uv_poll_init(&f->loop, &f->tun_poll, f->tun_fd)) != 0 ||
	    (r = uv_poll_init(&f->loop, &f->tcp_poll, f->tcp_fd)) != 0 ||
	    (r = uv_timer_init(&f->loop, &f->tick_timer)) != 0 ||
	    (r = uv_prepare_init(&f->loop, &f->tick_prep)) != 0 ||
	    (r = uv_timer_init(&f->loop, &f->flush_timer)) != 0)
		fwd_end(f, 1, 0, "libuv: %s", uv_strerror(r));
	f->chan_poll.data = f->tun_poll.data = f->tcp_poll.data = f;
	f->tick_timer.data = f->tick_prep.data = f;
	f->flush_timer.data = f;
}

static void
confine(struct fwd *f, uid_t uid, gid_t gid)
{
	sandbox_sanitizer();
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

	chan_init(f);
	f->tun_fd = f->tcp_fd = -1;
	f->drop_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(5, 1000);
	f->ctl_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(5, 1000);
	f->ctl_rate = (struct log_ratelimit)LOG_RATELIMIT_INIT(
	    FWD_CONTROL_BURST, FWD_CONTROL_EVERY_MS);
	log_init(1, 0, LOG_DAEMON);
	log_procinit("ipcp-fwd");
	/* Started by hand, not by ipcpd: say so where someone looks. */
	if (fcntl(FWD_CHAN_FD, F_GETFD) == -1) {
		fprintf(stderr, "ipcp-fwd: fd 3 is not open; this program is "
		    "started by ipcpd\n");
		return 1;
	}
	log_setsink(chan_log_sink);
	if (sodium_init() < 0)
		fwd_end(f, 1, 0, "sodium_init failed");
	/* Whatever else we inherited is not ours to hold. */
	if (close_range(FWD_CHAN_FD + 1, ~0U, 0) == -1)
		fwd_end(f, 1, 0, "close_range: %s", strerror(errno));
	/* A peer that closes mid-write is an error return, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "ipcp-fwd", 0, 0, 0);

	chan_setup_recv(f);
	loop_init(f);

	/* uid and gid were checked (non-zero) by msg_validate. */
	confine(f, f->params.uid, f->params.gid);

	/* Confining took a while: the clocks start now. */
	uv_update_time(&f->loop);
	f->last_rx_ms = f->st_sent_ms = fwd_now(f);
	f->rekey_at_ms = f->last_rx_ms + FWD_REKEY_MS;
	/* The first heartbeat of a heartbeater after one interval. */
	if (f->heartbeater)
		f->hb_sent_ms = f->last_rx_ms;
	/* The first counters a second in. */
	f->stats_moved = 1;
	f->running = 1;
	chan_flush(f);
	if (f->legacy)
		legacy_start(f);
	else {
		stream_update_poll(f);
		packet_update_poll(f);
	}
	/* The timers start from f->params; a reload is read at the next. */
	uv_prepare_start(&f->tick_prep, tick_prepare_cb);
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
