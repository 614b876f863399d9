/* SPDX-License-Identifier: ISC */
/*
 * Starting and supervising forwarders.  Each session gets a fresh
 * ipcp-fwd, started with posix_spawn so it shares none of our memory
 * (from libuv's thread pool, so that the loop never waits for an exec),
 * with one end of a SOCK_SEQPACKET socketpair on fd 3.  Over it go
 * the TUN fd, the TCP fd and the session keys (SCM_RIGHTS and protobuf,
 * never argv or the environment), then Control messages for the peer and
 * settings changed by a reload; back come log lines, counters, the
 * peer's CONTROL messages (already unpacked and validated by the
 * forwarder, validated again by msg_recv) and, just before it exits, why.
 *
 * A forwarder is untrusted once it has read from the network: what it
 * sends is validated like anything from outside, and a message out of
 * place gets it killed.  What it passes on goes to its peer (peer.c);
 * this file never touches peer state.  When it exits (even by SIGKILL)
 * it is reaped here and the peer hears PEER_EV_SESSION_DOWN.
 *
 * Messages to a forwarder wait in a queue while its channel is full, so
 * a burst (a whole route table) is never cut short.
 */
#include <sys/socket.h>
#include <sys/queue.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ipcpd.h"

/* Messages read per wakeup, so a chatty forwarder cannot starve others. */
#define FWD_DRAIN_MAX	256
struct fwdproc {
	LIST_ENTRY(fwdproc)	 entry;
	struct peer		*peer;		/* NULL once detached */
	/*
	 * Its exit, seen through a pidfd (and reaped by waitpid), the same
	 * for one we started and one adopted from the binary before an
	 * ipcpctl restart: our children, but never libuv's.
	 */
	uv_poll_t		 pid_poll;
	int			 pidfd;
	uv_poll_t		 chan_poll;
	uv_timer_t		 kill_timer;
	struct msgq		 out;
	int			 chan_fd;
	int			 chan_events;
	int			 pid;
	int			 handles;
	int			 exited;
	int			 waited;	/* a reload waits for its end */
	int			 hung;		/* killed by the watchdog */
	int			 peer_goodbye;	/* the peer said goodbye */
	uint64_t		 heard_ms;	/* its last message */
	char			 name[CONFIG_NAME_MAX + 1];
	char			 reason[256];
	/*
	 * Being started on libuv's thread pool (fwd_spawn): pid is 0 until
	 * then, and the worker owns the spawn_* fields.
	 */
	uv_work_t		 spawn;
	int			 spawning;
	int			 spawn_fd;	/* the child's end of the channel */
	int			 spawn_err;	/* an errno value, or 0 */
	int			 spawn_pidfd;
	pid_t			 spawn_pid;
	int			 kill_pending;	/* fwd_kill while it started */
};

/*
 * Descriptors a session needs free: the socketpair, the pidfd, and a
 * few for everything else ipcpd does meanwhile (control clients, netlink
 * dumps, a dial).
 */
#define FWD_SPAWN_FDS	8

static LIST_HEAD(, fwdproc)	fwds = LIST_HEAD_INITIALIZER(fwds);
/*
 * Out of fds or processes, every retry would say the same: once, then
 * again only every so often, with the count of what was suppressed.
 */
static struct log_ratelimit	spawn_rl = LOG_RATELIMIT_INIT(1, 30000);
static size_t			n_fwds;
static size_t			n_starting;	/* with spawning set */
static uv_timer_t		watchdog;
static int			watchdog_init;

static void	fwd_chan_cb(uv_poll_t *, int, int);

int
fwd_pid(const struct fwdproc *f)
{
	return f->pid;
}

size_t
fwd_count(void)
{
	return n_fwds;
}

void
fwd_wait(struct fwdproc *f)
{
	f->waited = 1;
}

size_t
fwd_count_waited(void)
{
	struct fwdproc	*f;
	size_t		 n = 0;

	LIST_FOREACH(f, &fwds, entry)
		if (f->waited)
			n++;
	return n;
}

/* One of its handles (or its start on the pool) is done with it. */
static void
fwd_release(struct fwdproc *f)
{
	if (--f->handles > 0)
		return;
	LIST_REMOVE(f, entry);
	n_fwds--;
	msgq_clear(&f->out);
	free(f);
	/* Its TUN fd is closed now: a name may have come free. */
	peer_tun_retry_all();
	reload_progress();
	ipcpd_shutdown_check();
}

static void
fwd_handle_closed(uv_handle_t *h)
{
	fwd_release(h->data);
}

static void
fwd_kill(struct fwdproc *f)
{
	if (f->spawning)
		f->kill_pending = 1;
	else if (!f->exited && f->pid > 0)
		kill(f->pid, SIGKILL);
}

size_t
fwd_count_starting(void)
{
	return n_starting;
}

/*
 * A shutdown on a machine too busy for a thousand forwarders to exit in
 * time would log each one: a few lines, then a count.
 */
static struct log_ratelimit	stop_rl = LOG_RATELIMIT_INIT(5, 1000);

static void
fwd_kill_timeout(uv_timer_t *t)
{
	struct fwdproc	*f = t->data;

	if (log_ratelimit(&stop_rl))
		log_warnx("forwarder %s (pid %d) did not stop; killing it",
		    f->name, f->pid);
	fwd_kill(f);
}

void
fwd_kill_all(void)
{
	struct fwdproc	*f;

	LIST_FOREACH(f, &fwds, entry)
		fwd_kill(f);
}

/* Control characters from a forwarder never reach our log. */
static void
sanitize(char *dst, size_t len, const char *src)
{
	size_t	i;

	for (i = 0; i + 1 < len && src[i] != '\0'; i++)
		dst[i] = isprint((unsigned char)src[i]) ? src[i] : '?';
	dst[i] = '\0';
}

static void
fwd_chan_close(struct fwdproc *f)
{
	if (f->chan_fd == -1)
		return;
	uv_close((uv_handle_t *)&f->chan_poll, fwd_handle_closed);
	close(f->chan_fd);
	f->chan_fd = -1;
	msgq_clear(&f->out);
}

static void
fwd_update_poll(struct fwdproc *f)
{
	int	events = UV_READABLE;

	if (f->chan_fd == -1)
		return;
	if (msgq_pending(&f->out))
		events |= UV_WRITABLE;
	if (events != f->chan_events) {
		uv_poll_start(&f->chan_poll, events, fwd_chan_cb);
		f->chan_events = events;
	}
}

static void
fwd_flush(struct fwdproc *f)
{
	if (f->chan_fd == -1)
		return;
	if (msgq_flush(&f->out, f->chan_fd) == -1) {
		/* Gone: the exit callback does the rest. */
		fwd_chan_close(f);
		return;
	}
	fwd_update_poll(f);
}

/* Queue a message for the forwarder; 0, or -1 if it cannot take it. */
static int
fwd_send(struct fwdproc *f, const Ipcp__Envelope *env, int fd)
{
	if (f->chan_fd == -1 || f->exited)
		return -1;
	if (msgq_push(&f->out, &msg_chan_to_fwd, env, fd) == -1) {
		if (errno == ENOBUFS) {
			log_warnx("forwarder %s (pid %d) is not reading its "
			    "channel; killing it", f->name, f->pid);
			fwd_kill(f);
		} else
			log_warn("forwarder %s (pid %d): message", f->name,
			    f->pid);
		return -1;
	}
	fwd_flush(f);
	return 0;
}

static void
fwd_dispatch(struct fwdproc *f, Ipcp__Envelope *env)
{
	struct fwd_counters	 c;
	char			 line[MSG_MAX_TEXT + 64];
	char			 text[MSG_MAX_TEXT + 1];
	int			 pri;

	switch (env->body_case) {
	case IPCP__ENVELOPE__BODY_FWD_LOG:
		sanitize(text, sizeof(text), env->fwd_log->text);
		/* A forwarder cannot raise alarms above an error. */
		pri = env->fwd_log->priority;
		if (pri < LOG_ERR)
			pri = LOG_ERR;
		snprintf(line, sizeof(line), "fwd[%s]: %s", f->name, text);
		log_emit(pri, line);
		break;
	case IPCP__ENVELOPE__BODY_FWD_STATS:
		if (f->peer != NULL) {
			msg_fwd_stats_read(env->fwd_stats, &c);
			peer_fwd_stats(f->peer, &c);
		}
		break;
	case IPCP__ENVELOPE__BODY_CONTROL:
		if (f->peer != NULL)
			peer_fwd_control(f->peer, env->control);
		break;
	case IPCP__ENVELOPE__BODY_FWD_CLOSE:
		sanitize(f->reason, sizeof(f->reason), env->fwd_close->reason);
		f->peer_goodbye = env->fwd_close->peer_goodbye;
		break;
	default:
		/* msg_chan_from_fwd lets nothing else through. */
		break;
	}
}

/* Read what is waiting on the channel, a bounded amount at a time. */
static void
fwd_chan_drain(struct fwdproc *f)
{
	Ipcp__Envelope	*env;
	int		 i;

	for (i = 0; i < FWD_DRAIN_MAX && f->chan_fd != -1; i++) {
		if ((env = msg_recv(f->chan_fd, &msg_chan_from_fwd,
		    NULL)) == NULL) {
			if (errno == EAGAIN)
				return;
			if (errno == EBADMSG || errno == EMSGSIZE ||
			    errno == EPROTO) {
				log_warnx("forwarder %s (pid %d) sent a bad "
				    "message (%s); killing it", f->name, f->pid,
				    strerror(errno));
				fwd_kill(f);
				fwd_chan_close(f);
				return;
			}
			/* Closed: the exit callback does the rest. */
			fwd_chan_close(f);
			return;
		}
		f->heard_ms = now_ms();
		fwd_dispatch(f, env);
		msg_free(env);
	}
}

/*
 * Has it said something we have not read yet?  Then it is not silent:
 * our loop was (a reload deleting many interfaces, a busy machine), and
 * libuv runs timers before it reads.
 */
static int
fwd_unread(const struct fwdproc *f)
{
	uint8_t	c;

	return f->chan_fd != -1 &&
	    recv(f->chan_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) >= 0;
}

/*
 * A forwarder reports at least every three quarters of dead-after, idle
 * or not (fwd/fwd.h); one silent for dead-after is stopped or stuck, and
 * believing it alive would keep its peer "up" with nothing moving.  Kill
 * it: its exit ends the session, and the peer redials or waits as after
 * any other end.
 *
 * The watchdog wakes when the first of them would be silent for that
 * long, not on a beat: a thousand forwarders reporting every few seconds
 * keep pushing that moment out, and an idle ipcpd (a client's, on a
 * laptop) sleeps.  A reload that shortens dead-after applies from the
 * wakeup already set, by which time every forwarder has the new one.
 */
static void
watchdog_cb(uv_timer_t *t)
{
	struct fwdproc	*f;
	uint64_t	 now = now_ms(), dead = ipcpd->conf->dead_after * 1000ULL;
	uint64_t	 next = 0, due;

	LIST_FOREACH(f, &fwds, entry) {
		if (f->exited || f->peer == NULL || f->hung)
			continue;
		due = f->heard_ms + dead;
		/* Read in this same turn of the loop; look again after. */
		if (now >= due && fwd_unread(f))
			due = now + 1;
		if (now < due) {
			if (next == 0 || due < next)
				next = due;
			continue;
		}
		log_warnx("forwarder %s (pid %d) silent for %llu ms; killing "
		    "it", f->name, f->pid,
		    (unsigned long long)(now - f->heard_ms));
		f->hung = 1;
		fwd_kill(f);
	}
	/* None left to watch: the next to start sets it again. */
	if (next != 0)
		uv_timer_start(&watchdog, watchdog_cb, next - now, 0);
}

/* A forwarder heard from just now: its silence ends no sooner than this. */
static void
watchdog_start(void)
{
	if (!watchdog_init) {
		uv_timer_init(ipcpd->loop, &watchdog);
		/* Not a reason to keep the loop running at exit. */
		uv_unref((uv_handle_t *)&watchdog);
		watchdog_init = 1;
	}
	if (!uv_is_active((uv_handle_t *)&watchdog))
		uv_timer_start(&watchdog, watchdog_cb,
		    ipcpd->conf->dead_after * 1000ULL, 0);
}

static void
fwd_chan_cb(uv_poll_t *h, int status, int events)
{
	struct fwdproc	*f = h->data;

	if (status < 0) {
		fwd_chan_close(f);
		return;
	}
	if (events & UV_WRITABLE)
		fwd_flush(f);
	if (events & UV_READABLE)
		fwd_chan_drain(f);
	fwd_update_poll(f);
}

const char *
fwd_reason(const struct fwdproc *f)
{
	return f->reason;
}

int
fwd_peer_goodbye(const struct fwdproc *f)
{
	return f->peer_goodbye;
}

static void
fwd_exited(struct fwdproc *f, int64_t status, int sig)
{
	struct peer	*p = f->peer;

	f->exited = 1;
	fwd_chan_drain(f);
	if (f->pid == 0)
		;	/* never started: fwd_spawn_done said why */
	else if (sig != 0)
		log_warnx("forwarder %s (pid %d) killed by signal %d%s%s",
		    f->name, f->pid, sig, f->reason[0] ? "; last words: " : "",
		    f->reason);
	else
		log_info("forwarder %s (pid %d) exited (status %d): %s",
		    f->name, f->pid, (int)status,
		    f->reason[0] ? f->reason : "no reason given");
	fwd_chan_close(f);
	uv_close((uv_handle_t *)&f->kill_timer, fwd_handle_closed);
	if (f->pidfd != -1) {
		uv_close((uv_handle_t *)&f->pid_poll, fwd_handle_closed);
		close(f->pidfd);
		f->pidfd = -1;
	} else
		f->handles--;	/* never started: no pid_poll */
	f->peer = NULL;
	if (p != NULL)
		peer_fsm(p, f->hung ? PEER_EV_FWD_HUNG : PEER_EV_SESSION_DOWN,
		    f);
}

/* A forwarder's pidfd is readable: it has exited; reap it. */
static void
fwd_pidfd_cb(uv_poll_t *h, int st, int events)
{
	struct fwdproc	*f = h->data;
	int		 status = 0;

	if (waitpid(f->pid, &status, WNOHANG) == 0)
		return;
	uv_poll_stop(h);
	fwd_exited(f, WIFEXITED(status) ? WEXITSTATUS(status) : 0,
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static int
fwd_send_setup(struct fwdproc *f, const struct peer *p,
    const struct peer_session *s, const struct fwd_params *fp)
{
	Ipcp__Envelope		 env = IPCP__ENVELOPE__INIT;
	Ipcp__FwdStream		 stream;
	static struct msg_fwd_buf b;

	msg_fwd_setup_build(&env, &b, fp);
	if (fwd_send(f, &env, p->tun_fd) == -1)
		return -1;
	/* Legacy: the one static key; the side that dialed is the client. */
	if (s->keys == NULL)
		msg_fwd_stream_legacy_build(&env, &stream, p->conf.psk,
		    s->initiator, s->first, s->first_len);
	else
		msg_fwd_stream_build(&env, &stream, s->keys->cipher,
		    s->keys->tx_key, s->keys->rx_key, s->initiator);
	return fwd_send(f, &env, s->fd);
}

static struct fwdproc *
fwd_new(const struct peer *p)
{
	struct fwdproc	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	snprintf(f->name, sizeof(f->name), "%s", p->conf.name);
	msgq_init(&f->out, FWD_QUEUE_MAX);
	f->pidfd = -1;
	return f;
}

/* The channel and timers of a running forwarder, its process aside. */
static void
fwd_attach(struct fwdproc *f, struct peer *p, int pid, int chan_fd)
{
	f->pid = pid;
	f->chan_fd = chan_fd;
	f->peer = p;
	f->heard_ms = now_ms();
	watchdog_start();
	f->handles = 3;
	LIST_INSERT_HEAD(&fwds, f, entry);
	n_fwds++;
	fcntl(f->chan_fd, F_SETFL, fcntl(f->chan_fd, F_GETFL) | O_NONBLOCK);
	uv_poll_init(ipcpd->loop, &f->chan_poll, f->chan_fd);
	uv_timer_init(ipcpd->loop, &f->kill_timer);
	f->chan_poll.data = f->kill_timer.data = f;
	fwd_update_poll(f);
}

/* Supervise a running forwarder, our child; pidfd is consumed. */
static void
fwd_watch(struct fwdproc *f, struct peer *p, int pid, int pidfd,
    int chan_fd)
{
	f->pidfd = pidfd;
	fwd_attach(f, p, pid, chan_fd);
	uv_poll_init(ipcpd->loop, &f->pid_poll, pidfd);
	f->pid_poll.data = f;
	uv_poll_start(&f->pid_poll, UV_READABLE, fwd_pidfd_cb);
}

struct fwdproc *
fwd_adopt(struct peer *p, int pid, int chan_fd)
{
	struct fwdproc	*f;
	int		 pidfd;

	if ((pidfd = syscall(SYS_pidfd_open, pid, 0)) == -1) {
		log_warn("peer %s: forwarder pid %d", p->conf.name, pid);
		return NULL;
	}
	if ((f = fwd_new(p)) == NULL) {
		log_warn("peer %s: forwarder", p->conf.name);
		close(pidfd);
		return NULL;
	}
	/* pidfds are close-on-exec already; the channel lost it at exec. */
	fcntl(chan_fd, F_SETFD, FD_CLOEXEC);
	fwd_watch(f, p, pid, pidfd, chan_fd);
	return f;
}

int
fwd_chan_fd(const struct fwdproc *f)
{
	return f->chan_fd;
}

size_t
fwd_count_detached(void)
{
	struct fwdproc	*f;
	size_t		 n = 0;

	LIST_FOREACH(f, &fwds, entry)
		if (f->peer == NULL || f->exited)
			n++;
	return n;
}

/*
 * Everything queued for forwarders, written now: the loop is about to
 * stop for good (a handover), and the next binary knows nothing of our
 * queues.  -1 if a forwarder does not take it within ms.
 */
int
fwd_flush_all_sync(unsigned ms)
{
	struct fwdproc	*f;
	struct pollfd	 pfd;
	uint64_t	 deadline = now_ms() + ms, now;

	LIST_FOREACH(f, &fwds, entry) {
		while (f->chan_fd != -1 && msgq_pending(&f->out)) {
			if (msgq_flush(&f->out, f->chan_fd) == -1)
				return -1;
			if (!msgq_pending(&f->out))
				break;
			if ((now = now_ms()) >= deadline)
				return -1;
			pfd.fd = f->chan_fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, (int)(deadline - now)) == -1 &&
			    errno != EINTR)
				return -1;
		}
	}
	return 0;
}

#define FWD_ROOM_MS	100

/*
 * Could a session start now, as far as descriptors go?  Asked before a
 * handshake, so that a node out of fds refuses at once instead of
 * running a handshake (X25519 on both sides) per retry for a session it
 * cannot start.  Probing is cheaper than counting /proc/self/fd.
 */
int
fwd_room(void)
{
	static uint64_t	 asked_ms;
	static int	 answer;
	int		 fds[FWD_SPAWN_FDS], i, n, saved;
	uint64_t	 now = now_ms();

	/*
	 * A flood of first messages asks thousands of times a second; the
	 * answer changes slowly.  Probe at most every FWD_ROOM_MS.
	 */
	if (asked_ms != 0 && now - asked_ms < FWD_ROOM_MS)
		return answer;
	asked_ms = now;
	for (n = 0; n < FWD_SPAWN_FDS; n++) {
		fds[n] = n == 0 ? open("/dev/null", O_RDONLY | O_CLOEXEC) :
		    fcntl(fds[0], F_DUPFD_CLOEXEC, 0);
		if (fds[n] == -1)
			break;
	}
	saved = errno;
	for (i = 0; i < n; i++)
		close(fds[i]);
	if ((answer = n == FWD_SPAWN_FDS))
		return 1;
	if (log_ratelimit(&spawn_rl)) {
		errno = saved;
		log_warn("no room for another forwarder (%zu running); new "
		    "sessions wait", n_fwds);
	}
	return 0;
}

/*
 * fork+exec without the fork's cost: posix_spawn (vfork semantics)
 * shares our memory until the exec instead of copying page tables:
 * about 1 ms of our CPU per forwarder rather than ~5 (uv_spawn forks;
 * measured on this 2-core machine), which matters when hundreds of
 * peers come back at once.  It runs on a pool thread
 * (fwd_spawn_work).  The child starts with default signal handling and
 * nothing blocked; stdin and stdout are /dev/null, stderr is ours
 * (forwarders log through the channel, this is for a crash's last
 * words), the channel is fd 3, and everything else of ours is
 * close-on-exec.  Returns 0 or an errno value.
 */
static int
fwd_exec(int chan_fd, pid_t *pid)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	sigset_t			 none, all;
	char				*args[] = { "ipcp-fwd", NULL };
	char				*env[] = { NULL };
	int				 r;

	sigemptyset(&none);
	sigfillset(&all);
	if ((r = posix_spawnattr_init(&attr)) != 0)
		return r;
	if ((r = posix_spawn_file_actions_init(&fa)) != 0) {
		posix_spawnattr_destroy(&attr);
		return r;
	}
	if ((r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF)) == 0 &&
	    (r = posix_spawnattr_setsigmask(&attr, &none)) == 0 &&
	    (r = posix_spawnattr_setsigdefault(&attr, &all)) == 0 &&
	    (r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO,
	    "/dev/null", O_RDONLY, 0)) == 0 &&
	    (r = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO,
	    "/dev/null", O_WRONLY, 0)) == 0 &&
	    (r = posix_spawn_file_actions_adddup2(&fa, chan_fd,
	    FWD_CHAN_FD)) == 0)
		r = posix_spawn(pid, ipcpd->fwd_path, &fa, &attr, args, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return r;
}

/*
 * On a thread of libuv's pool: posix_spawn returns only once the child
 * has exec'd, which on a machine busy with a thousand sessions coming
 * back took 11 ms on average (up to 140), all of it time the loop stood
 * still: a gateway brought up about 50 sessions a second whatever its
 * CPU.  Only the spawn_* fields are touched here.
 */
static void
fwd_spawn_work(uv_work_t *w)
{
	struct fwdproc	*f = w->data;
	pid_t		 pid;
	int		 pidfd = -1, r;

	if ((r = fwd_exec(f->spawn_fd, &pid)) == 0 &&
	    (pidfd = syscall(SYS_pidfd_open, pid, 0)) == -1) {
		/* Ours, unreaped: it cannot be gone.  Never supervised, so: */
		r = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	f->spawn_err = r;
	f->spawn_pid = r == 0 ? pid : 0;
	f->spawn_pidfd = pidfd;
}

/*
 * It never ran: the session it was for ends as if it had exited (its
 * peer, if it still has one, hears PEER_EV_SESSION_DOWN).
 */
static void
fwd_never_started(struct fwdproc *f, const char *why)
{
	snprintf(f->reason, sizeof(f->reason), "%s", why);
	fwd_exited(f, 127, 0);
}

/* Back on the loop: supervise it, or end the session it was for. */
static void
fwd_spawn_done(uv_work_t *w, int status)
{
	struct fwdproc	*f = w->data;
	char		 why[128];

	/* status is UV_ECANCELED only for a cancelled request: never. */
	f->spawning = 0;
	n_starting--;
	close(f->spawn_fd);
	if (f->spawn_err != 0) {
		if (log_ratelimit(&spawn_rl))
			log_warnx("forwarder for %s: spawn %s: %s", f->name,
			    ipcpd->fwd_path, strerror(f->spawn_err));
		snprintf(why, sizeof(why), "could not start: %s",
		    strerror(f->spawn_err));
		fwd_never_started(f, why);
	} else {
		f->pid = f->spawn_pid;
		f->pidfd = f->spawn_pidfd;
		uv_poll_init(ipcpd->loop, &f->pid_poll, f->pidfd);
		f->pid_poll.data = f;
		uv_poll_start(&f->pid_poll, UV_READABLE, fwd_pidfd_cb);
		log_info("peer %s: forwarder pid %d started", f->name, f->pid);
		if (f->kill_pending)
			fwd_kill(f);
	}
	fwd_release(f);
}

/*
 * A forwarder for a session that just came up.  What it needs (the TUN,
 * the socket, the keys) is queued on its channel at once and waits
 * there; the process itself is started on the thread pool, and until it
 * is, fwd_pid() is 0 and a kill waits for it.  NULL if not even that:
 * then s->fd is closed, as it always is.
 */
struct fwdproc *
fwd_spawn(struct peer *p, const struct peer_session *s,
    const struct fwd_params *fp)
{
	struct fwdproc	*f;
	int		 sv[2], r;

	if ((f = fwd_new(p)) == NULL) {
		if (log_ratelimit(&spawn_rl))
			log_warn("forwarder for %s", p->conf.name);
		close(s->fd);
		return NULL;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		if (log_ratelimit(&spawn_rl))
			log_warn("forwarder for %s: socketpair", p->conf.name);
		free(f);
		close(s->fd);
		return NULL;
	}
	/*
	 * dup2 onto itself would leave fd 3 close-on-exec: the child's
	 * end must come from elsewhere.
	 */
	if (sv[1] == FWD_CHAN_FD) {
		f->spawn_fd = fcntl(sv[1], F_DUPFD_CLOEXEC, FWD_CHAN_FD + 1);
		close(sv[1]);
	} else
		f->spawn_fd = sv[1];
	if (f->spawn_fd == -1) {
		if (log_ratelimit(&spawn_rl))
			log_warn("forwarder for %s: channel", p->conf.name);
		close(sv[0]);
		free(f);
		close(s->fd);
		return NULL;
	}
	fwd_attach(f, p, 0, sv[0]);
	r = fwd_send_setup(f, p, s, fp);
	close(s->fd);
	if (r == -1) {
		log_warnx("forwarder for %s: setup failed", f->name);
		f->peer = NULL;
		close(f->spawn_fd);
		fwd_never_started(f, "setup failed");
		return NULL;
	}
	f->spawning = 1;
	n_starting++;
	f->handles++;		/* the start, until fwd_spawn_done */
	f->spawn.data = f;
	/* It fails only without a work callback. */
	if (uv_queue_work(ipcpd->loop, &f->spawn, fwd_spawn_work,
	    fwd_spawn_done) != 0)
		fatalx("uv_queue_work");
	return f;
}

int
fwd_send_control(struct fwdproc *f, const Ipcp__Control *c)
{
	Ipcp__Envelope	env = IPCP__ENVELOPE__INIT;

	env.body_case = IPCP__ENVELOPE__BODY_CONTROL;
	env.control = (Ipcp__Control *)c;
	return fwd_send(f, &env, -1);
}

int
fwd_send_update(struct fwdproc *f, const struct fwd_params *fp)
{
	Ipcp__Envelope		 env = IPCP__ENVELOPE__INIT;
	static struct msg_fwd_buf b;

	msg_fwd_update_build(&env, &b, fp);
	return fwd_send(f, &env, -1);
}

void
fwd_stop(struct fwdproc *f, const char *reason)
{
	Ipcp__Envelope	env = IPCP__ENVELOPE__INIT;
	Ipcp__FwdClose	cl;

	if (f->exited)
		return;
	msg_fwd_close_build(&env, &cl, reason);
	if (fwd_send(f, &env, -1) == -1)
		fwd_kill(f);
	else if (!uv_is_active((uv_handle_t *)&f->kill_timer)) {
		/* FWD_STOP_MS from now: a shutdown stops many in one turn. */
		uv_update_time(ipcpd->loop);
		uv_timer_start(&f->kill_timer, fwd_kill_timeout, FWD_STOP_MS,
		    0);
	}
}

void
fwd_detach(struct fwdproc *f, const char *reason)
{
	f->peer = NULL;
	fwd_stop(f, reason);
}
