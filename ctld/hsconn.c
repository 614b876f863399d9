/* SPDX-License-Identifier: ISC */
/*
 * Outbound dials and the handshake on each new TCP connection (the
 * listeners that accept them are in listener.c).
 *
 * This is the only place ipcpd reads bytes from the network, and it reads
 * only the three fixed-size handshake messages, exactly: it never reads
 * past the last of them, so the first data frame stays in the socket for
 * the forwarder.  Before any Diffie-Hellman, msg1 must carry a valid mac1
 * for our public key.  Unauthenticated connections are capped in total and
 * per source address, and each must finish within HSCONN_TIMEOUT_MS.  Any
 * failure closes the connection and logs why, rate-limited since a remote
 * party can trigger it; nothing a connection does affects another.
 *
 * A handshake keeps its own copy of what it needs: the initiator's keys
 * and endpoint are copied when it dials (and its peer aborts it if the
 * peer goes), the responder keeps the peer's public key and generation
 * and looks the peer up again when the handshake completes, so a reload
 * that removed or re-keyed the peer meanwhile cannot be fooled.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "wire.h"
#include "ipcpd.h"
#include "log.h"

enum hs_io {
	HSIO_CONNECT,		/* waiting for connect() to finish */
	HSIO_WRITE,
	HSIO_READ,
};

struct hsconn {
	TAILQ_ENTRY(hsconn)	 entry;
	int			 fd;
	uv_poll_t		 poll;
	uv_timer_t		 timer;
	int			 handles;	/* open libuv handles */
	enum hs_role		 role;
	enum hs_io		 io;
	/* Initiator: the peer that dialed (it aborts us if it goes). */
	struct peer		*peer;
	/* Responder: who msg1 said it was, and that peer's generation. */
	uint8_t			 peer_key[KEY_LEN];
	uint32_t		 peer_gen;
	char			 peer_name[CONFIG_NAME_MAX + 1];
	struct hs_state		 hs;
	/* Our key pair, copied: a reload may free the config it came from. */
	struct hs_keypair	 local;
	uint8_t			 in[HS_MSG_MAX];
	size_t			 in_have, in_need;
	uint8_t			 out[HS_MSG_MAX];
	size_t			 out_off, out_len;
	struct sockaddr_storage	 remote;
	char			 remote_text[ENDPOINT_STRLEN];
	int			 authenticated;	/* msg1 checked */
	int			 done;		/* closing */
	/* Initiator: keys from msg2, installed once msg3 is sent. */
	struct hs_session	 session;
	int			 have_session;
};

static TAILQ_HEAD(, hsconn)	hsconns = TAILQ_HEAD_INITIALIZER(hsconns);
static size_t			n_hsconns;
static struct log_ratelimit	hs_rl = LOG_RATELIMIT_INIT(10, 1000);

static void	hs_poll_cb(uv_poll_t *, int, int);

static void
hs_handle_closed(uv_handle_t *h)
{
	struct hsconn	*hc = h->data;

	if (--hc->handles == 0) {
		hs_state_wipe(&hc->hs);
		sodium_memzero(hc, sizeof(*hc));
		free(hc);
	}
}

/*
 * Stop watching the connection.  keep_fd: the fd goes on to a forwarder.
 */
static void
hs_release(struct hsconn *hc, int keep_fd)
{
	if (hc->done)
		return;
	hc->done = 1;
	TAILQ_REMOVE(&hsconns, hc, entry);
	n_hsconns--;
	if (hc->peer != NULL && hc->peer->dial == hc)
		hc->peer->dial = NULL;
	/* uv_close drops the fd from epoll before we close or pass it. */
	uv_close((uv_handle_t *)&hc->poll, hs_handle_closed);
	uv_close((uv_handle_t *)&hc->timer, hs_handle_closed);
	if (!keep_fd)
		close(hc->fd);
}

/* The connection failed: say why (rate-limited), close, maybe redial. */
static void
hs_fail(struct hsconn *hc, const char *why)
{
	struct peer	*dialer = NULL;

	if (hc->done)
		return;
	if (log_ratelimit(&hs_rl))
		log_warnx("handshake %s %s%s%s%s: %s",
		    hc->role == HS_INITIATOR ? "to" : "from", hc->remote_text,
		    hc->peer_name[0] != '\0' ? " (peer " : "", hc->peer_name,
		    hc->peer_name[0] != '\0' ? ")" : "", why);
	if (hc->peer != NULL && hc->peer->dial == hc)
		dialer = hc->peer;
	hs_release(hc, 0);
	if (dialer != NULL)
		peer_fsm(dialer, PEER_EV_DIAL_FAILED, NULL);
}

static void
hs_timeout(uv_timer_t *t)
{
	hs_fail(t->data, "timed out");
}

static struct hsconn *
hs_new(int fd, enum hs_role role, const struct sockaddr *sa)
{
	struct hsconn	*hc;

	if ((hc = calloc(1, sizeof(*hc))) == NULL)
		return NULL;
	hc->fd = fd;
	hc->role = role;
	memcpy(&hc->remote, sa, sa->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	endpoint_format(sa, hc->remote_text);
	if (uv_poll_init(ipcpd->loop, &hc->poll, fd) != 0) {
		free(hc);
		return NULL;
	}
	uv_timer_init(ipcpd->loop, &hc->timer);
	hc->poll.data = hc->timer.data = hc;
	hc->handles = 2;
	TAILQ_INSERT_TAIL(&hsconns, hc, entry);
	n_hsconns++;
	uv_timer_start(&hc->timer, hs_timeout, HSCONN_TIMEOUT_MS, 0);
	return hc;
}

static void
hs_want(struct hsconn *hc, enum hs_io io, size_t need)
{
	hc->io = io;
	if (io == HSIO_READ) {
		hc->in_have = 0;
		hc->in_need = need;
		uv_poll_start(&hc->poll, UV_READABLE | UV_DISCONNECT,
		    hs_poll_cb);
	} else
		uv_poll_start(&hc->poll, UV_WRITABLE | UV_DISCONNECT,
		    hs_poll_cb);
}

static void
hs_send(struct hsconn *hc, size_t len)
{
	hc->out_off = 0;
	hc->out_len = len;
	hs_want(hc, HSIO_WRITE, 0);
}

static void
hs_set_sockopts(int fd)
{
	int	one = 1;

	/* Frames are whole packets: never hold one back for the next. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		log_warn("TCP_NODELAY");
}

/* The handshake is done: hand the socket on.  Consumes hc. */
static void
hs_complete(struct hsconn *hc, struct hs_session *s)
{
	struct peer		*p = hc->peer;
	struct peer_session	 ps;
	int			 fd = hc->fd;
	int			 initiator = hc->role == HS_INITIATOR;
	char			 remote[ENDPOINT_STRLEN];

	if (hc->role == HS_RESPONDER) {
		/* The peer may have been removed or re-keyed meanwhile. */
		p = peer_by_key(hc->peer_key);
		if (p == NULL || p->gen != hc->peer_gen) {
			hs_fail(hc, "peer reconfigured during the handshake");
			return;
		}
	}
	memcpy(remote, hc->remote_text, sizeof(remote));
	hs_release(hc, 1);
	hs_set_sockopts(fd);
	log_info("peer %s: handshake with %s complete (%s, %s)",
	    p->conf.name, remote, initiator ? "initiator" : "responder",
	    frame_cipher_name(s->cipher));
	ps.fd = fd;
	ps.initiator = initiator;
	ps.keys = s;
	ps.remote = remote;
	peer_fsm(p, PEER_EV_HANDSHAKE_DONE, &ps);
	sodium_memzero(s, sizeof(*s));
}

/* A whole message has arrived. */
static void
hs_got_message(struct hsconn *hc)
{
	struct hs_session	 s;
	uint8_t			 pub[HS_KEY_LEN], ts[HS_TAI64N_LEN];
	struct peer		*p;

	if (hc->role == HS_RESPONDER && !hc->authenticated) {
		/* msg1: the cheap MAC first, then the DH work. */
		if (hs_check_mac1(hc->in, HS_MSG1_LEN, hc->local.pub) == -1) {
			hs_fail(hc, "not a handshake for this node (bad mac1)");
			return;
		}
		if (hs_read_msg1(&hc->hs, hc->in, pub, ts) == -1) {
			hs_fail(hc, "invalid first message");
			return;
		}
		if ((p = peer_by_key(pub)) == NULL) {
			char	b64[KEY_B64_LEN];

			key_to_base64(b64, pub);
			hs_fail(hc, "unknown public key");
			log_debug("unknown key %s", b64);
			return;
		}
		memcpy(hc->peer_key, pub, KEY_LEN);
		hc->peer_gen = p->gen;
		snprintf(hc->peer_name, sizeof(hc->peer_name), "%s",
		    p->conf.name);
		if (p->state == PEER_STATE_STOPPED) {
			hs_fail(hc, "shutting down");
			return;
		}
		/* Its TUN is not there yet (a name still busy): not now. */
		if (p->state == PEER_STATE_NOTUN) {
			hs_fail(hc, "its interface is not set up yet");
			return;
		}
		/* TAI64N is big endian: newer compares greater. */
		if (memcmp(ts, p->last_ts, sizeof(ts)) <= 0) {
			hs_fail(hc, "replayed first message");
			return;
		}
		memcpy(p->last_ts, ts, sizeof(ts));
		hc->authenticated = 1;
		if (hs_write_msg2(&hc->hs, p->conf.has_psk ? p->conf.psk :
		    NULL, hc->out) == -1) {
			hs_fail(hc, "cannot build second message");
			return;
		}
		hs_send(hc, HS_MSG2_LEN);
		return;
	}
	if (hc->role == HS_RESPONDER) {
		/* msg3: key confirmation; only now is the session real. */
		if (hs_read_msg3(&hc->hs, hc->in, &s) == -1) {
			hs_fail(hc, "key confirmation failed (wrong psk?)");
			return;
		}
		hs_complete(hc, &s);
		return;
	}
	/* Initiator: msg2. */
	if (hs_read_msg2(&hc->hs, hc->in) == -1) {
		hs_fail(hc, "invalid reply (wrong key or psk?)");
		return;
	}
	if (hs_write_msg3(&hc->hs, hc->out, &s) == -1) {
		hs_fail(hc, "cannot build confirmation");
		return;
	}
	/* Keep the keys until msg3 is out; see hs_wrote(). */
	hc->session = s;
	hc->have_session = 1;
	sodium_memzero(&s, sizeof(s));
	hs_send(hc, HS_MSG3_LEN);
}

/* A whole message has gone out: what comes next? */
static void
hs_wrote(struct hsconn *hc)
{
	if (hc->role == HS_INITIATOR && hc->have_session) {
		hs_complete(hc, &hc->session);
		return;
	}
	if (hc->role == HS_INITIATOR)
		hs_want(hc, HSIO_READ, HS_MSG2_LEN);
	else
		hs_want(hc, HSIO_READ, HS_MSG3_LEN);
}

static void
hs_poll_cb(uv_poll_t *h, int status, int events)
{
	struct hsconn	*hc = h->data;
	ssize_t		 n;
	int		 err;
	socklen_t	 len = sizeof(err);

	if (hc->done)
		return;
	if (status < 0) {
		hs_fail(hc, uv_strerror(status));
		return;
	}
	switch (hc->io) {
	case HSIO_CONNECT:
		if (getsockopt(hc->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0) {
			hs_fail(hc, strerror(err));
			return;
		}
		if (hs_write_msg1(&hc->hs, hc->out) == -1) {
			hs_fail(hc, "cannot build first message");
			return;
		}
		hs_send(hc, HS_MSG1_LEN);
		return;
	case HSIO_WRITE:
		n = send(hc->fd, hc->out + hc->out_off,
		    hc->out_len - hc->out_off, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			hs_fail(hc, strerror(errno));
			return;
		}
		hc->out_off += n;
		if (hc->out_off == hc->out_len)
			hs_wrote(hc);
		return;
	case HSIO_READ:
		/* Exactly what the message needs and no more. */
		n = recv(hc->fd, hc->in + hc->in_have,
		    hc->in_need - hc->in_have, 0);
		if (n == 0) {
			hs_fail(hc, "connection closed during handshake");
			return;
		}
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			hs_fail(hc, strerror(errno));
			return;
		}
		hc->in_have += n;
		if (hc->in_have == hc->in_need)
			hs_got_message(hc);
		return;
	}
}

static size_t
count_from(const struct sockaddr_storage *ss)
{
	struct hsconn	*hc;
	size_t		 n = 0;

	TAILQ_FOREACH(hc, &hsconns, entry) {
		if (hc->role != HS_RESPONDER ||
		    hc->remote.ss_family != ss->ss_family)
			continue;
		if (ss->ss_family == AF_INET &&
		    ((struct sockaddr_in *)&hc->remote)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)ss)->sin_addr.s_addr)
			n++;
		else if (ss->ss_family == AF_INET6 &&
		    memcmp(&((struct sockaddr_in6 *)&hc->remote)->sin6_addr,
		    &((const struct sockaddr_in6 *)ss)->sin6_addr, 16) == 0)
			n++;
	}
	return n;
}

void
hsconn_accept(int fd, const struct sockaddr_storage *ss)
{
	struct hsconn	*hc;
	char		 text[ENDPOINT_STRLEN];

	if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6) {
		close(fd);
		return;
	}
	endpoint_format((const struct sockaddr *)ss, text);
	if (ipcpd->stopping) {
		close(fd);
		return;
	}
	if (n_hsconns >= HSCONN_MAX) {
		if (log_ratelimit(&hs_rl))
			log_warnx("connection from %s refused: %d handshakes "
			    "in progress", text, HSCONN_MAX);
		close(fd);
		return;
	}
	if (count_from(ss) >= HSCONN_MAX_PER_SRC) {
		if (log_ratelimit(&hs_rl))
			log_warnx("connection from %s refused: too many "
			    "handshakes from that address", text);
		close(fd);
		return;
	}
	if ((hc = hs_new(fd, HS_RESPONDER,
	    (const struct sockaddr *)ss)) == NULL) {
		close(fd);
		return;
	}
	hc->local = ipcpd->conf->key;
	hs_responder_init(&hc->hs, &hc->local, ipcpd->local_caps);
	hs_want(hc, HSIO_READ, HS_MSG1_LEN);
	log_debug("connection from %s", text);
}

int
hsconn_dial(struct peer *p)
{
	const struct listen_conf	*ep = &p->conf.endpoint;
	struct hsconn			*hc;
	int				 fd;

	fd = socket(ep->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("peer %s: socket", p->conf.name);
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&ep->ss, ep->sslen) == -1 &&
	    errno != EINPROGRESS) {
		log_warn("peer %s: connect %s", p->conf.name, ep->text);
		close(fd);
		return -1;
	}
	if ((hc = hs_new(fd, HS_INITIATOR,
	    (const struct sockaddr *)&ep->ss)) == NULL) {
		close(fd);
		return -1;
	}
	hc->peer = p;
	snprintf(hc->peer_name, sizeof(hc->peer_name), "%s", p->conf.name);
	p->dial = hc;
	hc->local = ipcpd->conf->key;
	if (hs_initiator_init(&hc->hs, &hc->local, p->conf.pubkey,
	    p->conf.has_psk ? p->conf.psk : NULL, ipcpd->local_caps) == -1) {
		hs_release(hc, 0);
		return -1;
	}
	log_debug("peer %s: dialing %s", p->conf.name, ep->text);
	hs_want(hc, HSIO_CONNECT, 0);
	return 0;
}

/* Our own dial is no longer wanted (a session came in, or shutdown). */
void
hsconn_abort(struct hsconn *hc)
{
	hs_release(hc, 0);
}

void
hsconn_close_all(void)
{
	struct hsconn	*hc;

	while ((hc = TAILQ_FIRST(&hsconns)) != NULL)
		hs_release(hc, 0);
}
