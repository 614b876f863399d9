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

	uint32_t	 dead = f->params.dead_after_ms;

	if (quiet < dead) {
		uv_timer_start(&f->dead_timer, dead_cb, dead - quiet, 0);
		return;
	}
	if (dead % 1000 == 0)
		fwd_end(f, 0, 1, "no frame from peer for %u s", dead / 1000);
	fwd_end(f, 0, 1, "no frame from peer for %u ms", dead);
}

void
fwd_timers_start(struct fwd *f)
{
	/* The original's timers are fixed: a reload does not move them. */
	if (f->legacy) {
		legacy_timers_start(f);
		return;
	}
	uv_timer_start(&f->hb_timer, heartbeat_cb, f->params.heartbeat_ms,
	    f->params.heartbeat_ms);
	uv_timer_start(&f->dead_timer, dead_cb, f->params.dead_after_ms, 0);
}

/* The rarest ticks that keep ipcpd's watchdog content (fwd.h). */
static unsigned
stats_idle_ms(const struct fwd *f)
{
	unsigned	ms = f->params.dead_after_ms / 3;

	return ms > FWD_STATS_MS ? ms : FWD_STATS_MS;
}

/*
 * One tick: counters to ipcpd if they changed (or, on a slow tick,
 * anyway), memory back to the kernel when idle, a rekey when due.  Then
 * the next: soon while anything moves, else a third of dead-after away.
 * The legacy wire keeps to FWD_STATS_MS (its timers are its own).
 */
static void
stats_cb(uv_timer_t *t)
{
	struct fwd	*f = t->data;
	/* Heartbeats move only the round trip: that is no traffic. */
	int		 idle = !chan_stats(f, f->stats_idle) && !f->legacy;

	if (!f->legacy) {
		stream_trim(f);
		stream_rekey_check(f);
		stream_flush(f);
	}
	f->stats_idle = idle;
	uv_timer_start(&f->stats_timer, stats_cb,
	    idle ? stats_idle_ms(f) : FWD_STATS_MS, 0);
}

void
fwd_stats_wake(struct fwd *f)
{
	if (!f->stats_idle)
		return;
	f->stats_idle = 0;
	uv_timer_start(&f->stats_timer, stats_cb, FWD_STATS_MS, 0);
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

	f->last_rx_ms = now_ms();
	f->rekey_at_ms = f->last_rx_ms + FWD_REKEY_MS;
	f->running = 1;
	chan_flush(f);
	if (f->legacy)
		legacy_start(f);
	else {
		stream_update_poll(f);
		packet_update_poll(f);
		fwd_timers_start(f);
	}
	uv_timer_start(&f->stats_timer, stats_cb, FWD_STATS_MS, 0);
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
