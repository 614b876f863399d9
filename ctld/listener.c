/* SPDX-License-Identifier: ISC */
/*
 * The listening TCP sockets of `listen'.  Each accepted connection goes
 * to hsconn.c, which runs the handshake and applies the limits on
 * unauthenticated connections.
 *
 * listener_sync() makes the set of sockets match a config, at start and
 * on reload: addresses already listened on keep their socket (and the
 * connections waiting in its backlog), new ones are bound before any old
 * one is closed, and if one cannot be bound nothing changes, so a reload
 * that asks for a busy port leaves the daemon as it was.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcpd.h"

/*
 * Connections taken from the backlog per wakeup, so others get a turn;
 * and the backlog itself: the kernel's largest, so that during a flood
 * of connections a real peer's SYN finds room instead of being dropped
 * (and retried by its TCP only a second later).  hsguard.c decides who
 * keeps a slot once accepted.
 */
#define LISTENER_BATCH	64
#define LISTENER_BACKLOG SOMAXCONN
/*
 * Out of fds, accept fails while the connection stays in the backlog and
 * the socket stays readable: polling on would spin.  Pause instead; the
 * connections wait in the backlog, or time out at their end.  So too
 * when every handshake slot is taken by a handshake that may not make
 * way (hsguard_full); then the end of one resumes at once.
 */
#define LISTENER_PAUSE_MS 500
/*
 * The kernel hands us a connection only once its first bytes are in
 * (TCP_DEFER_ACCEPT), or after about this many seconds of silence.
 * Every client speaks first, at once: a real peer's connection reaches
 * hsguard.c with its msg1 in the socket, where it can never be taken
 * for idle and made to give way, however fast a flood from its own
 * address churns the slots; and silent connections wait in the SYN
 * queue, which costs us nothing, instead of in a slot.  A silent one
 * is still accepted when the time is up (the original ipcp's client
 * may say nothing for 5 s), and given HSCONN_MSG1_MS as ever.
 */
#define LISTENER_DEFER_S	(HSCONN_MSG1_MS / 1000)

struct listener {
	TAILQ_ENTRY(listener)	 entry;
	int			 fd;
	uv_poll_t		 poll;
	struct listen_conf	 lc;
};

TAILQ_HEAD(listener_head, listener);

static struct listener_head	listeners =
    TAILQ_HEAD_INITIALIZER(listeners);
static struct log_ratelimit	accept_rl = LOG_RATELIMIT_INIT(10, 1000);
static uv_timer_t		pause_timer;
static int			paused;
static int			quiesced;	/* shutting down: for good */

static void	listener_accept(uv_poll_t *, int, int);

static void
listener_resume(uv_timer_t *t)
{
	struct listener	*l;

	if (quiesced)
		return;
	paused = 0;
	TAILQ_FOREACH(l, &listeners, entry)
		uv_poll_start(&l->poll, UV_READABLE, listener_accept);
}

void
listener_wake(void)
{
	if (!paused || quiesced)
		return;
	uv_timer_stop(&pause_timer);
	listener_resume(&pause_timer);
}

static void
listener_pause(void)
{
	struct listener	*l;

	if (paused)
		return;
	if (pause_timer.loop == NULL) {
		uv_timer_init(ipcpd->loop, &pause_timer);
		uv_unref((uv_handle_t *)&pause_timer);
	}
	TAILQ_FOREACH(l, &listeners, entry)
		uv_poll_stop(&l->poll);
	paused = 1;
	uv_timer_start(&pause_timer, listener_resume, LISTENER_PAUSE_MS, 0);
}

static void
listener_accept(uv_poll_t *h, int status, int events)
{
	struct listener		*l = h->data;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 fd, i;

	for (i = 0; i < LISTENER_BATCH; i++) {
		if (hsguard_full()) {
			listener_pause();
			return;
		}
		len = sizeof(ss);
		fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED && log_ratelimit(&accept_rl))
				log_warn("accept on %s", l->lc.text);
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				listener_pause();
			return;
		}
		hsconn_accept(fd, &ss);
	}
}

static void
listener_start(struct listener *l)
{
	int	defer = LISTENER_DEFER_S;

	/* Also on a socket adopted from the binary before us. */
	if (setsockopt(l->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer,
	    sizeof(defer)) == -1)
		log_warn("listen %s: TCP_DEFER_ACCEPT", l->lc.text);
	uv_poll_init(ipcpd->loop, &l->poll, l->fd);
	l->poll.data = l;
	/* A new one joins the pause; listener_resume() starts it. */
	if (!paused)
		uv_poll_start(&l->poll, UV_READABLE, listener_accept);
}

static struct listener *
listener_open(const struct listen_conf *lc, char *err, size_t errlen)
{
	struct listener	*l;
	int		 one = 1;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "listen %s: %s", lc->text,
		    strerror(errno));
		return NULL;
	}
	l->lc = *lc;
	l->fd = socket(lc->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (l->fd == -1)
		goto fail;
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lc->ss.ss_family == AF_INET6)
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(l->fd, (const struct sockaddr *)&lc->ss, lc->sslen) == -1 ||
	    listen(l->fd, LISTENER_BACKLOG) == -1)
		goto fail;
	listener_start(l);
	return l;
fail:
	snprintf(err, errlen, "listen %s: %s", lc->text, strerror(errno));
	if (l->fd != -1)
		close(l->fd);
	free(l);
	return NULL;
}

static void
listener_closed(uv_handle_t *h)
{
	struct listener	*l = h->data;

	close(l->fd);
	free(l);
}

static void
listener_close(struct listener *l)
{
	uv_close((uv_handle_t *)&l->poll, listener_closed);
}

static int
wanted(const struct config *conf, const struct listen_conf *lc)
{
	size_t	i;

	for (i = 0; i < conf->n_listen; i++)
		if (listen_conf_equal(&conf->listen[i], lc))
			return 1;
	return 0;
}

static struct listener *
find(const struct listen_conf *lc)
{
	struct listener	*l;

	TAILQ_FOREACH(l, &listeners, entry)
		if (listen_conf_equal(&l->lc, lc))
			return l;
	return NULL;
}

int
listener_sync(const struct config *conf, char *err, size_t errlen)
{
	struct listener_head	 added = TAILQ_HEAD_INITIALIZER(added);
	struct listener		*l, *next;
	size_t			 i;

	for (i = 0; i < conf->n_listen; i++) {
		if (find(&conf->listen[i]) != NULL)
			continue;
		if ((l = listener_open(&conf->listen[i], err,
		    errlen)) == NULL) {
			/* Back to how it was: none of the new ones. */
			while ((l = TAILQ_FIRST(&added)) != NULL) {
				TAILQ_REMOVE(&added, l, entry);
				listener_close(l);
			}
			return -1;
		}
		TAILQ_INSERT_TAIL(&added, l, entry);
	}
	for (l = TAILQ_FIRST(&listeners); l != NULL; l = next) {
		next = TAILQ_NEXT(l, entry);
		if (wanted(conf, &l->lc))
			continue;
		log_info("no longer listening on %s", l->lc.text);
		TAILQ_REMOVE(&listeners, l, entry);
		listener_close(l);
	}
	while ((l = TAILQ_FIRST(&added)) != NULL) {
		TAILQ_REMOVE(&added, l, entry);
		TAILQ_INSERT_TAIL(&listeners, l, entry);
		log_info("listening on %s", l->lc.text);
	}
	return 0;
}

/*
 * Shutting down: accept nothing more, but keep the sockets until exit.
 * A peer that dials meanwhile waits in the backlog for an answer (its
 * handshake times out, or our exit resets it) instead of being refused
 * and dialing again a moment later: a gateway's thousand clients doing
 * that take the CPU its forwarders need to say goodbye and go.
 */
void
listener_quiesce(void)
{
	struct listener	*l;

	quiesced = 1;
	if (pause_timer.loop != NULL)
		uv_timer_stop(&pause_timer);
	TAILQ_FOREACH(l, &listeners, entry)
		uv_poll_stop(&l->poll);
}

void
listener_close_all(void)
{
	struct listener	*l;

	while ((l = TAILQ_FIRST(&listeners)) != NULL) {
		TAILQ_REMOVE(&listeners, l, entry);
		listener_close(l);
	}
}

void
listener_foreach(void (*fn)(int, const struct listen_conf *, void *),
    void *arg)
{
	struct listener	*l;

	TAILQ_FOREACH(l, &listeners, entry)
		fn(l->fd, &l->lc, arg);
}

/*
 * A socket the binary before us listened on, with the connections in its
 * backlog; listener_sync() afterwards closes it if the config no longer
 * wants it.
 */
int
listener_adopt(int fd, const struct listen_conf *lc)
{
	struct listener	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -1;
	l->lc = *lc;
	l->fd = fd;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	listener_start(l);
	TAILQ_INSERT_TAIL(&listeners, l, entry);
	return 0;
}
