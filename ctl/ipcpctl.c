/* SPDX-License-Identifier: ISC */
/*
 * ipcpctl: argv in, one request, replies printed, a meaningful exit
 * status (after OpenBSD bgpctl and wg).  It has no privileges and no
 * logic of its own: the daemon answers over its control socket, an
 * AF_UNIX SOCK_SEQPACKET socket carrying one protobuf Envelope per
 * datagram (proto/msg.c).  The key commands work without a daemon.
 *
 * Exit status: 0 on success, 1 when the command failed (no daemon, an
 * error result, bad input), 2 on a usage error (one line on stderr).
 *
 * The socket is -s SOCKET, -i INSTANCE or -c CONFIG (sockpath.c), else
 * the default one.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ipcpctl.h"
#include "msg.h"
#include "util.h"
#include "version.h"

static void	usage(void) __attribute__((noreturn));
static int	ctl_connect(const char *);
static Ipcp__Envelope *ctl_recv(int, uint64_t, int);
static int	ctl_reply(const struct ctl_cmd *, const struct output *,
		    const Ipcp__Envelope *, int *);
static const char *cmd_words(const struct ctl_cmd *);

static const struct option longopts[] = {
	{ "help",	no_argument,	NULL, 'h' },
	{ "version",	no_argument,	NULL, 'V' },
	{ NULL,		0,		NULL, 0 }
};

/* After the one line that says what was wrong. */
static void
usage(void)
{
	exit(CTL_EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	struct ctl_opts		 opts;
	const struct ctl_cmd	*cmd;
	struct ctl_args		 args;
	const char		*where = NULL;
	char			 path[SOCKPATH_LEN];
	int			 ch, rc, which = 0;

	opts.socket = IPCP_CONTROL_SOCKET;
	opts.json = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:c:hi:js:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
		case 'i':
		case 's':
			/* The socket, said once: which would win is a guess. */
			if (which != 0) {
				fprintf(stderr, "ipcpctl: -c, -i and -s each "
				    "name the socket; give one\n");
				usage();
			}
			which = ch;
			where = optarg;
			break;
		case 'h':
			parse_usage(stdout);
			return CTL_EXIT_OK;
		case 'j':
			opts.json = 1;
			break;
		case 'V':
			printf("ipcpctl %s\n", IPCP_VERSION);
			return CTL_EXIT_OK;
		case ':':
			fprintf(stderr, "ipcpctl: option %s needs an "
			    "argument\n", argv[optind - 1]);
			usage();
		default:
			if (optopt != 0)
				fprintf(stderr, "ipcpctl: unknown option "
				    "-%c (ipcpctl -h for help)\n", optopt);
			else
				fprintf(stderr, "ipcpctl: unknown option %s "
				    "(ipcpctl -h for help)\n",
				    argv[optind - 1]);
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if ((cmd = parse_command(argc, argv, &args)) == NULL)
		return CTL_EXIT_USAGE;
	/* Only commands for ipcpd look for it: genkey needs no config. */
	if (cmd->request != IPCP__COMMAND__CMD_NONE) {
		switch (which) {
		case 's':
			opts.socket = where;
			break;
		case 'i':
			/* A name that cannot be an instance is a typo. */
			if (sockpath_instance(where, path, sizeof(path)) == -1)
				return CTL_EXIT_USAGE;
			opts.socket = path;
			break;
		case 'c':
			if (sockpath_config(where, path, sizeof(path)) == -1)
				return CTL_EXIT_ERROR;
			opts.socket = path;
			break;
		}
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "ipcpctl: cannot initialise libsodium\n");
		return CTL_EXIT_ERROR;
	}
	rc = cmd->handler(cmd, &opts, &args);
	/* A full disk or a closed pipe must not look like success. */
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "ipcpctl: standard output: %s\n",
		    strerror(errno));
		return CTL_EXIT_ERROR;
	}
	return rc;
}

/* "log verbose", for messages. */
static const char *
cmd_words(const struct ctl_cmd *cmd)
{
	static char	buf[64];

	snprintf(buf, sizeof(buf), "%s%s%s", cmd->name,
	    cmd->argkind == CTL_ARG_WORD ? " " : "",
	    cmd->argkind == CTL_ARG_WORD ? cmd->arg : "");
	return buf;
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un	 sun;
	const char		*hint = "";
	int			 fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "ipcpctl: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1) {
		fprintf(stderr, "ipcpctl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		if (saved == ENOENT || saved == ECONNREFUSED)
			hint = " (is ipcpd running?)";
		else if (saved == EACCES)
			hint = " (are you root or in the socket's group?)";
		fprintf(stderr, "ipcpctl: cannot connect to %s: %s%s\n", path,
		    strerror(saved), hint);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * One reply, waiting at most until `deadline' (now_ms() time).  Says what
 * went wrong on stderr and returns NULL on error or timeout.
 */
static Ipcp__Envelope *
ctl_recv(int fd, uint64_t deadline, int timeout_ms)
{
	Ipcp__Envelope	*env;
	struct pollfd	 pfd;
	uint64_t	 now;
	int		 n;

	for (;;) {
		if ((now = now_ms()) >= deadline) {
			fprintf(stderr, "ipcpctl: no reply from ipcpd within "
			    "%d s\n", timeout_ms / 1000);
			return NULL;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, (int)(deadline - now));
		if (n == -1 && errno != EINTR) {
			fprintf(stderr, "ipcpctl: poll: %s\n", strerror(errno));
			return NULL;
		}
		if (n <= 0)
			continue;
		if ((env = msg_recv(fd, &msg_chan_ctl_reply, NULL)) != NULL)
			return env;
		switch (errno) {
		case EAGAIN:
		case EINTR:
			continue;
		case EPIPE:
			fprintf(stderr, "ipcpctl: ipcpd closed the connection "
			    "before it replied\n");
			return NULL;
		case EMSGSIZE:
			fprintf(stderr, "ipcpctl: reply from ipcpd is larger "
			    "than %d bytes\n", MSG_MAX_CTL_REPLY);
			return NULL;
		case EPROTO:
		case EBADMSG:
			fprintf(stderr, "ipcpctl: malformed reply from "
			    "ipcpd\n");
			return NULL;
		default:
			fprintf(stderr, "ipcpctl: receive: %s\n",
			    strerror(errno));
			return NULL;
		}
	}
}

/* A Result that says the command failed: one line on stderr. */
static void
print_failure(const struct ctl_cmd *cmd, const Ipcp__Result *res)
{
	/* A config error is already `file:line: message'. */
	if (res->code == CTL_RES_CONFIG)
		fprintf(stderr, "%s\n", res->text);
	/* The text may only repeat what the code says. */
	else if (res->text[0] == '\0' ||
	    strstr(res->text, ctl_result_str(res->code)) != NULL)
		fprintf(stderr, "ipcpctl: %s: %s\n", cmd_words(cmd),
		    res->text[0] != '\0' ? res->text :
		    ctl_result_str(res->code));
	else
		fprintf(stderr, "ipcpctl: %s: %s: %s\n", cmd_words(cmd),
		    ctl_result_str(res->code), res->text);
}

/* metrics: a Status, the peers, End; printed whole at the end. */
static int
metrics_reply(const struct ctl_cmd *cmd, const Ipcp__Envelope *env,
    int *done)
{
	size_t	i;
	int	r = 0;

	switch (env->body_case) {
	case IPCP__ENVELOPE__BODY_RESULT:
		if (env->result->code != CTL_RES_OK) {
			print_failure(cmd, env->result);
			return CTL_EXIT_ERROR;
		}
		return CTL_EXIT_OK;
	case IPCP__ENVELOPE__BODY_STATUS:
		r = metrics_status(env->status);
		break;
	case IPCP__ENVELOPE__BODY_PEER:
		r = metrics_peer(env->peer);
		break;
	case IPCP__ENVELOPE__BODY_PEERS:
		for (i = 0; i < env->peers->n_peers && r == 0; i++)
			r = metrics_peer(env->peers->peers[i]);
		break;
	case IPCP__ENVELOPE__BODY_END:
		*done = 1;
		if (metrics_end() == -1) {
			fprintf(stderr, "ipcpctl: metrics: cannot write\n");
			return CTL_EXIT_ERROR;
		}
		return CTL_EXIT_OK;
	default:
		r = -1;
		break;
	}
	if (r == -1) {
		fprintf(stderr, "ipcpctl: %s: unexpected reply from ipcpd\n",
		    cmd_words(cmd));
		return CTL_EXIT_ERROR;
	}
	return CTL_EXIT_OK;
}

/*
 * Act on one reply to `cmd'.  Sets *done once the reply is complete.
 * Returns an exit status; anything but CTL_EXIT_OK ends the exchange.
 */
static int
ctl_reply(const struct ctl_cmd *cmd, const struct output *out,
    const Ipcp__Envelope *env, int *done)
{
	Ipcp__Command	c = cmd->request;
	size_t		i;

	if (c == IPCP__COMMAND__CMD_METRICS)
		return metrics_reply(cmd, env, done);
	switch (env->body_case) {
	case IPCP__ENVELOPE__BODY_RESULT:
		if (env->result->code != CTL_RES_OK) {
			print_failure(cmd, env->result);
			return CTL_EXIT_ERROR;
		}
		/* A bare "ok" answers a command that has nothing to show. */
		if (c == IPCP__COMMAND__CMD_STATUS ||
		    c == IPCP__COMMAND__CMD_PEERS ||
		    c == IPCP__COMMAND__CMD_ROUTES ||
		    c == IPCP__COMMAND__CMD_LEASES ||
		    c == IPCP__COMMAND__CMD_RELOAD ||
		    c == IPCP__COMMAND__CMD_TRACE)
			break;
		out->done(env->result->text);
		*done = 1;
		return CTL_EXIT_OK;
	case IPCP__ENVELOPE__BODY_STATUS:
		if (c != IPCP__COMMAND__CMD_STATUS)
			break;
		out->status(env->status);
		*done = 1;
		return CTL_EXIT_OK;
	case IPCP__ENVELOPE__BODY_PEER:
		if (c != IPCP__COMMAND__CMD_PEERS)
			break;
		out->peer(env->peer);
		return CTL_EXIT_OK;
	case IPCP__ENVELOPE__BODY_PEERS:
		if (c != IPCP__COMMAND__CMD_PEERS)
			break;
		for (i = 0; i < env->peers->n_peers; i++)
			out->peer(env->peers->peers[i]);
		return CTL_EXIT_OK;
	case IPCP__ENVELOPE__BODY_ROUTE:
		if (c != IPCP__COMMAND__CMD_ROUTES)
			break;
		out->route(env->route);
		return CTL_EXIT_OK;
	case IPCP__ENVELOPE__BODY_LEASE:
		if (c != IPCP__COMMAND__CMD_LEASES)
			break;
		out->lease(env->lease);
		return CTL_EXIT_OK;
	case IPCP__ENVELOPE__BODY_END:
		if (c == IPCP__COMMAND__CMD_PEERS)
			out->peers_end();
		else if (c == IPCP__COMMAND__CMD_ROUTES)
			out->routes_end();
		else if (c == IPCP__COMMAND__CMD_LEASES)
			out->leases_end();
		else
			break;
		*done = 1;
		return CTL_EXIT_OK;
	case IPCP__ENVELOPE__BODY_RELOAD_PEER:
		if (c != IPCP__COMMAND__CMD_RELOAD)
			break;
		out->reload_peer(env->reload_peer);
		return CTL_EXIT_OK;
	case IPCP__ENVELOPE__BODY_RELOAD_DONE:
		if (c != IPCP__COMMAND__CMD_RELOAD)
			break;
		out->reload_done(env->reload_done);
		*done = 1;
		return CTL_EXIT_OK;
	case IPCP__ENVELOPE__BODY_TRACE_RESULT:
		if (c != IPCP__COMMAND__CMD_TRACE)
			break;
		out->trace(env->trace_result);
		*done = 1;
		/* The hops so far are printed; the trace did not arrive. */
		if (env->trace_result->error[0] != '\0') {
			fprintf(stderr, "ipcpctl: trace: ");
			print_str(env->trace_result->error);
			fputc('\n', stderr);
			return CTL_EXIT_ERROR;
		}
		return CTL_EXIT_OK;
	default:
		break;
	}
	fprintf(stderr, "ipcpctl: %s: unexpected reply from ipcpd\n",
	    cmd_words(cmd));
	return CTL_EXIT_ERROR;
}

int
ctl_request(const struct ctl_cmd *cmd, const struct ctl_opts *opts,
    const struct ctl_args *args)
{
	const struct output	*out;
	Ipcp__Envelope		 env = IPCP__ENVELOPE__INIT;
	Ipcp__Request		 req = IPCP__REQUEST__INIT;
	Ipcp__Envelope		*rep = NULL;
	uint64_t		 deadline;
	uint32_t		 id;
	int			 fd, r, rc = CTL_EXIT_ERROR, done = 0;

	out = opts->json ? &output_json : &output_text;
	if ((fd = ctl_connect(opts->socket)) == -1)
		return CTL_EXIT_ERROR;

	/* Never 0, so a reply that forgot the id cannot match. */
	id = randombytes_uniform(UINT32_MAX) + 1;
	req.cmd = cmd->request;
	req.check = args->check;
	req.confirm_s = args->confirm_s;
	req.target = (char *)(args->target != NULL ? args->target : "");
	/* Peers many to a datagram; an older ipcpd sends them one each. */
	req.batch = 1;
	env.id = id;
	env.body_case = IPCP__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	if (msg_send(fd, &msg_chan_ctl_request, &env, -1) == -1) {
		fprintf(stderr, "ipcpctl: send to ipcpd: %s\n",
		    strerror(errno));
		goto out;
	}

	deadline = now_ms() + cmd->timeout_ms;
	while (!done) {
		if ((rep = ctl_recv(fd, deadline, cmd->timeout_ms)) == NULL)
			goto out;
		if (rep->id != id) {
			fprintf(stderr, "ipcpctl: reply from ipcpd carries id "
			    "%u, request had %u\n", rep->id, id);
			goto out;
		}
		if ((r = ctl_reply(cmd, out, rep, &done)) != CTL_EXIT_OK) {
			/* A trace that stopped short still showed its hops. */
			if (done)
				rc = r;
			goto out;
		}
		msg_free(rep);
		rep = NULL;
	}
	rc = CTL_EXIT_OK;
out:
	msg_free(rep);
	close(fd);
	return rc;
}

int
ctl_genkey(const struct ctl_cmd *cmd, const struct ctl_opts *opts,
    const struct ctl_args *args)
{
	uint8_t		key[KEY_LEN];
	char		b64[KEY_B64_LEN];
	struct stat	st;

	/* As wg genkey: a private key in a file others can read is lost. */
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 0077) != 0)
		fprintf(stderr, "ipcpctl: warning: writing a private key to a "
		    "file others can read\n");

	/* Clamped as wg does, so the key printed is the scalar used. */
	randombytes_buf(key, sizeof(key));
	key[0] &= 248;
	key[31] &= 127;
	key[31] |= 64;
	key_to_base64(b64, key);
	printf("%s\n", b64);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(b64, sizeof(b64));
	return CTL_EXIT_OK;
}

int
ctl_pubkey(const struct ctl_cmd *cmd, const struct ctl_opts *opts,
    const struct ctl_args *args)
{
	uint8_t		priv[KEY_LEN], pub[KEY_LEN];
	char		b64[KEY_B64_LEN];
	int		rc = CTL_EXIT_ERROR;

	if (key_read_fd(STDIN_FILENO, priv) == -1) {
		if (errno == EINVAL)
			fprintf(stderr, "ipcpctl: pubkey: stdin does not hold "
			    "a base64 private key\n");
		else
			fprintf(stderr, "ipcpctl: pubkey: stdin: %s\n",
			    strerror(errno));
	} else if (crypto_scalarmult_base(pub, priv) != 0)
		fprintf(stderr, "ipcpctl: pubkey: stdin does not hold a "
		    "base64 private key\n");
	else {
		key_to_base64(b64, pub);
		printf("%s\n", b64);
		rc = CTL_EXIT_OK;
	}
	sodium_memzero(priv, sizeof(priv));
	return rc;
}

int
ctl_genpsk(const struct ctl_cmd *cmd, const struct ctl_opts *opts,
    const struct ctl_args *args)
{
	uint8_t	psk[KEY_LEN];
	char	b64[KEY_B64_LEN];

	randombytes_buf(psk, sizeof(psk));
	key_to_base64(b64, psk);
	printf("%s\n", b64);
	sodium_memzero(psk, sizeof(psk));
	sodium_memzero(b64, sizeof(b64));
	return CTL_EXIT_OK;
}

int
ctl_help(const struct ctl_cmd *cmd, const struct ctl_opts *opts,
    const struct ctl_args *args)
{
	parse_usage(stdout);
	return CTL_EXIT_OK;
}
