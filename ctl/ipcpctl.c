/* SPDX-License-Identifier: ISC */
/*
 * ipcpctl: argv in, one request, replies printed, a meaningful exit
 * status (after OpenBSD bgpctl and wg).  It has no privileges and no
 * logic of its own: the daemon answers over its control socket, an
 * AF_UNIX SOCK_SEQPACKET socket carrying one protobuf Envelope per
 * datagram (proto/msg.c).  The key commands work without a daemon.
 *
 * Exit status: 0 on success, 1 when the command failed (no daemon, an
 * error result, bad input), 2 on a usage error.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
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

static void	usage(void) __attribute__((noreturn));
static int	ctl_connect(const char *);
static Ipcp__Envelope *ctl_recv(int, uint64_t);
static int	ctl_reply(const struct ctl_cmd *, const struct output *,
		    const Ipcp__Envelope *, int *);
static const char *cmd_words(const struct ctl_cmd *);

static void
usage(void)
{
	parse_usage(stderr);
	exit(CTL_EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	struct ctl_opts		 opts;
	const struct ctl_cmd	*cmd;
	int			 ch, rc;

	opts.socket = IPCP_CONTROL_SOCKET;
	opts.json = 0;
	opterr = 0;
	while ((ch = getopt(argc, argv, ":hjs:")) != -1) {
		switch (ch) {
		case 'h':
			parse_usage(stdout);
			return CTL_EXIT_OK;
		case 'j':
			opts.json = 1;
			break;
		case 's':
			opts.socket = optarg;
			break;
		case ':':
			fprintf(stderr, "ipcpctl: option -%c needs an "
			    "argument\n", optopt);
			usage();
		default:
			fprintf(stderr, "ipcpctl: unknown option -%c\n",
			    optopt);
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if ((cmd = parse_command(argc, argv)) == NULL)
		return CTL_EXIT_USAGE;
	if (sodium_init() < 0) {
		fprintf(stderr, "ipcpctl: cannot initialise libsodium\n");
		return CTL_EXIT_ERROR;
	}
	rc = cmd->handler(cmd, &opts);
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
	    cmd->arg != NULL ? " " : "", cmd->arg != NULL ? cmd->arg : "");
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
ctl_recv(int fd, uint64_t deadline)
{
	Ipcp__Envelope	*env;
	struct pollfd	 pfd;
	uint64_t	 now;
	int		 n;

	for (;;) {
		if ((now = now_ms()) >= deadline) {
			fprintf(stderr, "ipcpctl: no reply from ipcpd within "
			    "%d s\n", CTL_TIMEOUT_MS / 1000);
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
		if ((env = msg_recv(fd, MSG_MAX_CTL, NULL)) != NULL)
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
			    "than %d bytes\n", MSG_MAX_CTL);
			return NULL;
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

/*
 * Act on one reply to `cmd'.  Sets *done once the reply is complete.
 * Returns an exit status; anything but CTL_EXIT_OK ends the exchange.
 */
static int
ctl_reply(const struct ctl_cmd *cmd, const struct output *out,
    const Ipcp__Envelope *env, int *done)
{
	const Ipcp__Result	*res;

	switch (env->body_case) {
	case IPCP__ENVELOPE__BODY_RESULT:
		res = env->result;
		if (res->code != CTL_RES_OK) {
			/* The text may only repeat what the code says. */
			if (res->text[0] == '\0' ||
			    strcmp(res->text, ctl_result_str(res->code)) == 0)
				fprintf(stderr, "ipcpctl: %s: %s\n",
				    cmd_words(cmd), ctl_result_str(res->code));
			else
				fprintf(stderr, "ipcpctl: %s: %s: %s\n",
				    cmd_words(cmd), ctl_result_str(res->code),
				    res->text);
			return CTL_EXIT_ERROR;
		}
		/* A bare "ok" answers a command that has nothing to show. */
		if (cmd->request == IPCP__COMMAND__CMD_STATUS)
			break;
		if (cmd->request == IPCP__COMMAND__CMD_PEERS)
			out->end();
		*done = 1;
		return CTL_EXIT_OK;
	case IPCP__ENVELOPE__BODY_STATUS:
		if (cmd->request != IPCP__COMMAND__CMD_STATUS)
			break;
		out->status(env->status);
		*done = 1;
		return CTL_EXIT_OK;
	case IPCP__ENVELOPE__BODY_PEER:
		if (cmd->request != IPCP__COMMAND__CMD_PEERS)
			break;
		out->peer(env->peer);
		return CTL_EXIT_OK;
	case IPCP__ENVELOPE__BODY_END:
		if (cmd->request != IPCP__COMMAND__CMD_PEERS)
			break;
		out->end();
		*done = 1;
		return CTL_EXIT_OK;
	default:
		break;
	}
	fprintf(stderr, "ipcpctl: %s: unexpected reply from ipcpd\n",
	    cmd_words(cmd));
	return CTL_EXIT_ERROR;
}

int
ctl_request(const struct ctl_cmd *cmd, const struct ctl_opts *opts)
{
	const struct output	*out;
	Ipcp__Envelope		 env = IPCP__ENVELOPE__INIT;
	Ipcp__Request		 req = IPCP__REQUEST__INIT;
	Ipcp__Envelope		*rep = NULL;
	uint64_t		 deadline;
	uint32_t		 id;
	int			 fd, rc = CTL_EXIT_ERROR, done = 0;

	out = opts->json ? &output_json : &output_text;
	if ((fd = ctl_connect(opts->socket)) == -1)
		return CTL_EXIT_ERROR;

	/* Never 0, so a reply that forgot the id cannot match. */
	id = randombytes_uniform(UINT32_MAX) + 1;
	req.cmd = cmd->request;
	env.id = id;
	env.body_case = IPCP__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	if (msg_send(fd, &env, -1) == -1) {
		fprintf(stderr, "ipcpctl: send to ipcpd: %s\n",
		    strerror(errno));
		goto out;
	}

	deadline = now_ms() + CTL_TIMEOUT_MS;
	while (!done) {
		if ((rep = ctl_recv(fd, deadline)) == NULL)
			goto out;
		if (rep->id != id) {
			fprintf(stderr, "ipcpctl: reply from ipcpd carries id "
			    "%u, request had %u\n", rep->id, id);
			goto out;
		}
		if (ctl_reply(cmd, out, rep, &done) != CTL_EXIT_OK)
			goto out;
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
ctl_genkey(const struct ctl_cmd *cmd, const struct ctl_opts *opts)
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
ctl_pubkey(const struct ctl_cmd *cmd, const struct ctl_opts *opts)
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
ctl_genpsk(const struct ctl_cmd *cmd, const struct ctl_opts *opts)
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
ctl_help(const struct ctl_cmd *cmd, const struct ctl_opts *opts)
{
	parse_usage(stdout);
	return CTL_EXIT_OK;
}
