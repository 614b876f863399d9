/* SPDX-License-Identifier: ISC */
/*
 * The command table of ipcpctl and the matching of argv against it (after
 * the subcommand table of wg.c and the token tables of ikectl/parser.c).
 * A command is one word, two for a command with a fixed argument
 * ("log verbose"), or a word and its own arguments ("reload --check",
 * "trace NODE").  Adding a command means adding a row here and, if it
 * talks to ipcpd, a Command value in proto/ipcp.proto.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcpctl.h"
#include "util.h"

/* A --confirm longer than this is a typo (ipcpd agrees: msg_ctl.c). */
#define CONFIRM_MAX_S	86400

static const struct ctl_cmd cmds[] = {
	{ "status", NULL, CTL_ARG_NONE, IPCP__COMMAND__CMD_STATUS,
	    ctl_request, CTL_TIMEOUT_MS,
	    "node name, public key, listeners and peer counts" },
	{ "peers", NULL, CTL_ARG_NONE, IPCP__COMMAND__CMD_PEERS,
	    ctl_request, CTL_TIMEOUT_MS,
	    "state, traffic and round trip of every configured peer" },
	{ "routes", NULL, CTL_ARG_NONE, IPCP__COMMAND__CMD_ROUTES,
	    ctl_request, CTL_TIMEOUT_MS,
	    "every prefix with its candidate paths, the best first" },
	{ "leases", NULL, CTL_ARG_NONE, IPCP__COMMAND__CMD_LEASES,
	    ctl_request, CTL_TIMEOUT_MS,
	    "a gateway's leases: peer, key, addresses, expiry" },
	{ "metrics", NULL, CTL_ARG_NONE, IPCP__COMMAND__CMD_METRICS,
	    ctl_request, CTL_TIMEOUT_MS,
	    "every counter, in Prometheus text format" },
	{ "reload", "[--check] [--confirm SECONDS]", CTL_ARG_RELOAD,
	    IPCP__COMMAND__CMD_RELOAD, ctl_request, CTL_TIMEOUT_LONG_MS,
	    "read the config file again and apply what changed" },
	{ "confirm", NULL, CTL_ARG_NONE, IPCP__COMMAND__CMD_CONFIRM,
	    ctl_request, CTL_TIMEOUT_MS,
	    "keep a reload made with --confirm" },
	{ "trace", "NODE", CTL_ARG_TARGET, IPCP__COMMAND__CMD_TRACE,
	    ctl_request, CTL_TIMEOUT_LONG_MS,
	    "follow the routes to a node (a name or an address)" },
	{ "restart", NULL, CTL_ARG_NONE, IPCP__COMMAND__CMD_RESTART,
	    ctl_request, CTL_TIMEOUT_LONG_MS,
	    "run the installed ipcpd in place, sessions and all" },
	{ "goodbye", NULL, CTL_ARG_NONE, IPCP__COMMAND__CMD_GOODBYE,
	    ctl_request, CTL_TIMEOUT_MS,
	    "tell every peer this node is leaving, then stop ipcpd" },
	{ "log", "verbose", CTL_ARG_WORD, IPCP__COMMAND__CMD_LOG_VERBOSE,
	    ctl_request, CTL_TIMEOUT_MS, "make ipcpd log debug messages" },
	{ "log", "brief", CTL_ARG_WORD, IPCP__COMMAND__CMD_LOG_BRIEF,
	    ctl_request, CTL_TIMEOUT_MS, "stop logging debug messages" },
	{ "genkey", NULL, CTL_ARG_NONE, IPCP__COMMAND__CMD_NONE, ctl_genkey,
	    0, "print a new private key" },
	{ "pubkey", NULL, CTL_ARG_NONE, IPCP__COMMAND__CMD_NONE, ctl_pubkey,
	    0, "read a private key on stdin, print its public key" },
	{ "genpsk", NULL, CTL_ARG_NONE, IPCP__COMMAND__CMD_NONE, ctl_genpsk,
	    0, "print a new pre-shared key" },
	{ "help", NULL, CTL_ARG_NONE, IPCP__COMMAND__CMD_NONE, ctl_help, 0,
	    "print this list" },
};
#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

/* "status, peers, log, ..." without repeating two-word commands. */
static void
print_names(FILE *fp)
{
	size_t	i;

	for (i = 0; i < NCMDS; i++) {
		if (i > 0 && strcmp(cmds[i].name, cmds[i - 1].name) == 0)
			continue;
		fprintf(fp, "%s%s", i > 0 ? ", " : "", cmds[i].name);
	}
}

/* The arguments a two-word command takes, "verbose|brief". */
static void
print_args(FILE *fp, const char *name)
{
	size_t	i;
	int	first = 1;

	for (i = 0; i < NCMDS; i++) {
		if (strcmp(cmds[i].name, name) != 0 || cmds[i].arg == NULL)
			continue;
		fprintf(fp, "%s%s", first ? "" : "|", cmds[i].arg);
		first = 0;
	}
}

static int
parse_seconds(const char *s, unsigned *out)
{
	unsigned long	v;

	if (parse_uint(s, CONFIRM_MAX_S, &v) == -1 || v == 0)
		return -1;
	*out = v;
	return 0;
}

/* reload [--check] [--confirm SECONDS]; 0 or -1 after saying why. */
static int
parse_reload(int argc, char *argv[], struct ctl_args *a)
{
	int	i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--check") == 0 ||
		    strcmp(argv[i], "-n") == 0)
			a->check = 1;
		else if (strcmp(argv[i], "--confirm") == 0) {
			if (++i == argc) {
				fprintf(stderr, "ipcpctl: reload: --confirm "
				    "needs a number of seconds\n");
				return -1;
			}
			if (parse_seconds(argv[i], &a->confirm_s) == -1) {
				fprintf(stderr, "ipcpctl: reload: --confirm "
				    "'%s' is not a number of seconds from 1 "
				    "to %d\n", argv[i], CONFIRM_MAX_S);
				return -1;
			}
		} else {
			fprintf(stderr, "ipcpctl: reload: unexpected argument "
			    "'%s'; usage: ipcpctl reload [--check] "
			    "[--confirm SECONDS]\n", argv[i]);
			return -1;
		}
	}
	if (a->check && a->confirm_s) {
		fprintf(stderr, "ipcpctl: reload: --check applies nothing, "
		    "so there is nothing to confirm\n");
		return -1;
	}
	return 0;
}

const struct ctl_cmd *
parse_command(int argc, char *argv[], struct ctl_args *a)
{
	size_t	i;
	int	known = 0;

	memset(a, 0, sizeof(*a));
	if (argc < 1) {
		fprintf(stderr, "ipcpctl: no command given (ipcpctl -h lists "
		    "them)\n");
		return NULL;
	}
	for (i = 0; i < NCMDS; i++) {
		if (strcmp(cmds[i].name, argv[0]) != 0)
			continue;
		known = 1;
		switch (cmds[i].argkind) {
		case CTL_ARG_NONE:
			if (argc == 1)
				return &cmds[i];
			fprintf(stderr, "ipcpctl: %s: unexpected argument "
			    "'%s'\n", argv[0], argv[1]);
			return NULL;
		case CTL_ARG_WORD:
			if (argc == 2 && strcmp(cmds[i].arg, argv[1]) == 0)
				return &cmds[i];
			break;
		case CTL_ARG_RELOAD:
			return parse_reload(argc, argv, a) == 0 ? &cmds[i] :
			    NULL;
		case CTL_ARG_TARGET:
			if (argc == 2 && argv[1][0] != '\0') {
				a->target = argv[1];
				return &cmds[i];
			}
			fprintf(stderr, "usage: ipcpctl %s %s\n", argv[0],
			    cmds[i].arg);
			return NULL;
		}
	}
	if (!known) {
		fprintf(stderr, "ipcpctl: unknown command '%s'; try: ",
		    argv[0]);
		print_names(stderr);
		fprintf(stderr, "\n");
		return NULL;
	}
	/* A two-word command with a missing, wrong or extra argument. */
	fprintf(stderr, "usage: ipcpctl %s ", argv[0]);
	print_args(stderr, argv[0]);
	fprintf(stderr, "\n");
	return NULL;
}

void
parse_usage(FILE *fp)
{
	char	word[64];
	size_t	i;

	fprintf(fp, "usage: ipcpctl [-j] [-c file | -i instance | -s socket] "
	    "command [argument ...]\n"
	    "       ipcpctl -h | --help | -V | --version\n"
	    "  -c file      the control socket named in this config file\n"
	    "  -i instance  the socket of ipcpd@instance (%s)\n"
	    "  -s socket    this socket (default %s)\n"
	    "  -j           JSON output\n"
	    "commands:\n", IPCP_INSTANCE_SOCKET, IPCP_CONTROL_SOCKET);
	for (i = 0; i < NCMDS; i++) {
		snprintf(word, sizeof(word), "%s%s%s", cmds[i].name,
		    cmds[i].arg != NULL ? " " : "",
		    cmds[i].arg != NULL ? cmds[i].arg : "");
		if (strlen(word) > 14)
			fprintf(fp, "  %s\n  %-14s %s\n", word, "",
			    cmds[i].help);
		else
			fprintf(fp, "  %-14s %s\n", word, cmds[i].help);
	}
}
