/* SPDX-License-Identifier: ISC */
/*
 * The control socket: ipcpctl's requests over AF_UNIX SOCK_SEQPACKET, one
 * protobuf Envelope per datagram (proto/msg.c).  The socket is mode 0660,
 * group ipcp when that group exists; anyone who can connect may read
 * status, but commands that change state need uid 0 (SO_PEERCRED).
 * Every request is bounded (MSG_MAX_CTL) and validated; a bad one gets a
 * Result with a code, and the daemon carries on.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "wire.h"
#include "ipcpd.h"
#include "log.h"
#include "msg.h"

#define CONTROL_MAX_CLIENTS	32

struct ctl_client {
	TAILQ_ENTRY(ctl_client)	 entry;
	int			 fd;
	uv_poll_t		 poll;
	uid_t			 uid;
};

static TAILQ_HEAD(, ctl_client)	clients = TAILQ_HEAD_INITIALIZER(clients);
static size_t			n_clients;
static int			control_fd = -1;
static uv_poll_t		control_poll;
static char			control_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

struct ctl_command {
	Ipcp__Command	 cmd;
	int		 needs_root;
	void		(*fn)(struct ctl_client *, uint32_t id);
};

static void
client_closed(uv_handle_t *h)
{
	struct ctl_client	*c = h->data;

	close(c->fd);
	free(c);
}

static void
client_close(struct ctl_client *c)
{
	TAILQ_REMOVE(&clients, c, entry);
	n_clients--;
	uv_close((uv_handle_t *)&c->poll, client_closed);
}

static int
reply(struct ctl_client *c, Ipcp__Envelope *env, uint32_t id)
{
	env->id = id;
	return msg_send(c->fd, env, -1);
}

static void
reply_result(struct ctl_client *c, uint32_t id, unsigned code,
    const char *text)
{
	Ipcp__Envelope	env = IPCP__ENVELOPE__INIT;
	Ipcp__Result	res = IPCP__RESULT__INIT;

	res.code = code;
	res.text = (char *)(text != NULL ? text : ctl_result_str(code));
	env.body_case = IPCP__ENVELOPE__BODY_RESULT;
	env.result = &res;
	reply(c, &env, id);
}

static void
cmd_status(struct ctl_client *c, uint32_t id)
{
	const struct config	*conf = ipcpd->conf;
	Ipcp__Envelope		 env = IPCP__ENVELOPE__INIT;
	Ipcp__Status		 st = IPCP__STATUS__INIT;
	char			 pub[KEY_B64_LEN];
	char			*listeners[CONFIG_LIST_MAX];
	size_t			 i;

	key_to_base64(pub, conf->key.pub);
	st.node_name = (char *)conf->name;
	st.public_key = pub;
	st.uptime_s = (now_ms() - ipcpd->start_ms) / 1000;
	for (i = 0; i < conf->n_listen; i++)
		listeners[i] = (char *)conf->listen[i].text;
	st.n_listeners = conf->n_listen;
	st.listeners = listeners;
	st.peers_configured = conf->n_peers;
	st.peers_up = peer_count_up();
	st.pid = getpid();
	env.body_case = IPCP__ENVELOPE__BODY_STATUS;
	env.status = &st;
	reply(c, &env, id);
}

static void
cmd_peers(struct ctl_client *c, uint32_t id)
{
	Ipcp__Envelope	 env = IPCP__ENVELOPE__INIT;
	Ipcp__End	 end = IPCP__END__INIT;
	struct peer	*p;

	TAILQ_FOREACH(p, &ipcpd->peers, entry) {
		Ipcp__PeerInfo	pi = IPCP__PEER_INFO__INIT;
		char		pub[KEY_B64_LEN];
		int		up = p->state == PEER_STATE_UP;

		key_to_base64(pub, p->conf->pubkey);
		pi.name = (char *)p->conf->name;
		pi.public_key = pub;
		pi.endpoint = (char *)(p->conf->has_endpoint ?
		    p->conf->endpoint.text : "");
		pi.state = (char *)peer_state_name(p->state);
		pi.interface = (char *)p->conf->ifname;
		pi.reconnects = p->reconnects;
		if (up && p->fwd != NULL) {
			pi.session_uptime_s =
			    (now_ms() - p->session_start_ms) / 1000;
			pi.rx_bytes = p->stats.rx_bytes;
			pi.tx_bytes = p->stats.tx_bytes;
			pi.rx_packets = p->stats.rx_packets;
			pi.tx_packets = p->stats.tx_packets;
			pi.rtt_us = p->stats.rtt_us;
			pi.fwd_pid = fwd_pid(p->fwd);
			pi.cipher = (char *)frame_cipher_name(p->cipher);
			pi.remote = p->remote;
		} else {
			pi.cipher = "";
			pi.remote = "";
		}
		env.body_case = IPCP__ENVELOPE__BODY_PEER;
		env.peer = &pi;
		if (reply(c, &env, id) == -1)
			return;
	}
	env.body_case = IPCP__ENVELOPE__BODY_END;
	env.end = &end;
	reply(c, &env, id);
}

static void
cmd_log_verbose(struct ctl_client *c, uint32_t id)
{
	log_setverbose(1);
	log_info("logging verbosely");
	reply_result(c, id, CTL_RES_OK, NULL);
}

static void
cmd_log_brief(struct ctl_client *c, uint32_t id)
{
	log_info("logging briefly");
	log_setverbose(0);
	reply_result(c, id, CTL_RES_OK, NULL);
}

static const struct ctl_command commands[] = {
	{ IPCP__COMMAND__CMD_STATUS,		0, cmd_status },
	{ IPCP__COMMAND__CMD_PEERS,		0, cmd_peers },
	{ IPCP__COMMAND__CMD_LOG_VERBOSE,	1, cmd_log_verbose },
	{ IPCP__COMMAND__CMD_LOG_BRIEF,		1, cmd_log_brief },
};

static void
control_dispatch(struct ctl_client *c, Ipcp__Envelope *env)
{
	size_t	i;

	if (env->body_case != IPCP__ENVELOPE__BODY_REQUEST) {
		reply_result(c, env->id, CTL_RES_INVALID, NULL);
		return;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (commands[i].cmd != env->request->cmd)
			continue;
		if (commands[i].needs_root && c->uid != 0) {
			reply_result(c, env->id, CTL_RES_DENIED, NULL);
			return;
		}
		commands[i].fn(c, env->id);
		return;
	}
	reply_result(c, env->id, CTL_RES_UNKNOWN, NULL);
}

static void
client_cb(uv_poll_t *h, int status, int events)
{
	struct ctl_client	*c = h->data;
	Ipcp__Envelope		*env;

	if (status < 0) {
		client_close(c);
		return;
	}
	if ((env = msg_recv(c->fd, MSG_MAX_CTL, NULL)) == NULL) {
		if (errno == EAGAIN)
			return;
		if (errno == EBADMSG || errno == EMSGSIZE) {
			/* Say why, then hang up: we do not resync. */
			reply_result(c, 0, CTL_RES_INVALID, NULL);
		}
		client_close(c);
		return;
	}
	control_dispatch(c, env);
	msg_free(env);
}

static void
control_accept(uv_poll_t *h, int status, int events)
{
	struct ctl_client	*c;
	struct ucred		 cred;
	socklen_t		 len = sizeof(cred);
	int			 fd;

	fd = accept4(control_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1)
		return;
	if (n_clients >= CONTROL_MAX_CLIENTS ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->uid = cred.uid;
	uv_poll_init(ipcpd->loop, &c->poll, fd);
	c->poll.data = c;
	uv_poll_start(&c->poll, UV_READABLE, client_cb);
	TAILQ_INSERT_TAIL(&clients, c, entry);
	n_clients++;
}

int
control_open(const char *path)
{
	struct sockaddr_un	 sun;
	struct group		*gr;
	mode_t			 old;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1) {
		log_warn("control socket");
		return -1;
	}
	/* A live socket means another ipcpd; a dead one is a leftover. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		log_warnx("%s: another ipcpd is running", path);
		close(fd);
		return -1;
	}
	if (errno == ECONNREFUSED)
		unlink(path);
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("bind %s", path);
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	if ((gr = getgrnam("ipcp")) != NULL && chown(path, 0, gr->gr_gid) == -1)
		log_warn("chown %s", path);
	if (listen(fd, 16) == -1) {
		log_warn("listen %s", path);
		unlink(path);
		close(fd);
		return -1;
	}
	control_fd = fd;
	strcpy(control_path, path);
	uv_poll_init(ipcpd->loop, &control_poll, fd);
	uv_poll_start(&control_poll, UV_READABLE, control_accept);
	return 0;
}

void
control_close(void)
{
	struct ctl_client	*c;

	if (control_fd == -1)
		return;
	while ((c = TAILQ_FIRST(&clients)) != NULL)
		client_close(c);
	uv_close((uv_handle_t *)&control_poll, NULL);
	close(control_fd);
	control_fd = -1;
	unlink(control_path);
}
