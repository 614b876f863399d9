/* SPDX-License-Identifier: ISC */
/*
 * Tests for ipcp-fwd, run against the real binary (as OpenSSH tests
 * `sshd -i'): the test plays ipcpd on fd 3 and the remote forwarder on the
 * other end of the stream.  A SOCK_DGRAM socketpair stands in for the TUN
 * (one read, one virtio-net header and packet; the forwarder cannot tell)
 * and a SOCK_STREAM socketpair for the TCP socket.
 * The binary is $IPCP_FWD, or ipcp-fwd in the build directory above this
 * test.  Needs root: the forwarder chroots and drops to nobody.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "frame.h"
#include "msg.h"
#include "paths.h"
#include "util.h"
#include "vnet.h"

#define NOBODY		65534
/* Every wait is bounded by this unless a test says otherwise. */
#define WAIT_MS		5000

struct opts {
	uint32_t	heartbeat_ms;
	uint32_t	dead_after_ms;
	int		cipher;
	int		real_tcp;	/* loopback TCP, not a socketpair */
	int		initiator;	/* it dialed: it heartbeats */
};

static const struct opts default_opts = { 60000, 120000,
    FRAME_CIPHER_CHACHA20POLY1305, 0, 0 };

struct fx {
	pid_t			 pid;
	int			 pidfd;
	int			 chan;	/* our ends */
	int			 tun;
	int			 tcp;
	/* The forwarder's ends, as /proc/PID/fd shows them. */
	char			 chan_link[64];
	char			 tun_link[64];
	char			 tcp_link[64];
	struct frame_key	 tx;	/* ours: the forwarder's rx */
	struct frame_key	 rx;
	uint8_t			 ibuf[2 * FRAME_MAX_LEN];
	size_t			 ilen;
	int			 exited;
	int			 status;
};

static const char *
fwd_path(void)
{
	static char	path[PATH_MAX];
	char		self[PATH_MAX];
	ssize_t		n;
	const char	*env;

	if ((env = getenv("IPCP_FWD")) != NULL && *env != '\0')
		return env;
	/* The test runs from $(B)/tests/; the forwarder is $(B)/ipcp-fwd. */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1)
		return "build/ipcp-fwd";
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/ipcp-fwd", dirname(dirname(self)));
	return path;
}

static void
empty_dir(void)
{
	/* ipcpd makes this at start; here the test stands in for it. */
	if (mkdir("/run/ipcp", 0755) == -1)
		assert_int_equal(errno, EEXIST);
	if (mkdir(IPCP_EMPTY_DIR, 0755) == -1)
		assert_int_equal(errno, EEXIST);
}

static void
sock_link(int fd, char *out, size_t len)
{
	struct stat	st;

	assert_int_equal(fstat(fd, &st), 0);
	snprintf(out, len, "socket:[%lu]", (unsigned long)st.st_ino);
}

/*
 * We play ipcpd, and sometimes a broken one: the test's channel lets any
 * body through, so the forwarder's own checks are what is tested.
 */
static const struct msg_chan any_chan = {
	"test", MSG_MAX_FWD, 1, ~0ULL
};

static void
fx_send(struct fx *fx, const Ipcp__Envelope *env, int fd)
{
	assert_int_equal(msg_send(fx->chan, &any_chan, env, fd), 0);
}

/* A connected loopback TCP pair, as ipcpd would hand one over. */
static void
tcp_pair(int sv[2])
{
	struct sockaddr_in	sin;
	socklen_t		slen = sizeof(sin);
	int			lfd, fl;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &slen), 0);
	sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(sv[0] >= 0);
	assert_int_equal(connect(sv[0], (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	sv[1] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(sv[1] >= 0);
	close(lfd);
	fl = fcntl(sv[1], F_GETFL);
	assert_int_equal(fcntl(sv[1], F_SETFL, fl | O_NONBLOCK), 0);
}

static void
fx_start(struct fx *fx, const struct opts *o)
{
	Ipcp__Envelope	 env = IPCP__ENVELOPE__INIT;
	Ipcp__FwdSetup	 setup = IPCP__FWD_SETUP__INIT;
	Ipcp__FwdParams	 params = IPCP__FWD_PARAMS__INIT;
	Ipcp__FwdStream	 stream = IPCP__FWD_STREAM__INIT;
	Ipcp__Prefix	 pfx[2], *ppfx[2] = { &pfx[0], &pfx[1] };
	struct prefix	 p4, p6;
	uint8_t		 ka[FRAME_KEY_LEN], kb[FRAME_KEY_LEN];
	const char	*path = fwd_path();
	int		 ch[2], tn[2], tc[2], devnull;

	assert_int_equal(access(path, X_OK), 0);
	empty_dir();
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    ch), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
	    tn), 0);
	if (o->real_tcp)
		tcp_pair(tc);
	else
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM |
		    SOCK_CLOEXEC, 0, tc), 0);
	sock_link(ch[1], fx->chan_link, sizeof(fx->chan_link));
	sock_link(tn[1], fx->tun_link, sizeof(fx->tun_link));
	sock_link(tc[1], fx->tcp_link, sizeof(fx->tcp_link));

	if ((fx->pid = fork()) == 0) {
		/* As ipcpd does: /dev/null, stderr kept, the channel on 3. */
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull == -1 || dup2(devnull, 0) == -1 ||
		    dup2(devnull, 1) == -1)
			_exit(126);
		if (ch[1] == 3)
			fcntl(3, F_SETFD, 0);
		else if (dup2(ch[1], 3) == -1)
			_exit(126);
		execl(path, "ipcp-fwd", (char *)NULL);
		_exit(127);
	}
	assert_true(fx->pid > 0);
	fx->pidfd = syscall(SYS_pidfd_open, fx->pid, 0);
	assert_true(fx->pidfd >= 0);
	close(ch[1]);
	fx->chan = ch[0];
	fx->tun = tn[0];
	fx->tcp = tc[0];

	assert_int_equal(prefix_parse("10.9.0.0/24", &p4), 0);
	assert_int_equal(prefix_parse("fd00:9::/64", &p6), 0);
	msg_prefix_set(&pfx[0], &p4);
	msg_prefix_set(&pfx[1], &p6);
	params.peer_name = "fwdtest";
	params.heartbeat_ms = o->heartbeat_ms;
	params.dead_after_ms = o->dead_after_ms;
	params.allowed_ips = ppfx;
	params.n_allowed_ips = 2;
	params.verbose = getenv("TEST_VERBOSE") != NULL;
	setup.uid = NOBODY;
	setup.gid = NOBODY;
	setup.params = &params;
	env.body_case = IPCP__ENVELOPE__BODY_FWD_SETUP;
	env.fwd_setup = &setup;
	fx_send(fx, &env, tn[1]);

	randombytes_buf(ka, sizeof(ka));
	randombytes_buf(kb, sizeof(kb));
	stream.cipher = o->cipher;
	stream.initiator = o->initiator;
	stream.tx_key.data = ka;
	stream.tx_key.len = sizeof(ka);
	stream.rx_key.data = kb;
	stream.rx_key.len = sizeof(kb);
	env.body_case = IPCP__ENVELOPE__BODY_FWD_STREAM;
	env.fwd_stream = &stream;
	fx_send(fx, &env, tc[1]);
	close(tn[1]);
	close(tc[1]);

	/* We are the other forwarder: its tx is our rx. */
	assert_int_equal(frame_key_init(&fx->rx, o->cipher, ka), 0);
	assert_int_equal(frame_key_init(&fx->tx, o->cipher, kb), 0);
}

static int
remaining(uint64_t deadline)
{
	uint64_t	now = now_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* Wait for the forwarder to exit; returns 0, or -1 on timeout. */
static int
fx_wait_exit(struct fx *fx, int timeout_ms)
{
	struct pollfd	pfd = { .fd = fx->pidfd, .events = POLLIN };

	if (fx->exited)
		return 0;
	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	assert_int_equal(waitpid(fx->pid, &fx->status, 0), fx->pid);
	fx->exited = 1;
	return 0;
}

static int
setup(void **state)
{
	struct fx	*fx;

	if (sodium_init() < 0 || (fx = calloc(1, sizeof(*fx))) == NULL)
		return -1;
	fx->pid = -1;
	fx->pidfd = fx->chan = fx->tun = fx->tcp = -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	if (fx->pid > 0 && !fx->exited) {
		kill(fx->pid, SIGKILL);
		waitpid(fx->pid, NULL, 0);
	}
	if (fx->pidfd != -1)
		close(fx->pidfd);
	if (fx->chan != -1)
		close(fx->chan);
	if (fx->tun != -1)
		close(fx->tun);
	if (fx->tcp != -1)
		close(fx->tcp);
	frame_key_wipe(&fx->tx);
	frame_key_wipe(&fx->rx);
	free(fx);
	return 0;
}

/* ---- the channel ------------------------------------------------------ */

/*
 * The next message of the given type from the forwarder, or NULL when
 * none came in time or the channel closed.  Logs and stats on the way are
 * skipped (logs printed with TEST_VERBOSE).
 */
/* The next message from the forwarder, or NULL at the deadline. */
static Ipcp__Envelope *
chan_next(struct fx *fx, uint64_t deadline)
{
	struct pollfd	 pfd = { .fd = fx->chan, .events = POLLIN };
	Ipcp__Envelope	*env;

	for (;;) {
		env = msg_recv(fx->chan, &msg_chan_from_fwd, NULL);
		if (env != NULL)
			return env;
		if (errno != EAGAIN)
			return NULL;
		if (poll(&pfd, 1, remaining(deadline)) != 1)
			return NULL;
	}
}

static Ipcp__Envelope *
chan_expect(struct fx *fx, int body_case, int timeout_ms)
{
	Ipcp__Envelope	*env;
	uint64_t	 deadline = now_ms() + timeout_ms;

	while ((env = chan_next(fx, deadline)) != NULL) {
		if ((int)env->body_case == body_case)
			return env;
		if (env->body_case == IPCP__ENVELOPE__BODY_FWD_LOG &&
		    getenv("TEST_VERBOSE") != NULL)
			fprintf(stderr, "fwd log: %s\n", env->fwd_log->text);
		msg_free(env);
	}
	return NULL;
}

/* The next message of any kind from the forwarder but a log line. */
static Ipcp__Envelope *
chan_expect_any(struct fx *fx, int timeout_ms)
{
	Ipcp__Envelope	*env;
	uint64_t	 deadline = now_ms() + timeout_ms;

	while ((env = chan_next(fx, deadline)) != NULL) {
		if (env->body_case != IPCP__ENVELOPE__BODY_FWD_LOG)
			return env;
		msg_free(env);
	}
	return NULL;
}

/* The reason in the forwarder's last word, which must come. */
static void
expect_close_reason(struct fx *fx, const char *want)
{
	Ipcp__Envelope	*env;

	env = chan_expect(fx, IPCP__ENVELOPE__BODY_FWD_CLOSE, WAIT_MS);
	assert_non_null(env);
	if (strstr(env->fwd_close->reason, want) == NULL)
		fail_msg("close reason \"%s\", want \"%s\"",
		    env->fwd_close->reason, want);
	msg_free(env);
}

static void
expect_exit(struct fx *fx, int code)
{
	assert_int_equal(fx_wait_exit(fx, WAIT_MS), 0);
	if (!WIFEXITED(fx->status))
		fail_msg("forwarder died of signal %d", WTERMSIG(fx->status));
	assert_int_equal(WEXITSTATUS(fx->status), code);
}

/* ---- the stream -------------------------------------------------------- */

static void
peer_send(struct fx *fx, uint8_t type, const void *data, size_t len)
{
	static uint8_t	buf[FRAME_MAX_LEN];
	size_t		n;

	if (len > 0)
		memcpy(buf + FRAME_HDR_LEN, data, len);
	n = frame_seal(&fx->tx, type, buf, len);
	assert_true(n > 0);
	assert_int_equal(write(fx->tcp, buf, n), (ssize_t)n);
}

static void
peer_write_raw(struct fx *fx, const void *data, size_t len)
{
	assert_int_equal(write(fx->tcp, data, len), (ssize_t)len);
}

/*
 * The next frame from the forwarder, whatever its type (its rekeys are
 * followed): returns the payload length and sets *type, or -1 on timeout
 * or end of stream.
 */
static ssize_t
peer_next(struct fx *fx, uint8_t *type, uint8_t *out, size_t outlen,
    int timeout_ms)
{
	struct pollfd	 pfd = { .fd = fx->tcp, .events = POLLIN };
	uint64_t	 deadline = now_ms() + timeout_ms;
	uint8_t		*payload;
	uint32_t	 body;
	size_t		 plen, need;
	ssize_t		 n;

	for (;;) {
		if (fx->ilen >= FRAME_HDR_LEN) {
			assert_int_equal(frame_header(fx->ibuf, type, &body),
			    0);
			need = FRAME_HDR_LEN + body;
			if (fx->ilen >= need) {
				assert_int_equal(frame_open(&fx->rx, fx->ibuf,
				    need, &payload, &plen), 0);
				if (plen <= outlen)
					memcpy(out, payload, plen);
				memmove(fx->ibuf, fx->ibuf + need,
				    fx->ilen - need);
				fx->ilen -= need;
				if (*type == FRAME_REKEY)
					assert_int_equal(frame_key_ratchet(
					    &fx->rx), 0);
				return plen;
			}
		}
		if (poll(&pfd, 1, remaining(deadline)) != 1)
			return -1;
		n = read(fx->tcp, fx->ibuf + fx->ilen,
		    sizeof(fx->ibuf) - fx->ilen);
		if (n <= 0)
			return -1;
		fx->ilen += n;
	}
}

/*
 * The next frame of type `want' from the forwarder (its heartbeats are
 * skipped, its rekeys followed).  Returns the payload length, or -1 on
 * timeout or end of stream.
 */
static ssize_t
peer_expect(struct fx *fx, uint8_t want, uint8_t *out, size_t outlen,
    int timeout_ms)
{
	uint64_t	deadline = now_ms() + timeout_ms;
	uint8_t		type;
	ssize_t		n;

	for (;;) {
		n = peer_next(fx, &type, out, outlen, remaining(deadline));
		if (n == -1)
			return -1;
		if (type == want) {
			assert_true((size_t)n <= outlen);
			return n;
		}
	}
}

/* One datagram from the fake TUN, or -1 on timeout. */
static ssize_t
tun_expect(struct fx *fx, uint8_t *out, size_t outlen, int timeout_ms)
{
	struct pollfd	pfd = { .fd = fx->tun, .events = POLLIN };

	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	return recv(fx->tun, out, outlen, 0);
}

/* A heartbeat round trip: proves the forwarder is in its loop. */
static void
roundtrip(struct fx *fx)
{
	uint8_t	ts[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, got[64];

	peer_send(fx, FRAME_HEARTBEAT, ts, sizeof(ts));
	assert_int_equal(peer_expect(fx, FRAME_HEARTBEAT_ACK, got,
	    sizeof(got), WAIT_MS), sizeof(ts));
	assert_memory_equal(got, ts, sizeof(ts));
}

/* ---- packets ----------------------------------------------------------- */

/*
 * Packets as the TUN reads and writes them: a virtio-net header (all
 * zero: no offload) and the IP packet.  Lengths include the header.
 */
static size_t
ipv4_packet(uint8_t *p, const char *src, const char *dst, size_t paylen)
{
	uint8_t	*ip = p + VNET_HDR_LEN;
	size_t	 len = 20 + paylen, i;

	memset(p, 0, VNET_HDR_LEN + 20);
	ip[0] = 0x45;
	ip[2] = len >> 8;
	ip[3] = len;
	ip[8] = 64;
	ip[9] = 17;
	assert_int_equal(inet_pton(AF_INET, src, ip + 12), 1);
	assert_int_equal(inet_pton(AF_INET, dst, ip + 16), 1);
	for (i = 0; i < paylen; i++)
		ip[20 + i] = (uint8_t)(i * 7);
	return VNET_HDR_LEN + len;
}

static size_t
ipv6_packet(uint8_t *p, const char *src, const char *dst, size_t paylen)
{
	uint8_t	*ip = p + VNET_HDR_LEN;
	size_t	 i;

	memset(p, 0, VNET_HDR_LEN + 40);
	ip[0] = 0x60;
	ip[4] = paylen >> 8;
	ip[5] = paylen;
	ip[6] = 17;
	ip[7] = 64;
	assert_int_equal(inet_pton(AF_INET6, src, ip + 8), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, ip + 24), 1);
	for (i = 0; i < paylen; i++)
		ip[40 + i] = (uint8_t)(i * 3);
	return VNET_HDR_LEN + 40 + paylen;
}

/*
 * An IPv4 TCP super-packet as a TUN with offloads hands it out: checksum
 * left to the kernel, to be cut into gso_size segments.  hdr_len is what
 * a TUN fills in loosely (its linear part); the receiver computes its own.
 */
static size_t
tcp4_gso_packet(uint8_t *p, const char *src, const char *dst, size_t paylen,
    uint16_t gso_size, uint16_t hdr_len)
{
	uint8_t	*ip = p + VNET_HDR_LEN;
	size_t	 len = 40 + paylen, i;

	memset(p, 0, VNET_HDR_LEN + 40);
	p[0] = VNET_F_NEEDS_CSUM;
	p[1] = VNET_GSO_TCPV4;
	p[2] = hdr_len;
	p[3] = hdr_len >> 8;
	p[4] = gso_size;
	p[5] = gso_size >> 8;
	p[6] = 20;		/* csum_start: the TCP header */
	p[8] = 16;		/* csum_offset: its checksum */
	ip[0] = 0x45;
	ip[2] = len >> 8;
	ip[3] = len;
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = 6;
	assert_int_equal(inet_pton(AF_INET, src, ip + 12), 1);
	assert_int_equal(inet_pton(AF_INET, dst, ip + 16), 1);
	ip[20 + 12] = 5 << 4;
	ip[20 + 13] = 0x18;
	for (i = 0; i < paylen; i++)
		ip[40 + i] = (uint8_t)(i * 5);
	return VNET_HDR_LEN + len;
}

/* ---- tests ------------------------------------------------------------- */

static void
data_in(struct fx *fx)
{
	uint8_t	pkt[2000], got[2000];
	size_t	len;

	len = ipv4_packet(pkt, "10.9.0.5", "10.8.0.1", 100);
	peer_send(fx, FRAME_DATA, pkt, len);
	assert_int_equal(tun_expect(fx, got, sizeof(got), WAIT_MS), len);
	assert_memory_equal(got, pkt, len);

	len = ipv6_packet(pkt, "fd00:9::7", "fd00:8::1", 1300);
	peer_send(fx, FRAME_DATA, pkt, len);
	assert_int_equal(tun_expect(fx, got, sizeof(got), WAIT_MS), len);
	assert_memory_equal(got, pkt, len);
}

static void
test_data_in(void **state)
{
	struct fx	*fx = *state;

	fx_start(fx, &default_opts);
	data_in(fx);
}

static void
test_data_in_aes(void **state)
{
	struct fx	*fx = *state;
	struct opts	 o = default_opts;

	if (!crypto_aead_aes256gcm_is_available())
		skip();
	o.cipher = FRAME_CIPHER_AES256GCM;
	fx_start(fx, &o);
	data_in(fx);
}

/*
 * Many frames of many sizes, written in bursts that split frames across
 * the forwarder's reads: every packet arrives whole and in order.
 */
static void
test_data_in_bulk(void **state)
{
	struct fx	*fx = *state;
	static uint8_t	 pkt[8][VNET_HDR_LEN + 65535], got[FRAME_MAX_PAYLOAD];
	size_t		 len[8];
	uint32_t	 r, k, i, nb;

	fx_start(fx, &default_opts);
	for (r = 0; r < 300; r++) {
		/* Stay under what the stand-in TUN queues, or it drops. */
		nb = r % 50 == 49 ? 1 : 1 + r % 8;
		for (k = 0; k < nb; k++) {
			len[k] = nb == 1 ? 65535 - 20 :
			    randombytes_uniform(12000);
			len[k] = ipv4_packet(pkt[k], "10.9.0.5", "10.8.0.1",
			    len[k]);
			memcpy(pkt[k] + VNET_HDR_LEN + 20, &r, sizeof(r));
			peer_send(fx, FRAME_DATA, pkt[k], len[k]);
		}
		for (i = 0; i < nb; i++) {
			assert_int_equal(tun_expect(fx, got, sizeof(got),
			    WAIT_MS), len[i]);
			assert_memory_equal(got, pkt[i], len[i]);
		}
	}
	roundtrip(fx);
}

static void
test_data_out(void **state)
{
	struct fx	*fx = *state;
	uint8_t		 pkt[2000], got[FRAME_MAX_PAYLOAD];
	size_t		 len;
	int		 i;

	fx_start(fx, &default_opts);
	/* Several, so the forwarder batches; each is its own frame. */
	for (i = 0; i < 10; i++) {
		len = ipv4_packet(pkt, "10.8.0.1", "10.9.0.5", 50 + i * 100);
		assert_int_equal(send(fx->tun, pkt, len, 0), (ssize_t)len);
	}
	for (i = 0; i < 10; i++) {
		len = ipv4_packet(pkt, "10.8.0.1", "10.9.0.5", 50 + i * 100);
		assert_int_equal(peer_expect(fx, FRAME_DATA, got, sizeof(got),
		    WAIT_MS), len);
		assert_memory_equal(got, pkt, len);
	}
}

static void
test_data_tcp(void **state)
{
	struct fx	*fx = *state;
	struct opts	 o = default_opts;
	uint8_t		 pkt[2000], got[FRAME_MAX_PAYLOAD];
	size_t		 len;

	o.real_tcp = 1;
	fx_start(fx, &o);
	data_in(fx);
	len = ipv6_packet(pkt, "fd00:8::1", "fd00:9::7", 1000);
	assert_int_equal(send(fx->tun, pkt, len, 0), (ssize_t)len);
	assert_int_equal(peer_expect(fx, FRAME_DATA, got, sizeof(got),
	    WAIT_MS), len);
	assert_memory_equal(got, pkt, len);
	/* The test's end goes away as a dead peer's would. */
	close(fx->tcp);
	fx->tcp = -1;
	expect_close_reason(fx, "peer closed the connection");
	expect_exit(fx, 0);
}

static void
test_drop_source(void **state)
{
	struct fx	*fx = *state;
	Ipcp__Envelope	*env;
	uint8_t		 bad[200], good[200], got[200];
	size_t		 blen, glen;
	uint64_t	 deadline;

	fx_start(fx, &default_opts);
	blen = ipv4_packet(bad, "192.168.1.1", "10.8.0.1", 60);
	peer_send(fx, FRAME_DATA, bad, blen);
	/* A v4 header whose total length lies. */
	blen = ipv4_packet(bad, "10.9.0.5", "10.8.0.1", 60);
	bad[VNET_HDR_LEN + 3] ^= 1;
	peer_send(fx, FRAME_DATA, bad, blen);
	blen = ipv6_packet(bad, "fd00:a::1", "fd00:8::1", 20);
	peer_send(fx, FRAME_DATA, bad, blen);
	glen = ipv4_packet(good, "10.9.0.200", "10.8.0.1", 60);
	peer_send(fx, FRAME_DATA, good, glen);

	/* Only the good one arrives, and the session is still up. */
	assert_int_equal(tun_expect(fx, got, sizeof(got), WAIT_MS), glen);
	assert_memory_equal(got, good, glen);
	roundtrip(fx);

	deadline = now_ms() + WAIT_MS;
	for (;;) {
		env = chan_expect(fx, IPCP__ENVELOPE__BODY_FWD_STATS,
		    remaining(deadline));
		assert_non_null(env);
		if (env->fwd_stats->rx_dropped == 3) {
			assert_int_equal(env->fwd_stats->rx_packets, 1);
			/* Inner bytes: the virtio-net header is ours. */
			assert_int_equal(env->fwd_stats->rx_bytes,
			    glen - VNET_HDR_LEN);
			msg_free(env);
			break;
		}
		msg_free(env);
	}
	assert_int_equal(fx_wait_exit(fx, 0), -1);
}

/* An IPv6 link-local source names the peer's end of the link: it passes. */
static void
test_link_local(void **state)
{
	struct fx	*fx = *state;
	uint8_t		 pkt[200], got[200];
	size_t		 len;

	fx_start(fx, &default_opts);
	len = ipv6_packet(pkt, "fe80::1", "ff02::1:6", 40);
	peer_send(fx, FRAME_DATA, pkt, len);
	assert_int_equal(tun_expect(fx, got, sizeof(got), WAIT_MS), len);
	assert_memory_equal(got, pkt, len);
}

/* FwdUpdate (a reload) changes the source filter of the running session. */
static void
test_update(void **state)
{
	struct fx		*fx = *state;
	Ipcp__Envelope		 env = IPCP__ENVELOPE__INIT;
	struct fwd_params	 fp;
	static struct msg_fwd_buf b;
	uint8_t			 pkt[200], got[200];
	size_t			 len;

	fx_start(fx, &default_opts);
	len = ipv4_packet(pkt, "10.7.0.5", "10.8.0.1", 60);
	peer_send(fx, FRAME_DATA, pkt, len);
	roundtrip(fx);
	assert_int_equal(tun_expect(fx, got, sizeof(got), 200), -1);

	memset(&fp, 0, sizeof(fp));
	snprintf(fp.peer_name, sizeof(fp.peer_name), "renamed");
	fp.heartbeat_ms = default_opts.heartbeat_ms;
	fp.dead_after_ms = default_opts.dead_after_ms;
	assert_int_equal(prefix_parse("10.7.0.0/24", &fp.allowed[0]), 0);
	fp.n_allowed = 1;
	msg_fwd_update_build(&env, &b, &fp);
	fx_send(fx, &env, -1);
	roundtrip(fx);
	peer_send(fx, FRAME_DATA, pkt, len);
	assert_int_equal(tun_expect(fx, got, sizeof(got), WAIT_MS), len);
	/* And what was allowed before no longer is. */
	len = ipv4_packet(pkt, "10.9.0.5", "10.8.0.1", 60);
	peer_send(fx, FRAME_DATA, pkt, len);
	roundtrip(fx);
	assert_int_equal(tun_expect(fx, got, sizeof(got), 200), -1);
}

static void
test_heartbeat(void **state)
{
	struct fx	*fx = *state;
	struct opts	 o = default_opts;
	Ipcp__Envelope	*env;
	uint8_t		 ts[64];
	uint64_t	 deadline;
	ssize_t		 n;

	o.heartbeat_ms = 100;
	o.dead_after_ms = 10000;
	fx_start(fx, &o);
	roundtrip(fx);

	/* Its own heartbeat comes, carries a timestamp, and we answer it. */
	n = peer_expect(fx, FRAME_HEARTBEAT, ts, sizeof(ts), WAIT_MS);
	assert_int_equal(n, 8);
	peer_send(fx, FRAME_HEARTBEAT_ACK, ts, n);
	deadline = now_ms() + WAIT_MS;
	for (;;) {
		env = chan_expect(fx, IPCP__ENVELOPE__BODY_FWD_STATS,
		    remaining(deadline));
		assert_non_null(env);
		if (env->fwd_stats->rtt_us > 0) {
			/* Generous: both ends are on this host. */
			assert_true(env->fwd_stats->rtt_us < 2000000);
			msg_free(env);
			break;
		}
		msg_free(env);
	}
}

/*
 * What an idle session did over ms: the forwarder's own heartbeats (each
 * acked at once, as a peer does), its acks of ours (sent every `every'
 * ms, none if 0), and the longest gap between its reports to ipcpd.
 */
struct idle_count {
	int		hb;
	int		acks;
	int		reports;
	uint64_t	max_gap;
	uint64_t	rtt_us;
};

static void
idle_run(struct fx *fx, int ms, int every, struct idle_count *c)
{
	uint8_t		 ts[8] = { 0 }, got[64], type;
	uint64_t	 start = now_ms(), end = start + ms, next = start;
	uint64_t	 last = start, now;
	Ipcp__Envelope	*env;
	ssize_t		 n;

	memset(c, 0, sizeof(*c));
	while ((now = now_ms()) < end) {
		if (every > 0 && now >= next) {
			peer_send(fx, FRAME_HEARTBEAT, ts, sizeof(ts));
			next = now + every;
		}
		n = peer_next(fx, &type, got, sizeof(got), 20);
		if (n > 0 && type == FRAME_HEARTBEAT) {
			c->hb++;
			peer_send(fx, FRAME_HEARTBEAT_ACK, got, n);
		} else if (n > 0 && type == FRAME_HEARTBEAT_ACK)
			c->acks++;
		while ((env = chan_next(fx, now_ms())) != NULL) {
			if (env->body_case == IPCP__ENVELOPE__BODY_FWD_STATS) {
				now = now_ms();
				if (now - last > c->max_gap)
					c->max_gap = now - last;
				last = now;
				c->reports++;
				c->rtt_us = env->fwd_stats->rtt_us;
			}
			msg_free(env);
		}
	}
	now = now_ms();
	if (now - last > c->max_gap)
		c->max_gap = now - last;
}

/*
 * The side that accepted answers the peer's heartbeats and sends few of
 * its own: one now and then for the round trip, with an ack.  Idle, its
 * reports to ipcpd are rare but never further apart than dead-after.
 * When the peer stops heartbeating, it heartbeats itself.
 */
static void
test_heartbeat_answerer(void **state)
{
	struct fx		*fx = *state;
	struct opts		 o = default_opts;
	struct idle_count	 c;
	uint8_t			 ts[64], type;
	ssize_t			 n;

	o.heartbeat_ms = 200;
	o.dead_after_ms = 2000;
	fx_start(fx, &o);
	idle_run(fx, 3000, 200, &c);
	/* One probe at the start, the next only after 24 intervals (4.8 s). */
	assert_in_range(c.hb, 1, 3);
	assert_true(c.acks >= 10);
	assert_true(c.rtt_us > 0);
	/* Idle: a report every dead-after/2 or so, never near dead-after. */
	assert_true(c.max_gap < o.dead_after_ms);
	assert_in_range(c.reports, 1, 5);
	/* Quiet peer: its own heartbeat after 1.5 intervals. */
	n = peer_next(fx, &type, ts, sizeof(ts), 1000);
	assert_int_equal(n, 8);
	assert_int_equal(type, FRAME_HEARTBEAT);
}

/*
 * The side that dialed heartbeats every interval, whether or not the peer
 * heartbeats too (as the previous version does both ways).
 */
static void
test_heartbeat_initiator(void **state)
{
	struct fx		*fx = *state;
	struct opts		 o = default_opts;
	struct idle_count	 c;

	o.heartbeat_ms = 100;
	o.dead_after_ms = 2000;
	o.initiator = 1;
	fx_start(fx, &o);
	idle_run(fx, 1500, 0, &c);
	assert_in_range(c.hb, 12, 16);
	assert_true(c.max_gap < o.dead_after_ms);
	assert_true(c.rtt_us > 0);
	idle_run(fx, 1500, 100, &c);
	assert_in_range(c.hb, 12, 16);
	assert_true(c.acks >= 12);
}

static size_t
hello(uint8_t *buf, size_t len)
{
	Ipcp__Control	c = IPCP__CONTROL__INIT;
	Ipcp__Hello	h = IPCP__HELLO__INIT;

	h.node_name = "beta";
	h.version = MSG_HELLO_VERSION;
	c.body_case = IPCP__CONTROL__BODY_HELLO;
	c.hello = &h;
	return msg_control_pack(&c, buf, len);
}

/* The peer's CONTROL reaches ipcpd unpacked, validated and typed. */
static void
test_control_in(void **state)
{
	struct fx	*fx = *state;
	Ipcp__Envelope	*env;
	uint8_t		 buf[256];
	size_t		 len;

	fx_start(fx, &default_opts);
	len = hello(buf, sizeof(buf));
	assert_true(len > 0);
	peer_send(fx, FRAME_CONTROL, buf, len);
	env = chan_expect(fx, IPCP__ENVELOPE__BODY_CONTROL, WAIT_MS);
	assert_non_null(env);
	assert_int_equal(env->control->body_case, IPCP__CONTROL__BODY_HELLO);
	assert_string_equal(env->control->hello->node_name, "beta");
	assert_int_equal(env->control->hello->version, MSG_HELLO_VERSION);
	msg_free(env);
}

/* A route update whose one announcement has host bits in its prefix. */
static size_t
bad_update(uint8_t *buf, size_t len)
{
	Ipcp__Control		 c = IPCP__CONTROL__INIT;
	Ipcp__RouteUpdate	 u = IPCP__ROUTE_UPDATE__INIT;
	Ipcp__Route		 r = IPCP__ROUTE__INIT, *rp = &r;
	Ipcp__Prefix		 p = IPCP__PREFIX__INIT;
	uint8_t			 addr[4] = { 10, 9, 0, 5 };
	char			*path[] = { "beta" };

	p.addr.data = addr;
	p.addr.len = 4;
	p.plen = 24;
	r.prefix = &p;
	r.path = path;
	r.n_path = 1;
	u.announce = &rp;
	u.n_announce = 1;
	c.body_case = IPCP__CONTROL__BODY_UPDATE;
	c.update = &u;
	return msg_control_pack(&c, buf, len);
}

/*
 * What does not validate never reaches ipcpd: garbage and a malformed
 * update are counted and dropped, the session goes on, and a good
 * message after them still arrives.
 */
static void
test_control_invalid(void **state)
{
	struct fx	*fx = *state;
	Ipcp__Envelope	*env;
	uint8_t		 buf[256], junk[32];
	size_t		 len;

	fx_start(fx, &default_opts);
	memset(junk, 0xff, sizeof(junk));
	peer_send(fx, FRAME_CONTROL, junk, sizeof(junk));
	len = bad_update(buf, sizeof(buf));
	assert_true(len > 0);
	peer_send(fx, FRAME_CONTROL, buf, len);
	len = hello(buf, sizeof(buf));
	peer_send(fx, FRAME_CONTROL, buf, len);
	/* The first CONTROL to arrive is the hello. */
	env = chan_expect(fx, IPCP__ENVELOPE__BODY_CONTROL, WAIT_MS);
	assert_non_null(env);
	assert_int_equal(env->control->body_case, IPCP__CONTROL__BODY_HELLO);
	msg_free(env);
	roundtrip(fx);
	for (;;) {
		env = chan_expect(fx, IPCP__ENVELOPE__BODY_FWD_STATS,
		    2 * WAIT_MS);
		assert_non_null(env);
		if (env->fwd_stats->control_invalid == 2) {
			msg_free(env);
			break;
		}
		assert_true(env->fwd_stats->control_invalid < 2);
		msg_free(env);
	}
}

/*
 * A peer that floods CONTROL: past the burst the forwarder drops and
 * counts, ipcpd gets no more than the limit lets through, and the
 * session goes on.
 */
static void
test_control_flood(void **state)
{
	struct fx	*fx = *state;
	Ipcp__Envelope	*env;
	uint8_t		 buf[256];
	size_t		 len, i, n = 1500;
	uint64_t	 flood = 0, passed = 0;

	fx_start(fx, &default_opts);
	len = hello(buf, sizeof(buf));
	for (i = 0; i < n; i++)
		peer_send(fx, FRAME_CONTROL, buf, len);
	roundtrip(fx);
	while (flood == 0 || passed + flood < n) {
		env = chan_expect_any(fx, 2 * WAIT_MS);
		assert_non_null(env);
		if (env->body_case == IPCP__ENVELOPE__BODY_CONTROL)
			passed++;
		else if (env->body_case == IPCP__ENVELOPE__BODY_FWD_STATS)
			flood = env->fwd_stats->control_flood;
		msg_free(env);
	}
	assert_true(flood > 0);
	assert_int_equal(passed + flood, n);
	/* The burst and a little refill, not the flood. */
	assert_true(passed >= 1000 && passed < 1300);
	roundtrip(fx);
}

static void
test_control_out(void **state)
{
	struct fx	*fx = *state;
	Ipcp__Envelope	 env = IPCP__ENVELOPE__INIT;
	Ipcp__Control	*c;
	uint8_t		 buf[256], got[FRAME_MAX_CONTROL];
	ssize_t		 n;
	size_t		 len;

	fx_start(fx, &default_opts);
	len = hello(buf, sizeof(buf));
	c = msg_control_unpack(buf, len);
	assert_non_null(c);
	env.body_case = IPCP__ENVELOPE__BODY_CONTROL;
	env.control = c;
	fx_send(fx, &env, -1);
	n = peer_expect(fx, FRAME_CONTROL, got, sizeof(got), WAIT_MS);
	assert_int_equal(n, len);
	assert_memory_equal(got, buf, len);
	msg_control_free(c);
}

/* An update of `n' withdrawals, each a distinct /32, `seq' in the first. */
static Ipcp__Control *
big_update(unsigned seq, size_t n)
{
	static Ipcp__Prefix	 p[MSG_MAX_UPDATE], *pp[MSG_MAX_UPDATE];
	static uint8_t		 addr[MSG_MAX_UPDATE][4];
	static Ipcp__RouteUpdate u;
	static Ipcp__Control	 c;
	size_t			 i;

	ipcp__route_update__init(&u);
	ipcp__control__init(&c);
	for (i = 0; i < n; i++) {
		ipcp__prefix__init(&p[i]);
		addr[i][0] = 10;
		addr[i][1] = seq;
		addr[i][2] = i >> 8;
		addr[i][3] = i;
		p[i].addr.data = addr[i];
		p[i].addr.len = 4;
		p[i].plen = 32;
		pp[i] = &p[i];
	}
	u.withdraw = pp;
	u.n_withdraw = n;
	c.body_case = IPCP__CONTROL__BODY_UPDATE;
	c.update = &u;
	return &c;
}

/*
 * More CONTROL than the priority frames hold at once (a whole route
 * table): none is lost, they reach the peer in order, and the session
 * goes on.
 */
static void
test_control_burst(void **state)
{
	struct fx	*fx = *state;
	Ipcp__Envelope	 env = IPCP__ENVELOPE__INIT;
	Ipcp__Control	*c;
	uint8_t		 got[FRAME_MAX_CONTROL];
	unsigned	 i, burst = 40;
	ssize_t		 n;

	fx_start(fx, &default_opts);
	for (i = 0; i < burst; i++) {
		env.body_case = IPCP__ENVELOPE__BODY_CONTROL;
		env.control = big_update(i, MSG_MAX_UPDATE);
		fx_send(fx, &env, -1);
	}
	for (i = 0; i < burst; i++) {
		n = peer_expect(fx, FRAME_CONTROL, got, sizeof(got), WAIT_MS);
		assert_true(n > 0);
		c = msg_control_unpack(got, n);
		assert_non_null(c);
		assert_int_equal(c->body_case, IPCP__CONTROL__BODY_UPDATE);
		assert_int_equal(c->update->n_withdraw, MSG_MAX_UPDATE);
		/* In order: the second byte of the first prefix is i. */
		assert_int_equal(c->update->withdraw[0]->addr.data[1], i);
		msg_control_free(c);
	}
	roundtrip(fx);
}

static void
test_garbage(void **state)
{
	struct fx	*fx = *state;
	const char	 req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	fx_start(fx, &default_opts);
	peer_write_raw(fx, req, sizeof(req) - 1);
	expect_close_reason(fx, "unknown frame type");
	expect_exit(fx, 0);
}

static void
test_huge_header(void **state)
{
	struct fx	*fx = *state;
	const uint8_t	 hdr[] = { 0xff, 0xff, 0xff, 0xff, FRAME_DATA };

	fx_start(fx, &default_opts);
	/* Just the header: it must not wait for 4 GiB to follow. */
	peer_write_raw(fx, hdr, sizeof(hdr));
	expect_close_reason(fx, "frame too long (4294967295 bytes)");
	expect_exit(fx, 0);
}

static void
test_bad_tag(void **state)
{
	struct fx	*fx = *state;
	uint8_t		 buf[FRAME_HDR_LEN + 200 + FRAME_TAG_LEN];
	size_t		 len, n;

	fx_start(fx, &default_opts);
	len = ipv4_packet(buf + FRAME_HDR_LEN, "10.9.0.5", "10.8.0.1", 100);
	n = frame_seal(&fx->tx, FRAME_DATA, buf, len);
	assert_true(n > 0);
	buf[n - 1] ^= 0x40;
	peer_write_raw(fx, buf, n);
	expect_close_reason(fx, "authentication failed");
	expect_exit(fx, 0);
	/* Nothing reached the TUN. */
	assert_int_equal(tun_expect(fx, buf, sizeof(buf), 0), -1);
}

static void
test_dead_after(void **state)
{
	struct fx	*fx = *state;
	struct opts	 o = default_opts;
	uint8_t		 got[FRAME_MAX_CONTROL];
	uint64_t	 start;
	ssize_t		 n;

	o.heartbeat_ms = 100;
	o.dead_after_ms = 400;
	fx_start(fx, &o);
	start = now_ms();
	expect_close_reason(fx, "no frame from peer for 400 ms");
	assert_true(now_ms() - start >= 400);
	expect_exit(fx, 0);
	/* It told us why, too. */
	n = peer_expect(fx, FRAME_CLOSE, got, sizeof(got), WAIT_MS);
	assert_true(n > 0);
	assert_memory_equal(got, "no frame from peer", 18);
}

static void
test_close_from_chan(void **state)
{
	struct fx	*fx = *state;
	Ipcp__Envelope	 env = IPCP__ENVELOPE__INIT;
	Ipcp__FwdClose	 cl = IPCP__FWD_CLOSE__INIT;
	uint8_t		 got[FRAME_MAX_CONTROL];

	fx_start(fx, &default_opts);
	cl.reason = "shutting down";
	env.body_case = IPCP__ENVELOPE__BODY_FWD_CLOSE;
	env.fwd_close = &cl;
	fx_send(fx, &env, -1);
	assert_int_equal(peer_expect(fx, FRAME_CLOSE, got, sizeof(got),
	    WAIT_MS), 13);
	assert_memory_equal(got, "shutting down", 13);
	expect_close_reason(fx, "closed by ipcpd: shutting down");
	expect_exit(fx, 0);
}

static void
test_peer_goodbye(void **state)
{
	struct fx	*fx = *state;
	const char	 bye[] = "rebooting\n\x01now";

	fx_start(fx, &default_opts);
	peer_send(fx, FRAME_CLOSE, bye, sizeof(bye) - 1);
	/* Control characters from the peer never reach the log. */
	expect_close_reason(fx, "peer said goodbye: rebooting??now");
	expect_exit(fx, 0);
}

static void
test_peer_eof(void **state)
{
	struct fx	*fx = *state;

	fx_start(fx, &default_opts);
	roundtrip(fx);
	assert_int_equal(shutdown(fx->tcp, SHUT_WR), 0);
	expect_close_reason(fx, "peer closed the connection");
	expect_exit(fx, 0);
}

static void
test_rekey(void **state)
{
	struct fx	*fx = *state;
	uint8_t		 pkt[200], got[200];
	size_t		 len;

	fx_start(fx, &default_opts);
	peer_send(fx, FRAME_REKEY, NULL, 0);
	assert_int_equal(frame_key_ratchet(&fx->tx), 0);
	len = ipv4_packet(pkt, "10.9.0.5", "10.8.0.1", 100);
	peer_send(fx, FRAME_DATA, pkt, len);
	assert_int_equal(tun_expect(fx, got, sizeof(got), WAIT_MS), len);
	assert_memory_equal(got, pkt, len);
}

static void
test_unexpected_message(void **state)
{
	struct fx	*fx = *state;
	Ipcp__Envelope	 env = IPCP__ENVELOPE__INIT;
	Ipcp__FwdStats	 st = IPCP__FWD_STATS__INIT;

	fx_start(fx, &default_opts);
	/* Stats only ever go from the forwarder to ipcpd. */
	env.body_case = IPCP__ENVELOPE__BODY_FWD_STATS;
	env.fwd_stats = &st;
	fx_send(fx, &env, -1);
	expect_close_reason(fx, "unexpected message from ipcpd");
	expect_exit(fx, 1);
}

static void
test_channel_closed(void **state)
{
	struct fx	*fx = *state;

	fx_start(fx, &default_opts);
	roundtrip(fx);
	close(fx->chan);
	fx->chan = -1;
	assert_int_equal(fx_wait_exit(fx, WAIT_MS), 0);
	assert_true(WIFEXITED(fx->status));
}

/* The value of "Key:" in /proc/PID/status. */
static void
proc_status(pid_t pid, const char *key, char *out, size_t len)
{
	char	path[64], line[256];
	size_t	klen = strlen(key);
	FILE	*fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	assert_non_null(fp = fopen(path, "r"));
	out[0] = '\0';
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			snprintf(out, len, "%s", line + klen + 1);
			klen = strlen(out);
			while (klen > 1 && (out[klen - 1] == '\n' ||
			    out[klen - 1] == ' '))
				out[--klen] = '\0';
			break;
		}
	}
	fclose(fp);
}

static void
test_confined(void **state)
{
	struct fx	*fx = *state;
	char		 v[128], want[128];

	fx_start(fx, &default_opts);
	/* Reading from the stream means the sandbox is in place. */
	roundtrip(fx);
	snprintf(want, sizeof(want), "\t%d\t%d\t%d\t%d", NOBODY, NOBODY,
	    NOBODY, NOBODY);
	proc_status(fx->pid, "Uid", v, sizeof(v));
	assert_string_equal(v, want);
	proc_status(fx->pid, "Gid", v, sizeof(v));
	assert_string_equal(v, want);
	proc_status(fx->pid, "Groups", v, sizeof(v));
	assert_string_equal(v, "\t");
	proc_status(fx->pid, "CapEff", v, sizeof(v));
	assert_string_equal(v, "\t0000000000000000");
	proc_status(fx->pid, "CapPrm", v, sizeof(v));
	assert_string_equal(v, "\t0000000000000000");
	proc_status(fx->pid, "NoNewPrivs", v, sizeof(v));
	assert_string_equal(v, "\t1");
	proc_status(fx->pid, "Seccomp", v, sizeof(v));
	assert_string_equal(v, "\t2");
}

/* Counters once the forwarder has taken n packets from the TUN. */
static void
wait_tx_taken(struct fx *fx, uint64_t n, uint64_t *kept, uint64_t *dropped)
{
	Ipcp__Envelope	*env;
	uint64_t	 deadline = now_ms() + WAIT_MS;

	for (;;) {
		env = chan_expect(fx, IPCP__ENVELOPE__BODY_FWD_STATS,
		    remaining(deadline));
		assert_non_null(env);
		if (env->fwd_stats->tx_packets + env->fwd_stats->tx_dropped ==
		    n) {
			*kept = env->fwd_stats->tx_packets;
			*dropped = env->fwd_stats->tx_dropped;
			msg_free(env);
			return;
		}
		msg_free(env);
	}
}

/* n numbered packets into the TUN; the forwarder must keep taking them. */
static void
tun_flood(struct fx *fx, uint32_t n)
{
	struct pollfd	 pfd = { .fd = fx->tun, .events = POLLOUT };
	uint8_t		 pkt[1500];
	uint32_t	 seq;
	size_t		 len;

	for (seq = 0; seq < n; seq++) {
		len = ipv4_packet(pkt, "10.8.0.1", "10.9.0.5", 1400);
		memcpy(pkt + VNET_HDR_LEN + 20, &seq, sizeof(seq));
		assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
		assert_int_equal(send(fx->tun, pkt, len, MSG_DONTWAIT),
		    (ssize_t)len);
	}
}

#define FLOOD_PACKETS	4000	/* 5.6 MB: several times what may queue */

/*
 * With nobody reading the stream the forwarder goes on reading the TUN
 * and drops what does not fit its bounded queue, instead of leaving the
 * backlog in the TUN, where every later packet (a ping) would wait behind
 * it.  Memory stays small; once the stream drains, the packets it kept
 * come out in order, none twice, and the session lives on.
 */
static void
test_queue_full_drops(void **state)
{
	struct fx	*fx = *state;
	uint8_t		 got[FRAME_MAX_PAYLOAD];
	uint64_t	 kept, dropped, i;
	int64_t		 last = -1;
	uint32_t	 seq;
	char		 v[128];

	fx_start(fx, &default_opts);
	roundtrip(fx);
	tun_flood(fx, FLOOD_PACKETS);
	wait_tx_taken(fx, FLOOD_PACKETS, &kept, &dropped);
	assert_true(dropped > 0);
	assert_true(kept > 100);
	proc_status(fx->pid, "VmRSS", v, sizeof(v));
	if (strtoul(v, NULL, 10) > 16 * 1024)
		fail_msg("VmRSS%s after %u packets", v, FLOOD_PACKETS);

	for (i = 0; i < kept; i++) {
		assert_int_equal(peer_expect(fx, FRAME_DATA, got, sizeof(got),
		    WAIT_MS), VNET_HDR_LEN + 1420);
		memcpy(&seq, got + VNET_HDR_LEN + 20, sizeof(seq));
		assert_true((int64_t)seq > last);
		last = seq;
	}
	roundtrip(fx);
}

/*
 * A heartbeat from the peer while the forwarder's DATA queue is full: its
 * ack is sealed ahead of the DATA still queued in plaintext, so it
 * overtakes them, and the peer opens every frame in order.
 */
static void
test_priority(void **state)
{
	struct fx	*fx = *state;
	Ipcp__Envelope	*env;
	uint8_t		 ts[8] = { 8, 7, 6, 5, 4, 3, 2, 1 }, ctl[256];
	uint8_t		 got[FRAME_MAX_PAYLOAD], type;
	uint64_t	 kept, dropped, before = 0, after = 0;
	size_t		 clen;
	ssize_t		 n;
	int		 acked = 0;

	fx_start(fx, &default_opts);
	roundtrip(fx);
	tun_flood(fx, FLOOD_PACKETS);
	wait_tx_taken(fx, FLOOD_PACKETS, &kept, &dropped);
	assert_true(dropped > 0);

	/* Frames are handled in order: once the CONTROL frame reaches
	 * ipcpd, the heartbeat's ack is queued. */
	peer_send(fx, FRAME_HEARTBEAT, ts, sizeof(ts));
	clen = hello(ctl, sizeof(ctl));
	peer_send(fx, FRAME_CONTROL, ctl, clen);
	env = chan_expect(fx, IPCP__ENVELOPE__BODY_CONTROL, WAIT_MS);
	assert_non_null(env);
	msg_free(env);

	while (before + after < kept) {
		n = peer_next(fx, &type, got, sizeof(got), WAIT_MS);
		assert_true(n >= 0);
		if (type == FRAME_HEARTBEAT_ACK) {
			assert_int_equal(n, sizeof(ts));
			assert_memory_equal(got, ts, sizeof(ts));
			acked = 1;
		} else if (type == FRAME_DATA) {
			if (acked)
				after++;
			else
				before++;
		}
	}
	assert_true(acked);
	/* Queued before the heartbeat came, sent after its ack. */
	if (after == 0)
		fail_msg("the ack came after all %llu DATA frames",
		    (unsigned long long)kept);
	roundtrip(fx);
}

/* A super-packet from the peer reaches the TUN with our own header. */
static void
test_gso_in(void **state)
{
	struct fx	*fx = *state;
	static uint8_t	 pkt[65536], got[65536];
	size_t		 len;

	fx_start(fx, &default_opts);
	len = tcp4_gso_packet(pkt, "10.9.0.5", "10.8.0.1", 30000, 1400, 54);
	peer_send(fx, FRAME_DATA, pkt, len);
	assert_int_equal(tun_expect(fx, got, sizeof(got), WAIT_MS), len);
	assert_memory_equal(got + VNET_HDR_LEN, pkt + VNET_HDR_LEN,
	    len - VNET_HDR_LEN);
	/* hdr_len is ours (IP + TCP); the rest was right and stays. */
	pkt[2] = 40;
	pkt[3] = 0;
	assert_memory_equal(got, pkt, VNET_HDR_LEN);
	roundtrip(fx);
}

/*
 * A header that lies about its packet (TCPv4 GSO on a UDP packet) is a
 * broken or hostile peer: the session ends, says why, and nothing
 * reaches the TUN.
 */
static void
test_gso_lie(void **state)
{
	struct fx	*fx = *state;
	static uint8_t	 pkt[65536], got[FRAME_MAX_CONTROL];
	size_t		 len;
	ssize_t		 n;

	fx_start(fx, &default_opts);
	len = tcp4_gso_packet(pkt, "10.9.0.5", "10.8.0.1", 30000, 1400, 40);
	pkt[VNET_HDR_LEN + 9] = 17;
	peer_send(fx, FRAME_DATA, pkt, len);
	expect_close_reason(fx, "bad DATA frame from peer: TCPv4 GSO on a "
	    "packet that is not IPv4 TCP");
	expect_exit(fx, 0);
	n = peer_expect(fx, FRAME_CLOSE, got, sizeof(got), WAIT_MS);
	assert_true(n > 0);
	assert_memory_equal(got, "bad DATA frame", 14);
	assert_int_equal(tun_expect(fx, pkt, sizeof(pkt), 0), -1);
}

/*
 * Outbound, a super-packet goes to the peer as the TUN gave it (header
 * normalised); one our own check refuses is dropped here and counted,
 * and the session goes on.
 */
static void
test_gso_out(void **state)
{
	struct fx	*fx = *state;
	static uint8_t	 pkt[65536], got[FRAME_MAX_PAYLOAD];
	uint64_t	 kept, dropped;
	size_t		 len;

	fx_start(fx, &default_opts);
	len = tcp4_gso_packet(pkt, "10.8.0.1", "10.9.0.5", 20000, 1400, 0);
	/* A gso_size of 0 with a GSO type: our peer would end the session. */
	pkt[4] = pkt[5] = 0;
	assert_int_equal(send(fx->tun, pkt, len, 0), (ssize_t)len);
	len = tcp4_gso_packet(pkt, "10.8.0.1", "10.9.0.5", 20000, 1400, 0);
	assert_int_equal(send(fx->tun, pkt, len, 0), (ssize_t)len);
	assert_int_equal(peer_expect(fx, FRAME_DATA, got, sizeof(got),
	    WAIT_MS), len);
	assert_memory_equal(got + VNET_HDR_LEN, pkt + VNET_HDR_LEN,
	    len - VNET_HDR_LEN);
	assert_int_equal(got[2] | got[3] << 8, 40);
	assert_int_equal(got[4] | got[5] << 8, 1400);
	wait_tx_taken(fx, 2, &kept, &dropped);
	assert_int_equal(kept, 1);
	assert_int_equal(dropped, 1);
	roundtrip(fx);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_fds(void **state)
{
	struct fx	*fx = *state;
	char		 path[PATH_MAX], target[PATH_MAX], err_link[256];
	char		*got[32], *want[32];
	struct dirent	*de;
	size_t		 ngot = 0, nwant = 0, i;
	ssize_t		 n;
	DIR		*d;

	fx_start(fx, &default_opts);
	roundtrip(fx);

	n = readlink("/proc/self/fd/2", err_link, sizeof(err_link) - 1);
	assert_true(n > 0);
	err_link[n] = '\0';
	if (strncmp(err_link, "pipe:[", 6) == 0)
		err_link[4] = '\0';
	/*
	 * 0, 1: /dev/null; 2: ours; 3: the channel; the two passed fds; then
	 * what uv_loop_init makes: the epoll fd, two pipes for signals (the
	 * global lock and the loop's) and the eventfd of its async wakeup.
	 */
	want[nwant++] = strdup("0 /dev/null");
	want[nwant++] = strdup("1 /dev/null");
	snprintf(target, sizeof(target), "2 %s", err_link);
	want[nwant++] = strdup(target);
	snprintf(target, sizeof(target), "3 %s", fx->chan_link);
	want[nwant++] = strdup(target);
	snprintf(target, sizeof(target), "4 %s", fx->tun_link);
	want[nwant++] = strdup(target);
	snprintf(target, sizeof(target), "5 %s", fx->tcp_link);
	want[nwant++] = strdup(target);
	want[nwant++] = strdup("6 anon_inode:[eventpoll]");
	for (i = 7; i <= 10; i++) {
		snprintf(target, sizeof(target), "%zu pipe", i);
		want[nwant++] = strdup(target);
	}
	want[nwant++] = strdup("11 anon_inode:[eventfd]");

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)fx->pid);
	assert_non_null(d = opendir(path));
	while ((de = readdir(d)) != NULL) {
		char	lpath[PATH_MAX + 300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(lpath, sizeof(lpath), "%s/%s", path, de->d_name);
		n = readlink(lpath, target, sizeof(target) - 1);
		assert_true(n > 0);
		target[n] = '\0';
		/* Pipe inode numbers are not ours to know. */
		if (strncmp(target, "pipe:[", 6) == 0)
			target[4] = '\0';
		assert_true(ngot < 32);
		snprintf(lpath, sizeof(lpath), "%s %s", de->d_name, target);
		got[ngot++] = strdup(lpath);
	}
	closedir(d);
	qsort(got, ngot, sizeof(got[0]), cmp_str);
	qsort(want, nwant, sizeof(want[0]), cmp_str);
	for (i = 0; i < ngot || i < nwant; i++) {
		if (i >= ngot || i >= nwant || strcmp(got[i], want[i]) != 0)
			fail_msg("fd set differs at %zu: got \"%s\", want "
			    "\"%s\"", i, i < ngot ? got[i] : "(none)",
			    i < nwant ? want[i] : "(none)");
	}
	for (i = 0; i < ngot; i++)
		free(got[i]);
	for (i = 0; i < nwant; i++)
		free(want[i]);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_data_in),
		T(test_data_in_aes),
		T(test_data_in_bulk),
		T(test_data_out),
		T(test_data_tcp),
		T(test_drop_source),
		T(test_link_local),
		T(test_update),
		T(test_heartbeat),
		T(test_heartbeat_answerer),
		T(test_heartbeat_initiator),
		T(test_control_in),
		T(test_control_invalid),
		T(test_control_flood),
		T(test_control_out),
		T(test_control_burst),
		T(test_garbage),
		T(test_huge_header),
		T(test_bad_tag),
		T(test_dead_after),
		T(test_close_from_chan),
		T(test_peer_goodbye),
		T(test_peer_eof),
		T(test_rekey),
		T(test_unexpected_message),
		T(test_channel_closed),
		T(test_queue_full_drops),
		T(test_priority),
		T(test_gso_in),
		T(test_gso_lie),
		T(test_gso_out),
		T(test_confined),
		T(test_fds),
	};

	/* The forwarder chroots and changes ids: only root can start it. */
	if (geteuid() != 0) {
		fprintf(stderr, "test_fwd: needs root, skipped\n");
		return 0;
	}
	/* A forwarder that dies must not take the test with it. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
