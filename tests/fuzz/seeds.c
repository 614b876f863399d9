/* SPDX-License-Identifier: ISC */
/*
 * Seed inputs for the libFuzzer targets, one file per seed in
 * DIR/<target>/: a few well-formed messages, frames and packets of each
 * kind, so the fuzzers start past the shapes a random byte string never
 * takes (a protobuf that validates, a packet whose lengths add up) and
 * spend their time on the edges.  tests/fuzz/run.sh makes them before
 * each run; the config target is seeded from tests/config instead.
 *
 *	seeds DIR
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "vnet.h"

static const char	*top;

static void
seed(const char *target, const char *name, const void *p, size_t len)
{
	char	 path[4096];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", top, target);
	if (mkdir(path, 0755) == -1 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", top, target, name);
	if ((fp = fopen(path, "w")) == NULL ||
	    fwrite(p, 1, len, fp) != len || fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
}

/* ---- packets, as DATA payloads: virtio-net header, then IP ---------- */

static size_t
udp4(uint8_t *p, const char *src, size_t paylen)
{
	uint8_t	*ip = p + VNET_HDR_LEN;
	size_t	 len = 20 + 8 + paylen;

	memset(p, 0, VNET_HDR_LEN + len);
	ip[0] = 0x45;
	ip[2] = len >> 8;
	ip[3] = len;
	ip[8] = 64;
	ip[9] = 17;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, "10.9.9.9", ip + 16);
	ip[21] = 53;
	ip[23] = 53;
	ip[24] = (8 + paylen) >> 8;
	ip[25] = 8 + paylen;
	return VNET_HDR_LEN + len;
}

/* IPv6 TCP with checksum offload, and GSO when gso_size is non-zero. */
static size_t
tcp6(uint8_t *p, const char *src, size_t paylen, uint16_t gso_size)
{
	uint8_t	*ip = p + VNET_HDR_LEN;
	size_t	 len = 40 + 20 + paylen;

	memset(p, 0, VNET_HDR_LEN + len);
	p[0] = VNET_F_NEEDS_CSUM;
	p[1] = gso_size ? VNET_GSO_TCPV6 : VNET_GSO_NONE;
	p[2] = 60;
	p[4] = gso_size;
	p[5] = gso_size >> 8;
	p[6] = 40;
	p[8] = 16;
	ip[0] = 0x60;
	ip[4] = (20 + paylen) >> 8;
	ip[5] = 20 + paylen;
	ip[6] = 6;
	ip[7] = 64;
	inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, "fd00::9", ip + 24);
	ip[52] = 5 << 4;
	return VNET_HDR_LEN + len;
}

/* ---- messages -------------------------------------------------------- */

static size_t
pack_control(const Ipcp__Control *c, uint8_t *buf)
{
	return ipcp__control__pack(c, buf);
}

static Ipcp__Prefix	pfx4 = IPCP__PREFIX__INIT, pfx6 = IPCP__PREFIX__INIT;
static uint8_t		a4[4] = { 10, 1, 0, 0 }, a6[16] = { 0xfd, 0x01 };

static void
controls(Ipcp__Control *hello, Ipcp__Control *update, Ipcp__Control *trace)
{
	static Ipcp__Hello	 h = IPCP__HELLO__INIT;
	static Ipcp__RouteUpdate u = IPCP__ROUTE_UPDATE__INIT;
	static Ipcp__Route	 r4 = IPCP__ROUTE__INIT, r6 = IPCP__ROUTE__INIT;
	static Ipcp__Route	*ann[2];
	static Ipcp__Prefix	*wd[1];
	static char		*path4[] = { "beta" }, *path6[] = { "beta",
				    "gamma" };
	static Ipcp__Trace	 t = IPCP__TRACE__INIT;
	static Ipcp__TraceHop	 hop = IPCP__TRACE_HOP__INIT, *hops[1];

	pfx4.addr.data = a4;
	pfx4.addr.len = 4;
	pfx4.plen = 16;
	pfx6.addr.data = a6;
	pfx6.addr.len = 16;
	pfx6.plen = 32;
	h.node_name = "beta";
	h.version = 1;
	hello->body_case = IPCP__CONTROL__BODY_HELLO;
	hello->hello = &h;

	r4.prefix = &pfx4;
	r4.cost = 10;
	r4.path = path4;
	r4.n_path = 1;
	r6.prefix = &pfx6;
	r6.cost = 20;
	r6.path = path6;
	r6.n_path = 2;
	ann[0] = &r4;
	ann[1] = &r6;
	wd[0] = &pfx6;
	u.announce = ann;
	u.n_announce = 2;
	u.withdraw = wd;
	u.n_withdraw = 1;
	update->body_case = IPCP__CONTROL__BODY_UPDATE;
	update->update = &u;

	hop.node = "beta";
	hop.time_us = 12345;
	hops[0] = &hop;
	t.id = 7;
	t.target = "gamma";
	t.forward = hops;
	t.n_forward = 1;
	trace->body_case = IPCP__CONTROL__BODY_TRACE;
	trace->trace = &t;
}

/* One envelope seed: the channel's index, then the packed envelope. */
static void
env_seed(const char *name, unsigned chan, const Ipcp__Envelope *env)
{
	uint8_t	buf[MSG_MAX_CTL_REPLY + 1];
	size_t	n;

	buf[0] = chan;
	n = ipcp__envelope__pack(env, buf + 1);
	if (msg_validate(env) != 0)
		fprintf(stderr, "seeds: envelope %s does not validate\n",
		    name);
	seed("fuzz_envelope", name, buf, n + 1);
}

static void
envelopes(Ipcp__Control *update)
{
	Ipcp__Envelope	 env = IPCP__ENVELOPE__INIT;
	Ipcp__Request	 req = IPCP__REQUEST__INIT;
	Ipcp__Result	 res = IPCP__RESULT__INIT;
	Ipcp__FwdStats	 st;
	Ipcp__FwdLog	 log;
	Ipcp__FwdClose	 cl;
	struct fwd_counters c = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };

	env.body_case = IPCP__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	req.cmd = IPCP__COMMAND__CMD_STATUS;
	env_seed("request-status", 0, &env);
	req.cmd = IPCP__COMMAND__CMD_RELOAD;
	req.confirm_s = 30;
	env_seed("request-reload", 0, &env);
	req.cmd = IPCP__COMMAND__CMD_TRACE;
	req.confirm_s = 0;
	req.target = "10.1.0.1";
	env_seed("request-trace", 0, &env);

	env.body_case = IPCP__ENVELOPE__BODY_RESULT;
	env.request = NULL;
	env.result = &res;
	res.code = CTL_RES_CONFIG;
	res.text = "ipcpd.conf:3: unknown key";
	env_seed("reply-result", 1, &env);

	env.body_case = IPCP__ENVELOPE__BODY_CONTROL;
	env.control = update;
	env_seed("to-fwd-control", 2, &env);
	env_seed("from-fwd-control", 3, &env);

	msg_fwd_stats_build(&env, &st, &c);
	env_seed("from-fwd-stats", 3, &env);
	msg_fwd_log_build(&env, &log, 4, "invalid CONTROL message dropped");
	env_seed("from-fwd-log", 3, &env);
	msg_fwd_close_build(&env, &cl, "peer said goodbye: reload");
	env_seed("from-fwd-close", 3, &env);
}

/* ---- forwarder streams: [cipher] then [op][len:2][bytes] records ----- */

struct rec {
	uint8_t	buf[8192];
	size_t	len;
};

static void
rec_add(struct rec *r, uint8_t op, const void *p, size_t len)
{
	r->buf[r->len++] = op;
	r->buf[r->len++] = len >> 8;
	r->buf[r->len++] = len;
	if (len > 0)
		memcpy(r->buf + r->len, p, len);
	r->len += len;
}

static void
streams(const uint8_t *ctl, size_t ctllen)
{
	struct rec	r;
	uint8_t		pkt[4096], hb[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
	size_t		n;
	int		cipher;

	for (cipher = 0; cipher < 2; cipher++) {
		char name[32];

		memset(&r, 0, sizeof(r));
		r.buf[r.len++] = cipher;
		n = udp4(pkt, "10.1.2.3", 40);
		rec_add(&r, FRAME_DATA, pkt, n);
		n = tcp6(pkt, "fd00::1", 1200, 0);
		rec_add(&r, FRAME_DATA, pkt, n);
		rec_add(&r, FRAME_HEARTBEAT, hb, sizeof(hb));
		rec_add(&r, FRAME_CONTROL, ctl, ctllen);
		rec_add(&r, FRAME_REKEY, NULL, 0);
		n = tcp6(pkt, "fe80::1", 1400, 500);
		rec_add(&r, FRAME_DATA, pkt, n);
		rec_add(&r, FRAME_HEARTBEAT_ACK, hb, sizeof(hb));
		snprintf(name, sizeof(name), "session-%d", cipher);
		seed("fuzz_stream", name, r.buf, r.len);
		rec_add(&r, FRAME_CLOSE, "bye", 3);
		snprintf(name, sizeof(name), "goodbye-%d", cipher);
		seed("fuzz_stream", name, r.buf, r.len);
	}
	/* A source outside allowed-ips, and a frame cut short. */
	memset(&r, 0, sizeof(r));
	r.buf[r.len++] = 0;
	n = udp4(pkt, "192.168.1.1", 10);
	rec_add(&r, FRAME_DATA, pkt, n);
	rec_add(&r, 0x80, "\0\0\0\x40\x01", 5);
	seed("fuzz_stream", "drop-then-cut", r.buf, r.len);
}

int
main(int argc, char *argv[])
{
	Ipcp__Control	hello = IPCP__CONTROL__INIT;
	Ipcp__Control	update = IPCP__CONTROL__INIT;
	Ipcp__Control	trace = IPCP__CONTROL__INIT;
	uint8_t		buf[FRAME_MAX_CONTROL], pkt[4096];
	uint8_t		frame[FRAME_HDR_LEN + 64 + FRAME_TAG_LEN];
	size_t		n, ulen;
	int		t;

	if (argc != 2) {
		fprintf(stderr, "usage: seeds DIR\n");
		return 2;
	}
	top = argv[1];
	if (mkdir(top, 0755) == -1 && errno != EEXIST) {
		perror(top);
		return 1;
	}

	controls(&hello, &update, &trace);
	n = pack_control(&hello, buf);
	seed("fuzz_control", "hello", buf, n);
	n = pack_control(&trace, buf);
	seed("fuzz_control", "trace", buf, n);
	ulen = pack_control(&update, buf);
	seed("fuzz_control", "update", buf, ulen);

	envelopes(&update);
	streams(buf, ulen);

	n = udp4(pkt, "10.1.2.3", 100);
	seed("fuzz_vnet", "udp4", pkt, n);
	n = tcp6(pkt, "fd00::1", 3000, 1400);
	seed("fuzz_vnet", "tcp6-gso", pkt, n);
	n = tcp6(pkt, "fd00::1", 100, 0);
	seed("fuzz_vnet", "tcp6-csum", pkt, n);

	/* Frames of every type, well formed but for the tag. */
	for (t = FRAME_DATA; t <= FRAME_CLOSE; t++) {
		char name[16];

		memset(frame, 0, sizeof(frame));
		frame_hdr_put(frame, t, 64);
		snprintf(name, sizeof(name), "type-%d", t);
		seed("fuzz_frame", name, frame, sizeof(frame));
	}
	return 0;
}
