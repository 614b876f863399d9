/* SPDX-License-Identifier: ISC */
/*
 * ipcp-attack: the adversary of the netns tests (t_hsflood, t_ctlflood).
 * It speaks ipcp's wire with the project's own handshake and frame code,
 * and misbehaves in one of three ways:
 *
 *   idle HOST:PORT N SECONDS SRC...
 *	open N TCP connections to the handshake port, round-robin from the
 *	source addresses, send nothing, and for SECONDS open again (up to
 *	2000 a second) each one ipcpd closes
 *   forged HOST:PORT PUBKEY RATE SECONDS SRC...
 *	first handshake messages with a valid mac1 for the responder's
 *	public key (anyone can compute it) and garbage behind it, RATE a
 *	second, each on a new connection: every one makes ipcpd do X25519
 *   control HOST:PORT PRIVKEYFILE PEERPUB PREFIX RATE SECONDS
 *	a real, authenticated peer (its key is in the victim's config)
 *	that floods CONTROL: PREFIX announced and withdrawn RATE times a
 *	second, with malformed messages in between, while it answers
 *	heartbeats so the session stays up
 *
 * It prints one line of counters at the end.  Test use only: it is built
 * into build/tests/, never installed.
 */
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "frame.h"
#include "handshake.h"
#include "msg.h"
#include "util.h"
#include "../mac1_ref.h"

#define MAX_FDS		8192

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "ipcp-attack: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: ipcp-attack idle HOST:PORT N SECONDS SRC...\n"
	    "       ipcp-attack forged HOST:PORT PUBKEY RATE SECONDS SRC...\n"
	    "       ipcp-attack control HOST:PORT PRIVKEYFILE PEERPUB PREFIX "
	    "RATE SECONDS\n");
	exit(2);
}

/* A TCP connection to `to' from `src' (NULL: any), blocking or not. */
static int
dial(const struct sockaddr_storage *to, socklen_t tolen, const char *src,
    int nonblock)
{
	struct sockaddr_in	sin;
	int			fd;

	fd = socket(to->ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd == -1)
		return -1;
	if (src != NULL) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		if (inet_pton(AF_INET, src, &sin.sin_addr) != 1 ||
		    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (const struct sockaddr *)to, tolen) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint64_t
ms(void)
{
	return now_ms();
}

/* ---- idle ---------------------------------------------------------- */

/* Connections reopened a second, at most. */
#define IDLE_REOPEN_PER_S	2000

static int
run_idle(const struct sockaddr_storage *to, socklen_t tolen, int n,
    int secs, char **src, int nsrc)
{
	static struct pollfd	pfd[MAX_FDS];
	uint64_t		end = ms() + secs * 1000ULL;
	int			i, open_n = 0, closed = 0, failed = 0;
	int			reopened = 0, tried = 0, budget, next = 0;
	uint64_t		start = ms();
	char			buf[64];

	if (n > MAX_FDS)
		n = MAX_FDS;
	for (i = 0; i < n; i++) {
		pfd[i].fd = dial(to, tolen, src[i % nsrc], 1);
		pfd[i].events = POLLIN;
		if (pfd[i].fd == -1)
			failed++;
		else
			open_n++;
	}
	printf("idle: %d opened, %d failed\n", open_n, failed);
	fflush(stdout);
	/*
	 * Hold them, and open again, from the same address, each one
	 * ipcpd closes: the slots stay under siege for the whole run.
	 */
	while (ms() < end) {
		if (poll(pfd, n, 10) > 0) {
			for (i = 0; i < n; i++) {
				if (pfd[i].fd == -1 || !(pfd[i].revents &
				    (POLLIN | POLLHUP | POLLERR)))
					continue;
				if (read(pfd[i].fd, buf, sizeof(buf)) > 0)
					continue;
				close(pfd[i].fd);
				pfd[i].fd = -1;
				closed++;
			}
		}
		budget = (int)((ms() - start) * IDLE_REOPEN_PER_S / 1000) -
		    tried;
		for (i = 0; i < n && budget > 0; i++, next = (next + 1) % n) {
			if (pfd[next].fd != -1)
				continue;
			pfd[next].fd = dial(to, tolen, src[next % nsrc], 1);
			budget--;
			tried++;
			if (pfd[next].fd != -1)
				reopened++;
		}
	}
	printf("idle: %d closed by the other end, %d reopened\n", closed,
	    reopened);
	return 0;
}

/* ---- forged -------------------------------------------------------- */

static int
run_forged(const struct sockaddr_storage *to, socklen_t tolen,
    const uint8_t pub[KEY_LEN], int rate, int secs, char **src, int nsrc)
{
	uint8_t		 msg[HS_MSG1_LEN];
	uint64_t	 start = ms(), end = start + secs * 1000ULL, sent = 0;
	uint64_t	 due;
	int		 fd, fails = 0, i = 0;

	while (ms() < end) {
		due = start + sent * 1000 / rate;
		if (ms() < due) {
			usleep(1000);
			continue;
		}
		if ((fd = dial(to, tolen, src[i++ % nsrc], 0)) == -1) {
			fails++;
			sent++;
			continue;
		}
		randombytes_buf(msg, sizeof(msg));
		msg[0] = HS_TYPE_MSG1;
		msg[1] = HS_VERSION;
		msg[2] = msg[3] = 0;
		mac1_set(msg, sizeof(msg), pub);
		if (write(fd, msg, sizeof(msg)) != sizeof(msg))
			fails++;
		close(fd);
		sent++;
	}
	printf("forged: %llu first messages, %d failed to go\n",
	    (unsigned long long)sent, fails);
	return 0;
}

/* ---- control -------------------------------------------------------- */

struct sess {
	int			fd;
	struct frame_key	tx, rx;
	uint8_t			in[2 * FRAME_MAX_LEN];
	size_t			have;
};

static void
read_exact(int fd, uint8_t *buf, size_t len)
{
	ssize_t	n;
	size_t	got = 0;

	while (got < len) {
		if ((n = read(fd, buf + got, len - got)) <= 0)
			die("handshake read");
		got += n;
	}
}

static void
sess_send(struct sess *s, uint8_t type, const uint8_t *p, size_t len)
{
	static uint8_t	buf[FRAME_MAX_LEN];
	size_t		n, off = 0;
	ssize_t		w;

	memcpy(buf + FRAME_HDR_LEN, p, len);
	if ((n = frame_seal(&s->tx, type, buf, len)) == 0)
		die("seal");
	while (off < n) {
		if ((w = write(s->fd, buf + off, n - off)) == -1) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		off += w;
	}
}

/* Answer heartbeats waiting on the socket; exit when the session ends. */
static void
sess_poll(struct sess *s)
{
	uint8_t		*payload, type;
	uint32_t	 body;
	size_t		 plen;
	ssize_t		 n;

	for (;;) {
		n = recv(s->fd, s->in + s->have, sizeof(s->in) - s->have,
		    MSG_DONTWAIT);
		if (n == 0) {
			printf("control: the session was closed\n");
			exit(3);
		}
		if (n < 0)
			break;
		s->have += n;
	}
	while (s->have >= FRAME_HDR_LEN) {
		if (frame_header(s->in, &type, &body) == -1)
			die("frame header");
		if (s->have < FRAME_HDR_LEN + body)
			break;
		if (frame_open(&s->rx, s->in, FRAME_HDR_LEN + body, &payload,
		    &plen) == -1)
			die("frame open");
		if (type == FRAME_HEARTBEAT)
			sess_send(s, FRAME_HEARTBEAT_ACK, payload, plen);
		if (type == FRAME_CLOSE) {
			printf("control: closed by the peer: %.*s\n",
			    (int)plen, payload);
			exit(3);
		}
		memmove(s->in, s->in + FRAME_HDR_LEN + body,
		    s->have - FRAME_HDR_LEN - body);
		s->have -= FRAME_HDR_LEN + body;
	}
}

static void
send_control(struct sess *s, const Ipcp__Control *c)
{
	uint8_t	buf[FRAME_MAX_CONTROL];
	size_t	n;

	if ((n = msg_control_pack(c, buf, sizeof(buf))) == 0)
		die("pack");
	sess_send(s, FRAME_CONTROL, buf, n);
}

static int
run_control(const struct sockaddr_storage *to, socklen_t tolen,
    const char *keyfile, const uint8_t peer[KEY_LEN], const char *pfxtext,
    int rate, int secs)
{
	static struct sess	 s;
	struct hs_keypair	 kp;
	struct hs_state		 hs;
	struct hs_session	 keys;
	uint8_t			 priv[KEY_LEN], m1[HS_MSG1_LEN];
	uint8_t			 m2[HS_MSG2_LEN], m3[HS_MSG3_LEN];
	Ipcp__Control		 c = IPCP__CONTROL__INIT;
	Ipcp__Hello		 h = IPCP__HELLO__INIT;
	Ipcp__RouteUpdate	 u = IPCP__ROUTE_UPDATE__INIT;
	Ipcp__Route		 r = IPCP__ROUTE__INIT, *rp = &r;
	Ipcp__Prefix		 p, *pp = &p;
	struct prefix		 pfx;
	char			*path[] = { "attacker" };
	uint8_t			 junk[64];
	uint64_t		 start, end, sent = 0, due;
	int			 one = 1;

	if (key_read_file(keyfile, priv) == -1 ||
	    hs_keypair_from_private(&kp, priv) == -1)
		die(keyfile);
	if (prefix_parse(pfxtext, &pfx) == -1) {
		errno = EINVAL;
		die(pfxtext);
	}
	if ((s.fd = dial(to, tolen, NULL, 0)) == -1)
		die("connect");
	setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (hs_initiator_init(&hs, &kp, peer, NULL, hs_local_caps()) == -1 ||
	    hs_write_msg1(&hs, m1) == -1)
		die("msg1");
	if (write(s.fd, m1, sizeof(m1)) != sizeof(m1))
		die("write msg1");
	read_exact(s.fd, m2, sizeof(m2));
	if (hs_read_msg2(&hs, m2) == -1 || hs_write_msg3(&hs, m3, &keys) == -1)
		die("handshake");
	if (write(s.fd, m3, sizeof(m3)) != sizeof(m3))
		die("write msg3");
	if (frame_key_init(&s.tx, keys.cipher, keys.tx_key) == -1 ||
	    frame_key_init(&s.rx, keys.cipher, keys.rx_key) == -1)
		die("keys");

	h.node_name = "attacker";
	h.version = MSG_HELLO_VERSION;
	c.body_case = IPCP__CONTROL__BODY_HELLO;
	c.hello = &h;
	send_control(&s, &c);

	msg_prefix_set(&p, &pfx);
	r.prefix = &p;
	r.path = path;
	r.n_path = 1;
	start = ms();
	end = start + secs * 1000ULL;
	while (ms() < end) {
		sess_poll(&s);
		due = start + sent * 1000 / rate;
		if (ms() < due) {
			usleep(500);
			continue;
		}
		/* Announce, withdraw, and something that is not CONTROL. */
		ipcp__route_update__init(&u);
		if (sent % 2 == 0) {
			r.cost = sent % 7;
			u.announce = &rp;
			u.n_announce = 1;
		} else {
			u.withdraw = &pp;
			u.n_withdraw = 1;
		}
		c.body_case = IPCP__CONTROL__BODY_UPDATE;
		c.update = &u;
		send_control(&s, &c);
		randombytes_buf(junk, sizeof(junk));
		sess_send(&s, FRAME_CONTROL, junk, sizeof(junk));
		sent++;
	}
	sess_poll(&s);
	printf("control: %llu updates and %llu malformed messages sent, "
	    "session still up\n", (unsigned long long)sent,
	    (unsigned long long)sent);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_storage	 to;
	socklen_t		 tolen;
	uint8_t			 pub[KEY_LEN];

	if (argc < 3)
		usage();
	if (sodium_init() < 0)
		die("sodium_init");
	signal(SIGPIPE, SIG_IGN);
	if (endpoint_parse(argv[2], &to, &tolen) == -1) {
		errno = EINVAL;
		die(argv[2]);
	}
	if (strcmp(argv[1], "idle") == 0 && argc >= 6)
		return run_idle(&to, tolen, atoi(argv[3]), atoi(argv[4]),
		    argv + 5, argc - 5);
	if (strcmp(argv[1], "forged") == 0 && argc >= 7) {
		if (key_from_base64(pub, argv[3]) == -1) {
			errno = EINVAL;
			die(argv[3]);
		}
		return run_forged(&to, tolen, pub, atoi(argv[4]),
		    atoi(argv[5]), argv + 6, argc - 6);
	}
	if (strcmp(argv[1], "control") == 0 && argc == 8) {
		if (key_from_base64(pub, argv[4]) == -1) {
			errno = EINVAL;
			die(argv[4]);
		}
		return run_control(&to, tolen, argv[3], pub, argv[5],
		    atoi(argv[6]), atoi(argv[7]));
	}
	usage();
}
