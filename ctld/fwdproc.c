/* SPDX-License-Identifier: ISC */
/*
 * Starting and supervising forwarders.  Each session gets a fresh
 * ipcp-fwd, started with fork+exec (uv_spawn) so it shares none of our
 * memory, with one end of a SOCK_SEQPACKET socketpair on fd 3.  Over it go
 * the TUN fd, the TCP fd and the session keys (SCM_RIGHTS and protobuf,
 * never argv or the environment); back come log lines, counters, the
 * peer's CONTROL messages and, just before it exits, why.
 *
 * A forwarder is untrusted once it has read from the network: what it
 * sends is validated like anything from outside, and a message out of
 * place gets it killed.  When it exits (even by SIGKILL) it is reaped
 * here, and the peer redials or waits.
 */
#include <sys/socket.h>
#include <sys/queue.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "wire.h"
#include "ipcpd.h"
#include "log.h"
#include "msg.h"

struct fwdproc {
	LIST_ENTRY(fwdproc)	 entry;
	struct peer		*peer;		/* NULL once detached */
	uv_process_t		 proc;
	uv_poll_t		 chan_poll;
	uv_timer_t		 kill_timer;
	int			 chan_fd;
	int			 pid;
	int			 handles;
	int			 exited;
	char			 name[CONFIG_NAME_MAX + 1];
	char			 reason[256];
};

static LIST_HEAD(, fwdproc)	fwds = LIST_HEAD_INITIALIZER(fwds);
static size_t			n_fwds;

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

static void
fwd_handle_closed(uv_handle_t *h)
{
	struct fwdproc	*f = h->data;

	if (--f->handles == 0) {
		LIST_REMOVE(f, entry);
		n_fwds--;
		free(f);
		ipcpd_shutdown_check();
	}
}

static void
fwd_kill(struct fwdproc *f)
{
	if (!f->exited && f->pid > 0)
		kill(f->pid, SIGKILL);
}

static void
fwd_kill_timeout(uv_timer_t *t)
{
	struct fwdproc	*f = t->data;

	log_warnx("forwarder %s (pid %d) did not stop; killing it", f->name,
	    f->pid);
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
fwd_dispatch(struct fwdproc *f, Ipcp__Envelope *env)
{
	struct peer	*p = f->peer;
	char		 line[MSG_MAX_TEXT + 64], text[MSG_MAX_TEXT + 1];
	int		 pri;

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
		if (p != NULL) {
			p->stats.rx_bytes = env->fwd_stats->rx_bytes;
			p->stats.tx_bytes = env->fwd_stats->tx_bytes;
			p->stats.rx_packets = env->fwd_stats->rx_packets;
			p->stats.tx_packets = env->fwd_stats->tx_packets;
			p->stats.rtt_us = env->fwd_stats->rtt_us;
		}
		break;
	case IPCP__ENVELOPE__BODY_FWD_CONTROL:
		if (p != NULL)
			route_hello(p, env->fwd_control->payload.data,
			    env->fwd_control->payload.len);
		break;
	case IPCP__ENVELOPE__BODY_FWD_CLOSE:
		sanitize(f->reason, sizeof(f->reason), env->fwd_close->reason);
		break;
	default:
		log_warnx("forwarder %s (pid %d) sent an unexpected message "
		    "(%d); killing it", f->name, f->pid, env->body_case);
		fwd_kill(f);
		break;
	}
}

static void
fwd_chan_close(struct fwdproc *f)
{
	if (f->chan_fd == -1)
		return;
	uv_close((uv_handle_t *)&f->chan_poll, fwd_handle_closed);
	close(f->chan_fd);
	f->chan_fd = -1;
}

/* Read everything waiting on the channel. */
static void
fwd_chan_drain(struct fwdproc *f)
{
	Ipcp__Envelope	*env;
	int		 i;

	/* Bounded, so a chatty forwarder cannot starve the loop. */
	for (i = 0; i < 256 && f->chan_fd != -1; i++) {
		if ((env = msg_recv(f->chan_fd, MSG_MAX_FWD, NULL)) == NULL) {
			if (errno == EAGAIN)
				return;
			if (errno == EBADMSG || errno == EMSGSIZE) {
				log_warnx("forwarder %s (pid %d) sent a bad "
				    "message; killing it", f->name, f->pid);
				fwd_kill(f);
				fwd_chan_close(f);
				return;
			}
			/* Closed: the exit callback does the rest. */
			fwd_chan_close(f);
			return;
		}
		fwd_dispatch(f, env);
		msg_free(env);
	}
}

static void
fwd_chan_cb(uv_poll_t *h, int status, int events)
{
	struct fwdproc	*f = h->data;

	if (status < 0) {
		fwd_chan_close(f);
		return;
	}
	fwd_chan_drain(f);
}

static void
fwd_exit_cb(uv_process_t *proc, int64_t status, int sig)
{
	struct fwdproc	*f = proc->data;
	struct peer	*p = f->peer;

	f->exited = 1;
	fwd_chan_drain(f);
	if (sig != 0)
		log_warnx("forwarder %s (pid %d) killed by signal %d%s%s",
		    f->name, f->pid, sig, f->reason[0] ? "; last words: " : "",
		    f->reason);
	else
		log_info("forwarder %s (pid %d) exited (status %d): %s",
		    f->name, f->pid, (int)status,
		    f->reason[0] ? f->reason : "no reason given");
	fwd_chan_close(f);
	uv_close((uv_handle_t *)&f->kill_timer, fwd_handle_closed);
	uv_close((uv_handle_t *)&f->proc, fwd_handle_closed);
	f->peer = NULL;
	if (p != NULL)
		peer_session_down(p, f);
}

static int
fwd_send_setup(struct fwdproc *f, struct peer *p, int tcp_fd,
    int initiator, struct hs_session *s)
{
	const struct config	*conf = ipcpd->conf;
	const struct peer_conf	*pc = p->conf;
	Ipcp__Envelope		 env = IPCP__ENVELOPE__INIT;
	Ipcp__FwdSetup		 setup = IPCP__FWD_SETUP__INIT;
	Ipcp__FwdStream		 stream = IPCP__FWD_STREAM__INIT;
	Ipcp__Prefix		 pfx[CONFIG_LIST_MAX], *ppfx[CONFIG_LIST_MAX];
	int			 r;

	setup.peer_name = (char *)pc->name;
	setup.uid = conf->uid;
	setup.gid = conf->gid;
	setup.mtu = pc->mtu;
	setup.heartbeat_ms = conf->heartbeat_interval * 1000;
	setup.dead_after_ms = conf->dead_after * 1000;
	setup.verbose = log_getverbose() > 0;
	setup.n_allowed_ips = msg_prefixes_set(pfx, ppfx, pc->allowed,
	    pc->n_allowed);
	setup.allowed_ips = ppfx;
	env.body_case = IPCP__ENVELOPE__BODY_FWD_SETUP;
	env.fwd_setup = &setup;
	if (msg_send(f->chan_fd, &env, p->tun_fd) == -1)
		return -1;

	stream.cipher = s->cipher;
	stream.initiator = initiator;
	stream.tx_key.data = s->tx_key;
	stream.tx_key.len = sizeof(s->tx_key);
	stream.rx_key.data = s->rx_key;
	stream.rx_key.len = sizeof(s->rx_key);
	env.body_case = IPCP__ENVELOPE__BODY_FWD_STREAM;
	env.fwd_stream = &stream;
	r = msg_send(f->chan_fd, &env, tcp_fd);
	return r;
}

struct fwdproc *
fwd_spawn(struct peer *p, int tcp_fd, int initiator, struct hs_session *s)
{
	struct fwdproc		*f;
	uv_process_options_t	 opts;
	uv_stdio_container_t	 stdio[4];
	char			*args[] = { "ipcp-fwd", NULL };
	char			*env[] = { NULL };
	uint8_t			 hello[FRAME_MAX_CONTROL];
	size_t			 hlen;
	int			 sv[2], r;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		log_warn("forwarder for %s", p->conf->name);
		close(tcp_fd);
		return NULL;
	}
	snprintf(f->name, sizeof(f->name), "%s", p->conf->name);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("forwarder for %s: socketpair", p->conf->name);
		free(f);
		close(tcp_fd);
		return NULL;
	}
	memset(&opts, 0, sizeof(opts));
	memset(stdio, 0, sizeof(stdio));
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_IGNORE;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = STDERR_FILENO;
	stdio[3].flags = UV_INHERIT_FD;
	stdio[3].data.fd = sv[1];
	opts.file = ipcpd->fwd_path;
	opts.args = args;
	opts.env = env;
	opts.stdio = stdio;
	opts.stdio_count = 4;
	opts.exit_cb = fwd_exit_cb;
	f->proc.data = f;
	if ((r = uv_spawn(ipcpd->loop, &f->proc, &opts)) != 0) {
		log_warnx("forwarder for %s: spawn %s: %s", p->conf->name,
		    ipcpd->fwd_path, uv_strerror(r));
		close(sv[0]);
		close(sv[1]);
		close(tcp_fd);
		free(f);
		return NULL;
	}
	close(sv[1]);
	f->pid = f->proc.pid;
	f->chan_fd = sv[0];
	f->peer = p;
	f->handles = 3;
	LIST_INSERT_HEAD(&fwds, f, entry);
	n_fwds++;
	fcntl(f->chan_fd, F_SETFL, fcntl(f->chan_fd, F_GETFL) | O_NONBLOCK);
	uv_poll_init(ipcpd->loop, &f->chan_poll, f->chan_fd);
	uv_timer_init(ipcpd->loop, &f->kill_timer);
	f->chan_poll.data = f->kill_timer.data = f;
	uv_poll_start(&f->chan_poll, UV_READABLE, fwd_chan_cb);

	r = fwd_send_setup(f, p, tcp_fd, initiator, s);
	close(tcp_fd);
	if (r == -1) {
		log_warn("forwarder %s (pid %d): setup", f->name, f->pid);
		f->peer = NULL;
		fwd_kill(f);
		return NULL;
	}
	if ((hlen = route_hello_pack(hello, sizeof(hello))) > 0)
		fwd_send_control(f, hello, hlen);
	log_info("peer %s: forwarder pid %d started", f->name, f->pid);
	return f;
}

int
fwd_send_control(struct fwdproc *f, const uint8_t *buf, size_t len)
{
	Ipcp__Envelope		env = IPCP__ENVELOPE__INIT;
	Ipcp__FwdControl	ctl = IPCP__FWD_CONTROL__INIT;

	if (f->chan_fd == -1)
		return -1;
	ctl.payload.data = (uint8_t *)buf;
	ctl.payload.len = len;
	env.body_case = IPCP__ENVELOPE__BODY_FWD_CONTROL;
	env.fwd_control = &ctl;
	if (msg_send(f->chan_fd, &env, -1) == -1) {
		log_warn("forwarder %s (pid %d): control", f->name, f->pid);
		return -1;
	}
	return 0;
}

void
fwd_stop(struct fwdproc *f, const char *reason)
{
	Ipcp__Envelope	env = IPCP__ENVELOPE__INIT;
	Ipcp__FwdClose	cl = IPCP__FWD_CLOSE__INIT;

	if (f->exited)
		return;
	cl.reason = (char *)reason;
	env.body_case = IPCP__ENVELOPE__BODY_FWD_CLOSE;
	env.fwd_close = &cl;
	if (f->chan_fd == -1 || msg_send(f->chan_fd, &env, -1) == -1)
		fwd_kill(f);
	else if (!uv_is_active((uv_handle_t *)&f->kill_timer))
		uv_timer_start(&f->kill_timer, fwd_kill_timeout, FWD_STOP_MS,
		    0);
}

void
fwd_detach(struct fwdproc *f)
{
	f->peer = NULL;
	fwd_stop(f, "replaced by a new session");
}
