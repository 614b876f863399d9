/* SPDX-License-Identifier: ISC */
/*
 * Tests of ipcpctl as its users see it: the built binary (IPCPCTL, or
 * ipcpctl beside the tests/ directory this test was built into) is run
 * against a fake ipcpd made here, a SOCK_SEQPACKET listener on a temporary
 * path that answers with canned Envelopes through msg_send.  Checked:
 * status and peers in text and JSON (parsed back with json-c), error
 * results, timeouts and a missing daemon, usage errors, and the key
 * commands against libsodium.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json.h>
#include <sodium.h>

#include "msg.h"
#include "version.h"
#include "util.h"

/* Long enough for any reply; ipcpctl itself gives up after 5 s. */
#define SERVER_WAIT_MS	10000

enum reply {
	REPLY_STATUS,
	REPLY_PEERS,
	REPLY_PEERS_BATCHED,	/* PeerLists, as to an ipcpctl that asks */
	REPLY_METRICS_BATCHED,	/* Status, a PeerList, End */
	REPLY_NO_PEERS,
	REPLY_RESULT,		/* a Result with `code' */
	REPLY_PEER_THEN_ERROR,	/* one peer, then a failure */
	REPLY_WRONG_ID,
	REPLY_SILENT,		/* never answer */
	REPLY_CLOSE,		/* hang up */
};

struct server {
	char		 dir[64];
	char		 path[108];
	int		 lfd;
	pthread_t	 thread;
	int		 running;
	enum reply	 reply;
	unsigned	 code;
	/* What the client asked, filled in by the thread. */
	int		 got_request;
	Ipcp__Command	 got_cmd;
	uint32_t	 got_id;
	int		 got_batch;
};

struct run {
	int	 status;	/* exit status, or -1 if it did not exit */
	char	 out[8192];
	char	 err[4096];
};

static char	ipcpctl[PATH_MAX];

/* ---- fake ipcpd -------------------------------------------------------- */

static int
wait_fd(int fd, int ms)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1 ? 0 : -1;
}

static void
send_env(int fd, Ipcp__Envelope *env)
{
	if (msg_send(fd, &msg_chan_ctl_reply, env, -1) == -1)
		fprintf(stderr, "fake ipcpd: msg_send: %s\n", strerror(errno));
}

static void
send_result(int fd, uint32_t id, unsigned code, const char *text)
{
	Ipcp__Envelope	env = IPCP__ENVELOPE__INIT;
	Ipcp__Result	res = IPCP__RESULT__INIT;

	res.code = code;
	res.text = (char *)text;
	env.id = id;
	env.body_case = IPCP__ENVELOPE__BODY_RESULT;
	env.result = &res;
	send_env(fd, &env);
}

static void
send_status(int fd, uint32_t id)
{
	Ipcp__Envelope	env = IPCP__ENVELOPE__INIT;
	Ipcp__Status	st = IPCP__STATUS__INIT;
	char		*ls[] = { "0.0.0.0:5000", "[::]:5000" };

	st.node_name = "alpha";
	st.public_key = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";
	st.uptime_s = 93784;	/* 1d 2h 3m 4s */
	st.n_listeners = 2;
	st.listeners = ls;
	st.peers_configured = 3;
	st.peers_up = 1;
	st.pid = 4321;
	env.id = id;
	env.body_case = IPCP__ENVELOPE__BODY_STATUS;
	env.status = &st;
	send_env(fd, &env);
}

static void
peer_fill(Ipcp__PeerInfo *pp, int up)
{
	Ipcp__PeerInfo	p = IPCP__PEER_INFO__INIT;

	if (up) {
		p.name = "beta";
		p.public_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
		p.endpoint = "192.0.2.2:5000";
		p.state = "up";
		p.session_uptime_s = 3725;
		p.rx_bytes = 1572864;	/* 1.50 MiB */
		p.tx_bytes = 2048;
		p.rx_packets = 1100;
		p.tx_packets = 17;
		p.rtt_us = 1234;
		p.fwd_pid = 4242;
		p.reconnects = 2;
		p.interface = "ipcp-beta";
		p.cipher = "chacha20-poly1305";
		p.remote = "192.0.2.2:5000";
	} else {
		p.name = "gamma";
		p.public_key = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=";
		p.state = "idle";
		p.interface = "ipcp-gamma";
	}
	*pp = p;
}

static void
send_peer(int fd, uint32_t id, int up)
{
	Ipcp__Envelope	env = IPCP__ENVELOPE__INIT;
	Ipcp__PeerInfo	p;

	peer_fill(&p, up);
	env.id = id;
	env.body_case = IPCP__ENVELOPE__BODY_PEER;
	env.peer = &p;
	send_env(fd, &env);
}

/* beta and gamma in one PeerList, then a third "p2" alone in another. */
static void
send_peer_lists(int fd, uint32_t id)
{
	Ipcp__Envelope	 env = IPCP__ENVELOPE__INIT;
	Ipcp__PeerList	 list = IPCP__PEER_LIST__INIT;
	Ipcp__PeerInfo	 p[3], *pp[3] = { &p[0], &p[1], &p[2] };

	peer_fill(&p[0], 1);
	peer_fill(&p[1], 0);
	peer_fill(&p[2], 0);
	p[2].name = "p2";
	env.id = id;
	env.body_case = IPCP__ENVELOPE__BODY_PEERS;
	env.peers = &list;
	list.peers = pp;
	list.n_peers = 2;
	send_env(fd, &env);
	list.peers = pp + 2;
	list.n_peers = 1;
	send_env(fd, &env);
}

static void
send_end(int fd, uint32_t id)
{
	Ipcp__Envelope	env = IPCP__ENVELOPE__INIT;
	Ipcp__End	end = IPCP__END__INIT;

	env.id = id;
	env.body_case = IPCP__ENVELOPE__BODY_END;
	env.end = &end;
	send_env(fd, &env);
}

static void *
server_main(void *arg)
{
	struct server	*srv = arg;
	Ipcp__Envelope	*req = NULL;
	uint32_t	 id;
	int		 fd;

	if (wait_fd(srv->lfd, SERVER_WAIT_MS) == -1 ||
	    (fd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return NULL;
	while (req == NULL) {
		if (wait_fd(fd, SERVER_WAIT_MS) == -1)
			goto out;
		req = msg_recv(fd, &msg_chan_ctl_request, NULL);
		if (req == NULL && errno != EAGAIN)
			goto out;
	}
	if (req->body_case != IPCP__ENVELOPE__BODY_REQUEST)
		goto out;
	srv->got_request = 1;
	srv->got_cmd = req->request->cmd;
	srv->got_id = id = req->id;
	srv->got_batch = req->request->batch;

	switch (srv->reply) {
	case REPLY_STATUS:
		send_status(fd, id);
		break;
	case REPLY_PEERS:
		send_peer(fd, id, 1);
		send_peer(fd, id, 0);
		send_end(fd, id);
		break;
	case REPLY_PEERS_BATCHED:
		send_peer_lists(fd, id);
		send_end(fd, id);
		break;
	case REPLY_METRICS_BATCHED:
		send_status(fd, id);
		send_peer_lists(fd, id);
		send_end(fd, id);
		break;
	case REPLY_NO_PEERS:
		send_end(fd, id);
		break;
	case REPLY_RESULT:
		send_result(fd, id, srv->code, srv->code == CTL_RES_OK ? "" :
		    "needs root");
		break;
	case REPLY_PEER_THEN_ERROR:
		send_peer(fd, id, 1);
		send_result(fd, id, CTL_RES_FAILED, "forwarder went away");
		break;
	case REPLY_WRONG_ID:
		send_status(fd, id + 1);
		break;
	case REPLY_SILENT:
		/* Until the client gives up and hangs up. */
		(void)wait_fd(fd, SERVER_WAIT_MS);
		break;
	case REPLY_CLOSE:
		break;
	}
out:
	msg_free(req);
	close(fd);
	return NULL;
}

static void
server_start(struct server *srv, enum reply reply, unsigned code)
{
	struct sockaddr_un	sun;

	srv->reply = reply;
	srv->code = code;
	srv->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(srv->lfd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, srv->path);
	assert_int_equal(bind(srv->lfd, (struct sockaddr *)&sun,
	    sizeof(sun)), 0);
	assert_int_equal(listen(srv->lfd, 4), 0);
	assert_int_equal(pthread_create(&srv->thread, NULL, server_main,
	    srv), 0);
	srv->running = 1;
}

static void
server_stop(struct server *srv)
{
	if (srv->running) {
		pthread_join(srv->thread, NULL);
		srv->running = 0;
	}
	if (srv->lfd != -1) {
		close(srv->lfd);
		srv->lfd = -1;
	}
	unlink(srv->path);
}

/* ---- running ipcpctl --------------------------------------------------- */

static void
slurp(int fd, char *buf, size_t len)
{
	ssize_t	n;

	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	n = read(fd, buf, len - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
}

/* Run ipcpctl with the NULL-terminated arguments; `in' goes to stdin. */
static void
run(struct run *r, const char *in, ...)
{
	char		*argv[16];
	va_list		 ap;
	pid_t		 pid;
	int		 i = 0, st, fin, fout, ferr;

	argv[i++] = ipcpctl;
	va_start(ap, in);
	while ((argv[i] = va_arg(ap, char *)) != NULL && i < 15)
		i++;
	va_end(ap);
	argv[i] = NULL;

	fin = memfd_create("in", 0);
	fout = memfd_create("out", 0);
	ferr = memfd_create("err", 0);
	assert_true(fin >= 0 && fout >= 0 && ferr >= 0);
	if (in != NULL)
		assert_int_equal(write(fin, in, strlen(in)),
		    (ssize_t)strlen(in));
	assert_int_equal(lseek(fin, 0, SEEK_SET), 0);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fin, 0);
		dup2(fout, 1);
		dup2(ferr, 2);
		execv(ipcpctl, argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		assert_int_equal(errno, EINTR);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	slurp(fout, r->out, sizeof(r->out));
	slurp(ferr, r->err, sizeof(r->err));
	close(fin);
	close(fout);
	close(ferr);
}

#define assert_contains(hay, needle) do {				\
	if (strstr((hay), (needle)) == NULL)				\
		fail_msg("'%s' not in:\n%s", (needle), (hay));		\
} while (0)

static json_object *
parse_json(const char *s)
{
	json_object	*o = json_tokener_parse(s);

	if (o == NULL)
		fail_msg("not JSON:\n%s", s);
	return o;
}

static json_object *
key(json_object *o, const char *k)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, k, &v))
		fail_msg("no key '%s' in %s", k, json_object_to_json_string(o));
	return v;
}

/* ---- fixtures ---------------------------------------------------------- */

static int
setup(void **state)
{
	struct server	*srv;

	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return -1;
	strcpy(srv->dir, "/tmp/test_ctl.XXXXXX");
	if (mkdtemp(srv->dir) == NULL)
		return -1;
	snprintf(srv->path, sizeof(srv->path), "%s/ipcpd.sock", srv->dir);
	srv->lfd = -1;
	*state = srv;
	return 0;
}

static int
teardown(void **state)
{
	struct server	*srv = *state;

	server_stop(srv);
	rmdir(srv->dir);
	free(srv);
	return 0;
}

/* ---- tests ------------------------------------------------------------- */

static void
test_status_text(void **state)
{
	struct server	*srv = *state;
	struct run	 r;

	server_start(srv, REPLY_STATUS, 0);
	run(&r, NULL, "-s", srv->path, "status", NULL);
	server_stop(srv);
	assert_int_equal(r.status, 0);
	assert_true(srv->got_request);
	assert_int_equal(srv->got_cmd, IPCP__COMMAND__CMD_STATUS);
	assert_true(srv->got_id != 0);
	assert_string_equal(r.err, "");
	assert_contains(r.out, "node: alpha\n");
	assert_contains(r.out,
	    "public key: HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=\n");
	assert_contains(r.out, "uptime: 1d 2h 3m 4s\n");
	assert_contains(r.out, "listening: 0.0.0.0:5000\n");
	assert_contains(r.out, "listening: [::]:5000\n");
	assert_contains(r.out, "peers: 3 configured, 1 up\n");
	assert_contains(r.out, "pid: 4321\n");
}

static void
test_status_json(void **state)
{
	struct server	*srv = *state;
	struct run	 r;
	json_object	*o, *ls;

	server_start(srv, REPLY_STATUS, 0);
	run(&r, NULL, "-j", "-s", srv->path, "status", NULL);
	server_stop(srv);
	assert_int_equal(r.status, 0);
	o = parse_json(r.out);
	assert_string_equal(json_object_get_string(key(o, "node")), "alpha");
	assert_string_equal(json_object_get_string(key(o, "public_key")),
	    "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=");
	assert_int_equal(json_object_get_int64(key(o, "uptime_s")), 93784);
	ls = key(o, "listeners");
	assert_true(json_object_is_type(ls, json_type_array));
	assert_int_equal(json_object_array_length(ls), 2);
	assert_string_equal(json_object_get_string(
	    json_object_array_get_idx(ls, 1)), "[::]:5000");
	assert_int_equal(json_object_get_int(key(o, "peers_configured")), 3);
	assert_int_equal(json_object_get_int(key(o, "peers_up")), 1);
	assert_int_equal(json_object_get_int(key(o, "pid")), 4321);
	/* Keys carry '/' and '+': no JSON escaping noise for scripts. */
	assert_null(strstr(r.out, "\\/"));
	json_object_put(o);
}

static void
test_peers_text(void **state)
{
	struct server	*srv = *state;
	struct run	 r;
	char		*second;

	server_start(srv, REPLY_PEERS, 0);
	run(&r, NULL, "-s", srv->path, "peers", NULL);
	server_stop(srv);
	assert_int_equal(r.status, 0);
	assert_int_equal(srv->got_cmd, IPCP__COMMAND__CMD_PEERS);
	assert_string_equal(r.err, "");
	second = strstr(r.out, "peer: gamma\n");
	assert_non_null(second);
	*second = '\0';
	/* The first block: a peer with a session. */
	assert_contains(r.out, "peer: beta\n");
	assert_contains(r.out, "endpoint: 192.0.2.2:5000\n");
	assert_contains(r.out, "state: up\n");
	assert_contains(r.out, "session: 1h 2m 5s\n");
	assert_contains(r.out, "transfer: 1.50 MiB received (1100 packets), "
	    "2.00 KiB sent (17 packets)\n");
	assert_contains(r.out, "rtt: 1.234 ms\n");
	assert_contains(r.out, "forwarder: pid 4242\n");
	assert_contains(r.out, "reconnects: 2\n");
	assert_contains(r.out, "interface: ipcp-beta\n");
	assert_contains(r.out, "cipher: chacha20-poly1305\n");
	/* The second: nothing measured yet. */
	assert_contains(second + 1, "endpoint: -\n");
	assert_contains(second + 1, "rtt: -\n");
	assert_contains(second + 1, "forwarder: -\n");
	assert_contains(second + 1, "transfer: 0 B received (0 packets)");
}

static void
test_peers_json(void **state)
{
	static const char *const keys[] = { "name", "public_key", "endpoint",
	    "state", "session_uptime_s", "rx_bytes", "tx_bytes", "rx_packets",
	    "tx_packets", "rtt_ms", "fwd_pid", "reconnects", "interface",
	    "cipher", "remote" };
	struct server	*srv = *state;
	struct run	 r;
	json_object	*o, *ps, *p;
	size_t		 i, j;

	server_start(srv, REPLY_PEERS, 0);
	run(&r, NULL, "-s", srv->path, "-j", "peers", NULL);
	server_stop(srv);
	assert_int_equal(r.status, 0);
	o = parse_json(r.out);
	ps = key(o, "peers");
	assert_true(json_object_is_type(ps, json_type_array));
	assert_int_equal(json_object_array_length(ps), 2);
	for (i = 0; i < 2; i++)
		for (j = 0; j < sizeof(keys) / sizeof(keys[0]); j++)
			(void)key(json_object_array_get_idx(ps, i), keys[j]);

	p = json_object_array_get_idx(ps, 0);
	assert_string_equal(json_object_get_string(key(p, "name")), "beta");
	assert_string_equal(json_object_get_string(key(p, "endpoint")),
	    "192.0.2.2:5000");
	assert_string_equal(json_object_get_string(key(p, "state")), "up");
	assert_int_equal(json_object_get_int64(key(p, "session_uptime_s")),
	    3725);
	assert_int_equal(json_object_get_int64(key(p, "rx_bytes")), 1572864);
	assert_int_equal(json_object_get_int64(key(p, "tx_bytes")), 2048);
	assert_int_equal(json_object_get_int64(key(p, "rx_packets")), 1100);
	assert_int_equal(json_object_get_int64(key(p, "tx_packets")), 17);
	assert_true(json_object_is_type(key(p, "rtt_ms"), json_type_double));
	assert_true(json_object_get_double(key(p, "rtt_ms")) > 1.2339 &&
	    json_object_get_double(key(p, "rtt_ms")) < 1.2341);
	assert_int_equal(json_object_get_int(key(p, "fwd_pid")), 4242);
	assert_int_equal(json_object_get_int(key(p, "reconnects")), 2);
	assert_string_equal(json_object_get_string(key(p, "interface")),
	    "ipcp-beta");
	assert_string_equal(json_object_get_string(key(p, "cipher")),
	    "chacha20-poly1305");

	/* Not measured, no forwarder, no endpoint: null, not 0. */
	p = json_object_array_get_idx(ps, 1);
	assert_string_equal(json_object_get_string(key(p, "name")), "gamma");
	assert_null(key(p, "rtt_ms"));
	assert_null(key(p, "fwd_pid"));
	assert_null(key(p, "endpoint"));
	assert_int_equal(json_object_get_int64(key(p, "rx_bytes")), 0);
	json_object_put(o);
}

/*
 * Peers as PeerLists, several to a datagram: what ipcpd sends to an
 * ipcpctl that asks for them so (every one of ours does; the replies of
 * test_peers_json are what an older ipcpd sends).  The same document.
 */
static void
test_peers_batched_json(void **state)
{
	struct server	*srv = *state;
	struct run	 r;
	json_object	*o, *ps, *p;

	server_start(srv, REPLY_PEERS_BATCHED, 0);
	run(&r, NULL, "-s", srv->path, "-j", "peers", NULL);
	server_stop(srv);
	assert_int_equal(r.status, 0);
	assert_true(srv->got_batch);
	assert_string_equal(r.err, "");
	o = parse_json(r.out);
	ps = key(o, "peers");
	assert_int_equal(json_object_array_length(ps), 3);
	p = json_object_array_get_idx(ps, 0);
	assert_string_equal(json_object_get_string(key(p, "name")), "beta");
	assert_int_equal(json_object_get_int64(key(p, "rx_bytes")), 1572864);
	assert_int_equal(json_object_get_int(key(p, "fwd_pid")), 4242);
	assert_int_equal(json_object_get_int(key(key(p, "drops"),
	    "queue_full")), 0);
	p = json_object_array_get_idx(ps, 1);
	assert_string_equal(json_object_get_string(key(p, "name")), "gamma");
	assert_null(key(p, "fwd_pid"));
	p = json_object_array_get_idx(ps, 2);
	assert_string_equal(json_object_get_string(key(p, "name")), "p2");
	json_object_put(o);

	/* And as text, in order. */
	server_start(srv, REPLY_PEERS_BATCHED, 0);
	run(&r, NULL, "-s", srv->path, "peers", NULL);
	server_stop(srv);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "peer: beta\n"));
	assert_true(strstr(r.out, "peer: beta\n") <
	    strstr(r.out, "peer: gamma\n"));
	assert_true(strstr(r.out, "peer: gamma\n") <
	    strstr(r.out, "peer: p2\n"));
}

static void
test_metrics_batched(void **state)
{
	struct server	*srv = *state;
	struct run	 r;

	server_start(srv, REPLY_METRICS_BATCHED, 0);
	run(&r, NULL, "-s", srv->path, "metrics", NULL);
	server_stop(srv);
	assert_int_equal(r.status, 0);
	assert_int_equal(srv->got_cmd, IPCP__COMMAND__CMD_METRICS);
	assert_true(srv->got_batch);
	assert_string_equal(r.err, "");
	assert_contains(r.out, "ipcp_peer_receive_bytes_total{peer=\"beta\"} "
	    "1572864\n");
	assert_contains(r.out, "{peer=\"gamma\"}");
	assert_contains(r.out, "{peer=\"p2\"}");
}

static void
test_peers_none_json(void **state)
{
	struct server	*srv = *state;
	struct run	 r;
	json_object	*o;

	server_start(srv, REPLY_NO_PEERS, 0);
	run(&r, NULL, "-j", "-s", srv->path, "peers", NULL);
	server_stop(srv);
	assert_int_equal(r.status, 0);
	o = parse_json(r.out);
	assert_int_equal(json_object_array_length(key(o, "peers")), 0);
	json_object_put(o);
}

static void
test_peers_error_midway(void **state)
{
	struct server	*srv = *state;
	struct run	 r;

	server_start(srv, REPLY_PEER_THEN_ERROR, 0);
	run(&r, NULL, "-j", "-s", srv->path, "peers", NULL);
	server_stop(srv);
	assert_int_equal(r.status, 1);
	/* No half a JSON document. */
	assert_string_equal(r.out, "");
	assert_contains(r.err, "failed: forwarder went away");
}

static void
test_error_result(void **state)
{
	struct server	*srv = *state;
	struct run	 r;

	server_start(srv, REPLY_RESULT, CTL_RES_DENIED);
	run(&r, NULL, "-s", srv->path, "log", "verbose", NULL);
	server_stop(srv);
	assert_int_equal(r.status, 1);
	assert_int_equal(srv->got_cmd, IPCP__COMMAND__CMD_LOG_VERBOSE);
	assert_string_equal(r.out, "");
	assert_contains(r.err, "ipcpctl: log verbose: permission denied: "
	    "needs root\n");
}

static void
test_log_ok(void **state)
{
	struct server	*srv = *state;
	struct run	 r;

	server_start(srv, REPLY_RESULT, CTL_RES_OK);
	run(&r, NULL, "-s", srv->path, "log", "brief", NULL);
	server_stop(srv);
	assert_int_equal(r.status, 0);
	assert_int_equal(srv->got_cmd, IPCP__COMMAND__CMD_LOG_BRIEF);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "");
}

static void
test_wrong_id(void **state)
{
	struct server	*srv = *state;
	struct run	 r;

	server_start(srv, REPLY_WRONG_ID, 0);
	run(&r, NULL, "-s", srv->path, "status", NULL);
	server_stop(srv);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "");
}

static void
test_hangup(void **state)
{
	struct server	*srv = *state;
	struct run	 r;

	server_start(srv, REPLY_CLOSE, 0);
	run(&r, NULL, "-s", srv->path, "status", NULL);
	server_stop(srv);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "closed the connection");
}

static void
test_no_reply(void **state)
{
	struct server	*srv = *state;
	struct run	 r;

	server_start(srv, REPLY_SILENT, 0);
	run(&r, NULL, "-s", srv->path, "status", NULL);
	server_stop(srv);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "ipcpctl: no reply from ipcpd within 5 s\n");
}

static void
test_no_server(void **state)
{
	struct server	*srv = *state;
	struct run	 r;
	char		 want[256];

	run(&r, NULL, "-s", srv->path, "status", NULL);
	assert_int_equal(r.status, 1);
	snprintf(want, sizeof(want), "ipcpctl: cannot connect to %s: No such "
	    "file or directory (is ipcpd running?)\n", srv->path);
	assert_string_equal(r.err, want);
}

static void
test_usage(void **state)
{
	struct run	r;

	run(&r, NULL, "foo", NULL);
	assert_int_equal(r.status, 2);
	assert_contains(r.err, "ipcpctl: unknown command 'foo'; try: status, "
	    "peers");
	run(&r, NULL, "log", NULL);
	assert_int_equal(r.status, 2);
	assert_contains(r.err, "verbose|brief");
	run(&r, NULL, "log", "loud", NULL);
	assert_int_equal(r.status, 2);
	run(&r, NULL, "status", "now", NULL);
	assert_int_equal(r.status, 2);
	run(&r, NULL, NULL);
	assert_int_equal(r.status, 2);
	run(&r, NULL, "-s", NULL);
	assert_int_equal(r.status, 2);
	run(&r, NULL, "help", NULL);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "genkey");
}

/* -c reads `control' from [node] only; -i names /run/ipcp/NAME.sock. */
static void
test_socket_options(void **state)
{
	struct server	*srv = *state;
	struct run	 r;
	char		 conf[PATH_MAX], want[256];
	FILE		*fp;

	snprintf(conf, sizeof(conf), "%s/ipcpd.conf", srv->dir);
	assert_non_null(fp = fopen(conf, "w"));
	fprintf(fp, "[node]\nname = alpha\ncontrol = %s ; here\n"
	    "[peer beta]\ncontrol = /not/this\n", srv->path);
	fclose(fp);
	server_start(srv, REPLY_STATUS, 0);
	run(&r, NULL, "-c", conf, "status", NULL);
	server_stop(srv);
	assert_int_equal(r.status, 0);
	assert_true(srv->got_request);
	assert_contains(r.out, "node: alpha\n");

	/* A key command does not need the file. */
	run(&r, NULL, "-c", "/nonexistent/ipcpd.conf", "genpsk", NULL);
	assert_int_equal(r.status, 0);
	run(&r, NULL, "-c", "/nonexistent/ipcpd.conf", "status", NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "ipcpctl: -c /nonexistent/ipcpd.conf: No "
	    "such file or directory\n");

	run(&r, NULL, "-i", "test-ctl-none", "status", NULL);
	assert_int_equal(r.status, 1);
	snprintf(want, sizeof(want), "cannot connect to /run/ipcp/"
	    "test-ctl-none.sock");
	assert_contains(r.err, want);
	run(&r, NULL, "-i", "../etc/x", "status", NULL);
	assert_int_equal(r.status, 2);
	run(&r, NULL, "-i", "a", "-s", srv->path, "status", NULL);
	assert_int_equal(r.status, 2);
	assert_contains(r.err, "give one");
	unlink(conf);
}

/* --version, -V, --help, -h: stdout, exit 0; usage errors one line. */
static void
test_version_help(void **state)
{
	static const char *const bad[][3] = {
		{ "-x", "status", NULL }, { "--bogus", NULL, NULL },
		{ "-s", NULL, NULL }, { NULL, NULL, NULL },
	};
	struct run	 r;
	size_t		 i;

	run(&r, NULL, "--version", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "ipcpctl " IPCP_VERSION "\n");
	run(&r, NULL, "-V", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "ipcpctl " IPCP_VERSION "\n");
	run(&r, NULL, "--help", NULL);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "-i instance");
	run(&r, NULL, "-h", NULL);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "genkey");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run(&r, NULL, bad[i][0], bad[i][1], bad[i][2], NULL);
		assert_int_equal(r.status, 2);
		assert_string_equal(r.out, "");
		/* One line: a newline at the end and none before. */
		assert_true(strlen(r.err) > 1);
		assert_ptr_equal(strchr(r.err, '\n'),
		    r.err + strlen(r.err) - 1);
	}
}

static void
test_genkey_pubkey(void **state)
{
	uint8_t	 priv[KEY_LEN], pub[KEY_LEN], want[KEY_LEN];
	char	 in[128];
	struct run r;

	run(&r, NULL, "genkey", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(strlen(r.out), 45);
	assert_int_equal(r.out[44], '\n');
	r.out[44] = '\0';
	assert_int_equal(key_from_base64(priv, r.out), 0);
	/* Clamped as X25519 wants. */
	assert_int_equal(priv[0] & 7, 0);
	assert_int_equal(priv[31] & 0xc0, 0x40);
	assert_int_equal(crypto_scalarmult_base(want, priv), 0);

	/* White space around the key is fine, as from a file. */
	snprintf(in, sizeof(in), "  %s\n\n", r.out);
	run(&r, in, "pubkey", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(strlen(r.out), 45);
	r.out[44] = '\0';
	assert_int_equal(key_from_base64(pub, r.out), 0);
	assert_memory_equal(pub, want, KEY_LEN);

	run(&r, NULL, "genkey", NULL);
	r.out[44] = '\0';
	assert_int_equal(key_from_base64(pub, r.out), 0);
	assert_memory_not_equal(pub, priv, KEY_LEN);
}

static void
test_pubkey_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"garbage\n",
		/* 43 characters: one short. */
		"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw\n",
		/* Two keys. */
		"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=\n"
		"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=\n",
		"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8yk!=\n",
	};
	struct run	r;
	size_t		i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run(&r, bad[i], "pubkey", NULL);
		assert_int_equal(r.status, 1);
		assert_string_equal(r.out, "");
		assert_string_equal(r.err, "ipcpctl: pubkey: stdin does not "
		    "hold a base64 private key\n");
	}
}

static void
test_genpsk(void **state)
{
	uint8_t		psk[KEY_LEN], psk2[KEY_LEN];
	struct run	r;

	run(&r, NULL, "genpsk", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(strlen(r.out), 45);
	r.out[44] = '\0';
	assert_int_equal(key_from_base64(psk, r.out), 0);
	run(&r, NULL, "genpsk", NULL);
	r.out[44] = '\0';
	assert_int_equal(key_from_base64(psk2, r.out), 0);
	assert_memory_not_equal(psk, psk2, KEY_LEN);
}

/* IPCPCTL, or $(B)/ipcpctl for a test binary at $(B)/tests/test_ctl. */
static void
find_ipcpctl(const char *argv0)
{
	char	 tmp[PATH_MAX];
	char	*env = getenv("IPCPCTL");

	if (env != NULL) {
		snprintf(ipcpctl, sizeof(ipcpctl), "%s", env);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s", argv0);
	snprintf(ipcpctl, sizeof(ipcpctl), "%s/ipcpctl",
	    dirname(dirname(tmp)));
	if (access(ipcpctl, X_OK) == -1)
		snprintf(ipcpctl, sizeof(ipcpctl), "build/ipcpctl");
}

int
main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status_text, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_status_json, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_peers_text, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_peers_json, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_peers_batched_json,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_batched,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_peers_none_json, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_peers_error_midway,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_result, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_log_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_id, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hangup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_reply, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_server, setup,
		    teardown),
		cmocka_unit_test(test_usage),
		cmocka_unit_test_setup_teardown(test_socket_options, setup,
		    teardown),
		cmocka_unit_test(test_version_help),
		cmocka_unit_test(test_genkey_pubkey),
		cmocka_unit_test(test_pubkey_garbage),
		cmocka_unit_test(test_genpsk),
	};

	if (sodium_init() < 0)
		return 1;
	find_ipcpctl(argv[0]);
	if (access(ipcpctl, X_OK) == -1) {
		fprintf(stderr, "test_ctl: %s: %s (set IPCPCTL)\n", ipcpctl,
		    strerror(errno));
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
