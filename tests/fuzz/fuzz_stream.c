/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for what lies behind the AEAD in a forwarder: the
 * real receive path of ipcp-fwd (fwd/stream.c, packet.c, vnet.c,
 * chan.c) fed frames sealed with the session key, as only an
 * authenticated peer could send them.  fuzz_frame stops at the tag; this
 * one starts behind it.
 *
 * The input is a list of records, each [op:1][len:2, big-endian][bytes]:
 * op < 0x80 seals the bytes as a frame of type op with the peer's key
 * (a REKEY ratchets the key after it, as a real sender does); op >= 0x80
 * writes them to the stream unsealed (cut frames, bad tags, garbage).
 * The first byte of the input picks the cipher.
 *
 * Whatever the bytes, the forwarder must hand the TUN only packets that
 * vnet_check accepts, from allowed-ips or link-local; hand ipcpd only
 * envelopes that its channel rules accept; and send the peer only frames
 * that open with the key it agreed on.  Where it would end the session
 * (fwd_end), the harness records the reason and checks the same.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "fwd.h"
#include "vnet.h"

#define SOCKBUF		(4 * 1024 * 1024)

static struct fwd	 F;
static jmp_buf		 ended;
static int		 tcp_sv[2], chan_sv[2], tun_sv[2];
static uint8_t		 out[FWD_IBUF_SIZE + FRAME_MAX_LEN];
static uint8_t		 frame[FRAME_MAX_LEN];

/* ---- what fwd.c would be: a session's end (fwd_exit) is a longjmp ---- */

void
fwd_exit(struct fwd *f, int status)
{
	longjmp(ended, 1);
}

void
fwd_shutdown(struct fwd *f, const char *why)
{
}

void
fwd_stats_wake(struct fwd *f)
{
}

uint64_t
fwd_now(struct fwd *f)
{
	return now_ms();
}

/* ---- set-up, once, and per input ------------------------------------ */

static void
pair(int type, int sv[2])
{
	int	sz = SOCKBUF, i;

	if (socketpair(AF_UNIX, type | SOCK_NONBLOCK, 0, sv) == -1)
		abort();
	for (i = 0; i < 2; i++) {
		(void)setsockopt(sv[i], SOL_SOCKET, SO_SNDBUFFORCE, &sz,
		    sizeof(sz));
		(void)setsockopt(sv[i], SOL_SOCKET, SO_RCVBUFFORCE, &sz,
		    sizeof(sz));
	}
}

static void
init_once(void)
{
	struct fwd_params	*p = &F.params;

	if (sodium_init() < 0)
		abort();
	pair(SOCK_STREAM, tcp_sv);
	pair(SOCK_SEQPACKET, chan_sv);
	pair(SOCK_DGRAM, tun_sv);
	chan_init(&F);
	F.chan_fd = chan_sv[0];
	F.tcp_fd = tcp_sv[0];
	F.tun_fd = tun_sv[0];
	if (stream_init(&F) == -1 || uv_loop_init(&F.loop) != 0 ||
	    uv_poll_init(&F.loop, &F.tcp_poll, F.tcp_fd) != 0 ||
	    uv_poll_init(&F.loop, &F.tun_poll, F.tun_fd) != 0 ||
	    uv_poll_init(&F.loop, &F.chan_poll, F.chan_fd) != 0)
		abort();
	F.tcp_poll.data = F.tun_poll.data = F.chan_poll.data = &F;
	snprintf(p->peer_name, sizeof(p->peer_name), "fuzz");
	p->heartbeat_ms = 1000;
	p->dead_after_ms = 4000;
	if (prefix_parse("10.0.0.0/8", &p->allowed[0]) == -1 ||
	    prefix_parse("fd00::/8", &p->allowed[1]) == -1)
		abort();
	p->n_allowed = 2;
	log_init(1, 1, 0);
	log_setsink(chan_log_sink);
}

static void
drain(int fd)
{
	while (read(fd, out, sizeof(out)) > 0)
		;
}

/* A forwarder fresh from ipcpd's FwdStream, keys and all. */
static void
reset(int cipher, struct frame_key *peer_tx, struct frame_key *peer_rx)
{
	static const uint8_t	k1[FRAME_KEY_LEN] = { 1 }, k2[FRAME_KEY_LEN] =
				    { 2 };

	drain(tcp_sv[0]);
	drain(tcp_sv[1]);
	drain(chan_sv[1]);
	drain(tun_sv[1]);
	msgq_clear(&F.chan_out);
	F.oc_first = F.oc_n = 0;
	F.oq_bytes = F.win = 0;
	F.poff = F.pseal = F.plen = 0;
	F.ioff = F.ilen = 0;
	memset(F.flow_q, 0, sizeof(F.flow_q));
	memset(&F.st, 0, sizeof(F.st));
	memset(&F.st_sent, 0, sizeof(F.st_sent));
	F.closing = F.rekey_queued = 0;
	F.tx_since_rekey = 0;
	F.last_rx_ms = now_ms();
	F.rekey_at_ms = F.last_rx_ms + FWD_REKEY_MS;
	F.drop_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(5, 1000);
	F.ctl_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(5, 1000);
	F.ctl_rate = (struct log_ratelimit)LOG_RATELIMIT_INIT(
	    FWD_CONTROL_BURST, FWD_CONTROL_EVERY_MS);
	frame_key_wipe(&F.tx);
	frame_key_wipe(&F.rx);
	if (frame_key_init(&F.rx, cipher, k1) == -1 ||
	    frame_key_init(&F.tx, cipher, k2) == -1 ||
	    frame_key_init(peer_tx, cipher, k1) == -1 ||
	    frame_key_init(peer_rx, cipher, k2) == -1)
		abort();
	F.keys_ready = 1;
}

/* ---- the oracle ----------------------------------------------------- */

static int
allowed(const struct vnet_pkt *pkt)
{
	size_t	i;

	if (pkt->family == AF_INET6 && pkt->src[0] == 0xfe &&
	    (pkt->src[1] & 0xc0) == 0x80)
		return 1;
	for (i = 0; i < F.params.n_allowed; i++)
		if (prefix_match_addr(&F.params.allowed[i], pkt->family,
		    pkt->src))
			return 1;
	return 0;
}

static void
check_tun(void)
{
	struct vnet_pkt	pkt;
	ssize_t		n;

	while ((n = read(tun_sv[1], out, sizeof(out))) > 0)
		if (vnet_check(out, n, &pkt) != VNET_OK || !allowed(&pkt))
			abort();
}

static void
check_chan(void)
{
	Ipcp__Envelope	*env;

	for (;;) {
		if ((env = msg_recv(chan_sv[1], &msg_chan_from_fwd, NULL))
		    == NULL) {
			if (errno == EAGAIN)
				return;
			abort();
		}
		msg_free(env);
	}
}

/* Every frame the forwarder sent must open with its key, in order. */
static void
check_peer(struct frame_key *peer_rx)
{
	uint8_t		*p, type;
	uint32_t	 body;
	size_t		 len = 0, off = 0, plen;
	ssize_t		 n;

	while ((n = read(tcp_sv[1], out + len, sizeof(out) - len)) > 0)
		len += n;
	while (len - off >= FRAME_HDR_LEN) {
		if (frame_header(out + off, &type, &body) == -1 ||
		    len - off < FRAME_HDR_LEN + body ||
		    frame_open(peer_rx, out + off, FRAME_HDR_LEN + body, &p,
		    &plen) == -1)
			abort();
		if (type == FRAME_REKEY && frame_key_ratchet(peer_rx) == -1)
			abort();
		off += FRAME_HDR_LEN + body;
	}
	if (off != len)
		abort();
}

/* ---- one input ------------------------------------------------------ */

/* Write what the socket takes; let the forwarder read when it is full. */
static void
feed(const uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(tcp_sv[1], p, len)) == -1) {
			if (errno != EAGAIN)
				abort();
			stream_poll_cb(&F.tcp_poll, 0, UV_READABLE);
			continue;
		}
		p += n;
		len -= n;
	}
}

static void
run(const uint8_t *data, size_t size, struct frame_key *peer_tx)
{
	size_t	len, n;
	uint8_t	op;

	while (size >= 3) {
		op = data[0];
		len = (size_t)data[1] << 8 | data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if (op >= 0x80)
			feed(data, len);
		else if (len <= FRAME_MAX_PAYLOAD) {
			memcpy(frame + FRAME_HDR_LEN, data, len);
			/* A type the codec does not seal is not a frame. */
			if ((n = frame_seal(peer_tx, op, frame, len)) > 0) {
				feed(frame, n);
				if (op == FRAME_REKEY &&
				    frame_key_ratchet(peer_tx) == -1)
					abort();
			}
		}
		data += len;
		size -= len;
	}
	stream_poll_cb(&F.tcp_poll, 0, UV_READABLE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 ready;
	static struct frame_key	 peer_tx, peer_rx;
	int			 cipher;

	if (!ready) {
		init_once();
		ready = 1;
	}
	if (size < 1)
		return 0;
	cipher = data[0] & 1 ? FRAME_CIPHER_AES256GCM :
	    FRAME_CIPHER_CHACHA20POLY1305;
	frame_key_wipe(&peer_tx);
	frame_key_wipe(&peer_rx);
	reset(cipher, &peer_tx, &peer_rx);
	if (setjmp(ended) == 0)
		run(data + 1, size - 1, &peer_tx);
	else
		F.closing = 1;
	check_tun();
	check_chan();
	check_peer(&peer_rx);
	return 0;
}
