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
 * A peer with wire = legacy (the original ipcp's, proto/legacy.h) has no
 * handshake: a dial hands the socket on as soon as it connects.  While
 * such peers wait for connections, an accepted connection's first four
 * bytes tell the wires apart (msg1 begins 01 01 00 00, far above a
 * legacy frame's length of at most 4096), and a legacy frame is read
 * whole, bounded, and opened with each waiting legacy peer's key in turn
 * (at most CONFIG_LEGACY_WAITING_MAX): the one it opens for is the peer,
 * and the frame goes to its forwarder with the socket.  Nothing else of
 * a legacy session is ever read here.
 *
 * A gateway with a passcode also answers a key no [peer] has: it finishes
 * the handshake with the passcode as the psk (Noise IKpsk2 mixes it in
 * only after msg1, so msg1 alone tells nothing), and a wrong one fails as
 * a wrong psk does.  Nothing is kept per such key but its connection's
 * slot, under the same guard and limits as any, until msg3 proves the
 * passcode; only then is its peer made (openpeer.c), if gw.max_clients
 * allows.
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
#include "hsconn.h"
#include "log.h"

struct hsconn_head		hsconns = TAILQ_HEAD_INITIALIZER(hsconns);
size_t				n_hsconns;
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
	hsguard_forget(hc);
	TAILQ_REMOVE(&hsconns, hc, entry);
	n_hsconns--;
	if (hc->peer != NULL && hc->peer->dial == hc)
		hc->peer->dial = NULL;
	/* uv_close drops the fd from epoll before we close or pass it. */
	uv_close((uv_handle_t *)&hc->poll, hs_handle_closed);
	uv_close((uv_handle_t *)&hc->timer, hs_handle_closed);
	if (!keep_fd)
		close(hc->fd);
	/* A slot is free (and, with keep_fd, a session began). */
	listener_wake();
}

/*
 * The peer a failed handshake was with, if we know: the one that dialed,
 * or the one its first message named (then it passed mac1 and its DH).
 */
static struct peer *
hs_peer(const struct hsconn *hc)
{
	struct peer	*p;

	if (hc->role == HS_INITIATOR)
		return hc->peer;
	if (hc->peer_name[0] == '\0')
		return NULL;
	p = peer_by_key(hc->peer_key);
	return p != NULL && p->gen == hc->peer_gen ? p : NULL;
}

/* The connection failed: say why (rate-limited), close, maybe redial. */
void
hsconn_fail(struct hsconn *hc, enum hs_result res, const char *why)
{
	struct peer	*dialer = NULL, *p;

	if (hc->done)
		return;
	p = hs_peer(hc);
	hs_result_count(p, res);
	/* An initiator's failure is its peer's dial failure: say why. */
	if (hc->role == HS_INITIATOR && p != NULL)
		peer_error(p, "%s %s: %s", res == HS_RESULT_CONNECT ?
		    "connect to" : "handshake with", hc->remote_text, why);
	if (log_ratelimit(&hs_rl))
		log_warnx("handshake %s %s%s%s%s: %s",
		    hc->role == HS_INITIATOR ? "to" : "from", hc->remote_text,
		    hc->peer_name[0] != '\0' ? " (peer " : hc->open ?
		    " (passcode client" : "", hc->peer_name,
		    hc->peer_name[0] != '\0' || hc->open ? ")" : "", why);
	if (hc->peer != NULL && hc->peer->dial == hc)
		dialer = hc->peer;
	hs_release(hc, 0);
	if (dialer != NULL)
		peer_fsm(dialer, PEER_EV_DIAL_FAILED, NULL);
}

/*
 * A responder must have its first message in within HSCONN_MSG1_MS, and
 * every handshake must be done within HSCONN_TIMEOUT_MS.
 */
static void
hs_timeout(uv_timer_t *t)
{
	struct hsconn	*hc = t->data;
	uint64_t	 age = now_ms() - hc->start_ms;
	/* A late first message (legacy peers wait) moves the end too. */
	uint64_t	 limit = HSCONN_TIMEOUT_MS + hc->first_ms - HSCONN_MSG1_MS;

	if (hc->role == HS_RESPONDER && !hc->got_msg1 && !hc->authenticated) {
		if (age < hc->first_ms) {
			uv_timer_start(&hc->timer, hs_timeout,
			    hc->first_ms - age, 0);
			return;
		}
		hsconn_fail(hc, HS_RESULT_TIMEOUT,
		    hc->sniff == HSCONN_SNIFF_FRAME ?
		    "no whole legacy frame in time" :
		    "no first message in time");
		return;
	}
	if (age >= limit) {
		hsconn_fail(hc, HS_RESULT_TIMEOUT, "timed out");
		return;
	}
	uv_timer_start(&hc->timer, hs_timeout, limit - age, 0);
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
	hc->start_ms = now_ms();
	hc->first_ms = HSCONN_MSG1_MS;
	TAILQ_INSERT_TAIL(&hsconns, hc, entry);
	n_hsconns++;
	uv_timer_start(&hc->timer, hs_timeout, role == HS_RESPONDER ?
	    HSCONN_MSG1_MS : HSCONN_TIMEOUT_MS, 0);
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

/*
 * msg3 proved the passcode: the peer of this passcode client, made now
 * if it has none (started, with its TUN).  NULL: failed, hc is gone.
 */
static struct peer *
hs_open_peer(struct hsconn *hc)
{
	const struct gateway_conf	*gw = &ipcpd->conf->gw;
	struct peer			*p;
	char				 why[128];

	/* A reload took the passcode away or changed it meanwhile. */
	if (!gw->enabled || !gw->has_passcode ||
	    sodium_memcmp(gw->passcode, hc->open_psk, KEY_LEN) != 0) {
		hsconn_fail(hc, HS_RESULT_REFUSED,
		    "the passcode changed during the handshake");
		return NULL;
	}
	/*
	 * It has a peer now: another handshake of the same client finished
	 * first (then this is a new session of it), or a reload listed it.
	 */
	if ((p = peer_by_key(hc->peer_key)) != NULL) {
		/* Listed: its own psk, not ours. */
		if (!p->conf.open) {
			hsconn_fail(hc, HS_RESULT_REFUSED,
			    "peer reconfigured during the handshake");
			return NULL;
		}
		if (p->state == PEER_STATE_NOTUN ||
		    p->state == PEER_STATE_STOPPED) {
			hsconn_fail(hc, HS_RESULT_REFUSED,
			    "its interface is not set up yet");
			return NULL;
		}
		if (memcmp(hc->open_ts, p->last_ts, HS_TAI64N_LEN) <= 0) {
			hsconn_fail(hc, HS_RESULT_REPLAY,
			    "replayed first message");
			return NULL;
		}
		memcpy(p->last_ts, hc->open_ts, HS_TAI64N_LEN);
		return p;
	}
	/* Others may have joined while this one shook hands. */
	if (openpeer_full()) {
		hsconn_fail(hc, HS_RESULT_REFUSED, "max-clients reached");
		return NULL;
	}
	if ((p = openpeer_add(hc->peer_key, NULL)) == NULL) {
		snprintf(why, sizeof(why), "cannot add its peer: %s",
		    strerror(errno));
		hsconn_fail(hc, HS_RESULT_ERROR, why);
		return NULL;
	}
	memcpy(p->last_ts, hc->open_ts, HS_TAI64N_LEN);
	peer_fsm(p, PEER_EV_START, NULL);
	if (p->state == PEER_STATE_NOTUN) {
		/* Its name still busy (an earlier life on its way out). */
		peer_remove(p, "its interface could not be made");
		hsconn_fail(hc, HS_RESULT_REFUSED,
		    "its interface could not be made");
		return NULL;
	}
	return p;
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

	if (hc->role == HS_RESPONDER && hc->open) {
		if ((p = hs_open_peer(hc)) == NULL)
			return;
	} else if (hc->role == HS_RESPONDER) {
		/* The peer may have been removed or re-keyed meanwhile. */
		p = peer_by_key(hc->peer_key);
		if (p == NULL || p->gen != hc->peer_gen) {
			hsconn_fail(hc, HS_RESULT_REFUSED,
			    "peer reconfigured during the handshake");
			return;
		}
	}
	memcpy(remote, hc->remote_text, sizeof(remote));
	hs_result_count(p, HS_RESULT_OK);
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

/*
 * A legacy session: no handshake, so nothing to wait for.  Consumes hc.
 * first is the frame read from an accepted connection (NULL for a dial).
 */
static void
hs_complete_legacy(struct hsconn *hc, struct peer *p, const uint8_t *first,
    size_t first_len)
{
	struct peer_session	 ps;
	char			 remote[ENDPOINT_STRLEN];
	uint8_t			 frame[LEGACY_FRAME_MAX];
	int			 fd = hc->fd;
	int			 initiator = hc->role == HS_INITIATOR;

	/* hc goes with hs_release; the frame must outlive it. */
	if (first_len > 0)
		memcpy(frame, first, first_len);
	memcpy(remote, hc->remote_text, sizeof(remote));
	hs_result_count(p, HS_RESULT_OK);
	hs_release(hc, 1);
	hs_set_sockopts(fd);
	log_warnx("peer %s: legacy session with %s (%s): the original ipcp's "
	    "wire, with no replay protection and no forward secrecy",
	    p->conf.name, remote, initiator ? "we dialed, client" :
	    "server");
	memset(&ps, 0, sizeof(ps));
	ps.fd = fd;
	ps.initiator = initiator;
	ps.keys = NULL;
	ps.remote = remote;
	ps.first = frame;
	ps.first_len = first_len;
	peer_fsm(p, PEER_EV_HANDSHAKE_DONE, &ps);
	sodium_memzero(frame, sizeof(frame));
}


/*
 * The first bytes of a connection while legacy peers wait: a handshake
 * goes on as one; a legacy frame, once whole, must open with the key of
 * one of them.
 */
static void
hs_sniffed(struct hsconn *hc)
{
	uint8_t		 plain[LEGACY_PLAIN_MAX], type;
	size_t		 body, n;
	struct peer	*p, *found = NULL;

	if (hc->sniff == HSCONN_SNIFF_HDR) {
		if (legacy_frame_len(hc->in, &body) == -1) {
			/* Not a legacy length: a handshake, or garbage. */
			hc->sniff = HSCONN_SNIFF_NONE;
			hc->in_need = HS_MSG1_LEN;
			return;
		}
		hc->sniff = HSCONN_SNIFF_FRAME;
		hc->in_need = LEGACY_LEN_LEN + body;
		return;
	}
	TAILQ_FOREACH(p, &ipcpd->peers, entry) {
		if (p->conf.wire != CONFIG_WIRE_LEGACY ||
		    p->conf.has_endpoint)
			continue;
		if (legacy_open(p->conf.psk, hc->in, hc->in_need, plain, &type,
		    &n) == LEGACY_OK) {
			found = p;
			break;
		}
	}
	sodium_memzero(plain, sizeof(plain));
	if (found == NULL) {
		hsconn_fail(hc, HS_RESULT_DECRYPT, "legacy frame for no "
		    "legacy peer (wrong secret, or corrupted)");
		return;
	}
	snprintf(hc->peer_name, sizeof(hc->peer_name), "%s",
	    found->conf.name);
	if (found->state == PEER_STATE_STOPPED) {
		hsconn_fail(hc, HS_RESULT_REFUSED, "shutting down");
		return;
	}
	if (found->state == PEER_STATE_NOTUN) {
		hsconn_fail(hc, HS_RESULT_REFUSED,
		    "its interface is not set up yet");
		return;
	}
	hs_complete_legacy(hc, found, hc->in, hc->in_need);
}

/*
 * msg1 from a key no peer has: unknown, unless the gateway has a passcode.
 * Then it is answered with the passcode as the psk, and its peer is made
 * only if msg3 proves the client knew it (hs_open_peer).  Nothing is
 * allocated for it meanwhile.
 */
static void
hs_msg1_open(struct hsconn *hc, const uint8_t pub[HS_KEY_LEN],
    const uint8_t ts[HS_TAI64N_LEN])
{
	const struct gateway_conf	*gw = &ipcpd->conf->gw;
	char				 b64[KEY_B64_LEN];

	if (!gw->enabled || !gw->has_passcode) {
		key_to_base64(b64, pub);
		hsconn_fail(hc, HS_RESULT_UNKNOWN_KEY, "unknown public key");
		log_debug("unknown key %s", b64);
		return;
	}
	hc->open = 1;
	memcpy(hc->peer_key, pub, KEY_LEN);
	/* Refused before the work of msg2 and msg3, and checked again. */
	if (openpeer_full()) {
		hsconn_fail(hc, HS_RESULT_REFUSED, "max-clients reached");
		return;
	}
	memcpy(hc->open_psk, gw->passcode, KEY_LEN);
	memcpy(hc->open_ts, ts, HS_TAI64N_LEN);
	hc->authenticated = 1;
	if (hs_write_msg2(&hc->hs, hc->open_psk, hc->out) == -1) {
		hsconn_fail(hc, HS_RESULT_ERROR,
		    "cannot build second message");
		return;
	}
	hs_send(hc, HS_MSG2_LEN);
}

/*
 * msg1's Diffie-Hellman and what follows: who sent it, replay, msg2.
 * Run when the guard's budget allows (hsguard.c).
 */
void
hsconn_msg1(struct hsconn *hc)
{
	uint8_t			 pub[HS_KEY_LEN], ts[HS_TAI64N_LEN];
	struct peer		*p;

	hc->got_msg1 = 0;
	if (hs_read_msg1(&hc->hs, hc->in, pub, ts) == -1) {
		hsconn_fail(hc, HS_RESULT_DECRYPT, "invalid first message");
		return;
	}
	if ((p = peer_by_key(pub)) == NULL) {
		hs_msg1_open(hc, pub, ts);
		return;
	}
	memcpy(hc->peer_key, pub, KEY_LEN);
	hc->peer_gen = p->gen;
	snprintf(hc->peer_name, sizeof(hc->peer_name), "%s", p->conf.name);
	if (p->state == PEER_STATE_STOPPED) {
		hsconn_fail(hc, HS_RESULT_REFUSED, "shutting down");
		return;
	}
	/* Its TUN is not there yet (a name still busy): not now. */
	if (p->state == PEER_STATE_NOTUN) {
		hsconn_fail(hc, HS_RESULT_REFUSED,
		    "its interface is not set up yet");
		return;
	}
	/* TAI64N is big endian: newer compares greater. */
	if (memcmp(ts, p->last_ts, sizeof(ts)) <= 0) {
		hsconn_fail(hc, HS_RESULT_REPLAY, "replayed first message");
		return;
	}
	memcpy(p->last_ts, ts, sizeof(ts));
	hc->authenticated = 1;
	hsguard_proven(hc);
	if (hs_write_msg2(&hc->hs, p->conf.has_psk ? p->conf.psk : NULL,
	    hc->out) == -1) {
		hsconn_fail(hc, HS_RESULT_ERROR,
		    "cannot build second message");
		return;
	}
	hs_send(hc, HS_MSG2_LEN);
}

/* A whole message has arrived. */
static void
hs_got_message(struct hsconn *hc)
{
	struct hs_session	 s;

	if (hc->sniff != HSCONN_SNIFF_NONE) {
		hs_sniffed(hc);
		return;
	}
	if (hc->role == HS_RESPONDER && !hc->authenticated) {
		/* msg1: the cheap MAC first; the DH work when budgeted. */
		if (hs_check_mac1(hc->in, HS_MSG1_LEN, hc->local.pub) == -1) {
			hsconn_fail(hc, HS_RESULT_BAD_MAC1,
			    "not a handshake for this node (bad "
			    "mac1)");
			return;
		}
		/*
		 * Before the Diffie-Hellman (but after the cheap check, so a
		 * flood does not pay for the look): a handshake whose session
		 * could not start would only be repeated, again and again.
		 */
		if (!fwd_room()) {
			hsconn_fail(hc, HS_RESULT_REFUSED, "no file "
			    "descriptors for a session");
			return;
		}
		hc->got_msg1 = 1;
		uv_poll_stop(&hc->poll);
		hsguard_msg1(hc);
		return;
	}
	if (hc->role == HS_RESPONDER) {
		/* msg3: key confirmation; only now is the session real. */
		if (hs_read_msg3(&hc->hs, hc->in, &s) == -1) {
			hsconn_fail(hc, HS_RESULT_DECRYPT, hc->open ?
			    "key confirmation failed (wrong passcode?)" :
			    "key confirmation failed (wrong psk?)");
			return;
		}
		hs_complete(hc, &s);
		return;
	}
	/* Initiator: msg2. */
	if (hs_read_msg2(&hc->hs, hc->in) == -1) {
		hsconn_fail(hc, HS_RESULT_DECRYPT,
		    "invalid reply (wrong key or psk?)");
		return;
	}
	if (hs_write_msg3(&hc->hs, hc->out, &s) == -1) {
		hsconn_fail(hc, HS_RESULT_ERROR, "cannot build confirmation");
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

/* The socket's pending error, or 0. */
static int
hs_sock_error(int fd)
{
	int		err = 0;
	socklen_t	len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return errno;
	return err;
}

static void
hs_poll_cb(uv_poll_t *h, int status, int events)
{
	struct hsconn	*hc = h->data;
	enum hs_result	 res;
	ssize_t		 n;
	int		 err;

	if (hc->done)
		return;
	res = hc->io == HSIO_CONNECT ? HS_RESULT_CONNECT : HS_RESULT_CLOSED;
	if (status < 0) {
		/*
		 * libuv reports any EPOLLERR as UV_EBADF ("bad file
		 * descriptor"); the socket knows what really happened (a
		 * refused connect: ECONNREFUSED).
		 */
		if ((err = hs_sock_error(hc->fd)) != 0)
			hsconn_fail(hc, res, strerror(err));
		else
			hsconn_fail(hc, res, uv_strerror(status));
		return;
	}
	switch (hc->io) {
	case HSIO_CONNECT:
		if ((err = hs_sock_error(hc->fd)) != 0) {
			hsconn_fail(hc, res, strerror(err));
			return;
		}
		if (hc->legacy) {
			hs_complete_legacy(hc, hc->peer, NULL, 0);
			return;
		}
		if (hs_write_msg1(&hc->hs, hc->out) == -1) {
			hsconn_fail(hc, HS_RESULT_ERROR,
			    "cannot build first message");
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
			hsconn_fail(hc, res, strerror(errno));
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
			hsconn_fail(hc, HS_RESULT_CLOSED,
			    "connection closed during handshake");
			return;
		}
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			hsconn_fail(hc, res, strerror(errno));
			return;
		}
		hc->in_have += n;
		if (hc->in_have == hc->in_need)
			hs_got_message(hc);
		return;
	}
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
	if (ipcpd->stopping) {
		close(fd);
		return;
	}
	if (hsguard_admit(ss) == -1) {
		/* Formatted only to be said: this path is a flood's. */
		if (log_ratelimit(&hs_rl)) {
			endpoint_format((const struct sockaddr *)ss, text);
			log_warnx("connection from %s refused: too many "
			    "handshakes from it, or from everyone", text);
		}
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
	/* Counted by the parser: no walk of every peer per connection. */
	if (ipcpd->conf->legacy_waiting > 0) {
		/* Four bytes tell the wires apart (hs_sniffed). */
		hc->sniff = HSCONN_SNIFF_HDR;
		hc->first_ms = HSCONN_LEGACY_FIRST_MS;
		uv_timer_start(&hc->timer, hs_timeout, hc->first_ms, 0);
		hs_want(hc, HSIO_READ, LEGACY_LEN_LEN);
	} else
		hs_want(hc, HSIO_READ, HS_MSG1_LEN);
	if (log_getverbose() && log_ratelimit(&hs_rl))
		log_debug("connection from %s", hc->remote_text);
}

int
hsconn_dial(struct peer *p, const struct sockaddr *sa, socklen_t salen)
{
	struct hsconn	*hc;
	char		 text[ENDPOINT_STRLEN];
	int		 fd;

	endpoint_format(sa, text);
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		log_warn("peer %s: socket", p->conf.name);
		peer_error(p, "connect to %s: socket: %s", text,
		    strerror(errno));
		return -1;
	}
	/* A full tunnel's outer connection must not go into the tunnel. */
	if (tunnel_mark_socket(fd) == -1) {
		peer_error(p, "cannot mark the socket: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (connect(fd, sa, salen) == -1 && errno != EINPROGRESS) {
		log_warn("peer %s: connect %s", p->conf.name, text);
		peer_error(p, "connect to %s: %s", text, strerror(errno));
		close(fd);
		return -1;
	}
	if ((hc = hs_new(fd, HS_INITIATOR, sa)) == NULL) {
		peer_error(p, "connect to %s: out of memory", text);
		close(fd);
		return -1;
	}
	hc->peer = p;
	snprintf(hc->peer_name, sizeof(hc->peer_name), "%s", p->conf.name);
	p->dial = hc;
	hc->local = ipcpd->conf->key;
	if (p->conf.wire == CONFIG_WIRE_LEGACY) {
		hc->legacy = 1;
		log_debug("peer %s: dialing %s (legacy wire)", p->conf.name,
		    text);
		hs_want(hc, HSIO_CONNECT, 0);
		return 0;
	}
	if (hs_initiator_init(&hc->hs, &hc->local, p->conf.pubkey,
	    p->conf.has_psk ? p->conf.psk : NULL, ipcpd->local_caps) == -1) {
		peer_error(p, "handshake with %s: cannot start", text);
		hs_release(hc, 0);
		return -1;
	}
	log_debug("peer %s: dialing %s", p->conf.name, text);
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
